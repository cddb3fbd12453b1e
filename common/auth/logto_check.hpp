// password_check = logto_management_api: Logto has no password grant, so the password is
// checked through its Management API (a machine-to-machine client_credentials token for
// the management resource, user lookup, POST /api/users/{id}/password/verify) and the
// identity is built from the user's profile and roles, like a token-based identity.
#pragma once

#include <cstdint>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "clock.hpp"
#include "config.hpp"
#include "http.hpp"
#include "identity.hpp"
#include "log.hpp"
#include "net/oauth_client.hpp"
#include "result.hpp"

namespace oidc_sysauth {

class LogtoPasswordCheck {
 public:
  // `management_secret` comes from [idp] management_client_secret_file.
  LogtoPasswordCheck(const Config& config, HttpClient& http, const Clock& clock, Logger& log,
                     Secret management_secret);

  // `idp_login` is the local name with login_suffix appended. Outcomes:
  //   wrong password (422), unknown user, suspended user → kCredentialsRefused
  //   Management API unreachable / 5xx → kIdpUnavailable
  //   M2M credentials or permissions refused → kMisconfigured
  Result<Identity> login(std::string_view idp_login, const Secret& password, const std::string& token_endpoint);

 private:
  struct ApiAnswer {
    long status = 0;
    nlohmann::json json;  // null when the body is empty
  };
  Result<Secret> management_token(const std::string& token_endpoint);
  void forget_token();
  Result<ApiAnswer> call(const std::string& method, const std::string& path, const Secret& token, Secret body = {});
  Result<ApiAnswer> call_with_token(const std::string& token_endpoint, const std::string& method,
                                    const std::string& path, Secret body = {});
  Result<nlohmann::json> find_user(const std::string& token_endpoint, std::string_view idp_login);
  Result<Ok> verify_password(const std::string& token_endpoint, const std::string& user_id, const Secret& password);
  Result<std::vector<std::string>> roles(const std::string& token_endpoint, const std::string& user_id);

  const Config& config_;
  HttpClient& http_;
  const Clock& clock_;
  Logger& log_;
  OAuthClient m2m_;
  std::mutex mutex_;
  Secret token_;
  std::int64_t token_expires_at_ = 0;
};

}  // namespace oidc_sysauth
