// The core's only way to speak to an administrator. Each face installs a sink:
// pam_syslog, SASL utils->log, syslog(LOG_AUTHPRIV), or stderr for the CLI.
// Never pass a secret or a whole token in a message, not even at debug.
#pragma once

#include <string_view>

namespace oidc_sysauth {

enum class LogLevel { kError, kWarning, kNotice, kInfo, kDebug };

class Logger {
 public:
  virtual ~Logger() = default;
  virtual void log(LogLevel level, std::string_view message) noexcept = 0;
  // Faces enable debug from their `debug` option; the default sink drops it.
  [[nodiscard]] virtual bool debug_enabled() const noexcept { return false; }
};

// Discards everything (tests, and code paths that must stay silent).
class NullLogger final : public Logger {
 public:
  void log(LogLevel, std::string_view) noexcept override {}
};

// syslog(LOG_AUTHPRIV | level, "%s", "oidc-sysauth(<tag>): message") without openlog(),
// so the host process keeps its identity.
class SyslogLogger final : public Logger {
 public:
  explicit SyslogLogger(const char* tag, bool debug = false) noexcept : tag_(tag), debug_(debug) {}
  void log(LogLevel level, std::string_view message) noexcept override;
  [[nodiscard]] bool debug_enabled() const noexcept override { return debug_; }

 private:
  const char* tag_;
  bool debug_;
};

int syslog_priority(LogLevel level) noexcept;

}  // namespace oidc_sysauth
