// AssessmentService through gRPC on a real port, with every service hosted:
// submitted bids reach assessment through ApplicationService's outbox,
// screening moves the engine's cases, R6 holds against assessors who are
// not assigned or conflicted, and a withdrawal reaches assessment from the
// engine's outbox.
#include <atomic>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "grantflow/assessment/v1/assessment.grpc.pb.h"
#include "grantflow/workflow/v1/workflow.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "services/grantflowd/server.h"
#include "tests/testing/fixtures.h"
#include "tests/testing/matchers.h"
#include "tests/testing/temp_dir.h"

namespace grantflow {
namespace {

namespace apb = ::grantflow::applications::v1;
namespace spb = ::grantflow::assessment::v1;
namespace wpb = ::grantflow::workflow::v1;

std::string Reason(const grpc::Status& s) {
  google::rpc::Status rpc;
  if (!rpc.ParseFromString(s.error_details())) return "";
  for (const auto& d : rpc.details()) {
    google::rpc::ErrorInfo info;
    if (d.UnpackTo(&info)) return info.reason();
  }
  return "";
}

std::vector<std::string> Fields(const grpc::Status& s) {
  std::vector<std::string> out;
  google::rpc::Status rpc;
  if (!rpc.ParseFromString(s.error_details())) return out;
  for (const auto& d : rpc.details()) {
    google::rpc::BadRequest br;
    if (!d.UnpackTo(&br)) continue;
    for (const auto& v : br.field_violations()) out.push_back(v.field());
  }
  return out;
}

class AssessmentServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ServerOptions o;
    o.data_dir = dir_.path();
    o.listen = "127.0.0.1:0";
    o.clock = &clock_;
    o.background_interval = absl::ZeroDuration();
    auto server = GrantflowServer::Start(o);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()),
                                   grpc::InsecureChannelCredentials());
    minter_ = std::make_unique<testing::TokenMinter>(dir_.path());
    amira_ = minter_->Token("amira", {"applicant"},
                            "organisations/hackney-families");
    grace_ = minter_->Token("grace", {"grants_officer"});
    sam_ = minter_->Token("sam", {"assessor"});
    tom_ = minter_->Token("tom", {"assessor"});
    uma_ = minter_->Token("uma", {"assessor"});
    apps_ = apb::ApplicationService::NewStub(channel_);
    assess_ = spb::AssessmentService::NewStub(channel_);
    workflow_ = wpb::WorkflowService::NewStub(channel_);
    testing::SeedOverGrpc(channel_.get(), minter_->Token("root", {"admin"}),
                          testing::TestEpoch());
  }

  std::unique_ptr<grpc::ClientContext> Ctx(const std::string& token) {
    auto ctx = std::make_unique<grpc::ClientContext>();
    testing::Authorise(ctx.get(), token);
    return ctx;
  }

  // Drafts and submits an application, then lets the outboxes run: its case
  // starts and its assessment opens. Returns the application's id.
  std::string Submit(const std::string& id) {
    apb::CreateApplicationRequest draft;
    *draft.mutable_application() = testing::CompleteApplication(
        "funds/lff/rounds/open", "organisations/hackney-families", 2'500'000);
    draft.set_request_id("draft-" + id);
    apb::Application a;
    EXPECT_TRUE(apps_->CreateApplication(Ctx(amira_).get(), draft, &a).ok());
    apb::SubmitApplicationRequest submit;
    submit.set_name(a.name());
    submit.set_request_id("submit-" + id);
    EXPECT_TRUE(apps_->SubmitApplication(Ctx(amira_).get(), submit, &a).ok());
    EXPECT_THAT(server_->RunBackgroundOnce(), testing::IsOk());
    return a.name().substr(std::string("applications/").size());
  }

  static std::string Named(const std::string& id) {
    return "assessments/" + id;
  }

  grpc::Status Screen(const std::string& token, const std::string& name,
                      spb::Screening::Decision d, const std::string& reason,
                      const std::string& rid, spb::Assessment* out) {
    spb::ScreenApplicationRequest req;
    req.set_name(name);
    req.set_decision(d);
    req.set_reason(reason);
    req.set_request_id(rid);
    return assess_->ScreenApplication(Ctx(token).get(), req, out);
  }

  grpc::Status Declare(const std::string& token, const std::string& name,
                       spb::Declaration d, const std::string& why,
                       spb::Assessment* out) {
    spb::DeclareInterestRequest req;
    req.set_name(name);
    req.set_stage(spb::WRITTEN);
    req.set_declaration(d);
    req.set_conflict_reason(why);
    req.set_request_id(absl::StrCat("declare-", ++requests_));
    return assess_->DeclareInterest(Ctx(token).get(), req, out);
  }

  grpc::Status Get(const std::string& token, const std::string& name,
                   spb::Assessment* out) {
    spb::GetAssessmentRequest req;
    req.set_name(name);
    return assess_->GetAssessment(Ctx(token).get(), req, out);
  }

  std::string CaseState(const std::string& id) {
    wpb::GetCaseRequest req;
    req.set_name("cases/" + id);
    wpb::Case c;
    grpc::Status s = workflow_->GetCase(Ctx(grace_).get(), req, &c);
    return s.ok() ? c.state() : s.error_message();
  }

  testing::TempDir dir_;
  FakeClock clock_{testing::TestEpoch()};
  std::unique_ptr<GrantflowServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<testing::TokenMinter> minter_;
  std::string amira_, grace_, sam_, tom_, uma_;
  std::unique_ptr<apb::ApplicationService::Stub> apps_;
  std::unique_ptr<spb::AssessmentService::Stub> assess_;
  std::unique_ptr<wpb::WorkflowService::Stub> workflow_;
  int requests_ = 0;
};

