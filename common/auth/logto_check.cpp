#include "auth/logto_check.hpp"

#include <algorithm>

#include "auth/identity_builder.hpp"
#include "jose/json_fields.hpp"
#include "net/http_util.hpp"
#include "net/oauth_errors.hpp"
#include "net/url.hpp"

namespace oidc_sysauth {
namespace {

constexpr std::int64_t kTokenSafetySeconds = 30;
constexpr std::size_t kMaxApiBytes = 256 * 1024;

bool valid_user_id(std::string_view id) {
  return !id.empty() && id.size() <= 64 && std::all_of(id.begin(), id.end(), [](unsigned char c) {
    return std::isalnum(c) != 0 || c == '_' || c == '-';
  });
}

Error api_error(long status, std::string_view what) {
  const std::string detail = "Logto Management API " + std::string(what) + ": HTTP " + std::to_string(status);
  if (status >= 500 || status == 429) return Error{ErrorCode::kIdpUnavailable, detail, "http_" + std::to_string(status)};
  if (status == 401 || status == 403)
    return Error{ErrorCode::kMisconfigured, detail + " (check the management app's role and secret)", "m2m_refused"};
  return Error{ErrorCode::kBadResponse, detail, "http_" + std::to_string(status)};
}

// The claims a Logto user would carry in its tokens: sub, username, name, email, roles.
nlohmann::json user_claims(const nlohmann::json& user, const std::vector<std::string>& roles) {
  nlohmann::json claims = nlohmann::json::object();
  auto copy = [&](const char* from, const char* to) {
    if (const auto* v = find_field(user, from); v != nullptr && v->is_string()) claims[to] = *v;
  };
  copy("id", "sub");
  copy("username", "username");
  copy("username", "preferred_username");
  copy("name", "name");
  copy("primaryEmail", "email");
  if (const auto* custom = find_field(user, "customData"); custom != nullptr && custom->is_object())
    claims["custom_data"] = *custom;
  claims["roles"] = roles;
  return claims;
}

}  // namespace

LogtoPasswordCheck::LogtoPasswordCheck(const Config& config, HttpClient& http, const Clock& clock, Logger& log,
                                       Secret management_secret)
    : config_(config),
      http_(http),
      clock_(clock),
      log_(log),
      m2m_(http, ClientCredentials{config.idp.management_client_id, std::move(management_secret), ClientAuth::kBasic}) {}

Result<Secret> LogtoPasswordCheck::management_token(const std::string& token_endpoint) {
  std::lock_guard lock(mutex_);
  if (!token_.empty() && clock_.now_unix() < token_expires_at_) return token_;
  GrantParams params;
  params.resource = config_.idp.management_resource;
  params.scope = "all";
  auto tokens = m2m_.client_credentials(token_endpoint, params);
  if (!tokens) {
    // The M2M app's credentials are ours, not the user's: a refusal is a config problem.
    if (tokens.error().code == ErrorCode::kCredentialsRefused)
      return fail(ErrorCode::kMisconfigured, "Logto M2M token refused: " + tokens.error().detail, "m2m_refused");
    return std::unexpected(tokens.error());
  }
  const std::int64_t lifetime = tokens->expires_in > 0 ? tokens->expires_in : 300;
  token_ = std::move(tokens->access_token);
  token_expires_at_ = clock_.now_unix() + std::max<std::int64_t>(0, lifetime - kTokenSafetySeconds);
  return token_;
}

void LogtoPasswordCheck::forget_token() {
  std::lock_guard lock(mutex_);
  token_.clear();
  token_expires_at_ = 0;
}

Result<LogtoPasswordCheck::ApiAnswer> LogtoPasswordCheck::call(const std::string& method, const std::string& path,
                                                               const Secret& token, Secret body) {
  HttpRequest request;
  request.method = method;
  std::string base = config_.idp.management_endpoint;
  while (!base.empty() && base.back() == '/') base.pop_back();
  request.url = base + path;
  request.max_response_bytes = kMaxApiBytes;
  std::string header = "Bearer " + std::string(token.expose());
  request.authorization = Secret(header);
  secure_zero(header.data(), header.size());
  if (method == "POST") request.headers.push_back("Content-Type: application/json");
  request.body = std::move(body);
  auto response = http_.perform(request);
  if (!response) return std::unexpected(response.error());
  ApiAnswer answer;
  answer.status = response->status;
  if (!response->body.empty()) {
    auto doc = parse_json(response->body.expose(), JsonLimits{kMaxApiBytes, 16});
    if (doc) answer.json = std::move(*doc);
  }
  return answer;
}

// One retry with a fresh M2M token when the cached one is refused (revoked, rotated keys).
Result<LogtoPasswordCheck::ApiAnswer> LogtoPasswordCheck::call_with_token(const std::string& token_endpoint,
                                                                          const std::string& method,
                                                                          const std::string& path, Secret body) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto token = management_token(token_endpoint);
    if (!token) return std::unexpected(token.error());
    auto answer = call(method, path, *token, body);
    if (!answer || answer->status != 401 || attempt == 1) return answer;
    forget_token();
  }
  return fail(ErrorCode::kInternal, "unreachable");
}

