// The host's BackupService (grantflow.backup.v1): RocksDB checkpoints of
// every store a grantflowd hosts, taken at one instant of their commits, and
// the offline restore of such a backup into an empty data directory.
//
// A backup directory holds manifest.json (a Backup in protobuf JSON) and one
// checkpoint directory per hosted service, named after it. Backups are made
// under a temporary name and renamed when complete, so a directory with a
// backup id's name is always a whole backup.
#ifndef GRANTFLOW_SERVICES_GRANTFLOWD_BACKUP_SERVICE_H_
#define GRANTFLOW_SERVICES_GRANTFLOWD_BACKUP_SERVICE_H_

#include <map>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "grantflow/backup/v1/backup.grpc.pb.h"
#include "platform/call.h"
#include "services/common/call.h"
#include "storage/store.h"

namespace grantflow {

// Takes and lists the backups of the hosted stores. The stores and the
// barrier are not owned and must outlive it; every store must have been
// opened with `barrier` as its StoreOptions::commit_barrier. Thread-safe;
// backups are taken one at a time.
class Backups {
 public:
  // `dir`: where backups go; created on the first backup.
  Backups(std::map<std::string, storage::Store*> stores, absl::Mutex* barrier,
          std::string dir)
      : stores_(std::move(stores)), barrier_(barrier), dir_(std::move(dir)) {}

  // INVALID_ARGUMENT for a malformed backup_id or request_id; ALREADY_EXISTS
  // when the id names a backup another request made; INTERNAL when a
  // checkpoint or the manifest cannot be written (nothing is left behind).
  // Each hosted store's audit log records the backup afterwards.
  absl::StatusOr<backup::v1::Backup> CreateBackup(
      const Call& call, const backup::v1::CreateBackupRequest& req);
  // INVALID_ARGUMENT for a bad page size or token.
  absl::StatusOr<backup::v1::ListBackupsResponse> ListBackups(
      const Call& call, const backup::v1::ListBackupsRequest& req);

 private:
  // Checkpoints every store into `into` holding the barrier, then digests
  // each copy.
  absl::StatusOr<backup::v1::Backup> Checkpoint(const std::string& into);

  std::map<std::string, storage::Store*> stores_;
  absl::Mutex* barrier_;
  std::string dir_;
  absl::Mutex create_mu_;  // one backup at a time
};

// The manifest of the backup in `backup_dir`. NOT_FOUND when there is none;
// DATA_LOSS when it cannot be parsed.
absl::StatusOr<backup::v1::Backup> ReadBackupManifest(
    const std::string& backup_dir);

// Restores the backup in `backup_dir` into `data_dir` (created if missing),
// which no grantflowd may have open: each service's checkpoint is copied to
// data_dir/{service}, and the copy must digest exactly as the manifest says
// and its audit chain verify before it takes the service's place. Checks
// every target before copying anything: FAILED_PRECONDITION when data_dir
// already holds a store of a service in the backup. NOT_FOUND without a
// manifest; DATA_LOSS when a copy differs from the manifest or its audit
// chain is broken (that copy is removed); INTERNAL on I/O failure. Keys
// (data_dir/keys) are not part of a backup.
absl::StatusOr<backup::v1::Backup> RestoreBackup(const std::string& backup_dir,
                                                 const std::string& data_dir);

#define GRANTFLOW_BACKUP_RPCS(X)                                       \
  X(CreateBackup, backup::v1::CreateBackupRequest, backup::v1::Backup) \
  X(ListBackups, backup::v1::ListBackupsRequest,                       \
    backup::v1::ListBackupsResponse)

// The thin gRPC adapter.
class BackupServiceImpl final : public backup::v1::BackupService::Service {
 public:
  BackupServiceImpl(CallEnv env, Backups* backups)
      : env_(env), backups_(backups) {}
  GRANTFLOW_BACKUP_RPCS(GRANTFLOW_DECLARE_RPC)

 private:
  CallEnv env_;
  Backups* backups_;  // not owned
};

}  // namespace grantflow

#endif  // GRANTFLOW_SERVICES_GRANTFLOWD_BACKUP_SERVICE_H_
