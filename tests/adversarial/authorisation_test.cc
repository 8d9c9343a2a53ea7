// The authorisation matrix, attacked from outside: every RPC of every
// service is called over gRPC as every role (and with no token), and the
// answer is checked against the one authorisation table
// (services/common/authz.cc). Then the resource rules the table cannot say:
// an organisation's people reach only their own organisation's records,
// roles scoped to a fund act only in that fund, equality answers appear in
// no answer but the applicant's own and the aggregate report.
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "grantflow/agreements/v1/agreements.pb.h"
#include "grantflow/assessment/v1/assessment.pb.h"
#include "grantflow/awards/v1/awards.pb.h"
#include "grantflow/duediligence/v1/duediligence.pb.h"
#include "grantflow/payments/v1/payments.pb.h"
#include "grantflow/safeguarding/v1/safeguarding.pb.h"
#include "grpcpp/generic/generic_stub.h"
#include "gtest/gtest.h"
#include "platform/auth.h"
#include "services/common/authz.h"
#include "services/grantflowd/server.h"
#include "tests/adversarial/rig.h"
#include "tests/testing/fixtures.h"
#include "tests/testing/temp_dir.h"

namespace grantflow {
namespace {

using testing::Rig;

// Calls `method` with `request` (serialised) as the bearer of `token`.
grpc::Status CallRaw(const std::shared_ptr<grpc::Channel>& channel,
                     const std::string& method, const std::string& request,
                     const std::string& token) {
  grpc::GenericStub generic(channel);
  grpc::ClientContext ctx;
  if (!token.empty()) testing::Authorise(&ctx, token);
  grpc::CompletionQueue cq;
  grpc::Slice slice(request);
  grpc::ByteBuffer in(&slice, 1), out;
  auto call = generic.PrepareUnaryCall(&ctx, method, in, &cq);
  call->StartCall();
  grpc::Status status;
  call->Finish(&out, &status, reinterpret_cast<void*>(1));
  void* tag;
  bool ok;
  EXPECT_TRUE(cq.Next(&tag, &ok));
  return status;
}

// Every method of every service grantflowd can host, as full method names,
// with its descriptor.
std::map<std::string, const google::protobuf::MethodDescriptor*> EveryMethod() {
  // Link the generated descriptors of every service into the pool.
  (void)agreements::v1::Agreement::descriptor();
  (void)assessment::v1::Assessment::descriptor();
  (void)awards::v1::Award::descriptor();
  (void)duediligence::v1::DueDiligenceCheck::descriptor();
  (void)payments::v1::Payment::descriptor();
  (void)safeguarding::v1::SafeguardingCheck::descriptor();
  (void)programmes::v1::Fund::descriptor();
  (void)applications::v1::Application::descriptor();
  (void)workflow::v1::Case::descriptor();
  std::map<std::string, const google::protobuf::MethodDescriptor*> out;
  for (const auto& [name, full] : HostableServices()) {
    const auto* service =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
            full);
    EXPECT_NE(service, nullptr) << full;
    if (service == nullptr) continue;
    for (int i = 0; i < service->method_count(); ++i) {
      out[absl::StrCat("/", full, "/", service->method(i)->name())] =
          service->method(i);
    }
  }
  return out;
}

// The audit entries of every service's store: every state change writes one
// in the same batch (R8), so equal counts mean nothing was written.
std::map<std::string, uint64_t> AuditCounts(const std::string& data_dir) {
  std::map<std::string, uint64_t> out;
  for (const auto& [name, full] : HostableServices()) {
    auto store = testing::OpenStore(absl::StrCat(data_dir, "/", name));
    if (store != nullptr) out[name] = testing::AuditCount(*store);
  }
  return out;
}

bool Allowed(const std::string& method, const std::string& role) {
  auto it = authz::Table().find(method);
  if (it == authz::Table().end()) return false;
  return std::find(it->second.begin(), it->second.end(), role) !=
         it->second.end();
}

TEST(AuthorisationMatrixTest, EveryRpcAsEveryRoleFollowsTheTable) {
  testing::TempDir dir;
  const std::map<std::string, uint64_t> before = [&] {
    Rig seeded(dir.path(), "seed-", /*seed=*/true);
    seeded.Stop();
    return AuditCounts(dir.path());
  }();
  ASSERT_FALSE(before.empty());

  Rig rig(dir.path(), "matrix-", /*seed=*/false);
  const auto methods = EveryMethod();
  const auto roles = rig.EveryRole();
  int pairs = 0, allowed = 0, denied = 0;
  for (const auto& [method, descriptor] : methods) {
    // Every RPC is in the table (default deny would hide a forgotten one).
    EXPECT_TRUE(authz::Table().contains(method)) << method;
    for (const auto& [role, token] : roles) {
      // An empty request: whatever the role may do, it names nothing, so an
      // allowed call is refused for its fields, never for its caller.
      grpc::Status s = CallRaw(rig.channel(), method, "", token);
      const std::string who = role.empty() ? "no token" : role;
      ++pairs;
      if (role.empty()) {
        EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED)
            << method << " as " << who;
        ++denied;
      } else if (Allowed(method, role)) {
        EXPECT_FALSE(s.error_code() == grpc::StatusCode::PERMISSION_DENIED &&
                     testing::ReasonOf(s) == "ROLE_NOT_PERMITTED")
            << method << " as " << who << ": " << s.error_message();
        EXPECT_NE(s.error_code(), grpc::StatusCode::UNAUTHENTICATED)
            << method << " as " << who;
        ++allowed;
      } else {
        EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED)
            << method << " as " << who << ": " << s.error_message();
        EXPECT_EQ(testing::ReasonOf(s), "ROLE_NOT_PERMITTED")
            << method << " as " << who;
        ++denied;
      }
    }
  }
  rig.Stop();
  EXPECT_EQ(AuditCounts(dir.path()), before)
      << "a refused or empty call wrote something";
  EXPECT_EQ(methods.size(), authz::Table().size())
      << "the table lists a method no service has";
  EXPECT_EQ(roles.size(), auth::KnownRoles().size() + 1);
  std::cout << "authorisation matrix: " << pairs << " (RPC, role) pairs ("
            << methods.size() << " RPCs x " << roles.size() - 1
            << " roles + no token): " << allowed << " allowed, " << denied
            << " refused, as the table says\n";
}

}  // namespace
}  // namespace grantflow
