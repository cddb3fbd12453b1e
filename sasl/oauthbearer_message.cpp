#include "oauthbearer_message.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <nlohmann/json.hpp>

namespace oidc_sysauth::sasl {
namespace {

std::unexpected<Error> bad(std::string detail, std::string reason) {
  return fail(ErrorCode::kInvalidArgument, std::move(detail), std::move(reason));
}

constexpr bool is_alpha(char c) noexcept { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }

// The byte classes are written once for T = unsigned char (a bool) and for T = Block, 16
// bytes at a time with GCC/Clang vector extensions (each lane 0 or -1): the token (~1 KB)
// is scanned twice on every exchange, and compilers will not vectorize these predicates
// on their own (they turn the == chains into 64-bit bit tests).
using Block = unsigned char __attribute__((vector_size(16)));

// Unary + turns a scalar comparison into an int (so | is plain arithmetic, not "bitwise on
// bools") and leaves a vector comparison's lanes as they are.
template <typename T>
constexpr auto in_range(T c, unsigned char lo, unsigned char n) noexcept {
  return +(static_cast<T>(c - lo) < n);
}
template <typename T>
constexpr auto is(T c, char x) noexcept {
  return +(c == x);
}

// RFC 7628 value = *(VCHAR / SP / HTAB / CR / LF); bytes >= 0x80 let UTF-8 host names through.
template <typename T>
constexpr auto value_class(T c) noexcept {
  return in_range(c, 0x20, 0x5f) | in_range(c, 0x80, 0x80) | is(c, '\t') | is(c, '\r') | is(c, '\n');
}
constexpr bool is_value_byte(unsigned char c) noexcept { return value_class(c) != 0; }

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

// saslname = 1*(UTF8-char-safe / "=2C" / "=3D"): no NUL, no ',', '=' only in the two escapes.
Result<std::string> unescape_saslname(std::string_view name) {
  if (name.empty()) return bad("empty authzid", "bad_authzid");
  std::string out;
  out.reserve(name.size());
  for (std::size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    // Controls (newlines included) have no place in a user name and would reach logs.
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return bad("control byte in authzid", "bad_authzid");
    if (c != '=') {
      out.push_back(c);
      continue;
    }
    std::string_view esc = name.substr(i + 1, 2);
    if (esc == "2C")
      out.push_back(',');
    else if (esc == "3D")
      out.push_back('=');
    else
      return bad("bad escape in authzid", "bad_authzid");
    i += 2;
  }
  return out;
}

std::string escape_saslname(std::string_view name) {
  std::string out;
  for (char c : name) {
    if (c == ',')
      out += "=2C";
    else if (c == '=')
      out += "=3D";
    else
      out.push_back(c);
  }
  return out;
}

Result<std::uint16_t> parse_port(std::string_view v) {
  unsigned value = 0;
  if (v.empty() || v.size() > 5) return bad("bad port", "bad_port");
  auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), value);
  if (ec != std::errc() || ptr != v.data() + v.size() || value == 0 || value > 65535)
    return bad("bad port", "bad_port");
  return static_cast<std::uint16_t>(value);
}

struct Gs2Header {
  std::string authzid;
  bool flag_y = false;
  std::size_t length = 0;  // bytes consumed, including the trailing ','
};

// gs2-header = gs2-cb-flag "," [ "a=" saslname ] ","
Result<Gs2Header> parse_gs2_header(std::string_view m) {
  Gs2Header h;
  if (m.empty()) return bad("empty message", "bad_gs2_header");
  if (m[0] == 'p') return bad("client requires channel binding, which OAUTHBEARER does not offer", "channel_binding");
  if ((m[0] != 'n' && m[0] != 'y') || m.size() < 2 || m[1] != ',') return bad("bad GS2 flag", "bad_gs2_header");
  h.flag_y = m[0] == 'y';
  std::size_t end = m.find(',', 2);
  if (end == std::string_view::npos) return bad("unterminated GS2 header", "bad_gs2_header");
  std::string_view authz = m.substr(2, end - 2);
  if (!authz.empty()) {
    if (authz.size() < 2 || authz[0] != 'a' || authz[1] != '=') return bad("bad GS2 authzid field", "bad_gs2_header");
    auto name = unescape_saslname(authz.substr(2));
    if (!name) return std::unexpected(name.error());
    h.authzid = std::move(*name);
  }
  h.length = end + 1;
  return h;
}

}  // namespace

namespace {
// b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=" (RFC 6750).
template <typename T>
constexpr auto b64token_class(T c) noexcept {
  return in_range(c, 'a', 26) | in_range(c, 'A', 26) | in_range(c, '0', 10) | in_range(c, '-', 3) /* - . / */ |
         is(c, '+') | is(c, '_') | is(c, '~');
}

// True when every byte of `s` is in the class: 16 bytes per step, no early exit.
template <typename Class>
bool all_bytes(std::string_view s, Class in_class) noexcept {
  Block bad{};
  std::size_t i = 0;
  for (; i + sizeof(Block) <= s.size(); i += sizeof(Block)) {
    Block b;
    std::memcpy(&b, s.data() + i, sizeof b);
    bad |= reinterpret_cast<Block>(~in_class(b));
  }
  bool good = true;
  for (; i < s.size(); ++i) good &= in_class(static_cast<unsigned char>(s[i])) != 0;
  std::uint64_t halves[2];
  std::memcpy(halves, &bad, sizeof halves);
  return good && (halves[0] | halves[1]) == 0;
}
}  // namespace

