#include "services/grantflowd/backup_service.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "google/protobuf/util/json_util.h"
#include "platform/audit.h"
#include "platform/errors.h"
#include "platform/idempotency.h"
#include "platform/paging.h"
#include "platform/resources.h"
#include "platform/status_macros.h"

namespace grantflow {

namespace bpb = ::grantflow::backup::v1;
namespace fs = std::filesystem;

namespace {

constexpr char kManifest[] = "manifest.json";
// Work in progress, renamed to the backup id once whole.
constexpr char kPartialPrefix[] = ".partial-";

absl::Status IoError(absl::string_view what, const fs::path& path,
                     const std::error_code& ec) {
  return absl::InternalError(
      absl::StrCat(what, " ", path.string(), ": ", ec.message()));
}

// Opens `path` and fsyncs it, so what was written (a file) or renamed into
// it (a directory) survives a power cut.
absl::Status Sync(const fs::path& path, bool directory) {
  const int fd =
      ::open(path.c_str(), directory ? O_RDONLY | O_DIRECTORY : O_RDONLY);
  if (fd < 0) return absl::InternalError(absl::StrCat("open ", path.string()));
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0)
    return absl::InternalError(absl::StrCat("fsync ", path.string()));
  return absl::OkStatus();
}

absl::Status WriteManifest(const fs::path& dir, const bpb::Backup& backup) {
  std::string json;
  google::protobuf::util::JsonPrintOptions o;
  o.add_whitespace = true;
  o.preserve_proto_field_names = true;
  if (!google::protobuf::util::MessageToJsonString(backup, &json, o).ok()) {
    return absl::InternalError("cannot print the backup manifest");
  }
  const fs::path path = dir / kManifest;
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << json;
    out.close();
    if (!out) {
      return absl::InternalError(absl::StrCat("cannot write ", path.string()));
    }
  }
  return Sync(path, /*directory=*/false);
}

// The default id: the time of the call, to the second, in UTC.
std::string TimeId(absl::Time now) {
  return absl::FormatTime("%Y%m%d-%H%M%S", now, absl::UTCTimeZone());
}

