#include "services/workflow/peer_directory.h"

#include "grantflow/applications/v1/applications.grpc.pb.h"
#include "grantflow/programmes/v1/programmes.grpc.pb.h"
#include "platform/auth.h"
#include "platform/resources.h"
#include "platform/status_macros.h"

namespace grantflow::workflows {
namespace {

class PeerDirectory final : public Directory {
 public:
  PeerDirectory(Peer programmes, Peer applications)
      : programmes_(std::move(programmes)),
        applications_(std::move(applications)) {}

  absl::StatusOr<RoundTerms> GetRound(const std::string& name) override {
    programmes::v1::GetRoundRequest req;
    req.set_name(name);
    ASSIGN_OR_RETURN(
        auto round,
        CallPeer<programmes::v1::ProgrammeService>(
            programmes_, &programmes::v1::ProgrammeService::Stub::GetRound,
            req));
    RoundTerms t;
    t.min_award_pence = round.min_award_pence();
    t.max_award_pence = round.max_award_pence();
    t.budget_lines.assign(round.budget_lines().begin(),
                          round.budget_lines().end());
    t.close_time = FromProto(round.close_time());
    return t;
  }

  absl::StatusOr<std::set<std::string>> Signatories(
      const std::string& organisation) override {
    applications::v1::GetOrganisationRequest req;
    req.set_name(organisation);
    ASSIGN_OR_RETURN(
        auto org,
        CallPeer<applications::v1::ApplicationService>(
            applications_,
            &applications::v1::ApplicationService::Stub::GetOrganisation, req));
    std::set<std::string> out;
    for (const std::string& u : org.signatory_users()) {
      if (auto c = auth::CanonicalUser(u)) out.insert(*c);
    }
    return out;
  }

 private:
  Peer programmes_;
  Peer applications_;
};

}  // namespace

std::unique_ptr<Directory> NewPeerDirectory(Peer programmes,
                                            Peer applications) {
  return std::make_unique<PeerDirectory>(std::move(programmes),
                                         std::move(applications));
}

}  // namespace grantflow::workflows
