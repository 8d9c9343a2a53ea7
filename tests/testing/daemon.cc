#include "tests/testing/daemon.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "tests/testing/fixtures.h"
#include "tests/testing/process.h"

namespace grantflow::testing {

Daemon::Daemon(const std::string& grantflowd, const TempDir& dir,
               const std::string& data_dir, const std::string& name,
               std::vector<std::string> extra, int port)
    : port_file_(dir.Sub(name + ".port")) {
  std::remove(port_file_.c_str());
  std::vector<std::string> argv = {grantflowd, "--data_dir=" + data_dir,
                                   absl::StrCat("--listen=127.0.0.1:", port),
                                   "--port_file=" + port_file_,
                                   "--clock_file=" + dir.Sub("clock")};
  argv.insert(argv.end(), extra.begin(), extra.end());
  process_ = std::make_unique<Process>(argv, dir.Sub(name + ".log"));
  port_ = WaitForPortFile(port_file_, 20);
}

std::string Daemon::addr() const { return absl::StrCat("127.0.0.1:", port_); }

std::shared_ptr<grpc::Channel> Daemon::Channel() const {
  return grpc::CreateChannel(addr(), grpc::InsecureChannelCredentials());
}

int SeedWithGrantctl(const std::string& grantctl, const Daemon& daemon,
                     const std::string& data_dir, const std::string& file,
                     std::string* out) {
  return RunCommand({grantctl, "--addr", daemon.addr(), "--token",
                     TokenMinter(data_dir).Token("demo-admin", {"admin"}),
                     "seed", file, "--data_dir=" + data_dir,
                     "--now=" + absl::FormatTime(absl::RFC3339_sec, TestEpoch(),
                                                 absl::UTCTimeZone())},
                    out);
}

void SetClock(const TempDir& dir, absl::Time t) {
  const std::string path = dir.Sub("clock");
  {
    std::ofstream(path + ".tmp")
        << absl::FormatTime(absl::RFC3339_full, t, absl::UTCTimeZone());
  }
  std::rename((path + ".tmp").c_str(), path.c_str());
}

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof(a);
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
    port = ntohs(a.sin_port);
  }
  close(fd);
  return port;
}

}  // namespace grantflow::testing
