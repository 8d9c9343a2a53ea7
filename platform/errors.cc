#include "platform/errors.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "google/rpc/error_details.pb.h"

namespace grantflow::errors {
namespace {

void AttachViolations(absl::Status* status,
                      const std::vector<FieldViolation>& violations) {
  if (violations.empty()) return;
  google::rpc::BadRequest br;
  for (const FieldViolation& v : violations) {
    auto* fv = br.add_field_violations();
    fv->set_field(v.field);
    fv->set_description(v.description);
  }
  status->SetPayload(kBadRequestType, absl::Cord(br.SerializeAsString()));
}

std::string Summarise(const std::vector<FieldViolation>& violations) {
  return absl::StrJoin(violations, "; ",
                       [](std::string* out, const FieldViolation& v) {
                         absl::StrAppend(out, v.field, ": ", v.description);
                       });
}

}  // namespace

void Violations::Add(absl::string_view field, absl::string_view description) {
  list_.push_back({std::string(field), std::string(description)});
}

absl::Status Violations::ToStatus() const {
  if (list_.empty()) return absl::OkStatus();
  return InvalidArgument(list_);
}

absl::Status InvalidArgument(std::vector<FieldViolation> violations) {
  absl::Status s = absl::InvalidArgumentError(
      absl::StrCat("invalid request: ", Summarise(violations)));
  AttachViolations(&s, violations);
  return s;
}

absl::Status WithReason(absl::Status status, absl::string_view reason,
                        std::map<std::string, std::string> metadata) {
  google::rpc::ErrorInfo info;
  info.set_reason(std::string(reason));
  info.set_domain(kDomain);
  for (auto& [k, v] : metadata) (*info.mutable_metadata())[k] = v;
  status.SetPayload(kErrorInfoType, absl::Cord(info.SerializeAsString()));
  return status;
}

absl::Status FailedPrecondition(absl::string_view reason,
                                absl::string_view message,
                                std::map<std::string, std::string> metadata,
                                std::vector<FieldViolation> violations) {
  std::string text(message);
  if (!violations.empty()) absl::StrAppend(&text, ": ", Summarise(violations));
  absl::Status s = absl::FailedPreconditionError(text);
  AttachViolations(&s, violations);
  return WithReason(std::move(s), reason, std::move(metadata));
}

std::optional<std::string> ReasonOf(const absl::Status& status) {
  auto p = status.GetPayload(kErrorInfoType);
  if (!p) return std::nullopt;
  google::rpc::ErrorInfo info;
  if (!info.ParseFromString(std::string(*p))) return std::nullopt;
  return info.reason();
}

std::string MetadataOf(const absl::Status& status, absl::string_view key) {
  auto p = status.GetPayload(kErrorInfoType);
  if (!p) return "";
  google::rpc::ErrorInfo info;
  if (!info.ParseFromString(std::string(*p))) return "";
  auto it = info.metadata().find(std::string(key));
  return it == info.metadata().end() ? "" : it->second;
}

absl::Status RenameFields(const absl::Status& status, absl::string_view from,
                          absl::string_view to) {
  std::vector<FieldViolation> violations = FieldViolationsOf(status);
  if (violations.empty()) return status;
  for (FieldViolation& v : violations) {
    if (absl::StartsWith(v.field, from)) {
      v.field = absl::StrCat(to, v.field.substr(from.size()));
    }
  }
  absl::Status out(status.code(),
                   absl::StrReplaceAll(status.message(), {{from, to}}));
  status.ForEachPayload([&](absl::string_view type, const absl::Cord& payload) {
    out.SetPayload(type, payload);
  });
  AttachViolations(&out, violations);
  return out;
}

std::vector<FieldViolation> FieldViolationsOf(const absl::Status& status) {
  std::vector<FieldViolation> out;
  auto p = status.GetPayload(kBadRequestType);
  if (!p) return out;
  google::rpc::BadRequest br;
  if (!br.ParseFromString(std::string(*p))) return out;
  for (const auto& fv : br.field_violations()) {
    out.push_back({fv.field(), fv.description()});
  }
  return out;
}

}  // namespace grantflow::errors
