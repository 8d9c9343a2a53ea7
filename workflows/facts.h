// The facts the engine knows and what each one means to it. These meanings
// are engine code: a lifecycle definition decides which facts a state
// accepts, never what a fact does to the ledger or which gates it must pass.
#ifndef GRANTFLOW_WORKFLOWS_FACTS_H_
#define GRANTFLOW_WORKFLOWS_FACTS_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace grantflow::workflows {

enum class Effect {
  kNone,          // moves the case only
  kRecommend,     // remembers who recommended (R5)
  kApproveAward,  // reserves the award on its budget lines (R3, R5)
  kDueDiligencePassed,
  kSafeguardingPassed,
  kConditionRaised,  // opens a condition: blocks issue and payment (R4)
  kConditionCleared,
  kIssueAgreement,   // gate: checks complete, no open condition (R4)
  kRecipientSigned,  // first signature, on the issued document
  kExecute,          // countersignature on the same hash; commits budget (R1)
  kReportAccepted,
  kReportOverdue,
  kClose,      // releases what was committed but not paid
  kRelease,    // side exits: releases everything reserved/committed
  kTerminate,  // releases the unpaid remainder (recovery)
};

struct FactInfo {
  std::string name;
  Effect effect;
  // Roles that may record the fact. "service" is grantflowd's own identity;
  // timer facts are recorded by the engine itself.
  std::vector<std::string> roles;
  bool timer_only = false;
};

// nullptr for an unknown fact.
const FactInfo* FindFact(absl::string_view name);
const std::vector<FactInfo>& KnownFacts();

// The actor the engine uses for facts fired by its own timers.
inline constexpr char kTimerActor[] = "engine:timer";

}  // namespace grantflow::workflows

#endif  // GRANTFLOW_WORKFLOWS_FACTS_H_
