// Building absl::Status values that carry google.rpc error details.
//
// Domain code returns absl::Status; these helpers attach BadRequest field
// violations and ErrorInfo reasons as status payloads, which grpc_status.h
// turns into the google.rpc.Status wire format (ARCHITECTURE.md §5).
#ifndef GRANTFLOW_PLATFORM_ERRORS_H_
#define GRANTFLOW_PLATFORM_ERRORS_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace grantflow::errors {

inline constexpr char kDomain[] = "grantflow";
inline constexpr char kBadRequestType[] =
    "type.googleapis.com/google.rpc.BadRequest";
inline constexpr char kErrorInfoType[] =
    "type.googleapis.com/google.rpc.ErrorInfo";

struct FieldViolation {
  std::string field;
  std::string description;
  bool operator==(const FieldViolation&) const = default;
};

// Collects field violations while validating a request. Not thread-safe.
class Violations {
 public:
  void Add(absl::string_view field, absl::string_view description);
  bool empty() const { return list_.empty(); }
  const std::vector<FieldViolation>& list() const { return list_; }
  // INVALID_ARGUMENT with one BadRequest violation per Add(); OK when empty.
  absl::Status ToStatus() const;

 private:
  std::vector<FieldViolation> list_;
};

// INVALID_ARGUMENT naming each bad field.
absl::Status InvalidArgument(std::vector<FieldViolation> violations);

// FAILED_PRECONDITION with an ErrorInfo reason such as ROUND_CLOSED, and
// optionally field violations (e.g. fields missing at submission).
absl::Status FailedPrecondition(
    absl::string_view reason, absl::string_view message,
    std::map<std::string, std::string> metadata = {},
    std::vector<FieldViolation> violations = {});

// Attaches an ErrorInfo reason to any status code (e.g. ABORTED,
// ETAG_MISMATCH).
absl::Status WithReason(absl::Status status, absl::string_view reason,
                        std::map<std::string, std::string> metadata = {});

// `status` with each field violation named `from`... renamed `to`... (and
// the message's mentions of them), for a service passing on a refusal of a
// request it built from its caller's: the engine's "payload.amount_pence"
// is its caller's "amount_pence". Code, reason and metadata are kept.
absl::Status RenameFields(const absl::Status& status, absl::string_view from,
                          absl::string_view to);

// Reads details back (for clients and tests).
std::optional<std::string> ReasonOf(const absl::Status& status);
// One ErrorInfo metadata value, or "" when absent.
std::string MetadataOf(const absl::Status& status, absl::string_view key);
std::vector<FieldViolation> FieldViolationsOf(const absl::Status& status);

}  // namespace grantflow::errors

#endif  // GRANTFLOW_PLATFORM_ERRORS_H_