TEST_F(AssessmentServerTest, SubmittedBidsAreScreenedAssignedAndScored) {
  const std::string id1 = Submit("a1"), a1 = Named(id1);
  const std::string id2 = Submit("a2"), a2 = Named(id2);

  // Both bids arrived, once each, awaiting screening.
  spb::ListAssessmentsRequest list;
  list.set_round("funds/lff/rounds/open");
  spb::ListAssessmentsResponse listed;
  ASSERT_TRUE(assess_->ListAssessments(Ctx(grace_).get(), list, &listed).ok());
  ASSERT_EQ(listed.assessments_size(), 2);
  EXPECT_EQ(listed.assessments(0).state(), spb::Assessment::AWAITING_SCREENING);
  EXPECT_EQ(listed.assessments(0).bid().organisation_name(),
            testing::ValidOrganisation({}).display_name());

  // Applicants and assessors do not list or screen bids.
  spb::Assessment out;
  EXPECT_EQ(
      assess_->ListAssessments(Ctx(sam_).get(), list, &listed).error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Get(amira_, a1, &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(
      Screen(sam_, a1, spb::Screening::ELIGIBLE, "", "s", &out).error_code(),
      grpc::StatusCode::PERMISSION_DENIED);

  ASSERT_TRUE(
      Screen(grace_, a1, spb::Screening::ELIGIBLE, "", "screen-a1", &out).ok());
  EXPECT_EQ(out.state(), spb::Assessment::IN_ASSESSMENT);
  EXPECT_EQ(CaseState(id1), "IN_ASSESSMENT");
  grpc::Status no_reason =
      Screen(grace_, a2, spb::Screening::INELIGIBLE, "", "screen-a2", &out);
  EXPECT_EQ(no_reason.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(Fields(no_reason), ::testing::ElementsAre("reason"));
  ASSERT_TRUE(Screen(grace_, a2, spb::Screening::INELIGIBLE,
                     "The project is outside London", "screen-a2b", &out)
                  .ok());
  EXPECT_EQ(CaseState(id2), "INELIGIBLE");

  spb::AssignAssessorsRequest assign;
  assign.set_name(a1);
  assign.set_stage(spb::WRITTEN);
  assign.add_assessors("sam");
  assign.add_assessors("tom");
  assign.set_request_id("assign-a1");
  ASSERT_TRUE(assess_->AssignAssessors(Ctx(grace_).get(), assign, &out).ok());

  // R6 from outside: not assigned, not declared, conflicted.
  EXPECT_EQ(Reason(Get(uma_, a1, &out)), "NOT_ASSIGNED");
  ASSERT_TRUE(Get(sam_, a1, &out).ok());
  EXPECT_EQ(out.bid().title(), testing::CompleteApplication("", "", 1).title());
  EXPECT_EQ(out.bid().summary(), "");
  EXPECT_EQ(Declare(tom_, a1, spb::CONFLICT, std::string(3000, 'x'), &out)
                .error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  ASSERT_TRUE(
      Declare(tom_, a1, spb::CONFLICT, "My sister runs the project", &out)
          .ok());
  EXPECT_EQ(Reason(Get(tom_, a1, &out)), "CONFLICT_DECLARED");
  ASSERT_TRUE(Get(grace_, a1, &out).ok());
  EXPECT_EQ(out.assessors_needed(), 1);

  // A replacement from the pool: uma (tom is recused, sam is on it).
  assign.clear_assessors();
  assign.add_pool("tom");
  assign.add_pool("sam");
  assign.add_pool("uma");
  assign.set_request_id("assign-a1-replacement");
  ASSERT_TRUE(assess_->AssignAssessors(Ctx(grace_).get(), assign, &out).ok());
  EXPECT_EQ(out.assignments(2).assessor(), "uma");
  spb::ListMyAssignmentsRequest queue_req;
  spb::ListMyAssignmentsResponse queue;
  ASSERT_TRUE(
      assess_->ListMyAssignments(Ctx(uma_).get(), queue_req, &queue).ok());
  ASSERT_EQ(queue.items_size(), 1);
  EXPECT_EQ(queue.items(0).assessment(), a1);

  // sam declares, reads, scores out of range, then within it.
  ASSERT_TRUE(Declare(sam_, a1, spb::NO_CONFLICT, "", &out).ok());
  ASSERT_TRUE(Get(sam_, a1, &out).ok());
  EXPECT_FALSE(out.bid().summary().empty());
  spb::SaveScoresRequest save;
  save.set_name(a1 + "/scoreSheets/written.sam");
  auto* s1 = save.add_scores();
  s1->set_criterion("bringing-together");
  s1->set_score(6);
  auto* s2 = save.add_scores();
  s2->set_criterion("safeguarding");
  s2->set_score(5);
  save.set_request_id("save-1");
  spb::ScoreSheet sheet;
  grpc::Status bad = assess_->SaveScores(Ctx(sam_).get(), save, &sheet);
  EXPECT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(Fields(bad), ::testing::ElementsAre("scores[0].score"));
  s1->set_score(5);
  save.set_request_id("save-2");
  ASSERT_TRUE(assess_->SaveScores(Ctx(sam_).get(), save, &sheet).ok());
  EXPECT_EQ(sheet.weighted_score_bp(), 10000);
  // tom, recused, cannot write sam's sheet or his own.
  save.set_name(a1 + "/scoreSheets/written.tom");
  save.set_request_id("save-tom");
  EXPECT_EQ(assess_->SaveScores(Ctx(tom_).get(), save, &sheet).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  spb::SubmitScoresRequest submit;
  submit.set_name(a1 + "/scoreSheets/written.sam");
  submit.set_request_id("submit-sam");
  ASSERT_TRUE(assess_->SubmitScores(Ctx(sam_).get(), submit, &sheet).ok());
  EXPECT_EQ(sheet.state(), spb::ScoreSheet::SUBMITTED);
  submit.set_request_id("submit-sam-again");
  EXPECT_EQ(Reason(assess_->SubmitScores(Ctx(sam_).get(), submit, &sheet)),
            "SCORES_SUBMITTED");
}

TEST_F(AssessmentServerTest, TwoOfficersScreeningAtOnceDecideOnce) {
  const std::string id1 = Submit("a1"), a1 = Named(id1);
  std::atomic<int> ok{0}, screened{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      spb::Assessment out;
      grpc::Status s =
          Screen(grace_, a1,
                 i % 2 ? spb::Screening::ELIGIBLE : spb::Screening::INELIGIBLE,
                 "Decided by officer " + std::to_string(i),
                 "race-" + std::to_string(i), &out);
      if (s.ok()) ++ok;
      if (Reason(s) == "ALREADY_SCREENED") ++screened;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok, 1);
  EXPECT_EQ(screened, 7);
  spb::Assessment out;
  ASSERT_TRUE(Get(grace_, a1, &out).ok());
  EXPECT_EQ(CaseState(id1), out.state() == spb::Assessment::IN_ASSESSMENT
                                ? "IN_ASSESSMENT"
                                : "INELIGIBLE");
}

TEST_F(AssessmentServerTest, AWithdrawalAtTheEngineReachesAssessment) {
  const std::string id1 = Submit("a1"), a1 = Named(id1);
  spb::Assessment out;
  ASSERT_TRUE(
      Screen(grace_, a1, spb::Screening::ELIGIBLE, "", "screen", &out).ok());
  spb::AssignAssessorsRequest assign;
  assign.set_name(a1);
  assign.set_stage(spb::WRITTEN);
  assign.add_assessors("sam");
  assign.set_request_id("assign");
  ASSERT_TRUE(assess_->AssignAssessors(Ctx(grace_).get(), assign, &out).ok());

  apb::WithdrawApplicationRequest w;
  w.set_name("applications/" + id1);
  w.set_reason("Our hall is closing");
  w.set_request_id("withdraw");
  apb::Application app;
  ASSERT_TRUE(apps_->WithdrawApplication(Ctx(amira_).get(), w, &app).ok());
  EXPECT_EQ(CaseState(id1), "WITHDRAWN");
  ASSERT_THAT(server_->RunBackgroundOnce(), testing::IsOk());
  ASSERT_TRUE(Get(grace_, a1, &out).ok());
  EXPECT_EQ(out.state(), spb::Assessment::WITHDRAWN);
  spb::ListMyAssignmentsRequest q;
  q.set_include_submitted(true);
  spb::ListMyAssignmentsResponse queue;
  ASSERT_TRUE(assess_->ListMyAssignments(Ctx(sam_).get(), q, &queue).ok());
  EXPECT_EQ(queue.items_size(), 0);
}

}  // namespace
}  // namespace grantflow