Result<nlohmann::json> LogtoPasswordCheck::find_user(const std::string& token_endpoint, std::string_view idp_login) {
  const std::string field = config_.idp.management_lookup == "email" ? "primaryEmail" : "username";
  const std::string path = "/api/users?search." + field + "=" + percent_encode(idp_login) + "&mode." + field +
                           "=exact&isCaseSensitive=true&page_size=5";
  auto answer = call_with_token(token_endpoint, "GET", path);
  if (!answer) return std::unexpected(answer.error());
  if (answer->status != 200) return std::unexpected(api_error(answer->status, "user search"));
  if (!answer->json.is_array()) return fail(ErrorCode::kBadResponse, "Logto user search: not an array", "bad_json");
  const nlohmann::json* found = nullptr;
  for (const auto& user : answer->json) {  // the server filtered; we still insist on an exact match
    const auto* value = find_field(user, field);
    if (value == nullptr || !value->is_string() || value->get_ref<const std::string&>() != idp_login) continue;
    if (found != nullptr) return fail(ErrorCode::kCredentialsRefused, "several Logto users match", "ambiguous_user");
    found = &user;
  }
  if (found == nullptr) return fail(ErrorCode::kCredentialsRefused, "no such Logto user", "unknown_user");
  return *found;
}

Result<Ok> LogtoPasswordCheck::verify_password(const std::string& token_endpoint, const std::string& user_id,
                                               const Secret& password) {
  nlohmann::json body = {{"password", password.expose()}};
  std::string text = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  wipe_json_strings(body);
  Secret secret_body(text);
  secure_zero(text.data(), text.size());
  auto answer =
      call_with_token(token_endpoint, "POST", "/api/users/" + user_id + "/password/verify", std::move(secret_body));
  if (!answer) return std::unexpected(answer.error());
  if (answer->status == 204 || answer->status == 200) return Ok{};
  if (answer->status == 422 || answer->status == 404)
    return fail(ErrorCode::kCredentialsRefused, "Logto: wrong account or password", "invalid_credentials");
  if (answer->status == 400) return fail(ErrorCode::kCredentialsRefused, "Logto refused the password input", "invalid_input");
  return std::unexpected(api_error(answer->status, "password verify"));
}

Result<std::vector<std::string>> LogtoPasswordCheck::roles(const std::string& token_endpoint,
                                                           const std::string& user_id) {
  auto answer = call_with_token(token_endpoint, "GET", "/api/users/" + user_id + "/roles");
  if (!answer) return std::unexpected(answer.error());
  if (answer->status != 200) return std::unexpected(api_error(answer->status, "user roles"));
  if (!answer->json.is_array()) return fail(ErrorCode::kBadResponse, "Logto roles: not an array", "bad_json");
  std::vector<std::string> names;
  for (const auto& role : answer->json) {
    const auto* name = find_field(role, "name");
    if (name != nullptr && name->is_string()) names.push_back(name->get<std::string>());
  }
  return names;
}

Result<Identity> LogtoPasswordCheck::login(std::string_view idp_login, const Secret& password,
                                           const std::string& token_endpoint) {
  if (password.empty()) return fail(ErrorCode::kCredentialsRefused, "empty password", "empty_password");
  if (auto ok = check_endpoint_url(config_.idp.management_endpoint, config_.idp.allow_http); !ok)
    return std::unexpected(ok.error());
  auto user = find_user(token_endpoint, idp_login);
  if (!user) return std::unexpected(user.error());
  auto id = read_string(*user, "id");
  if (!id || !valid_user_id(*id)) return fail(ErrorCode::kBadResponse, "Logto user without a usable id", "bad_json");
  if (auto suspended = read_optional_bool(*user, "isSuspended"); !suspended || suspended->value_or(false))
    return fail(ErrorCode::kCredentialsRefused, "Logto user is suspended", "suspended");
  if (auto ok = verify_password(token_endpoint, *id, password); !ok) return std::unexpected(ok.error());
  auto names = roles(token_endpoint, *id);
  if (!names) return std::unexpected(names.error());
  IdentityInput in;
  in.claims = user_claims(*user, *names);
  in.expected_issuer = config_.idp.issuer;
  in.issuer_from_claims = false;
  in.source = "logto";
  auto identity = build_identity(config_, std::move(in));
  if (identity) log_.log(LogLevel::kInfo, "Logto password check succeeded for " + identity->local_name);
  return identity;
}

}  // namespace oidc_sysauth
