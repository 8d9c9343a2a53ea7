// The assessor's pages: the queue; for each bid, the declaration of
// interest before anything but its title opens (R6), then the bid and a
// score for each of the round's criteria with comments, saved as a draft
// and submitted when done. Interview sheets work the same way.
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "platform/money.h"
#include "web/forms.h"
#include "web/portal.h"
#include "web/widgets.h"

namespace grantflow::web {
namespace {

namespace assess = assessment::v1;
namespace prog = programmes::v1;

std::string StageSlug(assess::Stage s) {
  return s == assess::INTERVIEW ? "interview" : "written";
}
assess::Stage StageOf(const std::string& slug) {
  return slug == "interview" ? assess::INTERVIEW : assess::WRITTEN;
}

std::string SheetUrl(const std::string& id, const std::string& stage) {
  return absl::StrCat("/assessor/assessments/", id, "/", stage);
}

std::string SheetState(assess::ScoreSheet::State s) {
  switch (s) {
    case assess::ScoreSheet::DRAFT:
      return "Scores saved";
    case assess::ScoreSheet::SUBMITTED:
      return "Submitted";
    default:
      return "Not started";
  }
}

void Queue(Page& page) {
  assess::ListMyAssignmentsRequest req;
  req.set_page_size(100);
  req.set_include_submitted(true);
  assess::ListMyAssignmentsResponse resp;
  if (!page.Fetch(page.backend().assessment(),
                  &assess::AssessmentService::Stub::ListMyAssignments, req,
                  &resp))
    return;
  Json rows = Json::array();
  for (const assess::QueueItem& item : resp.items()) {
    const assess::Assignment& a = item.assignment();
    std::string status = SheetState(a.sheet_state());
    std::string colour =
        a.sheet_state() == assess::ScoreSheet::SUBMITTED ? "green" : "blue";
    if (a.declaration() == assess::DECLARATION_UNSPECIFIED) {
      status = "Declare interests";
      colour = "yellow";
    } else if (a.declaration() == assess::CONFLICT) {
      status = "Conflict declared";
      colour = "grey";
    }
    rows.push_back(
        {Cell(item.title(),
              SheetUrl(IdOf(item.assessment()), StageSlug(a.stage()))),
         Cell(item.organisation_name()),
         Cell(a.stage() == assess::INTERVIEW ? "Interview" : "Written bid"),
         Cell(WhenText(a.due_time())), TagCell(status, colour)});
  }
  Json blocks = Json::array();
  if (rows.empty()) {
    blocks.push_back({{"para", "Nothing is assigned to you at the moment."}});
  } else {
    blocks.push_back({{"para",
                       "Before you open a bid you will be asked whether you "
                       "have a conflict of interest with the organisation."}});
    blocks.push_back(
        Table("Bids assigned to you",
              {"Project", "Organisation", "Stage", "Due", "Status"}, {}, rows));
  }
  page.Render(
      "Your assessments", "page",
      {{"heading", "Your assessments"}, {"blocks", blocks}, {"wide", true}});
}

const assess::Assignment* MyAssignment(const assess::Assessment& a,
                                       const std::string& user,
                                       assess::Stage stage) {
  for (const assess::Assignment& x : a.assignments()) {
    if (x.assessor() == user && x.stage() == stage) return &x;
  }
  return nullptr;
}

std::string SheetName(const assess::Assessment& a, const std::string& stage,
                      const std::string& user) {
  return absl::StrCat(a.name(), "/scoreSheets/", stage, ".", user);
}

void ShowBid(Page& page, const assess::Assessment& a, const std::string& stage,
             const assess::ScoreSheet& sheet, const Refusal* refusal,
             bool posted) {
  const std::string id = IdOf(a.name());
  prog::GetRoundRequest rreq;
  rreq.set_name(a.round());
  prog::Round round;
  if (!page.Fetch(page.backend().programmes(),
                  &prog::ProgrammeService::Stub::GetRound, rreq, &round))
    return;
  const assess::Bid& b = a.bid();
  Json blocks = Json::array();
  std::vector<std::string> budget;
  for (const auto& item : b.budget()) {
    budget.push_back(absl::StrCat(item.description(), ": ",
                                  FormatPounds(item.amount_pence())));
  }
  blocks.push_back(
      {{"summary",
        {{"rows",
          {SummaryRow("Organisation", b.organisation_name()),
           SummaryRow("Summary", b.summary()),
           SummaryRow("Amount requested",
                      FormatPounds(b.amount_requested_pence())),
           SummaryRow("Budget", absl::StrJoin(budget, "\n")),
           SummaryRow("Dates",
                      absl::StrCat(LongDate(b.planned_start_date()), " to ",
                                   LongDate(b.planned_end_date()))),
           SummaryRow("Boroughs", absl::StrJoin(b.boroughs_served(), ", ")),
           SummaryRow("People taking part",
                      absl::StrCat(b.expected_beneficiaries())),
           SummaryRow("Works with children",
                      b.works_with_children() ? "Yes" : "No"),
           SummaryRow("Works with adults at risk",
                      b.works_with_adults_at_risk() ? "Yes" : "No")}}}}});
  if (sheet.state() == assess::ScoreSheet::SUBMITTED) {
    Json rows = Json::array();
    for (const auto& cs : sheet.scores()) {
      rows.push_back(
          {Cell(cs.criterion()),
           NumberCell(cs.not_applicable() ? "n/a" : absl::StrCat(cs.score())),
           Cell(cs.comment())});
    }
    blocks.push_back({{"h2", "Your submitted scores"}});
    blocks.push_back(Table("Scores", {"Criterion", "Score", "Comment"},
                           {false, true, false}, rows));
    page.Render(b.title(), "page",
                {{"caption", "Submitted"},
                 {"heading", b.title()},
                 {"back", "/assessor"},
                 {"blocks", blocks}});
    return;
  }
  Json fields = Json::array();
  for (const prog::Criterion& c : round.criteria()) {
    std::string score, comment;
    for (const auto& cs : sheet.scores()) {
      if (cs.criterion() == c.id()) {
        score = cs.not_applicable() ? "na" : absl::StrCat(cs.score());
        comment = cs.comment();
      }
    }
    if (posted) {
      score = page.Param("score-" + c.id());
      comment = page.Param("comment-" + c.id());
    }
    std::vector<std::pair<std::string, std::string>> options;
    for (int i = 0; i <= c.max_score(); ++i) {
      options.push_back({absl::StrCat(i), absl::StrCat(i)});
    }
    options.push_back({"na", "Not applicable"});
    fields.push_back(Choice(
        "score-" + c.id(),
        absl::StrCat(c.title(), " (weight ", c.weight_percent(), "%)"), options,
        {score}, false, absl::StrCat("Score from 0 to ", c.max_score(), "."),
        /*small=*/true));
    fields.push_back(TextArea(
        "comment-" + c.id(),
        absl::StrCat("Your comments on ", absl::AsciiStrToLower(c.title())),
        comment, "", 3));
  }
  blocks.push_back({{"h2", "Your scores"}});
  blocks.push_back({{"para",
                     "Save your scores to come back to them later. Once you "
                     "submit them they are final unless a moderator reopens "
                     "them."}});
  blocks.push_back({{"form",
                     {{"action", SheetUrl(id, stage) + "/scores"},
                      {"hidden", {{{"name", "etag"}, {"value", sheet.etag()}}}},
                      {"fields", fields},
                      {"button", "Save and submit scores"},
                      {"button_name", "action"},
                      {"button_value", "submit"},
                      {"save_button", "Save as a draft"}}}});
  page.Render(b.title(), "page",
              {{"caption", stage == "interview" ? "Interview" : "Written bid"},
               {"heading", b.title()},
               {"back", "/assessor"},
               {"blocks", blocks}},
              refusal);
}

absl::Status LoadSheet(Page& page, const assess::Assessment& a,
                       const std::string& stage, assess::ScoreSheet* sheet) {
  assess::GetScoreSheetRequest req;
  req.set_name(SheetName(a, stage, page.who().user));
  absl::Status s =
      page.Call(page.backend().assessment(),
                &assess::AssessmentService::Stub::GetScoreSheet, req, sheet);
  return s.code() == absl::StatusCode::kNotFound ? absl::OkStatus() : s;
}

void ShowDeclaration(Page& page, const assess::Assessment& a,
                     const std::string& stage, const Refusal* refusal) {
  const std::string id = IdOf(a.name());
  Json fields = Json::array();
  fields.push_back(Choice(
      "declaration",
      "Do you have a conflict of interest with this organisation or project?",
      {{"no", "No, I have no conflict of interest"},
       {"yes", "Yes, I have a conflict of interest"}},
      {page.Param("declaration")}, false,
      "For example, you work or volunteer for it, sit on its "
      "board, or a close family member or friend does."));
  fields.push_back(
      TextArea("conflict-reason", "If you have a conflict, what is it?",
               page.Param("conflict-reason"),
               "The grants team will assign another assessor.", 3));
  page.Render(
      "Declare any conflict of interest", "page",
      {{"caption", a.bid().title()},
       {"heading", "Declare any conflict of interest"},
       {"back", "/assessor"},
       {"blocks",
        {{{"summary",
           {{"rows",
             {SummaryRow("Project", a.bid().title()),
              SummaryRow("Organisation", a.bid().organisation_name())}}}}},
         {{"para",
           "You will see the full bid only after you declare that you "
           "have no conflict of interest. If you do have one, you will "
           "not see it at all."}},
         {{"form",
           {{"action", SheetUrl(id, stage) + "/declare"},
            {"fields", fields},
            {"button", "Confirm declaration"}}}}}}},
      refusal);
}

bool LoadAssessment(Page& page, const std::string& id, assess::Assessment* a) {
  assess::GetAssessmentRequest req;
  req.set_name("assessments/" + id);
  return page.Fetch(page.backend().assessment(),
                    &assess::AssessmentService::Stub::GetAssessment, req, a);
}

void BidGet(Page& page) {
  const std::string id = page.Match(1), stage = page.Match(2);
  assess::Assessment a;
  if (!LoadAssessment(page, id, &a)) return;
  const assess::Assignment* mine =
      MyAssignment(a, page.who().user, StageOf(stage));
  if (mine == nullptr) {
    Refusal r;
    r.summary = "This application is not assigned to you.";
    r.http_status = 403;
    page.Refuse(r);
    return;
  }
  if (mine->declaration() == assess::DECLARATION_UNSPECIFIED) {
    ShowDeclaration(page, a, stage, nullptr);
    return;
  }
  assess::ScoreSheet sheet;
  if (absl::Status s = LoadSheet(page, a, stage, &sheet); !s.ok()) {
    page.Refuse(Explain(s));
    return;
  }
  ShowBid(page, a, stage, sheet, nullptr, false);
}

void DeclarePost(Page& page) {
  const std::string id = page.Match(1), stage = page.Match(2);
  assess::Assessment a;
  if (!LoadAssessment(page, id, &a)) return;
  const std::string answer = page.Param("declaration");
  const std::string reason(
      absl::StripAsciiWhitespace(page.Param("conflict-reason")));
  std::vector<FieldError> errors;
  if (answer != "yes" && answer != "no") {
    errors.push_back({"declaration", "#declaration",
                      "Select whether you have a conflict of interest"});
  } else if (answer == "yes" && reason.empty()) {
    errors.push_back({"conflict-reason", "#conflict-reason",
                      "Say what your conflict of interest is"});
  }
  if (!errors.empty()) {
    Refusal r = FormErrors(errors);
    ShowDeclaration(page, a, stage, &r);
    return;
  }
  assess::DeclareInterestRequest req;
  req.set_name(a.name());
  req.set_stage(StageOf(stage));
  req.set_declaration(answer == "yes" ? assess::CONFLICT : assess::NO_CONFLICT);
  req.set_conflict_reason(reason);
  req.set_request_id(page.RequestId());
  assess::Assessment out;
  absl::Status s =
      page.Call(page.backend().assessment(),
                &assess::AssessmentService::Stub::DeclareInterest, req, &out);
  if (!s.ok()) {
    Refusal r = Explain(s, {{"conflict_reason", "conflict-reason",
                             "Your conflict of interest", ""}});
    ShowDeclaration(page, a, stage, &r);
    return;
  }
  if (answer == "yes") {
    page.Redirect("/assessor",
                  "Thank you. Your conflict of interest is recorded and the "
                  "bid has been taken out of your queue's reach.");
    return;
  }
  page.Redirect(SheetUrl(id, stage), "Declaration recorded: no conflict");
}

void ScoresPost(Page& page) {
  const std::string id = page.Match(1), stage = page.Match(2);
  assess::Assessment a;
  if (!LoadAssessment(page, id, &a)) return;
  prog::GetRoundRequest rreq;
  rreq.set_name(a.round());
  prog::Round round;
  if (absl::Status rs =
          page.Call(page.backend().programmes(),
                    &prog::ProgrammeService::Stub::GetRound, rreq, &round);
      !rs.ok()) {
    page.Refuse(Explain(rs));
    return;
  }
  assess::SaveScoresRequest save;
  save.set_name(SheetName(a, stage, page.who().user));
  save.set_etag(page.Param("etag"));
  std::vector<FieldPlace> places;
  std::vector<FieldError> errors;
  const bool submit = page.Param("action") == "submit";
  for (int i = 0; i < round.criteria_size(); ++i) {
    const prog::Criterion& c = round.criteria(i);
    places.push_back({absl::StrCat("scores[", i, "].score"), "score-" + c.id(),
                      c.title(), ""});
    places.push_back(
        {absl::StrCat("scores[", i, "].comment"), "comment-" + c.id(),
         absl::StrCat("Comments on ", absl::AsciiStrToLower(c.title())), ""});
    const std::string v = page.Param("score-" + c.id());
    const std::string comment(
        absl::StripAsciiWhitespace(page.Param("comment-" + c.id())));
    if (v.empty()) {
      if (submit) {
        errors.push_back(
            {"score-" + c.id(), "#score-" + c.id(),
             absl::StrCat("Score ", absl::AsciiStrToLower(c.title()))});
      }
      if (comment.empty()) continue;
    }
    assess::CriterionScore* cs = save.add_scores();
    cs->set_criterion(c.id());
    cs->set_comment(comment);
    int n = 0;
    if (v == "na") {
      cs->set_not_applicable(true);
    } else if (absl::SimpleAtoi(v, &n)) {
      cs->set_score(n);
    }
  }
  assess::ScoreSheet current;
  if (absl::Status s = LoadSheet(page, a, stage, &current); !s.ok()) {
    page.Refuse(Explain(s));
    return;
  }
  if (!errors.empty()) {
    Refusal r = FormErrors(errors);
    ShowBid(page, a, stage, current, &r, true);
    return;
  }
  save.set_request_id(page.RequestId());
  assess::ScoreSheet saved;
  absl::Status s =
      page.Call(page.backend().assessment(),
                &assess::AssessmentService::Stub::SaveScores, save, &saved);
  if (s.ok() && submit) {
    assess::SubmitScoresRequest sub;
    sub.set_name(saved.name());
    sub.set_etag(saved.etag());
    sub.set_request_id(page.RequestId() + "-submit");
    s = page.Call(page.backend().assessment(),
                  &assess::AssessmentService::Stub::SubmitScores, sub, &saved);
  }
  if (!s.ok()) {
    Refusal r = Explain(s, places);
    ShowBid(page, a, stage, current, &r, true);
    return;
  }
  page.Redirect(submit ? "/assessor" : SheetUrl(id, stage),
                submit ? absl::StrCat("Your scores for ", a.bid().title(),
                                      " are submitted")
                       : "Your scores are saved");
}

}  // namespace

void InstallAssessorPages(Portal& portal, httplib::Server& s) {
  const std::vector<std::string> roles = {"assessor"};
  portal.Get(s, "/assessor", roles, Queue);
  const std::string bid =
      R"(/assessor/assessments/([a-z0-9-]+)/(written|interview))";
  portal.Get(s, bid, roles, BidGet);
  portal.Post(s, bid + "/declare", roles, DeclarePost);
  portal.Post(s, bid + "/scores", roles, ScoresPost);
}

}  // namespace grantflow::web
