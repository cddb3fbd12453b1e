// XOAUTH2 (Google/Microsoft): "user=<u>\x01auth=Bearer <token>\x01\x01". No GS2 header,
// no authzid escaping; the error challenge is a JSON object answered by an empty response.
#pragma once

#include <string>
#include <string_view>

#include "result.hpp"
#include "secret.hpp"

namespace oidc_sysauth::sasl {

struct Xoauth2ClientMessage {
  std::string user;  // required
  Secret token;
};

// Parsed by length; NULs refused. Errors are kInvalidArgument with reason:
//   too_large, bad_kvpair, duplicate_key, bad_value, missing_user, missing_auth,
//   bad_auth_scheme, bad_token, trailing_data
Result<Xoauth2ClientMessage> parse_xoauth2_client(std::string_view message);

// The same parse with views into `message` (see parse_oauthbearer_client_view: the server
// never copies the token).
struct Xoauth2ClientView {
  std::string_view user;
  std::string_view token;
};
Result<Xoauth2ClientView> parse_xoauth2_client_view(std::string_view message);

// Refuses (kInvalidArgument) a user containing \x01 or NUL, or a token that is not a b64token.
Result<Secret> build_xoauth2_client(std::string_view user, std::string_view token);

// {"status":"401","schemes":"bearer","scope":"..."} (scope left out when empty).
std::string build_xoauth2_error(std::string_view scope);

}  // namespace oidc_sysauth::sasl
