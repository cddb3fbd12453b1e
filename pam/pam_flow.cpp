#include "pam_flow.hpp"

#include <security/pam_modules.h>

#include <optional>
#include <string>
#include <utility>

#include "pam_codes.hpp"

namespace oidc_sysauth {

namespace {

constexpr std::string_view kFakePasswordPattern = "\b\n\r\177INCORRECT";

// The user is not one of ours: let pam_unix (or the next module) decide.
int not_ours(const PamArgs& args) { return args.ignore_unknown_user ? PAM_IGNORE : PAM_USER_UNKNOWN; }

void log_error(Logger& logger, LogLevel level, std::string_view what, const Error& error) {
  std::string line(what);
  line += ": ";
  line += error_code_name(error.code);
  if (!error.detail.empty()) line += ": " + error.detail;
  if (!error.reason.empty()) line += " (" + error.reason + ")";
  logger.log(level, line);
}

void debug(Logger& logger, std::string_view message) {
  if (logger.debug_enabled()) logger.log(LogLevel::kDebug, message);
}

// The guard that keeps this module from ever locking anyone out: root, every name in the
// local passwd file and every system account (uid < 1000 from any NSS source) belong to
// pam_unix, whatever our config or the IdP say. Runs before the config is even read.
bool is_local_account(FlowDeps& deps, Logger& logger, std::string_view name) {
  if (name.empty() || name == "root") return true;
  auto in_files = deps.in_local_files(name);
  if (!in_files) {
    // Cannot tell: treat as local. The worst case is that an IdP user cannot log in.
    log_error(logger, LogLevel::kError, "reading the local passwd file", in_files.error());
    return true;
  }
  if (*in_files) return true;
  const auto uid = deps.resolved_uid(name);
  return uid.has_value() && *uid < kFirstRegularUid;
}

// Everything the later phases share: the typed name, mapped to a local name we may manage.
struct Subject {
  std::string login_name;  // PAM_USER as typed
  std::string local_name;  // after login_suffix stripping; never a local account
  Config config;
};

// Ok(nullopt) when the user is not ours; an error when we cannot tell (config, conversation).
Result<std::optional<Subject>> resolve_subject(PamHost& host, FlowDeps& deps, const PamArgs& args) {
  auto user = host.user();
  if (!user) return std::unexpected(std::move(user.error()));
  if (is_local_account(deps, host.logger(), *user)) {
    debug(host.logger(), "'" + *user + "' is a local or system account: not ours");
    return std::nullopt;
  }
  auto config = deps.load_config(config_path_of(args));
  if (!config) return std::unexpected(std::move(config.error()));
  auto local = local_name_for_login(*config, *user);
  if (!local) {
    debug(host.logger(), "'" + *user + "' does not map to a valid local name: not ours");
    return std::nullopt;
  }
  if (*local != *user && is_local_account(deps, host.logger(), *local)) return std::nullopt;
  // A name resolving (LDAP, extrausers...) to a uid outside our range belongs to someone else.
  const auto uid = deps.resolved_uid(*local);
  if (uid && (*uid < config->accounts.uid_min || *uid > config->accounts.uid_max)) {
    debug(host.logger(), "'" + *local + "' resolves to a uid outside [accounts] range: not ours");
    return std::nullopt;
  }
  return Subject{std::move(*user), std::move(*local), std::move(*config)};
}

Identity identity_from_record(const AccountRecord& record) {
  Identity identity;
  identity.issuer = record.issuer;
  identity.subject = record.subject;
  identity.idp_username = record.name;
  identity.local_name = record.name;
  identity.display_name = record.display_name;
  identity.idp_groups = record.idp_groups;
  identity.local_groups = record.groups;
  identity.source = "store";
  return identity;
}

// The shadow account of a name we may manage; kNotFound when we have none.
Result<AccountRecord> stored_account(FlowDeps& deps, const Subject& subject) {
  auto store = deps.open_store(subject.config);
  if (!store) return std::unexpected(std::move(store.error()));
  return (*store)->find_by_name(subject.local_name);
}

// Password, token or one-time code has been checked by the core; as root, refresh the
// shadow account so NSS answers for this user before the session starts.
Result<Ok> record_login(PamHost& host, FlowDeps& deps, const Subject& subject, Identity identity) {
  AuthOutcome outcome{std::move(identity), std::nullopt};
  if (deps.privileged()) {
    auto store = deps.open_store(subject.config);
    if (!store) return std::unexpected(std::move(store.error()));
    auto record = (*store)->upsert(outcome.identity);
    if (!record) return std::unexpected(std::move(record.error()));
    outcome.record = std::move(*record);
  } else {
    debug(host.logger(), "not running as root: shadow account not written");
  }
  return host.keep(std::move(outcome));
}

int refuse_fake_password(PamHost& host, const Subject& subject) {
  host.logger().log(LogLevel::kNotice, "refusing '" + subject.login_name +
                                           "' at once: the application sent its placeholder password "
                                           "(sshd could not resolve the user)");
  return PAM_AUTH_ERR;
}

}  // namespace

bool is_sshd_fake_password(std::string_view password) noexcept {
  if (password.empty()) return false;
  for (std::size_t i = 0; i < password.size(); ++i) {
    if (password[i] != kFakePasswordPattern[i % kFakePasswordPattern.size()]) return false;
  }
  return true;
}

bool passwd_text_has_name(std::string_view text, std::string_view name) noexcept {
  if (name.empty()) return false;
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    const std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    const std::size_t colon = line.find(':');
    // NIS compat lines ("+name", "-name") also name local policy: treat them as local.
    std::string_view field = line.substr(0, colon);
    if (!field.empty() && (field.front() == '+' || field.front() == '-')) field.remove_prefix(1);
    if (colon != std::string_view::npos && field == name) return true;
  }
  return false;
}

