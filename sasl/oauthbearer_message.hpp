// RFC 7628 OAUTHBEARER messages: the client's initial response, the server's error
// challenge, and the shared pieces XOAUTH2 reuses. Pure functions (no SASL, no I/O),
// so they are unit-tested and fuzzed on their own.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "result.hpp"
#include "secret.hpp"

namespace oidc_sysauth::sasl {

// The kvpair separator of RFC 7628 (and of XOAUTH2).
inline constexpr char kKvSep = '\x01';

// Larger client messages are refused before parsing: a JWT over 16 KiB is refused by the
// core anyway, and the rest of the message is a few short key/value pairs.
inline constexpr std::size_t kMaxClientMessage = 32 * 1024;

struct OauthBearerClientMessage {
  std::string authzid;                // a=..., unescaped (=2C → ',', =3D → '='), no control bytes; empty if absent
  std::string host;                   // host=..., empty if absent
  std::optional<std::uint16_t> port;  // port=...
  Secret token;                       // the b64token after "Bearer "
  bool client_supports_binding = false;  // gs2 flag 'y': fine, we never advertise channel binding
};

// Parses "n,a=user,\x01host=h\x01port=1\x01auth=Bearer T\x01\x01" by length; NULs anywhere
// are refused. Errors are kInvalidArgument with reason:
//   too_large, bad_gs2_header, channel_binding, bad_authzid, bad_kvpair, duplicate_key,
//   bad_value, bad_port, missing_auth, bad_auth_scheme, bad_token, trailing_data
Result<OauthBearerClientMessage> parse_oauthbearer_client(std::string_view message);

// The same parse with host and token as views into `message`: the server reads the token
// straight from libsasl's input buffer (the application's, which frees or wipes it), so
// our side never makes a copy of the token that would need wiping.
struct OauthBearerClientView {
  std::string authzid;  // unescaped, so a copy
  std::string_view host;
  std::optional<std::uint16_t> port;
  std::string_view token;
  bool client_supports_binding = false;
};
Result<OauthBearerClientView> parse_oauthbearer_client_view(std::string_view message);

// "key=value\x01...key=value\x01\x01": the kvpairs after the GS2 header (OAUTHBEARER) or the
// whole message (XOAUTH2). Keys are 1*ALPHA, values VCHAR/SP/HTAB/CR/LF (bytes >= 0x80 are
// allowed for UTF-8 hosts); duplicates, more than kMaxKvPairs pairs, or bytes after the
// final kvsep are refused. The views point into `body`.
inline constexpr std::size_t kMaxKvPairs = 16;
using KvPairs = std::vector<std::pair<std::string_view, std::string_view>>;
Result<KvPairs> parse_kvpairs(std::string_view body);

// The client's answer to an error challenge is exactly one kvsep.
[[nodiscard]] bool is_oauthbearer_error_ack(std::string_view message) noexcept;

// "Bearer <b64token>" (scheme case-insensitive, one or more spaces) → the token, or
// kInvalidArgument (bad_auth_scheme / bad_token). Shared with XOAUTH2.
Result<std::string_view> parse_bearer_credentials(std::string_view auth_value);

// RFC 6750 b64token: 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
[[nodiscard]] bool is_b64token(std::string_view token) noexcept;

// Builds the client's initial response. The authzid is escaped; host/port omitted when
// empty/absent. Refuses (kInvalidArgument) a token that is not a b64token, or a host with
// control characters, rather than sending something the server cannot parse.
Result<Secret> build_oauthbearer_client(std::string_view authzid, std::string_view host,
                                        std::optional<std::uint16_t> port, std::string_view token);

// {"status":"invalid_token","scope":"...","openid-configuration":"..."} in that order;
// scope and openid-configuration are left out when empty.
std::string build_oauthbearer_error(std::string_view status, std::string_view scope,
                                    std::string_view openid_configuration);

}  // namespace oidc_sysauth::sasl
