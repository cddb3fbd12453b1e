// Outcome classification (issue 2 §3) and the OAuth client's requests.
#include <gtest/gtest.h>

#include "fake_http.hpp"
#include "net/oauth_client.hpp"
#include "net/oauth_errors.hpp"

namespace oidc_sysauth {
namespace {

using fake::FakeHttpClient;

HttpResponse response(long status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = Secret(body);
  return r;
}

ErrorCode classify(long status, std::string body) { return classify_token_error(response(status, std::move(body))).code; }

TEST(ClassifyTest, CredentialsRefused) {
  EXPECT_EQ(classify(400, R"({"error":"invalid_grant","error_description":"Invalid user credentials"})"),
            ErrorCode::kCredentialsRefused);
  EXPECT_EQ(classify(401, R"({"error":"unauthorized"})"), ErrorCode::kCredentialsRefused);
  EXPECT_EQ(classify(401, ""), ErrorCode::kCredentialsRefused);
  EXPECT_EQ(classify(403, ""), ErrorCode::kCredentialsRefused);
  EXPECT_EQ(classify(403, "<html>Forbidden</html>"), ErrorCode::kCredentialsRefused);
  EXPECT_EQ(classify(400, R"({"error":"access_denied"})"), ErrorCode::kCredentialsRefused);
}

TEST(ClassifyTest, SecondFactorIsNeverSuccessNorPlainRefusal) {
  EXPECT_EQ(classify(400, R"({"error":"interaction_required"})"), ErrorCode::kSecondFactorRequired);
  EXPECT_EQ(classify(400, R"({"error":"mfa_required"})"), ErrorCode::kSecondFactorRequired);
  EXPECT_EQ(classify(400, R"({"error":"invalid_grant","error_description":"AADSTS50076: Due to a configuration change )"
                          R"(made by your administrator, you must use multi-factor authentication"})"),
            ErrorCode::kSecondFactorRequired);
  EXPECT_EQ(classify(400, R"({"error":"invalid_grant","error_description":"AADSTS50079: enrol MFA"})"),
            ErrorCode::kSecondFactorRequired);
  EXPECT_EQ(classify(403, R"({"error":"mfa_required"})"), ErrorCode::kSecondFactorRequired);
}

TEST(ClassifyTest, Misconfigured) {
  for (const char* e : {"invalid_client", "unauthorized_client", "unsupported_grant_type", "invalid_scope"}) {
    const std::string body = std::string(R"({"error":")") + e + "\"}";
    EXPECT_EQ(classify(400, body), ErrorCode::kMisconfigured) << e;
    EXPECT_EQ(classify_token_error(response(400, body)).reason, e);
  }
  EXPECT_EQ(classify(401, R"({"error":"invalid_client"})"), ErrorCode::kMisconfigured);
  EXPECT_EQ(classify(404, ""), ErrorCode::kMisconfigured);
}

TEST(ClassifyTest, UnavailableAndBadResponse) {
  EXPECT_EQ(classify(500, R"({"error":"server_error"})"), ErrorCode::kIdpUnavailable);
  EXPECT_EQ(classify(502, "<html>bad gateway</html>"), ErrorCode::kIdpUnavailable);
  EXPECT_EQ(classify(503, ""), ErrorCode::kIdpUnavailable);
  EXPECT_EQ(classify(429, ""), ErrorCode::kIdpUnavailable);
  EXPECT_EQ(classify(400, "garbage{"), ErrorCode::kBadResponse);
  EXPECT_EQ(classify(400, R"({"error":"invalid_request"})"), ErrorCode::kBadResponse);
  EXPECT_EQ(classify(302, ""), ErrorCode::kBadResponse);
  EXPECT_EQ(classify_token_error(response(302, "")).reason, "redirect");
}

TEST(ClassifyTest, ServerTextIsSanitizedInDetail) {
  auto e = classify_token_error(response(400, "{\"error\":\"invalid_grant\",\"error_description\":\"a\\nb\\u0007\"}"));
  EXPECT_EQ(e.detail.find('\n'), std::string::npos);
  EXPECT_EQ(e.detail.find('\a'), std::string::npos);
}

TEST(TokenResponseTest, ParsesAndValidates) {
  auto ok = parse_token_response(R"({"access_token":"at","id_token":"it","token_type":"bearer","expires_in":300})");
  ASSERT_TRUE(ok) << ok.error().detail;
  EXPECT_EQ(ok->access_token.expose(), "at");
  EXPECT_EQ(ok->id_token.expose(), "it");
  EXPECT_EQ(ok->expires_in, 300);
  for (const char* bad : {"", "[]", "not json", R"({"token_type":"Bearer"})", R"({"access_token":5})",
                          R"({"access_token":""})", R"({"access_token":"x","token_type":"DPoP"})",
                          R"({"access_token":"x","expires_in":"300"})", R"({"access_token":"x","expires_in":-1})",
                          R"({"access_token":"x","id_token":7})"}) {
    auto r = parse_token_response(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::kBadResponse) << bad;
  }
}

