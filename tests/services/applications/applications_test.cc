#include "services/applications/applications.h"

#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "platform/resources.h"
#include "tests/testing/engine_harness.h"
#include "tests/testing/fixtures.h"
#include "tests/testing/in_process.h"
#include "tests/testing/matchers.h"
#include "tests/testing/temp_dir.h"

namespace grantflow::applications {
namespace {

using ::grantflow::testing::HasReason;
using ::grantflow::testing::IsOk;
using ::grantflow::testing::StatusIs;

namespace wpb = ::grantflow::workflow::v1;
using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;

constexpr char kRound[] = "funds/lff/rounds/r1";
constexpr char kOrg[] = "organisations/hackney-families";

// ProgrammeService stand-in for domain tests; the integration tests use the
// real service over gRPC.
class FakeRounds : public RoundSource {
 public:
  absl::StatusOr<programmes::v1::Round> GetRound(
      const Call&, const std::string& name) override {
    auto it = rounds.find(name);
    if (it == rounds.end()) return absl::NotFoundError("no round " + name);
    return it->second;
  }
  std::map<std::string, programmes::v1::Round> rounds;
};

class ApplicationsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = testing::OpenStore(dir_.path());
    engine_ = std::make_unique<testing::EngineHarness>(engine_dir_.path());
    cases_ = std::make_unique<testing::EngineCaseClient>(
        &engine_->engine(), [] { return testing::TestEpoch(); });
    domain_ =
        std::make_unique<Applications>(store_.get(), &rounds_, cases_.get());
    const absl::Time epoch = testing::TestEpoch();
    auto r = testing::ValidRound(epoch - absl::Hours(24),
                                 epoch + absl::Hours(24 * 30), {});
    r.set_name(kRound);
    rounds_.rounds[kRound] = r;
    officer_ = testing::MakeCall("grace", {"grants_officer"}, epoch);
    amira_ = testing::MakeCall("amira", {"applicant"}, epoch, kOrg);

    pb::CreateOrganisationRequest org;
    org.set_organisation_id("hackney-families");
    *org.mutable_organisation() = testing::ValidOrganisation({});
    org.set_request_id("org");
    auto created = domain_->CreateOrganisation(amira_, org);
    ASSERT_TRUE(created.ok()) << created.status();
    EXPECT_THAT(created->member_users(), ElementsAre("amira"))
        << "the registering applicant becomes a member";
  }

  absl::StatusOr<pb::Application> Draft(const std::string& request_id,
                                        int64_t pence = 2'000'000) {
    pb::CreateApplicationRequest req;
    *req.mutable_application() =
        testing::CompleteApplication(kRound, kOrg, pence);
    req.set_request_id(request_id);
    return domain_->CreateApplication(amira_, req);
  }

  absl::StatusOr<pb::Application> Submit(const Call& call,
                                         const std::string& name,
                                         const std::string& request_id) {
    pb::SubmitApplicationRequest req;
    req.set_name(name);
    req.set_request_id(request_id);
    return domain_->SubmitApplication(call, req);
  }

  std::vector<std::string> List(const Call& call, const std::string& round,
                                pb::Application::State state,
                                const std::string& org, int page_size = 0) {
    std::vector<std::string> names;
    pb::ListApplicationsRequest req;
    req.set_round(round);
    req.set_state(state);
    req.set_organisation(org);
    req.set_page_size(page_size);
    do {
      auto page = domain_->ListApplications(call, req);
      EXPECT_TRUE(page.ok()) << page.status();
      if (!page.ok()) break;
      for (const auto& a : page->applications()) names.push_back(a.name());
      req.set_page_token(page->next_page_token());
    } while (!req.page_token().empty());
    return names;
  }

  testing::TempDir dir_;
  testing::TempDir engine_dir_;
  std::unique_ptr<testing::EngineHarness> engine_;
  std::unique_ptr<testing::EngineCaseClient> cases_;
  std::unique_ptr<storage::Store> store_;
  FakeRounds rounds_;
  std::unique_ptr<Applications> domain_;
  Call officer_, amira_;
};

