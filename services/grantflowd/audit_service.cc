#include "services/grantflowd/audit_service.h"

#include <algorithm>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "platform/auth.h"
#include "platform/errors.h"
#include "platform/paging.h"
#include "platform/resources.h"
#include "platform/status_macros.h"

namespace grantflow {

namespace apb = ::grantflow::audit::v1;

namespace {

// Entries read for one page at most, however few match: a page is bounded
// in work as well as in size, and says where to go on.
constexpr int kMaxScannedPerPage = 20'000;
constexpr int kReadBatch = 500;

bool Matches(const storage::v1::AuditEntry& e,
             const apb::ListEntriesRequest& req, const std::string& actor,
             int64_t start_micros, int64_t end_micros) {
  if (!req.resource().empty() && e.resource() != req.resource() &&
      !absl::StartsWith(e.resource(), req.resource() + "/")) {
    return false;
  }
  if (!actor.empty() &&
      auth::CanonicalUser(e.actor()).value_or(e.actor()) != actor) {
    return false;
  }
  if (req.has_start_time() && e.time_micros() < start_micros) return false;
  if (req.has_end_time() && e.time_micros() >= end_micros) return false;
  return true;
}

}  // namespace

absl::StatusOr<storage::Store*> AuditLog::StoreOf(
    const std::string& service, const std::string& field) const {
  auto it = stores_.find(service);
  if (it != stores_.end()) return it->second;
  std::vector<std::string> hosted;
  for (const auto& [name, store] : stores_) hosted.push_back(name);
  return absl::NotFoundError(absl::StrCat(
      field, ": ", service, " is not hosted by this grantflowd (it hosts ",
      absl::StrJoin(hosted, ", "), ")"));
}

absl::StatusOr<apb::VerifyChainResponse> AuditLog::VerifyChain(
    const Call& /*call*/, const apb::VerifyChainRequest& req) {
  std::vector<std::string> names(req.services().begin(), req.services().end());
  if (names.empty()) {
    for (const auto& [name, store] : stores_) names.push_back(name);
  }
  apb::VerifyChainResponse out;
  for (const std::string& name : names) {
    ASSIGN_OR_RETURN(storage::Store * store, StoreOf(name, "services"));
    ASSIGN_OR_RETURN(storage::AuditChainReport r, store->VerifyAuditChain());
    apb::ChainReport* report = out.add_reports();
    report->set_service(name);
    report->set_entries(r.entries);
    report->set_intact(r.ok);
    if (!r.ok) {
      report->set_first_broken_seq(r.first_broken_seq);
      report->set_problem(r.problem);
    } else if (r.entries > 0) {
      ASSIGN_OR_RETURN(auto last, store->ReadAudit(r.entries, 1));
      if (!last.empty()) {
        report->set_head_seq(last[0].seq());
        report->set_head_hash(absl::BytesToHexString(last[0].hash()));
      }
    }
  }
  return out;
}

absl::StatusOr<apb::ListEntriesResponse> AuditLog::ListEntries(
    const Call& /*call*/, const apb::ListEntriesRequest& req) {
  errors::Violations v;
  if (req.service().empty()) v.Add("service", "is required, e.g. payments");
  std::string actor;
  if (!req.actor().empty()) {
    actor = auth::CanonicalUser(req.actor()).value_or("");
    if (actor.empty()) v.Add("actor", "must be a user name");
  }
  LimitText(req.resource(), "resource", 1000, &v);
  const int64_t start = absl::ToUnixMicros(FromProto(req.start_time()));
  const int64_t end = absl::ToUnixMicros(FromProto(req.end_time()));
  if (req.has_start_time() && req.has_end_time() && end <= start) {
    v.Add("end_time", "must be after start_time");
  }
  const int32_t size =
      req.page_size() == 0 ? 100 : std::min(req.page_size(), 1000);
  const std::string query =
      absl::StrCat("audit:", req.service(), "|", req.resource(), "|", actor,
                   "|", start, "|", end);
  // The token carries the last sequence number read.
  Page page =
      ParsePage(std::min(size, kMaxPageSize), req.page_token(), query, &v);
  uint64_t after = 0;
  if (!page.start_after.empty() &&
      !absl::SimpleAtoi(page.start_after, &after)) {
    v.Add("page_token", "is not a token this list gave");
  }
  if (req.page_size() < 0) v.Add("page_size", "must not be negative");
  if (!v.empty()) return v.ToStatus();
  ASSIGN_OR_RETURN(storage::Store * store, StoreOf(req.service(), "service"));
  apb::ListEntriesResponse out;
  PageBytes budget;
  int scanned = 0;
  uint64_t last_read = after;
  bool more = true;
  while (more && out.entries_size() < size && scanned < kMaxScannedPerPage) {
    ASSIGN_OR_RETURN(auto batch, store->ReadAudit(last_read + 1, kReadBatch));
    more = batch.size() == static_cast<size_t>(kReadBatch);
    for (const storage::v1::AuditEntry& e : batch) {
      if (out.entries_size() >= size || scanned >= kMaxScannedPerPage) {
        more = true;
        break;
      }
      if (Matches(e, req, actor, start, end)) {
        if (!budget.Fits(e.ByteSizeLong())) {
          more = true;
          break;
        }
        *out.add_entries() = e;
      }
      ++scanned;
      last_read = e.seq();
    }
  }
  if (more)
    out.set_next_page_token(MakePageToken(query, absl::StrCat(last_read)));
  return out;
}

#define GRANTFLOW_DEFINE(Method, Req, Resp)                                 \
  GRANTFLOW_DEFINE_RPC(AuditServiceImpl, "grantflow.audit.v1.AuditService", \
                       log_, Method, Req, Resp)
GRANTFLOW_AUDIT_RPCS(GRANTFLOW_DEFINE)
#undef GRANTFLOW_DEFINE

}  // namespace grantflow
