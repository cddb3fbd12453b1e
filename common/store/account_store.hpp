// The shadow-account store: writer side (root only: PAM after a login, the CLI).
// The NSS module reads the same file through store_reader.hpp.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "clock.hpp"
#include "config.hpp"
#include "identity.hpp"
#include "result.hpp"

namespace oidc_sysauth {

struct AccountRecord {
  std::string issuer;
  std::string subject;
  std::string name;          // local login name
  std::string display_name;  // GECOS
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;     // user private group: gid == uid
  std::string home;
  std::string shell;
  std::vector<std::string> groups;  // supplementary local groups (mapped, existing ones)
  std::vector<std::string> idp_groups;  // last-known IdP groups, for the account phase of key logins
  std::vector<std::string> extra_groups;  // store-owned groups (unmapped IdP groups, prefixed)
  std::int64_t created = 0;
  std::int64_t last_login = 0;
  bool disabled = false;     // set by the CLI; refuses key logins too
  bool removed = false;      // name freed, uid kept reserved (accounts remove without --forget)
};

// Where the writer looks besides the state dir. The defaults are the only values
// production code uses; tests point the writer at copies of the local files.
struct StoreOptions {
  std::string passwd_path = "/etc/passwd";
  std::string group_path = "/etc/group";
  bool invalidate_nscd = true;
  int lock_timeout_ms = 10'000;
};

class AccountStore {
 public:
  // Opens (creating if needed) the store in config.accounts.state_dir.
  static Result<std::unique_ptr<AccountStore>> open(const Config& config, const Clock& clock);
  static Result<std::unique_ptr<AccountStore>> open(const Config& config, const Clock& clock,
                                                    const StoreOptions& options);
  virtual ~AccountStore() = default;

  // Creates or refreshes the record keyed by (identity.issuer, identity.subject):
  // allocates the uid (claim or name hash + documented probe), renames on a name change
  // (keeping the uid), writes only if something changed (last_login alone is refreshed
  // at most once a day), and invalidates nscd. kUserUnknown if the name is taken
  // by a local account or another identity, or reserved.
  virtual Result<AccountRecord> upsert(const Identity& identity) = 0;

  virtual Result<std::vector<AccountRecord>> list() = 0;
  virtual Result<AccountRecord> find_by_name(const std::string& name) = 0;
  virtual Result<AccountRecord> find_by_subject(const std::string& issuer, const std::string& subject) = 0;
  virtual Result<Ok> set_disabled(const std::string& name, bool disabled) = 0;
  // forget=false: the name is freed but the uid stays reserved for this (issuer, subject).
  virtual Result<Ok> remove(const std::string& name, bool forget) = 0;

  // The uid a never-seen name would get right now (provisional users, `accounts add`).
  virtual Result<std::uint32_t> predict_uid(const std::string& name) = 0;
};

}  // namespace oidc_sysauth
