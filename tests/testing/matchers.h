// gMock matchers for statuses, so a test states the outcome it expects:
//
//   EXPECT_THAT(engine.RecordFact(call, req), IsOk());
//   EXPECT_THAT(domain.Submit(call, req),
//               StatusIs(absl::StatusCode::kFailedPrecondition,
//               "ROUND_CLOSED"));
//   EXPECT_THAT(stub->GetCase(&ctx, req, &out),
//               StatusIs(absl::StatusCode::kPermissionDenied));
//
// Each takes an absl::Status, an absl::StatusOr<T> or a grpc::Status (its
// error details read as google.rpc.Status), and says what it got on failure.
#ifndef GRANTFLOW_TESTS_TESTING_MATCHERS_H_
#define GRANTFLOW_TESTS_TESTING_MATCHERS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "grpcpp/support/status.h"
#include "platform/errors.h"
#include "services/common/grpc_status.h"

namespace grantflow::testing {
namespace internal {
inline absl::Status ToStatus(const absl::Status& s) { return s; }
template <typename T>
absl::Status ToStatus(const absl::StatusOr<T>& s) {
  return s.status();
}
inline absl::Status ToStatus(const grpc::Status& s) {
  return FromGrpcStatus(s);
}
inline std::string Describe(const absl::Status& s) {
  const std::string reason = errors::ReasonOf(s).value_or("");
  return reason.empty() ? s.ToString()
                        : absl::StrCat(s.ToString(), " [", reason, "]");
}
}  // namespace internal

MATCHER(IsOk, "is OK") {
  const absl::Status s = internal::ToStatus(arg);
  if (!s.ok()) *result_listener << "is " << internal::Describe(s);
  return s.ok();
}

MATCHER_P(StatusIs, code,
          std::string(negation ? "does not have" : "has") + " code " +
              absl::StatusCodeToString(code)) {
  const absl::Status s = internal::ToStatus(arg);
  *result_listener << "is " << internal::Describe(s);
  return s.code() == code;
}

MATCHER_P2(StatusIs, code, reason,
           std::string(negation ? "does not have" : "has") + " code " +
               absl::StatusCodeToString(code) + " and reason " +
               std::string(reason)) {
  const absl::Status s = internal::ToStatus(arg);
  *result_listener << "is " << internal::Describe(s);
  return s.code() == code && errors::ReasonOf(s).value_or("") == reason;
}

// The ErrorInfo reason alone, whatever the code.
MATCHER_P(HasReason, reason,
          std::string(negation ? "does not have" : "has") + " reason " +
              std::string(reason)) {
  const absl::Status s = internal::ToStatus(arg);
  *result_listener << "is " << internal::Describe(s);
  return errors::ReasonOf(s).value_or("") == reason;
}

}  // namespace grantflow::testing

#endif  // GRANTFLOW_TESTS_TESTING_MATCHERS_H_
