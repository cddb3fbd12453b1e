// libFuzzer target: what a hostile or broken IdP answers at the introspection, userinfo and
// device endpoints (common/net/oauth_client.cpp, common/auth/token_identity.cpp). The first
// input byte picks the HTTP status, the rest is the body. Whatever verify_bearer accepts
// through introspection must come from an "active": true answer of our issuer, not yet
// expired, with a usable local name; a device authorization that parses must be usable.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "auth/authenticator.hpp"
#include "clock.hpp"
#include "fake_http.hpp"
#include "jose/json_fields.hpp"
#include "names.hpp"
#include "net/oauth_client.hpp"

namespace {

using oidc_sysauth::fake::FakeHttpClient;

void check(bool ok) {
  if (!ok) std::abort();
}

const std::string kIssuer = "https://idp.example.com";
const std::string kToken = kIssuer + "/token";
const std::string kJwks = kIssuer + "/jwks";
const std::string kDevice = kIssuer + "/device";
const std::string kIntrospect = kIssuer + "/introspect";
const std::string kUserinfo = kIssuer + "/me";

std::string discovery_doc() {
  return nlohmann::json{{"issuer", kIssuer},
                        {"token_endpoint", kToken},
                        {"jwks_uri", kJwks},
                        {"userinfo_endpoint", kUserinfo},
                        {"introspection_endpoint", kIntrospect},
                        {"device_authorization_endpoint", kDevice}}
      .dump();
}

long status_of(std::uint8_t b) {
  constexpr long kStatuses[] = {200, 200, 200, 200, 400, 401, 403, 404, 429, 500, 502, 503};
  return kStatuses[b % (sizeof(kStatuses) / sizeof(kStatuses[0]))];
}

void fuzz_introspection(long status, std::string_view body) {
  using namespace oidc_sysauth;
  FakeHttpClient http;
  FakeClock clock;
  http.always("GET", kIssuer + "/.well-known/openid-configuration", FakeHttpClient::json(200, discovery_doc()));
  http.always("POST", kIntrospect, FakeHttpClient::json(status, std::string(body)));
  http.always("GET", kUserinfo, FakeHttpClient::json(status, std::string(body)));
  Config config;
  config.idp.issuer = kIssuer;
  config.idp.client_id = "linux-hosts";
  config.idp.introspect_opaque = true;
  config.claims.uid = "uid";
  ContextOptions options;
  options.http = &http;
  options.clock = &clock;
  options.use_disk_cache = false;
  auto context = OidcContext::create(config, options);
  check(context.has_value());
  auto id = (*context)->verify_bearer("opaque-token-not-a-jwt");
  if (!id) return;
  check(status == 200);
  auto doc = parse_json_object(body);
  check(doc.has_value() && doc->contains("active") && (*doc)["active"] == true);
  check(id->issuer == kIssuer && !id->subject.empty());
  check(is_valid_posix_name(id->local_name) && !is_reserved_name(id->local_name));
  check(id->expires_at == 0 || id->expires_at > clock.now_unix());
  if (id->uid_hint) check(*id->uid_hint >= config.accounts.uid_min && *id->uid_hint <= config.accounts.uid_max);
}

void fuzz_device(long status, std::string_view body) {
  using namespace oidc_sysauth;
  FakeHttpClient http;
  http.always("POST", kDevice, FakeHttpClient::json(status, std::string(body)));
  http.always("POST", kToken, FakeHttpClient::json(status, std::string(body)));
  OAuthClient client(http, ClientCredentials{"linux-hosts", Secret("s3cret"), ClientAuth::kBasic});
  if (auto auth = client.device_authorize(kDevice, GrantParams{})) {
    check(status == 200);
    check(!auth->device_code.empty() && !auth->user_code.empty() && !auth->verification_uri.empty());
    check(auth->expires_in >= 1 && auth->expires_in <= 86400);
    check(auth->interval >= 1 && auth->interval <= 3600);
  }
  if (auto tokens = client.device_token(kToken, Secret("device-code"))) {
    check(status == 200 && !tokens->access_token.empty());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const long status = status_of(data[0]);
  const std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  fuzz_introspection(status, body);
  fuzz_device(status, body);
  return 0;
}
