// The one table from core errors to SASL codes, plus the logging helpers every face uses.
#include <cstdio>
#include <string>

#include "sasl_plugin.hpp"

namespace oidc_sysauth::sasl {
namespace {

// Set while a mech_step runs on this thread; a plain pointer, so no TLS constructor runs.
thread_local const sasl_utils_t* t_connection_utils = nullptr;

int sasl_level_for(LogLevel level) noexcept {
  switch (level) {
    case LogLevel::kError:
      return SASL_LOG_ERR;
    case LogLevel::kWarning:
      return SASL_LOG_WARN;
    case LogLevel::kNotice:
      return SASL_LOG_NOTE;
    case LogLevel::kInfo:
      return SASL_LOG_NOTE;
    case LogLevel::kDebug:
      return SASL_LOG_DEBUG;
  }
  return SASL_LOG_NOTE;
}

}  // namespace

int sasl_code_for(ErrorCode code) noexcept {
  switch (code) {
    // Postfix answers 535 for these: the client's credentials are at fault.
    case ErrorCode::kTokenInvalid:
    case ErrorCode::kCredentialsRefused:
    case ErrorCode::kPolicyDenied:
    case ErrorCode::kUserUnknown:
    case ErrorCode::kAccountDisabled:
      return SASL_BADAUTH;
    // Postfix answers 454 (temporary): the client should retry later.
    case ErrorCode::kIdpUnavailable:
    case ErrorCode::kBadResponse:
      return SASL_UNAVAIL;
    case ErrorCode::kInvalidArgument:
      return SASL_BADPROT;
    case ErrorCode::kNoMemory:
      return SASL_NOMEM;
    default:
      return SASL_FAIL;
  }
}

void log_line(const sasl_utils_t* utils, int level, std::string_view message) noexcept {
  if (utils == nullptr || utils->log == nullptr) return;
  char line[1024];
  std::snprintf(line, sizeof line, "oidc-sysauth: %.*s", static_cast<int>(message.size()), message.data());
  utils->log(utils->conn, level, "%s", line);
}

void set_error(const sasl_utils_t* utils, std::string_view message) noexcept {
  if (utils == nullptr || utils->seterror == nullptr) return;
  char line[512];
  std::snprintf(line, sizeof line, "%.*s", static_cast<int>(message.size()), message.data());
  // SASL_NOLOG: the failure was logged once already through log_line.
  utils->seterror(utils->conn, SASL_NOLOG, "%s", line);
}

void SaslLogger::log(LogLevel level, std::string_view message) noexcept {
  if (level == LogLevel::kDebug && !debug_) return;
  log_line(t_connection_utils != nullptr ? t_connection_utils : init_utils_, sasl_level_for(level), message);
}

SaslLogger::ConnectionScope::ConnectionScope(const sasl_utils_t* utils) noexcept : previous_(t_connection_utils) {
  t_connection_utils = utils;
}

SaslLogger::ConnectionScope::~ConnectionScope() { t_connection_utils = previous_; }

const char* get_option(const sasl_utils_t* utils, const char* name) noexcept {
  if (utils == nullptr || utils->getopt == nullptr) return nullptr;
  const char* value = nullptr;
  unsigned len = 0;
  if (utils->getopt(utils->getopt_context, kPluginName, name, &value, &len) != SASL_OK) return nullptr;
  if (value == nullptr || value[0] == '\0') return nullptr;
  return value;
}

}  // namespace oidc_sysauth::sasl