TEST(OAuthClientTest, PasswordGrantWithBasicAuthScopeResourceAndExtraField) {
  FakeHttpClient http;
  http.on("POST", "https://idp/token", FakeHttpClient::json(200, R"({"access_token":"a","token_type":"Bearer"})"));
  OAuthClient client(http, ClientCredentials{"linux hosts", Secret("s&cret:"), ClientAuth::kAuto});
  GrantParams params;
  params.scope = "openid profile";
  params.resource = "urn:x";
  params.extra.emplace_back("totp", Secret("123456"));
  auto r = client.password_grant("https://idp/token", "alice", Secret("p&ss=word+"), params);
  ASSERT_TRUE(r) << r.error().detail;
  auto req = http.last("POST", "https://idp/token");
  ASSERT_TRUE(req);
  EXPECT_EQ(req->body,
            "grant_type=password&username=alice&password=p%26ss%3Dword%2B&scope=openid%20profile&resource=urn%3Ax&"
            "totp=123456");
  // base64("linux%20hosts:s%26cret%3A")
  EXPECT_EQ(req->authorization, "Basic bGludXglMjBob3N0czpzJTI2Y3JldCUzQQ==");
}

TEST(OAuthClientTest, PostAndNoneClientAuth) {
  FakeHttpClient http;
  http.always("POST", "https://idp/token", FakeHttpClient::json(200, R"({"access_token":"a"})"));
  OAuthClient post(http, ClientCredentials{"c", Secret("s"), ClientAuth::kPost});
  ASSERT_TRUE(post.client_credentials("https://idp/token", {}));
  auto r1 = http.last("POST", "https://idp/token");
  EXPECT_EQ(r1->authorization, "");
  EXPECT_EQ(r1->body, "grant_type=client_credentials&client_id=c&client_secret=s");
  OAuthClient none(http, ClientCredentials{"pub", Secret(), ClientAuth::kAuto});
  ASSERT_TRUE(none.refresh("https://idp/token", Secret("rt"), {}));
  auto r2 = http.last("POST", "https://idp/token");
  EXPECT_EQ(r2->authorization, "");
  EXPECT_EQ(r2->body, "grant_type=refresh_token&refresh_token=rt&client_id=pub");
  OAuthClient broken(http, ClientCredentials{"c", Secret(), ClientAuth::kBasic});
  auto r3 = broken.client_credentials("https://idp/token", {});
  ASSERT_FALSE(r3);
  EXPECT_EQ(r3.error().code, ErrorCode::kMisconfigured);
}

TEST(OAuthClientTest, NetworkErrorsPassThroughAsUnavailable) {
  FakeHttpClient http;
  http.fail_with("POST", "https://idp/token", ErrorCode::kIdpUnavailable, "timeout");
  OAuthClient client(http, ClientCredentials{"c", Secret("s"), ClientAuth::kBasic});
  auto r = client.password_grant("https://idp/token", "alice", Secret("pw"), {});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kIdpUnavailable);
}

TEST(OAuthClientTest, IntrospectionAndUserinfoStatuses) {
  FakeHttpClient http;
  OAuthClient client(http, ClientCredentials{"c", Secret("s"), ClientAuth::kBasic});
  http.on("POST", "https://idp/introspect", FakeHttpClient::json(200, R"({"active":true,"sub":"x"})"));
  http.on("POST", "https://idp/introspect", FakeHttpClient::json(401, ""));
  http.on("POST", "https://idp/introspect", FakeHttpClient::json(503, ""));
  auto ok = client.introspect("https://idp/introspect", Secret("tok"));
  ASSERT_TRUE(ok);
  EXPECT_EQ((*ok)["sub"], "x");
  EXPECT_EQ(http.last("POST", "https://idp/introspect")->body, "token=tok&token_type_hint=access_token");
  EXPECT_EQ(client.introspect("https://idp/introspect", Secret("tok")).error().code, ErrorCode::kMisconfigured);
  EXPECT_EQ(client.introspect("https://idp/introspect", Secret("tok")).error().code, ErrorCode::kIdpUnavailable);

  http.on("GET", "https://idp/me", FakeHttpClient::json(200, R"({"sub":"x"})"));
  http.on("GET", "https://idp/me", FakeHttpClient::json(401, ""));
  http.on("GET", "https://idp/me", FakeHttpClient::json(200, "eyJ.not-json"));
  ASSERT_TRUE(client.userinfo("https://idp/me", Secret("at")));
  EXPECT_EQ(http.last("GET", "https://idp/me")->authorization, "Bearer at");
  EXPECT_EQ(client.userinfo("https://idp/me", Secret("at")).error().code, ErrorCode::kTokenInvalid);
  EXPECT_EQ(client.userinfo("https://idp/me", Secret("at")).error().code, ErrorCode::kBadResponse);
}

}  // namespace
}  // namespace oidc_sysauth
