#include "services/reports/sources.h"

#include <utility>

#include "grantflow/awards/v1/awards.grpc.pb.h"
#include "grantflow/programmes/v1/programmes.grpc.pb.h"

namespace grantflow::reports {
namespace {

namespace awpb = ::grantflow::awards::v1;
namespace ppb = ::grantflow::programmes::v1;

class PeerReportSources final : public ReportSources {
 public:
  PeerReportSources(Peer awards, Peer programmes)
      : awards_(std::move(awards)), programmes_(std::move(programmes)) {}

  absl::StatusOr<awpb::Award> GetAward(const std::string& name) override {
    awpb::GetAwardRequest req;
    req.set_name(name);
    return CallPeer<awpb::AwardService>(
        awards_, &awpb::AwardService::Stub::GetAward, req);
  }
  absl::StatusOr<ppb::Fund> GetFund(const std::string& name) override {
    ppb::GetFundRequest req;
    req.set_name(name);
    return CallPeer<ppb::ProgrammeService>(
        programmes_, &ppb::ProgrammeService::Stub::GetFund, req);
  }
  absl::StatusOr<ppb::Round> GetRound(const std::string& name) override {
    ppb::GetRoundRequest req;
    req.set_name(name);
    return CallPeer<ppb::ProgrammeService>(
        programmes_, &ppb::ProgrammeService::Stub::GetRound, req);
  }

 private:
  Peer awards_;
  Peer programmes_;
};

}  // namespace

std::unique_ptr<ReportSources> NewPeerReportSources(Peer awards,
                                                    Peer programmes) {
  return std::make_unique<PeerReportSources>(std::move(awards),
                                             std::move(programmes));
}

}  // namespace grantflow::reports
