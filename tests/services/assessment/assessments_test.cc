// AssessmentService's domain over a real store and a real in-process engine:
// screening asks the engine first, R6 (declare before reading; a conflict
// sees and scores nothing), assignment and queues, score sheets.
#include "services/assessment/assessments.h"

#include <map>
#include <memory>

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
  Call service_, officer_, sam_, tom_, uma_;
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

}  // namespace
}  // namespace grantflow::assessment
