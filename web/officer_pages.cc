// The grants officer's work on a round's bids: the list of bids, and for
// each its automatic eligibility checks, screening, assignment of
// assessors, shortlisting, the interview and the recommendation to the
// approver. Each form appears only at the stage that takes it; the service
// refuses any step out of turn anyway.
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "platform/money.h"
#include "web/forms.h"
#include "web/portal.h"
#include "web/widgets.h"

namespace grantflow::web {
namespace {

namespace assess = assessment::v1;
namespace prog = programmes::v1;

const std::vector<std::string> kReaders = {"grants_officer", "approver",
                                           "moderator", "auditor", "admin"};
// Forward: a bid's page, with a refusal when a step on it was refused.
void Show(Page& page, const assess::Assessment& a, const Refusal* refusal);
const std::vector<std::string> kOfficers = {"grants_officer", "admin"};

std::string Url(const std::string& id) { return "/staff/assessments/" + id; }

std::string StateWords(assess::Assessment::State s) {
  std::string n = assess::Assessment::State_Name(s);
  std::string out = absl::AsciiStrToLower(absl::StrReplaceAll(n, {{"_", " "}}));
  if (!out.empty()) out[0] = absl::ascii_toupper(out[0]);
  return out;
}

void List(Page& page) {
  const std::string round =
      absl::StrCat("funds/", page.Match(1), "/rounds/", page.Match(2));
  assess::ListAssessmentsRequest req;
  req.set_round(round);
  req.set_page_size(500);
  assess::ListAssessmentsResponse resp;
  if (!page.Fetch(page.backend().assessment(),
                  &assess::AssessmentService::Stub::ListAssessments, req,
                  &resp))
    return;
  Json rows = Json::array();
  for (const assess::Assessment& a : resp.assessments()) {
    rows.push_back({Cell(a.bid().title(), Url(IdOf(a.name()))),
                    Cell(a.bid().organisation_name()),
                    NumberCell(FormatPounds(a.bid().amount_requested_pence())),
                    NumberCell(ScoreText(a.combined_score_bp())),
                    TagCell(StateWords(a.state()), "blue")});
  }
  page.Render(
      "Bids", "page",
      {{"caption", round},
       {"heading", "Bids in this round"},
       {"back", absl::StrCat("/staff/funds/", page.Match(1))},
       {"wide", true},
       {"blocks",
        {{{"link", "Ranking"},
          {"href", absl::StrCat("/staff/", round, "/ranking")}},
         Table("Bids",
               {"Project", "Organisation", "Requested", "Score", "Stage"},
               {false, false, true, true, false}, rows)}}});
}

bool Load(Page& page, const std::string& id, assess::Assessment* a) {
  assess::GetAssessmentRequest req;
  req.set_name("assessments/" + id);
  return page.Fetch(page.backend().assessment(),
                    &assess::AssessmentService::Stub::GetAssessment, req, a);
}

Json ActionForm(const std::string& action, const std::string& button,
                Json fields, const std::string& etag = "") {
  Json hidden = Json::array();
  if (!etag.empty()) hidden.push_back({{"name", "etag"}, {"value", etag}});
  return {{"form",
           {{"action", action},
            {"hidden", hidden},
            {"fields", fields},
            {"button", button}}}};
}

// The approver's award decision on a recommended bid, and the grants
// officer's next step once it is awarded: the funding agreement.
void AwardBlocks(Page& page, const assess::Assessment& a, Json* blocks) {
  const std::string base = Url(IdOf(a.name()));
  if (page.who().HasRole("approver")) {
    prog::GetRoundRequest rreq;
    rreq.set_name(a.round());
    prog::Round round;
    std::vector<std::pair<std::string, std::string>> lines;
    if (page.Call(page.backend().programmes(),
                  &prog::ProgrammeService::Stub::GetRound, rreq, &round)
            .ok()) {
      for (const std::string& l : round.budget_lines()) {
        lines.push_back({l, IdOf(l)});
      }
    }
    const int64_t proposed = a.recommendation().proposed_amount_pence() > 0
                                 ? a.recommendation().proposed_amount_pence()
                                 : a.bid().amount_requested_pence();
    blocks->push_back({{"h2", "Award decision"}});
    blocks->push_back(
        {{"summary",
          {{"rows",
            {SummaryRow("Recommended by", a.recommendation().decided_by()),
             SummaryRow("Recommended amount", FormatPounds(proposed)),
             SummaryRow("Rationale", a.recommendation().rationale())}}}}});
    blocks->push_back(ActionForm(
        base + "/award", "Record award decision",
        {Choice("decision", "Your decision",
                {{"AWARD", "Award a grant"},
                 {"DECLINE", "Decline"},
                 {"RESERVE_LIST", "Put on the reserve list"}},
                {page.Param("decision")}, false),
         MoneyInput("amount", "Amount to award",
                    page.Param("amount").empty() ? PoundsForInput(proposed)
                                                 : page.Param("amount"),
                    "Within your delegated limit."),
         Select("line", "Budget line", lines, page.Param("line"),
                "The line the award is reserved on."),
         TextArea("rationale", "Rationale, for the funder's record",
                  page.Param("rationale"), "", 3),
         TextArea("feedback", "Feedback for the applicant (needed to decline)",
                  page.Param("feedback"), "", 3)}));
  }
  if (page.who().HasRole("grants_officer")) {
    blocks->push_back({{"h2", "Funding agreement"}});
    blocks->push_back(
        {{"para",
          "Once the award is approved and its due diligence and safeguarding "
          "checks are done, draft the agreement on the fund's template: the "
          "award as its maximum, the project's dates, one instalment on "
          "signature and a final report."}});
    blocks->push_back(ActionForm(base + "/draft-agreement",
                                 "Draft the funding agreement", Json::array()));
  }
}

void Show(Page& page, const assess::Assessment& a, const Refusal* refusal) {
  const std::string id = IdOf(a.name());
  const assess::Bid& b = a.bid();
  Json blocks = Json::array();
  blocks.push_back(
      {{"summary",
        {{"rows",
          {SummaryRow("Organisation", b.organisation_name()),
           SummaryRow("Stage", StateWords(a.state())),
           SummaryRow("Amount requested",
                      FormatPounds(b.amount_requested_pence())),
           SummaryRow("Summary", b.summary()),
           SummaryRow("Dates",
                      absl::StrCat(LongDate(b.planned_start_date()), " to ",
                                   LongDate(b.planned_end_date()))),
           SummaryRow("Boroughs", absl::StrJoin(b.boroughs_served(), ", ")),
           SummaryRow("Works with children",
                      b.works_with_children() ? "Yes" : "No"),
           SummaryRow("Written score", ScoreText(a.written_score_bp())),
           SummaryRow("Interview score", ScoreText(a.interview_score_bp())),
           SummaryRow("Combined score", ScoreText(a.combined_score_bp()))}}}}});
  Json checks = Json::array();
  for (const assess::EligibilityCheck& c : a.screening().checks()) {
    const bool pass = c.result() == assess::EligibilityCheck::PASS;
    const bool fail = c.result() == assess::EligibilityCheck::FAIL;
    checks.push_back({Cell(c.rule()), Cell(c.detail()),
                      TagCell(pass   ? "Pass"
                              : fail ? "Fail"
                                     : "Officer to decide",
                              pass   ? "green"
                              : fail ? "red"
                                     : "yellow")});
  }
  if (!checks.empty()) {
    blocks.push_back(
        Table("Eligibility checks", {"Rule", "Detail", "Result"}, {}, checks));
  }
  Json assigned = Json::array();
  for (const assess::Assignment& x : a.assignments()) {
    assigned.push_back(
        {Cell(x.assessor()),
         Cell(x.stage() == assess::INTERVIEW ? "Interview" : "Written"),
         Cell(x.declaration() == assess::CONFLICT      ? "Conflict declared"
              : x.declaration() == assess::NO_CONFLICT ? "No conflict"
                                                       : "Not declared yet"),
         Cell(x.sheet_state() == assess::ScoreSheet::SUBMITTED ? "Submitted"
              : x.sheet_state() == assess::ScoreSheet::DRAFT   ? "In progress"
                                                             : "Not started")});
  }
  if (!assigned.empty()) {
    blocks.push_back(Table("Assessors",
                           {"Assessor", "Stage", "Declaration", "Scores"}, {},
                           assigned));
  }
  const bool officer =
      page.who().HasRole("grants_officer") || page.who().HasRole("admin");
  const std::string base = Url(id);
  switch (officer ? a.state() : assess::Assessment::STATE_UNSPECIFIED) {
    case assess::Assessment::AWAITING_SCREENING:
      blocks.push_back({{"h2", "Screening"}});
      blocks.push_back(ActionForm(
          base + "/screen", "Record screening decision",
          {Choice("decision", "Is this bid eligible?",
                  {{"ELIGIBLE", "Eligible: send it for assessment"},
                   {"INELIGIBLE", "Not eligible"}},
                  {page.Param("decision")}, false),
           TextArea("reason", "Reason, for the applicant", page.Param("reason"),
                    "Needed when it is not eligible, or when you decide it is "
                    "eligible although a check failed.",
                    3)},
          a.etag()));
      break;
    case assess::Assessment::IN_ASSESSMENT:
      if (a.assessors_needed() > 0) {
        blocks.push_back({{"h2", "Assign assessors"}});
        blocks.push_back(
            {{"para", absl::StrCat("This bid needs ", a.assessors_needed(),
                                   " more assessor(s).")}});
        blocks.push_back(ActionForm(
            base + "/assign", "Assign",
            {TextInput("assessors", "Assessors' user names",
                       page.Param("assessors"),
                       "Separate names with commas, for example: ola, ben")},
            a.etag()));
      }
      break;
    case assess::Assessment::ASSESSED:
      blocks.push_back({{"h2", "Shortlisting"}});
      blocks.push_back(ActionForm(
          base + "/shortlist", "Record shortlisting decision",
          {Choice("shortlisted", "Shortlist this bid?",
                  {{"yes", "Yes, shortlist it"}, {"no", "No"}},
                  {page.Param("shortlisted")}, false),
           TextArea("feedback", "Feedback for the applicant if not shortlisted",
                    page.Param("feedback"), "", 3)}));
      break;
    case assess::Assessment::SHORTLISTED:
      blocks.push_back({{"h2", "Schedule the interview"}});
      blocks.push_back(ActionForm(
          base + "/interview", "Schedule interview",
          {DateInput("date", "Interview date", ""),
           TextInput("time", "Time", page.Param("time"),
                     "24-hour clock, for example 14:30", "5"),
           TextInput("location", "Location", page.Param("location")),
           TextInput("panel", "Panel members' user names", page.Param("panel"),
                     "Separate names with commas")}));
      break;
    default:
      break;
  }
  if (officer &&
      (a.state() == assess::Assessment::INTERVIEW ||
       a.state() == assess::Assessment::ASSESSED ||
       a.state() == assess::Assessment::RESERVE) &&
      a.combined_score_bp() >= 0) {
    blocks.push_back({{"h2", "Recommendation to the approver"}});
    blocks.push_back(
        ActionForm(base + "/recommend", "Record recommendation",
                   {Choice("outcome", "Your recommendation",
                           {{"RECOMMEND", "Recommend an award"},
                            {"RESERVE", "Put on the reserve list"},
                            {"NOT_RECOMMENDED", "Do not recommend"}},
                           {page.Param("outcome")}, false),
                    MoneyInput("amount", "Amount to award",
                               page.Param("amount").empty()
                                   ? PoundsForInput(b.amount_requested_pence())
                                   : page.Param("amount"),
                               "At most the amount requested."),
                    TextArea("feedback", "Feedback for the applicant",
                             page.Param("feedback"), "", 3),
                    TextArea("rationale", "Rationale for the approver",
                             page.Param("rationale"), "", 3)}));
  }
  if (a.state() == assess::Assessment::RECOMMENDED ||
      a.state() == assess::Assessment::RESERVE) {
    AwardBlocks(page, a, &blocks);
  }
  page.Render(b.title(), "page",
              {{"caption", a.round()},
               {"heading", b.title()},
               {"back", absl::StrCat("/staff/", a.round(), "/assessments")},
               {"wide", true},
               {"blocks", blocks}},
              refusal);
}

void Get(Page& page) {
  assess::Assessment a;
  if (Load(page, page.Match(1), &a)) Show(page, a, nullptr);
}

std::vector<std::string> Names(const std::string& text) {
  std::vector<std::string> out;
  for (absl::string_view n :
       absl::StrSplit(text, absl::ByAnyChar(", "), absl::SkipEmpty())) {
    out.push_back(std::string(n));
  }
  return out;
}

// One step on a bid: reads its form (the portal's own checks into
// *errors), calls the service.
using Step = absl::Status (*)(Page&, const assess::Assessment&,
                              std::vector<FieldError>*, assess::Assessment*);

// Runs `step` and shows the bid again with the refusal, or goes back to it
// with `done`.
void Act(Page& page, Step step, const std::string& done,
         const std::vector<FieldPlace>& places) {
  assess::Assessment a;
  if (!Load(page, page.Match(1), &a)) return;
  std::vector<FieldError> errors;
  assess::Assessment out;
  absl::Status s = step(page, a, &errors, &out);
  if (!errors.empty()) {
    Refusal r = FormErrors(errors);
    Show(page, a, &r);
    return;
  }
  if (!s.ok()) {
    Refusal r = Explain(s, places);
    Show(page, a, &r);
    return;
  }
  page.Redirect(Url(page.Match(1)), done);
}

absl::Status Screen(Page& page, const assess::Assessment& a,
                    std::vector<FieldError>* errors, assess::Assessment* out) {
  assess::ScreenApplicationRequest req;
  assess::Screening::Decision d;
  if (!assess::Screening::Decision_Parse(page.Param("decision"), &d) ||
      d == assess::Screening::DECISION_UNSPECIFIED) {
    errors->push_back(
        {"decision", "#decision", "Select whether the bid is eligible"});
    return absl::OkStatus();
  }
  req.set_name(a.name());
  req.set_decision(d);
  req.set_reason(std::string(absl::StripAsciiWhitespace(page.Param("reason"))));
  req.set_etag(page.Param("etag"));
  req.set_request_id(page.RequestId());
  return page.Call(page.backend().assessment(),
                   &assess::AssessmentService::Stub::ScreenApplication, req,
                   out);
}

absl::Status Assign(Page& page, const assess::Assessment& a,
                    std::vector<FieldError>* errors, assess::Assessment* out) {
  const std::vector<std::string> names = Names(page.Param("assessors"));
  if (names.empty()) {
    errors->push_back(
        {"assessors", "#assessors", "Enter at least one assessor's user name"});
    return absl::OkStatus();
  }
  assess::AssignAssessorsRequest req;
  req.set_name(a.name());
  req.set_stage(assess::WRITTEN);
  for (const std::string& n : names) req.add_assessors(n);
  req.set_etag(page.Param("etag"));
  req.set_request_id(page.RequestId());
  return page.Call(page.backend().assessment(),
                   &assess::AssessmentService::Stub::AssignAssessors, req, out);
}

absl::Status Shortlist(Page& page, const assess::Assessment& a,
                       std::vector<FieldError>* errors,
                       assess::Assessment* out) {
  const std::string yes = page.Param("shortlisted");
  if (yes != "yes" && yes != "no") {
    errors->push_back(
        {"shortlisted", "#shortlisted", "Select whether to shortlist the bid"});
    return absl::OkStatus();
  }
  assess::DecideShortlistRequest req;
  req.set_name(a.name());
  req.set_shortlisted(yes == "yes");
  req.set_feedback(
      std::string(absl::StripAsciiWhitespace(page.Param("feedback"))));
  req.set_request_id(page.RequestId());
  return page.Call(page.backend().assessment(),
                   &assess::AssessmentService::Stub::DecideShortlist, req, out);
}

absl::Status Interview(Page& page, const assess::Assessment& a,
                       std::vector<FieldError>* errors,
                       assess::Assessment* out) {
  std::optional<std::string> day =
      IsoDate(page.Param("date-day"), page.Param("date-month"),
              page.Param("date-year"));
  absl::CivilMinute when;
  if (!day || !absl::ParseCivilTime(absl::StrCat(*day, "T", page.Param("time")),
                                    &when)) {
    errors->push_back(
        {"date", "#date",
         "Enter the interview's date and time, like 10 12 2026 and 14:30"});
    return absl::OkStatus();
  }
  assess::ScheduleInterviewRequest req;
  req.set_name(a.name());
  req.mutable_interview_time()->set_seconds(
      absl::ToUnixSeconds(absl::FromCivil(when, LondonZone())));
  req.set_location(page.Param("location"));
  for (const std::string& n : Names(page.Param("panel"))) req.add_panel(n);
  req.set_request_id(page.RequestId());
  return page.Call(page.backend().assessment(),
                   &assess::AssessmentService::Stub::ScheduleInterview, req,
                   out);
}

absl::Status Recommend(Page& page, const assess::Assessment& a,
                       std::vector<FieldError>* errors,
                       assess::Assessment* out) {
  assess::Recommendation::Outcome o;
  if (!assess::Recommendation::Outcome_Parse(page.Param("outcome"), &o) ||
      o == assess::Recommendation::OUTCOME_UNSPECIFIED) {
    errors->push_back({"outcome", "#outcome", "Select your recommendation"});
    return absl::OkStatus();
  }
  assess::RecordRecommendationRequest req;
  req.set_name(a.name());
  req.set_outcome(o);
  if (o == assess::Recommendation::RECOMMEND) {
    std::optional<int64_t> amount = ParsePounds(page.Param("amount"));
    if (!amount) {
      errors->push_back(
          {"amount", "#amount", "Enter the amount to award in pounds"});
      return absl::OkStatus();
    }
    req.set_proposed_amount_pence(*amount);
  }
  req.set_feedback(
      std::string(absl::StripAsciiWhitespace(page.Param("feedback"))));
  req.set_rationale(
      std::string(absl::StripAsciiWhitespace(page.Param("rationale"))));
  req.set_request_id(page.RequestId());
  return page.Call(page.backend().assessment(),
                   &assess::AssessmentService::Stub::RecordRecommendation, req,
                   out);
}

absl::Status Award(Page& page, const assess::Assessment& a,
                   std::vector<FieldError>* errors, assess::Assessment*) {
  awards::v1::DecideAwardRequest::Decision d;
  if (!awards::v1::DecideAwardRequest::Decision_Parse(page.Param("decision"),
                                                      &d) ||
      d == awards::v1::DecideAwardRequest::DECISION_UNSPECIFIED) {
    errors->push_back({"decision", "#decision", "Select your decision"});
    return absl::OkStatus();
  }
  awards::v1::DecideAwardRequest req;
  req.set_case_(a.case_());
  req.set_decision(d);
  if (d == awards::v1::DecideAwardRequest::AWARD) {
    std::optional<int64_t> amount = ParsePounds(page.Param("amount"));
    if (!amount) {
      errors->push_back(
          {"amount", "#amount", "Enter the amount to award in pounds"});
      return absl::OkStatus();
    }
    req.set_amount_pence(*amount);
    awards::v1::Allocation* al = req.add_allocations();
    al->set_budget_line(page.Param("line"));
    al->set_amount_pence(*amount);
  }
  req.set_rationale(
      std::string(absl::StripAsciiWhitespace(page.Param("rationale"))));
  req.set_feedback(
      std::string(absl::StripAsciiWhitespace(page.Param("feedback"))));
  req.set_request_id(page.RequestId());
  awards::v1::Award out;
  return page.Call(page.backend().awards(),
                   &awards::v1::AwardService::Stub::DecideAward, req, &out);
}

void DraftAgreement(Page& page) {
  assess::Assessment a;
  if (!Load(page, page.Match(1), &a)) return;
  agreements::v1::DraftAgreementRequest req;
  req.set_case_(a.case_());
  req.set_request_id(page.RequestId());
  agreements::v1::Agreement out;
  absl::Status s = page.Call(
      page.backend().agreements(),
      &agreements::v1::AgreementService::Stub::DraftAgreement, req, &out);
  if (!s.ok()) {
    Refusal r = Explain(s);
    Show(page, a, &r);
    return;
  }
  page.Redirect(
      "/staff/grants/" + IdOf(out.name()),
      "The agreement is drafted: check it, then issue it for signature");
}

}  // namespace

void InstallOfficerPages(Portal& portal, httplib::Server& s) {
  portal.Get(s, R"(/staff/funds/([a-z0-9-]+)/rounds/([a-z0-9-]+)/assessments)",
             kReaders, List);
  const std::string one = R"(/staff/assessments/([a-z0-9-]+))";
  portal.Get(s, one, kReaders, Get);
  portal.Post(s, one + "/screen", kOfficers, [](Page& p) {
    Act(p, Screen, "Screening decision recorded",
        {{"reason", "reason", "Reason", ""},
         {"decision", "decision", "Decision", ""}});
  });
  portal.Post(s, one + "/assign", kOfficers, [](Page& p) {
    Act(p, Assign, "Assessors assigned",
        {{"assessors", "assessors", "Assessors", ""}});
  });
  portal.Post(s, one + "/shortlist", kOfficers, [](Page& p) {
    Act(p, Shortlist, "Shortlisting decision recorded",
        {{"feedback", "feedback", "Feedback", ""}});
  });
  portal.Post(s, one + "/interview", kOfficers, [](Page& p) {
    Act(p, Interview, "Interview scheduled",
        {{"interview_time", "date", "Interview date", ""},
         {"panel", "panel", "Panel", ""},
         {"location", "location", "Location", ""}});
  });
  portal.Post(s, one + "/award", {"approver"}, [](Page& p) {
    Act(p, Award, "Award decision recorded",
        {{"amount_pence", "amount", "Amount to award", ""},
         {"allocations", "line", "Budget line", ""},
         {"feedback", "feedback", "Feedback", ""},
         {"rationale", "rationale", "Rationale", ""}});
  });
  portal.Post(s, one + "/draft-agreement", {"grants_officer"}, DraftAgreement);
  portal.Post(s, one + "/recommend", kOfficers, [](Page& p) {
    Act(p, Recommend, "Recommendation recorded",
        {{"proposed_amount_pence", "amount", "Amount to award", ""},
         {"feedback", "feedback", "Feedback", ""},
         {"rationale", "rationale", "Rationale", ""}});
  });
}

}  // namespace grantflow::web
