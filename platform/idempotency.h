// At-most-once execution of mutating RPCs keyed by the caller's request_id.
//
// The first response to (method, user, request_id) is stored in the same
// atomic write as the change it reports. A retry with the same request
// returns that response again and writes nothing; a retry with a different
// request under the same request_id is INVALID_ARGUMENT.
#ifndef GRANTFLOW_PLATFORM_IDEMPOTENCY_H_
#define GRANTFLOW_PLATFORM_IDEMPOTENCY_H_

#include <optional>
#include <string>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "google/protobuf/message.h"
#include "platform/call.h"
#include "platform/errors.h"
#include "platform/status_macros.h"
#include "storage/store.h"

namespace grantflow {

inline constexpr char kIdempotencyTable[] = "idempotency";
// (written time, key) rows, oldest first, for ExpireIdempotency.
inline constexpr char kIdempotencyByTime[] = "idempotency_by_time";
// How long request ids are remembered unless configured otherwise.
inline constexpr absl::Duration kDefaultIdempotencyRetention =
    absl::Hours(24 * 30);

// Adds a violation on `field` unless `request_id` is 1..128 characters of
// [A-Za-z0-9._:-].
void ValidateRequestId(absl::string_view request_id, errors::Violations* v,
                       absl::string_view field = "request_id");

namespace internal {
std::string IdempotencyKey(const Call& call, absl::string_view request_id);
std::string Fingerprint(const google::protobuf::Message& request);
// The stored response bytes, nullopt when none; INVALID_ARGUMENT when the
// request_id was used for a different request.
absl::StatusOr<std::optional<std::string>> Lookup(storage::Store& store,
                                                  const std::string& key,
                                                  const std::string& fp);
void Record(storage::WriteSet& writes, const std::string& key,
            const std::string& fp, const google::protobuf::Message& response,
            absl::Time now);
}  // namespace internal

// Forgets the idempotency records written before `now - keep` (their
// stored responses may name people), oldest first, at most `limit` in one
// atomic write; returns how many. A retry after that runs as a new request,
// so clients retry within `keep`. INVALID_ARGUMENT for a `keep` that is not
// positive; INTERNAL on I/O failure.
absl::StatusOr<int> ExpireIdempotency(storage::Store& store, absl::Time now,
                                      absl::Duration keep, int limit);

// Runs `build` (which reads state, validates, and adds its changes to the
// WriteSet) and commits the result with the idempotency record. When the
// commit loses a race (ABORTED from the store), `build` runs again on fresh
// state, up to a few times. Statuses from `build` are returned unchanged and
// write nothing.
template <typename Response>
absl::StatusOr<Response> RunOnce(
    storage::Store& store, const Call& call, absl::string_view request_id,
    const google::protobuf::Message& request,
    absl::FunctionRef<absl::StatusOr<Response>(storage::WriteSet&)> build) {
  const std::string key = internal::IdempotencyKey(call, request_id);
  const std::string fp = internal::Fingerprint(request);
  constexpr int kAttempts = 8;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    ASSIGN_OR_RETURN(std::optional<std::string> prior,
                     internal::Lookup(store, key, fp));
    if (prior.has_value()) {
      Response response;
      if (!response.ParseFromString(*prior)) {
        return absl::DataLossError("stored response cannot be parsed");
      }
      return response;
    }
    storage::WriteSet writes;
    writes.ExpectAbsent(kIdempotencyTable, key);
    ASSIGN_OR_RETURN(Response response, build(writes));
    internal::Record(writes, key, fp, response, call.now);
    absl::StatusOr<storage::CommitResult> committed = store.Commit(writes);
    if (committed.ok()) return response;
    if (!absl::IsAborted(committed.status())) return committed.status();
  }
  return absl::AbortedError(
      "the resource kept changing while this request ran; retry it");
}

}  // namespace grantflow

#endif  // GRANTFLOW_PLATFORM_IDEMPOTENCY_H_
