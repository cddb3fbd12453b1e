// doctor: are the configured claim paths where the config says, and which grant will
// each service use?
#include <set>

#include "auth/claims.hpp"
#include "doctor_checks.hpp"
#include "jose/jwt.hpp"

namespace oidc_sysauth::cli {

void Doctor::check_token_claims() {
  if (!context_) {
    report("claims", "skip", "test token not checked: the IdP is not reachable");
    return;
  }
  Secret token(read_token_argument(options_.token));
  auto identity = context_->verify_bearer(token.expose());
  if (!identity) {
    const auto& e = identity.error();
    report("claims", "FAIL", "the test token is rejected: " + (e.reason.empty() ? e.detail : e.reason + ": " + e.detail),
           "a wrong claim path (below) or a token for another client (audience " + config_->audiences().front() + ")");
  }
  // Where the claims are is a question about the token's shape, not its trust: look at the
  // decoded payload even when verification failed, so a wrong path is named precisely.
  auto decoded = decode_jwt_unverified(token.expose());
  if (!decoded) {
    report("claims", "FAIL", "the test token is not a JWT: " + decoded.error().detail);
    return;
  }
  const auto& claims = decoded->claims;
  const auto& c = config_->claims;
  auto check_path = [&](const std::string& what, const std::string& claim_path, bool required) {
    if (claim_path.empty()) return;
    if (find_claim(claims, claim_path) != nullptr) {
      report("claims-" + what, "ok", "claim '" + claim_path + "' (" + what + ") is present");
    } else {
      report("claims-" + what, required ? "FAIL" : "warn",
             "claim '" + claim_path + "' (" + what + ") is not in the token",
             "set [claims] " + what + " to a path that exists; the token has: " + claims.dump());
    }
  };
  check_path("username", c.username, true);
  check_path("display_name", c.display_name, false);
  check_path("uid", c.uid, true);
  bool any_group_path = false;
  for (const auto& p : c.groups) any_group_path = any_group_path || find_claim(claims, p) != nullptr;
  if (!c.groups.empty() && !any_group_path) {
    report("claims-groups", "FAIL", "none of the group claim paths is in the token",
           "set [claims] groups (Keycloak: realm_access.roles; Logto: roles; Entra: roles or groups)");
  } else if (!c.groups.empty()) {
    std::vector<std::string> groups;
    collect_groups(claims, c.groups, groups);
    report("claims-groups", "ok", "groups found: " + nlohmann::json(groups).dump());
  }
}

void Doctor::check_grants() {
  std::set<std::string> services = {"sshd", "sudo", "login"};
  for (const auto& [name, _] : config_->services) services.insert(name);
  for (const auto& service : services) {
    const GrantType grant = config_->grant_for(service);
    std::string why = grant == GrantType::kAuto ? "auto: decided from discovery" : "configured";
    if (grant == GrantType::kAuto && context_) {
      auto chosen = context_->effective_grant(service);
      if (chosen) why = std::string("auto → ") + grant_type_name(chosen->grant) + ": " + chosen->reason;
      else why = "auto → no usable grant: " + chosen.error().detail;
      report("grant-" + service, chosen ? "ok" : "FAIL", service + " uses " + why);
      continue;
    }
    report("grant-" + service, "ok", service + " uses the " + std::string(grant_type_name(grant)) + " grant (" + why + ")");
  }
}

}  // namespace oidc_sysauth::cli
