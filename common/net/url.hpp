// A small, strict parser for the absolute http(s) URLs we fetch (issuer, endpoints).
// curl-free so discovery can validate endpoints; the libcurl client re-checks every URL
// with curl's own parser before connecting, so the two cannot disagree in curl's favour.
#pragma once

#include <string>
#include <string_view>

#include "result.hpp"

namespace oidc_sysauth {

struct ParsedUrl {
  std::string scheme;  // lower-cased: "https" or "http"
  std::string host;    // lower-cased; IPv6 without brackets
  int port = 0;        // explicit or the scheme's default
  std::string path_and_query;  // "/" when empty
};

// Refuses: other schemes, userinfo ("user@host"), fragments, whitespace and control
// characters, empty hosts, ports outside 1..65535. kMisconfigured with reason "bad_url".
Result<ParsedUrl> parse_url(std::string_view url);

// 127.0.0.0/8 in canonical dotted-quad form, ::1, or "localhost". Anything else
// (including "127.1", "0x7f.0.0.1" or "localhost.example") is not loopback.
bool is_loopback_host(std::string_view host) noexcept;

// https always; http only when allow_http and the host is loopback.
// kMisconfigured with reason "insecure_url" otherwise.
Result<Ok> check_endpoint_url(std::string_view url, bool allow_http);

}  // namespace oidc_sysauth

namespace oidc_sysauth {

// Percent-encodes everything but RFC 3986 unreserved characters (for a query value or a
// path segment).
std::string percent_encode(std::string_view value);

}  // namespace oidc_sysauth
