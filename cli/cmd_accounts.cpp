// oidc-sysauth accounts list | show | add | remove | disable | enable
#include <ctime>

#include "commands.hpp"
#include "store/account_store.hpp"

namespace oidc_sysauth::cli {
namespace {

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ",") + s;
  return out;
}

std::string date_of(std::int64_t unix_seconds) {
  return unix_seconds <= 0 ? "-" : format_utc(unix_seconds, false);
}

nlohmann::json record_json(const AccountRecord& r) {
  return {{"name", r.name},         {"uid", r.uid},           {"gid", r.gid},
          {"display_name", r.display_name}, {"home", r.home}, {"shell", r.shell},
          {"groups", r.groups},     {"idp_groups", r.idp_groups}, {"issuer", r.issuer},
          {"subject", r.subject},   {"created", r.created},   {"last_login", r.last_login},
          {"disabled", r.disabled}, {"removed", r.removed}};
}

std::string state_of(const AccountRecord& r) {
  if (r.removed) return "removed (uid reserved)";
  return r.disabled ? "disabled" : "active";
}

int list_accounts(AccountStore& store, Output& out) {
  auto records = store.list();
  if (!records) {
    out.error(records.error().detail);
    return exit_code_for(records.error());
  }
  nlohmann::json all = nlohmann::json::array();
  char header[160];
  std::snprintf(header, sizeof header, "%-20s %10s  %-10s  %-22s %s", "NAME", "UID", "LAST LOGIN", "STATE", "GROUPS");
  out.line(header);
  for (const auto& r : *records) {
    all.push_back(record_json(r));
    char row[512];
    std::snprintf(row, sizeof row, "%-20s %10u  %-10s  %-22s %s", r.name.c_str(), r.uid, date_of(r.last_login).c_str(),
                  state_of(r).c_str(), join(r.groups).c_str());
    out.line(row);
  }
  out.emit_json(all);
  return kExitOk;
}

int show_account(AccountStore& store, const std::string& name, Output& out) {
  auto r = store.find_by_name(name);
  if (!r) {
    out.error("no shadow account named '" + name + "'");
    return kExitRejected;
  }
  out.emit_json(record_json(*r));
  out.line("name:         " + r->name);
  out.line("uid/gid:      " + std::to_string(r->uid) + "/" + std::to_string(r->gid));
  out.line("display name: " + r->display_name);
  out.line("home, shell:  " + r->home + ", " + r->shell);
  out.line("groups:       " + join(r->groups));
  out.line("IdP groups:   " + join(r->idp_groups));
  out.line("identity:     " + r->issuer + " / " + r->subject);
  out.line("created:      " + date_of(r->created) + ", last login " + date_of(r->last_login));
  out.line("state:        " + state_of(*r));
  return kExitOk;
}

int add_account(AccountStore& store, const Config& config, const AccountsOptions& o, Output& out) {
  if (o.subject.empty()) {
    out.error("accounts add needs --subject SUB (the user's `sub` at the IdP), or run `oidc-sysauth login " + o.name +
              " --apply` to look the user up through a real login");
    return kExitUsage;
  }
  Identity id;
  id.issuer = config.idp.issuer;
  id.subject = o.subject;
  id.idp_username = o.name;
  id.local_name = o.name;
  id.display_name = o.name;
  id.source = "cli";
  auto r = store.upsert(id);
  if (!r) {
    out.error("cannot add '" + o.name + "': " + r.error().detail);
    return exit_code_for(r.error());
  }
  out.line("added " + r->name + " with uid " + std::to_string(r->uid) + " (groups follow at the first login)");
  out.emit_json(record_json(*r));
  return kExitOk;
}

int change_account(AccountStore& store, const AccountsOptions& o, Output& out) {
  Result<Ok> done = o.action == "remove" ? store.remove(o.name, o.forget)
                                          : store.set_disabled(o.name, o.action == "disable");
  if (!done) {
    out.error(o.action + " " + o.name + ": " + done.error().detail);
    return exit_code_for(done.error()) == kExitUsage ? kExitUsage : kExitRejected;
  }
  std::string what = o.action == "remove" ? (o.forget ? "removed; its uid is released" : "removed; its uid stays reserved")
                                          : o.action + "d";
  out.line(o.name + ": " + what);
  out.emit_json({{"name", o.name}, {"action", o.action}, {"forget", o.forget}});
  return kExitOk;
}

}  // namespace

int run_accounts(const GlobalOptions& g, const AccountsOptions& o, Output& out) {
  if (o.action != "list" && o.name.empty()) {
    out.error("accounts " + o.action + " needs a NAME");
    return kExitUsage;
  }
  auto config = load_config_for_cli(g, out);
  if (!config) return kExitUsage;
  SystemClock clock;
  auto store = AccountStore::open(*config, clock);
  if (!store) {
    out.error("cannot open the account store in " + config->accounts.state_dir + ": " + store.error().detail);
    return kExitUsage;
  }
  if (o.action == "list") return list_accounts(**store, out);
  if (o.action == "show") return show_account(**store, o.name, out);
  if (o.action == "add") return add_account(**store, *config, o, out);
  return change_account(**store, o, out);
}

}  // namespace oidc_sysauth::cli
