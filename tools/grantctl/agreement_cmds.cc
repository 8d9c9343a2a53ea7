// grantctl commands for AgreementService: the fund's template, a grant's
// funding agreement drafted, issued, read, signed for the recipient and
// countersigned for the funder, varied or terminated; and the monitoring
// reports the recipient submits and the grants team accepts or returns.
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "grantflow/agreements/v1/agreements.grpc.pb.h"
#include "platform/money.h"
#include "tools/grantctl/commands.h"
#include "tools/grantctl/helpers.h"

namespace grantflow::grantctl {
namespace {

namespace gpb = ::grantflow::agreements::v1;

std::string Due(const gpb::Instalment& in) {
  switch (in.due()) {
    case gpb::Instalment::ON_EXECUTION:
      return "on execution";
    case gpb::Instalment::ON_DATE:
      return "from " + in.due_date();
    case gpb::Instalment::ON_REPORT:
      return "once report '" + in.report_id() + "' is accepted";
    default:
      return "-";
  }
}

std::string SignedBy(const gpb::Signature& s) {
  if (s.signer().empty()) return "unsigned";
  return absl::StrCat(s.signer(), " (", s.position(), ") on ", When(s.time()));
}

void TermsDetail(const gpb::Terms& t, std::ostream& out) {
  out << "    maximum:     " << FormatPounds(t.maximum_pence()) << ", "
      << t.start_date() << " to " << t.end_date() << "\n";
  for (const auto& in : t.instalments()) {
    out << "    instalment:  " << in.id() << " "
        << FormatPounds(in.resolved_pence());
    if (in.share_bp() != 0) {
      out << " (" << in.share_bp() / 100 << "." << in.share_bp() / 10 % 10
          << in.share_bp() % 10 << "%)";
    }
    out << " " << Due(in) << "\n";
  }
  for (const auto& r : t.reports()) {
    out << "    report:      " << r.id() << " \"" << r.title() << "\" due "
        << r.due_date() << (r.final() ? " (final)" : "") << "; asks "
        << absl::StrJoin(r.indicators(), ", ") << "\n";
  }
}

void AgreementDetail(const gpb::Agreement& a, std::ostream& out) {
  out << a.name() << "  " << gpb::Agreement::State_Name(a.state()) << "  (etag "
      << a.etag() << ")\n"
      << "  recipient:     " << a.organisation_name() << " ("
      << a.organisation() << ")\n"
      << "  project:       " << a.project_title() << "\n"
      << "  case:          " << a.case_() << ", award "
      << FormatPounds(a.award_pence()) << "\n";
  if (a.executed_version() > 0) {
    out << "  in force:      version " << a.executed_version() << "\n";
  }
  for (const auto& v : a.versions()) {
    out << "  version " << v.number() << ":     "
        << gpb::Version::State_Name(v.state());
    if (!v.variation_reason().empty()) {
      out << "  variation: " << v.variation_reason();
    }
    out << "\n";
    TermsDetail(v.terms(), out);
    for (const auto& c : v.conditions()) {
      out << "    condition:   " << c.id() << " (" << c.source() << ", "
          << (c.open() ? "open" : "cleared") << "): " << c.description()
          << "\n";
    }
    if (!v.document_sha256().empty()) {
      out << "    document:    sha256 " << v.document_sha256() << " ("
          << v.document_bytes() << " bytes), issued by " << v.issued_by()
          << " on " << When(v.issue_time()) << ", sign by "
          << When(v.signature_deadline()) << "\n"
          << "    recipient:   " << SignedBy(v.recipient()) << "\n"
          << "    funder:      " << SignedBy(v.funder()) << "\n";
    }
  }
  for (const auto& r : a.reports()) {
    out << "  report:        " << r.id() << " "
        << gpb::MonitoringReport::State_Name(r.state())
        << (r.overdue() ? " OVERDUE" : "") << ", due " << r.due_date();
    if (!r.submitted_by().empty()) {
      out << "; submitted by " << r.submitted_by() << " on "
          << When(r.submit_time());
    }
    if (!r.reviewed_by().empty()) {
      out << "; reviewed by " << r.reviewed_by();
      if (!r.review_note().empty()) out << ": " << r.review_note();
    }
    out << "\n";
    for (const auto& p : r.progress()) {
      out << "    " << p.indicator() << ": " << p.value()
          << (p.note().empty() ? "" : " — " + p.note()) << "\n";
    }
  }
  for (const auto& r : a.reminders()) {
    out << "  reminder:      " << When(r.time()) << " " << r.about() << ": "
        << r.text() << "\n";
  }
  if (!a.ended_by().empty()) {
    out << "  ended:         by " << a.ended_by() << " on "
        << When(a.end_time()) << ": " << a.end_reason();
    if (a.recover_pence() > 0) {
      out << "; to recover " << FormatPounds(a.recover_pence());
    }
    out << "\n";
  }
}

void TemplateDetail(const gpb::AgreementTemplate& t, std::ostream& out) {
  out << t.name() << "  (etag " << t.etag() << ")\n"
      << "  funder:        " << t.funder_name() << "\n"
      << "  programme:     " << t.programme_title() << "\n"
      << "  indicators:    " << absl::StrJoin(t.indicators(), ", ") << "\n"
      << "  signature:     within " << t.signature_days() << " days\n";
  for (const auto& c : t.clauses()) out << "  clause:        " << c << "\n";
  out << "  recovery:      " << t.recovery_clause() << "\n";
}

// "50%", "12.5%" as basis points; false unless 0.01%..100% with at most two
// decimals.
bool ParseShare(absl::string_view s, int32_t* bp) {
  if (!absl::ConsumeSuffix(&s, "%")) return false;
  std::vector<std::string> parts = absl::StrSplit(s, '.');
  int whole = 0, frac = 0;
  if (parts.size() > 2 || !absl::SimpleAtoi(parts[0], &whole)) return false;
  if (parts.size() == 2) {
    if (parts[1].empty() || parts[1].size() > 2 ||
        !absl::SimpleAtoi(parts[1], &frac) || frac < 0) {
      return false;
    }
    if (parts[1].size() == 1) frac *= 10;
  }
  *bp = whole * 100 + frac;
  return whole >= 0 && *bp >= 1 && *bp <= 10'000;
}

// --instalment ID=AMOUNT[@WHEN]: AMOUNT pence or a share ("40%"); WHEN
// "execution" (the default), a date YYYY-MM-DD, or report:REPORT_ID.
bool ParseInstalment(const std::string& arg, gpb::Instalment* in) {
  std::vector<std::string> kv = absl::StrSplit(arg, absl::MaxSplits('=', 1));
  if (kv.size() != 2 || kv[0].empty()) return false;
  in->set_id(kv[0]);
  std::vector<std::string> aw = absl::StrSplit(kv[1], absl::MaxSplits('@', 1));
  int64_t pence = 0;
  int32_t bp = 0;
  if (ParseShare(aw[0], &bp)) {
    in->set_share_bp(bp);
  } else if (absl::SimpleAtoi(aw[0], &pence)) {
    in->set_amount_pence(pence);
  } else {
    return false;
  }
  const std::string when = aw.size() == 2 ? aw[1] : "execution";
  if (when == "execution") {
    in->set_due(gpb::Instalment::ON_EXECUTION);
  } else if (absl::StartsWith(when, "report:")) {
    in->set_due(gpb::Instalment::ON_REPORT);
    in->set_report_id(when.substr(7));
  } else {
    in->set_due(gpb::Instalment::ON_DATE);
    in->set_due_date(when);
  }
  return true;
}

constexpr char kTermsHelp[] =
    "[--file TERMS.json | --data JSON] [--maximum-pence N] [--purpose T]\n"
    "      [--eligible T] [--start YYYY-MM-DD] [--end YYYY-MM-DD]\n"
    "      [--instalment ID=PENCE|SHARE%[@execution|@YYYY-MM-DD|@report:ID] "
    "...]\n"
    "      [--report ID:YYYY-MM-DD:TITLE ... [--final REPORT_ID]]";

// Terms from --file/--data, then the flags over them. Returns 0, or the
// usage exit code.
int TermsFromArgs(Cli& cli, gpb::Terms* t) {
  int rc = 0;
  if (!BodyFromArgs(cli, t, false, &rc)) return rc;
  const Args& a = cli.args();
  int64_t maximum = t->maximum_pence();
  if (!IntFlag(cli, "maximum-pence", &maximum)) {
    return cli.Usage("--maximum-pence must be a whole number of pence");
  }
  t->set_maximum_pence(maximum);
  if (a.Has("purpose")) t->set_purpose(a.Get("purpose"));
  if (a.Has("eligible")) t->set_eligible_expenditure(a.Get("eligible"));
  if (a.Has("start")) t->set_start_date(a.Get("start"));
  if (a.Has("end")) t->set_end_date(a.Get("end"));
  if (a.Has("instalment")) t->clear_instalments();
  for (const std::string& i : a.GetAll("instalment")) {
    if (!ParseInstalment(i, t->add_instalments())) {
      return cli.Usage(absl::StrCat(
          "--instalment '", i,
          "' must be ID=PENCE or ID=SHARE% (e.g. 40% or 12.5%), optionally "
          "@execution, @YYYY-MM-DD or @report:REPORT_ID"));
    }
  }
  if (a.Has("report")) t->clear_reports();
  for (const std::string& r : a.GetAll("report")) {
    std::vector<std::string> p = absl::StrSplit(r, absl::MaxSplits(':', 2));
    if (p.size() != 3) {
      return cli.Usage(
          absl::StrCat("--report '", r, "' must be ID:YYYY-MM-DD:TITLE"));
    }
    auto* o = t->add_reports();
    o->set_id(p[0]);
    o->set_due_date(p[1]);
    o->set_title(p[2]);
  }
  if (a.Has("report") || a.Has("final")) {
    const std::string final_id =
        a.Get("final", t->reports().empty() ? "" : t->reports().rbegin()->id());
    bool found = false;
    for (auto& o : *t->mutable_reports()) {
      o.set_final(o.id() == final_id);
      found = found || o.final();
    }
    if (!found) return cli.Usage("--final must name one of the --report ids");
  }
  return 0;
}

constexpr char kUsage[] =
    "agreement template get funds/F | template set funds/F --file T.json "
    "[--etag E]\n"
    "  | draft CASE [terms] | vary AGREEMENT --reason T [terms]\n"
    "  | update AGREEMENT [terms] [--etag E]\n"
    "  | issue AGREEMENT [--signature-days N] [--etag E]\n"
    "  | get AGREEMENT | list --state S [--all]\n"
    "  | document AGREEMENT [--version N] [--html] [--out FILE]\n"
    "  | sign AGREEMENT --sha256 H --position P [--version N]\n"
    "  | countersign AGREEMENT --sha256 H --position P [--version N]\n"
    "  | terminate AGREEMENT --reason T [--recover-pence N]\n"
    "terms: ";

int Template(Cli& cli, gpb::AgreementService::Stub& stub) {
  const std::string verb = Arg(cli, 2);
  std::string fund = Arg(cli, 3);
  if (absl::EndsWith(fund, "/agreementTemplate")) {
    fund.resize(fund.size() - std::string("/agreementTemplate").size());
  }
  if (!absl::StartsWith(fund, "funds/")) fund = "funds/" + fund;
  gpb::AgreementTemplate out;
  auto ctx = cli.Context();
  grpc::Status s;
  if (verb == "get") {
    gpb::GetTemplateRequest req;
    req.set_name(fund + "/agreementTemplate");
    s = stub.GetTemplate(ctx.get(), req, &out);
  } else if (verb == "set") {
    gpb::SetTemplateRequest req;
    req.set_fund(fund);
    int rc = 0;
    if (!BodyFromArgs(cli, req.mutable_template_(), true, &rc)) return rc;
    req.set_etag(cli.args().Get("etag"));
    req.set_request_id(cli.RequestId());
    s = stub.SetTemplate(ctx.get(), req, &out);
  } else {
    return cli.Usage(kUsage);
  }
  return Show<gpb::AgreementTemplate>(cli, s, out, TemplateDetail);
}

int Document(Cli& cli, gpb::AgreementService::Stub& stub,
             const std::string& name) {
  gpb::GetDocumentRequest req;
  req.set_name(name);
  int32_t version = 0;
  if (!IntFlag(cli, "version", &version)) {
    return cli.Usage("--version must be a number");
  }
  req.set_version(version);
  req.set_format(cli.args().Has("html") ? gpb::GetDocumentRequest::HTML
                                        : gpb::GetDocumentRequest::TEXT);
  gpb::Document doc;
  auto ctx = cli.Context();
  grpc::Status s = stub.GetDocument(ctx.get(), req, &doc);
  if (!s.ok()) return cli.Fail(s);
  if (cli.json()) return cli.Print(doc);
  if (int rc = WriteContent(cli, doc.content()); rc != 0) return rc;
  // What a signature binds to; on stderr so the document pipes clean.
  cli.err() << doc.agreement() << " version " << doc.version() << " sha256 "
            << doc.document_sha256() << "\n";
  return 0;
}

}  // namespace

int AgreementCommand(Cli& cli) {
  auto stub = gpb::AgreementService::NewStub(cli.channel("agreements"));
  const std::string verb = Arg(cli, 1);
  auto show = [&](const grpc::Status& s, const gpb::Agreement& a) {
    return Show<gpb::Agreement>(cli, s, a, AgreementDetail);
  };
  if (verb == "template") return Template(cli, *stub);
  if (verb == "list") {
    gpb::ListAgreementsRequest req;
    gpb::Agreement::State st;
    if (!gpb::Agreement::State_Parse(
            absl::AsciiStrToUpper(cli.args().Get("state")), &st)) {
      return cli.Usage(
          "--state must be DRAFTING, AWAITING_SIGNATURE, "
          "AWAITING_COUNTERSIGNATURE, EXECUTED, TERMINATED, LAPSED or CLOSED");
    }
    req.set_state(st);
    return ListPages<gpb::ListAgreementsRequest, gpb::ListAgreementsResponse,
                     gpb::Agreement>(
        cli, req,
        [&](auto* c, const auto& r, auto* o) {
          return stub->ListAgreements(c, r, o);
        },
        [](const auto& r) -> const auto& { return r.agreements(); },
        Table({"AGREEMENT", "STATE", "RECIPIENT", "AWARD", "VERSIONS",
               "UPDATED (UTC)"}),
        [](Table& t, const gpb::Agreement& a) {
          t.Add({a.name(), gpb::Agreement::State_Name(a.state()),
                 a.organisation_name(), FormatPounds(a.award_pence()),
                 absl::StrCat(a.versions_size()), When(a.update_time())});
        });
  }
  const std::string name = NameIn("agreements", Arg(cli, 2));
  gpb::Agreement out;
  if (verb == "get" || verb == "show") {
    gpb::GetAgreementRequest req;
    req.set_name(name);
    auto ctx = cli.Context();
    return show(stub->GetAgreement(ctx.get(), req, &out), out);
  }
  if (verb == "document") return Document(cli, *stub, name);
  if (verb == "draft" || verb == "vary" || verb == "update") {
    gpb::Terms terms;
    if (int rc = TermsFromArgs(cli, &terms); rc != 0) return rc;
    auto ctx = cli.Context();
    if (verb == "draft" || verb == "vary") {
      // A variation is a new draft of an executed agreement, with a reason.
      gpb::DraftAgreementRequest req;
      req.set_case_(NameIn("cases", Arg(cli, 2)));
      *req.mutable_terms() = terms;
      req.set_variation_reason(
          cli.args().Get(verb == "vary" ? "reason" : "variation-reason"));
      req.set_request_id(cli.RequestId());
      return show(stub->DraftAgreement(ctx.get(), req, &out), out);
    }
    gpb::UpdateDraftRequest req;
    req.set_name(name);
    *req.mutable_terms() = terms;
    req.set_etag(cli.args().Get("etag"));
    req.set_request_id(cli.RequestId());
    return show(stub->UpdateDraft(ctx.get(), req, &out), out);
  }
  if (verb == "issue") {
    gpb::IssueAgreementRequest req;
    req.set_name(name);
    int32_t days = 0;
    if (!IntFlag(cli, "signature-days", &days)) {
      return cli.Usage("--signature-days must be a number");
    }
    req.set_signature_days(days);
    req.set_etag(cli.args().Get("etag"));
    req.set_request_id(cli.RequestId());
    auto ctx = cli.Context();
    return show(stub->IssueAgreement(ctx.get(), req, &out), out);
  }
  if (verb == "sign" || verb == "countersign") {
    gpb::SignAgreementRequest req;
    req.set_name(name);
    if (!cli.args().Has("sha256")) {
      return cli.Usage(
          "a signature binds to the document read: give its --sha256 "
          "(grantctl agreement document " +
          name + " prints it)");
    }
    req.set_document_sha256(cli.args().Get("sha256"));
    req.set_position(cli.args().Get("position"));
    int32_t version = 0;
    if (!IntFlag(cli, "version", &version)) {
      return cli.Usage("--version must be a number");
    }
    req.set_version(version);
    if (version == 0) {
      // The latest version: the one awaiting signatures.
      gpb::GetAgreementRequest get;
      get.set_name(name);
      auto ctx = cli.Context();
      grpc::Status s = stub->GetAgreement(ctx.get(), get, &out);
      if (!s.ok()) return cli.Fail(s);
      if (out.versions().empty()) return cli.Usage(name + " has no version");
      req.set_version(out.versions().rbegin()->number());
    }
    req.set_request_id(cli.RequestId());
    auto ctx = cli.Context();
    return show(verb == "sign"
                    ? stub->SignAgreement(ctx.get(), req, &out)
                    : stub->CountersignAgreement(ctx.get(), req, &out),
                out);
  }
  if (verb == "terminate") {
    gpb::TerminateAgreementRequest req;
    req.set_name(name);
    req.set_reason(cli.args().Get("reason"));
    int64_t recover = 0;
    if (!IntFlag(cli, "recover-pence", &recover)) {
      return cli.Usage("--recover-pence must be a whole number of pence");
    }
    req.set_recover_pence(recover);
    req.set_request_id(cli.RequestId());
    auto ctx = cli.Context();
    return show(stub->TerminateAgreement(ctx.get(), req, &out), out);
  }
  return cli.Usage(absl::StrCat(kUsage, kTermsHelp));
}

int OutcomesCommand(Cli& cli) {
  const std::string fund = Arg(cli, 1);
  if (fund.empty()) return cli.Usage("outcomes funds/F");
  auto stub = gpb::AgreementService::NewStub(cli.channel("agreements"));
  gpb::GetOutcomesRequest req;
  req.set_fund(fund.rfind("funds/", 0) == 0 ? fund : "funds/" + fund);
  gpb::Outcomes out;
  auto ctx = cli.Context();
  grpc::Status s = stub->GetOutcomes(ctx.get(), req, &out);
  if (!s.ok()) return cli.Fail(s);
  if (cli.json()) return cli.Print(out);
  Table t({"INDICATOR", "TOTAL", "GRANTS REPORTING IT"});
  for (const gpb::IndicatorTotal& i : out.indicators()) {
    t.Add({i.indicator(), absl::StrCat(i.total()), absl::StrCat(i.grants())});
  }
  t.Print(cli.out());
  cli.out() << out.grants_reporting() << " grant(s) with an accepted report\n";
  return 0;
}

int ReportCommand(Cli& cli) {
  auto stub = gpb::AgreementService::NewStub(cli.channel("agreements"));
  const std::string verb = Arg(cli, 1);
  const std::string agreement = NameIn("agreements", Arg(cli, 2));
  const std::string report = Arg(cli, 3);
  gpb::Agreement out;
  auto ctx = cli.Context();
  grpc::Status s;
  if (verb == "submit") {
    gpb::SubmitReportRequest req;
    req.set_agreement(agreement);
    req.set_report_id(report);
    for (const std::string& p : cli.args().GetAll("progress")) {
      std::vector<std::string> kv = absl::StrSplit(p, absl::MaxSplits('=', 1));
      std::vector<std::string> vn;
      if (kv.size() == 2) vn = absl::StrSplit(kv[1], absl::MaxSplits(':', 1));
      int64_t value = 0;
      if (kv.size() != 2 || !absl::SimpleAtoi(vn[0], &value)) {
        return cli.Usage(
            absl::StrCat("--progress '", p, "' must be INDICATOR=N[:note]"));
      }
      auto* iv = req.add_progress();
      iv->set_value(value);
      iv->set_indicator(kv[0]);
      if (vn.size() == 2) iv->set_note(vn[1]);
    }
    req.set_narrative(cli.args().Get("narrative"));
    int64_t spent = 0;
    if (!IntFlag(cli, "spent-pence", &spent)) {
      return cli.Usage("--spent-pence must be a whole number of pence");
    }
    req.set_spent_pence(spent);
    req.set_request_id(cli.RequestId());
    s = stub->SubmitReport(ctx.get(), req, &out);
  } else if (verb == "accept" || verb == "return") {
    gpb::ReviewReportRequest req;
    req.set_agreement(agreement);
    req.set_report_id(report);
    req.set_outcome(verb == "accept" ? gpb::ReviewReportRequest::ACCEPT
                                     : gpb::ReviewReportRequest::RETURN);
    req.set_note(cli.args().Get("note"));
    req.set_request_id(cli.RequestId());
    s = stub->ReviewReport(ctx.get(), req, &out);
  } else {
    return cli.Usage(
        "report submit AGREEMENT REPORT_ID --progress INDICATOR=N[:note] ... "
        "--narrative T [--spent-pence N]\n"
        "  | accept AGREEMENT REPORT_ID [--note T]\n"
        "  | return AGREEMENT REPORT_ID --note T");
  }
  return Show<gpb::Agreement>(cli, s, out, AgreementDetail);
}

}  // namespace grantflow::grantctl
