// The OAUTHBEARER / XOAUTH2 message parsers and builders (sasl/*_message.cpp).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "oauthbearer_message.hpp"
#include "xoauth2_message.hpp"

namespace oidc_sysauth::sasl {
namespace {

using namespace std::string_literals;

const std::string kJwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln";

std::string reason_of(std::string_view msg) {
  auto r = parse_oauthbearer_client(msg);
  EXPECT_FALSE(r.has_value());
  if (r) return "parsed";
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  return r.error().reason;
}

std::string x_reason_of(std::string_view msg) {
  auto r = parse_xoauth2_client(msg);
  EXPECT_FALSE(r.has_value());
  if (r) return "parsed";
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  return r.error().reason;
}

TEST(OauthBearerParse, FullMessage) {
  auto r = parse_oauthbearer_client(
      "n,a=alice,\x01host=mail.example\x01port=587\x01"
      "auth=Bearer "s +
      kJwt + "\x01\x01");
  ASSERT_TRUE(r.has_value()) << r.error().detail;
  EXPECT_EQ(r->authzid, "alice");
  EXPECT_EQ(r->host, "mail.example");
  ASSERT_TRUE(r->port.has_value());
  EXPECT_EQ(*r->port, 587);
  EXPECT_EQ(r->token.expose(), kJwt);
  EXPECT_FALSE(r->client_supports_binding);
}

TEST(OauthBearerParse, MinimalMessageWithoutAuthzid) {
  auto r = parse_oauthbearer_client(
      "n,,\x01"
      "auth=Bearer abc\x01\x01"s);
  ASSERT_TRUE(r.has_value()) << r.error().detail;
  EXPECT_EQ(r->authzid, "");
  EXPECT_EQ(r->host, "");
  EXPECT_FALSE(r->port.has_value());
  EXPECT_EQ(r->token.expose(), "abc");
}

TEST(OauthBearerParse, SchemeIsCaseInsensitiveAndSpacesAllowed) {
  for (const char* scheme : {"bearer", "BEARER", "BeArEr"}) {
    auto r = parse_oauthbearer_client(
        "n,,\x01"
        "auth="s +
        scheme + "   tok~+/.-_==\x01\x01");
    ASSERT_TRUE(r.has_value()) << scheme;
    EXPECT_EQ(r->token.expose(), "tok~+/.-_==");
  }
}

TEST(OauthBearerParse, AuthzidUnescaping) {
  auto r = parse_oauthbearer_client(
      "n,a=a=2Cb=3Dc,\x01"
      "auth=Bearer t\x01\x01"s);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->authzid, "a,b=c");
  EXPECT_EQ(reason_of("n,a=a=2cb,\x01"
                      "auth=Bearer t\x01\x01"s),
            "bad_authzid");  // escapes are upper case
  EXPECT_EQ(reason_of("n,a=a=b,\x01"
                      "auth=Bearer t\x01\x01"s),
            "bad_authzid");
  EXPECT_EQ(reason_of("n,a=ab=,\x01"
                      "auth=Bearer t\x01\x01"s),
            "bad_authzid");
  EXPECT_EQ(reason_of("n,a=ab=3,\x01"
                      "auth=Bearer t\x01\x01"s),
            "bad_authzid");
  EXPECT_EQ(reason_of("n,a=,\x01"
                      "auth=Bearer t\x01\x01"s),
            "bad_authzid");
  EXPECT_EQ(reason_of("n,a=al\0ce,\x01"
                      "auth=Bearer t\x01\x01"s),
            "bad_authzid");
  EXPECT_EQ(reason_of("n,a=alice\nFAKE LOG LINE,\x01"
                      "auth=Bearer t\x01\x01"s),
            "bad_authzid");
  EXPECT_EQ(reason_of("n,a=al\x7f"
                      "ce,\x01"
                      "auth=Bearer t\x01\x01"s),
            "bad_authzid");
  auto utf8 = parse_oauthbearer_client(
      "n,a=Zo\xc3\xab,\x01"
      "auth=Bearer t\x01\x01"s);
  ASSERT_TRUE(utf8.has_value());
  EXPECT_EQ(utf8->authzid, "Zo\xc3\xab");
}

TEST(OauthBearerParse, ChannelBindingFlags) {
  auto y = parse_oauthbearer_client(
      "y,,\x01"
      "auth=Bearer t\x01\x01"s);
  ASSERT_TRUE(y.has_value());
  EXPECT_TRUE(y->client_supports_binding);
  EXPECT_EQ(reason_of("p=tls-unique,,\x01"
                      "auth=Bearer t\x01\x01"s),
            "channel_binding");
  EXPECT_EQ(reason_of("p,,\x01"
                      "auth=Bearer t\x01\x01"s),
            "channel_binding");
  EXPECT_EQ(reason_of("x,,\x01"
                      "auth=Bearer t\x01\x01"s),
            "bad_gs2_header");
  EXPECT_EQ(reason_of("N,,\x01"
                      "auth=Bearer t\x01\x01"s),
            "bad_gs2_header");
  EXPECT_EQ(reason_of("n"), "bad_gs2_header");
  EXPECT_EQ(reason_of(""), "bad_gs2_header");
  EXPECT_EQ(reason_of("n,a=alice"), "bad_gs2_header");
  EXPECT_EQ(reason_of("n,b=alice,\x01"
                      "auth=Bearer t\x01\x01"s),
            "bad_gs2_header");
  EXPECT_EQ(reason_of("n,,auth=Bearer t\x01\x01"s), "bad_gs2_header");  // no kvsep after the header
  EXPECT_EQ(reason_of("n,,"), "bad_gs2_header");
}

TEST(OauthBearerParse, KvpairMalformations) {
  EXPECT_EQ(reason_of("n,,\x01"s), "bad_kvpair");  // no terminator
  EXPECT_EQ(reason_of("n,,\x01"
                      "auth=Bearer t"s),
            "bad_kvpair");  // unterminated pair
  EXPECT_EQ(reason_of("n,,\x01"
                      "auth=Bearer t\x01"s),
            "bad_kvpair");  // no final kvsep
  EXPECT_EQ(reason_of("n,,\x01=x\x01"
                      "auth=Bearer t\x01\x01"s),
            "bad_kvpair");  // empty key
  EXPECT_EQ(reason_of("n,,\x01noequals\x01\x01"s), "bad_kvpair");
  EXPECT_EQ(reason_of("n,,\x01ho5t=x\x01"
                      "auth=Bearer t\x01\x01"s),
            "bad_kvpair");
  EXPECT_EQ(reason_of("n,,\x01host=a\x02\x01"
                      "auth=Bearer t\x01\x01"s),
            "bad_value");
  EXPECT_EQ(reason_of("n,,\x01"
                      "auth=Bearer t\x01host=a\x01host=b\x01\x01"s),
            "duplicate_key");
  EXPECT_EQ(reason_of("n,,\x01"
                      "auth=Bearer t\x01"
                      "auth=Bearer u\x01\x01"s),
            "duplicate_key");
  EXPECT_EQ(reason_of("n,,\x01"
                      "auth=Bearer t\x01\x01x"s),
            "trailing_data");
  EXPECT_EQ(reason_of("n,,\x01"
                      "auth=Bearer t\x01\x01\x01"s),
            "trailing_data");
  EXPECT_EQ(reason_of("n,,\x01host=x\x01\x01"s), "missing_auth");
  EXPECT_EQ(reason_of("n,,\x01\x01"s), "missing_auth");
}

TEST(OauthBearerParse, UnknownKeysIgnoredButCounted) {
  auto ok = parse_oauthbearer_client(
      "n,,\x01mfa=yes\x01"
      "auth=Bearer t\x01\x01"s);
  ASSERT_TRUE(ok.has_value());
  std::string many = "n,,\x01";
  for (int i = 0; i < 20; ++i) many += "k" + std::string(static_cast<std::size_t>(i + 1), 'a') + "=v\x01";
  many += "auth=Bearer t\x01\x01";
  EXPECT_EQ(reason_of(many), "bad_kvpair");
}

TEST(OauthBearerParse, PortRange) {
  EXPECT_EQ(reason_of("n,,\x01port=0\x01"
                      "auth=Bearer t\x01\x01"s),
            "bad_port");
  EXPECT_EQ(reason_of("n,,\x01port=65536\x01"
                      "auth=Bearer t\x01\x01"s),
            "bad_port");
  EXPECT_EQ(reason_of("n,,\x01port=-1\x01"
                      "auth=Bearer t\x01\x01"s),
            "bad_port");
  EXPECT_EQ(reason_of("n,,\x01port=12a\x01"
                      "auth=Bearer t\x01\x01"s),
            "bad_port");
  EXPECT_EQ(reason_of("n,,\x01port=\x01"
                      "auth=Bearer t\x01\x01"s),
            "bad_port");
  EXPECT_EQ(reason_of("n,,\x01port=000025\x01"
                      "auth=Bearer t\x01\x01"s),
            "bad_port");
  auto r = parse_oauthbearer_client(
      "n,,\x01port=65535\x01"
      "auth=Bearer t\x01\x01"s);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(*r->port, 65535);
}

TEST(OauthBearerParse, AuthValueMalformations) {
  EXPECT_EQ(reason_of("n,,\x01"
                      "auth=Basic dXNlcg==\x01\x01"s),
            "bad_auth_scheme");
  EXPECT_EQ(reason_of("n,,\x01"
                      "auth=Bearer\x01\x01"s),
            "bad_auth_scheme");
  EXPECT_EQ(reason_of("n,,\x01"
                      "auth=Bearertok\x01\x01"s),
            "bad_auth_scheme");
  EXPECT_EQ(reason_of("n,,\x01"
                      "auth=Bearer \x01\x01"s),
            "bad_token");
  EXPECT_EQ(reason_of("n,,\x01"
                      "auth=Bearer a b\x01\x01"s),
            "bad_token");
  EXPECT_EQ(reason_of("n,,\x01"
                      "auth=Bearer a=b\x01\x01"s),
            "bad_token");
  EXPECT_EQ(reason_of("n,,\x01"
                      "auth=Bearer ===\x01\x01"s),
            "bad_token");
  EXPECT_EQ(reason_of("n,,\x01"
                      "auth=Bearer tok \x01\x01"s),
            "bad_token");
  EXPECT_EQ(reason_of("n,,\x01"
                      "auth=Bearer tok\r\n\x01\x01"s),
            "bad_token");
}

TEST(OauthBearerParse, EmbeddedNulIsNeverATerminator) {
  // Without length-based parsing, "t\0garbage" would look like a clean token "t".
  EXPECT_EQ(reason_of("n,,\x01"
                      "auth=Bearer t\0x\x01\x01"s),
            "bad_value");
  EXPECT_EQ(reason_of("n,,\x01"
                      "auth=Bearer t\x01\x01\0"s),
            "trailing_data");
  EXPECT_EQ(reason_of("n,,\0\x01"
                      "auth=Bearer t\x01\x01"s),
            "bad_gs2_header");
  EXPECT_EQ(reason_of("\0,,\x01"
                      "auth=Bearer t\x01\x01"s),
            "bad_gs2_header");
  EXPECT_EQ(reason_of("n,,\x01h\0st=x\x01"
                      "auth=Bearer t\x01\x01"s),
            "bad_kvpair");
}

TEST(OauthBearerParse, HugeInputsAreRefusedOrBounded) {
  std::string huge =
      "n,,\x01"
      "auth=Bearer " +
      std::string(kMaxClientMessage, 'a') + "\x01\x01";
  EXPECT_EQ(reason_of(huge), "too_large");
  std::string big_ok =
      "n,,\x01"
      "auth=Bearer " +
      std::string(16 * 1024, 'a') + "\x01\x01";
  auto r = parse_oauthbearer_client(big_ok);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->token.size(), 16u * 1024);
  std::string commas(kMaxClientMessage, ',');
  EXPECT_EQ(reason_of(commas), "bad_gs2_header");
  std::string seps = "n,,\x01" + std::string(kMaxClientMessage - 8, '\x01');
  EXPECT_EQ(reason_of(seps), "trailing_data");
}

