// AssessmentService's domain over a real store and a real in-process engine:
// screening asks the engine first, R6 (declare before reading; a conflict
// sees and scores nothing), assignment and queues, score sheets.
#include "services/assessment/assessments.h"

#include <map>
#include <memory>
#include <set>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "platform/errors.h"
#include "platform/resources.h"
#include "tests/testing/engine_harness.h"
#include "tests/testing/fixtures.h"
#include "tests/testing/in_process.h"
#include "tests/testing/matchers.h"
#include "tests/testing/temp_dir.h"

namespace grantflow::assessment {
namespace {

namespace ppb = ::grantflow::programmes::v1;
namespace apb = ::grantflow::applications::v1;
using ::grantflow::testing::HasReason;
using ::grantflow::testing::IsOk;
using ::grantflow::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

class FakeRounds : public RoundSource {
 public:
  absl::StatusOr<ppb::Round> GetRound(const Call&,
                                      const std::string& name) override {
    auto it = rounds.find(name);
    if (it == rounds.end()) return absl::NotFoundError("no round " + name);
    return it->second;
  }
  std::map<std::string, ppb::Round> rounds;
};

std::vector<std::string> Fields(const absl::Status& s) {
  std::vector<std::string> out;
  for (const auto& v : errors::FieldViolationsOf(s)) out.push_back(v.field);
  return out;
}

class AssessmentsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = testing::OpenStore(dir_.path());
    engine_ = std::make_unique<testing::EngineHarness>(engine_dir_.path());
    cases_ = std::make_unique<testing::EngineCaseClient>(
        &engine_->engine(), [this] { return engine_->now; });
    domain_ =
        std::make_unique<Assessments>(store_.get(), &rounds_, cases_.get());
    ppb::Round r = testing::ValidRound(engine_->now - absl::Hours(24),
                                       engine_->now + absl::Hours(24), {});
    r.set_name(testing::kRound);
    r.mutable_eligibility()->add_boroughs("Hackney");
    r.mutable_eligibility()->add_boroughs("Southwark");
    rounds_.rounds[testing::kRound] = r;
    const absl::Time now = engine_->now;
    service_ = testing::MakeCall("grantflowd", {"service"}, now);
    officer_ = testing::MakeCall("grace", {"grants_officer"}, now);
    sam_ = testing::MakeCall("sam", {"assessor"}, now);
    tom_ = testing::MakeCall("tom", {"assessor"}, now);
    uma_ = testing::MakeCall("uma", {"assessor"}, now);
    vic_ = testing::MakeCall("vic", {"assessor"}, now);
    moderator_ = testing::MakeCall("mo", {"moderator"}, now);
    amira_ = testing::MakeCall("amira", {"applicant"}, now, testing::kOrg);
  }

  // Opens, screens and assigns sam and tom, who declare no conflict and
  // submit (bringing-together, safeguarding) scores out of 5 each.
  void Assessed(const std::string& id, std::pair<int, int> sam,
                std::pair<int, int> tom,
                const std::string& definition = "standard") {
    if (definition == "standard") {
      ASSERT_THAT(Open(id).status(), IsOk());
    } else {
      ASSERT_THAT(engine_->Start(id, definition, false, 2'500'000).status(),
                  IsOk());
      ASSERT_THAT(Open(id, false).status(), IsOk());
    }
    ASSERT_THAT(Screen(id, pb::Screening::ELIGIBLE).status(), IsOk());
    ASSERT_THAT(Assign(id, {"sam", "tom"}).status(), IsOk());
    for (auto [who, scores] : {std::pair{&sam_, sam}, std::pair{&tom_, tom}}) {
      ASSERT_THAT(Declare(*who, id, pb::NO_CONFLICT).status(), IsOk());
      ASSERT_THAT(Save(*who, id,
                       {{"bringing-together", scores.first},
                        {"safeguarding", scores.second}})
                      .status(),
                  IsOk());
      ASSERT_THAT(Submit(*who, id).status(), IsOk());
    }
  }

  absl::StatusOr<pb::Assessment> Shortlist(const std::string& id, bool yes,
                                           const std::string& feedback = "") {
    pb::DecideShortlistRequest req;
    req.set_name("assessments/" + id);
    req.set_shortlisted(yes);
    req.set_feedback(feedback);
    req.set_request_id("shortlist:" + std::to_string(++requests_));
    return domain_->DecideShortlist(officer_, req);
  }

  absl::StatusOr<pb::Assessment> Interview(const std::string& id,
                                           std::vector<std::string> panel) {
    pb::ScheduleInterviewRequest req;
    req.set_name("assessments/" + id);
    *req.mutable_interview_time() = ToProto(engine_->now + absl::Hours(72));
    req.set_location("City Hall, committee room 4");
    for (auto& p : panel) req.add_panel(p);
    req.set_request_id("interview:" + std::to_string(++requests_));
    return domain_->ScheduleInterview(officer_, req);
  }

