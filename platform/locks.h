// Striped locks that serialise commands on the same case (or budget line)
// while letting commands on different ones run, and share fsyncs, at once.
#ifndef GRANTFLOW_PLATFORM_LOCKS_H_
#define GRANTFLOW_PLATFORM_LOCKS_H_

#include <algorithm>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"

namespace grantflow {

class LockTable {
 public:
  explicit LockTable(size_t stripes = 1024)
      : mutexes_(std::make_unique<absl::Mutex[]>(stripes)), n_(stripes) {}
  size_t IndexOf(const std::string& key) const {
    return std::hash<std::string>{}(key) % n_;
  }
  absl::Mutex& At(size_t i) { return mutexes_[i]; }

 private:
  std::unique_ptr<absl::Mutex[]> mutexes_;
  size_t n_;
};

// Holds the stripes of `keys`, taken in index order so that two holders
// never wait on each other in a cycle.
class ScopedLocks {
 public:
  ScopedLocks(LockTable& table, const std::vector<std::string>& keys)
      : table_(table) {
    for (const auto& k : keys) held_.push_back(table.IndexOf(k));
    std::sort(held_.begin(), held_.end());
    held_.erase(std::unique(held_.begin(), held_.end()), held_.end());
    for (size_t i : held_) table_.At(i).Lock();
  }
  ~ScopedLocks() {
    for (auto it = held_.rbegin(); it != held_.rend(); ++it) {
      table_.At(*it).Unlock();
    }
  }
  ScopedLocks(const ScopedLocks&) = delete;
  ScopedLocks& operator=(const ScopedLocks&) = delete;

 private:
  LockTable& table_;
  std::vector<size_t> held_;
};

}  // namespace grantflow

#endif  // GRANTFLOW_PLATFORM_LOCKS_H_