TEST(OauthBearerParse, ErrorAck) {
  EXPECT_TRUE(is_oauthbearer_error_ack("\x01"));
  EXPECT_FALSE(is_oauthbearer_error_ack(""));
  EXPECT_FALSE(is_oauthbearer_error_ack("\x01\x01"));
  EXPECT_FALSE(is_oauthbearer_error_ack("x"));
}

TEST(OauthBearerBuild, RoundTrip) {
  auto m = build_oauthbearer_client("a,b=c", "mail.example", 465, kJwt);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->expose(),
            "n,a=a=2Cb=3Dc,\x01host=mail.example\x01port=465\x01"
            "auth=Bearer "s +
                kJwt + "\x01\x01");
  auto r = parse_oauthbearer_client(m->expose());
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->authzid, "a,b=c");
  EXPECT_EQ(r->token.expose(), kJwt);
  auto minimal = build_oauthbearer_client("", "", std::nullopt, "t");
  ASSERT_TRUE(minimal.has_value());
  EXPECT_EQ(minimal->expose(),
            "n,,\x01"
            "auth=Bearer t\x01\x01"s);
}

TEST(OauthBearerBuild, RefusesWhatTheServerCouldNotParse) {
  EXPECT_FALSE(build_oauthbearer_client("", "", std::nullopt, "a b").has_value());
  EXPECT_FALSE(build_oauthbearer_client("", "", std::nullopt, "").has_value());
  EXPECT_FALSE(build_oauthbearer_client("", "h\x01", std::nullopt, "t").has_value());
  EXPECT_FALSE(build_oauthbearer_client("a\0b"s, "", std::nullopt, "t").has_value());
}

