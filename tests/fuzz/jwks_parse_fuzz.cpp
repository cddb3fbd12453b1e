// libFuzzer target: JwkSet::parse on arbitrary bytes. Whatever imports must answer find()
// only with keys that fit the alg asked for.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "jose/jwt.hpp"

namespace {
void check(bool ok) {
  if (!ok) std::abort();
}
constexpr std::string_view kAlgs[] = {"RS256", "PS384", "ES256", "ES384", "ES512", "EdDSA", "HS256", "none"};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto set = oidc_sysauth::JwkSet::parse(input);
  if (!set) return 0;
  check(set->size() > 0);
  for (const auto& key : set->keys()) {
    check(key.key != nullptr);
    for (std::string_view alg : kAlgs) {
      const auto* found = set->find(key.kid, alg);
      if (found == nullptr) continue;
      check(alg != "HS256" && alg != "none");
      // A kid-less lookup may pick a key that has a kid (the one key that fits).
      if (!key.kid.empty()) check(found->kid == key.kid);
      const bool rsa = alg[0] == 'R' || alg[0] == 'P';
      check(found->kty == (rsa ? "RSA" : alg == "EdDSA" ? "OKP" : "EC"));
    }
  }
  (void)set->find("", "RS256");
  (void)set->has_kid("");
  return 0;
}
