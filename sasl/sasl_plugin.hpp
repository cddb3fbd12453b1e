// Internals shared by the SASL server and client plugins (not part of the ABI).
#pragma once

#include <sasl/sasl.h>
#include <sasl/saslplug.h>

#include <string_view>

#include "log.hpp"
#include "result.hpp"

namespace oidc_sysauth::sasl {

enum class Mechanism { kOauthBearer, kXoauth2 };

inline constexpr const char* kOauthBearerName = "OAUTHBEARER";
inline constexpr const char* kXoauth2Name = "XOAUTH2";
// Plugin name handed to utils->getopt. The config-file fallback ignores it, which is why
// every option carries the "oidc_" prefix.
inline constexpr const char* kPluginName = "OIDC";

// ErrorCode → SASL_* (sasl_codes.cpp, the one table).
int sasl_code_for(ErrorCode code) noexcept;

// utils->log with a preformatted line: libsasl's printf is reduced (%.*s crashed a
// server), so everything is formatted here and passed as "%s".
void log_line(const sasl_utils_t* utils, int level, std::string_view message) noexcept;
// utils->seterror, same rule; the text reaches the application (Postfix logs it).
void set_error(const sasl_utils_t* utils, std::string_view message) noexcept;

// The core's Logger sink. It writes through the utils of the connection being served on
// this thread (so lines reach the application's log callback), else through the
// plugin-init utils (which fall back to syslog).
class SaslLogger final : public Logger {
 public:
  SaslLogger(const sasl_utils_t* init_utils, bool debug) noexcept : init_utils_(init_utils), debug_(debug) {}
  void log(LogLevel level, std::string_view message) noexcept override;
  [[nodiscard]] bool debug_enabled() const noexcept override { return debug_; }

  // Marks the connection served by this thread for the lifetime of the scope.
  class ConnectionScope {
   public:
    explicit ConnectionScope(const sasl_utils_t* utils) noexcept;
    ~ConnectionScope();
    ConnectionScope(const ConnectionScope&) = delete;
    ConnectionScope& operator=(const ConnectionScope&) = delete;

   private:
    const sasl_utils_t* previous_;
  };

 private:
  const sasl_utils_t* init_utils_;
  bool debug_;
};

// Reads "oidc_<name>" through utils->getopt; nullptr when unset.
const char* get_option(const sasl_utils_t* utils, const char* name) noexcept;

int server_plug_init(const sasl_utils_t* utils, int max_version, int* out_version, sasl_server_plug_t** plugs,
                     int* count);
int client_plug_init(const sasl_utils_t* utils, int max_version, int* out_version, sasl_client_plug_t** plugs,
                     int* count);

}  // namespace oidc_sysauth::sasl