TEST(OauthBearerBuild, ErrorChallengeShape) {
  auto text =
      build_oauthbearer_error("invalid_token", "openid email", "https://idp.example/.well-known/openid-configuration");
  EXPECT_EQ(text, R"({"status":"invalid_token","scope":"openid email",)"
                  R"("openid-configuration":"https://idp.example/.well-known/openid-configuration"})");
  EXPECT_EQ(build_oauthbearer_error("invalid_token", "", ""), R"({"status":"invalid_token"})");
  auto parsed = nlohmann::json::parse(build_oauthbearer_error("invalid_token", "a\"b\\c", ""), nullptr, false);
  ASSERT_FALSE(parsed.is_discarded());
  EXPECT_EQ(parsed["scope"], "a\"b\\c");
}

TEST(Xoauth2Parse, Valid) {
  auto r = parse_xoauth2_client(
      "user=alice@example.com\x01"
      "auth=Bearer "s +
      kJwt + "\x01\x01");
  ASSERT_TRUE(r.has_value()) << r.error().detail;
  EXPECT_EQ(r->user, "alice@example.com");
  EXPECT_EQ(r->token.expose(), kJwt);
  auto reversed = parse_xoauth2_client("auth=bearer t\x01user=bob\x01\x01"s);
  ASSERT_TRUE(reversed.has_value());
  EXPECT_EQ(reversed->user, "bob");
}

TEST(Xoauth2Parse, Malformations) {
  EXPECT_EQ(x_reason_of(""), "bad_kvpair");
  EXPECT_EQ(x_reason_of("user=alice\x01"
                        "auth=Bearer t\x01"s),
            "bad_kvpair");
  EXPECT_EQ(x_reason_of("user=alice\x01"
                        "auth=Bearer t"s),
            "bad_kvpair");
  EXPECT_EQ(x_reason_of("\x01"s), "missing_user");
  EXPECT_EQ(x_reason_of("auth=Bearer t\x01\x01"s), "missing_user");
  EXPECT_EQ(x_reason_of("user=\x01"
                        "auth=Bearer t\x01\x01"s),
            "missing_user");
  EXPECT_EQ(x_reason_of("user=alice\x01\x01"s), "missing_auth");
  EXPECT_EQ(x_reason_of("user=alice\x01"
                        "auth=Basic x\x01\x01"s),
            "bad_auth_scheme");
  EXPECT_EQ(x_reason_of("user=alice\x01"
                        "auth=Bearer a b\x01\x01"s),
            "bad_token");
  EXPECT_EQ(x_reason_of("user=alice\x01user=bob\x01"
                        "auth=Bearer t\x01\x01"s),
            "duplicate_key");
  EXPECT_EQ(x_reason_of("user=al\0ice\x01"
                        "auth=Bearer t\x01\x01"s),
            "bad_value");
  EXPECT_EQ(x_reason_of("user=alice\r\nX\x01"
                        "auth=Bearer t\x01\x01"s),
            "bad_value");
  EXPECT_EQ(x_reason_of("user=alice\x01"
                        "auth=Bearer t\x01\x01zz"s),
            "trailing_data");
  EXPECT_EQ(x_reason_of("n,,\x01user=alice\x01"
                        "auth=Bearer t\x01\x01"s),
            "bad_kvpair");  // OAUTHBEARER framing
  EXPECT_EQ(x_reason_of(std::string(kMaxClientMessage + 1, 'u')), "too_large");
}

TEST(Xoauth2Build, RoundTripAndError) {
  auto m = build_xoauth2_client("alice", "tok.en");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->expose(),
            "user=alice\x01"
            "auth=Bearer tok.en\x01\x01"s);
  auto r = parse_xoauth2_client(m->expose());
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->user, "alice");
  EXPECT_FALSE(build_xoauth2_client("", "t").has_value());
  EXPECT_FALSE(build_xoauth2_client("al\x01ice", "t").has_value());
  EXPECT_FALSE(build_xoauth2_client("alice", "t t").has_value());
  EXPECT_EQ(build_xoauth2_error("https://mail.google.com/"),
            R"({"status":"401","schemes":"bearer","scope":"https://mail.google.com/"})");
  EXPECT_EQ(build_xoauth2_error(""), R"({"status":"401","schemes":"bearer"})");
}

