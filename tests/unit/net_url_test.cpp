#include <gtest/gtest.h>

#include "net/url.hpp"

namespace oidc_sysauth {
namespace {

TEST(UrlTest, ParsesHostPortPath) {
  auto u = parse_url("https://Login.Example.com:8443/realms/corp?x=1");
  ASSERT_TRUE(u) << u.error().detail;
  EXPECT_EQ(u->scheme, "https");
  EXPECT_EQ(u->host, "login.example.com");
  EXPECT_EQ(u->port, 8443);
  EXPECT_EQ(u->path_and_query, "/realms/corp?x=1");
  auto v6 = parse_url("http://[::1]:9000");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 9000);
  EXPECT_EQ(v6->path_and_query, "/");
}

TEST(UrlTest, RefusesDangerousShapes) {
  for (const char* bad : {"ftp://x/", "https://user:pw@host/", "https://127.0.0.1@evil.com/", "https://host/a b",
                          "https://host/#frag", "https://:443/", "https://host:0/", "https://host:99999/",
                          "https://[::1/", "//host/", "https://host\n/", "https://host:12ab/"}) {
    EXPECT_FALSE(parse_url(bad)) << bad;
  }
}

TEST(UrlTest, LoopbackHostsOnly) {
  for (const char* yes : {"127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost", "LOCALHOST"})
    EXPECT_TRUE(is_loopback_host(yes)) << yes;
  for (const char* no : {"128.0.0.1", "127.1", "0x7f.0.0.1", "localhost.example.com", "10.0.0.1", "::2",
                         "127.0.0.1.nip.io", "", "::ffff:127.0.0.1"})
    EXPECT_FALSE(is_loopback_host(no)) << no;
}

TEST(UrlTest, HttpOnlyWhenAllowedAndLoopback) {
  EXPECT_TRUE(check_endpoint_url("https://idp.example.com/x", false));
  auto refused = check_endpoint_url("http://127.0.0.1:8080/x", false);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kMisconfigured);
  EXPECT_EQ(refused.error().reason, "insecure_url");
  EXPECT_TRUE(check_endpoint_url("http://127.0.0.1:8080/x", true));
  EXPECT_TRUE(check_endpoint_url("http://localhost:8080/x", true));
  auto remote = check_endpoint_url("http://idp.example.com/x", true);
  ASSERT_FALSE(remote);
  EXPECT_EQ(remote.error().reason, "insecure_url");
}

TEST(UrlTest, PercentEncodeKeepsOnlyUnreserved) {
  EXPECT_EQ(percent_encode("alice@example.com"), "alice%40example.com");
  EXPECT_EQ(percent_encode("a&b=c d/.."), "a%26b%3Dc%20d%2F..");
}

}  // namespace
}  // namespace oidc_sysauth
