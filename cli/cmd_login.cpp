// oidc-sysauth login USER: a real login through the core, exactly as PAM does it,
// then what it would mean on this host. Writes nothing unless --apply.
#include <set>

#include "auth/authenticator.hpp"
#include "commands.hpp"
#include "present/qr_presenter.hpp"
#include "store/account_store.hpp"
#include "terminal_conversation.hpp"

namespace oidc_sysauth::cli {
namespace {

// The services whose decision we show: the one asked for, the usual ones, and every
// [service:*] the config names.
std::vector<std::string> services_to_show(const Config& config, const std::string& asked) {
  std::set<std::string> names = {asked, "sshd", "sudo", "login"};
  for (const auto& [name, _] : config.services) names.insert(name);
  return {names.begin(), names.end()};
}

nlohmann::json access_decisions(const Config& config, const Identity& id, const std::string& asked, Output& out) {
  nlohmann::json decisions = nlohmann::json::object();
  for (const auto& service : services_to_show(config, asked)) {
    auto access = check_access(config, id, service);
    decisions[service] = access ? "allowed" : "denied: " + access.error().detail;
    out.line("  " + service + ": " + decisions[service].get<std::string>());
  }
  return decisions;
}

}  // namespace

int run_login(const GlobalOptions& g, const LoginOptions& o, Output& out) {
  auto config = load_config_for_cli(g, out);
  if (!config) return kExitUsage;
  QrDevicePresenter presenter(terminal_shows_qr());  // outlives the context
  int rc = kExitOk;
  auto core = CliCore::open(*config, g.verbose, out, rc, &presenter);
  if (!core) return rc;
  OidcContext& context = core->context();
  TerminalConversation conversation(o.password_stdin);
  LoginRequest request;
  request.login_name = o.user;
  request.service = o.service;
  request.token_login = o.token;
  // The device grant asks for no password here: the person signs in in the browser.
  auto choice = context.effective_grant(o.service);
  if (!o.token && choice && choice->grant == GrantType::kDevice) {
    out.line("grant: device (" + choice->reason + ")");
  } else {
    // With --password-stdin the first line of standard input is the password, unprompted.
    auto password =
        conversation.prompt_hidden(o.password_stdin ? "" : o.token ? "Token: " : "Password for " + o.user + ": ");
    if (!password) {
      out.error(password.error().detail);
      return kExitUsage;
    }
    request.password = std::move(*password);
  }
  auto identity = context.login(request, conversation);
  if (!identity) {
    const auto& e = identity.error();
    if (out.json()) out.emit_json({{"authenticated", false}, {"reason", error_code_name(e.code)}, {"detail", e.detail}});
    else out.line(std::string("login refused: ") + error_code_name(e.code) + (e.detail.empty() ? "" : ": " + e.detail));
    return exit_code_for(e);
  }
  const Identity& id = *identity;
  out.line("authenticated: " + id.idp_username + " (issuer " + id.issuer + ", subject " + id.subject + ")");
  out.line("local account: " + id.local_name);
  std::string groups;
  for (const auto& grp : id.local_groups) groups += (groups.empty() ? "" : ",") + grp;
  for (const auto& grp : id.extra_groups) groups += (groups.empty() ? "" : ",") + grp;
  out.line("local groups:  " + (groups.empty() ? std::string("(none)") : groups));

  nlohmann::json result = {{"authenticated", true},         {"issuer", id.issuer},
                           {"subject", id.subject},         {"local_name", id.local_name},
                           {"local_groups", id.local_groups}, {"idp_groups", id.idp_groups}};
  SystemClock clock;
  auto store = AccountStore::open(*config, clock);
  if (store) {
    auto existing = (*store)->find_by_subject(id.issuer, id.subject);
    if (o.apply) {
      auto record = (*store)->upsert(id);
      if (!record) {
        out.error("could not write the account: " + record.error().detail);
        return exit_code_for(record.error());
      }
      result["uid"] = record->uid;
      out.line("uid:           " + std::to_string(record->uid) + " (written to the store)");
    } else if (existing) {
      result["uid"] = existing->uid;
      out.line("uid:           " + std::to_string(existing->uid) + " (existing account; nothing written)");
    } else if (auto uid = (*store)->predict_uid(id.local_name)) {
      result["uid"] = *uid;
      out.line("uid:           " + std::to_string(*uid) + " (would be created; nothing written without --apply)");
    }
  } else {
    out.line("uid:           unknown (" + store.error().detail + ")");
  }
  out.line("access:");
  result["access"] = access_decisions(*config, id, o.service, out);
  out.emit_json(result);
  return kExitOk;
}

}  // namespace oidc_sysauth::cli
