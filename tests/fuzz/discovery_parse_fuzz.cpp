// libFuzzer target: discovery documents and the disk-cache envelope's inner document.
// Whatever parse_provider_metadata accepts must name the expected issuer and only https
// endpoints (allow_http off).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "net/discovery.hpp"
#include "net/url.hpp"

namespace {
void check(bool ok) {
  if (!ok) std::abort();
}
constexpr std::string_view kIssuer = "https://idp.example.com/realms/corp";
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto meta = oidc_sysauth::parse_provider_metadata(input, kIssuer, false);
  if (!meta) return 0;
  check(meta->issuer == kIssuer);
  for (const std::string* url : {&meta->token_endpoint, &meta->jwks_uri, &meta->userinfo_endpoint,
                                 &meta->introspection_endpoint, &meta->device_authorization_endpoint}) {
    if (url->empty()) continue;
    auto parsed = oidc_sysauth::parse_url(*url);
    check(parsed.has_value() && parsed->scheme == "https");
  }
  check(!meta->token_endpoint.empty() && !meta->jwks_uri.empty());
  (void)meta->supports_grant("password");
  return 0;
}
