#include "services/programmes/programmes.h"

#include <algorithm>
#include <regex>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "platform/audit.h"
#include "platform/crud.h"
#include "platform/london.h"
#include "platform/money.h"
#include "platform/reasons.h"
#include "platform/resources.h"
#include "platform/status_macros.h"
#include "storage/key_coding.h"

namespace grantflow::programmes {
namespace {

std::string FundKey(const std::string& fund) {
  std::string k;
  storage::AppendString(&k, fund);
  return k;
}

std::string ChildKey(const std::string& fund, const std::string& child) {
  std::string k = FundKey(fund);
  storage::AppendString(&k, child);
  return k;
}

std::string FundName(const std::string& fund) {
  return absl::StrCat("funds/", fund);
}

void ValidateNewId(const std::string& id, const std::string& field,
                   errors::Violations* v) {
  if (!IsValidId(id)) {
    v->Add(field,
           "must be 1-63 characters of a-z, 0-9 and '-', not starting or "
           "ending with '-'");
  }
}

// Parses "funds/{fund}" or adds a violation.
std::optional<std::string> ParseFund(const std::string& name,
                                     const std::string& field,
                                     errors::Violations* v) {
  auto ids = ParseName(name, {"funds"});
  if (!ids) {
    v->Add(field, "must be a fund name: funds/{fund}");
    return std::nullopt;
  }
  return (*ids)[0];
}

// Parses "funds/{fund}/{collection}/{id}" or adds a violation.
std::optional<std::pair<std::string, std::string>> ParseChild(
    const std::string& name, absl::string_view collection,
    const std::string& field, errors::Violations* v) {
  auto ids = ParseName(name, {"funds", collection});
  if (!ids) {
    v->Add(field, absl::StrCat("must be a name of the form funds/{fund}/",
                               collection, "/{id}"));
    return std::nullopt;
  }
  return std::make_pair((*ids)[0], (*ids)[1]);
}

}  // namespace

void ValidateFund(const pb::Fund& fund, const std::string& prefix,
                  errors::Violations* v) {
  RequireText(fund.display_name(), prefix + ".display_name", 200, v);
  LimitText(fund.description(), prefix + ".description", 4000, v);
  LimitText(fund.funder_name(), prefix + ".funder_name", 200, v);
  static const std::regex kOrgId("^[A-Z]{2}-[A-Z]{2,6}-[A-Za-z0-9-]{1,40}$");
  if (!fund.funder_org_id().empty() &&
      !std::regex_match(fund.funder_org_id(), kOrgId)) {
    v->Add(prefix + ".funder_org_id",
           "must be an org-id.guide identifier such as GB-GOR-PC390");
  }
}

void ValidateBudgetLine(const pb::BudgetLine& line, const std::string& prefix,
                        errors::Violations* v) {
  RequireText(line.display_name(), prefix + ".display_name", 200, v);
  ValidateAmount(line.ceiling_pence(), prefix + ".ceiling_pence", v);
  static const std::regex kDecision("^(MD|DD|ADD)[0-9]{1,6}$");
  if (!std::regex_match(line.decision_ref(), kDecision)) {
    v->Add(prefix + ".decision_ref",
           "must be an approving decision reference: MD, DD or ADD followed "
           "by its number, e.g. MD2192");
  }
  static const std::regex kYear("^([0-9]{4})-([0-9]{2})$");
  std::smatch m;
  if (!std::regex_match(line.financial_year(), m, kYear) ||
      (std::stoi(m[1].str()) + 1) % 100 != std::stoi(m[2].str())) {
    v->Add(prefix + ".financial_year",
           "must name a financial year such as 2017-18");
  }
  LimitText(line.funding_source(), prefix + ".funding_source", 200, v);
  if (line.kind() == pb::BUDGET_LINE_KIND_UNSPECIFIED ||
      !pb::BudgetLineKind_IsValid(line.kind())) {
    v->Add(prefix + ".kind", "must be GRANTS, PROCUREMENT or OTHER");
  }
}

// Criteria ids are unique, weights add up to 100, scores are out of 1..100.
void ValidateCriteria(
    const google::protobuf::RepeatedPtrField<pb::Criterion>& criteria,
    const std::string& field, errors::Violations* v) {
  std::set<std::string> ids;
  int total_weight = 0;
  for (int i = 0; i < criteria.size(); ++i) {
    const pb::Criterion& c = criteria[i];
    std::string f = absl::StrCat(field, "[", i, "]");
    if (!IsValidId(c.id())) {
      v->Add(f + ".id", "must be a short id such as 'safeguarding'");
    } else if (!ids.insert(c.id()).second) {
      v->Add(f + ".id", absl::StrCat("'", c.id(), "' is used twice"));
    }
    RequireText(c.title(), f + ".title", 200, v);
    LimitText(c.description(), f + ".description", 2000, v);
    if (c.weight_percent() < 1 || c.weight_percent() > 100) {
      v->Add(f + ".weight_percent", "must be between 1 and 100");
    }
    if (c.max_score() < 1 || c.max_score() > 100) {
      v->Add(f + ".max_score", "must be between 1 and 100");
    }
    total_weight += std::clamp(c.weight_percent(), 0, 101);
  }
  if (criteria.size() > 30) v->Add(field, "must have at most 30 criteria");
  if (!criteria.empty() && total_weight != 100) {
    v->Add(field,
           absl::StrCat("weights must add up to 100, not ", total_weight));
  }
}

void ValidateEligibility(const pb::EligibilityRules& e,
                         const std::string& prefix, errors::Violations* v) {
  std::set<int> forms;
  for (int i = 0; i < e.legal_forms_size(); ++i) {
    const int form = e.legal_forms(i);
    std::string f = absl::StrCat(prefix, ".legal_forms[", i, "]");
    if (form == applications::v1::LEGAL_FORM_UNSPECIFIED ||
        !applications::v1::LegalForm_IsValid(form)) {
      v->Add(f, "must be a legal form such as REGISTERED_CHARITY");
    } else if (!forms.insert(form).second) {
      v->Add(f, "is listed twice");
    }
  }
  std::set<std::string> boroughs;
  for (int i = 0; i < e.boroughs_size(); ++i) {
    std::string f = absl::StrCat(prefix, ".boroughs[", i, "]");
    if (!IsLondonBorough(e.boroughs(i))) {
      v->Add(f, "must be a London borough or City of London");
    } else if (!boroughs.insert(e.boroughs(i)).second) {
      v->Add(f, "is listed twice");
    }
  }
  if (e.max_annual_income_pence() != 0) {
    ValidateAmount(e.max_annual_income_pence(),
                   prefix + ".max_annual_income_pence", v);
  }
}

void CheckRange(int32_t value, int32_t lo, int32_t hi, const std::string& field,
                errors::Violations* v) {
  if (value != 0 && (value < lo || value > hi)) {
    v->Add(field, absl::StrCat("must be between ", lo, " and ", hi,
                               " (or 0 for the default)"));
  }
}

void ValidateAssessmentRules(const pb::Round& round, const std::string& prefix,
                             errors::Violations* v) {
  const pb::AssessmentRules& a = round.assessment();
  CheckRange(a.assessors_per_application(), 1, 10,
             prefix + ".assessors_per_application", v);
  CheckRange(a.moderation_threshold_percent(), 1, 100,
             prefix + ".moderation_threshold_percent", v);
  CheckRange(a.assessment_days(), 1, 90, prefix + ".assessment_days", v);
  CheckRange(a.interview_weight_percent(), 1, 100,
             prefix + ".interview_weight_percent", v);
  CheckRange(a.panel_size(), 2, 10, prefix + ".panel_size", v);
  ValidateCriteria(a.interview_criteria(), prefix + ".interview_criteria", v);
  if (!round.interview_stage() &&
      (a.interview_criteria_size() > 0 || a.interview_weight_percent() != 0 ||
       a.panel_size() != 0)) {
    v->Add(prefix, "interview settings need a round with an interview stage");
  }
}

void ValidateRound(const pb::Round& round, const std::string& prefix,
                   errors::Violations* v) {
  RequireText(round.display_name(), prefix + ".display_name", 200, v);
  LimitText(round.description(), prefix + ".description", 4000, v);
  if (!round.has_open_time()) v->Add(prefix + ".open_time", "is required");
  if (!round.has_close_time()) v->Add(prefix + ".close_time", "is required");
  if (round.has_open_time() && round.has_close_time() &&
      FromProto(round.close_time()) <= FromProto(round.open_time())) {
    v->Add(prefix + ".close_time", "must be after open_time");
  }
  ValidateAmount(round.min_award_pence(), prefix + ".min_award_pence", v);
  ValidateAmount(round.max_award_pence(), prefix + ".max_award_pence", v);
  if (round.max_award_pence() < round.min_award_pence()) {
    v->Add(prefix + ".max_award_pence", "must be at least min_award_pence");
  }
  if (round.criteria().empty()) {
    v->Add(prefix + ".criteria",
           "at least one assessment criterion is required");
  }
  ValidateCriteria(round.criteria(), prefix + ".criteria", v);
  ValidateEligibility(round.eligibility(), prefix + ".eligibility", v);
  ValidateAssessmentRules(round, prefix + ".assessment", v);
  const std::string& def = round.lifecycle_definition();
  if (def == kStandardDefinition) {
    if (!round.interview_stage()) {
      v->Add(prefix + ".interview_stage",
             "must be true for the 'standard' lifecycle, which interviews "
             "shortlisted bids; use 'micro-grant' for rounds without one");
    }
  } else if (def == kMicroGrantDefinition) {
    if (round.interview_stage()) {
      v->Add(prefix + ".interview_stage",
             "must be false for the 'micro-grant' lifecycle, which has no "
             "interview stage");
    }
  } else {
    v->Add(prefix + ".lifecycle_definition",
           "must be 'standard' (with interviews) or 'micro-grant'");
  }
  if (round.budget_lines().empty()) {
    v->Add(prefix + ".budget_lines",
           "at least one budget line the round's awards draw on is required");
  }
}

Programmes::Programmes(storage::Store* store, LedgerClient* ledger)
    : store_(store),
      ledger_(ledger),
      funds_(store, "funds", "fund"),
      lines_(store, "budget_lines", "budget line"),
      rounds_(store, "rounds", "round") {}

absl::Status Programmes::RequireFund(const std::string& fund_id) const {
  ASSIGN_OR_RETURN(bool exists, funds_.Exists(FundKey(fund_id)));
  if (!exists) {
    return absl::NotFoundError(
        absl::StrCat("fund ", FundName(fund_id), " not found"));
  }
  return absl::OkStatus();
}

absl::Status Programmes::CheckRoundBudgetLines(const pb::Round& round,
                                               const std::string& fund_id,
                                               errors::Violations* v) const {
  std::set<std::string> seen;
  for (int i = 0; i < round.budget_lines_size(); ++i) {
    const std::string& name = round.budget_lines(i);
    std::string f = absl::StrCat("round.budget_lines[", i, "]");
    auto ids = ParseName(name, {"funds", "budgetLines"});
    if (!ids) {
      v->Add(f, "must be funds/{fund}/budgetLines/{line}");
      continue;
    }
    if ((*ids)[0] != fund_id) {
      v->Add(f, "must be a budget line of the round's own fund");
      continue;
    }
    if (!seen.insert(name).second) {
      v->Add(f, "is listed twice");
      continue;
    }
    ASSIGN_OR_RETURN(bool exists, lines_.Exists(ChildKey(fund_id, (*ids)[1])));
    if (!exists) v->Add(f, absl::StrCat("budget line ", name, " not found"));
  }
  return absl::OkStatus();
}

// ---- Funds ----

absl::StatusOr<pb::Fund> Programmes::CreateFund(
    const Call& call, const pb::CreateFundRequest& req) {
  errors::Violations v;
  ValidateNewId(req.fund_id(), "fund_id", &v);
  ValidateFund(req.fund(), "fund", &v);
  ValidateRequestId(req.request_id(), &v);
  if (!v.empty()) return v.ToStatus();
  Target t{FundKey(req.fund_id()), FundName(req.fund_id())};
  RETURN_IF_ERROR(RequireFundScope(call, auth::FundOf(t.name)));
  return CreateResource<pb::Fund>(
      *store_, funds_, call, req, req.request_id(), t, req.fund(),
      [](auto&, storage::WriteSet&) { return absl::OkStatus(); });
}

absl::StatusOr<pb::Fund> Programmes::GetFund(const Call& call,
                                             const pb::GetFundRequest& req) {
  errors::Violations v;
  auto fund = ParseFund(req.name(), "name", &v);
  if (!v.empty()) return v.ToStatus();
  ASSIGN_OR_RETURN(Versioned<pb::Fund> got,
                   funds_.Get(FundKey(*fund), req.name()));
  return got.msg;
}

absl::StatusOr<pb::ListFundsResponse> Programmes::ListFunds(
    const Call& call, const pb::ListFundsRequest& req) {
  errors::Violations v;
  Page page = ParsePage(req.page_size(), req.page_token(), "funds", &v);
  if (!v.empty()) return v.ToStatus();
  ASSIGN_OR_RETURN(Listed<pb::Fund> listed, funds_.List("", page, "funds"));
  pb::ListFundsResponse resp;
  for (auto& f : listed.items) *resp.add_funds() = std::move(f);
  resp.set_next_page_token(listed.next_page_token);
  return resp;
}

absl::StatusOr<pb::Fund> Programmes::UpdateFund(
    const Call& call, const pb::UpdateFundRequest& req) {
  errors::Violations v;
  auto fund = ParseFund(req.fund().name(), "fund.name", &v);
  CheckUpdateMask(
      req.update_mask(),
      {"display_name", "description", "funder_name", "funder_org_id"}, &v);
  ValidateRequestId(req.request_id(), &v);
  if (!v.empty()) return v.ToStatus();
  Target t{FundKey(*fund), req.fund().name()};
  RETURN_IF_ERROR(RequireFundScope(call, auth::FundOf(t.name)));
  return UpdateResource<pb::Fund>(
      *store_, funds_, call, req, req.request_id(), t, req.fund(),
      req.update_mask(), [](const pb::Fund& merged, storage::WriteSet&) {
        errors::Violations mv;
        ValidateFund(merged, "fund", &mv);
        return mv.ToStatus();
      });
}

// ---- Budget lines ----

absl::StatusOr<pb::BudgetLine> Programmes::CreateBudgetLine(
    const Call& call, const pb::CreateBudgetLineRequest& req) {
  errors::Violations v;
  auto fund = ParseFund(req.parent(), "parent", &v);
  ValidateNewId(req.budget_line_id(), "budget_line_id", &v);
  ValidateBudgetLine(req.budget_line(), "budget_line", &v);
  ValidateRequestId(req.request_id(), &v);
  if (!v.empty()) return v.ToStatus();
  Target t{ChildKey(*fund, req.budget_line_id()),
           absl::StrCat(req.parent(), "/budgetLines/", req.budget_line_id())};
  RETURN_IF_ERROR(RequireFundScope(call, auth::FundOf(t.name)));
  const std::string fund_id = *fund;
  ScopedLocks lock(line_locks_, {t.name});
  return CreateResource<pb::BudgetLine>(
      *store_, lines_, call, req, req.request_id(), t, req.budget_line(),
      [&](pb::BudgetLine& line, storage::WriteSet&) -> absl::Status {
        RETURN_IF_ERROR(RequireFund(fund_id));
        ASSIGN_OR_RETURN(
            int64_t gen,
            RegisterCeiling(t.name, line.ceiling_pence(), 0, call.now));
        line.set_ledger_generation(gen);
        return absl::OkStatus();
      });
}

absl::StatusOr<pb::BudgetLine> Programmes::GetBudgetLine(
    const Call& call, const pb::GetBudgetLineRequest& req) {
  errors::Violations v;
  auto ids = ParseChild(req.name(), "budgetLines", "name", &v);
  if (!v.empty()) return v.ToStatus();
  ASSIGN_OR_RETURN(auto got,
                   lines_.Get(ChildKey(ids->first, ids->second), req.name()));
  return got.msg;
}

absl::StatusOr<pb::ListBudgetLinesResponse> Programmes::ListBudgetLines(
    const Call& call, const pb::ListBudgetLinesRequest& req) {
  errors::Violations v;
  auto fund = ParseFund(req.parent(), "parent", &v);
  const std::string query = absl::StrCat("budgetLines:", req.parent());
  Page page = ParsePage(req.page_size(), req.page_token(), query, &v);
  if (!v.empty()) return v.ToStatus();
  RETURN_IF_ERROR(RequireFund(*fund));
  ASSIGN_OR_RETURN(auto listed, lines_.List(FundKey(*fund), page, query));
  pb::ListBudgetLinesResponse resp;
  for (auto& l : listed.items) *resp.add_budget_lines() = std::move(l);
  resp.set_next_page_token(listed.next_page_token);
  return resp;
}

absl::StatusOr<pb::BudgetLine> Programmes::UpdateBudgetLine(
    const Call& call, const pb::UpdateBudgetLineRequest& req) {
  errors::Violations v;
  auto ids = ParseChild(req.budget_line().name(), "budgetLines",
                        "budget_line.name", &v);
  CheckUpdateMask(req.update_mask(),
                  {"display_name", "ceiling_pence", "funding_source", "kind"},
                  &v);
  ValidateRequestId(req.request_id(), &v);
  if (!v.empty()) return v.ToStatus();
  const std::string& name = req.budget_line().name();
  Target t{ChildKey(ids->first, ids->second), name};
  RETURN_IF_ERROR(RequireFundScope(call, auth::FundOf(t.name)));
  // Held until the change is recorded, so the ledger sees one change of
  // this line at a time, in order.
  ScopedLocks lock(line_locks_, {name});
  ASSIGN_OR_RETURN(auto current, lines_.Get(t.key, name));
  return UpdateResource<pb::BudgetLine>(
      *store_, lines_, call, req, req.request_id(), t, req.budget_line(),
      req.update_mask(),
      [&](pb::BudgetLine& merged, storage::WriteSet&) -> absl::Status {
        errors::Violations mv;
        ValidateBudgetLine(merged, "budget_line", &mv);
        if (!mv.empty()) return mv.ToStatus();
        if (merged.ceiling_pence() == current.msg.ceiling_pence() &&
            merged.ledger_generation() > 0) {
          return absl::OkStatus();
        }
        // The ledger decides first: it refuses a ceiling below what it has
        // in use (CEILING_BELOW_USE), and then nothing is written here.
        ASSIGN_OR_RETURN(int64_t gen,
                         RegisterCeiling(name, merged.ceiling_pence(),
                                         merged.ledger_generation(), call.now));
        merged.set_ledger_generation(gen);
        return absl::OkStatus();
      });
}

absl::StatusOr<int64_t> Programmes::RegisterCeiling(const std::string& line,
                                                    int64_t ceiling,
                                                    int64_t local_generation,
                                                    absl::Time now) {
  int64_t base = local_generation;
  absl::StatusOr<workflow::v1::LedgerLine> held = ledger_->Get(line);
  if (held.ok()) {
    base = std::max(base, held->source_generation());
  } else if (!absl::IsNotFound(held.status())) {
    return held.status();
  }
  workflow::v1::RegisterBudgetLineRequest reg;
  reg.set_budget_line(line);
  reg.set_ceiling_pence(ceiling);
  reg.set_generation(base + 1);
  reg.set_request_id(absl::StrCat("ledger:", NewId(now), ":",
                                  absl::StrReplaceAll(line, {{"/", "."}}), ":",
                                  reg.generation()));
  absl::StatusOr<workflow::v1::LedgerLine> done = ledger_->Register(reg);
  if (errors::ReasonOf(done.status()) == reasons::kGenerationConflict ||
      (done.ok() && done->source_generation() != reg.generation())) {
    return absl::AbortedError(
        absl::StrCat("the ledger's record of ", line,
                     " changed while this change ran; send it again"));
  }
  if (absl::IsUnavailable(done.status()) ||
      absl::IsDeadlineExceeded(done.status())) {
    unsettled_ = true;  // it may have been applied: settle soon
  }
  if (!done.ok()) return done.status();
  return reg.generation();
}

absl::StatusOr<ReconcileReport> Programmes::ReconcileLedger(absl::Time now) {
  unsettled_ = false;
  ReconcileReport report;
  std::string after;
  for (;;) {
    ASSIGN_OR_RETURN(auto scan, store_->Scan(lines_.table(), "", after, 200));
    for (const storage::ScanRow& row : scan.rows) {
      ASSIGN_OR_RETURN(auto scanned, lines_.Decode(row.record));
      absl::Status s = ReconcileLine(row.key, scanned.msg.name(), now, &report);
      if (absl::IsInternal(s) || absl::IsDataLoss(s)) return s;
      if (!s.ok()) report.problems.push_back(std::string(s.message()));
    }
    if (!scan.more || scan.rows.empty()) break;
    after = scan.rows.back().key;
  }
  if (!report.problems.empty()) unsettled_ = true;
  return report;
}

absl::Status Programmes::ReconcileLine(const std::string& key,
                                       const std::string& name, absl::Time now,
                                       ReconcileReport* report) {
  ScopedLocks lock(line_locks_, {name});
  ASSIGN_OR_RETURN(auto local, lines_.Get(key, name));
  ++report->checked;
  pb::BudgetLine line = local.msg;
  absl::StatusOr<workflow::v1::LedgerLine> held = ledger_->Get(name);
  if (!held.ok() && !absl::IsNotFound(held.status())) {
    return absl::UnavailableError(absl::StrCat(
        name, ": the ledger cannot be asked: ", held.status().message()));
  }
  const int64_t ledger_gen = held.ok() ? held->source_generation() : 0;
  if (held.ok() && ledger_gen == line.ledger_generation() &&
      held->ceiling_pence() == line.ceiling_pence()) {
    return absl::OkStatus();  // they agree
  }
  Call call;
  call.principal.user = "grantflowd:ledger-reconcile";
  call.method = "programmes/reconcile-ledger";
  call.now = now;
  if (held.ok() && ledger_gen > line.ledger_generation()) {
    // The ledger accepted a ceiling that was never recorded here (this
    // service stopped in between): the ledger is the authority, adopt it.
    const int64_t was = line.ceiling_pence();
    line.set_ceiling_pence(held->ceiling_pence());
    line.set_ledger_generation(ledger_gen);
    *line.mutable_update_time() = ToProto(now);
    storage::WriteSet w;
    lines_.Replace(w, key, line, local.version);
    AuditChange(
        w, call, name, "",
        absl::StrCat("ceiling settled from the ledger: ", FormatPounds(was),
                     " -> ", FormatPounds(line.ceiling_pence()),
                     " (generation ", ledger_gen, ")"));
    RETURN_IF_ERROR(store_->Commit(w));
    ++report->adopted;
    return absl::OkStatus();
  }
  // The ledger holds an older ceiling, or none: send it this one. A line
  // recorded before generations existed gets a fresh one.
  if (line.ledger_generation() <= ledger_gen) {
    ASSIGN_OR_RETURN(int64_t gen,
                     RegisterCeiling(name, line.ceiling_pence(),
                                     line.ledger_generation(), now));
    line.set_ledger_generation(gen);
    storage::WriteSet w;
    lines_.Replace(w, key, line, local.version);
    AuditChange(w, call, name, "",
                absl::StrCat("ceiling registered with the ledger (generation ",
                             gen, ")"));
    RETURN_IF_ERROR(store_->Commit(w));
  } else {
    workflow::v1::RegisterBudgetLineRequest reg;
    reg.set_budget_line(name);
    reg.set_ceiling_pence(line.ceiling_pence());
    reg.set_generation(line.ledger_generation());
    reg.set_request_id(absl::StrCat("reconcile:", NewId(now)));
    absl::StatusOr<workflow::v1::LedgerLine> done = ledger_->Register(reg);
    if (!done.ok()) {
      return absl::FailedPreconditionError(
          absl::StrCat(name, ": the ledger refused this line's ceiling: ",
                       done.status().message()));
    }
  }
  ++report->pushed;
  return absl::OkStatus();
}

// ---- Rounds ----

absl::StatusOr<pb::Round> Programmes::CreateRound(
    const Call& call, const pb::CreateRoundRequest& req) {
  errors::Violations v;
  auto fund = ParseFund(req.parent(), "parent", &v);
  ValidateNewId(req.round_id(), "round_id", &v);
  ValidateRound(req.round(), "round", &v);
  ValidateRequestId(req.request_id(), &v);
  if (!v.empty()) return v.ToStatus();
  Target t{ChildKey(*fund, req.round_id()),
           absl::StrCat(req.parent(), "/rounds/", req.round_id())};
  RETURN_IF_ERROR(RequireFundScope(call, auth::FundOf(t.name)));
  const std::string fund_id = *fund;
  return CreateResource<pb::Round>(
      *store_, rounds_, call, req, req.request_id(), t, req.round(),
      [&](pb::Round&, storage::WriteSet&) {
        RETURN_IF_ERROR(RequireFund(fund_id));
        errors::Violations lv;
        RETURN_IF_ERROR(CheckRoundBudgetLines(req.round(), fund_id, &lv));
        return lv.ToStatus();
      });
}

absl::StatusOr<pb::Round> Programmes::GetRound(const Call& call,
                                               const pb::GetRoundRequest& req) {
  errors::Violations v;
  auto ids = ParseChild(req.name(), "rounds", "name", &v);
  if (!v.empty()) return v.ToStatus();
  ASSIGN_OR_RETURN(auto got,
                   rounds_.Get(ChildKey(ids->first, ids->second), req.name()));
  return got.msg;
}

absl::StatusOr<pb::ListRoundsResponse> Programmes::ListRounds(
    const Call& call, const pb::ListRoundsRequest& req) {
  errors::Violations v;
  auto fund = ParseFund(req.parent(), "parent", &v);
  const std::string query = absl::StrCat("rounds:", req.parent());
  Page page = ParsePage(req.page_size(), req.page_token(), query, &v);
  if (!v.empty()) return v.ToStatus();
  RETURN_IF_ERROR(RequireFund(*fund));
  ASSIGN_OR_RETURN(auto listed, rounds_.List(FundKey(*fund), page, query));
  pb::ListRoundsResponse resp;
  for (auto& r : listed.items) *resp.add_rounds() = std::move(r);
  resp.set_next_page_token(listed.next_page_token);
  return resp;
}

absl::StatusOr<pb::Round> Programmes::UpdateRound(
    const Call& call, const pb::UpdateRoundRequest& req) {
  errors::Violations v;
  auto ids = ParseChild(req.round().name(), "rounds", "round.name", &v);
  CheckUpdateMask(req.update_mask(),
                  {"display_name", "description", "open_time", "close_time",
                   "min_award_pence", "max_award_pence", "criteria",
                   "budget_lines", "eligibility", "assessment"},
                  &v);
  ValidateRequestId(req.request_id(), &v);
  if (!v.empty()) return v.ToStatus();
  Target t{ChildKey(ids->first, ids->second), req.round().name()};
  RETURN_IF_ERROR(RequireFundScope(call, auth::FundOf(t.name)));
  const std::string fund_id = ids->first;
  return UpdateResource<pb::Round>(
      *store_, rounds_, call, req, req.request_id(), t, req.round(),
      req.update_mask(),
      [&](pb::Round& merged, storage::WriteSet&) -> absl::Status {
        errors::Violations mv;
        ValidateRound(merged, "round", &mv);
        RETURN_IF_ERROR(CheckRoundBudgetLines(merged, fund_id, &mv));
        return mv.ToStatus();
      });
}

}  // namespace grantflow::programmes
