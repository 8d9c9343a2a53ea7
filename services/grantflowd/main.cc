// grantflowd: serves the grantflow gRPC services.
//
//   grantflowd --data_dir=DIR [--listen=127.0.0.1:50051] [--services=all]
//              [--peer=programmes=HOST:PORT,workflow=HOST:PORT]
//              [--clock_file=PATH]
//              [--port_file=PATH] [--metrics_listen=HOST:PORT]
//              [--backup_dir=DIR]
//   grantflowd --restore_from=BACKUP_DIR --data_dir=EMPTY_DIR
//
// The second form restores a backup (BackupService.CreateBackup) into a
// data directory no grantflowd has open, checking every copy against the
// backup's manifest, and exits: 0 restored, 1 refused (nothing changed).
// Prints "grantflowd listening on HOST:PORT" once serving. SIGINT/SIGTERM
// shut it down cleanly; SIGKILL loses nothing acknowledged.
#include <signal.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "platform/clock.h"
#include "services/grantflowd/backup_service.h"
#include "services/grantflowd/server.h"

ABSL_FLAG(std::string, data_dir, "",
          "Directory for the services' RocksDB "
          "stores and the development token key pair (required)");
ABSL_FLAG(std::string, listen, "127.0.0.1:50051",
          "Address to serve on; port 0 picks a free port");
ABSL_FLAG(std::string, services, "all",
          "Comma-separated services to host: all, or some of programmes, "
          "applications, workflow, assessment, duediligence, safeguarding, "
          "awards, agreements, payments, reports");
ABSL_FLAG(std::vector<std::string>, peer, {},
          "Where services not hosted here run, comma-separated: "
          "NAME=HOST:PORT,NAME=HOST:PORT (a repeated --peer replaces the "
          "earlier one)");
ABSL_FLAG(std::vector<std::string>, trusted_key, {},
          "Files of extra token public keys (PEM) to trust, comma-separated: "
          "the identity provider's in a deployment, the next key during a "
          "rotation");
ABSL_FLAG(std::string, clock_file, "",
          "Tests only: read the current time (RFC 3339) from this file");
ABSL_FLAG(std::string, definitions_dir, "",
          "Extra lifecycle definitions (*.textproto) to load");
ABSL_FLAG(std::string, open_data_prefix, "360G-grantflow",
          "The funder's 360Giving publisher prefix (360G-...): open-data "
          "grant ids, and the ids of recipients registered with neither the "
          "Charity Commission nor Companies House, start with it");
ABSL_FLAG(absl::Duration, idempotency_retention, absl::Hours(24 * 30),
          "How long each service remembers request ids and the answers it "
          "gave them (e.g. 720h); a retry after that is a new request");
ABSL_FLAG(std::string, tls_cert, "",
          "This grantflowd's TLS certificate (PEM); with --tls_key it serves "
          "TLS instead of plaintext");
ABSL_FLAG(std::string, tls_key, "", "The private key of --tls_cert (PEM)");
ABSL_FLAG(std::string, tls_ca, "",
          "The CA (PEM) that signs every grantflowd's certificate: peers "
          "then prove who they are with client certificates (mutual TLS), "
          "and this grantflowd verifies its peers' certificates with it");
ABSL_FLAG(absl::Duration, peer_deadline, absl::Seconds(10),
          "Deadline of every call to a peer service");
ABSL_FLAG(int, max_peer_calls, 16,
          "Calls that may wait on any one peer at once; more fail at once "
          "with RESOURCE_EXHAUSTED so a slow peer cannot take every thread "
          "(at most max_threads - 2)");
ABSL_FLAG(int, max_threads, 64,
          "Server threads; calls beyond them get RESOURCE_EXHAUSTED");
ABSL_FLAG(absl::Duration, unsuccessful_retention, absl::Hours(24 * 365),
          "On an erasure request, how long after its decision an "
          "unsuccessful application is still kept");
ABSL_FLAG(absl::Duration, funded_retention, absl::Hours(24 * 365 * 6),
          "On an erasure request, how long after its grant ends a funded "
          "application is still kept");
ABSL_FLAG(std::string, metrics_listen, "",
          "Serve Prometheus /metrics on this address (host:port; port 0 "
          "picks one); empty: not served");
ABSL_FLAG(std::string, metrics_port_file, "",
          "Write the metrics port to this file once serving");
ABSL_FLAG(bool, log_rpcs, true,
          "Log one JSON line per RPC (service, method, code, duration, "
          "request_id) to standard error");
ABSL_FLAG(std::string, backup_dir, "",
          "Where BackupService.CreateBackup writes checkpoints; default "
          "DATA_DIR/backups");
ABSL_FLAG(std::string, restore_from, "",
          "Restore this backup directory into --data_dir (which must hold no "
          "store of the backup's services) and exit");
