#include "platform/proto_table.h"

#include "platform/reasons.h"

namespace grantflow {

absl::Status CheckEtag(absl::string_view sent, uint64_t current_version,
                       absl::string_view name) {
  if (sent.empty() || sent == absl::StrCat(current_version)) {
    return absl::OkStatus();
  }
  return errors::WithReason(
      absl::AbortedError(absl::StrCat(
          name, " has changed since it was read (etag ", sent, ", now ",
          current_version, "); read it again and reapply")),
      reasons::kEtagMismatch,
      {{"current_etag", absl::StrCat(current_version)}});
}

}  // namespace grantflow
