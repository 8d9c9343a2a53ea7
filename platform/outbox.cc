#include "platform/outbox.h"

#include <algorithm>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "platform/audit.h"
#include "platform/idempotency.h"
#include "platform/paging.h"
#include "platform/resources.h"
#include "platform/status_macros.h"
#include "storage/key_coding.h"

namespace grantflow {
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

bool IsPermanentFailure(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kOutOfRange:
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kUnimplemented:
      return true;
    default:
      return false;
  }
}

Outbox::Outbox(storage::Store* store, std::string service,
               OutboxOptions options)
    : store_(store),
      service_(std::move(service)),
      options_(std::move(options)) {}

void Outbox::Enqueue(storage::WriteSet& writes, opb::Task task,
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
  ASSIGN_OR_RETURN(storage::ScanResult due, store_->Scan(kDue, "", "", limit));
  for (const storage::ScanRow& row : due.rows) {
    if (row.key >= upper) break;  // not due yet; the rest are later
    storage::KeyReader r(row.key);
    int64_t micros;
    std::string id;
    if (!r.ReadInt64(&micros) || !r.ReadString(&id)) {
      return absl::DataLossError("malformed outbox index entry");
    }
    absl::StatusOr<storage::Record> rec = store_->Get(kTasks, IdKey(id));
    if (!rec.ok()) continue;  // delivered by an earlier pass
    opb::Task task;
    if (!task.ParseFromString(rec->value)) {
      return absl::DataLossError(
          absl::StrCat("outbox task ", id, " cannot be read"));
    }
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
    RETURN_IF_ERROR(Finish(task, row.key, outcome, now, &report));
  }
  return report;
}

absl::Status Outbox::Finish(const opb::Task& task, const std::string& due_key,
                            absl::Status outcome, absl::Time now,
                            DeliveryReport* report) {
  storage::WriteSet w;
  std::string parked_message;
  w.Delete(kDue, due_key);
  if (outcome.ok()) {
    w.Delete(kTasks, IdKey(task.id()));
    ++report->delivered;
  } else {
    opb::Task next = task;
    next.set_attempts(task.attempts() + 1);
    next.set_last_error(absl::StrCat(absl::StatusCodeToString(outcome.code()),
                                     ": ", outcome.message()));
    if (IsPermanentFailure(outcome)) {
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
      parked_message = absl::StrCat(
          "outbox[", service_, "]: ", a.details,
          " (grantctl outbox parked; grantctl outbox retry ", task.id(), ")");
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
  if (c.ok() && !parked_message.empty()) {
    if (options_.log) {
      options_.log(parked_message);
    } else {
      std::cerr << "grantflowd " << parked_message << std::endl;
    }
  }
  return c.status();
}

absl::StatusOr<Outbox::Depth> Outbox::Count() const {
  Depth d;
  for (auto [table, count] :
       {std::pair{kDue, &d.waiting}, {kParked, &d.parked}}) {
    // A plain variable: clang 14 cannot capture a structured binding.
    int64_t* n = count;
    RETURN_IF_ERROR(ScanInBatches(
        *store_, table, "", 1000,
        [n](const std::vector<storage::ScanRow>& rows) -> absl::Status {
          *n += static_cast<int64_t>(rows.size());
          return absl::OkStatus();
        }));
  }
  return d;
}

absl::StatusOr<opb::ListTasksResponse> Outbox::ListTasks(
    const Call& call, const opb::ListTasksRequest& req) const {
  errors::Violations v;
  const std::string query = req.parked() ? "tasks:parked" : "tasks:waiting";
  Page page = ParsePage(req.page_size(), req.page_token(), query, &v);
  if (!v.empty()) return v.ToStatus();
  ASSIGN_OR_RETURN(storage::ScanResult scan,
                   store_->Scan(req.parked() ? kParked : kTasks, "",
                                page.start_after, page.size));
  opb::ListTasksResponse resp;
  PageBytes budget;
  size_t used = 0;
  for (; used < scan.rows.size(); ++used) {
    const auto& row = scan.rows[used];
    if (!budget.Fits(row.record.value.size())) break;
    opb::Task* t = resp.add_tasks();
    if (!t->ParseFromString(row.record.value)) {
      return absl::DataLossError("an outbox task cannot be read");
    }
    t->set_service(service_);
  }
  resp.set_next_page_token(PageTokenAfter(scan, used, query));
  return resp;
}

absl::StatusOr<opb::Task> Outbox::RetryTask(const Call& call,
                                            const opb::RetryTaskRequest& req) {
  errors::Violations v;
  if (req.id().empty()) v.Add("id", "is required: the parked task's id");
  ValidateRequestId(req.request_id(), &v);
  if (!v.empty()) return v.ToStatus();
  const std::string& id = req.id();
  const absl::Time now = call.now;
  return RunOnce<opb::Task>(
      *store_, call, req.request_id(), req,
      [&](storage::WriteSet& w) -> absl::StatusOr<opb::Task> {
        absl::StatusOr<storage::Record> rec = store_->Get(kParked, IdKey(id));
        if (absl::IsNotFound(rec.status())) {
          return absl::NotFoundError(absl::StrCat("no parked task ", id));
        }
        if (!rec.ok()) return rec.status();
        opb::Task task;
        if (!task.ParseFromString(rec->value)) {
          return absl::DataLossError("an outbox task cannot be read");
        }
        task.set_parked(false);
        task.set_attempts(0);
        *task.mutable_next_attempt_time() = ToProto(now);
        w.ExpectVersion(kParked, IdKey(id), rec->version);
        w.Delete(kParked, IdKey(id));
        w.Put(kTasks, IdKey(id), task.SerializeAsString());
        w.PutIndex(kDue, DueKey(now, id));
        AuditChange(w, call, task.case_name(), req.request_id(),
                    absl::StrCat("retry ", task.kind(), " task ", id));
        task.set_service(service_);
        return task;
      });
}

}  // namespace grantflow
