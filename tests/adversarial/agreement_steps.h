// Funding agreement steps through AgreementService for tests that need an
// agreement (AgreementService's own, PaymentService's): the fund's
// template, a draft, issue, the recipient's signature and the funder's
// countersignature, as the rig's people.
#ifndef GRANTFLOW_TESTS_ADVERSARIAL_AGREEMENT_STEPS_H_
#define GRANTFLOW_TESTS_ADVERSARIAL_AGREEMENT_STEPS_H_

#include <memory>
#include <string>

#include "grantflow/agreements/v1/agreements.grpc.pb.h"
#include "tests/adversarial/rig.h"

namespace grantflow::testing {

class AgreementSteps {
 public:
  // Does not own `rig`, which must outlive this (it may be constructed
  // after: nothing is called on it until a step runs).
  explicit AgreementSteps(Rig* rig) : r_(rig) {}

  // The fund's template (funds/lff), as the admin: one clause, a recovery
  // clause, "families reached" as its indicator.
  agreements::v1::AgreementTemplate SetTemplate(
      const std::string& fund = "funds/lff");

  std::unique_ptr<agreements::v1::AgreementService::Stub> Ag();
  std::string Next();

  // An award of `pence` through its checks, and its draft (default terms,
  // or `terms` when given).
  // `round` and `line` place it in another fund.
  std::string Drafted(int64_t pence, const std::string& suffix,
                      agreements::v1::Agreement* out = nullptr,
                      const agreements::v1::Terms* terms = nullptr,
                      const std::string& round = kOpenRound,
                      const std::string& line = kLineA);
  grpc::Status Issue(const std::string& name,
                     agreements::v1::Agreement* out = nullptr);
  // A signature request for `a`'s latest (or `version`) version.
  agreements::v1::SignAgreementRequest SignReq(
      const agreements::v1::Agreement& a, int version = 0);
  grpc::Status Sign(const std::string& token,
                    agreements::v1::SignAgreementRequest req,
                    agreements::v1::Agreement* out = nullptr);
  grpc::Status Countersign(const std::string& token,
                           agreements::v1::SignAgreementRequest req,
                           agreements::v1::Agreement* out = nullptr);
  agreements::v1::Agreement Get(const std::string& name);
  static std::string CaseOf(const std::string& agreement);
  // Executes `name`'s latest draft: issued by the officer, signed by kofi,
  // countersigned by the approver.
  agreements::v1::Agreement Executed(const std::string& name);

 private:
  Rig* r_;
};

}  // namespace grantflow::testing

#endif  // GRANTFLOW_TESTS_ADVERSARIAL_AGREEMENT_STEPS_H_
