// libFuzzer target: strict base64url. Whatever decodes must re-encode to exactly the
// input (one spelling per byte string), and the three views of validity must agree.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "jose/base64url.hpp"

namespace {
void check(bool ok) {
  if (!ok) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto decoded = oidc_sysauth::base64url_decode(input);
  check(decoded.has_value() == oidc_sysauth::is_base64url(input));
  if (decoded) {
    check(oidc_sysauth::base64url_encode(*decoded) == input);
    check(oidc_sysauth::base64url_decoded_size(size) == decoded->size());
  }
  // Any bytes survive an encode/decode round trip.
  const std::string encoded = oidc_sysauth::base64url_encode(input);
  auto back = oidc_sysauth::base64url_decode(encoded);
  check(back.has_value() && *back == input);
  return 0;
}