  // Panel member `who` declares and submits interview scores.
  void PanelScores(const Call& who, const std::string& id,
                   std::pair<int, int> scores) {
    pb::DeclareInterestRequest d;
    d.set_name("assessments/" + id);
    d.set_stage(pb::INTERVIEW);
    d.set_declaration(pb::NO_CONFLICT);
    d.set_request_id("declare-i:" + std::to_string(++requests_));
    ASSERT_THAT(domain_->DeclareInterest(who, d).status(), IsOk());
    pb::SaveScoresRequest save;
    save.set_name("assessments/" + id + "/scoreSheets/interview." +
                  who.principal.user);
    for (auto [c, sc] : {std::pair{"bringing-together", scores.first},
                         std::pair{"safeguarding", scores.second}}) {
      pb::CriterionScore* cs = save.add_scores();
      cs->set_criterion(c);
      cs->set_score(sc);
    }
    save.set_request_id("save-i:" + std::to_string(++requests_));
    ASSERT_THAT(domain_->SaveScores(who, save).status(), IsOk());
    pb::SubmitScoresRequest submit;
    submit.set_name(save.name());
    submit.set_request_id("submit-i:" + std::to_string(++requests_));
    ASSERT_THAT(domain_->SubmitScores(who, submit).status(), IsOk());
  }

  absl::StatusOr<pb::Assessment> Recommend(const std::string& id,
                                           pb::Recommendation::Outcome outcome,
                                           int64_t pence = 0,
                                           const std::string& feedback = "") {
    pb::RecordRecommendationRequest req;
    req.set_name("assessments/" + id);
    req.set_outcome(outcome);
    req.set_proposed_amount_pence(pence);
    req.set_feedback(feedback);
    req.set_rationale("Panel view");
    req.set_request_id("recommend:" + std::to_string(++requests_));
    return domain_->RecordRecommendation(officer_, req);
  }

  absl::StatusOr<pb::Ranking> Ranking() {
    pb::GetRankingRequest req;
    req.set_round(testing::kRound);
    return domain_->GetRanking(officer_, req);
  }

  pb::Bid Bid(const std::string& id) {
    pb::Bid b;
    b.set_application("applications/" + id);
    b.set_round(testing::kRound);
    b.set_organisation(testing::kOrg);
    b.set_organisation_name("Hackney Families Network");
    b.set_title("Family suppers " + id);
    b.set_summary("Monthly suppers for families new to Hackney.");
    b.set_amount_requested_pence(2'500'000);
    b.add_boroughs_served("Hackney");
    b.set_legal_form(apb::REGISTERED_CHARITY);
    b.set_annual_income_pence(30'000'000);
    return b;
  }

  // The bid arrives (as ApplicationService's task would bring it) and its
  // case is started at the engine.
  absl::StatusOr<pb::Assessment> Open(const std::string& id,
                                      bool start_case = true) {
    if (start_case) {
      auto c = engine_->Start(id, "standard", false, 2'500'000);
      if (!c.ok()) return c.status();
    }
    pb::OpenAssessmentRequest req;
    *req.mutable_bid() = Bid(id);
    req.set_request_id("open:" + id);
    return domain_->OpenAssessment(service_, req);
  }

  absl::StatusOr<pb::Assessment> Screen(const std::string& id,
                                        pb::Screening::Decision d,
                                        const std::string& reason = "",
                                        const std::string& rid = "") {
    pb::ScreenApplicationRequest req;
    req.set_name("assessments/" + id);
    req.set_decision(d);
    req.set_reason(reason);
    req.set_request_id(rid.empty() ? "screen:" + id : rid);
    return domain_->ScreenApplication(officer_, req);
  }

  absl::StatusOr<pb::Assessment> Assign(const std::string& id,
                                        std::vector<std::string> who,
                                        std::vector<std::string> pool = {},
                                        const std::string& rid = "") {
    pb::AssignAssessorsRequest req;
    req.set_name("assessments/" + id);
    req.set_stage(pb::WRITTEN);
    for (auto& w : who) req.add_assessors(w);
    for (auto& p : pool) req.add_pool(p);
    req.set_request_id(
        rid.empty() ? "assign:" + id + ":" + std::to_string(++requests_) : rid);
    return domain_->AssignAssessors(officer_, req);
  }

  absl::StatusOr<pb::Assessment> Declare(const Call& who, const std::string& id,
                                         pb::Declaration d,
                                         const std::string& why = "") {
    pb::DeclareInterestRequest req;
    req.set_name("assessments/" + id);
    req.set_stage(pb::WRITTEN);
    req.set_declaration(d);
    req.set_conflict_reason(why);
    req.set_request_id("declare:" + std::to_string(++requests_));
    return domain_->DeclareInterest(who, req);
  }

  static std::string Sheet(const std::string& id, const std::string& who) {
    return "assessments/" + id + "/scoreSheets/written." + who;
  }

  absl::StatusOr<pb::ScoreSheet> Save(
      const Call& who, const std::string& id,
      std::vector<std::pair<std::string, int>> scores,
      const std::string& comment = "fine") {
    pb::SaveScoresRequest req;
    req.set_name(Sheet(id, who.principal.user));
    for (const auto& [c, s] : scores) {
      pb::CriterionScore* cs = req.add_scores();
      cs->set_criterion(c);
      cs->set_score(s);
      cs->set_comment(comment);
    }
    req.set_request_id("save:" + std::to_string(++requests_));
    return domain_->SaveScores(who, req);
  }

  absl::StatusOr<pb::ScoreSheet> Submit(const Call& who,
                                        const std::string& id) {
    pb::SubmitScoresRequest req;
    req.set_name(Sheet(id, who.principal.user));
    req.set_request_id("submit:" + std::to_string(++requests_));
    return domain_->SubmitScores(who, req);
  }

  absl::StatusOr<pb::Assessment> Get(const Call& who, const std::string& id) {
    pb::GetAssessmentRequest req;
    req.set_name("assessments/" + id);
    return domain_->GetAssessment(who, req);
  }

  std::string CaseState(const std::string& id) {
    auto c = cases_->GetCase("cases/" + id);
    return c.ok() ? c->state() : c.status().ToString();
  }

