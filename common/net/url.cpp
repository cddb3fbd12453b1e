#include "net/url.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>

namespace oidc_sysauth {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

auto bad_url(std::string_view why) {
  return fail(ErrorCode::kMisconfigured, "bad URL: " + std::string(why), "bad_url");
}

bool has_forbidden_char(std::string_view url) {
  return std::any_of(url.begin(), url.end(), [](unsigned char c) { return c <= 0x20 || c >= 0x7f; });
}

// Splits "host[:port]" or "[v6][:port]" and fills host/port.
Result<Ok> parse_authority(std::string_view authority, ParsedUrl& out) {
  if (authority.find('@') != std::string_view::npos) return bad_url("credentials in URL");
  std::string_view host = authority;
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos) return bad_url("unterminated IPv6 literal");
    host = authority.substr(1, close - 1);
    auto rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return bad_url("junk after IPv6 literal");
      port = rest.substr(1);
    }
    in6_addr addr{};
    if (inet_pton(AF_INET6, std::string(host).c_str(), &addr) != 1) return bad_url("bad IPv6 literal");
  } else {
    auto colon = authority.rfind(':');
    if (colon != std::string_view::npos) {
      host = authority.substr(0, colon);
      port = authority.substr(colon + 1);
    }
  }
  if (host.empty()) return bad_url("empty host");
  out.host = lower(host);
  if (port.empty()) return Ok{};
  if (port.size() > 5 || !std::all_of(port.begin(), port.end(), [](unsigned char c) { return std::isdigit(c); }))
    return bad_url("bad port");
  int value = 0;
  for (char c : port) value = value * 10 + (c - '0');
  if (value < 1 || value > 65535) return bad_url("port out of range");
  out.port = value;
  return Ok{};
}

}  // namespace

Result<ParsedUrl> parse_url(std::string_view url) {
  if (url.size() > 4096) return bad_url("too long");
  if (has_forbidden_char(url)) return bad_url("whitespace or control character");
  if (url.find('#') != std::string_view::npos) return bad_url("fragment");
  auto sep = url.find("://");
  if (sep == std::string_view::npos) return bad_url("not absolute");
  ParsedUrl out;
  out.scheme = lower(url.substr(0, sep));
  if (out.scheme != "https" && out.scheme != "http") return bad_url("scheme is not http(s)");
  out.port = out.scheme == "https" ? 443 : 80;
  auto rest = url.substr(sep + 3);
  auto path_start = rest.find_first_of("/?");
  auto authority = rest.substr(0, path_start);
  if (auto r = parse_authority(authority, out); !r) return std::unexpected(r.error());
  out.path_and_query = path_start == std::string_view::npos ? "/" : std::string(rest.substr(path_start));
  if (out.path_and_query.front() == '?') out.path_and_query.insert(0, "/");
  return out;
}

bool is_loopback_host(std::string_view host) noexcept {
  try {
    std::string h = lower(host);
    if (h.size() > 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
    if (h == "localhost") return true;
    in_addr v4{};
    if (inet_pton(AF_INET, h.c_str(), &v4) == 1) {
      // inet_pton only takes canonical dotted quads; check the first octet.
      return (ntohl(v4.s_addr) >> 24) == 127;
    }
    in6_addr v6{};
    if (inet_pton(AF_INET6, h.c_str(), &v6) == 1) {
      static const in6_addr kLoopback = IN6ADDR_LOOPBACK_INIT;
      return std::equal(std::begin(v6.s6_addr), std::end(v6.s6_addr), std::begin(kLoopback.s6_addr));
    }
    return false;
  } catch (...) {
    return false;
  }
}

Result<Ok> check_endpoint_url(std::string_view url, bool allow_http) {
  auto parsed = parse_url(url);
  if (!parsed) return std::unexpected(parsed.error());
  if (parsed->scheme == "https") return Ok{};
  if (!allow_http)
    return fail(ErrorCode::kMisconfigured, "http:// URL refused (allow_http is false): " + std::string(url),
                "insecure_url");
  if (!is_loopback_host(parsed->host))
    return fail(ErrorCode::kMisconfigured, "http:// URL refused: host is not loopback: " + std::string(url),
                "insecure_url");
  return Ok{};
}

}  // namespace oidc_sysauth

namespace oidc_sysauth {

std::string percent_encode(std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(value.size() * 3);
  for (unsigned char c : value) {
    if (std::isalnum(c) != 0 || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0x0F]);
    }
  }
  return out;
}

}  // namespace oidc_sysauth
