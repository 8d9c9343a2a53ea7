#include "workflows/engine_internal.h"

#include "absl/strings/str_cat.h"
#include "platform/errors.h"
#include "platform/reasons.h"
#include "platform/resources.h"
#include "storage/key_coding.h"

namespace grantflow::workflows {

std::string Key(const std::string& s) {
  std::string k;
  storage::AppendString(&k, s);
  return k;
}

std::string TimerKey(absl::Time due, const std::string& case_id,
                     const std::string& timer_id) {
  std::string k;
  storage::AppendInt64(&k, absl::ToUnixMicros(due));
  storage::AppendString(&k, case_id);
  storage::AppendString(&k, timer_id);
  return k;
}

std::string CaseId(const std::string& name) { return name.substr(6); }

absl::Status Refuse(absl::string_view reason, absl::string_view message,
                    std::map<std::string, std::string> metadata) {
  return errors::FailedPrecondition(reason, message, std::move(metadata));
}

void ScheduleTimer(storage::WriteSet& w, const wpb::Case& c,
                   const std::string& fact, absl::Time due,
                   const std::string& timer_id, int64_t state_seq,
                   const std::string& report_id) {
  wpb::TimerEntry t;
  t.set_id(timer_id);
  t.set_case_name(c.name());
  t.set_fact(fact);
  t.set_state(c.state());
  *t.mutable_due_time() = ToProto(due);
  t.set_report_id(report_id);
  t.set_state_seq(state_seq);
  w.Put(kTimers, TimerKey(due, CaseId(c.name()), timer_id),
        t.SerializeAsString());
}

absl::StatusOr<wpb::LedgerLine*> LineFor(Lines& lines,
                                         const std::string& name) {
  auto it = lines.find(name);
  if (it == lines.end()) {
    return Refuse(reasons::kBudgetLineUnknown,
                  absl::StrCat(name, " is not registered with the ledger"),
                  {{"budget_line", name}});
  }
  return &it->second.msg;
}

// Gives back what a case holds on its lines: the reservation, or the
// committed amount not yet paid. Returns the pence released.
int64_t ReleaseHoldings(wpb::Case& c, Lines& lines) {
  int64_t released = 0;
  for (const wpb::Allocation& a : c.allocations()) {
    auto it = lines.find(a.budget_line());
    if (it == lines.end()) continue;
    wpb::LedgerLine& line = it->second.msg;
    if (c.budget_committed()) {
      int64_t unpaid = a.amount_pence() - a.paid_pence();
      line.set_committed_pence(line.committed_pence() - unpaid);
      released += unpaid;
    } else {
      line.set_reserved_pence(line.reserved_pence() - a.amount_pence());
      released += a.amount_pence();
    }
  }
  return released;
}

}  // namespace grantflow::workflows