namespace {

// The core's login for a typed name, then the shadow account. Shared by the password and the
// device-grant paths.
int login_and_record(PamHost& host, FlowDeps& deps, const Subject& who, OidcContext& context, LoginRequest request) {
  auto identity = context.login(request, host.conversation());
  if (!identity) {
    log_error(host.logger(), LogLevel::kNotice, "auth for '" + who.login_name + "' failed", identity.error());
    return pam_code_for(identity.error().code);
  }
  if (identity->local_name != who.local_name) {
    host.logger().log(LogLevel::kNotice,
                      "auth for '" + who.login_name + "' refused: the credentials name '" + identity->local_name + "'");
    return PAM_AUTH_ERR;
  }
  const std::string source = identity->source;
  auto kept = record_login(host, deps, who, std::move(*identity));
  if (!kept) {
    log_error(host.logger(), LogLevel::kError, "auth: shadow account for '" + who.local_name + "'", kept.error());
    return pam_code_for(kept.error().code);
  }
  host.logger().log(LogLevel::kInfo, "authenticated '" + who.local_name + "' through the IdP (" + source + ")");
  return PAM_SUCCESS;
}

// With the device grant (configured for this service, or grant = auto and discovery offers no
// password grant) nobody types a password here: the login happens in the browser. Returns
// nullopt when the password path applies. Decided before pam_get_authtok so the person is
// never asked for a password that would not be used.
std::optional<int> device_grant_login(PamHost& host, FlowDeps& deps, const Subject& who) {
  const std::string service = host.service();
  if (who.config.grant_for(service) == GrantType::kPassword) return std::nullopt;
  auto context = deps.context(who.config);
  if (!context) {
    log_error(host.logger(), LogLevel::kError, "auth: context", context.error());
    return pam_code_for(context.error().code);
  }
  auto choice = (*context)->effective_grant(service);
  if (!choice) {
    log_error(host.logger(), LogLevel::kError, "auth: choosing the grant for " + service, choice.error());
    return pam_code_for(choice.error().code);
  }
  if (choice->grant != GrantType::kDevice) return std::nullopt;
  debug(host.logger(), "device grant for '" + who.login_name + "' (" + choice->reason + ")");
  return login_and_record(host, deps, who, **context, LoginRequest{who.login_name, service, Secret(), false});
}

}  // namespace

int authenticate_flow(PamHost& host, FlowDeps& deps, const PamArgs& args) {
  auto subject = resolve_subject(host, deps, args);
  if (!subject) {
    log_error(host.logger(), LogLevel::kError, "auth", subject.error());
    return pam_code_for(subject.error().code);
  }
  if (!subject->has_value()) return not_ours(args);
  const Subject& who = **subject;
  if (auto device = device_grant_login(host, deps, who)) return *device;

  auto password = host.authtok();
  if (!password) return pam_code_for(password.error().code);
  if (password->empty()) return PAM_AUTH_ERR;  // never ask an IdP about an empty password
  if (is_sshd_fake_password(password->expose())) return refuse_fake_password(host, who);

  auto context = deps.context(who.config);
  if (!context) {
    log_error(host.logger(), LogLevel::kError, "auth: context", context.error());
    return pam_code_for(context.error().code);
  }
  return login_and_record(host, deps, who, **context,
                          LoginRequest{who.login_name, host.service(), std::move(*password), args.token_login});
}

