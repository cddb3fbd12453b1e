// The host's /etc/passwd and /etc/group, parsed once and shared, for callers that ask on
// every authentication (the SASL server refuses token users that are host accounts). The
// parsed snapshot is kept while both files keep their identity (device, inode, size, mtime,
// ctime); the files are stat()ed again at most once per recheck interval, so a name added
// to /etc/passwd is refused within that interval. Thread-safe.
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "clock.hpp"
#include "names.hpp"

namespace oidc_sysauth {

class LocalAccountsCache {
 public:
  static constexpr std::int64_t kDefaultRecheckMs = 1000;

  LocalAccountsCache(std::string passwd_path, std::string group_path, const Clock& clock,
                     std::int64_t recheck_ms = kDefaultRecheckMs);

  // The current snapshot. A missing file counts as empty; any other read or stat error is
  // returned (callers fail closed) and nothing is cached from it.
  Result<std::shared_ptr<const LocalAccounts>> get();

 private:
  // What identifies one version of a file; `present` false for a missing file.
  struct Stamp {
    bool present = false;
    dev_t dev = 0;
    ino_t ino = 0;
    off_t size = 0;
    std::int64_t mtime_ns = 0;
    std::int64_t ctime_ns = 0;
    bool operator==(const Stamp&) const = default;
  };
  static Result<Stamp> stamp_of(const std::string& path);

  std::string passwd_path_;
  std::string group_path_;
  const Clock& clock_;
  std::int64_t recheck_ms_;
  std::mutex mutex_;
  std::shared_ptr<const LocalAccounts> current_;
  Stamp passwd_stamp_;
  Stamp group_stamp_;
  std::int64_t checked_at_ms_ = 0;
  bool racy_ = false;  // the files were modified too recently for their stamps to be trusted
};

}  // namespace oidc_sysauth
