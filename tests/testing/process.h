// Runs a child process (a real grantflowd or grantctl) for end-to-end tests.
#ifndef GRANTFLOW_TESTS_TESTING_PROCESS_H_
#define GRANTFLOW_TESTS_TESTING_PROCESS_H_

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace grantflow::testing {

class Process {
 public:
  // Starts `argv[0]` with `argv`; stdout and stderr go to `log_path`.
  Process(const std::vector<std::string>& argv, const std::string& log_path);
  ~Process();  // SIGKILLs the child if it still runs

  pid_t pid() const { return pid_; }
  // Sends `sig` and waits; returns the wait status.
  int KillAndWait(int sig);
  bool running();

 private:
  pid_t pid_ = -1;
};

// Runs a command to completion; returns its exit code and fills *output with
// stdout and stderr together.
int RunCommand(const std::vector<std::string>& argv, std::string* output);

// Forks a child that runs `child(fd)` and must never return (it reports on
// `fd`, one line per event); after `delay` the parent SIGKILLs it and returns
// the complete lines it wrote, dropping a line the kill cut short. Sets
// *killed to false when the child exited before the kill.
std::vector<std::string> RunAndKill(const std::function<void(int fd)>& child,
                                    std::chrono::milliseconds delay,
                                    bool* killed);

// Waits up to `seconds` for a file to hold a port number; 0 on timeout.
int WaitForPortFile(const std::string& path, double seconds);

}  // namespace grantflow::testing

#endif  // GRANTFLOW_TESTS_TESTING_PROCESS_H_
