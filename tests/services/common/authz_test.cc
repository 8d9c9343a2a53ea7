#include "services/common/authz.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "grantflow/agreements/v1/agreements.pb.h"
#include "grantflow/applications/v1/applications.pb.h"
#include "grantflow/assessment/v1/assessment.pb.h"
#include "grantflow/audit/v1/audit.pb.h"
#include "grantflow/awards/v1/awards.pb.h"
#include "grantflow/duediligence/v1/duediligence.pb.h"
#include "grantflow/privacy/v1/privacy.pb.h"
#include "grantflow/programmes/v1/programmes.pb.h"
#include "grantflow/reports/v1/reports.pb.h"
#include "grantflow/safeguarding/v1/safeguarding.pb.h"
#include "grantflow/workflow/v1/workflow.pb.h"
#include "gtest/gtest.h"
#include "services/grantflowd/server.h"
#include "tests/testing/matchers.h"

namespace grantflow::authz {
namespace {

using ::grantflow::testing::HasReason;
using ::grantflow::testing::IsOk;
using ::grantflow::testing::StatusIs;

// Every RPC of every service grantflowd can host has an entry. A service
// added to the host without table entries fails here.
TEST(AuthzTest, EveryRpcOfEveryServiceHasAnEntry) {
  // Make sure the generated descriptors are linked in.
  (void)programmes::v1::Fund::descriptor();
  (void)applications::v1::Application::descriptor();
  (void)workflow::v1::Case::descriptor();
  (void)audit::v1::ChainReport::descriptor();
  (void)privacy::v1::Subject::descriptor();
  (void)assessment::v1::Assessment::descriptor();
  (void)duediligence::v1::DueDiligenceCheck::descriptor();
  (void)safeguarding::v1::SafeguardingCheck::descriptor();
  (void)awards::v1::Award::descriptor();
  (void)agreements::v1::Agreement::descriptor();
  (void)reports::v1::GrantRecord::descriptor();
  const auto* pool = google::protobuf::DescriptorPool::generated_pool();
  int methods = 0;
  for (const std::string& full : EveryServiceName()) {
    const auto* svc = pool->FindServiceByName(full);
    ASSERT_NE(svc, nullptr) << full;
    for (int i = 0; i < svc->method_count(); ++i) {
      std::string m = absl::StrCat("/", full, "/", svc->method(i)->name());
      EXPECT_TRUE(Table().contains(m)) << m << " has no authorisation entry";
      ++methods;
    }
  }
  EXPECT_EQ(methods, 126);
}

TEST(AuthzTest, NoStaleEntriesAndOnlyKnownRoles) {
  const auto* pool = google::protobuf::DescriptorPool::generated_pool();
  for (const auto& [method, roles] : Table()) {
    std::string path = method.substr(1);
    size_t slash = path.rfind('/');
    const auto* svc = pool->FindServiceByName(path.substr(0, slash));
    ASSERT_NE(svc, nullptr) << method;
    EXPECT_NE(svc->FindMethodByName(path.substr(slash + 1)), nullptr) << method;
    EXPECT_FALSE(roles.empty()) << method;
    for (const auto& r : roles) EXPECT_TRUE(auth::IsKnownRole(r)) << r;
  }
}

TEST(AuthzTest, DefaultDeny) {
  auth::Principal admin{"root", {"admin"}, "", {}, {}};
  EXPECT_THAT(
      Authorize(admin, "/grantflow.payments.v1.PaymentService/ReleasePayment"),
      StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST(AuthzTest, RolesMatchTheRules) {
  auth::Principal applicant{"amira", {"applicant"}, "organisations/x", {}, {}};
  auth::Principal assessor{"sam", {"assessor"}, "", {}, {}};
  auth::Principal officer{"grace", {"grants_officer"}, "", {}, {}};
  const std::string app = "/grantflow.applications.v1.ApplicationService/";
  EXPECT_TRUE(Authorize(applicant, app + "SubmitApplication").ok());
  EXPECT_FALSE(Authorize(officer, app + "SubmitApplication").ok());
  // R6/R7: assessors never reach applications directly; equality answers go
  // to applicants only.
  EXPECT_FALSE(Authorize(assessor, app + "GetApplication").ok());
  EXPECT_FALSE(Authorize(officer, app + "GetEqualityMonitoring").ok());
  EXPECT_TRUE(Authorize(applicant, app + "GetEqualityMonitoring").ok());
  EXPECT_FALSE(
      Authorize(applicant,
                "/grantflow.programmes.v1.ProgrammeService/CreateRound")
          .ok());
  EXPECT_TRUE(Authorize(officer,
                        "/grantflow.programmes.v1.ProgrammeService/CreateRound")
                  .ok());
}

}  // namespace
}  // namespace grantflow::authz
