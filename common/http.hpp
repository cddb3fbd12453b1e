// The HTTP seam. Only common/net/curl_http_client.cpp includes <curl/curl.h>;
// everything else talks to this interface so unit tests can use a fake.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "result.hpp"
#include "secret.hpp"

namespace oidc_sysauth {

struct HttpRequest {
  std::string method = "GET";  // GET or POST
  std::string url;
  std::vector<std::string> headers;  // "Accept: application/json"; never put secrets here
  Secret authorization;              // whole Authorization header value ("Basic ...", "Bearer ...")
  Secret body;                       // form body (may hold a password); sent as x-www-form-urlencoded
                                     // unless `headers` has its own Content-Type (Logto's JSON API)
  std::size_t max_response_bytes = 1 << 20;
};

struct HttpResponse {
  long status = 0;
  Secret body;  // may hold tokens: wiped on destruction
  std::map<std::string, std::string> headers;  // lower-cased names (cache-control, date, content-type)
};

struct HttpClientOptions {
  std::string ca_file;               // extra trusted CA bundle; empty: system store
  int timeout_seconds = 10;          // whole request
  int connect_timeout_seconds = 5;   // min(timeout, this)
  bool allow_http_loopback = false;  // permit http:// to 127.0.0.0/8, ::1, localhost only
};

class HttpClient {
 public:
  virtual ~HttpClient() = default;
  // Network/TLS/timeout/size problems → ErrorCode::kIdpUnavailable (detail says which).
  // A response of any status is a success here; callers classify the status.
  virtual Result<HttpResponse> perform(const HttpRequest& request) = 0;
};

// application/x-www-form-urlencoded, values escaped. Secret in, Secret out.
Secret form_encode(const std::vector<std::pair<std::string, Secret>>& fields);

}  // namespace oidc_sysauth
