#include "net/oauth_client.hpp"

#include <algorithm>
#include <cctype>

#include "jose/json_fields.hpp"
#include "net/http_util.hpp"
#include "net/oauth_errors.hpp"

namespace oidc_sysauth {
namespace {

constexpr std::int64_t kMaxExpiresIn = 10LL * 365 * 86400;

// Standard base64 with padding (Basic authentication).
Secret base64_encode(std::string_view in) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8) |
                       static_cast<unsigned char>(in[i + 2]);
    out += {kAlphabet[(v >> 18) & 63], kAlphabet[(v >> 12) & 63], kAlphabet[(v >> 6) & 63], kAlphabet[v & 63]};
  }
  if (i + 1 == in.size()) {
    const unsigned v = static_cast<unsigned char>(in[i]) << 16;
    out += {kAlphabet[(v >> 18) & 63], kAlphabet[(v >> 12) & 63], '=', '='};
  } else if (i + 2 == in.size()) {
    const unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8);
    out += {kAlphabet[(v >> 18) & 63], kAlphabet[(v >> 12) & 63], kAlphabet[(v >> 6) & 63], '='};
  }
  Secret s(out);
  secure_zero(out.data(), out.size());
  return s;
}

// RFC 6749 §2.3.1: id and secret are form-encoded before being joined for Basic.
Secret basic_authorization(const std::string& id, const Secret& secret) {
  Secret id_enc = form_encode({{"x", Secret(id)}});
  Secret secret_enc = form_encode({{"x", secret}});
  std::string joined;
  joined.reserve(id_enc.size() + secret_enc.size());
  joined.append(id_enc.expose().substr(2)).append(":").append(secret_enc.expose().substr(2));
  Secret encoded = base64_encode(joined);
  secure_zero(joined.data(), joined.size());
  std::string header = "Basic " + std::string(encoded.expose());
  Secret out(header);
  secure_zero(header.data(), header.size());
  return out;
}

Result<Secret> optional_secret(const nlohmann::json& doc, std::string_view key) {
  auto v = read_optional_string(doc, key);
  if (!v) return std::unexpected(v.error());
  if (!*v) return Secret();
  Secret s(**v);
  secure_zero((*v)->data(), (*v)->size());
  return s;
}

Result<nlohmann::json> parse_json_answer(const HttpResponse& response, std::string_view what) {
  auto doc = parse_json_object(response.body.expose());
  if (!doc) return fail(ErrorCode::kBadResponse, std::string(what) + ": " + doc.error().detail, "bad_json");
  return doc;
}

}  // namespace

void wipe_json_strings(nlohmann::json& doc) noexcept {
  if (doc.is_string()) {
    auto& s = doc.get_ref<std::string&>();
    secure_zero(s.data(), s.size());
  } else if (doc.is_structured()) {
    for (auto& child : doc) wipe_json_strings(child);
  }
}