  size_t Audited() { return testing::AuditCount(*store_); }

  testing::TempDir dir_;
  testing::TempDir engine_dir_;
  std::unique_ptr<testing::EngineHarness> engine_;
  std::unique_ptr<testing::EngineCaseClient> cases_;
  std::unique_ptr<storage::Store> store_;
  FakeRounds rounds_;
  std::unique_ptr<Assessments> domain_;
  Call service_, officer_, sam_, tom_, uma_, vic_, moderator_, amira_;
  int requests_ = 0;
};

TEST_F(AssessmentsTest, ABidArrivesOnceWithItsEligibilityChecks) {
  auto a = Open("a1");
  ASSERT_THAT(a.status(), IsOk());
  EXPECT_EQ(a->state(), pb::Assessment::AWAITING_SCREENING);
  EXPECT_EQ(a->case_(), "cases/a1");
  ASSERT_EQ(a->screening().checks_size(), 4);
  for (const auto& c : a->screening().checks()) {
    EXPECT_EQ(c.result(), pb::EligibilityCheck::PASS) << c.rule();
  }
  // A second delivery, even under another request id, changes nothing.
  pb::OpenAssessmentRequest again;
  *again.mutable_bid() = Bid("a1");
  again.mutable_bid()->set_title("Changed on the way");
  again.set_request_id("open:a1:redelivered");
  const size_t audited = Audited();
  auto second = domain_->OpenAssessment(service_, again);
  ASSERT_THAT(second.status(), IsOk());
  EXPECT_EQ(second->bid().title(), "Family suppers a1");
  EXPECT_EQ(Audited(), audited);

  pb::OpenAssessmentRequest bad;
  bad.mutable_bid()->set_application("apps/1");
  bad.mutable_bid()->set_amount_requested_pence(-5);
  bad.set_request_id("open:bad");
  EXPECT_THAT(Fields(domain_->OpenAssessment(service_, bad).status()),
              ElementsAre("bid.application", "bid.round", "bid.organisation",
                          "bid.title", "bid.amount_requested_pence"));
}

TEST_F(AssessmentsTest, ScreeningAsksTheEngineFirst) {
  ASSERT_THAT(Open("a1").status(), IsOk());
  ASSERT_THAT(Open("a2").status(), IsOk());

  // Ineligible needs a reason for the applicant; nothing is written.
  const size_t audited = Audited();
  EXPECT_THAT(Fields(Screen("a2", pb::Screening::INELIGIBLE).status()),
              ElementsAre("reason"));
  EXPECT_EQ(Audited(), audited);
  EXPECT_EQ(CaseState("a2"), "SUBMITTED");

  auto eligible = Screen("a1", pb::Screening::ELIGIBLE);
  ASSERT_THAT(eligible.status(), IsOk());
  EXPECT_EQ(eligible->state(), pb::Assessment::IN_ASSESSMENT);
  EXPECT_EQ(eligible->assessors_needed(), 2);
  EXPECT_EQ(eligible->screening().screened_by(), "grace");
  EXPECT_EQ(CaseState("a1"), "IN_ASSESSMENT");

  auto ineligible =
      Screen("a2", pb::Screening::INELIGIBLE, "Not a London project");
  ASSERT_THAT(ineligible.status(), IsOk());
  EXPECT_EQ(ineligible->state(), pb::Assessment::INELIGIBLE);
  EXPECT_EQ(CaseState("a2"), "INELIGIBLE");

  // A retry returns the same answer; a second decision is refused.
  auto retried = Screen("a1", pb::Screening::ELIGIBLE);
  ASSERT_THAT(retried.status(), IsOk());
  EXPECT_EQ(retried->etag(), eligible->etag());
  EXPECT_THAT(
      Screen("a1", pb::Screening::INELIGIBLE, "no", "screen:a1:again").status(),
      HasReason("ALREADY_SCREENED"));
}

TEST_F(AssessmentsTest, ARefusedFactWritesNothingAndSaysWhy) {
  ASSERT_THAT(Open("a1").status(), IsOk());
  // The group withdrew at the engine before the officer screened.
  ASSERT_THAT(engine_->Fact(engine_->Officer(), "a1", "WITHDRAWN").status(),
              IsOk());
  const size_t audited = Audited();
  auto refused = Screen("a1", pb::Screening::ELIGIBLE);
  EXPECT_THAT(refused.status(), StatusIs(absl::StatusCode::kFailedPrecondition,
                                         "INVALID_TRANSITION"));
  EXPECT_EQ(errors::MetadataOf(refused.status(), "state"), "WITHDRAWN");
  EXPECT_EQ(Audited(), audited);
  auto a = Get(officer_, "a1");
  ASSERT_THAT(a.status(), IsOk());
  EXPECT_EQ(a->state(), pb::Assessment::AWAITING_SCREENING);

  // The engine's outcome arrives; assessment follows it.
  pb::ApplyCaseOutcomeRequest outcome;
  outcome.set_assessment("assessments/a1");
  outcome.set_state("WITHDRAWN");
  outcome.set_event_seq(2);
  outcome.set_request_id("outcome:a1:2");
  auto withdrawn = domain_->ApplyCaseOutcome(service_, outcome);
  ASSERT_THAT(withdrawn.status(), IsOk());
  EXPECT_EQ(withdrawn->state(), pb::Assessment::WITHDRAWN);
}

