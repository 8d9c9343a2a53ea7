// The host's PrivacyService (grantflow.privacy.v1): subject access and
// erasure across the services a grantflowd hosts, each answering for its own
// store through its HostedService hooks.
#ifndef GRANTFLOW_SERVICES_GRANTFLOWD_PRIVACY_SERVICE_H_
#define GRANTFLOW_SERVICES_GRANTFLOWD_PRIVACY_SERVICE_H_

#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "grantflow/privacy/v1/privacy.grpc.pb.h"
#include "platform/call.h"
#include "services/common/call.h"
#include "services/common/case_client.h"
#include "services/common/service_module.h"

namespace grantflow {

// Not owning the services and stores, which must outlive it; thread-safe
// as they are.
class PersonalData {
 public:
  struct Holder {
    HostedService* service = nullptr;
    storage::Store* store = nullptr;  // the service's own
  };
  // `cases` reaches the engine (the authority on which grants still run);
  // `retention` says how long ended grants' records are kept.
  PersonalData(std::map<std::string, Holder> services,
               std::unique_ptr<CaseClient> cases, Retention retention)
      : services_(std::move(services)),
        cases_(std::move(cases)),
        retention_(retention) {}

  // INVALID_ARGUMENT unless the subject names exactly one user or
  // organisation; NOT_FOUND for a service not hosted here.
  absl::StatusOr<privacy::v1::ExportPersonalDataResponse> ExportPersonalData(
      const Call& call, const privacy::v1::ExportPersonalDataRequest& req);
  // The same, and a reason and request id are required; erases as
  // platform/personal_data.h EraseHoldings, in each service's store.
  absl::StatusOr<privacy::v1::ErasePersonalDataResponse> ErasePersonalData(
      const Call& call, const privacy::v1::ErasePersonalDataRequest& req);

 private:
  absl::StatusOr<std::vector<std::pair<std::string, Holder>>> Chosen(
      const google::protobuf::RepeatedPtrField<std::string>& names) const;
  std::map<std::string, Holder> services_;
  std::unique_ptr<CaseClient> cases_;
  Retention retention_;
};

#define GRANTFLOW_PRIVACY_RPCS(X)                               \
  X(ExportPersonalData, privacy::v1::ExportPersonalDataRequest, \
    privacy::v1::ExportPersonalDataResponse)                    \
  X(ErasePersonalData, privacy::v1::ErasePersonalDataRequest,   \
    privacy::v1::ErasePersonalDataResponse)

// The thin gRPC adapter.
class PrivacyServiceImpl final : public privacy::v1::PrivacyService::Service {
 public:
  PrivacyServiceImpl(CallEnv env, PersonalData* data)
      : env_(env), data_(data) {}
  GRANTFLOW_PRIVACY_RPCS(GRANTFLOW_DECLARE_RPC)

 private:
  CallEnv env_;
  PersonalData* data_;  // not owned
};

}  // namespace grantflow

#endif  // GRANTFLOW_SERVICES_GRANTFLOWD_PRIVACY_SERVICE_H_
