#include "auth/identity_builder.hpp"

#include <algorithm>

#include "auth/authenticator.hpp"
#include "auth/claims.hpp"
#include "jose/json_fields.hpp"
#include "names.hpp"

namespace oidc_sysauth {
namespace {

constexpr std::size_t kMaxSubjectBytes = 255;

bool printable(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](unsigned char c) { return c >= 0x20 && c != 0x7f; });
}

void map_groups(const Config& config, Identity& id) {
  for (const auto& group : id.idp_groups) {
    bool mapped = false;
    for (const auto& [idp_group, local_group] : config.accounts.group_map) {
      if (idp_group != group) continue;
      mapped = true;
      if (std::find(id.local_groups.begin(), id.local_groups.end(), local_group) == id.local_groups.end())
        id.local_groups.push_back(local_group);
    }
    if (mapped || config.accounts.unmapped_groups != UnmappedGroups::kPrefix) continue;
    std::string name = config.accounts.group_prefix + group;
    // Only names that are valid as they stand: no case folding, so two IdP groups can
    // never collapse onto one local group.
    if (is_valid_posix_name(name) && !is_reserved_name(name) &&
        std::find(id.extra_groups.begin(), id.extra_groups.end(), name) == id.extra_groups.end())
      id.extra_groups.push_back(std::move(name));
  }
}

Result<std::optional<std::uint32_t>> uid_hint(const Config& config, const nlohmann::json& claims) {
  if (config.claims.uid.empty()) return std::optional<std::uint32_t>();
  const nlohmann::json* value = find_claim(claims, config.claims.uid);
  if (value == nullptr) return std::optional<std::uint32_t>();
  std::int64_t uid = -1;
  if (value->is_string()) {
    const auto& s = value->get_ref<const std::string&>();
    if (s.empty() || s.size() > 10 || !std::all_of(s.begin(), s.end(), [](unsigned char c) { return c >= '0' && c <= '9'; }))
      return fail(ErrorCode::kPolicyDenied, "uid claim is not a number", "uid_out_of_range");
    uid = std::stoll(s);
  } else {
    auto n = as_int64(*value, "uid claim", 0, 0xFFFFFFFFLL);
    if (!n) return fail(ErrorCode::kPolicyDenied, n.error().detail, "uid_out_of_range");
    uid = *n;
  }
  if (uid < config.accounts.uid_min || uid > config.accounts.uid_max)
    return fail(ErrorCode::kPolicyDenied,
                "uid claim " + std::to_string(uid) + " outside [accounts] uid_min..uid_max", "uid_out_of_range");
  return std::optional<std::uint32_t>(static_cast<std::uint32_t>(uid));
}

Result<Ok> issuer_and_subject(const IdentityInput& in, Identity& id) {
  if (in.issuer_from_claims) {
    auto iss = claim_string(in.claims, "iss");
    if (!iss || iss->empty()) return fail(ErrorCode::kBadResponse, "no issuer in the claims", "missing_claim");
    if (*iss != in.expected_issuer) return fail(ErrorCode::kTokenInvalid, "claims name another issuer", "wrong_issuer");
    id.issuer = std::move(*iss);
  } else {
    id.issuer = in.expected_issuer;
  }
  auto sub = claim_string(in.claims, "sub");
  if (!sub || sub->empty() || sub->size() > kMaxSubjectBytes || !printable(*sub))
    return fail(ErrorCode::kBadResponse, "no usable subject in the claims", "missing_claim");
  id.subject = std::move(*sub);
  return Ok{};
}

}  // namespace

void merge_claims_under(nlohmann::json& base, const nlohmann::json& extra) {
  if (!base.is_object() || !extra.is_object()) return;
  for (const auto& [key, value] : extra.items()) {
    if (!base.contains(key)) base[key] = value;
  }
}

Result<Identity> build_identity(const Config& config, IdentityInput in) {
  if (!in.claims.is_object()) return fail(ErrorCode::kBadResponse, "claims are not an object", "bad_claims");
  Identity id;
  if (auto r = issuer_and_subject(in, id); !r) return std::unexpected(r.error());
  auto username = claim_string(in.claims, config.claims.username);
  if (!username || username->empty())
    return fail(ErrorCode::kMisconfigured, "username claim '" + config.claims.username + "' missing or not a string",
                "missing_claim");
  auto local = local_name_for_login(config, *username);
  if (!local) return std::unexpected(local.error());
  if (is_reserved_name(*local))
    return fail(ErrorCode::kUserUnknown, "IdP user maps onto reserved local name '" + *local + "'", "reserved_name");
  id.idp_username = std::move(*username);
  id.local_name = std::move(*local);
  id.display_name = claim_string(in.claims, config.claims.display_name).value_or("");
  collect_groups(in.claims, config.claims.groups, id.idp_groups);
  map_groups(config, id);
  auto uid = uid_hint(config, in.claims);
  if (!uid) return std::unexpected(uid.error());
  id.uid_hint = *uid;
  id.expires_at = in.expires_at;
  id.source = std::move(in.source);
  id.claims = std::move(in.claims);
  return id;
}

}  // namespace oidc_sysauth
