// liboidc.so through the real libsasl2, in-process: the library loads the plugin from the
// build directory (SASL_CB_GETPATH), the plugin loads a test config (SASL_CB_GETOPT) that
// points at the real test IdP, and tokens are minted by the IdP's admin API.
#include <curl/curl.h>
#include <gtest/gtest.h>
#include <sasl/sasl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "clock.hpp"
#include "idp_env.hpp"
#include "jose/jwt.hpp"

namespace {

using namespace std::string_literals;
using oidc_sysauth::testing::idp_value;
using oidc_sysauth::testing::IdpEnv;
using oidc_sysauth::testing::read_idp_env;

// ---- plumbing: logs, config, callbacks ----

std::mutex g_log_mutex;
std::vector<std::string> g_log;  // every line libsasl and the plugin logged
std::string g_config_path;
std::string g_plugin_dir;   // our liboidc.so plus the stock sasldb auxprop
std::string g_conf_dir;     // empty directory: no <app>.conf is read
std::string g_sasldb_path;  // knows bob only: the proxy test's authorization identity

int log_cb(void*, int level, const char* message) {
  std::lock_guard lock(g_log_mutex);
  g_log.push_back(message != nullptr ? message : "");
  if (level <= SASL_LOG_FAIL) std::fprintf(stderr, "sasl[%d]: %s\n", level, message);
  return SASL_OK;
}

int getopt_cb(void*, const char*, const char* option, const char** result, unsigned* len) {
  if (option != nullptr && std::string_view(option) == "oidc_config") {
    *result = g_config_path.c_str();
    if (len != nullptr) *len = static_cast<unsigned>(g_config_path.size());
    return SASL_OK;
  }
  if (option != nullptr && std::string_view(option) == "sasldb_path") {
    *result = g_sasldb_path.c_str();
    if (len != nullptr) *len = static_cast<unsigned>(g_sasldb_path.size());
    return SASL_OK;
  }
  return SASL_FAIL;
}

int getpath_cb(void*, const char** path) {
  *path = g_plugin_dir.c_str();
  return SASL_OK;
}

int getconfpath_cb(void*, char** path) {
  *path = g_conf_dir.data();
  return SASL_OK;
}

// Lets alice act as bob (the proxy-authorization test); refuses everything else.
int proxy_policy_cb(sasl_conn_t* conn, void*, const char* requested, unsigned rlen, const char* auth, unsigned alen,
                    const char*, unsigned, struct propctx*) {
  std::string r(requested, rlen), a(auth, alen);
  if (r == a || (a == "alice" && r == "bob")) return SASL_OK;
  sasl_seterror(conn, 0, "proxy refused by test policy");
  return SASL_NOAUTHZ;
}

using CallbackFn = int (*)(void);  // sasl_callback_t::proc
template <typename F>
CallbackFn cb(F* f) {
  return reinterpret_cast<CallbackFn>(reinterpret_cast<void (*)()>(f));
}

const sasl_callback_t kGlobalCallbacks[] = {
    {SASL_CB_LOG, cb(&log_cb), nullptr},
    {SASL_CB_GETOPT, cb(&getopt_cb), nullptr},
    {SASL_CB_GETPATH, cb(&getpath_cb), nullptr},
    {SASL_CB_GETCONFPATH, cb(&getconfpath_cb), nullptr},
    {SASL_CB_PROXY_POLICY, cb(&proxy_policy_cb), nullptr},
    {SASL_CB_LIST_END, nullptr, nullptr},
};

std::string make_temp_dir() {
  std::string templ = (std::filesystem::temp_directory_path() / "sasl-exchange-XXXXXX").string();
  if (mkdtemp(templ.data()) == nullptr) throw std::runtime_error("mkdtemp");
  return templ;
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
}

// The service sections the tests rely on: smtp only for the admin group, imap allows proxy.
std::string config_text(const std::string& issuer, const std::string& ca, const std::string& dir,
                        const std::string& extra_idp) {
  return "[idp]\nissuer = " + issuer + "\nclient_id = linux-hosts\nca_file = " + ca +
         "\nscopes = openid email\ntimeout = 3\n" + extra_idp + "[accounts]\nstate_dir = " + dir +
         "/state\ncache_dir = " + dir +
         "/cache\n"
         "[service:smtp]\nallowed_groups = admin\n"
         "[service:imap]\nallow_proxy = true\n";
}

// ---- the IdP's admin API ----

size_t append_cb(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

std::string post_json(const std::string& url, const std::string& body) {
  CURL* curl = curl_easy_init();
  std::string response;
  curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &append_cb);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 10L);
  CURLcode rc = curl_easy_perform(curl);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  if (rc != CURLE_OK) throw std::runtime_error("admin API: " + std::string(curl_easy_strerror(rc)));
  return response;
}

