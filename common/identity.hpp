// The one answer every face gets after a successful login or token check.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace oidc_sysauth {

struct Identity {
  std::string issuer;
  std::string subject;                  // with issuer: the stable key of the shadow account
  std::string idp_username;             // claim [claims] username, as the IdP spelled it
  std::string local_name;               // after login_suffix stripping; a valid POSIX name
  std::string display_name;
  std::vector<std::string> idp_groups;  // from [claims] groups, flattened and de-duplicated
  std::vector<std::string> local_groups;  // existing local groups from group_map
  std::vector<std::string> extra_groups;  // unmapped IdP groups as prefixed local names (unmapped_groups = prefix)
  std::optional<std::uint32_t> uid_hint;  // from [claims] uid, range-checked
  std::int64_t expires_at = 0;          // token exp (0 if unknown)
  std::string source;                   // "password", "token", "device", "introspection", "logto"
  nlohmann::json claims = nlohmann::json::object();  // merged claims, for diagnostics and policy
};

}  // namespace oidc_sysauth