TEST_F(AssessmentsTest, ACaseNotYetAtTheEngineIsUnavailableNotWritten) {
  ASSERT_THAT(Open("a1", /*start_case=*/false).status(), IsOk());
  const size_t audited = Audited();
  EXPECT_THAT(Screen("a1", pb::Screening::ELIGIBLE).status(),
              StatusIs(absl::StatusCode::kUnavailable, "CASE_NOT_STARTED"));
  EXPECT_EQ(Audited(), audited);
}

TEST_F(AssessmentsTest, EligibleAgainstAFailedCheckNeedsAReason) {
  pb::OpenAssessmentRequest req;
  *req.mutable_bid() = Bid("a3");
  req.mutable_bid()->clear_boroughs_served();
  req.mutable_bid()->add_boroughs_served("Barnet");
  req.set_request_id("open:a3");
  ASSERT_THAT(engine_->Start("a3", "standard", false, 2'500'000).status(),
              IsOk());
  auto a = domain_->OpenAssessment(service_, req);
  ASSERT_THAT(a.status(), IsOk());
  EXPECT_EQ(a->screening().checks(1).result(), pb::EligibilityCheck::FAIL);
  EXPECT_THAT(Fields(Screen("a3", pb::Screening::ELIGIBLE).status()),
              ElementsAre("reason"));
  EXPECT_EQ(CaseState("a3"), "SUBMITTED") << "the engine was not asked";
  EXPECT_THAT(Screen("a3", pb::Screening::ELIGIBLE,
                     "Runs its sessions in Hackney", "screen:a3:2")
                  .status(),
              IsOk());
}

TEST_F(AssessmentsTest, R6_DeclareBeforeReadingAndAConflictSeesNothing) {
  ASSERT_THAT(Open("a1").status(), IsOk());
  ASSERT_THAT(Screen("a1", pb::Screening::ELIGIBLE).status(), IsOk());
  auto assigned = Assign("a1", {"sam", "Tom"});
  ASSERT_THAT(assigned.status(), IsOk());
  EXPECT_EQ(assigned->assessors_needed(), 0);
  EXPECT_EQ(assigned->assignments(1).assessor(), "tom") << "canonical";

  // Before declaring: the title and organisation only.
  auto view = Get(sam_, "a1");
  ASSERT_THAT(view.status(), IsOk());
  EXPECT_EQ(view->bid().title(), "Family suppers a1");
  EXPECT_EQ(view->bid().summary(), "");
  EXPECT_EQ(view->bid().amount_requested_pence(), 0);
  EXPECT_EQ(view->assignments_size(), 1) << "not the other assessors";
  EXPECT_THAT(Save(sam_, "a1", {{"bringing-together", 4}}).status(),
              HasReason("NOT_DECLARED"));

  // Not assigned: nothing.
  EXPECT_THAT(Get(uma_, "a1").status(),
              StatusIs(absl::StatusCode::kPermissionDenied, "NOT_ASSIGNED"));

  // No conflict: the whole bid.
  ASSERT_THAT(Declare(sam_, "a1", pb::NO_CONFLICT).status(), IsOk());
  view = Get(sam_, "a1");
  ASSERT_THAT(view.status(), IsOk());
  EXPECT_EQ(view->bid().summary(),
            "Monthly suppers for families new to Hackney.");

  // A conflict needs a reason; then the assessor is recused.
  EXPECT_THAT(Fields(Declare(tom_, "a1", pb::CONFLICT).status()),
              ElementsAre("conflict_reason"));
  auto recused = Declare(tom_, "a1", pb::CONFLICT, "I chair its board");
  ASSERT_THAT(recused.status(), IsOk());
  EXPECT_EQ(recused->bid().title(), "") << "the answer carries no bid";
  EXPECT_THAT(
      Get(tom_, "a1").status(),
      StatusIs(absl::StatusCode::kPermissionDenied, "CONFLICT_DECLARED"));
  EXPECT_THAT(
      Save(tom_, "a1", {{"bringing-together", 1}}).status(),
      StatusIs(absl::StatusCode::kPermissionDenied, "CONFLICT_DECLARED"));
  EXPECT_THAT(Declare(tom_, "a1", pb::NO_CONFLICT).status(),
              HasReason("ALREADY_DECLARED"));

  // The officer sees the recusal and that a replacement is needed.
  auto officer_view = Get(officer_, "a1");
  ASSERT_THAT(officer_view.status(), IsOk());
  EXPECT_EQ(officer_view->assessors_needed(), 1);
  EXPECT_EQ(officer_view->assignments(1).declaration(), pb::CONFLICT);
  EXPECT_EQ(officer_view->assignments(1).conflict_reason(),
            "I chair its board");

  // A balanced replacement from a pool never picks the recused assessor.
  auto replaced = Assign("a1", {}, {"tom", "uma", "sam"});
  ASSERT_THAT(replaced.status(), IsOk());
  ASSERT_EQ(replaced->assignments_size(), 3);
  EXPECT_EQ(replaced->assignments(2).assessor(), "uma");
  EXPECT_EQ(replaced->assessors_needed(), 0);
}

