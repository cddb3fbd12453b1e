// File-system side of the writer: the lock, the atomic replace, nscd invalidation.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "result.hpp"
#include "store/store_model.hpp"

namespace oidc_sysauth::store {

// An exclusive flock(2) on <state_dir>/accounts.lock, released on destruction.
class StoreLock {
 public:
  // Waits at most `timeout_ms` (bounded: a hung writer must not hang every login).
  static Result<StoreLock> acquire(const std::string& lock_path, int timeout_ms);
  StoreLock(StoreLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  StoreLock& operator=(StoreLock&&) = delete;
  StoreLock(const StoreLock&) = delete;
  ~StoreLock();

 private:
  explicit StoreLock(int fd) noexcept : fd_(fd) {}
  int fd_;
};

// Creates `dir` (0755) if it does not exist; refuses a non-directory.
Result<Ok> ensure_state_dir(const std::string& dir);

// Buffered sequential writes to a file descriptor (the encoder streams into it).
class FdSink final : public Sink {
 public:
  explicit FdSink(int fd) : fd_(fd), buf_(256 * 1024) {}
  void put(const void* data, std::size_t len) override;
  [[nodiscard]] std::uint64_t position() const override { return pos_; }
  Result<Ok> finish();  // flushes; the first write error, if any

 private:
  void flush();
  int fd_;
  std::vector<char> buf_;
  std::size_t used_ = 0;
  std::uint64_t pos_ = 0;
  int error_ = 0;
};

// A temporary file in the state directory, written and fsynced, not yet renamed into
// place; removed on destruction unless installed. Compaction prepares the new base and
// the new journal first, then installs them one after the other (FORMAT.md).
class PreparedFile {
 public:
  static Result<PreparedFile> create(const std::string& dir, const std::function<Result<Ok>(int fd)>& write_body);
  PreparedFile(PreparedFile&& other) noexcept : tmp_(std::move(other.tmp_)) { other.tmp_.clear(); }
  PreparedFile& operator=(PreparedFile&&) = delete;
  PreparedFile(const PreparedFile&) = delete;
  ~PreparedFile();
  // Renames it over `path`, flags the replaced file superseded, fsyncs `dir`.
  Result<Ok> install(const std::string& dir, const std::string& path);

 private:
  explicit PreparedFile(std::string tmp) : tmp_(std::move(tmp)) {}
  std::string tmp_;
};

// Lets `write_body` fill a fresh temporary file in `dir`, fsyncs it, renames it over
// `path`, fsyncs `dir` and flags the replaced file superseded. Mode 0644: every
// process reads the store through NSS.
Result<Ok> replace_file_atomically(const std::string& dir, const std::string& path,
                                   const std::function<Result<Ok>(int fd)>& write_body);
Result<Ok> replace_file_atomically(const std::string& dir, const std::string& path, std::string_view bytes);

// If nscd runs (its socket exists), `nscd -i passwd` and `nscd -i group`, each run by
// absolute path with an empty environment, each waited for at most 2 s. Best effort.
void invalidate_nscd() noexcept;

}  // namespace oidc_sysauth::store
