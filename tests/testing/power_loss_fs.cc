#include "tests/testing/power_loss_fs.h"

#include <fcntl.h>
#include <unistd.h>

#include <random>
#include <utility>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace grantflow::testing {
namespace {

using rocksdb::DataVerificationInfo;
using rocksdb::IODebugContext;
using rocksdb::IOOptions;
using rocksdb::IOStatus;
using rocksdb::Slice;

[[noreturn]] void BlockForever() {
  for (;;) absl::SleepFor(absl::Hours(1));
}

// A writable file that reports its appends and syncs to the PowerLossFs.
class File final : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  File(std::unique_ptr<rocksdb::FSWritableFile> target, PowerLossFs* fs,
       std::shared_ptr<PowerLossFs::FileState> state)
      : FSWritableFileOwnerWrapper(std::move(target)),
        fs_(fs),
        state_(std::move(state)) {}

  IOStatus Append(const Slice& data, const IOOptions& o,
                  IODebugContext* dbg) override {
    PowerLossFs::Guard g(fs_);
    IOStatus s = target()->Append(data, o, dbg);
    if (s.ok()) fs_->Appended(state_, -1, data.size());
    return s;
  }
  IOStatus Append(const Slice& data, const IOOptions& o,
                  const DataVerificationInfo& info,
                  IODebugContext* dbg) override {
    PowerLossFs::Guard g(fs_);
    IOStatus s = target()->Append(data, o, info, dbg);
    if (s.ok()) fs_->Appended(state_, -1, data.size());
    return s;
  }
  IOStatus PositionedAppend(const Slice& data, uint64_t offset,
                            const IOOptions& o, IODebugContext* dbg) override {
    PowerLossFs::Guard g(fs_);
    IOStatus s = target()->PositionedAppend(data, offset, o, dbg);
    if (s.ok())
      fs_->Appended(state_, static_cast<int64_t>(offset), data.size());
    return s;
  }
  IOStatus PositionedAppend(const Slice& data, uint64_t offset,
                            const IOOptions& o,
                            const DataVerificationInfo& info,
                            IODebugContext* dbg) override {
    PowerLossFs::Guard g(fs_);
    IOStatus s = target()->PositionedAppend(data, offset, o, info, dbg);
    if (s.ok())
      fs_->Appended(state_, static_cast<int64_t>(offset), data.size());
    return s;
  }
  IOStatus Truncate(uint64_t size, const IOOptions& o,
                    IODebugContext* dbg) override {
    PowerLossFs::Guard g(fs_);
    IOStatus s = target()->Truncate(size, o, dbg);
    if (s.ok()) fs_->Truncated(state_, size);
    return s;
  }
  // The cut may land while the disk syncs: then the caller never hears back,
  // and what the sync covered may be lost with the rest.
  IOStatus Sync(const IOOptions& o, IODebugContext* dbg) override {
    return Durable([&] { return target()->Sync(o, dbg); });
  }
  IOStatus Fsync(const IOOptions& o, IODebugContext* dbg) override {
    return Durable([&] { return target()->Fsync(o, dbg); });
  }
  // RangeSync and Close make nothing durable here: only Sync and Fsync do.
  IOStatus Close(const IOOptions& o, IODebugContext* dbg) override {
    PowerLossFs::Guard g(fs_);
    return target()->Close(o, dbg);
  }

 private:
  // Runs `sync` outside the guard, so the cut may land during it; what it
  // covered counts as durable only if it returned before the cut.
  template <typename Fn>
  IOStatus Durable(Fn sync) {
    const uint64_t upto = fs_->Size(state_);
    IOStatus s = sync();
    PowerLossFs::Guard g(fs_);
    if (s.ok()) fs_->Synced(state_, upto);
    return s;
  }

  PowerLossFs* fs_;
  std::shared_ptr<PowerLossFs::FileState> state_;
};

uint64_t SizeOnDisk(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY);
  if (fd < 0) return 0;
  const off_t end = lseek(fd, 0, SEEK_END);
  close(fd);
  return end < 0 ? 0 : static_cast<uint64_t>(end);
}

}  // namespace

PowerLossFs::PowerLossFs()
    : rocksdb::FileSystemWrapper(rocksdb::FileSystem::Default()) {}

PowerLossFs::Guard::Guard(PowerLossFs* fs) : fs_(fs) {
  fs_->power_mu_.ReaderLock();
  if (fs_->off_) {
    fs_->power_mu_.ReaderUnlock();
    BlockForever();
  }
}

PowerLossFs::Guard::~Guard() { fs_->power_mu_.ReaderUnlock(); }

std::shared_ptr<PowerLossFs::FileState> PowerLossFs::Track(
    const std::string& fname, uint64_t size) {
  auto state = std::make_shared<FileState>();
  state->path = fname;
  state->size = size;
  state->synced = size;
  absl::MutexLock l(&files_mu_);
  files_[fname] = state;
  return state;
}

