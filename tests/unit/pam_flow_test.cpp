// The PAM flow against a scripted host (user, password, conversation), a fake core and a fake
// store: every return code, and that local accounts never reach the IdP.
#include "pam_flow.hpp"

#include <gtest/gtest.h>
#include <security/pam_modules.h>

#include <deque>
#include <functional>
#include <map>
#include <set>

namespace oidc_sysauth {
namespace {

constexpr const char* kConfigText = R"([idp]
issuer = https://idp.example/realm
client_id = linux-hosts
password_change_url = https://idp.example/account

[accounts]
uid_min = 200000
uid_max = 2000000000

[service:sudo]
allowed_groups = admin
)";

class CapturingLogger final : public Logger {
 public:
  void log(LogLevel, std::string_view message) noexcept override { lines.emplace_back(message); }
  [[nodiscard]] bool debug_enabled() const noexcept override { return true; }
  [[nodiscard]] bool saw(std::string_view needle) const {
    for (const auto& line : lines)
      if (line.find(needle) != std::string::npos) return true;
    return false;
  }
  std::vector<std::string> lines;
};

// Prompts must arrive in the scripted order with the scripted text; the script must be empty at the end.
class ScriptedConversation final : public Conversation {
 public:
  struct Step {
    std::string prompt;
    std::string answer;
  };
  Result<Secret> prompt_hidden(std::string_view prompt) override {
    if (script.empty()) return fail(ErrorCode::kConversation, "unexpected prompt " + std::string(prompt));
    Step step = script.front();
    script.pop_front();
    EXPECT_EQ(step.prompt, prompt);
    return Secret(step.answer);
  }
  Result<std::string> prompt_visible(std::string_view prompt) override {
    auto answer = prompt_hidden(prompt);
    if (!answer) return std::unexpected(answer.error());
    return std::string(answer->expose());
  }
  void info(std::string_view text) override { infos.emplace_back(text); }
  void error(std::string_view text) override { errors.emplace_back(text); }

  std::deque<Step> script;
  std::vector<std::string> infos;
  std::vector<std::string> errors;
};

class FakeHost final : public PamHost {
 public:
  Result<std::string> user() override { return user_name; }
  [[nodiscard]] std::string service() const override { return service_name; }
  Result<Secret> authtok() override {
    ++authtok_calls;
    return password;
  }
  Conversation& conversation() override { return conv; }
  Logger& logger() override { return log; }
  Result<Ok> keep(AuthOutcome value) override {
    outcome = std::move(value);
    return Ok{};
  }
  [[nodiscard]] const AuthOutcome* kept() const override { return outcome ? &*outcome : nullptr; }

  Result<std::string> user_name = std::string("alice");
  std::string service_name = "sshd";
  Result<Secret> password = Secret("alice-pw");
  int authtok_calls = 0;
  ScriptedConversation conv;
  CapturingLogger log;
  std::optional<AuthOutcome> outcome;
};

struct StoreState {
  std::map<std::string, AccountRecord> records;
  std::set<std::string> taken;  // names upsert refuses (kUserUnknown)
  int upserts = 0;
};

class FakeStore final : public AccountStore {
 public:
  explicit FakeStore(StoreState& state) : state_(state) {}
  Result<AccountRecord> upsert(const Identity& identity) override {
    ++state_.upserts;
    if (state_.taken.contains(identity.local_name)) return fail(ErrorCode::kUserUnknown, "name taken");
    AccountRecord& record = state_.records[identity.local_name];
    record.issuer = identity.issuer;
    record.subject = identity.subject;
    record.name = identity.local_name;
    record.uid = record.gid = 200123;
    record.idp_groups = identity.idp_groups;
    return record;
  }
  Result<std::vector<AccountRecord>> list() override { return std::vector<AccountRecord>{}; }
  Result<AccountRecord> find_by_name(const std::string& name) override {
    auto it = state_.records.find(name);
    if (it == state_.records.end()) return fail(ErrorCode::kNotFound, name);
    return it->second;
  }
  Result<AccountRecord> find_by_subject(const std::string&, const std::string&) override {
    return fail(ErrorCode::kNotFound, "");
  }
  Result<Ok> set_disabled(const std::string&, bool) override { return Ok{}; }
  Result<Ok> remove(const std::string&, bool) override { return Ok{}; }
  Result<std::uint32_t> predict_uid(const std::string&) override { return 200123u; }