ABSL_FLAG(std::string, port_file, "",
          "Write the bound port to this file once serving");

namespace {

// Writes `port` to `path` (when given) whole, by renaming a finished file.
void WritePortFile(const std::string& path, int port) {
  if (path.empty()) return;
  {
    std::ofstream out(path + ".tmp");
    out << port << "\n";
  }
  std::rename((path + ".tmp").c_str(), path.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("Serves the grantflow gRPC services.");
  absl::ParseCommandLine(argc, argv);

  grantflow::ServerOptions options;
  options.data_dir = absl::GetFlag(FLAGS_data_dir);
  if (options.data_dir.empty()) {
    std::cerr << "grantflowd: --data_dir is required\n";
    return 2;
  }
  if (const std::string from = absl::GetFlag(FLAGS_restore_from);
      !from.empty()) {
    absl::StatusOr<grantflow::backup::v1::Backup> restored =
        grantflow::RestoreBackup(from, options.data_dir);
    if (!restored.ok()) {
      std::cerr << "grantflowd: restore refused: " << restored.status() << "\n";
      return 1;
    }
    for (const auto& copy : restored->stores()) {
      std::cout << "restored " << copy.service() << ": " << copy.records()
                << " records, " << copy.audit_entries()
                << " audit entries, digest " << copy.sha256() << "\n";
    }
    std::cout << "restored " << restored->name() << " into " << options.data_dir
              << std::endl;
    return 0;
  }
  options.backup_dir = absl::GetFlag(FLAGS_backup_dir);
  options.listen = absl::GetFlag(FLAGS_listen);
  const std::string services = absl::GetFlag(FLAGS_services);
  if (services != "all") {
    options.services = absl::StrSplit(services, ',', absl::SkipEmpty());
  }
  for (const std::string& p : absl::GetFlag(FLAGS_peer)) {
    std::vector<std::string> kv = absl::StrSplit(p, absl::MaxSplits('=', 1));
    if (kv.size() != 2 || kv[0].empty() || kv[1].empty()) {
      std::cerr << "grantflowd: --peer must be NAME=HOST:PORT, got '" << p
                << "'\n";
      return 2;
    }
    options.peers[kv[0]] = kv[1];
  }
  options.trusted_keys = absl::GetFlag(FLAGS_trusted_key);
  options.definitions_dir = absl::GetFlag(FLAGS_definitions_dir);
  options.open_data_prefix = absl::GetFlag(FLAGS_open_data_prefix);
  options.idempotency_retention = absl::GetFlag(FLAGS_idempotency_retention);
  options.peer_deadline = absl::GetFlag(FLAGS_peer_deadline);
  options.retention.unsuccessful = absl::GetFlag(FLAGS_unsuccessful_retention);
  options.retention.funded = absl::GetFlag(FLAGS_funded_retention);
  options.max_peer_calls = absl::GetFlag(FLAGS_max_peer_calls);
  options.max_threads = absl::GetFlag(FLAGS_max_threads);
  options.metrics_listen = absl::GetFlag(FLAGS_metrics_listen);
  options.log_rpcs = absl::GetFlag(FLAGS_log_rpcs);
  options.tls = {.cert = absl::GetFlag(FLAGS_tls_cert),
                 .key = absl::GetFlag(FLAGS_tls_key),
                 .ca = absl::GetFlag(FLAGS_tls_ca)};

  std::unique_ptr<grantflow::Clock> clock;
  if (!absl::GetFlag(FLAGS_clock_file).empty()) {
    clock =
        std::make_unique<grantflow::FileClock>(absl::GetFlag(FLAGS_clock_file));
  } else {
    clock = std::make_unique<grantflow::SystemClock>();
  }
  options.clock = clock.get();

  // Block the shutdown signals before any thread starts, then wait for them
  // on a dedicated thread.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto server = grantflow::GrantflowServer::Start(options);
  if (!server.ok()) {
    std::cerr << "grantflowd: " << server.status().message() << "\n";
    return 1;
  }
  const std::string host = options.listen.substr(0, options.listen.rfind(':'));
  WritePortFile(absl::GetFlag(FLAGS_port_file), (*server)->port());
  WritePortFile(absl::GetFlag(FLAGS_metrics_port_file),
                (*server)->metrics_port());
  if ((*server)->metrics_port() != 0) {
    std::cout << "grantflowd metrics on " << host << ":"
              << (*server)->metrics_port() << "/metrics" << std::endl;
  }
  std::cout << "grantflowd listening on " << host << ":" << (*server)->port()
            << " (data in " << options.data_dir << ")" << std::endl;

  std::thread waiter([&signals, &server] {
    int sig = 0;
    sigwait(&signals, &sig);
    std::cout << "grantflowd: shutting down" << std::endl;
    (*server)->Shutdown();
  });
  (*server)->Wait();
  waiter.detach();
  server->reset();
  return 0;
}
