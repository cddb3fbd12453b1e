// The NSS module's core: answers passwd/group/shadow queries from accounts.db into
// caller buffers. Lives in oidc_light so unit tests can drive it with their own paths;
// nss/nss_entry.cpp holds the one production instance with compiled-in paths.
//
// Process hygiene (STYLE.md rule 9): SourceState is a constant-initialised aggregate
// (no constructor or destructor runs at load or exit), one mutex guards the mapping
// refresh and every read of it, no thread is started, and nothing here calls getpw*/getgr*.
#pragma once

#include <grp.h>
#include <pthread.h>
#include <pwd.h>
#include <shadow.h>

#include <cstddef>
#include <cstdint>

namespace oidc_sysauth {
struct Config;
namespace store {
class MappedStore;
}

namespace nss {

// What the entry point reports; nss_entry.cpp maps it to nss_status + errno.
enum class Status {
  kSuccess,
  kNotFound,  // no such entry, or no store file yet (NOTFOUND, errno ENOENT)
  kUnavail,   // store corrupt or unsafe (UNAVAIL, errno ENOENT: permanent)
  kTryAgain,  // caller's buffer too small (TRYAGAIN, errno ERANGE): call again with more
  kNoMemory,  // initgroups could not grow its array (TRYAGAIN, errno ENOMEM)
};

enum class Db : std::uint32_t { kPasswd = 0, kGroup = 1, kShadow = 2 };

struct SourceState {
  pthread_mutex_t mutex;
  const char* store_path;
  const char* journal_path;  // accounts.journal beside it (FORMAT.md, "Journal")
  const char* config_path;
  const char* passwd_path;  // local files, read directly (provisional users only)
  const char* group_path;
  store::MappedStore* store;    // owned; replaced when the file changes
  store::MappedStore* journal;  // owned; null when there is no journal file
  Config* config;               // owned; parsed lazily on a miss, cached by inode/mtime
  int config_state;             // 0 not loaded, 1 loaded, 2 file missing, 3 invalid
  std::uint64_t config_ino, config_dev;
  std::int64_t config_mtime_ns, config_size;
  std::uint32_t cursor[3];         // enumeration position per Db
  std::int64_t checked_ms;         // CLOCK_MONOTONIC_COARSE of the last stat() of the store
  std::int64_t config_checked_ms;  // ... and of the config file
};

// A state over these files with nothing loaded yet. constexpr so that the module's global
// is constant-initialised: nothing runs when the module is loaded or unloaded.
constexpr SourceState initial_state(const char* store_path, const char* journal_path, const char* config_path,
                                    const char* passwd_path, const char* group_path) noexcept {
  return SourceState{PTHREAD_MUTEX_INITIALIZER, store_path, journal_path, config_path, passwd_path, group_path,
                     nullptr, nullptr, nullptr, 0, 0, 0, 0, 0, {0, 0, 0}, 0, 0};
}

// Frees the mapping and the cached config (tests; the module never calls it).
void reset(SourceState& s) noexcept;

Status getpwnam(SourceState& s, const char* name, passwd* out, char* buf, std::size_t len);
Status getpwuid(SourceState& s, std::uint32_t uid, passwd* out, char* buf, std::size_t len);
Status getgrnam(SourceState& s, const char* name, group* out, char* buf, std::size_t len);
Status getgrgid(SourceState& s, std::uint32_t gid, group* out, char* buf, std::size_t len);
Status getspnam(SourceState& s, const char* name, spwd* out, char* buf, std::size_t len);

void setent(SourceState& s, Db db) noexcept;
Status getpwent(SourceState& s, passwd* out, char* buf, std::size_t len);
Status getgrent(SourceState& s, group* out, char* buf, std::size_t len);
Status getspent(SourceState& s, spwd* out, char* buf, std::size_t len);

// glibc's initgroups_dyn contract: append the user's supplementary gids (except
// `skip`, the primary group) to *groups[*start..], growing *groups with realloc up
// to `limit` entries (limit <= 0: no limit).
Status initgroups(SourceState& s, const char* user, std::uint32_t skip, long* start, long* size, gid_t** groups,
                  long limit);

}  // namespace nss
}  // namespace oidc_sysauth
