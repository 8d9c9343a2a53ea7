// Time source injected into every service so tests control time.
#ifndef GRANTFLOW_PLATFORM_CLOCK_H_
#define GRANTFLOW_PLATFORM_CLOCK_H_

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace grantflow {

// Implementations are thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() = 0;
};

// The system's real time.
class SystemClock final : public Clock {
 public:
  absl::Time Now() override { return absl::Now(); }
};

// A clock tests set and advance by hand.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(absl::Time start) : now_(start) {}
  absl::Time Now() override;
  void Set(absl::Time t);
  void Advance(absl::Duration d);

 private:
  absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
};

// Reads the time, as RFC 3339 text, from a file on every call; used by
// end-to-end tests to control the time of a grantflowd child process. Falls
// back to the system time while the file is missing or unreadable.
class FileClock final : public Clock {
 public:
  explicit FileClock(std::string path) : path_(std::move(path)) {}
  absl::Time Now() override;

 private:
  const std::string path_;
};

// Parses RFC 3339 ("2026-05-01T09:00:00Z") or INVALID_ARGUMENT.
absl::StatusOr<absl::Time> ParseRfc3339(const std::string& text);

}  // namespace grantflow

#endif  // GRANTFLOW_PLATFORM_CLOCK_H_