TEST_F(AssessmentsTest, BalancedAssignmentPicksTheLeastLoaded) {
  for (const char* id : {"a1", "a2", "a3"}) {
    ASSERT_THAT(Open(id).status(), IsOk());
    ASSERT_THAT(Screen(id, pb::Screening::ELIGIBLE).status(), IsOk());
  }
  ASSERT_THAT(Assign("a1", {"sam", "tom"}).status(), IsOk());
  ASSERT_THAT(Assign("a2", {"sam"}).status(), IsOk());
  // sam has 2, tom 1, uma 0: a2 needs one more, a3 two.
  auto a2 = Assign("a2", {}, {"sam", "tom", "uma"});
  ASSERT_THAT(a2.status(), IsOk());
  EXPECT_EQ(a2->assignments(1).assessor(), "uma");
  auto a3 = Assign("a3", {}, {"sam", "tom", "uma"});
  ASSERT_THAT(a3.status(), IsOk());
  ASSERT_EQ(a3->assignments_size(), 2);
  EXPECT_EQ(a3->assignments(0).assessor(), "tom");  // 1 open; uma has 1 too
  EXPECT_EQ(a3->assignments(1).assessor(), "uma");
  // Full: the pool has nothing to add.
  EXPECT_THAT(Assign("a3", {}, {"sam"}).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  // Named twice, or already on it.
  EXPECT_THAT(Fields(Assign("a3", {"sam", "SAM"}).status()),
              ElementsAre("assessors[1]"));
  EXPECT_THAT(Fields(Assign("a3", {"tom"}).status()),
              ElementsAre("assessors[0]"));

  // sam's queue, by due time: a1 then a2.
  pb::ListMyAssignmentsRequest q;
  auto queue = domain_->ListMyAssignments(sam_, q);
  ASSERT_THAT(queue.status(), IsOk());
  ASSERT_EQ(queue->items_size(), 2);
  EXPECT_EQ(queue->items(0).assessment(), "assessments/a1");
  EXPECT_EQ(queue->items(0).title(), "Family suppers a1");
  EXPECT_EQ(FromProto(queue->items(0).assignment().due_time()),
            engine_->now + absl::Hours(24 * 14));
}

TEST_F(AssessmentsTest, ScoresWithinRangeSavedThenSubmittedOnce) {
  ASSERT_THAT(Open("a1").status(), IsOk());
  ASSERT_THAT(Screen("a1", pb::Screening::ELIGIBLE).status(), IsOk());
  ASSERT_THAT(Assign("a1", {"sam", "tom"}).status(), IsOk());
  ASSERT_THAT(Declare(sam_, "a1", pb::NO_CONFLICT).status(), IsOk());

  const size_t audited = Audited();
  EXPECT_THAT(
      Fields(
          Save(sam_, "a1",
               {{"bringing-together", 6}, {"safeguarding", -1}, {"budget", 2}})
              .status()),
      ElementsAre("scores[0].score", "scores[1].score", "scores[2].criterion"));
  EXPECT_EQ(Audited(), audited);

  auto draft = Save(sam_, "a1", {{"bringing-together", 4}});
  ASSERT_THAT(draft.status(), IsOk());
  EXPECT_EQ(draft->state(), pb::ScoreSheet::DRAFT);
  EXPECT_EQ(draft->weighted_score_bp(), -1) << "not every criterion scored";
  EXPECT_THAT(Submit(sam_, "a1").status(), HasReason("SCORES_INCOMPLETE"));

  // (60*4 + 40*3) / (60*5 + 40*5) = 360/500 = 72%.
  auto full = Save(sam_, "a1", {{"bringing-together", 4}, {"safeguarding", 3}});
  ASSERT_THAT(full.status(), IsOk());
  EXPECT_EQ(full->weighted_score_bp(), 7200);

  // Nobody else writes or submits sam's sheet.
  pb::SaveScoresRequest forged;
  forged.set_name(Sheet("a1", "sam"));
  forged.set_request_id("forged");
  EXPECT_THAT(domain_->SaveScores(tom_, forged).status(),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(domain_->SaveScores(officer_, forged).status(),
              StatusIs(absl::StatusCode::kPermissionDenied));

  auto submitted = Submit(sam_, "a1");
  ASSERT_THAT(submitted.status(), IsOk());
  EXPECT_EQ(submitted->state(), pb::ScoreSheet::SUBMITTED);
  EXPECT_EQ(submitted->weighted_score_bp(), 7200);
  EXPECT_THAT(Save(sam_, "a1", {{"bringing-together", 5}, {"safeguarding", 5}})
                  .status(),
              HasReason("SCORES_SUBMITTED"));
  EXPECT_THAT(Declare(sam_, "a1", pb::CONFLICT, "late").status(),
              HasReason("SCORES_SUBMITTED"));

  // The officer reads the sheet; the queue drops it unless asked.
  pb::GetScoreSheetRequest get;
  get.set_name(Sheet("a1", "sam"));
  auto read = domain_->GetScoreSheet(officer_, get);
  ASSERT_THAT(read.status(), IsOk());
  EXPECT_EQ(read->scores_size(), 2);
  pb::ListMyAssignmentsRequest q;
  EXPECT_THAT(domain_->ListMyAssignments(sam_, q)->items(), IsEmpty());
  q.set_include_submitted(true);
  EXPECT_EQ(domain_->ListMyAssignments(sam_, q)->items_size(), 1);
  // tom has not started.
  get.set_name(Sheet("a1", "tom"));
  auto tom_sheet = domain_->GetScoreSheet(officer_, get);
  ASSERT_THAT(tom_sheet.status(), IsOk());
  EXPECT_EQ(tom_sheet->state(), pb::ScoreSheet::NOT_STARTED);
}

TEST_F(AssessmentsTest, CommentsWhenTheRoundAsksForThem) {
  rounds_.rounds[testing::kRound].mutable_assessment()->set_comments_required(
      true);
  ASSERT_THAT(Open("a1").status(), IsOk());
  ASSERT_THAT(Screen("a1", pb::Screening::ELIGIBLE).status(), IsOk());
  ASSERT_THAT(Assign("a1", {"sam", "tom"}).status(), IsOk());
  ASSERT_THAT(Declare(sam_, "a1", pb::NO_CONFLICT).status(), IsOk());
  EXPECT_THAT(
      Fields(Save(sam_, "a1", {{"bringing-together", 4}}, " ").status()),
      ElementsAre("scores[0].comment"));
  EXPECT_THAT(
      Save(sam_, "a1", {{"bringing-together", 4}}, "Strong reach").status(),
      IsOk());
}

TEST_F(AssessmentsTest, AWithdrawnBidLeavesEveryQueue) {
  ASSERT_THAT(Open("a1").status(), IsOk());
  ASSERT_THAT(Screen("a1", pb::Screening::ELIGIBLE).status(), IsOk());
  ASSERT_THAT(Assign("a1", {"sam", "tom"}).status(), IsOk());
  ASSERT_THAT(Declare(sam_, "a1", pb::NO_CONFLICT).status(), IsOk());
  pb::ApplyCaseOutcomeRequest outcome;
  outcome.set_assessment("assessments/a1");
  outcome.set_state("WITHDRAWN");
  outcome.set_event_seq(5);
  outcome.set_request_id("outcome:a1:5");
  ASSERT_THAT(domain_->ApplyCaseOutcome(service_, outcome).status(), IsOk());
  pb::ListMyAssignmentsRequest q;
  q.set_include_submitted(true);
  EXPECT_THAT(domain_->ListMyAssignments(sam_, q)->items(), IsEmpty());
  EXPECT_THAT(Save(sam_, "a1", {{"bringing-together", 4}}).status(),
              HasReason("NOT_IN_ASSESSMENT"));
}

TEST_F(AssessmentsTest, ScoresApartBeyondTheThresholdGoToModeration) {
  // sam: (60*5 + 40*5)/500 = 100%; tom: (60*1 + 40*1)/500 = 20%.
  Assessed("a1", {5, 5}, {1, 1});
  auto a = Get(officer_, "a1");
  ASSERT_THAT(a.status(), IsOk());
  EXPECT_EQ(a->state(), pb::Assessment::MODERATION);
  EXPECT_EQ(a->written_spread_bp(), 8000);
  EXPECT_EQ(a->written_score_bp(), -1);
  EXPECT_EQ(CaseState("a1"), "MODERATION");

  pb::ModerateScoreRequest m;
  m.set_name("assessments/a1");
  m.set_agreed_score_bp(10001);
  m.set_request_id("moderate");
  EXPECT_THAT(Fields(domain_->ModerateScore(moderator_, m).status()),
              ElementsAre("agreed_score_bp", "rationale"));
  m.set_agreed_score_bp(6500);
  m.set_rationale("Both read the safeguarding plan; agreed it is adequate");
  auto moderated = domain_->ModerateScore(moderator_, m);
  ASSERT_THAT(moderated.status(), IsOk());
  EXPECT_EQ(moderated->state(), pb::Assessment::ASSESSED);
  EXPECT_EQ(moderated->written_score_bp(), 6500);
  EXPECT_EQ(moderated->moderation().moderator(), "mo");
  // Shortlisting from moderation works at the engine.
  ASSERT_THAT(Shortlist("a1", true).status(), IsOk());
  EXPECT_EQ(CaseState("a1"), "SHORTLISTED");
}

TEST_F(AssessmentsTest, AModeratorReopensASheetAndTheScoreSettlesAgain) {
  Assessed("a1", {5, 5}, {1, 1});
  pb::ReopenScoresRequest r;
  r.set_name(Sheet("a1", "tom"));
  r.set_request_id("reopen");
  EXPECT_THAT(Fields(domain_->ReopenScores(moderator_, r).status()),
              ElementsAre("reason"));
  r.set_reason("Scored against last year's criteria");
  auto reopened = domain_->ReopenScores(moderator_, r);
  ASSERT_THAT(reopened.status(), IsOk());
  EXPECT_EQ(reopened->state(), pb::ScoreSheet::DRAFT);
  EXPECT_EQ(Get(officer_, "a1")->state(), pb::Assessment::IN_ASSESSMENT);
  // tom rescores close to sam: (60*5 + 40*4)/500 = 92%; mean 96%.
  ASSERT_THAT(Save(tom_, "a1", {{"bringing-together", 5}, {"safeguarding", 4}})
                  .status(),
              IsOk());
  ASSERT_THAT(Submit(tom_, "a1").status(), IsOk());
  auto a = Get(officer_, "a1");
  EXPECT_EQ(a->state(), pb::Assessment::ASSESSED);
  EXPECT_EQ(a->written_score_bp(), 9600);
  EXPECT_EQ(a->written_spread_bp(), 800);
}

TEST_F(AssessmentsTest, InterviewScoresChangeTheRanking) {
  ASSERT_THAT(engine_->Line("funds/lff/budgetLines/grants", 4'000'000).status(),
              IsOk());
  rounds_.rounds[testing::kRound].add_budget_lines(
      "funds/lff/budgetLines/grants");
  Assessed("a1", {5, 5}, {5, 4});  // 100%, 92%: written 96%
  Assessed("a2", {4, 4}, {4, 3});  // 80%, 72%: written 76%
  Assessed("a3", {1, 1}, {1, 2});  // 20%, 28%: written 24%
  auto before = Ranking();
  ASSERT_THAT(before.status(), IsOk());
  ASSERT_EQ(before->entries_size(), 3);
  EXPECT_EQ(before->entries(0).assessment(), "assessments/a1");
  EXPECT_EQ(before->entries(0).written_score_bp(), 9600);
  EXPECT_EQ(before->available_pence(), 4'000'000);

  // a3 is not shortlisted; feedback is required.
  EXPECT_THAT(Fields(Shortlist("a3", false).status()), ElementsAre("feedback"));
  ASSERT_THAT(Shortlist("a3", false, "Too few families reached").status(),
              IsOk());
  EXPECT_EQ(CaseState("a3"), "DECLINED");
  for (const char* id : {"a1", "a2"}) {
    ASSERT_THAT(Shortlist(id, true).status(), IsOk());
    EXPECT_THAT(Fields(Interview(id, {"uma"}).status()), ElementsAre("panel"));
    auto scheduled = Interview(id, {"uma", "vic"});
    ASSERT_THAT(scheduled.status(), IsOk());
    EXPECT_EQ(scheduled->state(), pb::Assessment::INTERVIEW);
    EXPECT_EQ(CaseState(id), "INTERVIEW");
  }
  // Interviews: a1 poor (20%), a2 strong (100%). Combined at 50%:
  // a1 (9600 + 2000)/2 = 5800; a2 (7600 + 10000)/2 = 8800.
  PanelScores(uma_, "a1", {1, 1});
  PanelScores(vic_, "a1", {1, 1});
  PanelScores(uma_, "a2", {5, 5});
  PanelScores(vic_, "a2", {5, 5});
  auto after = Ranking();
  ASSERT_THAT(after.status(), IsOk());
  EXPECT_EQ(after->entries(0).assessment(), "assessments/a2");
  EXPECT_EQ(after->entries(0).combined_score_bp(), 8800);
  EXPECT_EQ(after->entries(1).assessment(), "assessments/a1");
  EXPECT_EQ(after->entries(1).combined_score_bp(), 5800);
  EXPECT_EQ(after->entries(2).assessment(), "assessments/a3");
  // Running totals count bids still in contention: £25k, £50k; a3 is out.
  EXPECT_EQ(after->entries(0).running_total_pence(), 2'500'000);
  EXPECT_TRUE(after->entries(0).within_budget());
  EXPECT_EQ(after->entries(1).running_total_pence(), 5'000'000);
  EXPECT_FALSE(after->entries(1).within_budget());
  EXPECT_EQ(after->entries(2).running_total_pence(), 5'000'000);

  // The ranking is reproducible from the stored sheets.
  for (const auto& e : after->entries()) {
    const std::string id = e.assessment().substr(12);
    std::vector<int32_t> written, interview;
    for (const char* who : {"sam", "tom"}) {
      pb::GetScoreSheetRequest g;
      g.set_name(Sheet(id, who));
      written.push_back(
          domain_->GetScoreSheet(officer_, g)->weighted_score_bp());
    }
    // Two sheets: their mean, rounded half up, computed here by hand.
    const int32_t w = (written[0] + written[1] + 1) / 2;
    EXPECT_EQ(e.written_score_bp(), w) << id;
    if (id == "a3") continue;
    for (const char* who : {"uma", "vic"}) {
      pb::GetScoreSheetRequest g;
      g.set_name("assessments/" + id + "/scoreSheets/interview." + who);
      interview.push_back(
          domain_->GetScoreSheet(officer_, g)->weighted_score_bp());
    }
    const int32_t i = (interview[0] + interview[1] + 1) / 2;
    EXPECT_EQ(e.combined_score_bp(), (w + i + 1) / 2) << id;
  }

  // Recommend a2 within what it asked; a1 not recommended.
  EXPECT_THAT(
      Fields(
          Recommend("a2", pb::Recommendation::RECOMMEND, 2'500'001).status()),
      ElementsAre("proposed_amount_pence"));
  auto rec = Recommend("a2", pb::Recommendation::RECOMMEND, 2'400'000);
  ASSERT_THAT(rec.status(), IsOk());
  EXPECT_EQ(rec->state(), pb::Assessment::RECOMMENDED);
  EXPECT_EQ(CaseState("a2"), "RECOMMENDED");
  EXPECT_THAT(
      Fields(Recommend("a1", pb::Recommendation::NOT_RECOMMENDED).status()),
      ElementsAre("feedback"));
  ASSERT_THAT(Recommend("a1", pb::Recommendation::NOT_RECOMMENDED, 0,
                        "The panel was not convinced it can recruit")
                  .status(),
              IsOk());
  EXPECT_EQ(CaseState("a1"), "DECLINED");
  EXPECT_THAT(
      Recommend("a1", pb::Recommendation::RECOMMEND, 1'000'000).status(),
      HasReason("NOT_IN_ASSESSMENT"));
}

TEST_F(AssessmentsTest,
       AnAssessorOnTheInterviewPanelSeesBothOfTheirAssignments) {
  Assessed("b1", {4, 4}, {4, 3});  // sam and tom scored the written bid
  ASSERT_THAT(Shortlist("b1", true).status(), IsOk());
  ASSERT_THAT(Interview("b1", {"sam", "vic"}).status(), IsOk());
  // sam sees the written assignment (declared, submitted) and the interview
  // one (not declared yet), and no one else's; vic only the interview's.
  auto view = Get(sam_, "b1");
  ASSERT_THAT(view.status(), IsOk());
  ASSERT_EQ(view->assignments_size(), 2);
  std::set<int> stages;
  for (const pb::Assignment& as : view->assignments()) {
    EXPECT_EQ(as.assessor(), "sam");
    stages.insert(as.stage());
    if (as.stage() == pb::INTERVIEW) {
      EXPECT_EQ(as.declaration(), pb::DECLARATION_UNSPECIFIED);
    } else {
      EXPECT_EQ(as.declaration(), pb::NO_CONFLICT);
    }
  }
  EXPECT_EQ(stages, (std::set<int>{pb::WRITTEN, pb::INTERVIEW}));
  EXPECT_FALSE(view->bid().summary().empty());
  auto vic = Get(vic_, "b1");
  ASSERT_THAT(vic.status(), IsOk());
  ASSERT_EQ(vic->assignments_size(), 1);
  EXPECT_EQ(vic->assignments(0).stage(), pb::INTERVIEW);
  EXPECT_TRUE(vic->bid().summary().empty()) << "vic has not declared yet";
}

TEST_F(AssessmentsTest, ARoundIsShortlistedAtOnceFromWrittenScores) {
  Assessed("a1", {4, 4}, {4, 3});            // 76%
  Assessed("a2", {5, 5}, {5, 4});            // 96%
  ASSERT_THAT(Open("a3").status(), IsOk());  // not screened yet
  pb::ShortlistRoundRequest req;
  req.set_round(testing::kRound);
  req.set_top_n(1);
  req.set_feedback("Others scored higher on reach");
  req.set_request_id("round-shortlist");
  const size_t audited = Audited();
  EXPECT_THAT(domain_->ShortlistRound(officer_, req).status(),
              HasReason("SCORES_PENDING"));
  EXPECT_EQ(Audited(), audited);
  ASSERT_THAT(
      Screen("a3", pb::Screening::INELIGIBLE, "Outside London").status(),
      IsOk());
  pb::ShortlistRoundRequest both = req;
  both.set_min_score_bp(5000);
  EXPECT_THAT(Fields(domain_->ShortlistRound(officer_, both).status()),
              ElementsAre("top_n"));
  auto done = domain_->ShortlistRound(officer_, req);
  ASSERT_THAT(done.status(), IsOk());
  ASSERT_EQ(done->shortlisted_size(), 1);
  EXPECT_EQ(done->shortlisted(0).name(), "assessments/a2");
  ASSERT_EQ(done->not_shortlisted_size(), 1);
  EXPECT_EQ(done->not_shortlisted(0).shortlist_feedback(),
            "Others scored higher on reach");
  EXPECT_EQ(CaseState("a2"), "SHORTLISTED");
  EXPECT_EQ(CaseState("a1"), "DECLINED");
  // A retry changes nothing and answers the same.
  const size_t after = Audited();
  auto again = domain_->ShortlistRound(officer_, req);
  ASSERT_THAT(again.status(), IsOk());
  EXPECT_EQ(again->shortlisted_size() + again->not_shortlisted_size(), 0)
      << "nothing is left to decide";
  EXPECT_EQ(Audited(), after);
}

TEST_F(AssessmentsTest, ApplicantsSeeOutcomesAndFeedbackNeverNamesOrScores) {
  Assessed("a1", {4, 4}, {4, 3});
  ASSERT_THAT(Shortlist("a1", false, "Strong, but others reached more families")
                  .status(),
              IsOk());
  pb::GetApplicantFeedbackRequest req;
  req.set_application("applications/a1");
  auto fb = domain_->GetApplicantFeedback(amira_, req);
  ASSERT_THAT(fb.status(), IsOk());
  EXPECT_EQ(fb->status(), "not shortlisted");
  ASSERT_EQ(fb->stages_size(), 2);
  EXPECT_EQ(fb->stages(0).outcome(), "ELIGIBLE");
  EXPECT_EQ(fb->stages(1).feedback(),
            "Strong, but others reached more families");
  const std::string text = fb->DebugString();
  for (const char* secret : {"sam", "tom", "grace", "7600", "bp"}) {
    EXPECT_EQ(text.find(secret), std::string::npos) << secret;
  }
  // Another organisation's applicant learns nothing.
  Call other = testing::MakeCall("tom", {"applicant"}, engine_->now,
                                 "organisations/peckham-arts");
  EXPECT_THAT(domain_->GetApplicantFeedback(other, req).status(),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(AssessmentsTest, MicroGrantsGoFromAssessmentToRecommendation) {
  ppb::Round& r = rounds_.rounds[testing::kRound];
  r.set_lifecycle_definition("micro-grant");
  r.set_interview_stage(false);
  Assessed("m1", {4, 4}, {4, 4}, "micro-grant");
  auto a = Get(officer_, "m1");
  EXPECT_EQ(a->state(), pb::Assessment::ASSESSED);
  EXPECT_EQ(a->combined_score_bp(), 8000) << "the written score alone";
  EXPECT_THAT(Shortlist("m1", true).status(), HasReason("NOT_IN_ASSESSMENT"));
  // The reserve list first, then a recommendation.
  auto reserve = Recommend("m1", pb::Recommendation::RESERVE);
  ASSERT_THAT(reserve.status(), IsOk());
  EXPECT_EQ(reserve->state(), pb::Assessment::RESERVE);
  EXPECT_EQ(CaseState("m1"), "IN_ASSESSMENT") << "no fact for the reserve";
  ASSERT_THAT(
      Recommend("m1", pb::Recommendation::RECOMMEND, 2'000'000).status(),
      IsOk());
  EXPECT_EQ(CaseState("m1"), "RECOMMENDED");
}

}  // namespace
}  // namespace grantflow::assessment