TEST(BearerCredentials, Shared) {
  auto t = parse_bearer_credentials("Bearer abc");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(*t, "abc");
  EXPECT_FALSE(parse_bearer_credentials("").has_value());
  EXPECT_FALSE(parse_bearer_credentials("Bearer").has_value());
  EXPECT_FALSE(parse_bearer_credentials(" Bearer abc").has_value());
  EXPECT_TRUE(is_b64token("a=="));
  EXPECT_FALSE(is_b64token("=a"));
  EXPECT_FALSE(is_b64token(""));
}

// The scans run 16 bytes at a time with a scalar tail: every byte class must be decided the
// same in either part, at every position, for every byte value.
TEST(BearerCredentials, EveryByteAtEveryPositionOfTheBlockedScans) {
  const std::string allowed_b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/";
  for (std::size_t len : {1u, 15u, 16u, 17u, 33u, 47u}) {
    for (std::size_t pos = 0; pos < len; ++pos) {
      for (int byte = 0; byte < 256; ++byte) {
        const char c = static_cast<char>(byte);
        std::string token(len, 'a');
        token[pos] = c;
        const bool b64 = allowed_b64.find(c) != std::string::npos || (c == '=' && pos == len - 1 && len > 1);
        ASSERT_EQ(is_b64token(token), b64) << "byte " << byte << " at " << pos << " of " << len;
        // A kvpair value: VCHAR / SP / HTAB / CR / LF and bytes >= 0x80, never \x01 (the separator).
        if (c == kKvSep) continue;
        const bool value = (byte >= 0x20 && byte != 0x7f) || c == '\t' || c == '\r' || c == '\n';
        const std::string body = "host=" + token + "\x01\x01";
        ASSERT_EQ(parse_kvpairs(body).has_value(), value) << "byte " << byte << " at " << pos << " of " << len;
      }
    }
  }
}

TEST(OauthBearerParse, ViewsPointIntoTheMessage) {
  const std::string msg = "n,a=al=2Cice,\x01host=h\x01port=25\x01" "auth=Bearer " + kJwt + "\x01\x01";
  auto v = parse_oauthbearer_client_view(msg);
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->authzid, "al,ice");
  EXPECT_EQ(v->host, "h");
  EXPECT_EQ(v->port, 25);
  EXPECT_EQ(v->token, kJwt);
  EXPECT_GE(v->token.data(), msg.data());
  EXPECT_LE(v->token.data() + v->token.size(), msg.data() + msg.size());
  const std::string xmsg = "user=bob\x01" "auth=Bearer " + kJwt + "\x01\x01";
  auto x = parse_xoauth2_client_view(xmsg);
  ASSERT_TRUE(x.has_value());
  EXPECT_EQ(x->user, "bob");
  EXPECT_EQ(x->token, kJwt);
}

}  // namespace
}  // namespace oidc_sysauth::sasl
