// The create and update flows shared by the services' resources: idempotent,
// validated, etag-checked, audited, one atomic write each.
#ifndef GRANTFLOW_PLATFORM_CRUD_H_
#define GRANTFLOW_PLATFORM_CRUD_H_

#include <string>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/field_mask.pb.h"
#include "google/protobuf/util/field_mask_util.h"
#include "platform/audit.h"
#include "platform/call.h"
#include "platform/idempotency.h"
#include "platform/proto_table.h"
#include "platform/resources.h"
#include "platform/status_macros.h"

namespace grantflow {

// Identifies the row a create or update works on.
struct Target {
  std::string key;   // store key in the resource's table
  std::string name;  // resource name, e.g. funds/lff
};

// Creates `msg` under `target`: ALREADY_EXISTS when the name is taken;
// `check(msg, writes)` may read other state, ask another service, set
// output-only fields of `msg`, add preconditions to the write, or refuse.
// Sets name, create_time and update_time.
template <typename Msg>
absl::StatusOr<Msg> CreateResource(
    storage::Store& store, const ProtoTable<Msg>& table, const Call& call,
    const google::protobuf::Message& request, absl::string_view request_id,
    const Target& target, Msg msg,
    absl::FunctionRef<absl::Status(Msg&, storage::WriteSet&)> check) {
  msg.set_name(target.name);
  *msg.mutable_create_time() = ToProto(call.now);
  *msg.mutable_update_time() = ToProto(call.now);
  return RunOnce<Msg>(store, call, request_id, request,
                      [&](storage::WriteSet& writes) -> absl::StatusOr<Msg> {
                        ASSIGN_OR_RETURN(bool exists, table.Exists(target.key));
                        if (exists) {
                          return absl::AlreadyExistsError(
                              absl::StrCat(target.name, " already exists"));
                        }
                        Msg out = msg;
                        RETURN_IF_ERROR(check(out, writes));
                        table.Insert(writes, target.key, out);
                        AuditChange(writes, call, target.name, request_id,
                                    "created");
                        out.set_etag("1");
                        return out;
                      });
}

// Applies the fields of `patch` named by `mask` to the stored resource after
// checking `etag` (ABORTED, reason ETAG_MISMATCH). `validate(merged, writes)`
// checks the merged result (INVALID_ARGUMENT), may set its output-only
// fields, and may add preconditions.
template <typename Msg>
absl::StatusOr<Msg> UpdateResource(
    storage::Store& store, const ProtoTable<Msg>& table, const Call& call,
    const google::protobuf::Message& request, absl::string_view request_id,
    const Target& target, const Msg& patch,
    const google::protobuf::FieldMask& mask,
    absl::FunctionRef<absl::Status(Msg&, storage::WriteSet&)> validate) {
  return RunOnce<Msg>(
      store, call, request_id, request,
      [&](storage::WriteSet& writes) -> absl::StatusOr<Msg> {
        ASSIGN_OR_RETURN(Versioned<Msg> current,
                         table.Get(target.key, target.name));
        absl::Status etag_ok =
            CheckEtag(patch.etag(), current.version, target.name);
        if (!etag_ok.ok()) return etag_ok;
        Msg merged = current.msg;
        google::protobuf::util::FieldMaskUtil::MergeOptions options;
        options.set_replace_repeated_fields(true);
        options.set_replace_message_fields(true);
        google::protobuf::util::FieldMaskUtil::MergeMessageTo(patch, mask,
                                                              options, &merged);
        *merged.mutable_update_time() = ToProto(call.now);
        RETURN_IF_ERROR(validate(merged, writes));
        table.Replace(writes, target.key, merged, current.version);
        AuditChange(writes, call, target.name, request_id,
                    absl::StrCat("updated ", absl::StrJoin(mask.paths(), ",")));
        merged.set_etag(absl::StrCat(current.version + 1));
        return merged;
      });
}

}  // namespace grantflow

#endif  // GRANTFLOW_PLATFORM_CRUD_H_
