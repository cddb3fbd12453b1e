// libFuzzer target: hostile claims → the local identity (common/auth/identity_builder.cpp,
// claims.cpp, policy.cpp, names.cpp). The IdP (or whoever controls a claim) picks the
// username, groups and uid: whatever comes out must be a valid POSIX name that is never a
// reserved one, with a uid inside [uid_min, uid_max]. The raw input is also tried as a
// login name typed at the prompt and as a claim path.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "auth/authenticator.hpp"
#include "auth/claims.hpp"
#include "auth/identity_builder.hpp"
#include "jose/json_fields.hpp"
#include "names.hpp"

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

constexpr std::string_view kIssuer = "https://idp.example.com";

oidc_sysauth::Config fuzz_config(bool with_suffix) {
  oidc_sysauth::Config c;
  c.idp.issuer = std::string(kIssuer);
  c.idp.client_id = "host";
  c.claims.uid = "uid";
  c.claims.groups = {"groups", "roles", "realm_access.roles", "https://x/roles"};
  c.accounts.uid_min = 200000;
  c.accounts.uid_max = 300000;
  c.accounts.group_map = {{"admins", "sudo"}, {"staff", "staff"}};
  c.accounts.unmapped_groups = oidc_sysauth::UnmappedGroups::kPrefix;
  if (with_suffix) c.idp.login_suffix = "@corp.example";
  return c;
}

void check_local_name(const std::string& name) {
  check(oidc_sysauth::is_valid_posix_name(name));
  check(!oidc_sysauth::is_reserved_name(name));
  check(name.size() <= 32);
  for (char ch : name) check(ch != '/' && ch != ':' && ch != '\n' && ch != '\0' && ch != '.');
}

void try_login_name(std::string_view input) {
  using namespace oidc_sysauth;
  for (bool suffix : {false, true}) {
    // Reserved names pass this step (build_identity and the login flow refuse them).
    auto local = local_name_for_login(fuzz_config(suffix), input);
    if (local) check(is_valid_posix_name(*local) && local->find_first_of("/:.\n") == std::string::npos);
  }
  if (is_valid_posix_name(input)) check(input.size() <= 32 && !input.empty());
}

void try_claims(const nlohmann::json& claims, std::string_view raw_path) {
  using namespace oidc_sysauth;
  (void)find_claim(claims, raw_path);
  (void)claim_strings(claims, raw_path);
  for (bool suffix : {false, true}) {
    IdentityInput in;
    in.claims = claims;
    in.expected_issuer = std::string(kIssuer);
    in.source = "fuzz";
    const Config config = fuzz_config(suffix);
    auto id = build_identity(config, std::move(in));
    if (!id) continue;
    check(id->issuer == kIssuer);
    check(!id->subject.empty());
    check_local_name(id->local_name);
    if (id->uid_hint) check(*id->uid_hint >= 200000 && *id->uid_hint <= 300000);
    check(id->idp_groups.size() <= kMaxGroups);
    for (const auto& g : id->extra_groups) check(is_valid_posix_name(g));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  try_login_name(input);
  auto doc = oidc_sysauth::parse_json_object(input, oidc_sysauth::JsonLimits{64 * 1024, 16});
  if (doc) {
    // The issuer is forced so the fuzzer reaches the name/uid/group mapping.
    if (!doc->contains("iss")) (*doc)["iss"] = std::string(kIssuer);
    try_claims(*doc, input.substr(0, 64));
  }
  return 0;
}