TEST_F(ApplicationsTest, DraftThenSubmitInAnOpenRound) {
  auto draft = Draft("d1");
  ASSERT_TRUE(draft.ok()) << draft.status();
  EXPECT_EQ(draft->state(), pb::Application::DRAFT);
  EXPECT_EQ(draft->created_by(), "amira");
  auto submitted = Submit(amira_, draft->name(), "s1");
  ASSERT_TRUE(submitted.ok()) << submitted.status();
  EXPECT_EQ(submitted->state(), pb::Application::SUBMITTED);
  EXPECT_EQ(submitted->submit_time().seconds(),
            absl::ToUnixSeconds(testing::TestEpoch()));
  // The retry of the same submission returns the same answer.
  auto again = Submit(amira_, draft->name(), "s1");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->etag(), submitted->etag());
}

TEST_F(ApplicationsTest, SubmittingToAClosedRoundIsRefusedAndWritesNothing) {
  auto draft = Draft("d1");
  ASSERT_TRUE(draft.ok());
  const uint64_t audit_before = testing::AuditCount(*store_);
  Call late = amira_;
  late.now = testing::TestEpoch() + absl::Hours(24 * 31);
  auto r = Submit(late, draft->name(), "s-late");
  EXPECT_THAT(r.status(), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(r.status(), HasReason("ROUND_CLOSED"));
  Call early = amira_;
  early.now = testing::TestEpoch() - absl::Hours(48);
  EXPECT_THAT(Submit(early, draft->name(), "s-early").status(),
              HasReason("ROUND_NOT_OPEN"));
  EXPECT_EQ(testing::AuditCount(*store_), audit_before);
  pb::GetApplicationRequest get;
  get.set_name(draft->name());
  EXPECT_EQ(domain_->GetApplication(amira_, get)->state(),
            pb::Application::DRAFT);
}

TEST_F(ApplicationsTest, IncompleteApplicationListsWhatIsMissing) {
  pb::CreateApplicationRequest req;
  req.mutable_application()->set_round(kRound);
  req.mutable_application()->set_organisation(kOrg);
  req.mutable_application()->set_title("Just a title");
  req.set_request_id("d");
  auto draft = domain_->CreateApplication(amira_, req);
  ASSERT_TRUE(draft.ok()) << draft.status();
  auto r = Submit(amira_, draft->name(), "s");
  EXPECT_THAT(r.status(), HasReason("APPLICATION_INCOMPLETE"));
  EXPECT_EQ(errors::FieldViolationsOf(r.status()).size(), 7u);
}

TEST_F(ApplicationsTest, SubmittedApplicationsCannotBeEdited) {
  auto draft = Draft("d1");
  ASSERT_TRUE(Submit(amira_, draft->name(), "s1").ok());
  pb::UpdateApplicationRequest up;
  up.mutable_application()->set_name(draft->name());
  up.mutable_application()->set_title("Changed after submission");
  up.mutable_update_mask()->add_paths("title");
  up.set_request_id("u1");
  auto r = domain_->UpdateApplication(amira_, up);
  EXPECT_THAT(r.status(), HasReason("APPLICATION_NOT_DRAFT"));
  EXPECT_THAT(Submit(amira_, draft->name(), "s2").status(),
              HasReason("APPLICATION_NOT_DRAFT"));
}

TEST_F(ApplicationsTest, DraftsCanBeEditedWithEtags) {
  auto draft = Draft("d1");
  pb::UpdateApplicationRequest up;
  up.mutable_application()->set_name(draft->name());
  up.mutable_application()->set_etag(draft->etag());
  up.mutable_application()->set_title("Better title");
  up.mutable_update_mask()->add_paths("title");
  up.set_request_id("u1");
  auto r = domain_->UpdateApplication(amira_, up);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->title(), "Better title");
  up.set_request_id("u2");
  EXPECT_THAT(domain_->UpdateApplication(amira_, up).status(),
              StatusIs(absl::StatusCode::kAborted));
  up.mutable_application()->clear_etag();
  up.mutable_application()->set_amount_requested_pence(100);  // below minimum
  up.mutable_update_mask()->add_paths("amount_requested_pence");
  up.set_request_id("u3");
  EXPECT_THAT(domain_->UpdateApplication(amira_, up).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(ApplicationsTest, ApplicantsActOnlyForTheirOwnOrganisation) {
  pb::CreateOrganisationRequest other;
  other.set_organisation_id("peckham-arts");
  *other.mutable_organisation() = testing::ValidOrganisation({"tom"});
  other.set_request_id("o2");
  ASSERT_TRUE(domain_->CreateOrganisation(officer_, other).ok());
  auto draft = Draft("d1");
  ASSERT_TRUE(draft.ok());
  const uint64_t audit_before = testing::AuditCount(*store_);

  Call tom = testing::MakeCall("tom", {"applicant"}, testing::TestEpoch(),
                               "organisations/peckham-arts");
  pb::GetApplicationRequest get;
  get.set_name(draft->name());
  EXPECT_THAT(domain_->GetApplication(tom, get).status(),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(Submit(tom, draft->name(), "x").status(),
              StatusIs(absl::StatusCode::kPermissionDenied));
  pb::WithdrawApplicationRequest w;
  w.set_name(draft->name());
  w.set_reason("sabotage");
  w.set_request_id("w");
  EXPECT_THAT(domain_->WithdrawApplication(tom, w).status(),
              StatusIs(absl::StatusCode::kPermissionDenied));
  pb::CreateApplicationRequest forged;
  *forged.mutable_application() =
      testing::CompleteApplication(kRound, kOrg, 2'000'000);
  forged.set_request_id("f");
  EXPECT_THAT(domain_->CreateApplication(tom, forged).status(),
              StatusIs(absl::StatusCode::kPermissionDenied));
  // A token naming the organisation is not enough without membership.
  Call impostor =
      testing::MakeCall("mallory", {"applicant"}, testing::TestEpoch(), kOrg);
  EXPECT_THAT(domain_->GetApplication(impostor, get).status(),
              StatusIs(absl::StatusCode::kPermissionDenied));
  pb::ListApplicationsRequest list;
  list.set_organisation(kOrg);
  EXPECT_THAT(domain_->ListApplications(tom, list).status(),
              StatusIs(absl::StatusCode::kPermissionDenied));
  Call orgless =
      testing::MakeCall("nobody", {"applicant"}, testing::TestEpoch());
  EXPECT_THAT(domain_->ListApplications(orgless, pb::ListApplicationsRequest())
                  .status(),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(domain_->GetApplication(orgless, get).status(),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_EQ(testing::AuditCount(*store_), audit_before) << "nothing written";
  // Applicants may only register the organisation their token names.
  other.set_organisation_id("somewhere-else");
  other.set_request_id("o3");
  EXPECT_THAT(domain_->CreateOrganisation(tom, other).status(),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_F(ApplicationsTest, WithdrawFromDraftOrSubmittedOnce) {
  auto a = Draft("d1");
  auto b = Draft("d2");
  ASSERT_TRUE(Submit(amira_, b->name(), "s").ok());
  pb::WithdrawApplicationRequest w;
  w.set_name(a->name());
  w.set_request_id("w1");
  EXPECT_THAT(domain_->WithdrawApplication(amira_, w).status(),
              StatusIs(absl::StatusCode::kInvalidArgument))
      << "a reason is required";
  w.set_reason("Project no longer going ahead");
  auto wa = domain_->WithdrawApplication(amira_, w);
  ASSERT_TRUE(wa.ok());
  EXPECT_EQ(wa->state(), pb::Application::WITHDRAWN);
  EXPECT_EQ(wa->withdraw_reason(), "Project no longer going ahead");
  w.set_name(b->name());
  w.set_request_id("w2");
  ASSERT_TRUE(domain_->WithdrawApplication(officer_, w).ok())
      << "the grants team may withdraw on a group's behalf";
  w.set_request_id("w3");
  EXPECT_THAT(domain_->WithdrawApplication(amira_, w).status(),
              HasReason("APPLICATION_WITHDRAWN"));
}

TEST_F(ApplicationsTest, ListsFollowStateChangesThroughTheIndexes) {
  std::vector<std::string> drafts, submitted;
  for (int i = 0; i < 25; ++i) {
    auto d = Draft(absl::StrCat("d", i));
    ASSERT_TRUE(d.ok());
    if (i % 5 == 0) {
      ASSERT_TRUE(Submit(amira_, d->name(), absl::StrCat("s", i)).ok());
      submitted.push_back(d->name());
    } else {
      drafts.push_back(d->name());
    }
  }
  auto sorted = [](std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    return v;
  };
  EXPECT_EQ(sorted(List(officer_, kRound, pb::Application::SUBMITTED, "", 2)),
            sorted(submitted));
  EXPECT_EQ(sorted(List(officer_, kRound, pb::Application::DRAFT, "", 7)),
            sorted(drafts));
  EXPECT_EQ(List(officer_, "", pb::Application::SUBMITTED, "", 3).size(), 5u);
  EXPECT_EQ(
      List(officer_, kRound, pb::Application::STATE_UNSPECIFIED, "", 4).size(),
      25u);
  EXPECT_EQ(List(amira_, "", pb::Application::DRAFT, "", 6).size(), 20u)
      << "an applicant's list defaults to their organisation";
  EXPECT_EQ(List(officer_, "funds/lff/rounds/other",
                 pb::Application::STATE_UNSPECIFIED, "")
                .size(),
            0u);
  EXPECT_EQ(
      List(officer_, "", pb::Application::STATE_UNSPECIFIED, "", 10).size(),
      25u);

  pb::ListApplicationsRequest mismatched;
  mismatched.set_round(kRound);
  mismatched.set_page_size(2);
  auto page = domain_->ListApplications(officer_, mismatched);
  mismatched.set_page_token(page->next_page_token());
  mismatched.set_state(pb::Application::DRAFT);
  EXPECT_THAT(domain_->ListApplications(officer_, mismatched).status(),
              StatusIs(absl::StatusCode::kInvalidArgument))
      << "a page token only continues the query that issued it";
}

TEST_F(ApplicationsTest, EqualityAnswersAreStoredApartFromTheApplication) {
  auto draft = Draft("d1");
  pb::UpdateEqualityMonitoringRequest req;
  auto* em = req.mutable_equality_monitoring();
  em->set_name(draft->name() + "/equalityMonitoring");
  em->add_led_by("Refugees and migrants");
  req.set_request_id("em1");
  auto saved = domain_->UpdateEqualityMonitoring(amira_, req);
  ASSERT_TRUE(saved.ok()) << saved.status();

  pb::GetEqualityMonitoringRequest get;
  get.set_name(em->name());
  auto back = domain_->GetEqualityMonitoring(amira_, get);
  ASSERT_TRUE(back.ok());
  EXPECT_THAT(back->led_by(), ElementsAre("Refugees and migrants"));

  // The answers never reach the application record or the audit log.
  for (const char* table : {"applications", "app_by_round", "app_by_org"}) {
    auto scan = store_->Scan(table, "", "", 1000);
    ASSERT_TRUE(scan.ok());
    for (const auto& row : scan->rows) {
      EXPECT_EQ(row.record.value.find("Refugees and migrants"),
                std::string::npos)
          << table;
    }
  }
  auto audit = store_->ReadAudit(1, 1000);
  ASSERT_TRUE(audit.ok());
  EXPECT_GT(audit->size(), 0u);
  for (const auto& e : *audit) {
    EXPECT_EQ(e.details().find("Refugees"), std::string::npos);
  }
}

}  // namespace
}  // namespace grantflow::applications

namespace grantflow::applications {
namespace {

namespace wpb = ::grantflow::workflow::v1;

std::string CaseOf(const pb::Application& app) {
  return "cases/" + app.name().substr(std::string("applications/").size());
}

TEST_F(ApplicationsTest, WithdrawalAsksTheEngineFirst) {
  auto a = Draft("d1");
  ASSERT_TRUE(Submit(amira_, a->name(), "s1").ok());
  // The StartCase task has not been delivered: withdrawing starts the case
  // (with the same request) and withdraws it.
  pb::WithdrawApplicationRequest w;
  w.set_name(a->name());
  w.set_reason("Our venue closed");
  w.set_request_id("w1");
  ASSERT_TRUE(domain_->WithdrawApplication(amira_, w).ok());
  wpb::GetCaseRequest get;
  get.set_name(CaseOf(*a));
  auto c = engine_->engine().GetCase(officer_, get);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->state(), "WITHDRAWN");
  EXPECT_EQ(c->organisation(), kOrg);
  EXPECT_EQ(c->amount_requested_pence(), 2'000'000);
  wpb::GetHistoryRequest hist;
  hist.set_name(CaseOf(*a));
  auto events = engine_->engine().GetHistory(officer_, hist);
  ASSERT_TRUE(events.ok());
  const wpb::CaseEvent& last = events->events(events->events_size() - 1);
  EXPECT_EQ(last.actor(), "amira") << "the person, not the service";
  EXPECT_EQ(last.via(), "grantflowd:test");
  // The late StartCase task is then harmless.
  domain_->outbox().RegisterHandler(tasks::kStartCase,
                                    [&](const outbox::v1::Task& t) {
                                      wpb::StartCaseRequest req;
                                      req.ParseFromString(t.payload());
                                      return cases_->StartCase(req).status();
                                    });
  auto rep = domain_->outbox().DeliverDue(testing::TestEpoch());
  ASSERT_TRUE(rep.ok());
  EXPECT_EQ(rep->delivered, 1);
  EXPECT_EQ(engine_->engine().GetCase(officer_, get)->state(), "WITHDRAWN");
}

TEST_F(ApplicationsTest, AnExecutedGrantCannotBeWithdrawn) {
  auto a = Draft("d1");
  ASSERT_TRUE(Submit(amira_, a->name(), "s1").ok());
  domain_->outbox().RegisterHandler(tasks::kStartCase,
                                    [&](const outbox::v1::Task& t) {
                                      wpb::StartCaseRequest req;
                                      req.ParseFromString(t.payload());
                                      return cases_->StartCase(req).status();
                                    });
  ASSERT_EQ(domain_->outbox().DeliverDue(testing::TestEpoch())->delivered, 1);
  const std::string id = CaseOf(*a).substr(6);
  ASSERT_TRUE(engine_->Line("funds/lff/budgetLines/a", 10'000'000).ok());
  ASSERT_TRUE(
      engine_->ToChecksPassed(id, 2'000'000, "funds/lff/budgetLines/a").ok());
  ASSERT_TRUE(engine_->ToExecuted(id).ok());
  const uint64_t audits = testing::AuditCount(*store_);
  pb::WithdrawApplicationRequest w;
  w.set_name(a->name());
  w.set_reason("We would rather not");
  w.set_request_id("w1");
  auto refused = domain_->WithdrawApplication(amira_, w);
  EXPECT_THAT(refused.status(), HasReason("WITHDRAWAL_NOT_ALLOWED"))
      << refused.status();
  EXPECT_EQ(testing::AuditCount(*store_), audits) << "a refusal wrote";
  pb::GetApplicationRequest get;
  get.set_name(a->name());
  EXPECT_EQ(domain_->GetApplication(amira_, get)->state(),
            pb::Application::SUBMITTED);
}

TEST_F(ApplicationsTest, CaseOutcomesApplyOnlyWhenNewer) {
  auto a = Draft("d1");
  ASSERT_TRUE(Submit(amira_, a->name(), "s1").ok());
  Call svc = testing::MakeCall("grantflowd", {"service"}, testing::TestEpoch());
  pb::ApplyCaseOutcomeRequest out;
  out.set_application(a->name());
  out.set_state("WITHDRAWN");
  out.set_event_seq(7);
  out.set_actor("grace");
  out.set_reason("withdrawn by phone");
  out.set_request_id("o7");
  auto applied = domain_->ApplyCaseOutcome(svc, out);
  ASSERT_TRUE(applied.ok()) << applied.status();
  EXPECT_EQ(applied->state(), pb::Application::WITHDRAWN);
  EXPECT_EQ(applied->case_event_seq(), 7);
  const uint64_t audits = testing::AuditCount(*store_);
  out.set_event_seq(5);
  out.set_request_id("o5");
  auto older = domain_->ApplyCaseOutcome(svc, out);
  ASSERT_TRUE(older.ok());
  EXPECT_EQ(older->case_event_seq(), 7) << "an older event is ignored";
  EXPECT_EQ(testing::AuditCount(*store_), audits);
  out.set_event_seq(0);
  EXPECT_THAT(domain_->ApplyCaseOutcome(svc, out).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace grantflow::applications
