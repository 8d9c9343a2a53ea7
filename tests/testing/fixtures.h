// Helpers shared by domain, integration and end-to-end tests.
#ifndef GRANTFLOW_TESTS_TESTING_FIXTURES_H_
#define GRANTFLOW_TESTS_TESTING_FIXTURES_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "grantflow/applications/v1/applications.grpc.pb.h"
#include "grantflow/programmes/v1/programmes.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "platform/auth.h"
#include "services/common/call.h"
#include "storage/store.h"

namespace grantflow::testing {

// 2026-05-01T09:00:00Z: the fixed "now" most tests start from.
absl::Time TestEpoch();

// A Call as a domain handler would receive it.
Call MakeCall(const std::string& user, std::vector<std::string> roles,
              absl::Time now, const std::string& org = "");

// Opens a synced RocksDB store in `dir`; fails the test on error.
// `fs`: the file system RocksDB writes through (null: the real one).
std::unique_ptr<storage::Store> OpenStore(
    const std::string& dir, std::shared_ptr<rocksdb::FileSystem> fs = nullptr);

// Number of audit entries in a store.
uint64_t AuditCount(storage::Store& store);

// Mints tokens with the key pair grantflowd keeps under `data_dir`/keys.
class TokenMinter {
 public:
  explicit TokenMinter(const std::string& data_dir);
  std::string Token(const std::string& user, std::vector<std::string> roles,
                    const std::string& org = "",
                    absl::Duration ttl = absl::Hours(1)) const;
  // A funder approver who may approve awards up to `approve_limit_pence`.
  std::string Approver(const std::string& user,
                       int64_t approve_limit_pence) const;
  // A token for `who` as given (roles, organisation, limits).
  std::string For(const auth::Principal& who) const;
  // The person a token of this minter's names (a failed expectation and
  // an empty principal for anything else).
  auth::Principal Who(const std::string& token) const;

 private:
  std::unique_ptr<auth::TokenSigner> signer_;
  auth::TokenVerifier verifier_;
};

// Adds a bearer token to a client context.
void Authorise(grpc::ClientContext* ctx, const std::string& token);

// Valid resources for tests.
programmes::v1::Fund ValidFund();
programmes::v1::BudgetLine ValidBudgetLine(int64_t ceiling_pence);
// A round open from `open` to `close` drawing on `lines`.
programmes::v1::Round ValidRound(absl::Time open, absl::Time close,
                                 std::vector<std::string> lines);
applications::v1::Organisation ValidOrganisation(
    std::vector<std::string> members);
// A complete application for `round` and `org` asking for `pence`.
applications::v1::Application CompleteApplication(const std::string& round,
                                                  const std::string& org,
                                                  int64_t pence);

// The seed: fund "lff", budget lines "grants-a" and "grants-b" (£215,000
// each), round "open" (open from epoch-1d to epoch+30d, awards £10,000 to
// £75,000 on both lines) and round "closed" (closed before epoch), and
// organisation "hackney-families" with members "amira" (applicant) and
// "kofi", its authorised signatory.
struct SeedRequests {
  programmes::v1::CreateFundRequest fund;
  std::vector<programmes::v1::CreateBudgetLineRequest> lines;
  std::vector<programmes::v1::CreateRoundRequest> rounds;
  applications::v1::CreateOrganisationRequest org;
};
SeedRequests MakeSeedRequests(absl::Time epoch);
// The seed in `grantctl seed`'s format (deploy/demo/demo.json's).
std::string SeedJson(absl::Time epoch);

// Creates the seed over gRPC, as an admin. Fails the test on error.
void SeedOverGrpc(grpc::Channel* channel, const std::string& admin_token,
                  absl::Time epoch);
// The same, for a split deployment: programme data through one channel,
// the organisation through another.
void SeedOverGrpc(grpc::Channel* programmes, grpc::Channel* applications,
                  const std::string& admin_token, absl::Time epoch);

}  // namespace grantflow::testing

#endif  // GRANTFLOW_TESTS_TESTING_FIXTURES_H_
