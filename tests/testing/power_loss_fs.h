// A RocksDB FileSystem that can lose power.
//
// It forwards everything to the operating system's file system and keeps,
// for every file written through it, how many bytes were appended and how
// many of those a Sync or Fsync has made durable. PowerOff() is the cut:
// every write, sync, rename or delete that comes after it never returns (the
// machine is off), and every file written through this FileSystem is cut
// back to what was synced, as a disk loses its write cache. With `tear`, the
// file written last keeps a random part of its unsynced tail instead, with
// one random 512-byte sector of that part zeroed: a torn write.
//
// What it does not model: directory entries (a file created or renamed and
// never followed by a directory fsync stays), and files written before this
// FileSystem existed (durable: a previous PowerOff already cut them).
//
// The process must end (_exit) soon after PowerOff: the threads that tried
// to write are blocked forever. Thread-safe.
#ifndef GRANTFLOW_TESTS_TESTING_POWER_LOSS_FS_H_
#define GRANTFLOW_TESTS_TESTING_POWER_LOSS_FS_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "rocksdb/file_system.h"

namespace grantflow::testing {

class PowerLossFs final : public rocksdb::FileSystemWrapper {
 public:
  // What a PowerOff dropped.
  struct Loss {
    int files_cut = 0;  // files that lost bytes
    uint64_t bytes_dropped = 0;
    uint64_t torn_bytes_kept = 0;  // unsynced bytes the torn write kept
  };

  // One file's bytes: appended and made durable.
  struct FileState {
    std::string path;
    uint64_t size = 0;
    uint64_t synced = 0;
  };

  PowerLossFs();

  const char* Name() const override { return "PowerLossFs"; }

  // Cuts the power (see the file comment); returns what was lost. Call once.
  Loss PowerOff(bool tear, uint64_t seed);

  rocksdb::IOStatus NewWritableFile(
      const std::string& fname, const rocksdb::FileOptions& options,
      std::unique_ptr<rocksdb::FSWritableFile>* result,
      rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus ReopenWritableFile(
      const std::string& fname, const rocksdb::FileOptions& options,
      std::unique_ptr<rocksdb::FSWritableFile>* result,
      rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus ReuseWritableFile(
      const std::string& fname, const std::string& old_fname,
      const rocksdb::FileOptions& options,
      std::unique_ptr<rocksdb::FSWritableFile>* result,
      rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus DeleteFile(const std::string& fname,
                               const rocksdb::IOOptions& options,
                               rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus RenameFile(const std::string& src,
                               const std::string& target,
                               const rocksdb::IOOptions& options,
                               rocksdb::IODebugContext* dbg) override;
  // For the writable files: every mutation runs inside Guard(), which
  // blocks forever once the power is off and otherwise holds PowerOff back
  // until it has finished (and recorded what it did). A sync records what
  // it made durable only after it returns, inside a Guard: a cut during
  // the sync loses what it was syncing, and the caller never hears back.
  class Guard {
   public:
    explicit Guard(PowerLossFs* fs);
    ~Guard();

   private:
    PowerLossFs* fs_;
  };
  // Records an append of `n` bytes at `offset` (the end of the file when
  // offset is -1) to `file`; a sync that covered its first `upto` bytes.
  void Appended(const std::shared_ptr<FileState>& file, int64_t offset,
                uint64_t n);
  void Synced(const std::shared_ptr<FileState>& file, uint64_t upto);
  uint64_t Size(const std::shared_ptr<FileState>& file);
  void Truncated(const std::shared_ptr<FileState>& file, uint64_t size);

 private:
  std::shared_ptr<FileState> Track(const std::string& fname, uint64_t size);
  rocksdb::IOStatus Wrap(const std::string& fname, uint64_t size,
                         std::unique_ptr<rocksdb::FSWritableFile>* result);

  // Held shared by every mutation, exclusively by PowerOff.
  absl::Mutex power_mu_;
  bool off_ ABSL_GUARDED_BY(power_mu_) = false;

  absl::Mutex files_mu_;
  std::map<std::string, std::shared_ptr<FileState>> files_
      ABSL_GUARDED_BY(files_mu_);
  std::shared_ptr<FileState> last_written_ ABSL_GUARDED_BY(files_mu_);
};

}  // namespace grantflow::testing

#endif  // GRANTFLOW_TESTS_TESTING_POWER_LOSS_FS_H_
