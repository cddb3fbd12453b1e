// oidc-sysauth token verify | inspect
#include <ctime>
#include <fstream>
#include <iostream>
#include <sstream>

#include "auth/authenticator.hpp"
#include "commands.hpp"
#include "jose/jwt.hpp"

namespace oidc_sysauth::cli {
namespace {

std::string format_time(std::int64_t unix_seconds) { return format_utc(unix_seconds, true); }

nlohmann::json identity_json(const Identity& id) {
  return {{"issuer", id.issuer},         {"subject", id.subject},
          {"idp_username", id.idp_username}, {"local_name", id.local_name},
          {"display_name", id.display_name}, {"idp_groups", id.idp_groups},
          {"local_groups", id.local_groups}, {"extra_groups", id.extra_groups},
          {"expires_at", id.expires_at},     {"source", id.source}};
}

int report_rejection(const Error& e, Output& out) {
  const std::string reason = e.reason.empty() ? std::string(error_code_name(e.code)) : e.reason;
  if (out.json()) {
    out.emit_json({{"valid", false}, {"reason", reason}, {"detail", e.detail}});
  } else {
    out.line("rejected: " + reason + (e.detail.empty() ? "" : " (" + e.detail + ")"));
  }
  return exit_code_for(e);
}

int verify_offline(const GlobalOptions& g, const TokenOptions& o, const std::string& token, Output& out) {
  if (o.issuer.empty()) {
    out.error("--jwks needs --issuer (and usually --audience)");
    return kExitUsage;
  }
  std::ifstream in(o.jwks_file);
  if (!in) {
    out.error("cannot read " + o.jwks_file);
    return kExitUsage;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  auto keys = JwkSet::parse(ss.str());
  if (!keys) {
    out.error(o.jwks_file + ": not a usable JWKS: " + keys.error().detail);
    return kExitUsage;
  }
  JwtPolicy policy;
  policy.issuer = o.issuer;
  if (!o.audience.empty()) policy.audiences = {o.audience};
  policy.algorithms = IdpConfig{}.algorithms;
  (void)g;
  SystemClock clock;
  auto verified = verify_jwt(token, *keys, policy, clock);
  if (!verified) return report_rejection(verified.error(), out);
  if (out.json()) {
    out.emit_json({{"valid", true}, {"alg", verified->alg}, {"kid", verified->kid}, {"claims", verified->claims}});
  } else {
    out.line("valid: signature " + verified->alg + " (kid " + verified->kid + "), expires " +
             format_time(verified->exp));
    out.line(verified->claims.dump(2));
  }
  return kExitOk;
}

}  // namespace

int run_token_verify(const GlobalOptions& g, const TokenOptions& o, Output& out) {
  Secret token(read_token_argument(o.token));
  if (token.empty()) {
    out.error("no token given");
    return kExitUsage;
  }
  if (!o.jwks_file.empty()) return verify_offline(g, o, std::string(token.expose()), out);

  auto config = load_config_for_cli(g, out);
  if (!config) return kExitUsage;
  int rc = kExitOk;
  auto core = CliCore::open(*config, g.verbose, out, rc);
  if (!core) return rc;
  auto identity = core->context().verify_bearer(token.expose());
  if (!identity) return report_rejection(identity.error(), out);
  nlohmann::json result = {{"valid", true}, {"identity", identity_json(*identity)}, {"claims", identity->claims}};
  if (!o.service.empty()) {
    auto access = check_access(*config, *identity, o.service);
    result["access"] = {{"service", o.service}, {"allowed", access.has_value()}};
    if (!access) {
      result["access"]["reason"] = access.error().detail;
      rc = kExitRejected;
    }
  }
  if (out.json()) {
    out.emit_json(result);
  } else {
    out.line("valid: " + identity->issuer + " subject " + identity->subject + " → local account " +
             identity->local_name);
    if (identity->expires_at > 0) out.line("expires: " + format_time(identity->expires_at));
    if (result.contains("access"))
      out.line("access to " + o.service + ": " +
               (rc == kExitOk ? std::string("allowed") : "denied (" + result["access"]["reason"].get<std::string>() + ")"));
    out.line(identity->claims.dump(2));
  }
  return rc;
}

int run_token_inspect(const GlobalOptions&, const TokenOptions& o, Output& out) {
  Secret token(read_token_argument(o.token));
  auto decoded = decode_jwt_unverified(token.expose());
  if (!decoded) {
    out.error("not a decodable JWT: " + decoded.error().detail);
    return kExitRejected;
  }
  std::cerr << "WARNING: decoded WITHOUT verifying the signature, issuer, audience or expiry.\n"
               "         Nothing shown here can be trusted; use `oidc-sysauth token verify`.\n";
  if (out.json()) {
    out.emit_json({{"verified", false}, {"header", decoded->header}, {"claims", decoded->claims}});
    return kExitOk;
  }
  out.line("header (NOT VERIFIED):");
  out.line(decoded->header.dump(2));
  out.line("claims (NOT VERIFIED):");
  out.line(decoded->claims.dump(2));
  if (auto exp = decoded->claims.find("exp"); exp != decoded->claims.end() && exp->is_number_integer())
    out.line("exp: " + format_time(exp->get<std::int64_t>()));
  return kExitOk;
}

}  // namespace oidc_sysauth::cli
