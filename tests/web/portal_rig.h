// A real grantflowd (port 0, temp data directory, the clock at
// TestEpoch()) loaded with the demo data, and a real grantflow-portal in
// front of it on its own port, with development sign-in for the demo
// people. For the portal's HTTP and browser tests.
#ifndef GRANTFLOW_TESTS_WEB_PORTAL_RIG_H_
#define GRANTFLOW_TESTS_WEB_PORTAL_RIG_H_

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/testing/daemon.h"
#include "tests/testing/fixtures.h"
#include "tests/testing/process.h"
#include "tests/testing/temp_dir.h"

namespace grantflow::testing {

class PortalRig {
 public:
  // Starts both and seeds; check ok() (a failed expectation says why).
  PortalRig() {
    SetClock(dir_, TestEpoch());
    data_ = dir_.Sub("data");
    daemon_ =
        std::make_unique<Daemon>(GRANTFLOWD_PATH, dir_, data_, "grantflowd",
                                 std::vector<std::string>{"--log_rpcs=false"});
    if (daemon_->port() <= 0) {
      ADD_FAILURE() << "grantflowd did not start";
      return;
    }
    std::string out;
    if (SeedWithGrantctl(GRANTCTL_PATH, *daemon_, data_, GRANTFLOW_DEMO_JSON,
                         &out) != 0) {
      ADD_FAILURE() << "seed failed: " << out;
      return;
    }
    const std::string port_file = dir_.Sub("portal.port");
    portal_ = std::make_unique<Process>(
        std::vector<std::string>{
            PORTAL_PATH, "--listen=127.0.0.1:0", "--port_file=" + port_file,
            "--grpc=" + daemon_->addr(),
            "--dev_key=" + data_ + "/keys/token-signing.pem",
            "--demo_people=" GRANTFLOW_DEMO_JSON,
            "--clock_file=" + dir_.Sub("clock"),
            "--assets_dir=" PORTAL_WEB_DIR
            "/node_modules/govuk-frontend/dist/govuk",
            "--static_dir=" PORTAL_WEB_DIR "/static"},
        dir_.Sub("portal.log"));
    port_ = WaitForPortFile(port_file, 20);
    if (port_ <= 0) ADD_FAILURE() << "grantflow-portal did not start";
  }

  bool ok() const { return port_ > 0; }
  int port() const { return port_; }
  std::string url() const { return absl::StrCat("http://127.0.0.1:", port_); }
  const Daemon& daemon() const { return *daemon_; }
  const std::string& data() const { return data_; }
  const TempDir& dir() const { return dir_; }

 private:
  TempDir dir_;
  std::string data_;
  std::unique_ptr<Daemon> daemon_;
  std::unique_ptr<Process> portal_;
  int port_ = 0;
};

}  // namespace grantflow::testing

#endif  // GRANTFLOW_TESTS_WEB_PORTAL_RIG_H_
