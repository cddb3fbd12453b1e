#include "xoauth2_message.hpp"

#include <nlohmann/json.hpp>

#include "oauthbearer_message.hpp"

namespace oidc_sysauth::sasl {
namespace {

std::unexpected<Error> bad(std::string detail, std::string reason) {
  return fail(ErrorCode::kInvalidArgument, std::move(detail), std::move(reason));
}

}  // namespace

Result<Xoauth2ClientView> parse_xoauth2_client_view(std::string_view message) {
  if (message.size() > kMaxClientMessage) return bad("client message too large", "too_large");
  auto pairs = parse_kvpairs(message);
  if (!pairs) return std::unexpected(pairs.error());
  Xoauth2ClientView out;
  bool have_user = false, have_auth = false;
  for (const auto& [key, value] : *pairs) {
    if (key == "user") {
      if (value.empty()) return bad("empty user", "missing_user");
      for (char c : value)  // kvpair values may hold CR/LF/TAB; a user name may not (it reaches logs)
        if (static_cast<unsigned char>(c) < 0x20) return bad("control byte in user", "bad_value");
      out.user = value;
      have_user = true;
    } else if (key == "auth") {
      auto token = parse_bearer_credentials(value);
      if (!token) return std::unexpected(token.error());
      out.token = *token;
      have_auth = true;
    }
  }
  if (!have_user) return bad("no user kvpair", "missing_user");
  if (!have_auth) return bad("no auth kvpair", "missing_auth");
  return out;
}

Result<Xoauth2ClientMessage> parse_xoauth2_client(std::string_view message) {
  auto view = parse_xoauth2_client_view(message);
  if (!view) return std::unexpected(view.error());
  Xoauth2ClientMessage out;
  out.user = std::string(view->user);
  out.token = Secret(view->token);
  return out;
}

Result<Secret> build_xoauth2_client(std::string_view user, std::string_view token) {
  if (!is_b64token(token)) return bad("token is not a b64token", "bad_token");
  if (user.empty()) return bad("empty user", "missing_user");
  for (char c : user)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return bad("control byte in user", "bad_value");
  std::string msg;
  msg.reserve(user.size() + token.size() + 32);  // no regrowth: no stray copies of the token
  msg += "user=";
  msg.append(user);
  msg += kKvSep;
  msg += "auth=Bearer ";
  msg.append(token);
  msg += kKvSep;
  msg += kKvSep;
  Secret out(msg);
  secure_zero(msg.data(), msg.size());
  return out;
}

std::string build_xoauth2_error(std::string_view scope) {
  nlohmann::ordered_json j;
  j["status"] = "401";
  j["schemes"] = "bearer";
  if (!scope.empty()) j["scope"] = std::string(scope);
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace oidc_sysauth::sasl
