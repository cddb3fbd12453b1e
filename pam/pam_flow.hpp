// The PAM module's logic, free of libpam so unit tests can script it: the entry points
// (pam_entry.cpp) build a PamHost over the real pam_handle_t and call one *_flow function.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "auth/authenticator.hpp"
#include "config.hpp"
#include "conversation.hpp"
#include "identity.hpp"
#include "log.hpp"
#include "pam_args.hpp"
#include "result.hpp"
#include "secret.hpp"
#include "store/account_store.hpp"

namespace oidc_sysauth {

// What auth hands to the later phases of the same PAM transaction (pam_set_data).
struct AuthOutcome {
  Identity identity;
  std::optional<AccountRecord> record;  // the shadow account after upsert (root callers only)
};

// What the flow needs from libpam. pam_host.cpp wraps pam_handle_t; tests script it.
class PamHost {
 public:
  virtual ~PamHost() = default;
  virtual Result<std::string> user() = 0;                 // pam_get_user
  [[nodiscard]] virtual std::string service() const = 0;  // PAM_SERVICE
  virtual Result<Secret> authtok() = 0;                   // pam_get_authtok (honours *_first_pass)
  virtual Conversation& conversation() = 0;
  virtual Logger& logger() = 0;
  virtual Result<Ok> keep(AuthOutcome outcome) = 0;  // for account/session/setcred
  [[nodiscard]] virtual const AuthOutcome* kept() const = 0;
};

// What the flow needs from the system. Real: files, getpwnam_r, the core. Tests: fakes.
class FlowDeps {
 public:
  virtual ~FlowDeps() = default;
  virtual Result<Config> load_config(const std::string& path) = 0;
  // May return a context cached for this PAM handle (connection reuse, warm caches).
  virtual Result<std::shared_ptr<OidcContext>> context(const Config& config) = 0;
  virtual Result<std::unique_ptr<AccountStore>> open_store(const Config& config) = 0;
  // Is `name` a user in the local passwd file (read directly, never through NSS)?
  virtual Result<bool> in_local_files(std::string_view name) = 0;
  // uid of `name` through NSS (getpwnam_r), if it resolves at all.
  virtual std::optional<std::uint32_t> resolved_uid(std::string_view name) = 0;
  [[nodiscard]] virtual bool privileged() const = 0;  // effective uid 0: may write the store
};

inline constexpr std::uint32_t kFirstRegularUid = 1000;  // below: system accounts (Debian policy)

int authenticate_flow(PamHost& host, FlowDeps& deps, const PamArgs& args);
int account_flow(PamHost& host, FlowDeps& deps, const PamArgs& args);
int session_flow(PamHost& host, FlowDeps& deps, const PamArgs& args, bool open);
int setcred_flow(PamHost& host, FlowDeps& deps, const PamArgs& args);
int chauthtok_flow(PamHost& host, FlowDeps& deps, const PamArgs& args, bool preliminary);

// sshd replaces the password of a user it could not resolve (or root with PermitRootLogin no)
// with a string of the same length made by repeating "\b\n\r\177INCORRECT".
bool is_sshd_fake_password(std::string_view password) noexcept;

// Does a passwd(5) text contain a line for `name`? Pure, for the local-account guard.
bool passwd_text_has_name(std::string_view passwd_text, std::string_view name) noexcept;

}  // namespace oidc_sysauth
