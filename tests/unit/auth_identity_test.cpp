// Claim paths on every shape, identity building, and the fail-closed access policy.
#include <gtest/gtest.h>

#include "auth/authenticator.hpp"
#include "auth/claims.hpp"
#include "auth/identity_builder.hpp"

namespace oidc_sysauth {
namespace {

using nlohmann::json;
using Strings = std::vector<std::string>;

TEST(ClaimPathTest, AllShapes) {
  json c = json::parse(R"({
    "groups": ["admin", "staff", 7, null],
    "roles": "a b,c,, d",
    "single": "solo",
    "realm_access": {"roles": ["r1", "r2"]},
    "resource_access": {"linux-hosts": {"roles": ["x"]}},
    "https://example.com/roles": ["url-role"],
    "urn:zitadel:iam:org:project:roles": {"zadmin": {"1": "org"}, "zuser": {}},
    "num": 5
  })");
  EXPECT_EQ(claim_strings(c, "groups"), (Strings{"admin", "staff"}));
  EXPECT_EQ(claim_strings(c, "roles"), (Strings{"a", "b", "c", "d"}));
  EXPECT_EQ(claim_strings(c, "single"), (Strings{"solo"}));
  EXPECT_EQ(claim_strings(c, "realm_access.roles"), (Strings{"r1", "r2"}));
  EXPECT_EQ(claim_strings(c, "resource_access.linux-hosts.roles"), (Strings{"x"}));
  EXPECT_EQ(claim_strings(c, "https://example.com/roles"), (Strings{"url-role"}));
  EXPECT_EQ(claim_strings(c, "urn:zitadel:iam:org:project:roles"), (Strings{"zadmin", "zuser"}));
  EXPECT_TRUE(claim_strings(c, "num").empty());
  EXPECT_TRUE(claim_strings(c, "missing.path").empty());
  EXPECT_TRUE(claim_strings(c, "realm_access.nope").empty());
  EXPECT_TRUE(claim_strings(c, "").empty());
  EXPECT_EQ(claim_string(c, "single"), "solo");
  EXPECT_FALSE(claim_string(c, "groups"));
}

TEST(ClaimPathTest, CollectGroupsFlattensAndDedupes) {
  json c = json::parse(R"({"groups": ["admin","staff"], "roles": "staff ops", "realm_access": {"roles": ["admin","x"]}})");
  Strings out;
  collect_groups(c, {"groups", "roles", "realm_access.roles"}, out);
  EXPECT_EQ(out, (Strings{"admin", "staff", "ops", "x"}));
}

TEST(ClaimPathTest, HostileDocumentsStayBounded) {
  json c = json::object();
  json* node = &c;
  for (int i = 0; i < 40; ++i) node = &((*node)["a"] = json::object());
  std::string path = "a";
  for (int i = 0; i < 39; ++i) path += ".a";
  EXPECT_EQ(find_claim(c, path), nullptr);  // deeper than kMaxClaimPathSegments
  Strings out;
  json many = {{"groups", json::array()}};
  for (int i = 0; i < 5000; ++i) many["groups"].push_back("g" + std::to_string(i));
  collect_groups(many, {"groups"}, out);
  EXPECT_EQ(out.size(), kMaxGroups);
}

Config test_config() {
  Config c;
  c.idp.issuer = "https://idp";
  c.idp.client_id = "linux-hosts";
  c.accounts.group_map = {{"admin", "sudo"}, {"staff", "users"}, {"admin", "adm"}};
  return c;
}

IdentityInput input(json claims) {
  IdentityInput in;
  in.claims = std::move(claims);
  in.expected_issuer = "https://idp";
  in.source = "password";
  return in;
}

json alice() {
  return json{{"iss", "https://idp"}, {"sub", "s-1"}, {"preferred_username", "alice"}, {"name", "Alice L"},
              {"groups", {"admin", "devs"}}, {"email_verified", true}, {"amr", {"pwd", "otp"}}};
}

TEST(IdentityBuilderTest, BuildsAndMapsGroups) {
  auto id = build_identity(test_config(), input(alice()));
  ASSERT_TRUE(id) << id.error().detail;
  EXPECT_EQ(id->issuer, "https://idp");
  EXPECT_EQ(id->subject, "s-1");
  EXPECT_EQ(id->local_name, "alice");
  EXPECT_EQ(id->display_name, "Alice L");
  EXPECT_EQ(id->idp_groups, (Strings{"admin", "devs"}));
  EXPECT_EQ(id->local_groups, (Strings{"sudo", "adm"}));
  EXPECT_TRUE(id->extra_groups.empty());
  Config prefix = test_config();
  prefix.accounts.unmapped_groups = UnmappedGroups::kPrefix;
  prefix.accounts.group_prefix = "idp-";
  json c = alice();
  c["groups"] = {"admin", "devs", "Bad Name", "ops"};
  auto p = build_identity(prefix, input(c));
  ASSERT_TRUE(p);
  EXPECT_EQ(p->extra_groups, (Strings{"idp-devs", "idp-ops"}));
}

TEST(IdentityBuilderTest, LoginSuffixIsStripped) {
  Config c = test_config();
  c.idp.login_suffix = "@example.com";
  json claims = alice();
  claims["preferred_username"] = "alice@example.com";
  auto id = build_identity(c, input(claims));
  ASSERT_TRUE(id);
  EXPECT_EQ(id->local_name, "alice");
  EXPECT_EQ(id->idp_username, "alice@example.com");
}

TEST(IdentityBuilderTest, RefusesBadNamesAndMissingParts) {
  for (const char* name : {"root", "Mallory", "../evil", "a/b", "Zoë", "daemon"}) {
    json c = alice();
    c["preferred_username"] = name;
    auto id = build_identity(test_config(), input(c));
    ASSERT_FALSE(id) << name;
    EXPECT_EQ(id.error().code, ErrorCode::kUserUnknown) << name;
  }
  json long_name = alice();
  long_name["preferred_username"] = std::string(300, 'x');
  EXPECT_EQ(build_identity(test_config(), input(long_name)).error().code, ErrorCode::kUserUnknown);
  json no_sub = alice();
  no_sub.erase("sub");
  EXPECT_EQ(build_identity(test_config(), input(no_sub)).error().code, ErrorCode::kBadResponse);
  json no_iss = alice();
  no_iss.erase("iss");
  EXPECT_FALSE(build_identity(test_config(), input(no_iss)));
  json other_iss = alice();
  other_iss["iss"] = "https://evil";
  EXPECT_EQ(build_identity(test_config(), input(other_iss)).error().reason, "wrong_issuer");
  json no_user = alice();
  no_user.erase("preferred_username");
  EXPECT_EQ(build_identity(test_config(), input(no_user)).error().code, ErrorCode::kMisconfigured);
}

TEST(IdentityBuilderTest, UidHintIsRangeChecked) {
  Config c = test_config();
  c.claims.uid = "uid";
  json claims = alice();
  claims["uid"] = 250001;
  auto ok = build_identity(c, input(claims));
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->uid_hint, 250001u);
  claims["uid"] = "250002";
  EXPECT_EQ(build_identity(c, input(claims))->uid_hint, 250002u);
  for (json bad : {json(0), json(1000), json(-1), json(1e300), json("12x"), json(4294967296LL), json(2.5)}) {
    claims["uid"] = bad;
    auto r = build_identity(c, input(claims));
    ASSERT_FALSE(r) << bad.dump();
    EXPECT_EQ(r.error().reason, "uid_out_of_range") << bad.dump();
  }
  claims.erase("uid");
  EXPECT_FALSE(build_identity(c, input(claims))->uid_hint);
}

