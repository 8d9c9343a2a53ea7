// Where a service reads a funding agreement: AgreementService, over gRPC, as
// the host's service identity. PaymentService takes instalments from the
// executed version's schedule.
#ifndef GRANTFLOW_SERVICES_COMMON_AGREEMENT_SOURCE_H_
#define GRANTFLOW_SERVICES_COMMON_AGREEMENT_SOURCE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "grantflow/agreements/v1/agreements.pb.h"
#include "services/common/peer.h"

namespace grantflow {

// Implementations are thread-safe. NOT_FOUND when there is no such
// agreement, UNAVAILABLE when AgreementService cannot be reached.
class AgreementSource {
 public:
  virtual ~AgreementSource() = default;
  virtual absl::StatusOr<agreements::v1::Agreement> GetAgreement(
      const std::string& name) = 0;
};

// Calls AgreementService over `agreements`.
std::unique_ptr<AgreementSource> NewPeerAgreementSource(Peer agreements);

}  // namespace grantflow

#endif  // GRANTFLOW_SERVICES_COMMON_AGREEMENT_SOURCE_H_
