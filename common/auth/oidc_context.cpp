#include "auth/oidc_context_impl.hpp"

#include <algorithm>

#include "net/curl_http_client.hpp"
#include "net/url.hpp"

namespace oidc_sysauth {
namespace {

constexpr int kConnectTimeoutSeconds = 5;

Result<Secret> optional_secret_file(const std::string& path) {
  if (path.empty()) return Secret();
  return read_secret_file(path);
}

}  // namespace

OidcContextImpl::OidcContextImpl(Config config, const ContextOptions& options, std::unique_ptr<HttpClient> owned_http,
                                 Secret client_secret, Secret management_secret)
    : config_(std::move(config)),
      log_(options.logger != nullptr ? *options.logger : static_cast<Logger&>(null_logger_)),
      clock_(options.clock != nullptr ? *options.clock : static_cast<const Clock&>(system_clock_)),
      owned_http_(std::move(owned_http)),
      http_(options.http != nullptr ? *options.http : *owned_http_),
      disk_(options.use_disk_cache ? config_.accounts.cache_dir : std::string(), clock_),
      discovery_(http_, clock_, disk_, log_, config_.idp.issuer, config_.idp.allow_http, config_.idp.cache_ttl_seconds),
      jwks_(http_, clock_, disk_, log_, config_.idp.cache_ttl_seconds),
      verifier_(config_, discovery_, jwks_, clock_),
      oauth_(http_, ClientCredentials{config_.idp.client_id, std::move(client_secret), config_.idp.client_auth}),
      presenter_(options.device_presenter),
      sleeper_(options.sleeper ? Sleeper(options.sleeper) : real_sleeper()) {
  if (config_.idp.password_check == PasswordCheck::kLogtoManagementApi)
    logto_ = std::make_unique<LogtoPasswordCheck>(config_, http_, clock_, log_, std::move(management_secret));
  jwks_.set_on_keys_dropped([this] { token_cache_.clear(); });
}

Result<std::shared_ptr<OidcContext>> OidcContext::create(Config config, ContextOptions options) {
  try {
    if (config.idp.issuer.empty() || config.idp.client_id.empty())
      return fail(ErrorCode::kConfig, config.path + ": [idp] issuer and client_id are required");
    if (auto ok = check_endpoint_url(config.idp.issuer, config.idp.allow_http); !ok)
      return fail(ErrorCode::kConfig, config.path + ": [idp] issuer: " + ok.error().detail, ok.error().reason);
    auto client_secret = optional_secret_file(config.idp.client_secret_file);
    if (!client_secret) return std::unexpected(client_secret.error());
    Secret management_secret;
    if (config.idp.password_check == PasswordCheck::kLogtoManagementApi) {
      if (config.idp.management_endpoint.empty() || config.idp.management_client_id.empty() ||
          config.idp.management_client_secret_file.empty())
        return fail(ErrorCode::kConfig, config.path + ": logto_management_api needs management_endpoint, "
                                                      "management_client_id and management_client_secret_file");
      auto secret = read_secret_file(config.idp.management_client_secret_file);
      if (!secret) return std::unexpected(secret.error());
      management_secret = std::move(*secret);
    }
    std::unique_ptr<HttpClient> owned;
    if (options.http == nullptr) {
      HttpClientOptions http;
      http.ca_file = config.idp.ca_file;
      http.timeout_seconds = config.idp.timeout_seconds;
      http.connect_timeout_seconds = std::min(config.idp.timeout_seconds, kConnectTimeoutSeconds);
      http.allow_http_loopback = config.idp.allow_http;
      auto client = make_curl_http_client(http);
      if (!client) return std::unexpected(client.error());
      owned = std::move(*client);
    }
    return std::shared_ptr<OidcContext>(std::make_shared<OidcContextImpl>(
        std::move(config), options, std::move(owned), std::move(*client_secret), std::move(management_secret)));
  } catch (const std::bad_alloc&) {
    return fail(ErrorCode::kNoMemory, "out of memory creating the OIDC context");
  }
}

Result<Ok> OidcContextImpl::preload() {
  auto meta = discovery_.get();
  if (!meta) return std::unexpected(meta.error());
  auto keys = jwks_.get((*meta)->jwks_uri);
  if (!keys) return std::unexpected(keys.error());
  return Ok{};
}

Result<GrantChoice> OidcContextImpl::effective_grant(std::string_view service) {
  if (config_.idp.password_check == PasswordCheck::kLogtoManagementApi && config_.grant_for(service) != GrantType::kDevice)
    return GrantChoice{GrantType::kPassword, "password checked through the Logto Management API"};
  const GrantType configured = config_.grant_for(service);
  if (configured != GrantType::kAuto) return GrantChoice{configured, "configured"};
  auto meta = discovery_.get();
  if (!meta) return std::unexpected(meta.error());
  if ((*meta)->supports_grant("password"))
    return GrantChoice{GrantType::kPassword, "grant = auto and discovery lists the password grant"};
  if (!(*meta)->device_authorization_endpoint.empty())
    return GrantChoice{GrantType::kDevice,
                       "grant = auto, discovery lists no password grant but a device_authorization_endpoint"};
  return GrantChoice{GrantType::kPassword,
                     "grant = auto and discovery lists neither grant: trying the password grant (set grant to force)"};
}

Result<Identity> OidcContextImpl::verify_bearer(std::string_view token) {
  auto shared = verify_bearer_shared(token);
  if (!shared) return std::unexpected(shared.error());
  return **shared;
}

Result<std::shared_ptr<const Identity>> OidcContextImpl::verify_bearer_shared(std::string_view token) {
  try {
    if (token.empty() || token.size() > 16 * 1024) return fail(ErrorCode::kTokenInvalid, "token empty or too large", "too_large");
    const std::int64_t now = clock_.now_unix();
    // One hash serves the lookup and the insertion; if hashing fails the cache is skipped.
    const auto key = token_cache_.key_for(token);
    if (key) {
      if (auto cached = token_cache_.find(*key, now)) return cached;
    }
    Result<Identity> identity;
    std::int64_t valid_until = 0;
    // Verifying first spares a second decode of the header on the hot path; the JWT/opaque
    // decision is the same as looks_like_jwt's (a verified token with this shape is one).
    // Without introspection every token must verify as a JWT, so the shape scan (a pass over
    // the whole token) is only needed to route tokens when introspection is on: verify_jwt's
    // strict base64url decoding refuses whatever the shape check refuses
    // (ContextTest.NonCanonicalJwtEncodingsAreRefused pins that).
    bool jwt = false;
    if (!config_.idp.introspect_opaque || has_compact_jws_shape(token)) {
      identity = identity_from_jwt(token);
      jwt = identity.has_value() || looks_like_jwt(token);
    }
    if (jwt) {
      if (identity) valid_until = identity->expires_at;
    } else {
      if (!config_.idp.introspect_opaque)
        return fail(ErrorCode::kTokenInvalid, "not a JWT and introspect_opaque is off", "malformed");
      auto meta = discovery_.get();
      if (!meta) return std::unexpected(meta.error());
      identity = identity_from_introspection(token, **meta);
      if (identity) valid_until = std::min(identity->expires_at, now + 60);
    }
    if (!identity) return std::unexpected(identity.error());
    auto shared = std::make_shared<const Identity>(std::move(*identity));
    if (key) token_cache_.put(*key, shared, valid_until, now);
    return shared;
  } catch (const std::bad_alloc&) {
    return fail(ErrorCode::kNoMemory, "out of memory verifying a token");
  }
}

Result<Ok> require_local_name(const Identity& identity, const std::string& local) {
  if (identity.local_name == local) return Ok{};
  return fail(ErrorCode::kCredentialsRefused,
              "the IdP authenticated '" + identity.local_name + "', not '" + local + "'", "name_mismatch");
}

}  // namespace oidc_sysauth
