// grantctl commands for DueDiligenceService: an officer works a check
// through item by item, concludes it, and clears its conditions; an
// approver decides a referred failure; an admin sets the policy.
#include <optional>

#include "absl/strings/numbers.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "grantflow/duediligence/v1/duediligence.grpc.pb.h"
#include "platform/money.h"
#include "tools/grantctl/commands.h"
#include "tools/grantctl/helpers.h"

namespace grantflow::grantctl {
namespace {

namespace dpb = ::grantflow::duediligence::v1;
// OutcomeFlag's values.
static_assert(dpb::ConcludeCheckRequest::PASSED == 1 &&
              dpb::ConcludeCheckRequest::PASSED_WITH_CONDITIONS == 2 &&
              dpb::ConcludeCheckRequest::FAILED == 3);

std::string Result(const dpb::Item& it) {
  if (it.result() == dpb::RESULT_UNSPECIFIED) return "to do";
  return dpb::ItemResult_Name(it.result());
}

// What the item's own fields say, in a few words.
std::string ItemFacts(const dpb::Item& it) {
  std::vector<std::string> out;
  if (!it.registration_number().empty()) {
    out.push_back("registered " + it.registration_number());
  }
  if (it.board_members() > 0) {
    out.push_back(absl::StrCat(it.board_members(), " on the board"));
  }
  if (!it.accounts_year_end().empty()) {
    out.push_back(absl::StrCat("accounts to ", it.accounts_year_end(), ", ",
                               FormatPounds(it.accounts_income_pence()),
                               " income"));
  }
  if (it.kind() == dpb::FINANCIAL_HEALTH && !it.recorded_by().empty()) {
    out.push_back(absl::StrCat(it.reserves_months(), " months' reserves"));
  }
  if (it.risk_rating() != dpb::RISK_RATING_UNSPECIFIED) {
    out.push_back("risk " + dpb::RiskRating_Name(it.risk_rating()));
  }
  if (!it.evidence().empty()) {
    out.push_back("evidence " + absl::StrJoin(it.evidence(), ", "));
  }
  return absl::StrJoin(out, "; ");
}

void CheckDetail(const dpb::DueDiligenceCheck& c, std::ostream& out) {
  out << c.name() << "  " << dpb::DueDiligenceCheck::State_Name(c.state())
      << "  " << dpb::Tier_Name(c.tier()) << " tier  (etag " << c.etag()
      << ")\n"
      << "  award:         " << FormatPounds(c.awarded_pence()) << " from "
      << c.round() << " (" << c.case_() << ")\n"
      << "  organisation:  " << c.organisation_name() << " ("
      << c.organisation() << ")"
      << (c.charity_number().empty() ? "" : ", charity " + c.charity_number())
      << (c.company_number().empty() ? "" : ", company " + c.company_number())
      << "\n"
      << "  period:        " << c.period_start() << " to " << c.period_end()
      << "\n";
  if (!c.relied_on().empty()) {
    out << "  relies on:     " << c.relied_on() << "\n";
  }
  Table items({"ITEM", "RESULT", "EVIDENCE?", "BY", "DETAIL", "NOTES"});
  for (const auto& it : c.items()) {
    items.Add({dpb::ItemKind_Name(it.kind()), Result(it),
               it.evidence_required() ? "required" : "-",
               it.recorded_by().empty() ? "-" : it.recorded_by(), ItemFacts(it),
               it.notes()});
  }
  items.Print(out);
  for (const auto& m : c.duplicates()) {
    out << "  overlaps:      " << m.check() << " — " << m.fund() << ", "
        << FormatPounds(m.awarded_pence()) << ", " << m.period_start() << " to "
        << m.period_end() << " (" << m.case_state() << "; same "
        << m.matched_on() << ")\n";
  }
  for (const auto& k : c.conditions()) {
    out << "  condition:     " << k.id() << " ("
        << (k.open() ? "open" : "cleared by " + k.cleared_by())
        << "; cleared by a " << k.clear_role() << "): " << k.description()
        << "\n";
  }
  if (!c.reviewed_by().empty()) {
    out << "  concluded:     by " << c.reviewed_by() << " on "
        << When(c.decide_time())
        << (c.outcome_reason().empty() ? "" : ": " + c.outcome_reason())
        << "\n";
  }
  if (!c.referral_decided_by().empty()) {
    out << "  referral:      " << (c.overridden() ? "overridden" : "upheld")
        << " by " << c.referral_decided_by() << ": " << c.referral_reason()
        << "\n";
  }
  if (c.has_valid_until()) {
    out << "  valid until:   " << When(c.valid_until()) << "\n";
  }
}

Table CheckTable() {
  return Table(
      {"CHECK", "STATE", "TIER", "ORGANISATION", "AWARD", "TO DO", "OVERLAPS"});
}
void CheckRow(Table& t, const dpb::DueDiligenceCheck& c) {
  int todo = 0;
  for (const auto& it : c.items()) {
    todo += it.result() == dpb::RESULT_UNSPECIFIED;
  }
  t.Add({c.name(), dpb::DueDiligenceCheck::State_Name(c.state()),
         dpb::Tier_Name(c.tier()), c.organisation_name(),
         FormatPounds(c.awarded_pence()), absl::StrCat(todo),
         absl::StrCat(c.duplicates_size())});
}

// Fills an item from flags; returns a usage message on error.
std::optional<std::string> ItemFromFlags(Cli& cli, dpb::Item* it) {
  dpb::ItemKind kind;
  if (!dpb::ItemKind_Parse(absl::AsciiStrToUpper(cli.args().Get("item")),
                           &kind)) {
    return "--item must be legal_status, governance, accounts, "
           "financial_health, bank_account, fraud_risk or duplicate_funding";
  }
  it->set_kind(kind);
  const bool ok = cli.args().Has("satisfactory");
  if (ok == cli.args().Has("unsatisfactory")) {
    return "say --satisfactory or --unsatisfactory";
  }
  it->set_result(ok ? dpb::SATISFACTORY : dpb::UNSATISFACTORY);
  for (const std::string& e : cli.args().GetAll("evidence")) {
    it->add_evidence(e);
  }
  it->set_notes(cli.args().Get("notes"));
  it->set_registration_number(cli.args().Get("registration"));
  it->set_accounts_year_end(cli.args().Get("year-end"));
  auto number = [&](const char* flag, auto set) -> std::optional<std::string> {
    if (!cli.args().Has(flag)) return std::nullopt;
    int64_t n = 0;
    if (!absl::SimpleAtoi(cli.args().Get(flag), &n)) {
      return absl::StrCat("--", flag, " must be a whole number");
    }
    set(n);
    return std::nullopt;
  };
  for (auto err :
       {number("board",
               [&](int64_t n) { it->set_board_members(static_cast<int>(n)); }),
        number("income-pence",
               [&](int64_t n) { it->set_accounts_income_pence(n); }),
        number("reserves-months", [&](int64_t n) {
          it->set_reserves_months(static_cast<int>(n));
        })}) {
    if (err) return err;
  }
  if (cli.args().Has("risk")) {
    dpb::RiskRating r;
    if (!dpb::RiskRating_Parse(absl::AsciiStrToUpper(cli.args().Get("risk")),
                               &r)) {
      return "--risk must be green, amber or red";
    }
    it->set_risk_rating(r);
  }
  return std::nullopt;
}

constexpr char kUsage[] =
    "dd list --state OPEN|REFERRED|PASSED|PASSED_WITH_CONDITIONS|FAILED|CLOSED"
    " [--all] | get CHECK\n"
    "  | record CHECK --item ITEM (--satisfactory | --unsatisfactory)\n"
    "           [--evidence REF ...] [--notes T] [--registration NUMBER]\n"
    "           [--board N] [--year-end YYYY-MM-DD --income-pence N]\n"
    "           [--reserves-months N] [--risk green|amber|red] [--etag E]\n"
    "  | duplicates CHECK                      search again for overlaps\n"
    "  | conclude CHECK (--passed | --failed --reason T |\n"
    "                  --conditions --condition ID:ROLE:TEXT ... --reason T)\n"
    "  | referral CHECK (--uphold | --override) --reason T\n"
    "  | clear CHECK --condition ID --note T\n"
    "  | policy [--standard-from-pence N --enhanced-from-pence N\n"
    "            --validity-days N]";

}  // namespace

int DueDiligenceCommand(Cli& cli) {
  auto stub = dpb::DueDiligenceService::NewStub(cli.channel("duediligence"));
  const std::string verb = Arg(cli, 1);
  const std::string name = NameIn("dueDiligenceChecks", Arg(cli, 2));
  dpb::DueDiligenceCheck out;
  auto show = [&](const grpc::Status& s, const dpb::DueDiligenceCheck& c) {
    return Show<dpb::DueDiligenceCheck>(cli, s, c, CheckDetail);
  };
  if (verb == "list") {
    dpb::ListChecksRequest req;
    dpb::DueDiligenceCheck::State st;
    if (!dpb::DueDiligenceCheck::State_Parse(
            absl::AsciiStrToUpper(cli.args().Get("state")), &st)) {
      return cli.Usage("--state must be a check state, e.g. OPEN or REFERRED");
    }
    req.set_state(st);
    return ListPages<dpb::ListChecksRequest, dpb::ListChecksResponse,
                     dpb::DueDiligenceCheck>(
        cli, req,
        [&](auto* c, const auto& r, auto* o) {
          return stub->ListChecks(c, r, o);
        },
        [](const auto& r) -> const auto& { return r.checks(); }, CheckTable(),
        CheckRow);
  }
  if (verb == "get") {
    dpb::GetCheckRequest req;
    req.set_name(name);
    auto ctx = cli.Context();
    return show(stub->GetCheck(ctx.get(), req, &out), out);
  }
  if (verb == "record") {
    dpb::RecordItemRequest req;
    req.set_check(name);
    if (auto err = ItemFromFlags(cli, req.mutable_item())) {
      return cli.Usage(*err);
    }
    req.set_etag(cli.args().Get("etag"));
    req.set_request_id(cli.RequestId());
    auto ctx = cli.Context();
    return show(stub->RecordItem(ctx.get(), req, &out), out);
  }
  if (verb == "duplicates") {
    dpb::RunDuplicateCheckRequest req;
    req.set_check(name);
    req.set_request_id(cli.RequestId());
    auto ctx = cli.Context();
    return show(stub->RunDuplicateCheck(ctx.get(), req, &out), out);
  }
  if (verb == "conclude") {
    dpb::ConcludeCheckRequest req;
    req.set_check(name);
    const int outcome = OutcomeFlag(cli);
    if (outcome == 0) {
      return cli.Usage("say one of --passed, --conditions, --failed");
    }
    req.set_outcome(static_cast<dpb::ConcludeCheckRequest::Outcome>(outcome));
    for (const std::string& k : cli.args().GetAll("condition")) {
      std::vector<std::string> parts =
          absl::StrSplit(k, absl::MaxSplits(':', 2));
      if (parts.size() != 3) {
        return cli.Usage(
            "--condition must be ID:ROLE:TEXT, e.g. "
            "bank-letter:finance_officer:a bank letter for the account");
      }
      auto* c = req.add_conditions();
      c->set_id(parts[0]);
      c->set_clear_role(parts[1]);
      c->set_description(parts[2]);
    }
    req.set_reason(cli.args().Get("reason"));
    req.set_etag(cli.args().Get("etag"));
    req.set_request_id(cli.RequestId());
    auto ctx = cli.Context();
    return show(stub->ConcludeCheck(ctx.get(), req, &out), out);
  }
  if (verb == "referral") {
    dpb::DecideReferralRequest req;
    req.set_check(name);
    if (cli.args().Has("uphold") == cli.args().Has("override")) {
      return cli.Usage("say --uphold or --override, with --reason T");
    }
    req.set_decision(cli.args().Has("uphold")
                         ? dpb::DecideReferralRequest::UPHOLD
                         : dpb::DecideReferralRequest::OVERRIDE);
    req.set_reason(cli.args().Get("reason"));
    req.set_etag(cli.args().Get("etag"));
    req.set_request_id(cli.RequestId());
    auto ctx = cli.Context();
    return show(stub->DecideReferral(ctx.get(), req, &out), out);
  }
  if (verb == "clear") {
    dpb::ClearConditionRequest req;
    req.set_check(name);
    req.set_condition_id(cli.args().Get("condition"));
    req.set_note(cli.args().Get("note"));
    req.set_request_id(cli.RequestId());
    auto ctx = cli.Context();
    return show(stub->ClearCondition(ctx.get(), req, &out), out);
  }
  if (verb == "policy") {
    dpb::Policy policy;
    auto ctx = cli.Context();
    grpc::Status s =
        stub->GetPolicy(ctx.get(), dpb::GetPolicyRequest(), &policy);
    if (!s.ok()) return cli.Fail(s);
    const bool change = cli.args().Has("standard-from-pence") ||
                        cli.args().Has("enhanced-from-pence") ||
                        cli.args().Has("validity-days");
    if (change) {
      dpb::UpdatePolicyRequest req;
      *req.mutable_policy() = policy;
      int64_t n = 0;
      for (const char* flag :
           {"standard-from-pence", "enhanced-from-pence", "validity-days"}) {
        if (!cli.args().Has(flag)) continue;
        if (!absl::SimpleAtoi(cli.args().Get(flag), &n)) {
          return cli.Usage(absl::StrCat("--", flag, " must be a whole number"));
        }
        const std::string f = flag;
        if (f == "standard-from-pence") {
          req.mutable_policy()->set_standard_from_pence(n);
        } else if (f == "enhanced-from-pence") {
          req.mutable_policy()->set_enhanced_from_pence(n);
        } else {
          req.mutable_policy()->set_validity_days(static_cast<int>(n));
        }
      }
      req.set_request_id(cli.RequestId());
      auto ctx2 = cli.Context();
      s = stub->UpdatePolicy(ctx2.get(), req, &policy);
    }
    return Show<dpb::Policy>(
        cli, s, policy, [](const dpb::Policy& p, std::ostream& o) {
          o << "STANDARD tier from " << FormatPounds(p.standard_from_pence())
            << ", ENHANCED from " << FormatPounds(p.enhanced_from_pence())
            << "; a pass is relied on for " << p.validity_days()
            << " days (etag " << p.etag() << ")\n";
        });
  }
  return cli.Usage(kUsage);
}

}  // namespace grantflow::grantctl
