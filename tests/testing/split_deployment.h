// The split deployment for end-to-end tests: ten grantflowd processes,
// one service each, reaching each other only over gRPC on loopback ports.
// Header-only: the including test defines GRANTFLOWD_PATH and GRANTCTL_PATH.
#ifndef GRANTFLOW_TESTS_TESTING_SPLIT_DEPLOYMENT_H_
#define GRANTFLOW_TESTS_TESTING_SPLIT_DEPLOYMENT_H_

#include <signal.h>

#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "services/common/tls.h"
#include "tests/testing/daemon.h"
#include "tests/testing/fixtures.h"
#include "tests/testing/process.h"
#include "tests/testing/temp_dir.h"

namespace grantflow {

// A grantflowd child of this test binary.
class Daemon : public testing::Daemon {
 public:
  Daemon(const testing::TempDir& dir, const std::string& data_dir,
         const std::string& name, std::vector<std::string> extra = {},
         int port = 0)
      : testing::Daemon(GRANTFLOWD_PATH, dir, data_dir, name, std::move(extra),
                        port) {}
};

// The split deployment's processes, one service each.
constexpr const char* kSplitServices[] = {
    "programmes", "applications", "assessment", "duediligence", "safeguarding",
    "awards",     "agreements",   "payments",   "reports",      "workflow"};

// Ten grantflowd processes, one service each, on ports fixed up front (each
// names the others as peers), each trusting the others' token keys.
struct SplitDeployment {
  explicit SplitDeployment(const testing::TempDir& d) : dir(d) {
    for (const char* s : kSplitServices) {
      data[s] = dir.Sub(s);
      ports[s] = testing::FreePort();
      keys.push_back(std::make_unique<testing::TokenMinter>(data[s]));
    }
    minter = keys[0].get();
    seed_file = dir.Sub("seed.json");
    std::ofstream(seed_file) << testing::SeedJson(testing::TestEpoch());
  }
  std::string Addr(const std::string& s) const {
    return absl::StrCat("127.0.0.1:", ports.at(s));
  }
  // A person's channel: TLS trusting the deployment's CA when it has one.
  std::shared_ptr<grpc::Channel> Channel(const std::string& s) const {
    TlsFiles files;
    if (!tls_dir.empty()) files.ca = tls_dir + "/ca.pem";
    return grpc::CreateChannel(Addr(s), *ChannelCredentialsFor(files));
  }
  // Starts (or restarts) one process; false if it did not come up.
  bool Start(const std::string& s) {
    std::vector<std::string> peers, trusted;
    for (const auto& [other, port] : ports) {
      if (other == s) continue;
      peers.push_back(absl::StrCat(other, "=", Addr(other)));
      trusted.push_back(data[other] + "/keys/token-signing.pub.pem");
    }
    // Repeating an absl list flag replaces it: one comma-separated list each.
    std::vector<std::string> extra = {
        "--services=" + s, "--peer=" + absl::StrJoin(peers, ","),
        "--trusted_key=" + absl::StrJoin(trusted, ",")};
    extra.insert(extra.end(), extra_flags.begin(), extra_flags.end());
    if (!tls_dir.empty()) {
      extra.push_back(absl::StrCat("--tls_cert=", tls_dir, "/", s, ".pem"));
      extra.push_back(absl::StrCat("--tls_key=", tls_dir, "/", s, ".key"));
      extra.push_back(absl::StrCat("--tls_ca=", tls_dir, "/ca.pem"));
    }
    procs[s].reset();
    const std::string name = absl::StrCat(s, "-", ++starts);
    procs[s] = std::make_unique<Daemon>(dir, data[s], name, extra, ports[s]);
    if (procs[s]->port() == ports[s]) return true;
    std::ifstream log(dir.Sub(name + ".log"));
    std::cerr << s << " did not start:\n" << log.rdbuf() << "\n";
    return false;
  }
  bool Up() {
    for (const char* s : kSplitServices) {
      if (!Start(s)) return false;
    }
    return true;
  }
  // Starts them all and loads the seed with grantctl, as `admin`.
  void UpAndSeeded() {
    ASSERT_TRUE(Up());
    admin = minter->Token("root", {"admin"});
    std::string out;
    ASSERT_EQ(Grantctl(admin, {"seed", seed_file}, &out), 0) << out;
  }
  void Kill(const std::string& s) {
    procs[s]->Kill(SIGKILL);
    procs[s].reset();
  }
  // Runs grantctl with each service's address.
  int Grantctl(const std::string& token, std::vector<std::string> args,
               std::string* out) {
    std::vector<std::string> argv = {GRANTCTL_PATH, "--token=" + token};
    if (!tls_dir.empty()) argv.push_back("--tls_ca=" + tls_dir + "/ca.pem");
    for (const auto& [s, port] : ports) {
      argv.push_back(absl::StrCat("--addr-", s, "=", Addr(s)));
    }
    argv.insert(argv.end(), args.begin(), args.end());
    return testing::RunCommand(argv, out);
  }

  const testing::TempDir& dir;
  std::map<std::string, std::string> data;
  std::map<std::string, int> ports;
  std::vector<std::unique_ptr<testing::TokenMinter>> keys;
  testing::TokenMinter* minter;
  std::map<std::string, std::unique_ptr<Daemon>> procs;
  std::string seed_file;
  std::string admin;  // set by UpAndSeeded
  int starts = 0;
  // Certificates from deploy/tls/make-certs.sh: mutual TLS when set.
  std::string tls_dir;
  // More flags for every process.
  std::vector<std::string> extra_flags;
};

}  // namespace grantflow

#endif  // GRANTFLOW_TESTS_TESTING_SPLIT_DEPLOYMENT_H_
