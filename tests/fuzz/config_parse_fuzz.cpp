// libFuzzer target: the INI parser of /etc/oidc-sysauth/oidc-sysauth.conf (common/config.cpp).
// The file is root-owned, but a broken or half-edited one must still never crash a login
// process: anything parse_config accepts must give a usable, self-consistent Config.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "config.hpp"

namespace {
void check(bool ok) {
  if (!ok) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  using namespace oidc_sysauth;
  auto config = parse_config(input, "fuzz.conf");
  if (!config) {
    check(!config.error().detail.empty());  // a refusal always says why (file:line)
    return 0;
  }
  check(config->accounts.uid_min <= config->accounts.uid_max);
  check(config->idp.timeout_seconds > 0);
  check(!config->audiences().empty() || config->idp.client_id.empty());
  for (const auto& [name, section] : config->services) {
    (void)section;
    (void)config->access_for(name);
    check(config->grant_for(name) == GrantType::kAuto || config->grant_for(name) == GrantType::kPassword ||
          config->grant_for(name) == GrantType::kDevice);
  }
  (void)config->access_for("sshd");
  return 0;
}
