// libFuzzer target: the OAUTHBEARER / XOAUTH2 client-message parsers (sasl/*_message.cpp)
// get arbitrary bytes, never assumed NUL-terminated. Whatever parses must survive a
// build → parse round trip unchanged, and the error-challenge builders must always emit
// valid JSON.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string_view>

#include "oauthbearer_message.hpp"
#include "xoauth2_message.hpp"

namespace {

using namespace oidc_sysauth::sasl;

void check(bool ok) {
  if (!ok) std::abort();
}

void round_trip_oauthbearer(const OauthBearerClientMessage& m) {
  auto built = build_oauthbearer_client(m.authzid, m.host, m.port, m.token.expose());
  if (!built) return;  // e.g. an authzid the builder will not send (checked by unit tests)
  auto again = parse_oauthbearer_client(built->expose());
  check(again.has_value());
  check(again->authzid == m.authzid);
  check(again->host == m.host);
  check(again->port == m.port);
  check(again->token.expose() == m.token.expose());
}

void round_trip_xoauth2(const Xoauth2ClientMessage& m) {
  auto built = build_xoauth2_client(m.user, m.token.expose());
  if (!built) return;
  auto again = parse_xoauth2_client(built->expose());
  check(again.has_value());
  check(again->user == m.user);
  check(again->token.expose() == m.token.expose());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  if (auto m = parse_oauthbearer_client(input)) round_trip_oauthbearer(*m);
  if (auto m = parse_xoauth2_client(input)) round_trip_xoauth2(*m);
  (void)parse_kvpairs(input);
  if (auto t = parse_bearer_credentials(input)) check(is_b64token(*t));
  (void)is_oauthbearer_error_ack(input);
  auto json = nlohmann::json::parse(build_oauthbearer_error("invalid_token", input, input), nullptr, false);
  check(!json.is_discarded());
  check(!nlohmann::json::parse(build_xoauth2_error(input), nullptr, false).is_discarded());
  return 0;
}
