// Pieces the engine (engine.cc) and its fact handlers (fact_handlers/) share.
// Not part of the engine's interface.
#ifndef GRANTFLOW_WORKFLOWS_ENGINE_INTERNAL_H_
#define GRANTFLOW_WORKFLOWS_ENGINE_INTERNAL_H_

#include <cstdint>
#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "grantflow/workflow/v1/workflow.pb.h"
#include "platform/proto_table.h"
#include "storage/store.h"

namespace grantflow::workflows {

namespace wpb = ::grantflow::workflow::v1;

inline constexpr char kTimers[] = "timers";

// The ledger lines a command holds locks on, by name, as read.
using Lines = std::map<std::string, Versioned<wpb::LedgerLine>>;

// An order-preserving key of one string.
std::string Key(const std::string& s);
// A timer row's key: due time, case, timer id.
std::string TimerKey(absl::Time due, const std::string& case_id,
                     const std::string& timer_id);
// "cases/{id}" -> "{id}".
std::string CaseId(const std::string& name);

// FAILED_PRECONDITION with an ErrorInfo reason.
absl::Status Refuse(absl::string_view reason, absl::string_view message,
                    std::map<std::string, std::string> metadata = {});

// Adds a durable timer for `c` to `w`: `fact` fires at `due` if the case is
// still where it was (state_seq; 0 for timers not bound to a state entry).
void ScheduleTimer(storage::WriteSet& w, const wpb::Case& c,
                   const std::string& fact, absl::Time due,
                   const std::string& timer_id, int64_t state_seq,
                   const std::string& report_id);

// The loaded line `name`; FAILED_PRECONDITION BUDGET_LINE_UNKNOWN when the
// ledger has none.
absl::StatusOr<wpb::LedgerLine*> LineFor(Lines& lines, const std::string& name);

// Gives back what a case holds on its lines: the reservation, or the
// committed amount not yet paid. Returns the pence released.
int64_t ReleaseHoldings(wpb::Case& c, Lines& lines);

}  // namespace grantflow::workflows

#endif  // GRANTFLOW_WORKFLOWS_ENGINE_INTERNAL_H_