const IdpEnv& idp();

// An opaque access token from the password grant (no resource → not a JWT).
std::string opaque_access_token(const std::string& user, const std::string& password) {
  CURL* curl = curl_easy_init();
  std::string response, url = idp_value(idp(), "IDP_ISSUER") + "/token";
  std::string body = "grant_type=password&scope=openid%20profile&username=" + user + "&password=" + password;
  std::string ca = idp_value(idp(), "IDP_CA");
  std::string userpwd = idp_value(idp(), "IDP_CLIENT_ID") + ":" + idp_value(idp(), "IDP_CLIENT_SECRET");
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_CAINFO, ca.c_str());
  curl_easy_setopt(curl, CURLOPT_USERPWD, userpwd.c_str());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &append_cb);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 10L);
  CURLcode rc = curl_easy_perform(curl);
  curl_easy_cleanup(curl);
  if (rc != CURLE_OK) throw std::runtime_error("token endpoint: " + std::string(curl_easy_strerror(rc)));
  return nlohmann::json::parse(response).at("access_token").get<std::string>();
}

std::string get_https(const std::string& url, const std::string& ca) {
  CURL* curl = curl_easy_init();
  std::string response;
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_CAINFO, ca.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &append_cb);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 10L);
  CURLcode rc = curl_easy_perform(curl);
  curl_easy_cleanup(curl);
  if (rc != CURLE_OK) throw std::runtime_error("GET " + url + ": " + curl_easy_strerror(rc));
  return response;
}

const IdpEnv& idp() {
  static const IdpEnv env = read_idp_env();
  return env;
}

std::string mint(nlohmann::json request) {
  if (!request.contains("profile")) request["profile"] = "default";
  auto reply = nlohmann::json::parse(post_json(idp_value(idp(), "IDP_ADMIN") + "/admin/token", request.dump()));
  return reply.at("token").get<std::string>();
}

std::string mint_for(const std::string& user, const std::string& alg = "RS256") {
  return mint({{"user", user}, {"alg", alg}});
}

// Changes one signature character: still valid base64url, no longer a valid signature.
std::string forge(std::string token) {
  auto pos = token.rfind('.') + 5;
  token[pos] = token[pos] == 'A' ? 'B' : 'A';
  return token;
}

// ---- exchanges ----

std::string oauthbearer(const std::string& token, const std::string& authzid = "alice") {
  std::string a = authzid.empty() ? "" : "a=" + authzid;
  return "n," + a +
         ",\x01host=localhost\x01port=25\x01"
         "auth=Bearer " +
         token + "\x01\x01";
}

std::string xoauth2(const std::string& token, const std::string& user = "alice") {
  return "user=" + user +
         "\x01"
         "auth=Bearer " +
         token + "\x01\x01";
}

struct Exchange {
  int start_rc = SASL_FAIL;
  std::string challenge;
  int final_rc = SASL_FAIL;  // the start's result when there was no challenge
  std::string user, authid;
};

struct ConnFree {
  void operator()(sasl_conn_t* c) const noexcept { sasl_dispose(&c); }
};
using Conn = std::unique_ptr<sasl_conn_t, ConnFree>;

Conn server_conn(const char* service) {
  sasl_conn_t* raw = nullptr;
  int rc = sasl_server_new(service, "localhost", nullptr, "127.0.0.1;25", "127.0.0.1;40000", nullptr, 0, &raw);
  if (rc != SASL_OK) throw std::runtime_error("sasl_server_new: "s + sasl_errstring(rc, nullptr, nullptr));
  return Conn(raw);
}