 private:
  StoreState& state_;
};

class FakeContext final : public OidcContext {
 public:
  explicit FakeContext(Config config) : config_(std::move(config)) {}
  [[nodiscard]] const Config& config() const noexcept override { return config_; }
  Result<Identity> login(const LoginRequest& request, Conversation& conversation) override {
    ++logins;
    last_login_name = request.login_name;
    last_service = request.service;
    last_token_login = request.token_login;
    last_password = request.password;
    return on_login(request, conversation);
  }
  Result<Identity> verify_bearer(std::string_view) override { return fail(ErrorCode::kInternal, "unused"); }
  Result<Ok> preload() override { return Ok{}; }
  Result<GrantChoice> effective_grant(std::string_view) override { return GrantChoice{}; }
  [[nodiscard]] std::string discovery_url() const override { return {}; }

  std::function<Result<Identity>(const LoginRequest&, Conversation&)> on_login;
  int logins = 0;
  std::string last_login_name;
  std::string last_service;
  bool last_token_login = false;
  Secret last_password;

 private:
  Config config_;
};

Identity identity_for(const std::string& name, std::vector<std::string> groups) {
  Identity identity;
  identity.issuer = "https://idp.example/realm";
  identity.subject = "sub-" + name;
  identity.idp_username = name;
  identity.local_name = name;
  identity.idp_groups = std::move(groups);
  identity.source = "password";
  return identity;
}

class FakeDeps final : public FlowDeps {
 public:
  FakeDeps() : config(parse_config(kConfigText, "test.conf")) {
    passwd_names = {"root", "daemon", "localuser"};
    uids = {{"root", 0}, {"daemon", 1}, {"localuser", 1000}, {"sysacct", 999}};
  }
  Result<Config> load_config(const std::string& path) override {
    ++config_loads;
    last_config_path = path;
    return config;
  }
  Result<std::shared_ptr<OidcContext>> context(const Config& cfg) override {
    ++context_calls;
    if (!context_error.detail.empty()) return std::unexpected(context_error);
    if (!ctx) {
      ctx = std::make_shared<FakeContext>(cfg);
      ctx->on_login = [](const LoginRequest& request, Conversation&) -> Result<Identity> {
        if (request.password.expose() == request.login_name + "-pw") {
          return identity_for(request.login_name, request.login_name == "alice" ? std::vector<std::string>{"admin"}
                                                                                : std::vector<std::string>{"staff"});
        }
        return fail(ErrorCode::kCredentialsRefused, "invalid_grant");
      };
    }
    return std::shared_ptr<OidcContext>(ctx);
  }
  Result<std::unique_ptr<AccountStore>> open_store(const Config&) override {
    ++store_opens;
    return std::unique_ptr<AccountStore>(std::make_unique<FakeStore>(store));
  }
  Result<bool> in_local_files(std::string_view name) override {
    if (passwd_unreadable) return fail(ErrorCode::kIo, "/etc/passwd: Permission denied");
    return passwd_names.contains(std::string(name));
  }
  std::optional<std::uint32_t> resolved_uid(std::string_view name) override {
    auto it = uids.find(std::string(name));
    if (it == uids.end()) return std::nullopt;
    return it->second;
  }
  [[nodiscard]] bool privileged() const override { return root; }

