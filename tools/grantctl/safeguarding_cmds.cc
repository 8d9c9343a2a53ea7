// grantctl commands for SafeguardingService: a safeguarding officer works a
// check through item by item, keeps its DBS records, concludes it and clears
// its conditions; a grants officer may mark a check required; anyone allowed
// reads who has looked at a check.
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "grantflow/safeguarding/v1/safeguarding.grpc.pb.h"
#include "tools/grantctl/commands.h"
#include "tools/grantctl/helpers.h"

namespace grantflow::grantctl {
namespace {

namespace gpb = ::grantflow::safeguarding::v1;
// OutcomeFlag's values.
static_assert(gpb::ConcludeCheckRequest::PASSED == 1 &&
              gpb::ConcludeCheckRequest::PASSED_WITH_CONDITIONS == 2 &&
              gpb::ConcludeCheckRequest::FAILED == 3);

void CheckDetail(const gpb::SafeguardingCheck& c, std::ostream& out) {
  out << c.name() << "  " << gpb::SafeguardingCheck::State_Name(c.state())
      << "  (etag " << c.etag() << ")\n"
      << "  project:       " << c.project_title() << " — "
      << c.organisation_name() << " (" << c.case_() << ")\n";
  if (!c.required_because().empty()) {
    out << "  required:      " << c.required_because() << "\n";
  }
  Table items({"ITEM", "RESULT", "BY", "DETAIL", "NOTES"});
  for (const auto& it : c.items()) {
    std::vector<std::string> detail;
    if (!it.policy_reviewed_date().empty()) {
      detail.push_back("reviewed " + it.policy_reviewed_date());
    }
    if (!it.lead_name().empty()) {
      detail.push_back(it.lead_name() + ", " + it.lead_role());
    }
    if (!it.training_date().empty()) {
      detail.push_back("trained " + it.training_date());
    }
    if (!it.evidence().empty()) {
      detail.push_back("evidence " + absl::StrJoin(it.evidence(), ", "));
    }
    items.Add({gpb::ItemKind_Name(it.kind()),
               it.result() == gpb::RESULT_UNSPECIFIED
                   ? "to do"
                   : gpb::ItemResult_Name(it.result()),
               it.recorded_by().empty() ? "-" : it.recorded_by(),
               absl::StrJoin(detail, "; "), it.notes()});
  }
  items.Print(out);
  out << "  DBS records:   " << c.dbs_records()
      << (c.dbs_purged() ? " (purged " + When(c.dbs_purge_time()) + ")"
          : c.has_dbs_purge_time()
              ? " (to be purged " + When(c.dbs_purge_time()) + ")"
              : "")
      << "\n";
  for (const auto& k : c.conditions()) {
    out << "  condition:     " << k.id() << " ("
        << (k.open() ? "open" : "cleared by " + k.cleared_by())
        << "): " << k.description() << "\n";
  }
  if (!c.decided_by().empty()) {
    out << "  concluded:     by " << c.decided_by() << " on "
        << When(c.decide_time())
        << (c.outcome_reason().empty() ? "" : ": " + c.outcome_reason())
        << "\n";
  }
}

std::optional<std::string> ItemFromFlags(Cli& cli, gpb::Item* it) {
  gpb::ItemKind kind;
  if (!gpb::ItemKind_Parse(absl::AsciiStrToUpper(cli.args().Get("item")),
                           &kind)) {
    return "--item must be policy, designated_lead, dbs_checks, training or "
           "incident_reporting";
  }
  it->set_kind(kind);
  const bool ok = cli.args().Has("satisfactory");
  if (ok == cli.args().Has("unsatisfactory")) {
    return "say --satisfactory or --unsatisfactory";
  }
  it->set_result(ok ? gpb::SATISFACTORY : gpb::UNSATISFACTORY);
  for (const std::string& e : cli.args().GetAll("evidence")) {
    it->add_evidence(e);
  }
  it->set_notes(cli.args().Get("notes"));
  it->set_policy_reviewed_date(cli.args().Get("reviewed"));
  it->set_lead_name(cli.args().Get("lead-name"));
  it->set_lead_role(cli.args().Get("lead-role"));
  it->set_training_date(cli.args().Get("trained"));
  return std::nullopt;
}

constexpr char kUsage[] =
    "safeguarding list --state OPEN|NOT_REQUIRED|PASSED|... [--all]"
    " | get CHECK | access CHECK\n"
    "  | require CHECK --reason T          (a grants officer may, too)\n"
    "  | record CHECK --item ITEM (--satisfactory | --unsatisfactory)\n"
    "           [--evidence REF ...] [--notes T] [--reviewed YYYY-MM-DD]\n"
    "           [--lead-name N --lead-role R] [--trained YYYY-MM-DD]\n"
    "  | dbs add CHECK --id ID --certificate 12DIGITS --issued YYYY-MM-DD\n"
    "           --level basic|standard|enhanced|enhanced_with_barred_lists\n"
    "           --role R --decision suitable|suitable_with_risk_assessment|"
    "not_suitable\n"
    "  | dbs list CHECK\n"
    "  | conclude CHECK (--passed | --failed --reason T |\n"
    "                  --conditions --condition ID:TEXT ... --reason T)\n"
    "  | clear CHECK --condition ID --note T";

}  // namespace

int SafeguardingCommand(Cli& cli) {
  auto stub = gpb::SafeguardingService::NewStub(cli.channel("safeguarding"));
  const std::string verb = Arg(cli, 1);
  gpb::SafeguardingCheck out;
  auto show = [&](const grpc::Status& s, const gpb::SafeguardingCheck& c) {
    return Show<gpb::SafeguardingCheck>(cli, s, c, CheckDetail);
  };
  if (verb == "list") {
    gpb::ListChecksRequest req;
    gpb::SafeguardingCheck::State st;
    if (!gpb::SafeguardingCheck::State_Parse(
            absl::AsciiStrToUpper(cli.args().Get("state")), &st)) {
      return cli.Usage("--state must be a check state, e.g. OPEN");
    }
    req.set_state(st);
    return ListPages<gpb::ListChecksRequest, gpb::ListChecksResponse,
                     gpb::SafeguardingCheck>(
        cli, req,
        [&](auto* c, const auto& r, auto* o) {
          return stub->ListChecks(c, r, o);
        },
        [](const auto& r) -> const auto& { return r.checks(); },
        Table({"CHECK", "STATE", "ORGANISATION", "PROJECT", "DBS RECORDS"}),
        [](Table& t, const gpb::SafeguardingCheck& c) {
          t.Add({c.name(), gpb::SafeguardingCheck::State_Name(c.state()),
                 c.organisation_name(), c.project_title(),
                 absl::StrCat(c.dbs_records())});
        });
  }
  if (verb == "dbs") {
    const std::string what = Arg(cli, 2);
    const std::string name = NameIn("safeguardingChecks", Arg(cli, 3));
    if (what == "list") {
      gpb::ListDbsRecordsRequest req;
      req.set_check(name);
      gpb::ListDbsRecordsResponse resp;
      auto ctx = cli.Context();
      return Show<gpb::ListDbsRecordsResponse>(
          cli, stub->ListDbsRecords(ctx.get(), req, &resp), resp,
          [](const gpb::ListDbsRecordsResponse& r, std::ostream& o) {
            Table t({"RECORD", "CERTIFICATE", "ISSUED", "LEVEL", "ROLE",
                     "DECISION", "BY"});
            for (const auto& d : r.records()) {
              t.Add({d.name().substr(d.name().rfind('/') + 1),
                     d.certificate_number(), d.issue_date(),
                     gpb::DbsLevel_Name(d.level()), d.role(),
                     gpb::DbsRecord::Decision_Name(d.decision()),
                     d.recorded_by()});
            }
            t.Print(o);
          });
    }
    if (what == "add") {
      gpb::AddDbsRecordRequest req;
      req.set_check(name);
      req.set_record_id(cli.args().Get("id"));
      gpb::DbsRecord* r = req.mutable_record();
      r->set_certificate_number(cli.args().Get("certificate"));
      r->set_issue_date(cli.args().Get("issued"));
      gpb::DbsLevel level;
      if (!gpb::DbsLevel_Parse(absl::AsciiStrToUpper(cli.args().Get("level")),
                               &level)) {
        return cli.Usage(
            "--level must be basic, standard, enhanced or "
            "enhanced_with_barred_lists");
      }
      r->set_level(level);
      r->set_role(cli.args().Get("role"));
      gpb::DbsRecord::Decision decision;
      if (!gpb::DbsRecord::Decision_Parse(
              absl::AsciiStrToUpper(cli.args().Get("decision")), &decision)) {
        return cli.Usage(
            "--decision must be suitable, suitable_with_risk_assessment or "
            "not_suitable");
      }
      r->set_decision(decision);
      req.set_request_id(cli.RequestId());
      gpb::AddDbsRecordResponse resp;
      auto ctx = cli.Context();
      return Show<gpb::AddDbsRecordResponse>(
          cli, stub->AddDbsRecord(ctx.get(), req, &resp), resp,
          [](const gpb::AddDbsRecordResponse& r, std::ostream& o) {
            o << r.name() << " added; the check holds " << r.dbs_records()
              << " DBS record(s)\n";
          });
    }
    return cli.Usage(kUsage);
  }
  const std::string name = NameIn("safeguardingChecks", Arg(cli, 2));
  if (verb == "get") {
    gpb::GetCheckRequest req;
    req.set_name(name);
    auto ctx = cli.Context();
    return show(stub->GetCheck(ctx.get(), req, &out), out);
  }
  if (verb == "access") {
    gpb::ListAccessLogRequest req;
    req.set_check(name);
    return ListPages<gpb::ListAccessLogRequest, gpb::ListAccessLogResponse,
                     gpb::AccessEntry>(
        cli, req,
        [&](auto* c, const auto& r, auto* o) {
          return stub->ListAccessLog(c, r, o);
        },
        [](const auto& r) -> const auto& { return r.entries(); },
        Table({"WHEN (UTC)", "WHO", "HOW"}),
        [](Table& t, const gpb::AccessEntry& e) {
          t.Add({When(e.time()), e.user(), e.method()});
        });
  }
  if (verb == "require") {
    gpb::MarkRequiredRequest req;
    req.set_check(name);
    req.set_reason(cli.args().Get("reason"));
    req.set_request_id(cli.RequestId());
    gpb::MarkRequiredResponse resp;
    auto ctx = cli.Context();
    return Show<gpb::MarkRequiredResponse>(
        cli, stub->MarkRequired(ctx.get(), req, &resp), resp,
        [](const gpb::MarkRequiredResponse& r, std::ostream& o) {
          o << r.check() << ": safeguarding now required\n";
        });
  }
  if (verb == "record") {
    gpb::RecordItemRequest req;
    req.set_check(name);
    if (auto err = ItemFromFlags(cli, req.mutable_item())) {
      return cli.Usage(*err);
    }
    req.set_etag(cli.args().Get("etag"));
    req.set_request_id(cli.RequestId());
    auto ctx = cli.Context();
    return show(stub->RecordItem(ctx.get(), req, &out), out);
  }
  if (verb == "conclude") {
    gpb::ConcludeCheckRequest req;
    req.set_check(name);
    const int outcome = OutcomeFlag(cli);
    if (outcome == 0) {
      return cli.Usage("say one of --passed, --conditions, --failed");
    }
    req.set_outcome(static_cast<gpb::ConcludeCheckRequest::Outcome>(outcome));
    for (const std::string& k : cli.args().GetAll("condition")) {
      std::vector<std::string> parts =
          absl::StrSplit(k, absl::MaxSplits(':', 1));
      if (parts.size() != 2) {
        return cli.Usage("--condition must be ID:TEXT");
      }
      auto* c = req.add_conditions();
      c->set_id(parts[0]);
      c->set_description(parts[1]);
    }
    req.set_reason(cli.args().Get("reason"));
    req.set_etag(cli.args().Get("etag"));
    req.set_request_id(cli.RequestId());
    auto ctx = cli.Context();
    return show(stub->ConcludeCheck(ctx.get(), req, &out), out);
  }
  if (verb == "clear") {
    gpb::ClearConditionRequest req;
    req.set_check(name);
    req.set_condition_id(cli.args().Get("condition"));
    req.set_note(cli.args().Get("note"));
    req.set_request_id(cli.RequestId());
    auto ctx = cli.Context();
    return show(stub->ClearCondition(ctx.get(), req, &out), out);
  }
  return cli.Usage(kUsage);
}

}  // namespace grantflow::grantctl
