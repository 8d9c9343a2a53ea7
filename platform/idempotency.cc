#include "platform/idempotency.h"

#include <memory>

#include "google/protobuf/descriptor.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "grantflow/storage/v1/storage.pb.h"
#include "storage/digest.h"
#include "storage/key_coding.h"

namespace grantflow {

void ValidateRequestId(absl::string_view request_id, errors::Violations* v,
                       absl::string_view field) {
  if (request_id.empty()) {
    v->Add(field, "is required on every change, so a retry is safe");
    return;
  }
  if (request_id.size() > 128) {
    v->Add(field, "must be at most 128 characters");
    return;
  }
  for (char c : request_id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '.' || c == '_' || c == ':' ||
              c == '-';
    if (!ok) {
      v->Add(field, "may contain only letters, digits and . _ : -");
      return;
    }
  }
}

namespace internal {

std::string IdempotencyKey(const Call& call, absl::string_view request_id) {
  std::string k;
  storage::AppendString(&k, call.method);
  storage::AppendString(&k, call.principal.user);
  storage::AppendString(&k, request_id);
  return k;
}

std::string Fingerprint(const google::protobuf::Message& request) {
  std::unique_ptr<google::protobuf::Message> copy(request.New());
  copy->CopyFrom(request);
  const google::protobuf::FieldDescriptor* f =
      copy->GetDescriptor()->FindFieldByName("request_id");
  if (f != nullptr) copy->GetReflection()->ClearField(copy.get(), f);
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream raw(&bytes);
    google::protobuf::io::CodedOutputStream out(&raw);
    out.SetSerializationDeterministic(true);
    copy->SerializeToCodedStream(&out);
  }
  return storage::Sha256(bytes);
}

absl::StatusOr<std::optional<std::string>> Lookup(storage::Store& store,
                                                  const std::string& key,
                                                  const std::string& fp) {
  absl::StatusOr<storage::Record> rec = store.Get(kIdempotencyTable, key);
  if (absl::IsNotFound(rec.status())) return std::optional<std::string>();
  if (!rec.ok()) return rec.status();
  storage::v1::IdempotencyRecord stored;
  if (!stored.ParseFromString(rec->value)) {
    return absl::DataLossError("idempotency record cannot be parsed");
  }
  if (stored.request_fingerprint() != fp) {
    return errors::InvalidArgument(
        {{"request_id",
          "was already used for a different request; use a new request_id "
          "for a new change"}});
  }
  return std::optional<std::string>(stored.response());
}

void Record(storage::WriteSet& writes, const std::string& key,
            const std::string& fp, const google::protobuf::Message& response,
            absl::Time now) {
  storage::v1::IdempotencyRecord r;
  r.set_request_fingerprint(fp);
  r.set_response(response.SerializeAsString());
  r.set_response_type(response.GetDescriptor()->full_name());
  r.set_time_micros(absl::ToUnixMicros(now));
  writes.Put(kIdempotencyTable, key, r.SerializeAsString());
  std::string by_time;
  storage::AppendInt64(&by_time, absl::ToUnixMicros(now));
  storage::AppendString(&by_time, key);
  writes.PutIndex(kIdempotencyByTime, by_time);
}

}  // namespace internal

absl::StatusOr<int> ExpireIdempotency(storage::Store& store, absl::Time now,
                                      absl::Duration keep, int limit) {
  if (keep <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("idempotency retention must be positive");
  }
  const int64_t cutoff = absl::ToUnixMicros(now - keep);
  ASSIGN_OR_RETURN(storage::ScanResult scan,
                   store.Scan(kIdempotencyByTime, "", "", limit));
  storage::WriteSet w;
  int expired = 0;
  for (const storage::ScanRow& row : scan.rows) {
    storage::KeyReader r(row.key);
    int64_t written = 0;
    std::string key;
    if (!r.ReadInt64(&written) || !r.ReadString(&key) || !r.done()) {
      return absl::DataLossError("an idempotency time row cannot be read");
    }
    if (written >= cutoff) break;
    w.Delete(kIdempotencyTable, key);
    w.Delete(kIdempotencyByTime, row.key);
    ++expired;
  }
  if (expired > 0) RETURN_IF_ERROR(store.Commit(w).status());
  return expired;
}
}  // namespace grantflow
