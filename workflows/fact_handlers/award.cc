// Fact handlers. Award: recommendation and approval (R3, R5). Approval reserves
// the award on its budget lines within the round's terms and the ledger's
// ceilings.
#include <algorithm>
#include <optional>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "platform/auth.h"
#include "platform/duties.h"
#include "platform/errors.h"
#include "platform/money.h"
#include "platform/reasons.h"
#include "platform/resources.h"
#include "platform/status_macros.h"
#include "workflows/engine.h"
#include "workflows/engine_internal.h"
#include "workflows/fact_handlers.h"

namespace grantflow::workflows::handlers {

absl::Status Recommend(FactContext& x) {
  wpb::Case& c = x.c;
  const std::string& actor = x.call.principal.user;
  c.set_recommended_by(actor);
  const int64_t amount = x.payload.amount_pence();
  if (amount < 0 ||
      (c.amount_requested_pence() > 0 && amount > c.amount_requested_pence())) {
    errors::Violations v;
    v.Add("payload.amount_pence",
          "must be between 0 and what the bid asked for");
    return v.ToStatus();
  }
  c.set_recommended_pence(amount);
  return absl::OkStatus();
}

absl::Status ApproveAward(FactContext& x) {
  wpb::Case& c = x.c;
  const wpb::FactPayload& p = x.payload;
  Lines& lines = x.lines;
  std::set<std::string>& touched = x.touched;
  const std::string& actor = x.call.principal.user;
  std::string& details = x.details;
  const Call& call = x.call;
  const std::optional<RoundTerms>& terms = x.round;
  errors::Violations pv;
  ValidateAmount(p.amount_pence(), "payload.amount_pence", &pv);
  if (pv.empty()) {
    if (p.amount_pence() > c.amount_requested_pence()) {
      pv.Add("payload.amount_pence",
             absl::StrCat("must not exceed the ",
                          FormatPounds(c.amount_requested_pence()),
                          " the application asked for"));
    } else if (p.amount_pence() > terms->max_award_pence) {
      pv.Add("payload.amount_pence",
             absl::StrCat("must not exceed ", c.round(), "'s maximum award of ",
                          FormatPounds(terms->max_award_pence)));
    } else if (p.amount_pence() < terms->min_award_pence) {
      pv.Add(
          "payload.amount_pence",
          absl::StrCat("must be at least ", c.round(), "'s minimum award of ",
                       FormatPounds(terms->min_award_pence)));
    }
  }
  if (p.allocations().empty()) {
    pv.Add("payload.allocations", "name the budget lines the award draws on");
  } else if (p.allocations_size() > kMaxAllocations) {
    pv.Add("payload.allocations",
           absl::StrCat("at most ", kMaxAllocations, " lines"));
  }
  std::optional<int64_t> sum = 0;
  std::set<std::string> seen;
  for (int i = 0; i < p.allocations_size(); ++i) {
    const auto& a = p.allocations(i);
    std::string f = absl::StrCat("payload.allocations[", i, "]");
    auto ids = ParseName(a.budget_line(), {"funds", "budgetLines"});
    if (!ids || absl::StrCat("funds/", (*ids)[0]) != c.fund()) {
      pv.Add(f + ".budget_line",
             absl::StrCat("must be a budget line of ", c.fund()));
    } else if (!seen.insert(a.budget_line()).second) {
      pv.Add(f + ".budget_line", "is listed twice");
    } else if (std::find(terms->budget_lines.begin(), terms->budget_lines.end(),
                         a.budget_line()) == terms->budget_lines.end()) {
      pv.Add(f + ".budget_line",
             absl::StrCat("is not a budget line ", c.round(),
                          " draws on; it draws on: ",
                          absl::StrJoin(terms->budget_lines, ", ")));
    }
    ValidateAmount(a.amount_pence(), f + ".amount_pence", &pv);
    if (sum) sum = AddPence(*sum, a.amount_pence());
  }
  if (pv.empty() && (!sum || *sum != p.amount_pence())) {
    pv.Add("payload.allocations",
           absl::StrCat("add up to ", sum ? FormatPounds(*sum) : "too much",
                        ", not the award of ", FormatPounds(p.amount_pence())));
  }
  if (!pv.empty()) return pv.ToStatus();
  RETURN_IF_ERROR(duties::Check(duties::Duty::kApproveAward, c.recommended_by(),
                                actor, c.name()));
  auto limit = call.principal.limits_pence.find("approve");
  int64_t allowed =
      limit == call.principal.limits_pence.end() ? 0 : limit->second;
  if (p.amount_pence() > allowed) {
    return Refuse(
        reasons::kDelegatedLimitExceeded,
        absl::StrCat(actor, " may approve up to ", FormatPounds(allowed),
                     ", not ", FormatPounds(p.amount_pence())),
        {{"limit_pence", absl::StrCat(allowed)}});
  }
  for (const auto& a : p.allocations()) {
    ASSIGN_OR_RETURN(auto line, LineFor(lines, a.budget_line()));
    wpb::LedgerLine& l = *line;
    int64_t available =
        l.ceiling_pence() - l.reserved_pence() - l.committed_pence();
    if (a.amount_pence() > available) {
      return Refuse(
          reasons::kBudgetExceeded,
          absl::StrCat(a.budget_line(), " has ", FormatPounds(available),
                       " available; ", FormatPounds(a.amount_pence()),
                       " would pass its ceiling of ",
                       FormatPounds(l.ceiling_pence())),
          {{"budget_line", a.budget_line()},
           {"available_pence", absl::StrCat(available)}});
    }
    l.set_reserved_pence(l.reserved_pence() + a.amount_pence());
    touched.insert(a.budget_line());
  }
  c.set_awarded_pence(p.amount_pence());
  *c.mutable_allocations() = p.allocations();
  for (auto& a : *c.mutable_allocations()) a.set_paid_pence(0);
  c.set_approved_by(actor);
  details = absl::StrCat("reserved ", FormatPounds(p.amount_pence()));
  return absl::OkStatus();
}

}  // namespace grantflow::workflows::handlers