Exchange run_server(const char* mech, const std::string& message, const std::string& answer,
                    const char* service = "smtp") {
  Exchange ex;
  Conn conn = server_conn(service);
  const char* out = nullptr;
  unsigned outlen = 0;
  ex.start_rc =
      sasl_server_start(conn.get(), mech, message.data(), static_cast<unsigned>(message.size()), &out, &outlen);
  ex.final_rc = ex.start_rc;
  if (ex.start_rc == SASL_CONTINUE) {
    ex.challenge.assign(out, outlen);
    ex.final_rc = sasl_server_step(conn.get(), answer.data(), static_cast<unsigned>(answer.size()), &out, &outlen);
  }
  if (ex.final_rc == SASL_OK) {
    const void* v = nullptr;
    if (sasl_getprop(conn.get(), SASL_USERNAME, &v) == SASL_OK && v) ex.user = static_cast<const char*>(v);
    if (sasl_getprop(conn.get(), SASL_AUTHUSER, &v) == SASL_OK && v) ex.authid = static_cast<const char*>(v);
  }
  return ex;
}

bool logs_contain(const std::string& needle) {
  std::lock_guard lock(g_log_mutex);
  for (const auto& line : g_log)
    if (line.find(needle) != std::string::npos) return true;
  return false;
}

// One libsasl2 initialisation per test process (gtest_discover_tests runs each case alone).
void init_sasl(const std::string& issuer, const std::string& dir, const std::string& extra_idp = "") {
  namespace fs = std::filesystem;
  g_conf_dir = dir + "/conf";
  fs::create_directories(g_conf_dir);
  g_plugin_dir = dir + "/plugins";
  fs::create_directories(g_plugin_dir);
  fs::create_symlink(OIDC_SASL_PLUGIN_DIR "/liboidc.so", g_plugin_dir + "/liboidc.so");
  fs::create_symlink("/usr/lib/x86_64-linux-gnu/sasl2/libsasldb.so", g_plugin_dir + "/libsasldb.so");
  g_sasldb_path = dir + "/sasldb2";
  std::string cmd = "echo bob-secret | saslpasswd2 -p -c -f " + g_sasldb_path + " -u localhost bob";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  g_config_path = dir + "/oidc-sysauth.conf";
  write_file(g_config_path, config_text(issuer, idp_value(idp(), "IDP_CA"), dir, extra_idp));
  ASSERT_EQ(sasl_server_init(kGlobalCallbacks, "oidc-sasl-test"), SASL_OK);
  ASSERT_EQ(sasl_client_init(kGlobalCallbacks), SASL_OK);
}

class SaslExchange : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = make_temp_dir();
    init_sasl(idp_value(idp(), "IDP_ISSUER"), dir_);
  }
  static void TearDownTestSuite() {
    sasl_done();
    std::filesystem::remove_all(dir_);
  }
  static std::string dir_;
};
std::string SaslExchange::dir_;

void expect_refused_with_challenge(const Exchange& ex, bool xoauth2 = false) {
  EXPECT_EQ(ex.start_rc, SASL_CONTINUE);
  EXPECT_EQ(ex.final_rc, SASL_BADAUTH) << sasl_errstring(ex.final_rc, nullptr, nullptr);
  auto j = nlohmann::json::parse(ex.challenge, nullptr, false);
  ASSERT_TRUE(j.is_object()) << ex.challenge;
  if (xoauth2) {
    EXPECT_EQ(j.value("status", ""), "401");
    EXPECT_EQ(j.value("schemes", ""), "bearer");
  } else {
    EXPECT_EQ(j.value("status", ""), "invalid_token");
    EXPECT_EQ(j.value("openid-configuration", ""),
              idp_value(idp(), "IDP_ISSUER") + "/.well-known/openid-configuration");
  }
  EXPECT_EQ(j.value("scope", ""), "openid email");
}

TEST_F(SaslExchange, PluginOffersBothMechanisms) {
  Conn conn = server_conn("smtp");
  const char* list = nullptr;
  ASSERT_EQ(sasl_listmech(conn.get(), nullptr, "", " ", "", &list, nullptr, nullptr), SASL_OK);
  std::string mechs = list;
  EXPECT_NE(mechs.find("OAUTHBEARER"), std::string::npos) << mechs;
  EXPECT_NE(mechs.find("XOAUTH2"), std::string::npos) << mechs;
}

TEST_F(SaslExchange, OauthBearerRs256) {
  std::string token = mint_for("alice", "RS256");
  auto ex = run_server("OAUTHBEARER", oauthbearer(token), "");
  EXPECT_EQ(ex.start_rc, SASL_OK) << ex.challenge;
  EXPECT_EQ(ex.user, "alice");
  EXPECT_EQ(ex.authid, "alice");
  EXPECT_FALSE(logs_contain(token.substr(token.rfind('.'))));  // no token, not even its signature
}

