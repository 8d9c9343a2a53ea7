// A grant once it has a funding agreement. The community group reads the
// agreement, its signatory signs the version read (its SHA-256), both see
// the instalments scheduled and paid and submit monitoring reports. The
// grants team follows every agreement, accepts or returns reports, and an
// approver countersigns for the funder.
#include <map>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "platform/money.h"
#include "web/forms.h"
#include "web/portal.h"
#include "web/widgets.h"

namespace grantflow::web {

// The grants team's view of one agreement, with a refusal when a step on it
// was refused.
void StaffGrant(Page& page, const Refusal* refusal);

namespace {

namespace agr = agreements::v1;
namespace pay = payments::v1;

const std::vector<std::string> kRecipient = {"applicant", "signatory"};
const std::vector<std::string> kStaff = {"grants_officer",  "approver",
                                         "finance_officer", "finance_approver",
                                         "auditor",         "admin"};

std::string StateWords(agr::Agreement::State s) {
  switch (s) {
    case agr::Agreement::DRAFTING:
      return "Being drafted";
    case agr::Agreement::AWAITING_SIGNATURE:
      return "Waiting for the organisation's signature";
    case agr::Agreement::AWAITING_COUNTERSIGNATURE:
      return "Signed; waiting for the funder's countersignature";
    case agr::Agreement::EXECUTED:
      return "In force";
    case agr::Agreement::TERMINATED:
      return "Terminated";
    case agr::Agreement::LAPSED:
      return "Lapsed";
    case agr::Agreement::CLOSED:
      return "Closed";
    default:
      return "Unknown";
  }
}

std::string ReportWords(const agr::MonitoringReport& r) {
  switch (r.state()) {
    case agr::MonitoringReport::DUE:
      return r.overdue() ? "Overdue" : "Due";
    case agr::MonitoringReport::SUBMITTED:
      return "Submitted";
    case agr::MonitoringReport::ACCEPTED:
      return "Accepted";
    case agr::MonitoringReport::RETURNED:
      return "Returned to you";
    default:
      return "";
  }
}

// The version whose terms are in force, or the latest issued.
const agr::Version* Current(const agr::Agreement& a) {
  const agr::Version* v = nullptr;
  for (const agr::Version& x : a.versions()) {
    if (a.executed_version() > 0 ? x.number() == a.executed_version()
                                 : x.state() != agr::Version::DRAFT) {
      v = &x;
    }
  }
  if (v == nullptr && a.versions_size() > 0)
    v = &a.versions(a.versions_size() - 1);
  return v;
}

// The version waiting for a signature (ISSUED or SIGNED), if any.
const agr::Version* Pending(const agr::Agreement& a) {
  for (const agr::Version& x : a.versions()) {
    if (x.state() == agr::Version::ISSUED ||
        x.state() == agr::Version::SIGNED) {
      return &x;
    }
  }
  return nullptr;
}

std::string DueWords(const agr::Instalment& i) {
  switch (i.due()) {
    case agr::Instalment::ON_EXECUTION:
      return "When the agreement is signed by both sides";
    case agr::Instalment::ON_DATE:
      return absl::StrCat("From ", LongDate(i.due_date()));
    case agr::Instalment::ON_REPORT:
      return absl::StrCat("When report \"", i.report_id(), "\" is accepted");
    default:
      return "";
  }
}

// Payments of this grant by instalment, in every state a person should
// see (the service shows an organisation's people their own only).
std::map<std::string, std::vector<pay::Payment>> PaymentsOf(
    Page& page, const std::string& case_name) {
  std::map<std::string, std::vector<pay::Payment>> out;
  for (pay::Payment::State st :
       {pay::Payment::REQUESTED, pay::Payment::AUTHORIZED,
        pay::Payment::RELEASED, pay::Payment::PAID}) {
    pay::ListPaymentsRequest req;
    req.set_state(st);
    req.set_page_size(500);
    // Every page (bounded): an organisation's pages may hold none of its
    // own payments and still lead on.
    for (int pages = 0; pages < 100; ++pages) {
      pay::ListPaymentsResponse resp;
      if (!page.Call(page.backend().payments(),
                     &pay::PaymentService::Stub::ListPayments, req, &resp)
               .ok()) {
        break;
      }
      for (const pay::Payment& p : resp.payments()) {
        if (p.case_() == case_name) out[p.instalment_id()].push_back(p);
      }
      if (resp.next_page_token().empty()) break;
      req.set_page_token(resp.next_page_token());
    }
  }
  return out;
}

std::string PaymentWords(const std::vector<pay::Payment>& ps, int64_t* paid) {
  *paid = 0;
  std::vector<std::string> parts;
  for (const pay::Payment& p : ps) {
    switch (p.state()) {
      case pay::Payment::PAID:
        *paid += p.amount_pence();
        parts.push_back(absl::StrCat("Paid ", FormatPounds(p.amount_pence()),
                                     " at ", WhenText(p.settle_time())));
        break;
      case pay::Payment::RELEASED:
        parts.push_back(
            absl::StrCat("Sent to the bank: ", FormatPounds(p.amount_pence())));
        break;
      default:
        parts.push_back(
            absl::StrCat("Being processed: ", FormatPounds(p.amount_pence())));
    }
  }
  return parts.empty() ? "Not paid yet" : absl::StrJoin(parts, "; ");
}

Json InstalmentTable(Page& page, const agr::Agreement& a,
                     const agr::Version& v) {
  const auto payments = PaymentsOf(page, a.case_());
  Json rows = Json::array();
  for (const agr::Instalment& i : v.terms().instalments()) {
    int64_t paid = 0;
    auto it = payments.find(i.id());
    const std::string status = PaymentWords(
        it == payments.end() ? std::vector<pay::Payment>{} : it->second, &paid);
    Json row = {Cell(i.id()), NumberCell(FormatPounds(i.resolved_pence())),
                Cell(DueWords(i)),
                TagCell(status, paid >= i.resolved_pence() ? "green" : "grey")};
    rows.push_back(row);
  }
  return Table("Instalments", {"Instalment", "Amount", "Payable", "Status"},
               {false, true, false, false}, rows);
}

Json ReportTable(const agr::Agreement& a, const std::string& submit_base) {
  Json rows = Json::array();
  for (const agr::MonitoringReport& r : a.reports()) {
    const bool open = r.state() == agr::MonitoringReport::DUE ||
                      r.state() == agr::MonitoringReport::RETURNED;
    rows.push_back(
        {Cell(r.title(), open && !submit_base.empty()
                             ? absl::StrCat(submit_base, r.id())
                             : ""),
         Cell(LongDate(r.due_date())),
         TagCell(ReportWords(r), r.state() == agr::MonitoringReport::ACCEPTED
                                     ? "green"
                                 : r.overdue() ? "red"
                                               : "blue")});
  }
  return Table("Monitoring reports", {"Report", "Due", "Status"}, {}, rows);
}

bool LoadAgreement(Page& page, const std::string& id, agr::Agreement* a) {
  agr::GetAgreementRequest req;
  req.set_name("agreements/" + id);
  return page.Fetch(page.backend().agreements(),
                    &agr::AgreementService::Stub::GetAgreement, req, a);
}

absl::StatusOr<agr::Document> LoadDocument(Page& page, const std::string& id,
                                           int32_t version) {
  agr::GetDocumentRequest req;
  req.set_name("agreements/" + id);
  req.set_version(version);
  req.set_format(agr::GetDocumentRequest::TEXT);
  agr::Document d;
  absl::Status s =
      page.Call(page.backend().agreements(),
                &agr::AgreementService::Stub::GetDocument, req, &d);
  if (!s.ok()) return s;
  return d;
}

Json AgreementSummary(const agr::Agreement& a, const agr::Version* v) {
  Json rows = Json::array();
  rows.push_back(SummaryRow("Organisation", a.organisation_name()));
  rows.push_back(SummaryRow("Grant", FormatPounds(a.award_pence())));
  rows.push_back(SummaryRow("Status", StateWords(a.state())));
  if (v != nullptr) {
    rows.push_back(SummaryRow("Purpose", v->terms().purpose()));
    rows.push_back(SummaryRow(
        "Project dates", absl::StrCat(LongDate(v->terms().start_date()), " to ",
                                      LongDate(v->terms().end_date()))));
    if (!v->recipient().signer().empty()) {
      rows.push_back(SummaryRow(
          "Signed for the organisation",
          absl::StrCat(v->recipient().signer(), ", ", v->recipient().position(),
                       ", ", WhenText(v->recipient().time()))));
    }
    if (!v->funder().signer().empty()) {
      rows.push_back(SummaryRow(
          "Countersigned for the funder",
          absl::StrCat(v->funder().signer(), ", ", v->funder().position(), ", ",
                       WhenText(v->funder().time()))));
    }
  }
  return {{"summary", {{"rows", rows}}}};
}

// A signature form: the version and hash of the document shown above it.
Json SignForm(const std::string& action, const agr::Document& d,
              const std::string& button, const std::string& hint) {
  return {{"form",
           {{"action", action},
            {"hidden",
             {{{"name", "version"}, {"value", absl::StrCat(d.version())}},
              {{"name", "sha256"}, {"value", d.document_sha256()}}}},
            {"fields",
             {TextInput("position", "Your position", "", hint, "20"),
              Choice("confirm", "Confirmation",
                     {{"yes",
                       "I have read this agreement and I am authorised "
                       "to sign it"}},
                     {}, true, "", true)}},
            {"button", button}}}};
}

Json DocumentBlock(const agr::Document& d) {
  return {{"document", d.content()},
          {"document_sha", d.document_sha256()},
          {"document_version", absl::StrCat(d.version())}};
}

// ---- The community group's side ----

void RecipientGrant(Page& page, const Refusal* refusal = nullptr) {
  const std::string id = page.Match(1);
  agr::Agreement a;
  if (!LoadAgreement(page, id, &a)) return;
  const agr::Version* v = Current(a);
  Json blocks = Json::array();
  blocks.push_back(AgreementSummary(a, v));
  const agr::Version* pending = Pending(a);
  if (pending != nullptr || a.state() != agr::Agreement::DRAFTING) {
    absl::StatusOr<agr::Document> d =
        LoadDocument(page, id, pending ? pending->number() : 0);
    if (d.ok()) {
      blocks.push_back({{"h2", absl::StrCat("The funding agreement (version ",
                                            d->version(), ")")}});
      blocks.push_back(DocumentBlock(*d));
      if (pending && pending->state() == agr::Version::ISSUED) {
        if (page.who().HasRole("signatory")) {
          blocks.push_back({{"h2", "Sign the agreement"}});
          blocks.push_back(SignForm(
              absl::StrCat("/applicant/grants/", id, "/sign"), *d,
              "Sign the funding agreement", "For example, Chair of trustees"));
        } else {
          blocks.push_back({{"inset",
                             "Your organisation's authorised signatory needs "
                             "to sign this agreement."}});
        }
      }
    }
  }
  if (v != nullptr && a.executed_version() > 0) {
    blocks.push_back(InstalmentTable(page, a, *v));
    blocks.push_back(
        ReportTable(a, absl::StrCat("/applicant/grants/", id, "/reports/")));
  }
  page.Render(a.project_title(), "page",
              {{"caption", "Your grant"},
               {"heading", a.project_title()},
               {"back", "/applicant"},
               {"wide", true},
               {"blocks", blocks}},
              refusal);
}

void SignPost(Page& page, bool funder) {
  const std::string id = page.Match(1);
  std::vector<FieldError> errors;
  const std::string position(
      absl::StripAsciiWhitespace(page.Param("position")));
  if (position.empty()) {
    errors.push_back({"position", "#position", "Enter your position"});
  }
  if (page.Param("confirm") != "yes") {
    errors.push_back({"confirm", "#confirm",
                      "Confirm you have read the agreement and may sign it"});
  }
  agr::SignAgreementRequest req;
  req.set_name("agreements/" + id);
  int32_t version = 0;
  absl::SimpleAtoi(page.Param("version"), &version);
  req.set_version(version);
  req.set_document_sha256(page.Param("sha256"));
  req.set_position(position);
  req.set_request_id(page.RequestId());
  absl::Status s;
  if (errors.empty()) {
    agr::Agreement out;
    s = page.Call(page.backend().agreements(),
                  funder ? &agr::AgreementService::Stub::CountersignAgreement
                         : &agr::AgreementService::Stub::SignAgreement,
                  req, &out);
  }
  if (!errors.empty() || !s.ok()) {
    const std::vector<FieldPlace> places = {
        {"position", "position", "Your position", ""}};
    const Refusal r = errors.empty() ? Explain(s, places) : FormErrors(errors);
    if (funder) {
      StaffGrant(page, &r);
    } else {
      RecipientGrant(page, &r);
    }
    return;
  }
  if (funder) {
    page.Redirect("/staff/grants/" + id,
                  "Countersigned: the agreement is in force");
  } else {
    page.Redirect("/applicant/grants/" + id,
                  "You have signed the funding agreement");
  }
}

void ShowReportForm(Page& page, const agr::Agreement& a,
                    const agr::MonitoringReport& r, const Refusal* refusal) {
  Json fields = Json::array();
  for (size_t i = 0; i < static_cast<size_t>(r.indicators_size()); ++i) {
    const std::string fid = absl::StrCat("indicator-", i + 1);
    std::string value = page.Param(fid);
    for (const auto& p : r.progress()) {
      if (value.empty() && p.indicator() == r.indicators(i)) {
        value = absl::StrCat(p.value());
      }
    }
    fields.push_back(TextInput(fid, absl::StrCat(r.indicators(i), " (so far)"),
                               value, "A whole number: the total to date.",
                               "5"));
    fields.back()["inputmode"] = "numeric";
  }
  fields.push_back(TextArea(
      "narrative", "How the project is going",
      page.Param("narrative").empty() ? r.narrative() : page.Param("narrative"),
      "What happened, what changed, any problems.", 8));
  if (r.final()) {
    fields.push_back(MoneyInput("spent", "How much of the grant did you spend?",
                                page.Param("spent"), "In pounds."));
  }
  Json blocks = Json::array();
  if (r.state() == agr::MonitoringReport::RETURNED) {
    blocks.push_back(
        {{"warning", absl::StrCat("Returned to you: ", r.review_note())}});
  }
  blocks.push_back(
      {{"form",
        {{"action", absl::StrCat("/applicant/grants/", IdOf(a.name()),
                                 "/reports/", r.id())},
         {"fields", fields},
         {"button", "Submit report"}}}});
  page.Render(r.title(), "page",
              {{"caption", a.project_title()},
               {"heading", r.title()},
               {"back", absl::StrCat("/applicant/grants/", IdOf(a.name()))},
               {"blocks", blocks}},
              refusal);
}

const agr::MonitoringReport* FindReport(const agr::Agreement& a,
                                        const std::string& rid) {
  for (const auto& r : a.reports()) {
    if (r.id() == rid) return &r;
  }
  return nullptr;
}

void ReportGet(Page& page) {
  agr::Agreement a;
  if (!LoadAgreement(page, page.Match(1), &a)) return;
  const agr::MonitoringReport* r = FindReport(a, page.Match(2));
  if (r == nullptr) {
    page.Refuse(Explain(absl::NotFoundError("no such report")));
    return;
  }
  ShowReportForm(page, a, *r, nullptr);
}

void ReportPost(Page& page) {
  agr::Agreement a;
  if (!LoadAgreement(page, page.Match(1), &a)) return;
  const agr::MonitoringReport* r = FindReport(a, page.Match(2));
  if (r == nullptr) {
    page.Refuse(Explain(absl::NotFoundError("no such report")));
    return;
  }
  std::vector<FieldError> errors;
  agr::SubmitReportRequest req;
  req.set_agreement(a.name());
  req.set_report_id(r->id());
  std::vector<FieldPlace> places;
  for (int i = 0; i < r->indicators_size(); ++i) {
    const std::string fid = absl::StrCat("indicator-", i + 1);
    places.push_back(
        {absl::StrCat("progress[", i, "]"), fid, r->indicators(i), ""});
    int64_t n = 0;
    if (!absl::SimpleAtoi(page.Param(fid), &n) || n < 0) {
      errors.push_back(
          {fid, "#" + fid,
           absl::StrCat("Enter ", r->indicators(i), " as a whole number")});
      continue;
    }
    agr::IndicatorValue* iv = req.add_progress();
    iv->set_indicator(r->indicators(i));
    iv->set_value(n);
  }
  req.set_narrative(
      std::string(absl::StripAsciiWhitespace(page.Param("narrative"))));
  if (req.narrative().empty()) {
    errors.push_back(
        {"narrative", "#narrative", "Say how the project is going"});
  }
  if (r->final()) {
    std::optional<int64_t> spent = ParsePounds(page.Param("spent"));
    if (!spent) {
      errors.push_back(
          {"spent", "#spent", "Enter how much you spent, in pounds"});
    } else {
      req.set_spent_pence(*spent);
    }
  }
  req.set_request_id(page.RequestId());
  absl::Status s;
  if (errors.empty()) {
    agr::Agreement out;
    s = page.Call(page.backend().agreements(),
                  &agr::AgreementService::Stub::SubmitReport, req, &out);
  }
  if (!errors.empty() || !s.ok()) {
    places.push_back(
        {"narrative", "narrative", "How the project is going", ""});
    places.push_back({"spent_pence", "spent", "Amount spent", ""});
    Refusal ref = errors.empty() ? Explain(s, places) : FormErrors(errors);
    ShowReportForm(page, a, *r, &ref);
    return;
  }
  page.Redirect(absl::StrCat("/applicant/grants/", page.Match(1)),
                absl::StrCat("Your ", r->title(), " has been submitted"));
}

// ---- The grants team's side ----

void StaffList(Page& page) {
  agr::Agreement::State state = agr::Agreement::EXECUTED;
  if (!page.Param("state").empty()) {
    agr::Agreement::State_Parse(page.Param("state"), &state);
  }
  agr::ListAgreementsRequest req;
  req.set_state(state);
  req.set_page_size(200);
  agr::ListAgreementsResponse resp;
  if (!page.Fetch(page.backend().agreements(),
                  &agr::AgreementService::Stub::ListAgreements, req, &resp)) {
    return;
  }
  Json rows = Json::array();
  for (const agr::Agreement& a : resp.agreements()) {
    rows.push_back({Cell(a.project_title(), "/staff/grants/" + IdOf(a.name())),
                    Cell(a.organisation_name()), Cell(a.fund()),
                    NumberCell(FormatPounds(a.award_pence()))});
  }
  Json states = Json::array();
  for (agr::Agreement::State s :
       {agr::Agreement::DRAFTING, agr::Agreement::AWAITING_SIGNATURE,
        agr::Agreement::AWAITING_COUNTERSIGNATURE, agr::Agreement::EXECUTED,
        agr::Agreement::CLOSED, agr::Agreement::TERMINATED,
        agr::Agreement::LAPSED}) {
    states.push_back(
        {{"link", StateWords(s)},
         {"href", "/staff/grants?state=" + agr::Agreement::State_Name(s)}});
  }
  Json blocks = Json::array();
  for (auto& s : states) blocks.push_back(s);
  blocks.push_back(Table(StateWords(state),
                         {"Project", "Organisation", "Fund", "Grant"},
                         {false, false, false, true}, rows));
  page.Render(
      "Funding agreements", "page",
      {{"heading", "Funding agreements"}, {"wide", true}, {"blocks", blocks}});
}

}  // namespace

void StaffGrant(Page& page, const Refusal* refusal) {
  const std::string id = page.Match(1);
  agr::Agreement a;
  if (!LoadAgreement(page, id, &a)) return;
  const agr::Version* v = Current(a);
  Json blocks = Json::array();
  blocks.push_back(AgreementSummary(a, v));
  const std::string base = "/staff/grants/" + id;
  const agr::Version* pending = Pending(a);
  if (pending != nullptr) {
    absl::StatusOr<agr::Document> d = LoadDocument(page, id, pending->number());
    if (d.ok()) {
      blocks.push_back(
          {{"h2", absl::StrCat("Version ", d->version(), " as issued")}});
      blocks.push_back(DocumentBlock(*d));
      if (pending->state() == agr::Version::SIGNED &&
          page.who().HasRole("approver")) {
        blocks.push_back({{"h2", "Countersign for the funder"}});
        blocks.push_back(SignForm(base + "/countersign", *d,
                                  "Countersign the funding agreement",
                                  "For example, Head of Grants"));
      }
    }
  }
  if (a.state() == agr::Agreement::DRAFTING &&
      page.who().HasRole("grants_officer")) {
    blocks.push_back({{"form",
                       {{"action", base + "/issue"},
                        {"hidden", {{{"name", "etag"}, {"value", a.etag()}}}},
                        {"fields", Json::array()},
                        {"button", "Issue the agreement for signature"}}}});
  }
  if (v != nullptr && a.executed_version() > 0) {
    blocks.push_back(InstalmentTable(page, a, *v));
    if (page.who().HasRole("finance_officer")) {
      std::vector<std::pair<std::string, std::string>> options;
      for (const auto& i : v->terms().instalments()) {
        options.push_back(
            {i.id(),
             absl::StrCat(i.id(), ": ", FormatPounds(i.resolved_pence()))});
      }
      blocks.push_back(
          {{"form",
            {{"action", base + "/request-payment"},
             {"fields",
              {Choice(
                  "instalment", "Request payment of an instalment", options, {},
                  false,
                  "A finance approver who did not request it approves it.")}},
             {"button", "Request payment"}}}});
    }
    blocks.push_back(ReportTable(a, ""));
    for (const agr::MonitoringReport& r : a.reports()) {
      if (r.state() != agr::MonitoringReport::SUBMITTED) continue;
      std::vector<std::string> progress;
      for (const auto& p : r.progress()) {
        progress.push_back(absl::StrCat(p.indicator(), ": ", p.value()));
      }
      blocks.push_back({{"h2", absl::StrCat(r.title(), " (submitted)")}});
      blocks.push_back(
          {{"summary",
            {{"rows",
              {SummaryRow("Progress", absl::StrJoin(progress, "\n")),
               SummaryRow("Narrative", r.narrative()),
               SummaryRow("Submitted by", r.submitted_by())}}}}});
      if (page.who().HasRole("grants_officer")) {
        blocks.push_back(
            {{"form",
              {{"action", absl::StrCat(base, "/reports/", r.id(), "/review")},
               {"fields",
                {Choice("outcome", "Your review",
                        {{"ACCEPT", "Accept the report"},
                         {"RETURN", "Return it to the organisation"}},
                        {}, false),
                 TextArea("note", "Note (needed when you return it)", "", "",
                          3)}},
               {"button", "Record review"}}}});
      }
    }
  }
  page.Render(a.project_title(), "page",
              {{"caption", "Funding agreement"},
               {"heading", a.project_title()},
               {"back", "/staff/grants"},
               {"wide", true},
               {"blocks", blocks}},
              refusal);
}

namespace {

void StaffGrantGet(Page& page) { StaffGrant(page, nullptr); }

// True when a step on the agreement went through; otherwise shows the
// agreement again with the refusal.
bool StepDone(Page& page, const absl::Status& s,
              const std::vector<FieldPlace>& places = {}) {
  if (s.ok()) return true;
  const Refusal r = Explain(s, places);
  StaffGrant(page, &r);
  return false;
}

void IssuePost(Page& page) {
  agr::IssueAgreementRequest req;
  req.set_name("agreements/" + page.Match(1));
  req.set_etag(page.Param("etag"));
  req.set_request_id(page.RequestId());
  agr::Agreement out;
  if (!StepDone(page, page.Call(page.backend().agreements(),
                                &agr::AgreementService::Stub::IssueAgreement,
                                req, &out))) {
    return;
  }
  page.Redirect("/staff/grants/" + page.Match(1),
                "Issued: the organisation can now sign it");
}

void ReviewPost(Page& page) {
  agr::ReviewReportRequest req;
  req.set_agreement("agreements/" + page.Match(1));
  req.set_report_id(page.Match(2));
  agr::ReviewReportRequest::Outcome o =
      agr::ReviewReportRequest::OUTCOME_UNSPECIFIED;
  agr::ReviewReportRequest::Outcome_Parse(page.Param("outcome"), &o);
  if (o == agr::ReviewReportRequest::OUTCOME_UNSPECIFIED) {
    Refusal r =
        FormErrors({{"outcome", "#outcome", "Select accept or return"}});
    StaffGrant(page, &r);
    return;
  }
  req.set_outcome(o);
  req.set_note(std::string(absl::StripAsciiWhitespace(page.Param("note"))));
  req.set_request_id(page.RequestId());
  agr::Agreement out;
  if (!StepDone(
          page,
          page.Call(page.backend().agreements(),
                    &agr::AgreementService::Stub::ReviewReport, req, &out),
          {{"note", "note", "Note", ""}})) {
    return;
  }
  page.Redirect("/staff/grants/" + page.Match(1),
                o == agr::ReviewReportRequest::ACCEPT ? "Report accepted"
                                                      : "Report returned");
}

void RequestPaymentPost(Page& page) {
  if (page.Param("instalment").empty()) {
    Refusal r =
        FormErrors({{"instalment", "#instalment", "Select an instalment"}});
    StaffGrant(page, &r);
    return;
  }
  pay::RequestPaymentRequest req;
  req.set_case_("cases/" + page.Match(1));
  req.set_instalment_id(page.Param("instalment"));
  req.set_request_id(page.RequestId());
  pay::Payment out;
  if (!StepDone(
          page,
          page.Call(page.backend().payments(),
                    &pay::PaymentService::Stub::RequestPayment, req, &out),
          {{"instalment_id", "instalment", "Instalment", ""}})) {
    return;
  }
  page.Redirect("/staff/payments",
                absl::StrCat("Payment of ", FormatPounds(out.amount_pence()),
                             " requested; a finance approver must approve it"));
}

}  // namespace

void InstallGrantPages(Portal& portal, httplib::Server& s) {
  const std::string mine = R"(/applicant/grants/([a-z0-9-]+))";
  portal.Get(s, mine, kRecipient, [](Page& p) { RecipientGrant(p); });
  portal.Post(s, mine + "/sign", {"signatory"},
              [](Page& p) { SignPost(p, false); });
  portal.Get(s, mine + R"(/reports/([a-z0-9-]+))", kRecipient, ReportGet);
  portal.Post(s, mine + R"(/reports/([a-z0-9-]+))", kRecipient, ReportPost);
  portal.Get(s, "/staff/grants", kStaff, StaffList);
  const std::string one = R"(/staff/grants/([a-z0-9-]+))";
  portal.Get(s, one, kStaff, StaffGrantGet);
  portal.Post(s, one + "/issue", {"grants_officer"}, IssuePost);
  portal.Post(s, one + "/countersign", {"approver"},
              [](Page& p) { SignPost(p, true); });
  portal.Post(s, one + R"(/reports/([a-z0-9-]+)/review)", {"grants_officer"},
              ReviewPost);
  portal.Post(s, one + "/request-payment", {"finance_officer"},
              RequestPaymentPost);
}

}  // namespace grantflow::web
