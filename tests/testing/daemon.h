// A real grantflowd child process for end-to-end tests: on 127.0.0.1 at a
// given port (0 picks one), its clock read from a file the test moves.
#ifndef GRANTFLOW_TESTS_TESTING_DAEMON_H_
#define GRANTFLOW_TESTS_TESTING_DAEMON_H_

#include <signal.h>
#include <sys/wait.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "tests/testing/process.h"
#include "tests/testing/temp_dir.h"

namespace grantflow::testing {

class Daemon {
 public:
  // Starts GRANTFLOWD_PATH on `data_dir`, logging to dir/name.log, with the
  // clock in dir/clock, and waits (up to 20 s) until it serves.
  Daemon(const std::string& grantflowd, const TempDir& dir,
         const std::string& data_dir, const std::string& name,
         std::vector<std::string> extra = {}, int port = 0);
  int port() const { return port_; }
  std::string addr() const;
  std::shared_ptr<grpc::Channel> Channel() const;
  // Sends `sig` and waits; returns the wait status.
  int Kill(int sig) { return process_->KillAndWait(sig); }
  // Sends `sig` (SIGSTOP: a hung process; SIGCONT). For SIGSTOP, returns
  // only once every thread has stopped: kill() returns when the signal is
  // queued, and until the thread it went to is next scheduled (late, on a
  // loaded machine) the others go on answering calls.
  void Signal(int sig) {
    ::kill(process_->pid(), sig);
    if (sig != SIGSTOP) return;
    int status = 0;
    while (::waitpid(process_->pid(), &status, WUNTRACED) == process_->pid() &&
           !WIFSTOPPED(status)) {
    }
  }

 private:
  std::string port_file_;
  std::unique_ptr<Process> process_;
  int port_ = 0;
};

// `grantctl seed FILE` against `daemon` as the demo admin (a token signed
// with the key of `data_dir`, the daemon's), with TestEpoch() as now and
// --data_dir for the steps the seed takes as its people. Returns grantctl's
// exit code; its output in *out.
int SeedWithGrantctl(const std::string& grantctl, const Daemon& daemon,
                     const std::string& data_dir, const std::string& file,
                     std::string* out);

// Writes the time the daemons of `dir` read.
void SetClock(const TempDir& dir, absl::Time t);

// A port on 127.0.0.1 that was free a moment ago, for daemons that must
// know each other's addresses before either starts.
int FreePort();

}  // namespace grantflow::testing

#endif  // GRANTFLOW_TESTS_TESTING_DAEMON_H_