Result<TokenResponse> parse_token_response(std::string_view body) {
  auto doc = parse_json_object(body);
  if (!doc) return fail(ErrorCode::kBadResponse, "token response: " + doc.error().detail, "bad_json");
  struct Wipe {
    nlohmann::json& d;
    ~Wipe() { wipe_json_strings(d); }
  } wipe{*doc};
  TokenResponse out;
  auto access = optional_secret(*doc, "access_token");
  auto id = optional_secret(*doc, "id_token");
  auto refresh = optional_secret(*doc, "refresh_token");
  auto type = read_optional_string(*doc, "token_type");
  auto scope = read_optional_string(*doc, "scope");
  auto expires = read_optional_int64(*doc, "expires_in", 0, kMaxExpiresIn);
  for (const Error* e : {access ? nullptr : &access.error(), id ? nullptr : &id.error(),
                         refresh ? nullptr : &refresh.error(), type ? nullptr : &type.error(),
                         scope ? nullptr : &scope.error(), expires ? nullptr : &expires.error()}) {
    if (e != nullptr) return fail(ErrorCode::kBadResponse, "token response: " + e->detail, "bad_token_response");
  }
  if (access->empty()) return fail(ErrorCode::kBadResponse, "token response: no access_token", "bad_token_response");
  if (*type) {
    std::string t = **type;
    std::transform(t.begin(), t.end(), t.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (t != "bearer")
      return fail(ErrorCode::kBadResponse, "token response: token_type " + sanitize_server_text(**type),
                  "bad_token_response");
    out.token_type = **type;
  }
  out.access_token = std::move(*access);
  out.id_token = std::move(*id);
  out.refresh_token = std::move(*refresh);
  out.scope = scope->value_or("");
  out.expires_in = expires->value_or(0);
  return out;
}

void OAuthClient::add_params(Fields& fields, const GrantParams& params) {
  if (!params.scope.empty()) fields.emplace_back("scope", Secret(params.scope));
  if (!params.resource.empty()) fields.emplace_back("resource", Secret(params.resource));
  for (const auto& [name, value] : params.extra) fields.emplace_back(name, value);
}

Result<HttpResponse> OAuthClient::post_form(const std::string& url, Fields fields) {
  HttpRequest request;
  request.method = "POST";
  request.url = url;
  request.max_response_bytes = max_bytes_;
  ClientAuth method = credentials_.method;
  if (method == ClientAuth::kAuto) method = credentials_.secret.empty() ? ClientAuth::kNone : ClientAuth::kBasic;
  if ((method == ClientAuth::kBasic || method == ClientAuth::kPost) && credentials_.secret.empty())
    return fail(ErrorCode::kMisconfigured, "client_auth needs a client secret (client_secret_file)", "no_secret");
  if (method == ClientAuth::kBasic) {
    request.authorization = basic_authorization(credentials_.client_id, credentials_.secret);
  } else {
    fields.emplace_back("client_id", Secret(credentials_.client_id));
    if (method == ClientAuth::kPost) fields.emplace_back("client_secret", credentials_.secret);
  }
  request.body = form_encode(fields);
  return http_.perform(request);
}

Result<TokenResponse> OAuthClient::token_request(const std::string& url, Fields fields) {
  auto response = post_form(url, std::move(fields));
  if (!response) return std::unexpected(response.error());
  if (response->status != 200) return std::unexpected(classify_token_error(*response));
  return parse_token_response(response->body.expose());
}

Result<TokenResponse> OAuthClient::password_grant(const std::string& token_endpoint, std::string_view username,
                                                  const Secret& password, const GrantParams& params) {
  Fields fields;
  fields.emplace_back("grant_type", Secret("password"));
  fields.emplace_back("username", Secret(username));
  fields.emplace_back("password", password);
  add_params(fields, params);
  return token_request(token_endpoint, std::move(fields));
}

Result<TokenResponse> OAuthClient::refresh(const std::string& token_endpoint, const Secret& refresh_token,
                                           const GrantParams& params) {
  Fields fields;
  fields.emplace_back("grant_type", Secret("refresh_token"));
  fields.emplace_back("refresh_token", refresh_token);
  add_params(fields, params);
  return token_request(token_endpoint, std::move(fields));
}

Result<TokenResponse> OAuthClient::client_credentials(const std::string& token_endpoint, const GrantParams& params) {
  Fields fields;
  fields.emplace_back("grant_type", Secret("client_credentials"));
  add_params(fields, params);
  return token_request(token_endpoint, std::move(fields));
}

Result<TokenResponse> OAuthClient::device_token(const std::string& token_endpoint, const Secret& device_code) {
  Fields fields;
  fields.emplace_back("grant_type", Secret("urn:ietf:params:oauth:grant-type:device_code"));
  fields.emplace_back("device_code", device_code);
  return token_request(token_endpoint, std::move(fields));
}

Result<DeviceAuthorization> OAuthClient::device_authorize(const std::string& endpoint, const GrantParams& params) {
  Fields fields;
  add_params(fields, params);
  auto response = post_form(endpoint, std::move(fields));
  if (!response) return std::unexpected(response.error());
  if (response->status != 200) return std::unexpected(classify_token_error(*response));
  auto doc = parse_json_answer(*response, "device authorization");
  if (!doc) return std::unexpected(doc.error());
  DeviceAuthorization out;
  auto code = read_string(*doc, "device_code");
  auto user_code = read_string(*doc, "user_code");
  auto uri = read_string(*doc, "verification_uri");
  auto complete = read_optional_string(*doc, "verification_uri_complete");
  auto expires = read_int64(*doc, "expires_in", 1, 86400);
  auto interval = read_optional_int64(*doc, "interval", 0, 3600);
  for (const Error* e : {code ? nullptr : &code.error(), user_code ? nullptr : &user_code.error(),
                         uri ? nullptr : &uri.error(), complete ? nullptr : &complete.error(),
                         expires ? nullptr : &expires.error(), interval ? nullptr : &interval.error()}) {
    if (e != nullptr) return fail(ErrorCode::kBadResponse, "device authorization: " + e->detail, "bad_device_response");
  }
  out.device_code = Secret(*code);
  secure_zero(code->data(), code->size());
  wipe_json_strings(*doc);
  out.user_code = std::move(*user_code);
  out.verification_uri = std::move(*uri);
  out.verification_uri_complete = complete->value_or("");
  out.expires_in = *expires;
  out.interval = std::max<std::int64_t>(1, interval->value_or(5));
  return out;
}

Result<nlohmann::json> OAuthClient::introspect(const std::string& endpoint, const Secret& token) {
  Fields fields;
  fields.emplace_back("token", token);
  fields.emplace_back("token_type_hint", Secret("access_token"));
  auto response = post_form(endpoint, std::move(fields));
  if (!response) return std::unexpected(response.error());
  if (response->status == 401 || response->status == 403)
    return fail(ErrorCode::kMisconfigured, "introspection: HTTP " + std::to_string(response->status) +
                                               " (is this client allowed to introspect?)", "introspection_refused");
  if (response->status != 200) return std::unexpected(status_error(*response, "introspection"));
  return parse_json_answer(*response, "introspection");
}

Result<nlohmann::json> OAuthClient::userinfo(const std::string& endpoint, const Secret& access_token) {
  HttpRequest request;
  request.url = endpoint;
  request.max_response_bytes = max_bytes_;
  std::string header = "Bearer " + std::string(access_token.expose());
  request.authorization = Secret(header);
  secure_zero(header.data(), header.size());
  auto response = http_.perform(request);
  if (!response) return std::unexpected(response.error());
  if (response->status == 401 || response->status == 403)
    return fail(ErrorCode::kTokenInvalid, "userinfo: HTTP " + std::to_string(response->status), "userinfo_refused");
  if (response->status != 200) return std::unexpected(status_error(*response, "userinfo"));
  return parse_json_answer(*response, "userinfo");
}

}  // namespace oidc_sysauth
