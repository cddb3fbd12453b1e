#include "local_accounts_cache.hpp"

#include <cerrno>
#include <cstring>

namespace oidc_sysauth {

LocalAccountsCache::LocalAccountsCache(std::string passwd_path, std::string group_path, const Clock& clock,
                                       std::int64_t recheck_ms)
    : passwd_path_(std::move(passwd_path)), group_path_(std::move(group_path)), clock_(clock), recheck_ms_(recheck_ms) {}

Result<LocalAccountsCache::Stamp> LocalAccountsCache::stamp_of(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return Stamp{};
    return fail(ErrorCode::kIo, path + ": " + std::strerror(errno));
  }
  return Stamp{true,
               st.st_dev,
               st.st_ino,
               st.st_size,
               st.st_mtim.tv_sec * 1'000'000'000LL + st.st_mtim.tv_nsec,
               st.st_ctim.tv_sec * 1'000'000'000LL + st.st_ctim.tv_nsec};
}

Result<std::shared_ptr<const LocalAccounts>> LocalAccountsCache::get() {
  std::lock_guard lock(mutex_);
  const std::int64_t now = clock_.now_monotonic_ms();
  if (current_ && now - checked_at_ms_ < recheck_ms_ && now >= checked_at_ms_) return current_;
  // Stamps are taken before reading, so a change during the read shows up at the next check.
  auto passwd = stamp_of(passwd_path_);
  if (!passwd) return std::unexpected(passwd.error());
  auto group = stamp_of(group_path_);
  if (!group) return std::unexpected(group.error());
  if (current_ && !racy_ && *passwd == passwd_stamp_ && *group == group_stamp_) {
    checked_at_ms_ = now;
    return current_;
  }
  current_.reset();  // never serve a snapshot of files that changed, even if the read fails
  auto fresh = read_local_accounts(passwd_path_, group_path_);
  if (!fresh) return std::unexpected(fresh.error());
  current_ = std::make_shared<const LocalAccounts>(std::move(*fresh));
  passwd_stamp_ = *passwd;
  group_stamp_ = *group;
  checked_at_ms_ = now;
  // File times are coarse (a few ms): an in-place edit of the same size right after this
  // read could keep the stamp. Until the files are older than that, re-read at each check.
  const std::int64_t fresh_after_ns = (clock_.now_unix() - 2) * 1'000'000'000LL;
  racy_ = passwd->mtime_ns >= fresh_after_ns || group->mtime_ns >= fresh_after_ns ||
          passwd->ctime_ns >= fresh_after_ns || group->ctime_ns >= fresh_after_ns;
  return current_;
}

}  // namespace oidc_sysauth
