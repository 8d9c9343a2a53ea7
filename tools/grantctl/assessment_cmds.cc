// grantctl commands for AssessmentService: screening, assignment, conflicts
// of interest, scoring, moderation, shortlisting, interviews, the ranking,
// recommendations and applicants' feedback.
#include <optional>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "grantflow/assessment/v1/assessment.grpc.pb.h"
#include "platform/money.h"
#include "platform/resources.h"
#include "tools/grantctl/commands.h"
#include "tools/grantctl/helpers.h"

namespace grantflow::grantctl {
namespace {

namespace spb = ::grantflow::assessment::v1;

std::string AssessmentName(const std::string& arg) {
  if (arg.rfind("assessments/", 0) == 0) return arg;
  if (arg.rfind("applications/", 0) == 0) {
    return "assessments/" + arg.substr(13);
  }
  return "assessments/" + arg;
}

// 7250 -> "72.50%"; -1 -> "-".
std::string Percent(int32_t bp) {
  if (bp < 0) return "-";
  return absl::StrFormat("%d.%02d%%", bp / 100, bp % 100);
}

// "72.5" or "72.50%" -> 7250; nullopt when it is not a percentage with at
// most two decimals between 0 and 100.
std::optional<int32_t> ParsePercent(std::string s) {
  if (!s.empty() && s.back() == '%') s.pop_back();
  const size_t dot = s.find('.');
  std::string whole = s.substr(0, dot), frac;
  if (dot != std::string::npos) frac = s.substr(dot + 1);
  if (frac.size() > 2) return std::nullopt;
  while (frac.size() < 2) frac += '0';
  int32_t w = 0, f = 0;
  if (!absl::SimpleAtoi(whole, &w) || !absl::SimpleAtoi(frac, &f) || w < 0 ||
      f < 0) {
    return std::nullopt;
  }
  const int64_t bp = int64_t{w} * 100 + f;
  if (bp > 10000) return std::nullopt;
  return static_cast<int32_t>(bp);
}

spb::Stage StageArg(Cli& cli) {
  return cli.args().Get("stage") == "interview" ? spb::INTERVIEW : spb::WRITTEN;
}

Table AssessmentTable() {
  return Table({"ASSESSMENT", "STATE", "TITLE", "ORGANISATION", "REQUESTED",
                "WRITTEN", "COMBINED", "NEEDS"});
}
void AssessmentRow(Table& t, const spb::Assessment& a) {
  t.Add({a.name(), spb::Assessment::State_Name(a.state()), a.bid().title(),
         a.bid().organisation_name(),
         FormatPounds(a.bid().amount_requested_pence()),
         Percent(a.written_score_bp()), Percent(a.combined_score_bp()),
         a.assessors_needed() > 0 ? absl::StrCat(a.assessors_needed(), " more")
                                  : "-"});
}

void AssessmentDetail(const spb::Assessment& a, std::ostream& out) {
  out << a.name() << "  " << spb::Assessment::State_Name(a.state())
      << "  (etag " << a.etag() << ")\n";
  const spb::Bid& b = a.bid();
  out << "  bid:           " << b.title() << " — " << b.organisation_name()
      << "\n";
  if (b.amount_requested_pence() > 0) {
    out << "  asks:          " << FormatPounds(b.amount_requested_pence())
        << " for " << absl::StrJoin(b.boroughs_served(), ", ") << "\n";
  }
  if (!b.summary().empty()) out << "  summary:       " << b.summary() << "\n";
  for (const auto& c : a.screening().checks()) {
    out << "  check:         " << c.rule() << " "
        << spb::EligibilityCheck::Result_Name(c.result()) << " — " << c.detail()
        << "\n";
  }
  if (a.screening().decision() != spb::Screening::DECISION_UNSPECIFIED) {
    out << "  screened:      "
        << spb::Screening::Decision_Name(a.screening().decision()) << " by "
        << a.screening().screened_by()
        << (a.screening().reason().empty() ? "" : ": " + a.screening().reason())
        << "\n";
  }
  for (const auto& as : a.assignments()) {
    out << "  assessor:      " << as.assessor() << " ("
        << (as.stage() == spb::INTERVIEW ? "interview" : "written") << ", due "
        << When(as.due_time()) << ") "
        << spb::Declaration_Name(as.declaration())
        << (as.conflict_reason().empty() ? "" : ": " + as.conflict_reason())
        << "; sheet " << spb::ScoreSheet::State_Name(as.sheet_state()) << "\n";
  }
  if (a.assessors_needed() > 0) {
    out << "  needs:         " << a.assessors_needed() << " more assessor(s)\n";
  }
  if (a.written_score_bp() >= 0 || a.written_spread_bp() >= 0) {
    out << "  written:       " << Percent(a.written_score_bp()) << " (spread "
        << Percent(a.written_spread_bp()) << ")"
        << (a.has_moderation() ? " moderated by " + a.moderation().moderator() +
                                     ": " + a.moderation().rationale()
                               : "")
        << "\n";
  }
  if (a.has_interview()) {
    out << "  interview:     " << When(a.interview().interview_time()) << " at "
        << a.interview().location() << "; score "
        << Percent(a.interview_score_bp()) << "\n";
  }
  if (a.combined_score_bp() >= 0) {
    out << "  combined:      " << Percent(a.combined_score_bp()) << "\n";
  }
  const spb::Recommendation& r = a.recommendation();
  if (r.outcome() != spb::Recommendation::OUTCOME_UNSPECIFIED) {
    out << "  recommendation: "
        << spb::Recommendation::Outcome_Name(r.outcome())
        << (r.proposed_amount_pence() > 0
                ? " " + FormatPounds(r.proposed_amount_pence())
                : "")
        << " by " << r.decided_by() << "\n";
  }
}

void SheetDetail(const spb::ScoreSheet& s, std::ostream& out) {
  out << s.name() << "  " << spb::ScoreSheet::State_Name(s.state())
      << "  weighted " << Percent(s.weighted_score_bp()) << "  (etag "
      << s.etag() << ")\n";
  Table t({"CRITERION", "SCORE", "COMMENT"});
  for (const auto& c : s.scores()) {
    t.Add({c.criterion(), c.not_applicable() ? "n/a" : absl::StrCat(c.score()),
           c.comment()});
  }
  t.Print(out);
}

// --score criterion=N[:comment] and --na criterion[:comment].
bool ScoresFromArgs(Cli& cli, spb::SaveScoresRequest* req, int* rc) {
  for (const std::string& s : cli.args().GetAll("score")) {
    const size_t eq = s.find('=');
    if (eq == std::string::npos) {
      *rc = cli.Usage("--score takes criterion=N or criterion=N:comment");
      return false;
    }
    std::string rest = s.substr(eq + 1), comment;
    const size_t colon = rest.find(':');
    if (colon != std::string::npos) {
      comment = rest.substr(colon + 1);
      rest = rest.substr(0, colon);
    }
    int32_t n = 0;
    if (!absl::SimpleAtoi(rest, &n)) {
      *rc = cli.Usage("--score " + s + ": the score must be a whole number");
      return false;
    }
    auto* c = req->add_scores();
    c->set_criterion(s.substr(0, eq));
    c->set_score(n);
    c->set_comment(comment);
  }
  for (const std::string& s : cli.args().GetAll("na")) {
    const size_t colon = s.find(':');
    auto* c = req->add_scores();
    c->set_criterion(s.substr(0, colon));
    c->set_not_applicable(true);
    if (colon != std::string::npos) c->set_comment(s.substr(colon + 1));
  }
  return true;
}

// The caller's own score sheet on `assessment`: an assessor's view of an
// assessment carries only their own assignments (written and interview).
std::optional<std::string> MySheet(Cli& cli, spb::AssessmentService::Stub& stub,
                                   const std::string& assessment,
                                   spb::Stage stage, int* rc) {
  spb::GetAssessmentRequest get;
  get.set_name(assessment);
  spb::Assessment a;
  auto ctx = cli.Context();
  grpc::Status s = stub.GetAssessment(ctx.get(), get, &a);
  if (!s.ok()) {
    *rc = cli.Fail(s);
    return std::nullopt;
  }
  std::set<std::string> people;
  for (const spb::Assignment& as : a.assignments())
    people.insert(as.assessor());
  if (people.size() != 1 && cli.args().Get("assessor").empty()) {
    *rc = cli.Usage("name the sheet's assessor with --assessor USER");
    return std::nullopt;
  }
  std::string who = cli.args().Get("assessor");
  if (who.empty()) who = a.assignments(0).assessor();
  return absl::StrCat(assessment, "/scoreSheets/",
                      stage == spb::INTERVIEW ? "interview" : "written", ".",
                      who);
}

constexpr char kUsage[] =
    "assess list --round R [--state S] [--all] | get A\n"
    "  | screen A (--eligible | --ineligible) [--reason T] [--etag E]\n"
    "  | assign A (--assessor U ... | --pool U ...) [--stage interview]\n"
    "  | queue [--include-submitted]\n"
    "  | declare A (--no-conflict | --conflict REASON) [--stage interview]\n"
    "  | score A --score CRITERION=N[:comment] ... [--na CRITERION[:why]]\n"
    "          [--stage interview]\n"
    "  | submit A [--stage interview] | sheet A [--assessor U] [--stage ...]\n"
    "  | reopen A --assessor U --reason T [--stage interview]\n"
    "  | moderate A --score PERCENT --rationale T\n"
    "  | shortlist A (--yes | --no --feedback T)\n"
    "  | shortlist --round R (--top N | --above PERCENT) --feedback T\n"
    "  | interview A --at RFC3339 --panel U --panel U [--location L]\n"
    "  | ranking --round R\n"
    "  | recommend A (--recommend --amount-pence N | --reserve |\n"
    "               --not-recommended --feedback T) [--rationale T]\n"
    "  | feedback applications/A";

}  // namespace

int AssessCommand(Cli& cli) {
  auto stub = spb::AssessmentService::NewStub(cli.channel("assessment"));
  const std::string verb = Arg(cli, 1);
  const std::string name = AssessmentName(Arg(cli, 2));
  auto show = [&](const grpc::Status& s, const spb::Assessment& a) {
    return Show<spb::Assessment>(cli, s, a, AssessmentDetail);
  };
  spb::Assessment out;
  if (verb == "list") {
    spb::ListAssessmentsRequest req;
    req.set_round(cli.args().Get("round"));
    if (cli.args().Has("state")) {
      spb::Assessment::State st;
      if (!spb::Assessment::State_Parse(cli.args().Get("state"), &st)) {
        return cli.Usage(
            "--state must be an assessment state, e.g. "
            "AWAITING_SCREENING or IN_ASSESSMENT");
      }
      req.set_state(st);
    }
    return ListPages<spb::ListAssessmentsRequest, spb::ListAssessmentsResponse,
                     spb::Assessment>(
        cli, req,
        [&](auto* c, const auto& r, auto* o) {
          return stub->ListAssessments(c, r, o);
        },
        [](const auto& r) -> const auto& { return r.assessments(); },
        AssessmentTable(), AssessmentRow);
  }
  if (verb == "get") {
    spb::GetAssessmentRequest req;
    req.set_name(name);
    auto ctx = cli.Context();
    return show(stub->GetAssessment(ctx.get(), req, &out), out);
  }
  if (verb == "screen") {
    spb::ScreenApplicationRequest req;
    req.set_name(name);
    if (cli.args().Has("eligible") == cli.args().Has("ineligible")) {
      return cli.Usage("say --eligible or --ineligible");
    }
    req.set_decision(cli.args().Has("eligible") ? spb::Screening::ELIGIBLE
                                                : spb::Screening::INELIGIBLE);
    req.set_reason(cli.args().Get("reason"));
    req.set_etag(cli.args().Get("etag"));
    req.set_request_id(cli.RequestId());
    auto ctx = cli.Context();
    return show(stub->ScreenApplication(ctx.get(), req, &out), out);
  }
  if (verb == "assign") {
    spb::AssignAssessorsRequest req;
    req.set_name(name);
    req.set_stage(StageArg(cli));
    for (const auto& u : cli.args().GetAll("assessor")) req.add_assessors(u);
    for (const auto& u : cli.args().GetAll("pool")) req.add_pool(u);
    req.set_etag(cli.args().Get("etag"));
    req.set_request_id(cli.RequestId());
    auto ctx = cli.Context();
    return show(stub->AssignAssessors(ctx.get(), req, &out), out);
  }
  if (verb == "queue") {
    spb::ListMyAssignmentsRequest req;
    req.set_include_submitted(cli.args().Has("include-submitted"));
    Table table({"ASSESSMENT", "TITLE", "ORGANISATION", "STAGE", "DUE (UTC)",
                 "DECLARED", "SHEET"});
    return ListPages<spb::ListMyAssignmentsRequest,
                     spb::ListMyAssignmentsResponse, spb::QueueItem>(
        cli, req,
        [&](auto* c, const auto& r, auto* o) {
          return stub->ListMyAssignments(c, r, o);
        },
        [](const auto& r) -> const auto& { return r.items(); }, table,
        [](Table& t, const spb::QueueItem& i) {
          const auto& as = i.assignment();
          t.Add({i.assessment(), i.title(), i.organisation_name(),
                 as.stage() == spb::INTERVIEW ? "interview" : "written",
                 When(as.due_time()), spb::Declaration_Name(as.declaration()),
                 spb::ScoreSheet::State_Name(as.sheet_state())});
        });
  }
  if (verb == "declare") {
    spb::DeclareInterestRequest req;
    req.set_name(name);
    req.set_stage(StageArg(cli));
    if (cli.args().Has("no-conflict") == cli.args().Has("conflict")) {
      return cli.Usage("say --no-conflict or --conflict REASON");
    }
    req.set_declaration(cli.args().Has("conflict") ? spb::CONFLICT
                                                   : spb::NO_CONFLICT);
    req.set_conflict_reason(cli.args().Get("conflict"));
    req.set_request_id(cli.RequestId());
    auto ctx = cli.Context();
    return show(stub->DeclareInterest(ctx.get(), req, &out), out);
  }
  if (verb == "score" || verb == "submit" || verb == "sheet") {
    int rc = 0;
    auto sheet = MySheet(cli, *stub, name, StageArg(cli), &rc);
    if (!sheet) return rc;
    spb::ScoreSheet resp;
    auto ctx = cli.Context();
    grpc::Status s;
    if (verb == "score") {
      spb::SaveScoresRequest req;
      req.set_name(*sheet);
      if (!ScoresFromArgs(cli, &req, &rc)) return rc;
      req.set_etag(cli.args().Get("etag"));
      req.set_request_id(cli.RequestId());
      s = stub->SaveScores(ctx.get(), req, &resp);
    } else if (verb == "submit") {
      spb::SubmitScoresRequest req;
      req.set_name(*sheet);
      req.set_request_id(cli.RequestId());
      s = stub->SubmitScores(ctx.get(), req, &resp);
    } else {
      spb::GetScoreSheetRequest req;
      req.set_name(*sheet);
      s = stub->GetScoreSheet(ctx.get(), req, &resp);
    }
    return Show<spb::ScoreSheet>(cli, s, resp, SheetDetail);
  }
  if (verb == "reopen") {
    spb::ReopenScoresRequest req;
    req.set_name(
        absl::StrCat(name, "/scoreSheets/",
                     StageArg(cli) == spb::INTERVIEW ? "interview" : "written",
                     ".", cli.args().Get("assessor")));
    req.set_reason(cli.args().Get("reason"));
    req.set_request_id(cli.RequestId());
    spb::ScoreSheet resp;
    auto ctx = cli.Context();
    return Show<spb::ScoreSheet>(cli, stub->ReopenScores(ctx.get(), req, &resp),
                                 resp, SheetDetail);
  }
  if (verb == "moderate") {
    spb::ModerateScoreRequest req;
    req.set_name(name);
    std::optional<int32_t> bp = ParsePercent(cli.args().Get("score"));
    if (!bp) return cli.Usage("--score must be a percentage such as 65.5");
    req.set_agreed_score_bp(*bp);
    req.set_rationale(cli.args().Get("rationale"));
    req.set_etag(cli.args().Get("etag"));
    req.set_request_id(cli.RequestId());
    auto ctx = cli.Context();
    return show(stub->ModerateScore(ctx.get(), req, &out), out);
  }
  if (verb == "shortlist" && cli.args().Has("round")) {
    spb::ShortlistRoundRequest req;
    req.set_round(cli.args().Get("round"));
    if (cli.args().Has("top")) {
      int32_t top = 0;
      if (!absl::SimpleAtoi(cli.args().Get("top"), &top)) {
        return cli.Usage("--top must be a number of bids");
      }
      req.set_top_n(top);
    }
    if (cli.args().Has("above")) {
      std::optional<int32_t> bp = ParsePercent(cli.args().Get("above"));
      if (!bp) return cli.Usage("--above must be a percentage such as 65");
      req.set_min_score_bp(*bp);
    }
    req.set_feedback(cli.args().Get("feedback"));
    req.set_request_id(cli.RequestId());
    spb::ShortlistRoundResponse resp;
    auto ctx = cli.Context();
    return Show<spb::ShortlistRoundResponse>(
        cli, stub->ShortlistRound(ctx.get(), req, &resp), resp,
        [](const spb::ShortlistRoundResponse& r, std::ostream& o) {
          Table t = AssessmentTable();
          for (const auto& a : r.shortlisted()) AssessmentRow(t, a);
          for (const auto& a : r.not_shortlisted()) AssessmentRow(t, a);
          t.Print(o);
          o << r.shortlisted_size() << " shortlisted, "
            << r.not_shortlisted_size() << " not\n";
        });
  }
  if (verb == "shortlist") {
    spb::DecideShortlistRequest req;
    req.set_name(name);
    if (cli.args().Has("yes") == cli.args().Has("no")) {
      return cli.Usage("say --yes or --no --feedback TEXT");
    }
    req.set_shortlisted(cli.args().Has("yes"));
    req.set_feedback(cli.args().Get("feedback"));
    req.set_request_id(cli.RequestId());
    auto ctx = cli.Context();
    return show(stub->DecideShortlist(ctx.get(), req, &out), out);
  }
  if (verb == "interview") {
    spb::ScheduleInterviewRequest req;
    req.set_name(name);
    absl::Time at;
    std::string error;
    if (!absl::ParseTime(absl::RFC3339_full, cli.args().Get("at"), &at,
                         &error)) {
      return cli.Usage("--at must be a time such as 2026-12-01T10:00:00Z");
    }
    *req.mutable_interview_time() = ToProto(at);
    req.set_location(cli.args().Get("location"));
    for (const auto& u : cli.args().GetAll("panel")) req.add_panel(u);
    req.set_request_id(cli.RequestId());
    auto ctx = cli.Context();
    return show(stub->ScheduleInterview(ctx.get(), req, &out), out);
  }
  if (verb == "ranking") {
    spb::GetRankingRequest req;
    req.set_round(cli.args().Get("round"));
    spb::Ranking resp;
    auto ctx = cli.Context();
    return Show<spb::Ranking>(
        cli, stub->GetRanking(ctx.get(), req, &resp), resp,
        [](const spb::Ranking& r, std::ostream& o) {
          o << r.round() << ": " << FormatPounds(r.available_pence())
            << " available on its budget lines\n";
          Table t({"#", "ASSESSMENT", "TITLE", "STATE", "WRITTEN", "INTERVIEW",
                   "COMBINED", "REQUESTED", "RUNNING TOTAL", "FITS",
                   "RECOMMENDATION"});
          for (const auto& e : r.entries()) {
            t.Add(
                {absl::StrCat(e.rank()), e.assessment(), e.title(),
                 spb::Assessment::State_Name(e.state()),
                 Percent(e.written_score_bp()) + (e.moderated() ? "*" : ""),
                 Percent(e.interview_score_bp()),
                 Percent(e.combined_score_bp()),
                 FormatPounds(e.amount_requested_pence()),
                 FormatPounds(e.running_total_pence()),
                 e.within_budget() ? "yes" : "no",
                 e.recommendation() == spb::Recommendation::OUTCOME_UNSPECIFIED
                     ? "-"
                     : spb::Recommendation::Outcome_Name(e.recommendation())});
          }
          t.Print(o);
          for (const auto& e : r.entries()) {
            if (e.moderated()) {
              o << "(* moderated)\n";
              break;
            }
          }
        });
  }
  if (verb == "recommend") {
    spb::RecordRecommendationRequest req;
    req.set_name(name);
    const int chosen = cli.args().Has("recommend") + cli.args().Has("reserve") +
                       cli.args().Has("not-recommended");
    if (chosen != 1) {
      return cli.Usage(
          "say one of --recommend --amount-pence N, --reserve, "
          "--not-recommended --feedback TEXT");
    }
    req.set_outcome(cli.args().Has("recommend") ? spb::Recommendation::RECOMMEND
                    : cli.args().Has("reserve")
                        ? spb::Recommendation::RESERVE
                        : spb::Recommendation::NOT_RECOMMENDED);
    if (cli.args().Has("amount-pence")) {
      int64_t pence = 0;
      if (!absl::SimpleAtoi(cli.args().Get("amount-pence"), &pence)) {
        return cli.Usage("--amount-pence must be a whole number of pence");
      }
      req.set_proposed_amount_pence(pence);
    }
    req.set_feedback(cli.args().Get("feedback"));
    req.set_rationale(cli.args().Get("rationale"));
    req.set_request_id(cli.RequestId());
    auto ctx = cli.Context();
    return show(stub->RecordRecommendation(ctx.get(), req, &out), out);
  }
  if (verb == "feedback") {
    spb::GetApplicantFeedbackRequest req;
    std::string app = Arg(cli, 2);
    if (app.rfind("applications/", 0) != 0) app = "applications/" + app;
    req.set_application(app);
    spb::ApplicantFeedback resp;
    auto ctx = cli.Context();
    return Show<spb::ApplicantFeedback>(
        cli, stub->GetApplicantFeedback(ctx.get(), req, &resp), resp,
        [](const spb::ApplicantFeedback& f, std::ostream& o) {
          o << f.application() << ": " << f.status() << "\n";
          Table t({"STAGE", "OUTCOME", "WHEN (UTC)", "FEEDBACK"});
          for (const auto& s : f.stages()) {
            t.Add({s.stage(), s.outcome(), When(s.time()), s.feedback()});
          }
          t.Print(o);
        });
  }
  return cli.Usage(kUsage);
}

}  // namespace grantflow::grantctl