int account_flow(PamHost& host, FlowDeps& deps, const PamArgs& args) {
  auto subject = resolve_subject(host, deps, args);
  if (!subject) {
    log_error(host.logger(), LogLevel::kError, "account", subject.error());
    return pam_code_for(subject.error().code);
  }
  if (!subject->has_value()) return PAM_IGNORE;
  const Subject& who = **subject;

  const AuthOutcome* kept = host.kept();
  std::optional<AccountRecord> record;
  Identity identity;
  if (kept != nullptr && kept->identity.local_name == who.local_name) {
    identity = kept->identity;
    record = kept->record;
  } else {
    // Not authenticated by us in this transaction (SSH key, sudo timestamp): the stored
    // account is all we know. No record: not a user we manage — unless the name resolves
    // into our uid range, i.e. a provisional entry of someone the IdP never vouched for.
    auto stored = stored_account(deps, who);
    if (!stored && stored.error().code == ErrorCode::kNotFound) {
      if (!deps.resolved_uid(who.local_name)) return PAM_IGNORE;
      host.logger().log(LogLevel::kNotice, "account '" + who.local_name +
                                               "' has never logged in through the IdP here: refused");
      host.conversation().error("Log in once with your identity provider password first.");
      return PAM_PERM_DENIED;
    }
    if (!stored) {
      log_error(host.logger(), LogLevel::kError, "account: store", stored.error());
      return pam_code_for(stored.error().code);
    }
    record = std::move(*stored);
    identity = identity_from_record(*record);
  }
  if (record && (record->disabled || record->removed)) {
    host.logger().log(LogLevel::kNotice, "account '" + who.local_name + "' is disabled");
    host.conversation().error("Your account is disabled on this host.");
    return PAM_PERM_DENIED;
  }
  const std::string service = host.service();
  auto access = check_access(who.config, identity, service);
  if (!access) {
    log_error(host.logger(), LogLevel::kNotice, "access for '" + who.local_name + "' to " + service + " refused",
              access.error());
    host.conversation().error("Access denied: '" + who.local_name + "' may not use " + service + " on this host.");
    return pam_code_for(access.error().code);
  }
  debug(host.logger(), "access for '" + who.local_name + "' to " + service + " granted");
  return PAM_SUCCESS;
}

namespace {

// For the phases that only need "is this one of our users?" (session, setcred, chauthtok):
// the outcome of auth in this process, else the stored account.
Result<bool> is_managed(PamHost& host, FlowDeps& deps, const Subject& who) {
  const AuthOutcome* kept = host.kept();
  if (kept != nullptr && kept->identity.local_name == who.local_name) return true;
  auto stored = stored_account(deps, who);
  if (stored) return !stored->disabled && !stored->removed;
  if (stored.error().code == ErrorCode::kNotFound) return false;
  return std::unexpected(std::move(stored.error()));
}

// Session and setcred never make a security decision: any doubt means "not ours".
Result<std::optional<Subject>> managed_subject(PamHost& host, FlowDeps& deps, const PamArgs& args,
                                               std::string_view phase) {
  auto subject = resolve_subject(host, deps, args);
  if (!subject) return std::unexpected(std::move(subject.error()));
  if (!subject->has_value()) return std::nullopt;
  auto managed = is_managed(host, deps, **subject);
  if (!managed) {
    log_error(host.logger(), LogLevel::kWarning, std::string(phase) + ": store", managed.error());
    return std::nullopt;
  }
  if (!*managed) return std::nullopt;
  return subject;
}

}  // namespace

int session_flow(PamHost& host, FlowDeps& deps, const PamArgs& args, bool open) {
  auto subject = managed_subject(host, deps, args, "session");
  if (!subject) {
    log_error(host.logger(), LogLevel::kWarning, "session", subject.error());
    return PAM_IGNORE;
  }
  if (!subject->has_value()) return PAM_IGNORE;
  host.logger().log(LogLevel::kInfo, std::string("session ") + (open ? "opened" : "closed") + " for '" +
                                         (*subject)->local_name + "' (" + host.service() + ")");
  return PAM_SUCCESS;
}

int setcred_flow(PamHost& host, FlowDeps& deps, const PamArgs& args) {
  auto subject = managed_subject(host, deps, args, "setcred");
  if (!subject) {
    log_error(host.logger(), LogLevel::kWarning, "setcred", subject.error());
    return PAM_IGNORE;
  }
  // sshd's keyboard-interactive sessions die if the auth stack's setcred fails as a whole,
  // so our users get PAM_SUCCESS (we hold no credentials to establish).
  return subject->has_value() ? PAM_SUCCESS : PAM_IGNORE;
}

int chauthtok_flow(PamHost& host, FlowDeps& deps, const PamArgs& args, bool preliminary) {
  auto subject = managed_subject(host, deps, args, "chauthtok");
  if (!subject) {
    log_error(host.logger(), LogLevel::kError, "chauthtok", subject.error());
    return pam_code_for(subject.error().code);
  }
  if (!subject->has_value()) return PAM_IGNORE;
  // libpam runs the preliminary pass over the whole stack first: say it once, there.
  if (preliminary) {
    const std::string& url = (*subject)->config.idp.password_change_url;
    host.conversation().error(url.empty() ? "Your password is managed by your identity provider; change it there."
                                          : "Your password is managed by your identity provider: change it at " + url);
  }
  return PAM_PERM_DENIED;
}

}  // namespace oidc_sysauth
