// check_access: [access] with [service:NAME] over it, evaluated fail-closed.
#include <algorithm>

#include "auth/authenticator.hpp"
#include "auth/claims.hpp"

namespace oidc_sysauth {
namespace {

// `require = path=value`: the value is JSON (true, 3, "x", ["a"]); text that is not JSON
// is taken as a string, so `hd=example.com` works unquoted.
nlohmann::json expected_value(const std::string& text) {
  nlohmann::json v = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (v.is_discarded()) return nlohmann::json(text);
  return v;
}

// Equal, or (for a scalar requirement on an array claim such as amr) contained.
bool satisfies(const nlohmann::json& actual, const nlohmann::json& expected) {
  if (actual == expected) return true;
  if (actual.is_array() && !expected.is_array() && !expected.is_object())
    return std::find(actual.begin(), actual.end(), expected) != actual.end();
  return false;
}

// The rules that apply to `service` (access_for's merge, read in place: no list copies on
// every exchange).
struct EffectiveRules {
  const std::optional<std::vector<std::string>>* allowed_groups;
  const std::optional<std::vector<std::pair<std::string, std::string>>>* require;
};

EffectiveRules rules_for(const Config& config, std::string_view service) {
  EffectiveRules rules{&config.access.allowed_groups, &config.access.require};
  if (const AccessConfig* section = config.service_section(service)) {
    if (section->allowed_groups) rules.allowed_groups = &section->allowed_groups;
    if (section->require) rules.require = &section->require;
  }
  return rules;
}

}  // namespace

Result<Ok> check_access(const Config& config, const Identity& identity, std::string_view service) {
  try {
    if (identity.issuer.empty() || identity.subject.empty() || identity.local_name.empty())
      return fail(ErrorCode::kPolicyDenied, "identity lacks issuer, subject or local name", "incomplete_identity");
    if (identity.issuer != config.idp.issuer)
      return fail(ErrorCode::kPolicyDenied, "identity from another issuer", "wrong_issuer");
    const EffectiveRules access = rules_for(config, service);
    if (*access.allowed_groups && !(*access.allowed_groups)->empty()) {
      const auto& allowed = **access.allowed_groups;
      const bool member = std::any_of(identity.idp_groups.begin(), identity.idp_groups.end(), [&](const auto& g) {
        return std::find(allowed.begin(), allowed.end(), g) != allowed.end();
      });
      if (!member)
        return fail(ErrorCode::kPolicyDenied,
                    "user '" + identity.local_name + "' is in none of the allowed_groups for service '" +
                        std::string(service) + "'",
                    "not_in_allowed_groups");
    }
    if (*access.require) {
      for (const auto& [path, value] : **access.require) {
        const nlohmann::json* actual = find_claim(identity.claims, path);
        if (actual == nullptr)
          return fail(ErrorCode::kPolicyDenied, "required claim '" + path + "' is missing", "require_missing");
        if (!satisfies(*actual, expected_value(value)))
          return fail(ErrorCode::kPolicyDenied, "required claim '" + path + "' does not equal " + value,
                      "require_mismatch");
      }
    }
    return Ok{};
  } catch (...) {
    return fail(ErrorCode::kPolicyDenied, "access check failed", "internal");  // fail closed
  }
}

}  // namespace oidc_sysauth