TEST_F(SaslExchange, OauthBearerEs384WithoutAuthzid) {
  auto ex = run_server("OAUTHBEARER", oauthbearer(mint_for("alice", "ES384"), ""), "");
  EXPECT_EQ(ex.start_rc, SASL_OK) << ex.challenge;
  EXPECT_EQ(ex.user, "alice");
}

TEST_F(SaslExchange, RepeatedTokenStillAccepted) {
  std::string token = mint_for("alice");
  for (int i = 0; i < 3; ++i) EXPECT_EQ(run_server("OAUTHBEARER", oauthbearer(token), "").start_rc, SASL_OK);
}

TEST_F(SaslExchange, Xoauth2Valid) {
  auto ex = run_server("XOAUTH2", xoauth2(mint_for("alice", "ES384")), "");
  EXPECT_EQ(ex.start_rc, SASL_OK) << ex.challenge;
  EXPECT_EQ(ex.user, "alice");
}

TEST_F(SaslExchange, ExpiredTokenGetsChallengeThenBadauth) {
  auto now = static_cast<long>(std::time(nullptr));
  std::string token = mint({{"user", "alice"}, {"claims", {{"iat", now - 7200}, {"exp", now - 3600}}}});
  expect_refused_with_challenge(run_server("OAUTHBEARER", oauthbearer(token), "\x01"));
  EXPECT_TRUE(logs_contain("expired"));
}

TEST_F(SaslExchange, WrongAudienceRefused) {
  expect_refused_with_challenge(
      run_server("OAUTHBEARER", oauthbearer(mint({{"user", "alice"}, {"aud", "another-client"}})), "\x01"));
}

TEST_F(SaslExchange, ForgedSignatureRefused) {
  expect_refused_with_challenge(run_server("OAUTHBEARER", oauthbearer(forge(mint_for("alice"))), "\x01"));
}

TEST_F(SaslExchange, Xoauth2BadTokenGetsItsOwnChallenge) {
  expect_refused_with_challenge(run_server("XOAUTH2", xoauth2(forge(mint_for("alice"))), ""), true);
}

TEST_F(SaslExchange, ChallengeMustBeAcknowledged) {
  auto ex = run_server("OAUTHBEARER", oauthbearer(forge(mint_for("alice"))), "n,,\x01\x01");
  EXPECT_EQ(ex.start_rc, SASL_CONTINUE);
  EXPECT_EQ(ex.final_rc, SASL_BADPROT);
}

TEST_F(SaslExchange, MalformedMessagesAreBadprot) {
  std::string token = mint_for("alice");
  EXPECT_EQ(run_server("OAUTHBEARER",
                       "p=tls-unique,a=alice,\x01"
                       "auth=Bearer " +
                           token + "\x01\x01",
                       "")
                .start_rc,
            SASL_BADPROT);
  EXPECT_EQ(run_server("OAUTHBEARER",
                       "n,a=alice,\x01"
                       "auth=Bearer " +
                           token + "\x01",
                       "")
                .start_rc,
            SASL_BADPROT);
  EXPECT_EQ(run_server("OAUTHBEARER", "garbage", "").start_rc, SASL_BADPROT);
  EXPECT_EQ(run_server("OAUTHBEARER",
                       "n,,\x01"
                       "auth=Bearer a\0b\x01\x01"s,
                       "")
                .start_rc,
            SASL_BADPROT);
  EXPECT_EQ(run_server("XOAUTH2", "auth=Bearer " + token + "\x01\x01", "").start_rc, SASL_BADPROT);
}

TEST_F(SaslExchange, NotAJwtIsRefusedAsAToken) {
  expect_refused_with_challenge(run_server("OAUTHBEARER", oauthbearer("opaque-token-value"), "\x01"));
}

TEST_F(SaslExchange, ServicePolicyRefusesUserOutsideAllowedGroups) {
  // bob is staff; [service:smtp] allows only admin. The ldap service has no restriction.
  expect_refused_with_challenge(run_server("OAUTHBEARER", oauthbearer(mint_for("bob"), "bob"), "\x01", "smtp"));
  auto ldap = run_server("OAUTHBEARER", oauthbearer(mint_for("bob"), "bob"), "", "ldap");
  EXPECT_EQ(ldap.start_rc, SASL_OK) << ldap.challenge;
  EXPECT_EQ(ldap.user, "bob");
}

