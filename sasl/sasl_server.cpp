// Server OAUTHBEARER (RFC 7628) and XOAUTH2. One OidcContext (config, discovery, JWKS and
// verified-token caches) is built at plugin init — before Postfix chroots — and shared,
// read-only, by every connection on every thread; per-connection state is a small struct.
#include <algorithm>
#include <cstdio>
#include <memory>
#include <new>
#include <string>

#include "auth/authenticator.hpp"
#include "local_accounts_cache.hpp"
#include "names.hpp"
#include "oauthbearer_message.hpp"
#include "sasl_plugin.hpp"
#include "xoauth2_message.hpp"

namespace oidc_sysauth::sasl {
namespace {

// Everything the connections share. Immutable after init; OidcContext is thread-safe.
struct ServerShared {
  std::unique_ptr<SaslLogger> logger;  // declared first: the context logs to it until its end
  std::shared_ptr<OidcContext> context;
  SystemClock clock;
  LocalAccountsCache local_accounts{kLocalPasswdPath, kLocalGroupPath, clock};
};

// One per mechanism (libsasl calls mech_free once per mechanism with its glob_context).
struct ServerGlobal {
  Mechanism mechanism;
  std::shared_ptr<ServerShared> shared;
};

enum class ServerState {
  kStart,      // waiting for the client's message
  kErrorSent,  // error challenge sent; the client must acknowledge, then we fail
  kDone,       // finished (either way); any further step is a protocol error
};

struct ServerConnection {
  Mechanism mechanism;
  std::shared_ptr<ServerShared> shared;
  ServerState state = ServerState::kStart;
  std::string challenge;  // must stay valid until the next step (libsasl keeps the pointer)
};

// What the client asked for, whichever mechanism carried it. The token is a view into
// libsasl's input buffer, valid for this step only: we never copy it.
struct ClientRequest {
  std::string claimed_user;  // OAUTHBEARER a= / XOAUTH2 user=; may be empty for OAUTHBEARER
  std::string_view token;
};

const char* mech_name(Mechanism m) noexcept { return m == Mechanism::kOauthBearer ? kOauthBearerName : kXoauth2Name; }

Result<ClientRequest> parse_request(Mechanism mechanism, std::string_view message) {
  if (mechanism == Mechanism::kOauthBearer) {
    auto m = parse_oauthbearer_client_view(message);
    if (!m) return std::unexpected(m.error());
    return ClientRequest{std::move(m->authzid), m->token};
  }
  auto m = parse_xoauth2_client_view(message);
  if (!m) return std::unexpected(m.error());
  return ClientRequest{std::string(m->user), m->token};
}

// The claimed name denotes the token's own user (curl always sends a=<user>).
bool is_token_user(const Config& config, const Identity& id, std::string_view claimed) {
  if (claimed.empty() || claimed == id.local_name || claimed == id.idp_username) return true;
  auto local = local_name_for_login(config, claimed);
  return local && *local == id.local_name;
}

// A token whose user maps onto a host account (/etc/passwd or /etc/group: e.g. a local "bob")
// would authenticate the client as that account. PAM refuses it when the store is written;
// SASL writes no store, so it checks here (security issue 8). A missing file (a chroot
// without /etc/passwd) counts as empty, any other read error as taken (fail closed).
// The parsed files are shared by every exchange (re-read when they change, checked at most
// once a second): parsing them per exchange cost more than everything else together.
Result<Ok> not_a_host_account(LocalAccountsCache& accounts, const std::string& name) {
  auto local = accounts.get();
  if (!local) return fail(ErrorCode::kPolicyDenied, "cannot read the host's accounts: " + local.error().detail,
                          "local_accounts_unreadable");
  if ((*local)->has_name(name))
    return fail(ErrorCode::kUserUnknown, "token user '" + name + "' is a local account of this host", "local_account");
  return Ok{};
}

void fill_done(sasl_out_params_t* oparams) noexcept {
  oparams->doneflag = 1;
  oparams->mech_ssf = 0;
  oparams->maxoutbuf = 0;
  oparams->encode_context = nullptr;
  oparams->encode = nullptr;
  oparams->decode_context = nullptr;
  oparams->decode = nullptr;
  oparams->param_version = 0;
}

// canon_user order matters for slapd: AUTHID|AUTHZID in one call for the user's own name;
// a different authzid is proxy authorization, checked by the application's policy.
Result<int> canonicalize(sasl_server_params_t* sparams, const Config& config, const Identity& id,
                         std::string_view claimed, std::string_view service, sasl_out_params_t* oparams) {
  const auto& name = id.local_name;
  auto* conn = sparams->utils->conn;
  if (is_token_user(config, id, claimed)) {
    return sparams->canon_user(conn, name.data(), static_cast<unsigned>(name.size()),
                               SASL_CU_AUTHID | SASL_CU_AUTHZID | SASL_CU_EXTERNALLY_VERIFIED, oparams);
  }
  const AccessConfig* section = config.service_section(service);
  const auto& allow_proxy = section != nullptr && section->allow_proxy ? section->allow_proxy : config.access.allow_proxy;
  if (!allow_proxy.value_or(false))
    return fail(ErrorCode::kPolicyDenied,
                "authorization identity '" + std::string(claimed) + "' differs from token user '" + name +
                    "' and allow_proxy is off for service '" + std::string(service) + "'",
                "proxy_refused");
  int rc = sparams->canon_user(conn, name.data(), static_cast<unsigned>(name.size()),
                               SASL_CU_AUTHID | SASL_CU_EXTERNALLY_VERIFIED, oparams);
  if (rc != SASL_OK) return rc;
  return sparams->canon_user(conn, claimed.data(), static_cast<unsigned>(claimed.size()), SASL_CU_AUTHZID, oparams);
}

// A refusal the client should hear about: send the mechanism's error challenge and fail
// once the client has acknowledged it.
int send_error_challenge(ServerConnection& c, const Config& config, const char** out, unsigned* outlen) {
  if (c.mechanism == Mechanism::kOauthBearer)
    c.challenge = build_oauthbearer_error("invalid_token", config.idp.scopes, c.shared->context->discovery_url());
  else
    c.challenge = build_xoauth2_error(config.idp.scopes);
  c.state = ServerState::kErrorSent;
  *out = c.challenge.data();
  *outlen = static_cast<unsigned>(c.challenge.size());
  return SASL_CONTINUE;
}

int refuse(ServerConnection& c, sasl_server_params_t* sparams, const Error& error, const char** out, unsigned* outlen) {
  const auto* utils = sparams->utils;
  int code = sasl_code_for(error.code);
  std::string line = std::string(mech_name(c.mechanism)) + " refused: " + error.detail +
                     (error.reason.empty() ? "" : " (" + error.reason + ")");
  log_line(utils, code == SASL_BADAUTH ? SASL_LOG_FAIL : SASL_LOG_ERR, line);
  set_error(utils, line);
  if (code != SASL_BADAUTH) {
    c.state = ServerState::kDone;
    return code;
  }
  return send_error_challenge(c, c.shared->context->config(), out, outlen);
}

// The success line, composed in a stack buffer (no temporary strings per exchange).
void log_accepted(const sasl_utils_t* utils, Mechanism mechanism, std::string_view name, std::string_view service) {
  char line[512];
  const int n = std::snprintf(line, sizeof line, "%s accepted %.*s for service %.*s", mech_name(mechanism),
                              static_cast<int>(name.size()), name.data(), static_cast<int>(service.size()),
                              service.data());
  if (n > 0) log_line(utils, SASL_LOG_NOTE, std::string_view(line, std::min<std::size_t>(n, sizeof line - 1)));
}

int first_step(ServerConnection& c, sasl_server_params_t* sparams, std::string_view in, const char** out,
               unsigned* outlen, sasl_out_params_t* oparams) {
  auto request = parse_request(c.mechanism, in);
  if (!request) {
    c.state = ServerState::kDone;
    return refuse(c, sparams, request.error(), out, outlen);
  }
  auto& context = *c.shared->context;
  const Config& config = context.config();
  const std::string_view service = sparams->service != nullptr ? sparams->service : "";
  auto verified = context.verify_bearer_shared(request->token);  // shared: no copy per exchange
  if (!verified) return refuse(c, sparams, verified.error(), out, outlen);
  const Identity& identity = **verified;
  if (auto allowed = check_access(config, identity, service); !allowed)
    return refuse(c, sparams, allowed.error(), out, outlen);
  if (auto ours = not_a_host_account(c.shared->local_accounts, identity.local_name); !ours)
    return refuse(c, sparams, ours.error(), out, outlen);
  auto rc = canonicalize(sparams, config, identity, request->claimed_user, service, oparams);
  if (!rc) return refuse(c, sparams, rc.error(), out, outlen);
  c.state = ServerState::kDone;
  if (*rc != SASL_OK) return *rc;
  fill_done(oparams);
  log_accepted(sparams->utils, c.mechanism, identity.local_name, service);
  return SASL_OK;
}

int step(ServerConnection& c, sasl_server_params_t* sparams, std::string_view in, const char** out, unsigned* outlen,
         sasl_out_params_t* oparams) {
  switch (c.state) {
    case ServerState::kStart:
      return first_step(c, sparams, in, out, outlen, oparams);
    case ServerState::kErrorSent: {
      c.state = ServerState::kDone;
      bool acked = c.mechanism == Mechanism::kOauthBearer ? is_oauthbearer_error_ack(in) : in.empty();
      if (!acked) {
        set_error(sparams->utils, "client did not acknowledge the error challenge");
        return SASL_BADPROT;
      }
      return SASL_BADAUTH;
    }
    case ServerState::kDone:
      break;
  }
  set_error(sparams->utils, "exchange already finished");
  return SASL_BADPROT;
}

// ---- C callbacks: every one is noexcept with a catch-all ----

int mech_new(void* glob, sasl_server_params_t* sparams, const char*, unsigned, void** conn_context) noexcept {
  try {
    auto* g = static_cast<ServerGlobal*>(glob);
    if (g == nullptr || conn_context == nullptr) return SASL_BADPARAM;
    *conn_context = new ServerConnection{g->mechanism, g->shared, ServerState::kStart, {}};
    return SASL_OK;
  } catch (const std::bad_alloc&) {
    return SASL_NOMEM;
  } catch (...) {
    log_line(sparams != nullptr ? sparams->utils : nullptr, SASL_LOG_ERR, "mech_new failed");
    return SASL_FAIL;
  }
}

int mech_step(void* conn_context, sasl_server_params_t* sparams, const char* clientin, unsigned clientinlen,
              const char** serverout, unsigned* serveroutlen, sasl_out_params_t* oparams) noexcept {
  if (conn_context == nullptr || sparams == nullptr || serverout == nullptr || serveroutlen == nullptr ||
      oparams == nullptr)
    return SASL_BADPARAM;
  *serverout = nullptr;
  *serveroutlen = 0;
  auto& c = *static_cast<ServerConnection*>(conn_context);
  SaslLogger::ConnectionScope scope(sparams->utils);
  try {
    std::string_view in = clientin != nullptr ? std::string_view(clientin, clientinlen) : std::string_view();
    return step(c, sparams, in, serverout, serveroutlen, oparams);
  } catch (const std::bad_alloc&) {
    c.state = ServerState::kDone;
    return SASL_NOMEM;
  } catch (...) {
    c.state = ServerState::kDone;
    log_line(sparams->utils, SASL_LOG_ERR, "internal error in mech_step");
    return SASL_FAIL;
  }
}

void mech_dispose(void* conn_context, const sasl_utils_t*) noexcept {
  delete static_cast<ServerConnection*>(conn_context);  // holds no secret: the token was only ever viewed in place
}

// The table libsasl reads. Plain data; glob_context is filled at init.
extern sasl_server_plug_t g_server_plugins[2];

void mech_free(void* glob, const sasl_utils_t*) noexcept {
  for (auto& plug : g_server_plugins)
    if (plug.glob_context == glob) plug.glob_context = nullptr;  // a later init must not free it again
  delete static_cast<ServerGlobal*>(glob);
}

// OAUTHBEARER and XOAUTH2 share one implementation and the same flags; only the name differs.
constexpr sasl_server_plug_t server_plug(const char* name) {
  return {.mech_name = name,
          .max_ssf = 0,
          .security_flags = SASL_SEC_NOANONYMOUS | SASL_SEC_PASS_CREDENTIALS,
          .features = SASL_FEAT_WANT_CLIENT_FIRST | SASL_FEAT_ALLOWS_PROXY,
          .glob_context = nullptr,
          .mech_new = &mech_new,
          .mech_step = &mech_step,
          .mech_dispose = &mech_dispose,
          .mech_free = &mech_free,
          .setpass = nullptr,
          .user_query = nullptr,
          .idle = nullptr,
          .mech_avail = nullptr,
          .spare_fptr2 = nullptr};
}

constinit sasl_server_plug_t g_server_plugins[2] = {server_plug(kOauthBearerName), server_plug(kXoauth2Name)};

Result<std::shared_ptr<ServerShared>> build_shared(const sasl_utils_t* utils) {
  const char* path = get_option(utils, "oidc_config");
  const char* debug = get_option(utils, "oidc_debug");
  bool debug_on = debug != nullptr && (debug[0] == 'y' || debug[0] == 'Y' || debug[0] == '1' || debug[0] == 't');
  auto shared = std::make_shared<ServerShared>();
  shared->logger = std::make_unique<SaslLogger>(utils, debug_on);
  std::string config_path = path != nullptr ? path : kDefaultConfigPath;
  auto config = load_config(config_path);
  if (!config) return std::unexpected(config.error());
  shared->logger->log(LogLevel::kInfo, "server mechanisms use " + config_path + " (issuer " + config->idp.issuer + ")");
  ContextOptions options;
  options.logger = shared->logger.get();
  auto context = OidcContext::create(std::move(*config), options);
  if (!context) return std::unexpected(context.error());
  shared->context = std::move(*context);
  // Discovery and JWKS now, while the files and the network are still reachable (Postfix
  // chroots after init). A failure is not fatal: the first exchange retries.
  if (auto warm = shared->context->preload(); !warm)
    shared->logger->log(LogLevel::kWarning, "could not preload discovery/JWKS: " + warm.error().detail);
  return shared;
}

}  // namespace

int server_plug_init(const sasl_utils_t* utils, int max_version, int* out_version, sasl_server_plug_t** plugs,
                     int* count) {
  if (max_version < SASL_SERVER_PLUG_VERSION) {
    log_line(utils, SASL_LOG_ERR, "libsasl2 too old for this plugin");
    return SASL_BADVERS;
  }
  auto shared = build_shared(utils);
  if (!shared) {
    // Fail closed and visibly: without a config the mechanisms are not offered at all.
    log_line(utils, SASL_LOG_ERR, "server mechanisms disabled: " + shared.error().detail);
    return sasl_code_for(shared.error().code) == SASL_NOMEM ? SASL_NOMEM : SASL_FAIL;
  }
  for (auto& plug : g_server_plugins) {
    if (plug.glob_context != nullptr) mech_free(plug.glob_context, utils);  // a second init without mech_free
    plug.glob_context = nullptr;
  }
  g_server_plugins[0].glob_context = new ServerGlobal{Mechanism::kOauthBearer, *shared};
  g_server_plugins[1].glob_context = new ServerGlobal{Mechanism::kXoauth2, *shared};
  *out_version = SASL_SERVER_PLUG_VERSION;
  *plugs = g_server_plugins;
  *count = 2;
  return SASL_OK;
}

}  // namespace oidc_sysauth::sasl
