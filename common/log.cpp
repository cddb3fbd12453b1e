#include "log.hpp"

#include <syslog.h>

#include <string>

namespace oidc_sysauth {

int syslog_priority(LogLevel level) noexcept {
  switch (level) {
    case LogLevel::kError: return LOG_ERR;
    case LogLevel::kWarning: return LOG_WARNING;
    case LogLevel::kNotice: return LOG_NOTICE;
    case LogLevel::kInfo: return LOG_INFO;
    case LogLevel::kDebug: return LOG_DEBUG;
  }
  return LOG_INFO;
}

void SyslogLogger::log(LogLevel level, std::string_view message) noexcept {
  if (level == LogLevel::kDebug && !debug_) return;
  try {
    std::string line(message);
    syslog(LOG_AUTHPRIV | syslog_priority(level), "oidc-sysauth(%s): %s", tag_, line.c_str());
  } catch (...) {
    // Logging must never take the host down; an allocation failure loses one line.
  }
}

}  // namespace oidc_sysauth