TEST_F(SaslExchange, HostileUsernameNeverMapsToRoot) {
  expect_refused_with_challenge(run_server("OAUTHBEARER", oauthbearer(mint_for("root"), ""), "\x01", "ldap"));
}

TEST_F(SaslExchange, OtherAuthzidRefusedUnlessProxyAllowed) {
  std::string token = mint_for("alice");
  expect_refused_with_challenge(run_server("OAUTHBEARER", oauthbearer(token, "bob"), "\x01", "smtp"));
  expect_refused_with_challenge(run_server("XOAUTH2", xoauth2(token, "bob"), "", "smtp"), true);
  // [service:imap] allow_proxy = true, the user database knows bob, and the application's
  // proxy policy lets alice act as bob.
  auto imap = run_server("OAUTHBEARER", oauthbearer(token, "bob"), "", "imap");
  EXPECT_EQ(imap.start_rc, SASL_OK) << imap.challenge;
  EXPECT_EQ(imap.user, "bob");
  EXPECT_EQ(imap.authid, "alice");
  // ... but not as carol (unknown to the user database) nor as erin (refused by the policy).
  EXPECT_NE(run_server("OAUTHBEARER", oauthbearer(token, "carol"), "", "imap").final_rc, SASL_OK);
  EXPECT_EQ(run_server("OAUTHBEARER", oauthbearer(mint_for("erin"), "bob"), "", "imap").final_rc, SASL_NOAUTHZ);
}

TEST_F(SaslExchange, ConcurrentExchangesOnManyThreads) {
  std::vector<std::string> tokens;
  for (int i = 0; i < 4; ++i) tokens.push_back(mint_for(i % 2 ? "alice" : "bob"));
  std::atomic<int> ok{0}, bad{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        auto ex = run_server("OAUTHBEARER", oauthbearer(tokens[static_cast<std::size_t>(t)], ""), "\x01", "ldap");
        (ex.final_rc == SASL_OK ? ok : bad)++;
      }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), 200);
  EXPECT_EQ(bad.load(), 0);
}

// ---- our client plugin against our server plugin ----

struct ClientCreds {
  std::string authname, token;
  std::vector<unsigned char> secret_buf;
};

int client_simple_cb(void* ctx, int id, const char** result, unsigned* len) {
  auto* c = static_cast<ClientCreds*>(ctx);
  if (id != SASL_CB_AUTHNAME) return SASL_FAIL;
  *result = c->authname.c_str();
  if (len) *len = static_cast<unsigned>(c->authname.size());
  return SASL_OK;
}

int client_pass_cb(sasl_conn_t*, void* ctx, int, sasl_secret_t** out) {
  auto* c = static_cast<ClientCreds*>(ctx);
  c->secret_buf.assign(sizeof(sasl_secret_t) + c->token.size(), 0);
  auto* s = reinterpret_cast<sasl_secret_t*>(c->secret_buf.data());
  s->len = c->token.size();
  std::memcpy(s->data, c->token.data(), c->token.size());
  *out = s;
  return SASL_OK;
}

