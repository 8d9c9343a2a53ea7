// A durable outbox: tasks for other services are written in the same atomic
// write as the change that caused them, then delivered at least once, with
// retry and exponential backoff, to idempotent handlers. A transient failure
// (the receiver down, overloaded, slow, or not yet trusting this host) is
// retried for as long as it lasts, the backoff capped; a permanent one (the
// receiver refuses the task as invalid: INVALID_ARGUMENT,
// FAILED_PRECONDITION, OUT_OF_RANGE, NOT_FOUND, ALREADY_EXISTS,
// UNIMPLEMENTED) parks the task: never dropped, never blocking others,
// logged, listed by ListTasks, until an operator retries it.
#ifndef GRANTFLOW_PLATFORM_OUTBOX_H_
#define GRANTFLOW_PLATFORM_OUTBOX_H_

#include <functional>
#include <map>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grantflow/outbox/v1/outbox.pb.h"
#include "platform/call.h"
#include "platform/paging.h"
#include "storage/store.h"

namespace grantflow {

// The outbox protos (grantflow.outbox.v1), used by every service's
// ListTasks/RetryTask.
namespace opb = ::grantflow::outbox::v1;

struct OutboxOptions {
  absl::Duration first_backoff = absl::Seconds(1);
  absl::Duration max_backoff = absl::Minutes(1);
  // Where parking is reported; stderr when unset.
  std::function<void(const std::string&)> log;
};

// True for a delivery failure that retrying cannot cure (see above).
bool IsPermanentFailure(const absl::Status& status);

struct DeliveryReport {
  int delivered = 0;
  int failed = 0;  // transient: will be retried
  int parked = 0;  // permanent: waits for an operator
};

// Thread-safe. Does not own the store.
class Outbox {
 public:
  // Handlers must be idempotent: a task may be delivered more than once.
  using Handler = std::function<absl::Status(const opb::Task&)>;

  // `service` names whose outbox it is, in logs and in listed tasks.
  Outbox(storage::Store* store, std::string service,
         OutboxOptions options = {});

  // Adds `task` (id, kind, case_name, payload set by the caller) to `writes`,
  // due at `now`. The id must be unique per task; deriving it from the change
  // that emits it makes re-emission harmless.
  static void Enqueue(storage::WriteSet& writes, opb::Task task,
                      absl::Time now);

  void RegisterHandler(const std::string& kind, Handler handler);

  // Delivers up to `limit` tasks due at or before `now`. A kind without a
  // handler counts as a failure. Returns INTERNAL only for storage errors.
  absl::StatusOr<DeliveryReport> DeliverDue(absl::Time now, int limit = 100);

  // The ListTasks RPC every service with an outbox offers: waiting
  // (parked=false) or parked tasks, one page. INVALID_ARGUMENT for a bad
  // page.
  absl::StatusOr<opb::ListTasksResponse> ListTasks(
      const Call& call, const opb::ListTasksRequest& req) const;

  // How many tasks wait for delivery (due now or backing off) and how many
  // are parked for an operator, for metrics. INTERNAL for storage errors.
  struct Depth {
    int64_t waiting = 0;
    int64_t parked = 0;
  };
  absl::StatusOr<Depth> Count() const;

  // The RetryTask RPC: moves a parked task back to the queue, due now,
  // attempts reset; audited. NOT_FOUND when no parked task has that id.
  absl::StatusOr<opb::Task> RetryTask(const Call& call,
                                      const opb::RetryTaskRequest& req);

 private:
  absl::Status Finish(const opb::Task& task, const std::string& due_key,
                      absl::Status outcome, absl::Time now,
                      DeliveryReport* report);

  storage::Store* store_;
  const std::string service_;
  const OutboxOptions options_;
  absl::Mutex mu_;
  std::map<std::string, Handler> handlers_ ABSL_GUARDED_BY(mu_);
  absl::Mutex deliver_mu_;  // one delivery pass at a time
};

}  // namespace grantflow

#endif  // GRANTFLOW_PLATFORM_OUTBOX_H_
