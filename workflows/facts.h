// The facts the engine knows and what each one means to it. These meanings
// are engine code: a lifecycle definition decides which facts a state
// accepts, never what a fact does to the ledger or which gates it must pass.
//
// Each fact names its handler (workflows/fact_handlers/, one file per fact
// group) and what the engine prepares before the handler runs. Engine::Apply
// is the loop that authorises, prepares, locks, dispatches and commits; a new
// fact group adds handlers and table rows (or RegisterFact), no switch.
#ifndef GRANTFLOW_WORKFLOWS_FACTS_H_
#define GRANTFLOW_WORKFLOWS_FACTS_H_

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "grantflow/workflow/v1/workflow.pb.h"
#include "platform/call.h"
#include "storage/store.h"
#include "workflows/directory.h"
#include "workflows/engine_internal.h"

namespace grantflow::workflows {

// What a fact's handler sees and changes. It runs under the case's lock and
// the locks of the lines in `lines`, inside the command's one atomic write;
// an error it returns writes nothing.
struct FactContext {
  const Call& call;  // principal.user is the actor, canonical
  const wpb::FactPayload& payload;
  const std::optional<RoundTerms>& round;  // set when FactInfo::reads_round
  wpb::Case& c;                            // as it will be written
  Lines& lines;                    // the case's lines (and the payload's)
  std::set<std::string>& touched;  // lines the handler changed
  storage::WriteSet& writes;       // for timers and other rows
  std::string details;             // added to the audit entry
};

using FactHandler = absl::Status (*)(FactContext&);

struct FactInfo {
  std::string name = "";
  // Roles that may record the fact. "service" is grantflowd's own identity;
  // timer facts are recorded by the engine itself.
  std::vector<std::string> roles = {};
  FactHandler handler = nullptr;  // nullptr: the fact only moves the case
  bool timer_only = false;
  // What the engine does before taking locks:
  bool reads_round = false;          // asks ProgrammeService for the round
  bool recipient_signature = false;  // the caller must be the recipient's
                                     // authorised signatory (R1)
  bool funder_signature = false;     // the caller must be funder staff (R1)
  // ... and while taking them:
  bool locks_payload_lines = false;  // the payload's allocations' lines too
  // After the handler: restart the state's timers even when the state does
  // not change (a re-issued agreement's signature deadline).
  bool reenters_state = false;
  // When people record the fact through a service that keeps its own record
  // in step with the case (only the service identity may record it here):
  // that service, named in the refusal a person gets.
  const char* via = nullptr;
  // When a service records the fact for a person (on_behalf_of): a role the
  // person must hold, as the service itself requires of them; the engine
  // checks it again, so a service that forgot cannot act for anyone.
  std::vector<std::string> person_roles = {};
};

// nullptr for an unknown fact.
const FactInfo* FindFact(absl::string_view name);
// Every known fact's name, in the table's order.
std::vector<std::string> FactNames();
// Adds a fact group's facts (for instance a new service's). Call at
// start-up, before any engine runs; not thread-safe. ALREADY_EXISTS for a
// name already known, INVALID_ARGUMENT for an empty name.
absl::Status RegisterFact(FactInfo fact);

// The actor the engine uses for facts fired by its own timers.
inline constexpr char kTimerActor[] = "engine:timer";

}  // namespace grantflow::workflows

#endif  // GRANTFLOW_WORKFLOWS_FACTS_H_
