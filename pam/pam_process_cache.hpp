// Once-per-process state of pam_oidc.so (linked -z nodelete, so it outlives pam_end and
// dlclose): the parsed config and the OidcContext built from it. Programs that log several
// people in (sudo loops, login daemons, saslauthd's pam mechanism, a benchmark) then reuse
// the HTTP connection, its TLS session and the discovery/JWKS caches instead of paying a
// new context, CA load and TLS handshake per login.
//
// Nothing stale is ever used: the config is reused only while its file's stat (inode, size,
// mtime, ctime, owner, mode) is unchanged, the context only while that config and the stats
// of the files it read (client secret, management secret, CA bundle) are unchanged. A forked
// child never uses its parent's context (the connection belongs to the parent).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "auth/authenticator.hpp"
#include "config.hpp"
#include "log.hpp"
#include "result.hpp"

namespace oidc_sysauth {

// The config at `path` with a generation number that changes whenever it is re-read.
struct LoadedConfig {
  Config config;
  std::uint64_t generation = 0;  // 0: not from the cache (never matches a cached context)
};

Result<LoadedConfig> load_config_cached(const std::string& path);

// A context for `config` (which load_config_cached returned with `generation`). The context
// logs through whatever logger the calling thread installed with ScopedModuleLogger.
Result<std::shared_ptr<OidcContext>> context_cached(const Config& config, std::uint64_t generation);

// For the duration of one pam_sm_* call, routes the cached contexts' log lines (written on
// this thread) to this call's pam_syslog logger. Without one, they are dropped.
class ScopedModuleLogger {
 public:
  explicit ScopedModuleLogger(Logger& logger) noexcept;
  ~ScopedModuleLogger();
  ScopedModuleLogger(const ScopedModuleLogger&) = delete;
  ScopedModuleLogger& operator=(const ScopedModuleLogger&) = delete;

 private:
  Logger* previous_;
};

}  // namespace oidc_sysauth
