// A grantflowd host on a real port with the seed loaded, the people of a
// funding round as token holders, and a tally of attacks: each attempt that
// must be refused is counted, checked for its code and reason, and checked to
// have changed nothing.
#ifndef GRANTFLOW_TESTS_ADVERSARIAL_RIG_H_
#define GRANTFLOW_TESTS_ADVERSARIAL_RIG_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "grantflow/applications/v1/applications.grpc.pb.h"
#include "grantflow/awards/v1/awards.grpc.pb.h"
#include "grantflow/programmes/v1/programmes.grpc.pb.h"
#include "grantflow/workflow/v1/workflow.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "platform/clock.h"
#include "services/grantflowd/server.h"
#include "tests/testing/fixtures.h"
#include "tests/testing/temp_dir.h"

namespace grantflow::testing {

namespace wpb = ::grantflow::workflow::v1;
namespace ppb = ::grantflow::programmes::v1;
namespace apb = ::grantflow::applications::v1;
namespace awpb = ::grantflow::awards::v1;

inline constexpr char kOpenRound[] = "funds/lff/rounds/open";
inline constexpr char kHackney[] = "organisations/hackney-families";
inline constexpr char kPeckham[] = "organisations/peckham-arts";
inline constexpr char kLineA[] = "funds/lff/budgetLines/grants-a";
inline constexpr char kLineB[] = "funds/lff/budgetLines/grants-b";
inline constexpr char kDoc[] =
    "1111111111111111111111111111111111111111111111111111111111111111";
inline constexpr char kOtherDoc[] =
    "2222222222222222222222222222222222222222222222222222222222222222";

// Counts attacks on one rule; prints the tally when destroyed.
class Attacks {
 public:
  explicit Attacks(std::string rule) : rule_(std::move(rule)) {}
  ~Attacks();
  // One attempt that must be refused with `code` (and `reason`, when given).
  void Refused(const std::string& what, const grpc::Status& status,
               grpc::StatusCode code, const std::string& reason = "");
  // `must_refuse` concurrent attempts that had to be refused, of which
  // `refused` were.
  void Raced(const std::string& what, int must_refuse, int refused);
  int made() const { return made_; }

 private:
  std::string rule_;
  int made_ = 0;
  int succeeded_ = 0;
};

class Rig {
 public:
  Rig();
  ~Rig();

  // People (tokens).
  std::string admin, officer, moderator, approver, small_approver, finance,
      safeguarding, amira, kofi, tom;

  ppb::ProgrammeService::Stub& programmes() { return *programmes_; }
  apb::ApplicationService::Stub& applications() { return *applications_; }
  wpb::WorkflowService::Stub& engine() { return *engine_; }
  awpb::AwardService::Stub& awards() { return *awards_; }
  std::unique_ptr<grpc::ClientContext> Ctx(const std::string& token) const;
  TokenMinter& minter() { return *minter_; }
  std::shared_ptr<grpc::Channel> channel() const { return channel_; }
  // A token for every role of ARCHITECTURE.md §5 (organisation roles for
  // hackney-families, approvers with the largest limit), keyed by role, and
  // "" for no token at all.
  std::map<std::string, std::string> EveryRole();
  // Tries `attempt(token)` as every role not in `allowed`; each must be
  // refused: PERMISSION_DENIED (UNAUTHENTICATED without a token).
  void AsEveryOtherRole(
      Attacks& attacks, const std::string& what,
      const std::vector<std::string>& allowed,
      const std::function<grpc::Status(const std::string&)>& attempt);
  // Delivers outbox tasks and fires timers now.
  void Background();

