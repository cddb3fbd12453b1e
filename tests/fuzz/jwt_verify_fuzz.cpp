// libFuzzer target: verify_jwt. The first byte picks what the fuzzer controls:
//   0: the whole token (parsing, base64url, header checks, key choice, signature);
//   1: the claims JSON, signed here with a published Ed25519 key, so the claim checks
//      behind the signature are reached too;
//   2: the header JSON, signed the same way.
// Invariants: a verified token also decodes unverified, looks like a JWT, and names a
// known key; every refusal is kTokenInvalid with a reason from the contract.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "clock.hpp"
#include "jose/jwt.hpp"
#include "token_forge.hpp"

namespace {

using namespace oidc_sysauth;

void check(bool ok) {
  if (!ok) std::abort();
}

struct Fixture {
  forge::ForgeKey rsa = forge::fixture_key("rsa2048-a", "rsa");
  forge::ForgeKey p256 = forge::fixture_key("p256-a", "p256");
  forge::ForgeKey ed = forge::fixture_key("ed25519-a", "ed");
  JwkSet keys = JwkSet::parse(forge::jwks_json({&rsa, &p256, &ed})).value();
  JwtPolicy policy;
  FakeClock clock{1'800'000'000};
  Fixture() {
    policy.issuer = "https://idp.example.com";
    policy.audiences = {"linux-hosts"};
    policy.authorized_party = "linux-hosts";
    policy.algorithms = {"RS256", "PS256", "ES256", "EdDSA"};
  }
};

const Fixture& fixture() {
  static const Fixture* f = new Fixture();  // never destroyed: fuzzers exit abruptly
  return *f;
}

constexpr std::string_view kReasons[] = {
    "malformed",      "too_large",        "algorithm_refused", "unknown_key",      "wrong_key_type",
    "bad_signature",  "expired",          "not_yet_valid",     "issued_in_future", "wrong_issuer",
    "wrong_audience", "missing_audience", "azp_mismatch",      "unknown_crit",     "bad_claim"};

bool known_reason(std::string_view reason) {
  for (std::string_view r : kReasons) {
    if (r == reason) return true;
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const Fixture& f = fixture();
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::string token;
  switch (data[0] % 3) {
    case 0: token.assign(rest); break;
    case 1: token = forge::sign_compact(f.ed, "EdDSA", R"({"alg":"EdDSA","kid":"ed"})", rest); break;
    default:
      token = forge::sign_compact(f.ed, "EdDSA", rest,
                                  R"({"iss":"https://idp.example.com","aud":"linux-hosts","exp":1800000300})");
  }
  auto verified = verify_jwt(token, f.keys, f.policy, f.clock);
  if (verified) {
    check(looks_like_jwt(token));
    check(decode_jwt_unverified(token).has_value());
    check(verified->exp > f.clock.now_unix() - f.policy.leeway_seconds);
    check(f.keys.has_kid(verified->kid) || verified->kid.empty());
  } else {
    check(verified.error().code == ErrorCode::kTokenInvalid);
    check(known_reason(verified.error().reason));
  }
  (void)looks_like_jwt(token);
  (void)decode_jwt_unverified(token);
  return 0;
}
