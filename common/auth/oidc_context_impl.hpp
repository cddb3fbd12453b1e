// The OidcContext behind authenticator.hpp. Internal to common/auth (tests include it to
// reach the pieces); the faces see only OidcContext.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "auth/authenticator.hpp"
#include "auth/logto_check.hpp"
#include "auth/token_verifier.hpp"
#include "auth/verified_token_cache.hpp"
#include "net/device_grant.hpp"
#include "net/discovery.hpp"
#include "net/disk_cache.hpp"
#include "net/jwks_cache.hpp"
#include "net/oauth_client.hpp"

namespace oidc_sysauth {

class OidcContextImpl final : public OidcContext {
 public:
  // Secrets already read; `owned_http` may be null when options.http is set.
  OidcContextImpl(Config config, const ContextOptions& options, std::unique_ptr<HttpClient> owned_http,
                  Secret client_secret, Secret management_secret);

  [[nodiscard]] const Config& config() const noexcept override { return config_; }
  Result<Identity> login(const LoginRequest& request, Conversation& conversation) override;
  Result<Identity> verify_bearer(std::string_view token) override;
  Result<std::shared_ptr<const Identity>> verify_bearer_shared(std::string_view token) override;
  Result<Ok> preload() override;
  Result<GrantChoice> effective_grant(std::string_view service) override;
  [[nodiscard]] std::string discovery_url() const override { return discovery_.url(); }

  // Exposed for tests and the CLI's cache command.
  DiscoveryCache& discovery() noexcept { return discovery_; }
  JwksCache& jwks() noexcept { return jwks_; }
  VerifiedTokenCache& token_cache() noexcept { return token_cache_; }

 private:
  // login_flows.cpp
  Result<Identity> password_login(const LoginRequest& request, const std::string& local, Conversation& conv);
  Result<Identity> second_factor(const LoginRequest& request, const std::string& local, Conversation& conv,
                                 const ProviderMetadata& meta, const Error& first);
  Result<Identity> device_login(const std::string& local, Conversation& conv, const ProviderMetadata& meta);
  Result<Identity> token_login(const LoginRequest& request, const std::string& local);
  [[nodiscard]] GrantParams grant_params() const;
  [[nodiscard]] std::string idp_login_name(const std::string& local) const;

  // token_identity.cpp
  Result<Identity> identity_from_tokens(const TokenResponse& tokens, const ProviderMetadata& meta,
                                        std::string source);
  Result<Identity> identity_from_jwt(std::string_view token);
  Result<Identity> identity_from_introspection(std::string_view token, const ProviderMetadata& meta);
  Result<Ok> fill_from_userinfo(nlohmann::json& claims, const Secret& access_token, const ProviderMetadata& meta,
                                bool required);

  Config config_;
  NullLogger null_logger_;
  SystemClock system_clock_;
  Logger& log_;
  const Clock& clock_;
  std::unique_ptr<HttpClient> owned_http_;
  HttpClient& http_;
  DiskCache disk_;
  DiscoveryCache discovery_;
  JwksCache jwks_;
  TokenVerifier verifier_;
  OAuthClient oauth_;
  std::unique_ptr<LogtoPasswordCheck> logto_;
  VerifiedTokenCache token_cache_;
  DeviceGrantPresenter* presenter_;
  Sleeper sleeper_;
};

// Checks that the identity a flow produced belongs to the login name that was typed.
Result<Ok> require_local_name(const Identity& identity, const std::string& local);

}  // namespace oidc_sysauth