  // amira drafts and submits for `org`'s round; returns the case name once
  // the engine has it.
  // Drafts and submits an application (as amira for hackney-families, as
  // tom for peckham-arts) and lets its case start. Returns the case's name.
  std::string NewCase(int64_t requested, const std::string& suffix,
                      const std::string& round = kOpenRound,
                      const std::string& org = kHackney);
  // The same for a draft of the caller's making.
  std::string SubmitCase(const apb::Application& draft,
                         const std::string& suffix);
  grpc::Status Fact(const std::string& token, const std::string& c,
                    const std::string& fact, wpb::FactPayload payload = {},
                    const std::string& reason = "", wpb::Case* out = nullptr);
  // A fact as a service records it (an assessment stage, a check's
  // outcome): the service identity, on `person`'s behalf.
  grpc::Status ServiceFact(const std::string& person, const std::string& c,
                           const std::string& fact,
                           const std::string& reason = "",
                           wpb::FactPayload payload = {});
  // A fact as AgreementService records it for the person `token` names
  // (their roles, organisation and limits as `acting`), through the
  // service identity; with no token, as no one at all.
  grpc::Status ActingFact(const std::string& token, const std::string& c,
                          const std::string& fact,
                          wpb::FactPayload payload = {});
  wpb::FactPayload Award(int64_t pence, const std::string& line = kLineA);
  // An award decided through AwardService as `token`: `award`'s amount on
  // its allocations.
  grpc::Status Decide(const std::string& token, const std::string& c,
                      const wpb::FactPayload& award,
                      awpb::Award* out = nullptr);
  // To RECOMMENDED, every fact recorded on the officer's behalf.
  void ToRecommended(const std::string& c);
  // To RECOMMENDED (by the officer), approved (by `approver`) for `pence`,
  // and through due diligence and safeguarding.
  void ToChecksPassed(const std::string& c, int64_t pence,
                      const std::string& line = kLineA);
  // ... then issued, signed by kofi and countersigned by the approver.
  void ToExecuted(const std::string& c);
  // A payment authorised at the engine as PaymentService asks for it: for
  // the person `token` names (no one for ""), requested by someone else.
  grpc::Status Authorize(const std::string& token, const std::string& c,
                         const std::string& id, int64_t pence,
                         wpb::Payment* out = nullptr);
  // ... and confirmed as paid, for the person `token` names.
  grpc::Status Confirm(const std::string& token, const std::string& c,
                       const std::string& id);
  wpb::Case Case(const std::string& c);
  wpb::LedgerLine Ledger(const std::string& line);
  ppb::BudgetLine Line(const std::string& line);
  std::string NextId();
  FakeClock& clock() { return clock_; }
  // Stops the host, as a process would stop, and starts it again on the
  // same data directory (a new port: take channel() again).
  void Restart();
  // Stops the host for good (to read its stores in a test).
  void Stop();
  const std::string& data_dir() const { return data_dir_; }
  // The host's port on 127.0.0.1 (for a client in another process).
  int port() const { return server_->port(); }

  // A rig on `data_dir`, which outlives it (for a test that kills the
  // process holding it and reopens the stores). Seeds (fund, rounds, the
  // organisations) only when `seed`; request ids start with `id_prefix`,
  // so a later rig on the same stores never repeats one.
  Rig(const std::string& data_dir, const std::string& id_prefix, bool seed);

 private:
  void StartServer();
  void Seed();
  void People();
  TempDir dir_;
  std::string data_dir_ = dir_.path();
  std::string id_prefix_ = "rig-";
  FakeClock clock_{TestEpoch()};
  std::unique_ptr<GrantflowServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<TokenMinter> minter_;
  std::unique_ptr<ppb::ProgrammeService::Stub> programmes_;
  std::unique_ptr<apb::ApplicationService::Stub> applications_;
  std::unique_ptr<wpb::WorkflowService::Stub> engine_;
  std::unique_ptr<awpb::AwardService::Stub> awards_;
  std::atomic<int> counter_{0};
};

// The ErrorInfo reason of a gRPC status, or "".
std::string ReasonOf(const grpc::Status& s);
// The fields of its BadRequest violations.
std::vector<std::string> FieldsOf(const grpc::Status& s);

}  // namespace grantflow::testing

#endif  // GRANTFLOW_TESTS_ADVERSARIAL_RIG_H_