TEST(IdentityBuilderTest, ExplicitIssuerForManagementApiIdentities) {
  json c = alice();
  c.erase("iss");
  IdentityInput in = input(c);
  in.issuer_from_claims = false;
  auto id = build_identity(test_config(), in);
  ASSERT_TRUE(id);
  EXPECT_EQ(id->issuer, "https://idp");
}

Identity alice_identity() { return *build_identity(test_config(), input(alice())); }

TEST(PolicyTest, EmptyPolicyAllowsAnyAuthenticatedUser) {
  EXPECT_TRUE(check_access(test_config(), alice_identity(), "sshd"));
}

TEST(PolicyTest, AllowedGroupsPerService) {
  Config c = test_config();
  c.access.allowed_groups = Strings{"staff", "devs"};
  c.services["sudo"].allowed_groups = Strings{"wheel"};
  EXPECT_TRUE(check_access(c, alice_identity(), "sshd"));
  auto denied = check_access(c, alice_identity(), "sudo");
  ASSERT_FALSE(denied);
  EXPECT_EQ(denied.error().code, ErrorCode::kPolicyDenied);
  EXPECT_EQ(denied.error().reason, "not_in_allowed_groups");
  // Matched against IdP names, not mapped local names: "sudo" is alice's local group only.
  c.services["sudo"].allowed_groups = Strings{"sudo"};
  EXPECT_FALSE(check_access(c, alice_identity(), "sudo"));
  c.services["sudo"].allowed_groups = Strings{"ADMIN"};
  EXPECT_FALSE(check_access(c, alice_identity(), "sudo"));  // case matters
}

TEST(PolicyTest, RequireClaimsFailClosed) {
  Config c = test_config();
  using Req = std::vector<std::pair<std::string, std::string>>;
  c.access.require = Req{{"email_verified", "true"}};
  EXPECT_TRUE(check_access(c, alice_identity(), "x"));
  c.access.require = Req{{"email_verified", "\"true\""}};
  EXPECT_FALSE(check_access(c, alice_identity(), "x"));  // the string is not the boolean
  c.access.require = Req{{"missing_claim", "true"}};
  EXPECT_EQ(check_access(c, alice_identity(), "x").error().reason, "require_missing");
  c.access.require = Req{{"amr", "\"otp\""}};
  EXPECT_TRUE(check_access(c, alice_identity(), "x"));
  c.access.require = Req{{"amr", "\"hwk\""}};
  EXPECT_FALSE(check_access(c, alice_identity(), "x"));
  c.access.require = Req{{"name", "Alice L"}};  // not JSON: compared as a string
  EXPECT_TRUE(check_access(c, alice_identity(), "x"));
  c.access.require = Req{{"email_verified", "true"}, {"name", "Bob"}};
  EXPECT_FALSE(check_access(c, alice_identity(), "x"));
}

TEST(PolicyTest, IncompleteOrForeignIdentityIsRefused) {
  Identity id = alice_identity();
  id.subject.clear();
  EXPECT_FALSE(check_access(test_config(), id, "x"));
  id = alice_identity();
  id.issuer = "https://other";
  EXPECT_FALSE(check_access(test_config(), id, "x"));
  EXPECT_FALSE(check_access(test_config(), Identity{}, "x"));
}

}  // namespace
}  // namespace oidc_sysauth
