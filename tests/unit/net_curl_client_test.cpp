// The libcurl client's refusals that need no server: every one happens before a connection.
#include <gtest/gtest.h>

#include <cstdlib>

#include "net/curl_http_client.hpp"

namespace oidc_sysauth {
namespace {

Result<HttpResponse> get(bool allow_http, const std::string& url) {
  HttpClientOptions o;
  o.allow_http_loopback = allow_http;
  o.timeout_seconds = 1;
  auto client = make_curl_http_client(o);
  if (!client) return std::unexpected(client.error());
  HttpRequest r;
  r.url = url;
  return (*client)->perform(r);
}

TEST(CurlClientTest, RefusesInsecureOrOddUrlsBeforeConnecting) {
  EXPECT_EQ(get(false, "http://127.0.0.1:9/x").error().reason, "insecure_url");
  EXPECT_EQ(get(true, "http://192.0.2.1/x").error().reason, "insecure_url");
  EXPECT_EQ(get(true, "http://localhost.example.com/x").error().reason, "insecure_url");
  EXPECT_EQ(get(true, "ftp://127.0.0.1/x").error().reason, "insecure_url");
  EXPECT_EQ(get(true, "file:///etc/passwd").error().code, ErrorCode::kMisconfigured);
  EXPECT_EQ(get(false, "https://user:pw@127.0.0.1/x").error().reason, "bad_url");
  EXPECT_EQ(get(false, "not a url").error().code, ErrorCode::kMisconfigured);
}

TEST(CurlClientTest, NothingListeningIsUnavailable) {
  auto r = get(true, "http://127.0.0.1:9/x");  // discard port: connection refused
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kIdpUnavailable);
}

TEST(CurlClientTest, SslKeyLogFileRefused) {
  ::setenv("SSLKEYLOGFILE", "/tmp/oidc-unit-keylog", 1);
  auto client = make_curl_http_client({});
  ::unsetenv("SSLKEYLOGFILE");
  ASSERT_FALSE(client);
  EXPECT_EQ(client.error().reason, "environment");
}

}  // namespace
}  // namespace oidc_sysauth
