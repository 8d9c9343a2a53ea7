// Fact handlers. Pre-agreement checks (R4): due diligence, safeguarding,
// conditions.
#include <algorithm>
#include <optional>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "platform/auth.h"
#include "platform/errors.h"
#include "platform/money.h"
#include "platform/reasons.h"
#include "platform/resources.h"
#include "platform/status_macros.h"
#include "workflows/engine.h"
#include "workflows/engine_internal.h"
#include "workflows/fact_handlers.h"

namespace grantflow::workflows::handlers {

absl::Status DueDiligencePassed(FactContext& x) {
  wpb::Case& c = x.c;
  c.set_due_diligence_passed(true);
  return absl::OkStatus();
}

absl::Status SafeguardingPassed(FactContext& x) {
  wpb::Case& c = x.c;
  c.set_safeguarding_passed(true);
  return absl::OkStatus();
}

absl::Status SafeguardingRequired(FactContext& x) {
  x.c.set_safeguarding_required(true);
  return absl::OkStatus();
}

absl::Status RaiseCondition(FactContext& x) {
  wpb::Case& c = x.c;
  const wpb::FactPayload& p = x.payload;
  errors::Violations pv;
  if (!IsValidId(p.condition_id())) {
    pv.Add("payload.condition_id", "must be a short id");
  }
  RequireText(p.description(), "payload.description", kMaxReasonChars, &pv);
  for (const auto& k : c.conditions()) {
    if (k.id() == p.condition_id()) {
      pv.Add("payload.condition_id", "is already used on this case");
    }
  }
  const std::string& source = p.condition_source();
  if (source != "DUE_DILIGENCE" && source != "SAFEGUARDING") {
    pv.Add("payload.condition_source",
           "must be DUE_DILIGENCE or SAFEGUARDING: the check it comes from");
  }
  if (!pv.empty()) return pv.ToStatus();
  if (c.conditions_size() >= kMaxConditions) {
    return Refuse(
        reasons::kCaseLimitReached,
        absl::StrCat(c.name(), " already has ", kMaxConditions, " conditions"));
  }
  auto* k = c.add_conditions();
  k->set_id(p.condition_id());
  k->set_source(source);
  k->set_description(p.description());
  k->set_open(true);
  return absl::OkStatus();
}

absl::Status ClearCondition(FactContext& x) {
  wpb::Case& c = x.c;
  const wpb::FactPayload& p = x.payload;
  bool found = false;
  for (auto& k : *c.mutable_conditions()) {
    if (k.id() == p.condition_id() && k.open()) {
      k.set_open(false);
      found = true;
    }
  }
  if (!found) {
    return Refuse(reasons::kConditionNotOpen,
                  absl::StrCat("no open condition '", p.condition_id(), "' on ",
                               c.name()));
  }
  return absl::OkStatus();
}

}  // namespace grantflow::workflows::handlers
