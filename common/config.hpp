// /etc/oidc-sysauth/oidc-sysauth.conf: the one file a sysadmin edits.
// Every key is documented in packaging/oidc-sysauth.conf.example; the parser and that
// file must agree (tests/unit/config_doc_test.cpp checks it).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "result.hpp"
#include "secret.hpp"

namespace oidc_sysauth {

inline constexpr const char* kDefaultConfigPath = "/etc/oidc-sysauth/oidc-sysauth.conf";
inline constexpr const char* kDefaultStateDir = "/var/lib/oidc-sysauth";
inline constexpr const char* kDefaultCacheDir = "/var/cache/oidc-sysauth";

enum class GrantType { kAuto, kPassword, kDevice };
enum class ClientAuth { kAuto, kBasic, kPost, kNone };  // kAuto: basic with a secret, none without
enum class SecondFactor { kPrompt, kDevice, kRefuse };   // what to do when the IdP asks for MFA
enum class PasswordCheck { kGrant, kLogtoManagementApi };
enum class UnmappedGroups { kPrefix, kIgnore };

const char* grant_type_name(GrantType grant) noexcept;

struct IdpConfig {
  std::string issuer;                      // must equal discovery's "issuer" exactly
  std::string client_id;
  std::string client_secret_file;          // empty: public client
  ClientAuth client_auth = ClientAuth::kAuto;
  std::string scopes = "openid profile email";
  std::vector<std::string> audience;       // empty: {client_id}
  std::string resource;                    // RFC 8707
  std::string ca_file;
  bool allow_http = false;                 // http:// issuer allowed only if also loopback
  int timeout_seconds = 10;                // whole request
  GrantType grant = GrantType::kAuto;
  std::vector<std::string> algorithms = {"RS256", "RS384", "RS512", "PS256", "PS384",
                                         "PS512", "ES256", "ES384", "ES512", "EdDSA"};
  bool introspect_opaque = false;          // verify non-JWT tokens through RFC 7662
  SecondFactor second_factor = SecondFactor::kPrompt;
  std::string otp_field = "totp";          // form field carrying the one-time code
  std::string login_suffix;                // appended when asking the IdP, stripped locally
  std::string password_change_url;
  int cache_ttl_seconds = 3600;            // discovery/JWKS when the IdP sends no Cache-Control
  int device_timeout_seconds = 300;        // overall limit of one device-grant login
  PasswordCheck password_check = PasswordCheck::kGrant;
  std::string management_endpoint;         // Logto: base URL, e.g. https://tenant.logto.app
  std::string management_client_id;
  std::string management_client_secret_file;
  std::string management_resource = "https://default.logto.app/api";
  std::string management_lookup = "username";  // username | email
};

struct ClaimsConfig {
  std::string username = "preferred_username";  // dotted path
  std::string display_name = "name";
  std::vector<std::string> groups = {"groups", "roles", "realm_access.roles"};
  std::string uid;                               // optional numeric uid claim
};

struct AccountsConfig {
  std::uint32_t uid_min = 200000;
  std::uint32_t uid_max = 2000000000;
  std::string home = "/home/%u";
  std::string shell = "/bin/bash";
  std::vector<std::pair<std::string, std::string>> group_map;  // IdP group → local group
  UnmappedGroups unmapped_groups = UnmappedGroups::kIgnore;
  std::string group_prefix = "oidc-";
  std::string state_dir = kDefaultStateDir;
  std::string cache_dir = kDefaultCacheDir;
  bool enumerate = true;
  std::vector<std::string> provisional_users;  // glob patterns (fnmatch) of never-seen names NSS may answer
};

// [access], and each [service:NAME] section on top of it.
struct AccessConfig {
  std::optional<std::vector<std::string>> allowed_groups;  // IdP group names; empty list = anyone
  std::optional<std::vector<std::pair<std::string, std::string>>> require;  // claim path, JSON value
  std::optional<GrantType> grant;
  std::optional<bool> allow_proxy;  // SASL: authzid different from the token's user
};

struct Config {
  std::string path;
  IdpConfig idp;
  ClaimsConfig claims;
  AccountsConfig accounts;
  AccessConfig access;
  std::map<std::string, AccessConfig, std::less<>> services;

  // [access] with [service:NAME]'s keys laid over it (keys set there replace [access]'s).
  [[nodiscard]] AccessConfig access_for(std::string_view service) const;
  // The [service:NAME] section alone, or nullptr: per-connection paths read one key through
  // it instead of copying every list access_for merges.
  [[nodiscard]] const AccessConfig* service_section(std::string_view service) const;
  [[nodiscard]] GrantType grant_for(std::string_view service) const;
  [[nodiscard]] std::vector<std::string> audiences() const;
};

// Parses text. `name` is used in error messages ("<name>:<line>: key 'x': ...").
Result<Config> parse_config(std::string_view text, std::string_view name);

// Opens, checks the file is a regular file owned by root and not group/world-writable
// (unless `trust_owner` is set, for CLI use on a scratch config), then parses it.
Result<Config> load_config(const std::string& path, bool trust_owner = false);

// Every "section.key" the parser accepts ("service" stands for any [service:NAME]).
std::vector<std::string> known_config_keys();

// Reads a secret file: must be root-owned, mode 0600/0400, or 0640/0440 with a non-root
// group. One line, trailing newline stripped.
Result<Secret> read_secret_file(const std::string& path);

}  // namespace oidc_sysauth