// Drives client and server to the end; returns the server's final code. `interactive`:
// the client gets its values through SASL_INTERACT prompts, as libldap supplies them.
int client_server(const char* mech, ClientCreds creds, bool interactive, std::string* user = nullptr) {
  sasl_callback_t with_cbs[] = {{SASL_CB_AUTHNAME, cb(&client_simple_cb), &creds},
                                {SASL_CB_PASS, cb(&client_pass_cb), &creds},
                                {SASL_CB_LIST_END, nullptr, nullptr}};
  sasl_callback_t with_prompts[] = {{SASL_CB_USER, nullptr, nullptr},
                                    {SASL_CB_AUTHNAME, nullptr, nullptr},
                                    {SASL_CB_PASS, nullptr, nullptr},
                                    {SASL_CB_LIST_END, nullptr, nullptr}};
  sasl_conn_t* raw = nullptr;
  EXPECT_EQ(sasl_client_new("smtp", "localhost", "127.0.0.1;40000", "127.0.0.1;25",
                            interactive ? with_prompts : with_cbs, 0, &raw),
            SASL_OK);
  Conn client(raw);
  Conn server = server_conn("smtp");
  sasl_interact_t* prompts = nullptr;
  const char *out = nullptr, *chosen = nullptr;
  unsigned outlen = 0;
  int crc = SASL_INTERACT;
  for (int round = 0; crc == SASL_INTERACT && round < 3; ++round) {
    crc = sasl_client_start(client.get(), mech, &prompts, &out, &outlen, &chosen);
    if (crc != SASL_INTERACT) break;
    for (sasl_interact_t* p = prompts; p->id != SASL_CB_LIST_END; ++p) {
      static const std::string kEmpty;
      const std::string& v = p->id == SASL_CB_PASS ? creds.token : p->id == SASL_CB_AUTHNAME ? creds.authname : kEmpty;
      p->result = v.c_str();
      p->len = static_cast<unsigned>(v.size());
    }
  }
  EXPECT_EQ(crc, SASL_CONTINUE) << sasl_errdetail(client.get());
  if (crc != SASL_CONTINUE) return crc;
  EXPECT_STREQ(chosen, mech);
  const char* sout = nullptr;
  unsigned soutlen = 0;
  int src = sasl_server_start(server.get(), mech, out, outlen, &sout, &soutlen);
  for (int round = 0; src == SASL_CONTINUE && round < 3; ++round) {
    crc = sasl_client_step(client.get(), sout, soutlen, &prompts, &out, &outlen);
    EXPECT_EQ(crc, SASL_CONTINUE);
    src = sasl_server_step(server.get(), out, outlen, &sout, &soutlen);
  }
  if (src == SASL_OK) {
    EXPECT_EQ(sasl_client_step(client.get(), nullptr, 0, &prompts, &out, &outlen), SASL_OK);  // success, no data
    const void* v = nullptr;
    if (user && sasl_getprop(server.get(), SASL_USERNAME, &v) == SASL_OK) *user = static_cast<const char*>(v);
  }
  return src;
}

TEST_F(SaslExchange, ClientPluginWithCallbacks) {
  for (const char* mech : {"OAUTHBEARER", "XOAUTH2"}) {
    std::string user;
    EXPECT_EQ(client_server(mech, {"alice", mint_for("alice", "ES384"), {}}, false, &user), SASL_OK) << mech;
    EXPECT_EQ(user, "alice");
  }
}

TEST_F(SaslExchange, ClientPluginWithInteraction) {
  for (const char* mech : {"OAUTHBEARER", "XOAUTH2"}) {
    std::string user;
    EXPECT_EQ(client_server(mech, {"alice", mint_for("alice"), {}}, true, &user), SASL_OK) << mech;
    EXPECT_EQ(user, "alice");
  }
}

TEST_F(SaslExchange, ClientPluginAcknowledgesErrorChallenge) {
  EXPECT_EQ(client_server("OAUTHBEARER", {"alice", forge(mint_for("alice")), {}}, false), SASL_BADAUTH);
  EXPECT_EQ(client_server("XOAUTH2", {"alice", forge(mint_for("alice")), {}}, true), SASL_BADAUTH);
}

