// grantctl backup: RocksDB checkpoints of every store, through the
// BackupService of each grantflowd (one call per distinct address, so an
// all-in-one grantflowd is asked once and a split deployment once per
// process).
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "grantflow/backup/v1/backup.grpc.pb.h"
#include "tools/grantctl/commands.h"
#include "tools/grantctl/helpers.h"

namespace grantflow::grantctl {

namespace bpb = ::grantflow::backup::v1;

namespace {

// Each distinct grantflowd address, with the services reached there.
std::map<std::string, std::vector<std::string>> Processes(Cli& cli) {
  std::map<std::string, std::vector<std::string>> out;
  for (const std::string& service : EveryService()) {
    out[cli.Address(service)].push_back(service);
  }
  return out;
}

// The backups as JSON (--json) or a table, a row per store.
int Show(Cli& cli, const bpb::ListBackupsResponse& all, int rc) {
  if (cli.json()) {
    cli.Print(all);
    return rc;
  }
  Table t({"BACKUP", "TAKEN", "SERVICE", "RECORDS", "AUDIT", "SHA-256",
           "DIRECTORY"});
  for (const bpb::Backup& b : all.backups()) {
    for (const bpb::StoreCopy& c : b.stores()) {
      t.Add({b.name(), When(b.create_time()), c.service(),
             absl::StrCat(c.records()), absl::StrCat(c.audit_entries()),
             c.sha256().substr(0, 16), b.directory()});
    }
  }
  t.Print(cli.out());
  return rc;
}

int Create(Cli& cli) {
  // One id and one request id for every process, so the set is named alike
  // everywhere and a retry of the whole command is safe.
  bpb::CreateBackupRequest req;
  req.set_backup_id(cli.args().Get("id"));
  req.set_request_id(cli.RequestId());
  bpb::ListBackupsResponse all;
  int rc = 0;
  for (const auto& [address, services] : Processes(cli)) {
    auto stub = bpb::BackupService::NewStub(cli.channel(services.front()));
    bpb::Backup b;
    auto ctx = cli.Context();
    grpc::Status s = stub->CreateBackup(ctx.get(), req, &b);
    if (!s.ok()) {
      cli.err() << address << " (" << absl::StrJoin(services, ", ") << "): ";
      rc = cli.Fail(s);
      continue;
    }
    // Every process names a time-stamped backup alike.
    if (req.backup_id().empty()) req.set_backup_id(b.name().substr(8));
    *all.add_backups() = b;
  }
  return Show(cli, all, rc);
}

int List(Cli& cli) {
  bpb::ListBackupsResponse all;
  int rc = 0;
  for (const auto& [address, services] : Processes(cli)) {
    auto stub = bpb::BackupService::NewStub(cli.channel(services.front()));
    bpb::ListBackupsRequest req;
    req.set_page_size(500);
    do {
      bpb::ListBackupsResponse resp;
      auto ctx = cli.Context();
      grpc::Status s = stub->ListBackups(ctx.get(), req, &resp);
      if (!s.ok()) {
        cli.err() << address << ": ";
        rc = cli.Fail(s);
        break;
      }
      all.MergeFrom(resp);
      req.set_page_token(resp.next_page_token());
    } while (!req.page_token().empty());
  }
  all.clear_next_page_token();
  return Show(cli, all, rc);
}

}  // namespace

int BackupCommand(Cli& cli) {
  const std::string verb = Arg(cli, 1);
  if (verb == "create") return Create(cli);
  if (verb == "list") return List(cli);
  return cli.Usage(
      "backup create [--id ID] [--request-id R] | list   (restore: "
      "grantflowd --restore_from=DIR --data_dir=EMPTY_DIR)");
}

}  // namespace grantflow::grantctl
