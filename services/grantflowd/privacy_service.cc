#include "services/grantflowd/privacy_service.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "platform/auth.h"
#include "platform/errors.h"
#include "platform/idempotency.h"
#include "platform/resources.h"
#include "platform/status_macros.h"

namespace grantflow {

namespace ppb = ::grantflow::privacy::v1;

namespace {

void ValidateSubject(const ppb::Subject& s, errors::Violations* v) {
  if (s.user().empty() == s.organisation().empty()) {
    v->Add("subject", "name exactly one of user and organisation");
    return;
  }
  if (!s.user().empty() && !auth::CanonicalUser(s.user())) {
    v->Add("subject.user", "must be a user name");
  }
  if (!s.organisation().empty() &&
      !ParseName(s.organisation(), {"organisations"})) {
    v->Add("subject.organisation", "must be organisations/{id}");
  }
}

}  // namespace

absl::StatusOr<std::vector<std::pair<std::string, PersonalData::Holder>>>
PersonalData::Chosen(
    const google::protobuf::RepeatedPtrField<std::string>& names) const {
  std::vector<std::pair<std::string, Holder>> out;
  if (names.empty()) {
    for (const auto& [name, service] : services_)
      out.emplace_back(name, service);
    return out;
  }
  for (const std::string& name : names) {
    auto it = services_.find(name);
    if (it == services_.end()) {
      std::vector<std::string> hosted;
      for (const auto& [n, s] : services_) hosted.push_back(n);
      return absl::NotFoundError(absl::StrCat(
          "services: ", name,
          " is not hosted here (hosted: ", absl::StrJoin(hosted, ", "), ")"));
    }
    out.emplace_back(name, it->second);
  }
  return out;
}

absl::StatusOr<ppb::ExportPersonalDataResponse>
PersonalData::ExportPersonalData(const Call& /*call*/,
                                 const ppb::ExportPersonalDataRequest& req) {
  errors::Violations v;
  ValidateSubject(req.subject(), &v);
  if (!v.empty()) return v.ToStatus();
  ASSIGN_OR_RETURN(auto chosen, Chosen(req.services()));
  ppb::ExportPersonalDataResponse out;
  for (const auto& [name, holder] : chosen) {
    ASSIGN_OR_RETURN(std::vector<Holding> held,
                     holder.service->PersonalData(req.subject()));
    for (Holding& h : held) {
      h.record.set_service(name);
      *out.add_records() = std::move(h.record);
    }
  }
  return out;
}

absl::StatusOr<ppb::ErasePersonalDataResponse> PersonalData::ErasePersonalData(
    const Call& call, const ppb::ErasePersonalDataRequest& req) {
  errors::Violations v;
  ValidateSubject(req.subject(), &v);
  RequireText(req.reason(), "reason", 1000, &v);
  ValidateRequestId(req.request_id(), &v);
  if (!v.empty()) return v.ToStatus();
  ASSIGN_OR_RETURN(auto chosen, Chosen(req.services()));
  ppb::ErasePersonalDataResponse out;
  for (const auto& [name, holder] : chosen) {
    ASSIGN_OR_RETURN(std::vector<Holding> held,
                     holder.service->PersonalData(req.subject()));
    ASSIGN_OR_RETURN(
        ppb::ErasePersonalDataResponse part,
        EraseHoldings(
            *holder.store, call, req, std::move(held),
            [this](const std::string& c) { return cases_->GetCase(c); },
            retention_));
    for (ppb::PersonalRecord& r : *part.mutable_erased()) r.set_service(name);
    for (ppb::PersonalRecord& r : *part.mutable_kept()) r.set_service(name);
    out.MergeFrom(part);
  }
  return out;
}

#define GRANTFLOW_DEFINE(Method, Req, Resp)                                  \
  GRANTFLOW_DEFINE_RPC(PrivacyServiceImpl,                                   \
                       "grantflow.privacy.v1.PrivacyService", data_, Method, \
                       Req, Resp)
GRANTFLOW_PRIVACY_RPCS(GRANTFLOW_DEFINE)
#undef GRANTFLOW_DEFINE

}  // namespace grantflow