// Rough figures for the report (the benchmark proper lives in bench/): whole exchanges
// through libsasl2 against the core's bare JWT verification of the same tokens.
TEST_F(SaslExchange, ThroughputFigures) {
  constexpr int kFresh = 200, kRepeat = 20000;
  std::vector<std::string> fresh, bare_tokens;
  // A jti makes every token distinct: RS256 is deterministic, so two tokens minted for the
  // same user in the same second would otherwise be byte-identical (and a cache hit).
  auto unique = [](const std::string& tag, int i) {
    return mint({{"user", "alice"}, {"claims", {{"jti", tag + std::to_string(i)}}}});
  };
  for (int i = 0; i < kFresh; ++i) fresh.push_back(unique("sasl-", i));
  for (int i = 0; i < kFresh; ++i) bare_tokens.push_back(unique("bare-", i));
  std::string repeated = mint_for("alice");

  const std::string& ca = idp_value(idp(), "IDP_CA");
  auto discovery =
      nlohmann::json::parse(get_https(idp_value(idp(), "IDP_ISSUER") + "/.well-known/openid-configuration", ca));
  auto keys = oidc_sysauth::JwkSet::parse(get_https(discovery.at("jwks_uri").get<std::string>(), ca));
  ASSERT_TRUE(keys.has_value());
  oidc_sysauth::JwtPolicy policy;
  policy.issuer = idp_value(idp(), "IDP_ISSUER");
  policy.audiences = {"linux-hosts"};
  policy.algorithms = {"RS256", "ES384"};
  oidc_sysauth::SystemClock clock;

  ASSERT_TRUE(oidc_sysauth::verify_jwt(repeated, *keys, policy, clock).has_value());  // warm-up
  ASSERT_EQ(run_server("OAUTHBEARER", oauthbearer(repeated), "", "ldap").start_rc, SASL_OK);
  using Clock = std::chrono::steady_clock;
  auto seconds = [](Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); };
  auto t0 = Clock::now();
  for (const auto& tok : bare_tokens) ASSERT_TRUE(oidc_sysauth::verify_jwt(tok, *keys, policy, clock).has_value());
  auto t1 = Clock::now();
  for (const auto& tok : fresh) ASSERT_EQ(run_server("OAUTHBEARER", oauthbearer(tok), "", "ldap").start_rc, SASL_OK);
  auto t2 = Clock::now();
  for (int i = 0; i < kRepeat; ++i)
    ASSERT_EQ(run_server("OAUTHBEARER", oauthbearer(repeated), "", "ldap").start_rc, SASL_OK);
  auto t3 = Clock::now();
  double bare = kFresh / seconds(t0, t1), first = kFresh / seconds(t1, t2), again = kRepeat / seconds(t2, t3);
  std::printf("RS256: bare verify_jwt %.0f/s; SASL exchange first-seen %.0f/s (%.0f%% of bare); repeated %.0f/s\n",
              bare, first, 100.0 * first / bare, again);
  RecordProperty("bare_verify_per_s", static_cast<int>(bare));
  RecordProperty("first_seen_per_s", static_cast<int>(first));
  RecordProperty("repeated_per_s", static_cast<int>(again));
}

// ---- the IdP cannot be reached and nothing is cached ----

class SaslUnreachable : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = make_temp_dir();
    // Nothing listens on port 1; a fresh cache directory holds no discovery or JWKS.
    init_sasl("https://127.0.0.1:1/default", dir_);
  }
  static void TearDownTestSuite() {
    sasl_done();
    std::filesystem::remove_all(dir_);
  }
  static std::string dir_;
};
std::string SaslUnreachable::dir_;

TEST_F(SaslUnreachable, ValidLookingTokenIsUnavailableNotRefused) {
  auto ex = run_server("OAUTHBEARER", oauthbearer(mint_for("alice")), "\x01");
  EXPECT_EQ(ex.start_rc, SASL_UNAVAIL) << ex.challenge;
  auto x = run_server("XOAUTH2", xoauth2(mint_for("alice")), "");
  EXPECT_EQ(x.start_rc, SASL_UNAVAIL) << x.challenge;
}

}  // namespace

// ---- opaque tokens through RFC 7662 introspection (introspect_opaque = true) ----

class SaslIntrospection : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = make_temp_dir();
    init_sasl(idp_value(idp(), "IDP_ISSUER"), dir_,
              "introspect_opaque = true\nclient_secret_file = " + idp_value(idp(), "IDP_CLIENT_SECRET_FILE") + "\n");
  }
  static void TearDownTestSuite() {
    sasl_done();
    std::filesystem::remove_all(dir_);
  }
  static std::string dir_;
};
std::string SaslIntrospection::dir_;

TEST_F(SaslIntrospection, OpaqueAccessTokenAcceptedAndGarbageRefused) {
  std::string opaque = opaque_access_token("alice", "alice-pw");
  ASSERT_EQ(std::count(opaque.begin(), opaque.end(), '.'), 0) << "expected an opaque token";
  auto ok = run_server("OAUTHBEARER", oauthbearer(opaque), "", "ldap");
  EXPECT_EQ(ok.start_rc, SASL_OK) << ok.challenge;
  EXPECT_EQ(ok.user, "alice");
  auto x = run_server("XOAUTH2", xoauth2(opaque), "", "ldap");
  EXPECT_EQ(x.start_rc, SASL_OK) << x.challenge;
  expect_refused_with_challenge(run_server("OAUTHBEARER", oauthbearer("not-a-token-the-idp-issued"), "\x01", "ldap"));
}