bool is_b64token(std::string_view token) noexcept {
  std::size_t end = token.size();
  while (end > 0 && token[end - 1] == '=') --end;  // the trailing *"=" padding
  return end > 0 && all_bytes(token.substr(0, end), [](auto c) { return b64token_class(c); });
}

Result<std::string_view> parse_bearer_credentials(std::string_view auth_value) {
  constexpr std::string_view kScheme = "bearer";
  if (auth_value.size() < kScheme.size() + 1 || !iequals(auth_value.substr(0, kScheme.size()), kScheme) ||
      auth_value[kScheme.size()] != ' ')
    return bad("auth is not a Bearer credential", "bad_auth_scheme");
  std::string_view token = auth_value.substr(kScheme.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  if (!is_b64token(token)) return bad("bearer token is not a b64token", "bad_token");
  return token;
}

Result<KvPairs> parse_kvpairs(std::string_view body) {
  KvPairs pairs;
  pairs.reserve(4);  // host, port, auth (+1): one allocation instead of three
  while (true) {
    if (body.empty()) return bad("kvpairs not terminated by an empty pair", "bad_kvpair");
    if (body.front() == kKvSep) {
      if (body.size() != 1) return bad("bytes after the final kvsep", "trailing_data");
      return pairs;
    }
    std::size_t end = body.find(kKvSep);
    if (end == std::string_view::npos) return bad("unterminated kvpair", "bad_kvpair");
    std::string_view pair = body.substr(0, end);
    body.remove_prefix(end + 1);
    std::size_t eq = pair.find('=');
    if (eq == std::string_view::npos || eq == 0) return bad("kvpair without key", "bad_kvpair");
    std::string_view key = pair.substr(0, eq), value = pair.substr(eq + 1);
    for (char c : key)
      if (!is_alpha(c)) return bad("kvpair key is not alphabetic", "bad_kvpair");
    if (!all_bytes(value, [](auto c) { return value_class(c); })) return bad("control byte in kvpair value", "bad_value");
    for (const auto& [k, v] : pairs)
      if (k == key) return bad("duplicate key", "duplicate_key");
    if (pairs.size() == kMaxKvPairs) return bad("too many kvpairs", "bad_kvpair");
    pairs.emplace_back(key, value);
  }
}

Result<OauthBearerClientView> parse_oauthbearer_client_view(std::string_view message) {
  if (message.size() > kMaxClientMessage) return bad("client message too large", "too_large");
  auto header = parse_gs2_header(message);
  if (!header) return std::unexpected(header.error());
  std::string_view rest = message.substr(header->length);
  if (rest.empty() || rest.front() != kKvSep) return bad("no kvsep after the GS2 header", "bad_gs2_header");
  auto pairs = parse_kvpairs(rest.substr(1));
  if (!pairs) return std::unexpected(pairs.error());
  OauthBearerClientView out;
  out.authzid = std::move(header->authzid);
  out.client_supports_binding = header->flag_y;
  bool have_auth = false;
  for (const auto& [key, value] : *pairs) {
    if (key == "host") {
      out.host = value;
    } else if (key == "port") {
      auto port = parse_port(value);
      if (!port) return std::unexpected(port.error());
      out.port = *port;
    } else if (key == "auth") {
      auto token = parse_bearer_credentials(value);
      if (!token) return std::unexpected(token.error());
      out.token = *token;
      have_auth = true;
    }
    // Other keys are extensions (RFC 7628 section 3.1): ignored.
  }
  if (!have_auth) return bad("no auth kvpair", "missing_auth");
  return out;
}

Result<OauthBearerClientMessage> parse_oauthbearer_client(std::string_view message) {
  auto view = parse_oauthbearer_client_view(message);
  if (!view) return std::unexpected(view.error());
  OauthBearerClientMessage out;
  out.authzid = std::move(view->authzid);
  out.host = std::string(view->host);
  out.port = view->port;
  out.token = Secret(view->token);
  out.client_supports_binding = view->client_supports_binding;
  return out;
}

bool is_oauthbearer_error_ack(std::string_view message) noexcept { return message.size() == 1 && message[0] == kKvSep; }

Result<Secret> build_oauthbearer_client(std::string_view authzid, std::string_view host,
                                        std::optional<std::uint16_t> port, std::string_view token) {
  if (!is_b64token(token)) return bad("token is not a b64token", "bad_token");
  for (char c : authzid)
    // Controls (newlines included) have no place in a user name and would reach logs.
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return bad("control byte in authzid", "bad_authzid");
  for (char c : host)
    if (!is_value_byte(static_cast<unsigned char>(c))) return bad("control byte in host", "bad_value");
  std::string msg;
  msg.reserve(3 * authzid.size() + host.size() + token.size() + 64);  // no regrowth: no stray copies
  msg += "n,";
  if (!authzid.empty()) msg += "a=" + escape_saslname(authzid);
  msg += ',';
  msg += kKvSep;
  if (!host.empty()) (msg += "host=").append(host) += kKvSep;
  if (port && *port != 0) (msg += "port=" + std::to_string(*port)) += kKvSep;
  msg += "auth=Bearer ";
  msg.append(token);
  msg += kKvSep;
  msg += kKvSep;
  Secret out(msg);
  secure_zero(msg.data(), msg.size());
  return out;
}

std::string build_oauthbearer_error(std::string_view status, std::string_view scope,
                                    std::string_view openid_configuration) {
  nlohmann::ordered_json j;
  j["status"] = std::string(status);
  if (!scope.empty()) j["scope"] = std::string(scope);
  if (!openid_configuration.empty()) j["openid-configuration"] = std::string(openid_configuration);
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace oidc_sysauth::sasl
