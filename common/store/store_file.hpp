// File-system side of the writer: the lock, the atomic replace, nscd invalidation.
#pragma once

#include <string>
#include <string_view>

#include "result.hpp"

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

// Writes `bytes` to a fresh temporary file in `dir`, fsyncs it, renames it over
// `path` and fsyncs `dir`. Mode 0644: every process reads the store through NSS.
Result<Ok> replace_file_atomically(const std::string& dir, const std::string& path, std::string_view bytes);

// If nscd runs (its socket exists), `nscd -i passwd` and `nscd -i group`, each run by
// absolute path with an empty environment, each waited for at most 2 s. Best effort.
void invalidate_nscd() noexcept;

}  // namespace oidc_sysauth::store