IOStatus PowerLossFs::Wrap(const std::string& fname, uint64_t size,
                           std::unique_ptr<rocksdb::FSWritableFile>* result) {
  *result =
      std::make_unique<File>(std::move(*result), this, Track(fname, size));
  return IOStatus::OK();
}

void PowerLossFs::Appended(const std::shared_ptr<FileState>& file,
                           int64_t offset, uint64_t n) {
  absl::MutexLock l(&files_mu_);
  const uint64_t start =
      offset < 0 ? file->size : static_cast<uint64_t>(offset);
  file->size = std::max(file->size, start + n);
  last_written_ = file;
}

uint64_t PowerLossFs::Size(const std::shared_ptr<FileState>& file) {
  absl::MutexLock l(&files_mu_);
  return file->size;
}

void PowerLossFs::Synced(const std::shared_ptr<FileState>& file,
                         uint64_t upto) {
  absl::MutexLock l(&files_mu_);
  file->synced = std::max(file->synced, std::min(upto, file->size));
}

void PowerLossFs::Truncated(const std::shared_ptr<FileState>& file,
                            uint64_t size) {
  absl::MutexLock l(&files_mu_);
  file->size = size;
  file->synced = std::min(file->synced, size);
}

IOStatus PowerLossFs::NewWritableFile(
    const std::string& fname, const rocksdb::FileOptions& options,
    std::unique_ptr<rocksdb::FSWritableFile>* result, IODebugContext* dbg) {
  Guard g(this);
  IOStatus s = target()->NewWritableFile(fname, options, result, dbg);
  // Creating (or emptying) a file is a directory change: kept.
  return s.ok() ? Wrap(fname, 0, result) : s;
}

IOStatus PowerLossFs::ReopenWritableFile(
    const std::string& fname, const rocksdb::FileOptions& options,
    std::unique_ptr<rocksdb::FSWritableFile>* result, IODebugContext* dbg) {
  Guard g(this);
  IOStatus s = target()->ReopenWritableFile(fname, options, result, dbg);
  return s.ok() ? Wrap(fname, SizeOnDisk(fname), result) : s;
}

IOStatus PowerLossFs::ReuseWritableFile(
    const std::string& fname, const std::string& old_fname,
    const rocksdb::FileOptions& options,
    std::unique_ptr<rocksdb::FSWritableFile>* result, IODebugContext* dbg) {
  Guard g(this);
  IOStatus s =
      target()->ReuseWritableFile(fname, old_fname, options, result, dbg);
  if (!s.ok()) return s;
  {
    absl::MutexLock l(&files_mu_);
    files_.erase(old_fname);
  }
  return Wrap(fname, 0, result);
}

IOStatus PowerLossFs::DeleteFile(const std::string& fname,
                                 const IOOptions& options,
                                 IODebugContext* dbg) {
  Guard g(this);
  IOStatus s = target()->DeleteFile(fname, options, dbg);
  if (s.ok()) {
    absl::MutexLock l(&files_mu_);
    files_.erase(fname);
  }
  return s;
}

IOStatus PowerLossFs::RenameFile(const std::string& src, const std::string& dst,
                                 const IOOptions& options,
                                 IODebugContext* dbg) {
  Guard g(this);
  IOStatus s = target()->RenameFile(src, dst, options, dbg);
  if (s.ok()) {
    absl::MutexLock l(&files_mu_);
    auto it = files_.find(src);
    if (it != files_.end()) {
      std::shared_ptr<FileState> state = it->second;
      files_.erase(it);
      state->path = dst;
      files_[dst] = state;
    } else {
      files_.erase(dst);  // replaced by a file written before us: durable
    }
  }
  return s;
}

PowerLossFs::Loss PowerLossFs::PowerOff(bool tear, uint64_t seed) {
  absl::MutexLock power(&power_mu_);  // waits for every mutation in flight
  off_ = true;
  absl::MutexLock l(&files_mu_);
  std::mt19937_64 rng(seed);
  Loss loss;
  for (const auto& [path, f] : files_) {
    if (f->size <= f->synced) continue;
    uint64_t keep = f->synced;
    if (tear && f == last_written_) {
      keep += rng() % (f->size - f->synced + 1);
      loss.torn_bytes_kept = keep - f->synced;
    }
    if (truncate(path.c_str(), static_cast<off_t>(keep)) != 0) continue;
    ++loss.files_cut;
    loss.bytes_dropped += f->size - keep;
    if (keep > f->synced) {
      // One sector of the kept tail never reached the platter.
      const uint64_t first = f->synced / 512, last = (keep - 1) / 512;
      const uint64_t sector = first + rng() % (last - first + 1);
      const uint64_t from = std::max(sector * 512, f->synced);
      const uint64_t to = std::min(sector * 512 + 512, keep);
      const std::string zeros(to - from, '\0');
      const int fd = open(path.c_str(), O_WRONLY);
      if (fd >= 0) {
        if (pwrite(fd, zeros.data(), zeros.size(), static_cast<off_t>(from)) <
            0) {
          loss.torn_bytes_kept = 0;
        }
        close(fd);
      }
    }
  }
  return loss;
}

}  // namespace grantflow::testing
