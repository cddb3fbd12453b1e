// The libcurl implementation of HttpClient: the only code that includes <curl/curl.h>.
#pragma once

#include <memory>

#include "http.hpp"
#include "result.hpp"

namespace oidc_sysauth {

// One client per OidcContext. Thread-safe: concurrent perform() calls each borrow an easy
// handle from a small pool, and returned handles keep their live connections, so
// discovery, JWKS and token requests of one process reuse TLS sessions.
// Hardening (STYLE.md rule 7): https only (http only for loopback hosts when the options
// allow it), peer and host verification always on, no redirects, no proxy whatever the
// environment says, CA bundle set explicitly (CURL_CA_BUNDLE / SSL_CERT_FILE ignored),
// connect and total timeouts, response body and headers capped.
Result<std::unique_ptr<HttpClient>> make_curl_http_client(const HttpClientOptions& options);

}  // namespace oidc_sysauth
