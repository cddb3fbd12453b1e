// The core's front door: PAM, SASL and the CLI call only this (and the account store).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "clock.hpp"
#include "config.hpp"
#include "conversation.hpp"
#include "http.hpp"
#include "identity.hpp"
#include "log.hpp"
#include "result.hpp"
#include "secret.hpp"

namespace oidc_sysauth {

struct LoginRequest {
  std::string login_name;    // as typed (PAM_USER); mapped and validated by the core
  std::string service;       // PAM service or SASL service name: selects [service:*]
  Secret password;           // may hold a token when token_login is set
  bool token_login = false;  // a JWT (or opaque token with introspect_opaque) in the password field
};

// What a device-grant login shows the user. Implementations draw it (PAM: text plus a QR
// code when the conversation can show one); the default writes the URL and code through
// Conversation::info.
struct DeviceCodeDisplay {
  std::string verification_uri;
  std::string verification_uri_complete;  // may be empty
  std::string user_code;
  std::int64_t expires_in = 0;            // seconds
};

class DeviceGrantPresenter {
 public:
  virtual ~DeviceGrantPresenter() = default;
  virtual void present(Conversation& conversation, const DeviceCodeDisplay& display) = 0;
};

struct ContextOptions {
  Logger* logger = nullptr;             // not owned; nullptr: NullLogger
  const Clock* clock = nullptr;         // not owned; nullptr: SystemClock
  HttpClient* http = nullptr;           // not owned; nullptr: the libcurl client built from config
  bool use_disk_cache = true;           // discovery/JWKS under [accounts] cache_dir when writable
  DeviceGrantPresenter* device_presenter = nullptr;  // not owned; nullptr: plain text via info()
  // Waits between device-grant polls; empty: really sleep. Tests pass one that advances a FakeClock.
  std::function<void(std::int64_t milliseconds)> sleeper;
};

struct GrantChoice {
  GrantType grant = GrantType::kPassword;  // never kAuto
  std::string reason;                      // "configured", "discovery lists the password grant", ...
};

// Per process, per config: HTTP connection reuse plus discovery, JWKS and verified-token
// caches. Thread-safe (slapd calls in from many threads).
class OidcContext {
 public:
  static Result<std::shared_ptr<OidcContext>> create(Config config, ContextOptions options = {});
  virtual ~OidcContext() = default;
  [[nodiscard]] virtual const Config& config() const noexcept = 0;

  // Password login: password grant (with OTP prompt when the IdP asks and the config
  // allows), token-as-password, device grant or Logto Management API, as configured
  // for request.service. The identity is mapped (local name, groups) but the access
  // policy is NOT yet checked: call check_access.
  virtual Result<Identity> login(const LoginRequest& request, Conversation& conversation) = 0;

  // A bearer token (SASL, token_login): JWT against the JWKS (one rate-limited refetch
  // on an unknown kid) or introspection; results cached until exp.
  virtual Result<Identity> verify_bearer(std::string_view token) = 0;
  // The same check, handing out the (cached) identity read-only instead of a copy: for the
  // per-connection hot path (SASL). Implementations with a cache override it.
  virtual Result<std::shared_ptr<const Identity>> verify_bearer_shared(std::string_view token) {
    auto identity = verify_bearer(token);
    if (!identity) return std::unexpected(identity.error());
    return std::make_shared<const Identity>(std::move(*identity));
  }

  // Warm discovery + JWKS (SASL plugin init, before Postfix chroots). Errors are not fatal.
  virtual Result<Ok> preload() = 0;

  // Which grant login() will use for this service, and why (for `oidc-sysauth doctor`):
  // the configured one, or for grant = auto the password grant when discovery lists it,
  // else the device grant when discovery has a device_authorization_endpoint.
  virtual Result<GrantChoice> effective_grant(std::string_view service) = 0;

  // The discovery URL (for the RFC 7628 error challenge).
  [[nodiscard]] virtual std::string discovery_url() const = 0;
};

// [access] with [service:NAME] over it, evaluated fail-closed: any doubt is a refusal
// (kPolicyDenied, detail says which rule).
Result<Ok> check_access(const Config& config, const Identity& identity, std::string_view service);

// The name typed at a prompt → the local account name: strip login_suffix, require a
// valid POSIX name ([a-z_][a-z0-9_-]{0,31}). kUserUnknown otherwise.
Result<std::string> local_name_for_login(const Config& config, std::string_view login_name);

}  // namespace oidc_sysauth
