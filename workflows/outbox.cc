#include "workflows/outbox.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "services/common/resources.h"
#include "storage/key_coding.h"

namespace grantflow::workflows {
namespace {

constexpr char kTasks[] = "outbox";
constexpr char kDue[] = "outbox_due";
constexpr char kParked[] = "outbox_parked";

std::string IdKey(const std::string& id) {
  std::string k;
  storage::AppendString(&k, id);
  return k;
}

std::string DueKey(absl::Time due, const std::string& id) {
  std::string k;
  storage::AppendInt64(&k, absl::ToUnixMicros(due));
  storage::AppendString(&k, id);
  return k;
}

}  // namespace

Outbox::Outbox(storage::Store* store, OutboxOptions options)
    : store_(store), options_(options) {}

void Outbox::Enqueue(storage::WriteSet& writes, wpb::Task task,
                     absl::Time now) {
  *task.mutable_create_time() = ToProto(now);
  *task.mutable_next_attempt_time() = ToProto(now);
  task.set_attempts(0);
  task.set_parked(false);
  writes.ExpectAbsent(kTasks, IdKey(task.id()));
  writes.Put(kTasks, IdKey(task.id()), task.SerializeAsString());
  writes.PutIndex(kDue, DueKey(now, task.id()));
}

void Outbox::RegisterHandler(const std::string& kind, Handler handler) {
  absl::MutexLock l(&mu_);
  handlers_[kind] = std::move(handler);
}

absl::StatusOr<DeliveryReport> Outbox::DeliverDue(absl::Time now, int limit) {
  absl::MutexLock pass(&deliver_mu_);
  DeliveryReport report;
  std::string upper;
  storage::AppendInt64(&upper, absl::ToUnixMicros(now) + 1);
  absl::StatusOr<storage::ScanResult> due = store_->Scan(kDue, "", "", limit);
  if (!due.ok()) return due.status();
  for (const storage::ScanRow& row : due->rows) {
    if (row.key >= upper) break;  // not due yet; the rest are later
    storage::KeyReader r(row.key);
    int64_t micros;
    std::string id;
    if (!r.ReadInt64(&micros) || !r.ReadString(&id)) {
      return absl::DataLossError("malformed outbox index entry");
    }
    absl::StatusOr<storage::Record> rec = store_->Get(kTasks, IdKey(id));
    if (!rec.ok()) continue;  // delivered by an earlier pass
    wpb::Task task;
    task.ParseFromString(rec->value);
    Handler handler;
    {
      absl::MutexLock l(&mu_);
      auto it = handlers_.find(task.kind());
      if (it != handlers_.end()) handler = it->second;
    }
    absl::Status outcome = handler
                               ? handler(task)
                               : absl::UnimplementedError(absl::StrCat(
                                     "no handler for task kind ", task.kind()));
    absl::Status s = Finish(task, row.key, outcome, now, &report);
    if (!s.ok()) return s;
  }
  return report;
}

absl::Status Outbox::Finish(const wpb::Task& task, const std::string& due_key,
                            absl::Status outcome, absl::Time now,
                            DeliveryReport* report) {
  storage::WriteSet w;
  w.Delete(kDue, due_key);
  if (outcome.ok()) {
    w.Delete(kTasks, IdKey(task.id()));
    ++report->delivered;
  } else {
    wpb::Task next = task;
    next.set_attempts(task.attempts() + 1);
    next.set_last_error(std::string(outcome.message()));
    if (next.attempts() >= options_.max_attempts) {
      next.set_parked(true);
      w.Delete(kTasks, IdKey(task.id()));
      w.Put(kParked, IdKey(task.id()), next.SerializeAsString());
      storage::AuditRecord a;
      a.time_micros = absl::ToUnixMicros(now);
      a.actor = "engine:outbox";
      a.action = "outbox/park";
      a.resource = task.case_name();
      a.details =
          absl::StrCat("parked ", task.kind(), " task ", task.id(), " after ",
                       next.attempts(), " attempts: ", next.last_error());
      w.Audit(a);
      ++report->parked;
    } else {
      absl::Duration backoff = options_.first_backoff;
      for (int i = 1; i < next.attempts() && backoff < options_.max_backoff;
           ++i) {
        backoff *= 2;
      }
      backoff = std::min(backoff, options_.max_backoff);
      *next.mutable_next_attempt_time() = ToProto(now + backoff);
      w.Put(kTasks, IdKey(task.id()), next.SerializeAsString());
      w.PutIndex(kDue, DueKey(now + backoff, task.id()));
      ++report->failed;
    }
  }
  absl::StatusOr<storage::CommitResult> c = store_->Commit(w);
  return c.status();
}

absl::StatusOr<std::pair<std::vector<wpb::Task>, std::string>> Outbox::List(
    bool parked, const Page& page, absl::string_view query) const {
  absl::StatusOr<storage::ScanResult> scan =
      store_->Scan(parked ? kParked : kTasks, "", page.start_after, page.size);
  if (!scan.ok()) return scan.status();
  std::vector<wpb::Task> tasks;
  for (const auto& row : scan->rows) {
    wpb::Task t;
    t.ParseFromString(row.record.value);
    tasks.push_back(std::move(t));
  }
  return std::make_pair(std::move(tasks), NextPageToken(*scan, query));
}

absl::StatusOr<wpb::Task> Outbox::Retry(const std::string& id, absl::Time now,
                                        const std::string& actor,
                                        const std::string& request_id) {
  absl::StatusOr<storage::Record> rec = store_->Get(kParked, IdKey(id));
  if (absl::IsNotFound(rec.status())) {
    return absl::NotFoundError(absl::StrCat("no parked task ", id));
  }
  if (!rec.ok()) return rec.status();
  wpb::Task task;
  task.ParseFromString(rec->value);
  task.set_parked(false);
  task.set_attempts(0);
  *task.mutable_next_attempt_time() = ToProto(now);
  storage::WriteSet w;
  w.ExpectVersion(kParked, IdKey(id), rec->version);
  w.Delete(kParked, IdKey(id));
  w.Put(kTasks, IdKey(id), task.SerializeAsString());
  w.PutIndex(kDue, DueKey(now, id));
  storage::AuditRecord a;
  a.time_micros = absl::ToUnixMicros(now);
  a.actor = actor;
  a.action = "outbox/retry";
  a.resource = task.case_name();
  a.request_id = request_id;
  a.details = absl::StrCat("retry ", task.kind(), " task ", id);
  w.Audit(a);
  absl::StatusOr<storage::CommitResult> c = store_->Commit(w);
  if (!c.ok()) return c.status();
  return task;
}

}  // namespace grantflow::workflows
