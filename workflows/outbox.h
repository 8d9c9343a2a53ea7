// A durable outbox: tasks for other services are written in the same atomic
// write as the change that caused them, then delivered at least once, with
// retry and exponential backoff, to idempotent handlers. A task that keeps
// failing is parked (never dropped, never blocking other tasks) until an
// operator retries it.
#ifndef GRANTFLOW_WORKFLOWS_OUTBOX_H_
#define GRANTFLOW_WORKFLOWS_OUTBOX_H_

#include <functional>
#include <map>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grantflow/workflow/v1/workflow.pb.h"
#include "services/common/paging.h"
#include "storage/store.h"

namespace grantflow::workflows {

namespace wpb = ::grantflow::workflow::v1;

struct OutboxOptions {
  int max_attempts = 8;  // then the task is parked
  absl::Duration first_backoff = absl::Seconds(1);
  absl::Duration max_backoff = absl::Minutes(5);
};

struct DeliveryReport {
  int delivered = 0;
  int failed = 0;  // will be retried
  int parked = 0;
};

// Thread-safe. Does not own the store.
class Outbox {
 public:
  // Handlers must be idempotent: a task may be delivered more than once.
  using Handler = std::function<absl::Status(const wpb::Task&)>;

  Outbox(storage::Store* store, OutboxOptions options = {});

  // Adds `task` (id, kind, case_name, payload set by the caller) to `writes`,
  // due at `now`. The id must be unique per task; deriving it from the change
  // that emits it makes re-emission harmless.
  static void Enqueue(storage::WriteSet& writes, wpb::Task task,
                      absl::Time now);

  void RegisterHandler(const std::string& kind, Handler handler);

  // Delivers up to `limit` tasks due at or before `now`. A kind without a
  // handler counts as a failure. Returns INTERNAL only for storage errors.
  absl::StatusOr<DeliveryReport> DeliverDue(absl::Time now, int limit = 100);

  // Waiting (parked=false) or parked tasks, one page.
  absl::StatusOr<std::pair<std::vector<wpb::Task>, std::string>> List(
      bool parked, const Page& page, absl::string_view query) const;

  // Moves a parked task back to the queue, due now, attempts reset.
  // NOT_FOUND when no parked task has that id.
  absl::StatusOr<wpb::Task> Retry(const std::string& id, absl::Time now,
                                  const std::string& actor,
                                  const std::string& request_id);

 private:
  absl::Status Finish(const wpb::Task& task, const std::string& due_key,
                      absl::Status outcome, absl::Time now,
                      DeliveryReport* report);

  storage::Store* store_;
  const OutboxOptions options_;
  absl::Mutex mu_;
  std::map<std::string, Handler> handlers_ ABSL_GUARDED_BY(mu_);
  absl::Mutex deliver_mu_;  // one delivery pass at a time
};

}  // namespace grantflow::workflows

#endif  // GRANTFLOW_WORKFLOWS_OUTBOX_H_