  Result<Config> config;
  std::set<std::string> passwd_names;
  std::map<std::string, std::uint32_t> uids;
  bool passwd_unreadable = false;
  bool root = true;
  Error context_error;
  std::shared_ptr<FakeContext> ctx;
  StoreState store;
  int config_loads = 0;
  int context_calls = 0;
  int store_opens = 0;
  std::string last_config_path;
};

class PamFlow : public ::testing::Test {
 protected:
  void TearDown() override { EXPECT_TRUE(host.conv.script.empty()) << "unused conversation steps"; }
  int auth() { return authenticate_flow(host, deps, args); }
  int account() { return account_flow(host, deps, args); }
  void as(const std::string& user, const std::string& password) {
    host.user_name = user;
    host.password = Secret(password);
  }

  FakeHost host;
  FakeDeps deps;
  PamArgs args;
};

TEST_F(PamFlow, AliceLogsInAndHerShadowAccountIsWritten) {
  args.token_login = true;
  args.config_path = "/etc/test/oidc.conf";
  EXPECT_EQ(auth(), PAM_SUCCESS);
  EXPECT_EQ(deps.last_config_path, "/etc/test/oidc.conf");
  ASSERT_TRUE(deps.ctx);
  EXPECT_EQ(deps.ctx->last_login_name, "alice");
  EXPECT_EQ(deps.ctx->last_service, "sshd");
  EXPECT_TRUE(deps.ctx->last_token_login);
  EXPECT_EQ(deps.store.upserts, 1);
  ASSERT_NE(host.kept(), nullptr);
  EXPECT_EQ(host.kept()->identity.local_name, "alice");
  ASSERT_TRUE(host.kept()->record.has_value());
  EXPECT_EQ(host.kept()->record->uid, 200123u);
  for (const auto& line : host.log.lines) EXPECT_EQ(line.find("alice-pw"), std::string::npos) << line;
}

TEST_F(PamFlow, NotRootAuthenticatesWithoutWritingTheStore) {
  deps.root = false;
  EXPECT_EQ(auth(), PAM_SUCCESS);
  EXPECT_EQ(deps.store_opens, 0);
  ASSERT_NE(host.kept(), nullptr);
  EXPECT_FALSE(host.kept()->record.has_value());
}

TEST_F(PamFlow, WrongPasswordIsAuthErr) {
  as("alice", "nope");
  EXPECT_EQ(auth(), PAM_AUTH_ERR);
  EXPECT_EQ(host.kept(), nullptr);
  EXPECT_EQ(deps.store.upserts, 0);
}

TEST_F(PamFlow, CoreErrorsMapThroughTheTable) {
  const std::pair<ErrorCode, int> cases[] = {{ErrorCode::kIdpUnavailable, PAM_AUTHINFO_UNAVAIL},
                                             {ErrorCode::kSecondFactorRequired, PAM_AUTH_ERR},
                                             {ErrorCode::kTokenInvalid, PAM_AUTH_ERR},
                                             {ErrorCode::kPolicyDenied, PAM_PERM_DENIED},
                                             {ErrorCode::kConversation, PAM_CONV_ERR},
                                             {ErrorCode::kMisconfigured, PAM_SERVICE_ERR},
                                             {ErrorCode::kNoMemory, PAM_BUF_ERR}};
  for (const auto& [code, expected] : cases) {
    FakeHost fresh_host;
    FakeDeps fresh_deps;
    ASSERT_TRUE(fresh_deps.context(*fresh_deps.config));
    fresh_deps.ctx->on_login = [code](const LoginRequest&, Conversation&) -> Result<Identity> {
      return fail(code, "scripted");
    };
    EXPECT_EQ(authenticate_flow(fresh_host, fresh_deps, args), expected) << error_code_name(code);
    EXPECT_EQ(fresh_host.kept(), nullptr);
  }
}

TEST_F(PamFlow, RootAndLocalAccountsNeverReachTheIdpEvenWithBrokenConfig) {
  deps.config = fail(ErrorCode::kConfig, "test.conf:3: key 'x': broken");
  for (const char* name : {"root", "daemon", "localuser", "sysacct", ""}) {
    as(name, std::string(name) + "-pw");
    EXPECT_EQ(auth(), PAM_USER_UNKNOWN) << name;
  }
  args.ignore_unknown_user = true;
  as("root", "root-pw");
  EXPECT_EQ(auth(), PAM_IGNORE);
  EXPECT_EQ(account(), PAM_IGNORE);
  EXPECT_EQ(setcred_flow(host, deps, args), PAM_IGNORE);
  EXPECT_EQ(session_flow(host, deps, args, true), PAM_IGNORE);
  EXPECT_EQ(chauthtok_flow(host, deps, args, true), PAM_IGNORE);
  EXPECT_EQ(deps.config_loads, 0);
  EXPECT_EQ(deps.context_calls, 0);
  EXPECT_EQ(host.authtok_calls, 0);  // not even prompted: pam_unix asks
}

TEST_F(PamFlow, UnreadablePasswdFileMeansNotOurs) {
  deps.passwd_unreadable = true;
  EXPECT_EQ(auth(), PAM_USER_UNKNOWN);
  EXPECT_EQ(deps.context_calls, 0);
  EXPECT_TRUE(host.log.saw("Permission denied"));
}

TEST_F(PamFlow, NameResolvingOutsideOurUidRangeIsNotOurs) {
  deps.uids["ldapuser"] = 5000;
  as("ldapuser", "ldapuser-pw");
  EXPECT_EQ(auth(), PAM_USER_UNKNOWN);
  EXPECT_EQ(deps.context_calls, 0);
  deps.uids["bob"] = 200500;  // a provisional or existing shadow account: ours
  as("bob", "bob-pw");
  EXPECT_EQ(auth(), PAM_SUCCESS);
}

TEST_F(PamFlow, BrokenConfigIsServiceErrorNamingTheLine) {
  deps.config = fail(ErrorCode::kConfig, "test.conf:3: key 'x': broken");
  EXPECT_EQ(auth(), PAM_SERVICE_ERR);
  EXPECT_TRUE(host.log.saw("test.conf:3"));
  EXPECT_EQ(account(), PAM_SERVICE_ERR);
}

TEST_F(PamFlow, SshdFakePasswordIsRefusedWithoutAskingTheIdp) {
  as("zed", "\b\n\r\177INC");
  EXPECT_EQ(auth(), PAM_AUTH_ERR);
  // grant = auto reads discovery first (device grant?), but no login reaches the IdP.
  EXPECT_EQ(deps.ctx ? deps.ctx->logins : 0, 0);
  EXPECT_TRUE(host.log.saw("placeholder password"));
}

TEST_F(PamFlow, EmptyPasswordIsRefusedWithoutAskingTheIdp) {
  as("alice", "");
  EXPECT_EQ(auth(), PAM_AUTH_ERR);
  // grant = auto reads discovery first (device grant?), but no login reaches the IdP.
  EXPECT_EQ(deps.ctx ? deps.ctx->logins : 0, 0);
}

TEST_F(PamFlow, ConversationFailureWhileGettingThePassword) {
  host.password = fail(ErrorCode::kConversation, "pam_get_authtok: Conversation error");
  EXPECT_EQ(auth(), PAM_CONV_ERR);
}

TEST_F(PamFlow, CredentialsNamingAnotherUserAreRefused) {
  ASSERT_TRUE(deps.context(*deps.config));
  deps.ctx->on_login = [](const LoginRequest&, Conversation&) -> Result<Identity> {
    return identity_for("mallory", {"admin"});
  };
  EXPECT_EQ(auth(), PAM_AUTH_ERR);
  EXPECT_EQ(deps.store.upserts, 0);
  EXPECT_EQ(host.kept(), nullptr);
}

TEST_F(PamFlow, SecondFactorIsAskedThroughTheConversation) {
  ASSERT_TRUE(deps.context(*deps.config));
  deps.ctx->on_login = [](const LoginRequest& request, Conversation& conversation) -> Result<Identity> {
    auto code = conversation.prompt_hidden("One-time code: ");
    if (!code) return std::unexpected(code.error());
    if (code->expose() != "246810") return fail(ErrorCode::kCredentialsRefused, "bad code");
    return identity_for(request.login_name, {"staff"});
  };
  as("dave", "dave-pw");
  host.conv.script.push_back({"One-time code: ", "246810"});
  EXPECT_EQ(auth(), PAM_SUCCESS);
  host.conv.script.push_back({"One-time code: ", "000000"});
  EXPECT_EQ(auth(), PAM_AUTH_ERR);
}

TEST_F(PamFlow, NameTakenByAnotherIdentityIsUserUnknown) {
  deps.store.taken.insert("alice");
  EXPECT_EQ(auth(), PAM_USER_UNKNOWN);
  EXPECT_EQ(host.kept(), nullptr);
}

TEST_F(PamFlow, AccountAfterOurAuthAppliesTheServicePolicy) {
  host.service_name = "sudo";
  ASSERT_EQ(auth(), PAM_SUCCESS);
  EXPECT_EQ(account(), PAM_SUCCESS);

  FakeHost bob_host;
  bob_host.service_name = "sudo";
  bob_host.user_name = std::string("bob");
  bob_host.password = Secret("bob-pw");
  ASSERT_EQ(authenticate_flow(bob_host, deps, args), PAM_SUCCESS);
  EXPECT_EQ(account_flow(bob_host, deps, args), PAM_PERM_DENIED);
  ASSERT_EQ(bob_host.conv.errors.size(), 1u);
  EXPECT_NE(bob_host.conv.errors[0].find("sudo"), std::string::npos);
  EXPECT_EQ(bob_host.conv.errors[0].find('\n'), std::string::npos);  // one line
}

TEST_F(PamFlow, KeyLoginsAreDecidedFromTheStoredAccount) {
  // No auth in this transaction (an SSH key): the store is all the module knows.
  EXPECT_EQ(account(), PAM_IGNORE);  // never logged in here: not ours
  AccountRecord record;
  record.name = "alice";
  record.issuer = "https://idp.example/realm";
  record.subject = "sub-alice";
  record.idp_groups = {"admin"};
  deps.store.records["alice"] = record;
  host.service_name = "sudo";
  EXPECT_EQ(account(), PAM_SUCCESS);
  deps.store.records["alice"].idp_groups = {"staff"};
  EXPECT_EQ(account(), PAM_PERM_DENIED);
  deps.store.records["alice"].idp_groups = {"admin"};
  deps.store.records["alice"].disabled = true;
  EXPECT_EQ(account(), PAM_PERM_DENIED);
  EXPECT_FALSE(host.conv.errors.empty());
  EXPECT_EQ(setcred_flow(host, deps, args), PAM_IGNORE);  // disabled: not established
  EXPECT_EQ(deps.context_calls, 0);
}

TEST_F(PamFlow, ProvisionalNamesNeverVouchedForByTheIdpAreRefusedWithoutAuth) {
  // NSS answers for "dan" (provisional_users) but he never logged in: an SSH key alone
  // must not open an account the IdP never vouched for.
  deps.uids["dan"] = 200777;
  host.user_name = std::string("dan");
  EXPECT_EQ(account(), PAM_PERM_DENIED);
  ASSERT_EQ(host.conv.errors.size(), 1u);
  EXPECT_EQ(setcred_flow(host, deps, args), PAM_IGNORE);
}

TEST_F(PamFlow, DisabledAccountIsRefusedEvenAfterAGoodPassword) {
  AccountRecord record;
  record.name = "alice";
  record.disabled = true;
  deps.store.records["alice"] = record;
  ASSERT_EQ(auth(), PAM_SUCCESS);  // the IdP said yes; upsert returns the record, still disabled
  ASSERT_TRUE(host.kept()->record.has_value());
  EXPECT_EQ(account(), PAM_PERM_DENIED);
}

TEST_F(PamFlow, SetcredAndSessionSucceedOnlyForOurUsers) {
  EXPECT_EQ(setcred_flow(host, deps, args), PAM_IGNORE);
  EXPECT_EQ(session_flow(host, deps, args, true), PAM_IGNORE);
  ASSERT_EQ(auth(), PAM_SUCCESS);
  EXPECT_EQ(setcred_flow(host, deps, args), PAM_SUCCESS);
  EXPECT_EQ(session_flow(host, deps, args, true), PAM_SUCCESS);
  EXPECT_EQ(session_flow(host, deps, args, false), PAM_SUCCESS);
  EXPECT_TRUE(host.log.saw("session opened for 'alice'"));
  EXPECT_TRUE(host.log.saw("session closed for 'alice'"));
  // Another process of the same login (sshd's keyboard-interactive child): the store decides.
  FakeHost other;
  EXPECT_EQ(setcred_flow(other, deps, args), PAM_SUCCESS);
}

TEST_F(PamFlow, ChauthtokPointsToTheIdp) {
  ASSERT_EQ(auth(), PAM_SUCCESS);
  EXPECT_EQ(chauthtok_flow(host, deps, args, true), PAM_PERM_DENIED);
  ASSERT_EQ(host.conv.errors.size(), 1u);
  EXPECT_NE(host.conv.errors[0].find("https://idp.example/account"), std::string::npos);
  EXPECT_EQ(chauthtok_flow(host, deps, args, false), PAM_PERM_DENIED);
  EXPECT_EQ(host.conv.errors.size(), 1u);  // said once
}

TEST(PamFakePassword, RecognisesSshdPlaceholderOfAnyLength) {
  const std::string pattern = "\b\n\r\177INCORRECT";
  for (std::size_t n = 1; n <= 40; ++n) {
    std::string fake;
    for (std::size_t i = 0; i < n; ++i) fake += pattern[i % pattern.size()];
    EXPECT_TRUE(is_sshd_fake_password(fake)) << n;
  }
  EXPECT_TRUE(is_sshd_fake_password(std::string("\b\n\r\177INC", 7)));
}

TEST(PamFakePassword, RealPasswordsAreNotPlaceholders) {
  EXPECT_FALSE(is_sshd_fake_password(""));
  EXPECT_FALSE(is_sshd_fake_password("INCORRECT"));
  EXPECT_FALSE(is_sshd_fake_password("alice-pw"));
  EXPECT_FALSE(is_sshd_fake_password("\b\n\r\177INCORRECX"));
  EXPECT_FALSE(is_sshd_fake_password("\b\n\r\177INCORRECT\b\n\r\177INCORRECTx"));
}

TEST(PamPasswdText, FindsOnlyWholeNames) {
  const std::string text = "root:x:0:0:root:/root:/bin/bash\nalice2:x:1001:1001::/home/a:/bin/sh\n+nisuser::::::\n";
  EXPECT_TRUE(passwd_text_has_name(text, "root"));
  EXPECT_TRUE(passwd_text_has_name(text, "alice2"));
  EXPECT_TRUE(passwd_text_has_name(text, "nisuser"));
  EXPECT_FALSE(passwd_text_has_name(text, "alice"));
  EXPECT_FALSE(passwd_text_has_name(text, "roo"));
  EXPECT_FALSE(passwd_text_has_name(text, ""));
  EXPECT_FALSE(passwd_text_has_name("nocolon\n", "nocolon"));
  EXPECT_TRUE(passwd_text_has_name("last:x:1:1::/:/bin/sh", "last"));  // no final newline
}

}  // namespace
}  // namespace oidc_sysauth