// Copies one service's checkpoint to `partial` and checks the copy holds
// exactly what the manifest says, with an intact audit chain.
absl::Status CopyChecked(const fs::path& source, const bpb::StoreCopy& copy,
                         const fs::path& partial) {
  std::error_code ec;
  if (fs::create_directories(partial.parent_path(), ec); ec) {
    return IoError("cannot create", partial.parent_path(), ec);
  }
  fs::copy(source, partial, fs::copy_options::recursive, ec);
  if (ec) return IoError("cannot copy", source, ec);
  ASSIGN_OR_RETURN(storage::StoreDigest d,
                   storage::DigestStoreDir(partial.string()));
  if (d.records != copy.records() || d.sha256 != copy.sha256() ||
      d.audit_entries != copy.audit_entries() ||
      d.audit_head_hash != copy.audit_head_hash()) {
    return absl::DataLossError(
        absl::StrCat(source.string(), " holds ", d.records,
                     " records digesting to ", d.sha256, "; the manifest says ",
                     copy.records(), " digesting to ", copy.sha256()));
  }
  storage::StoreOptions so;
  so.path = partial.string();
  ASSIGN_OR_RETURN(std::unique_ptr<storage::Store> store,
                   storage::OpenRocksDbStore(so));
  ASSIGN_OR_RETURN(storage::AuditChainReport chain, store->VerifyAuditChain());
  if (!chain.ok) {
    return absl::DataLossError(
        absl::StrCat(source.string(), ": the audit chain breaks at entry ",
                     chain.first_broken_seq, ": ", chain.problem));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<bpb::Backup> ReadBackupManifest(const std::string& backup_dir) {
  const fs::path path = fs::path(backup_dir) / kManifest;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(
        absl::StrCat(backup_dir, " is not a backup (no ", kManifest, ")"));
  }
  std::stringstream text;
  text << in.rdbuf();
  bpb::Backup backup;
  if (!google::protobuf::util::JsonStringToMessage(text.str(), &backup).ok()) {
    return absl::DataLossError(
        absl::StrCat(path.string(), " cannot be parsed"));
  }
  return backup;
}

absl::StatusOr<bpb::Backup> Backups::Checkpoint(const std::string& into) {
  bpb::Backup backup;
  {
    // No commit of any hosted store runs while this is held: the
    // checkpoints are one instant of them all.
    absl::MutexLock hold(barrier_);
    for (const auto& [name, store] : stores_) {
      RETURN_IF_ERROR(store->Checkpoint((fs::path(into) / name).string()));
    }
  }
  for (const auto& [name, store] : stores_) {
    ASSIGN_OR_RETURN(storage::StoreDigest d,
                     storage::DigestStoreDir((fs::path(into) / name).string()));
    bpb::StoreCopy* copy = backup.add_stores();
    copy->set_service(name);
    copy->set_records(d.records);
    copy->set_sha256(d.sha256);
    copy->set_audit_entries(d.audit_entries);
    copy->set_audit_head_hash(d.audit_head_hash);
  }
  return backup;
}

absl::StatusOr<bpb::Backup> Backups::CreateBackup(
    const Call& call, const bpb::CreateBackupRequest& req) {
  errors::Violations v;
  const std::string id =
      req.backup_id().empty() ? TimeId(call.now) : req.backup_id();
  if (!IsValidId(id)) {
    v.Add("backup_id",
          "must be 1-63 of a-z, 0-9 and '-', not starting or ending with '-'");
  }
  ValidateRequestId(req.request_id(), &v);
  if (!v.empty()) return v.ToStatus();

  absl::MutexLock one_at_a_time(&create_mu_);
  const fs::path final_dir = fs::path(dir_) / id;
  const std::string name = absl::StrCat("backups/", id);
  std::error_code ec;
  if (fs::exists(final_dir, ec)) {
    absl::StatusOr<bpb::Backup> earlier = ReadBackupManifest(final_dir);
    if (earlier.ok() && earlier->request_id() == req.request_id() &&
        earlier->created_by() == call.principal.user) {
      return *earlier;  // a retry
    }
    return absl::AlreadyExistsError(
        absl::StrCat(name, " already exists; choose another backup_id"));
  }
  const fs::path partial = fs::path(dir_) / absl::StrCat(kPartialPrefix, id);
  fs::remove_all(partial, ec);  // left by a crash during an earlier attempt
  if (fs::create_directories(partial, ec); ec) {
    return IoError("cannot create", partial, ec);
  }
  auto made = [&]() -> absl::StatusOr<bpb::Backup> {
    ASSIGN_OR_RETURN(bpb::Backup backup, Checkpoint(partial.string()));
    backup.set_name(name);
    *backup.mutable_create_time() = ToProto(call.now);
    backup.set_created_by(call.principal.user);
    backup.set_directory(fs::absolute(final_dir).string());
    backup.set_request_id(req.request_id());
    RETURN_IF_ERROR(WriteManifest(partial, backup));
    std::error_code rename_ec;
    fs::rename(partial, final_dir, rename_ec);
    if (rename_ec) return IoError("cannot rename", partial, rename_ec);
    RETURN_IF_ERROR(Sync(dir_, /*directory=*/true));
    return backup;
  }();
  if (!made.ok()) {
    fs::remove_all(partial, ec);
    return made.status();
  }
  // Who copied everything, and when (R8): after the checkpoints, so the
  // entry is in the live logs, not in the copy it describes.
  for (const auto& [service, store] : stores_) {
    storage::WriteSet w;
    AuditChange(
        w, call, name, req.request_id(),
        absl::StrCat("checkpoint of ", service, " in ", made->directory()));
    RETURN_IF_ERROR(store->Commit(w).status());
  }
  return made;
}

absl::StatusOr<bpb::ListBackupsResponse> Backups::ListBackups(
    const Call& /*call*/, const bpb::ListBackupsRequest& req) {
  errors::Violations v;
  if (req.page_size() < 0) v.Add("page_size", "must not be negative");
  Page page = ParsePage(req.page_size(), req.page_token(), "backups", &v);
  if (!v.empty()) return v.ToStatus();
  std::vector<std::string> ids;
  std::error_code ec;
  for (fs::directory_iterator it(dir_, ec), end; !ec && it != end;
       it.increment(ec)) {
    const std::string id = it->path().filename().string();
    if (IsValidId(id) && id > page.start_after) ids.push_back(id);
  }
  std::sort(ids.begin(), ids.end());
  bpb::ListBackupsResponse out;
  std::string last;
  for (const std::string& id : ids) {
    if (out.backups_size() == page.size) {
      out.set_next_page_token(MakePageToken("backups", last));
      break;
    }
    absl::StatusOr<bpb::Backup> b = ReadBackupManifest(fs::path(dir_) / id);
    if (b.ok()) *out.add_backups() = *std::move(b);
    last = id;
  }
  return out;
}

absl::StatusOr<bpb::Backup> RestoreBackup(const std::string& backup_dir,
                                          const std::string& data_dir) {
  ASSIGN_OR_RETURN(bpb::Backup backup, ReadBackupManifest(backup_dir));
  if (backup.stores().empty()) {
    return absl::DataLossError(
        absl::StrCat(backup_dir, ": the manifest lists no stores"));
  }
  std::error_code ec;
  for (const bpb::StoreCopy& copy : backup.stores()) {
    if (!IsValidId(copy.service())) {
      return absl::DataLossError(
          absl::StrCat(backup_dir, ": the manifest names a bad service '",
                       copy.service(), "'"));
    }
    const fs::path target = fs::path(data_dir) / copy.service();
    if (fs::exists(target, ec) && !fs::is_empty(target, ec)) {
      return absl::FailedPreconditionError(absl::StrCat(
          target.string(),
          " already holds a store: restore into an empty data directory"));
    }
  }
  // Every copy is made and checked under a temporary name first, so a
  // restore that fails leaves the data directory as it found it.
  std::vector<std::pair<fs::path, fs::path>> ready;  // partial, target
  auto discard = [&ready] {
    std::error_code ignored;
    for (const auto& [partial, target] : ready)
      fs::remove_all(partial, ignored);
  };
  for (const bpb::StoreCopy& copy : backup.stores()) {
    const fs::path partial =
        fs::path(data_dir) / absl::StrCat(kPartialPrefix, copy.service());
    fs::remove_all(partial, ec);
    ready.emplace_back(partial, fs::path(data_dir) / copy.service());
    absl::Status s =
        CopyChecked(fs::path(backup_dir) / copy.service(), copy, partial);
    if (!s.ok()) {
      discard();
      return s;
    }
  }
  for (const auto& [partial, target] : ready) {
    fs::remove(target, ec);  // an empty directory, if any
    fs::rename(partial, target, ec);
    if (ec) return IoError("cannot rename", partial, ec);
  }
  RETURN_IF_ERROR(Sync(data_dir, /*directory=*/true));
  return backup;
}

#define GRANTFLOW_DEFINE(Method, Req, Resp)                                    \
  GRANTFLOW_DEFINE_RPC(BackupServiceImpl, "grantflow.backup.v1.BackupService", \
                       backups_, Method, Req, Resp)
GRANTFLOW_BACKUP_RPCS(GRANTFLOW_DEFINE)
#undef GRANTFLOW_DEFINE

}  // namespace grantflow
