// Client OAUTHBEARER and XOAUTH2: the token comes from SASL_CB_PASS (ldapwhoami -w), the
// user from SASL_CB_AUTHNAME (-U) and an optional authzid from SASL_CB_USER (-X), through
// callbacks or SASL_INTERACT prompts (libldap supplies everything as prompts).
#include <array>
#include <cstring>
#include <new>
#include <optional>
#include <string>
#include <vector>

#include "oauthbearer_message.hpp"
#include "sasl_plugin.hpp"
#include "xoauth2_message.hpp"

namespace oidc_sysauth::sasl {
namespace {

enum class ClientState {
  kStart,  // nothing sent yet (possibly waiting for prompts to be answered)
  kSent,   // initial response sent; success or an error challenge comes next
  kAcked,  // error challenge acknowledged; the server fails the exchange
  kDone,
};

struct ClientConnection {
  Mechanism mechanism;
  ClientState state = ClientState::kStart;
  std::vector<sasl_interact_t> prompts;  // handed to the application in SASL_INTERACT
  Secret output;                         // must stay valid until the next step; holds the token
  std::string ack;                       // "\x01" or ""
};

// One value we need from the application.
struct Wanted {
  unsigned long id;
  const char* prompt;
  bool secret;
  std::optional<std::string> value;  // engaged once known (possibly empty)
};

const sasl_interact_t* find_prompt(sasl_interact_t** prompt_need, unsigned long id) {
  if (prompt_need == nullptr || *prompt_need == nullptr) return nullptr;
  for (const sasl_interact_t* p = *prompt_need; p->id != SASL_CB_LIST_END; ++p)
    if (p->id == id) return p;
  return nullptr;
}

// Answer from an earlier SASL_INTERACT round, else from a callback. SASL_INTERACT when the
// application wants to be prompted; SASL_OK with no value when it has nothing.
int fetch(const sasl_utils_t* utils, sasl_interact_t** prompt_need, Wanted& w) {
  if (const auto* p = find_prompt(prompt_need, w.id)) {
    const char* r = static_cast<const char*>(p->result);
    w.value = r != nullptr ? std::string(r, p->len) : std::string();
    return SASL_OK;
  }
  sasl_callback_ft proc = nullptr;
  void* ctx = nullptr;
  int rc = utils->getcallback(utils->conn, w.id, &proc, &ctx);
  if (rc == SASL_INTERACT) return SASL_INTERACT;
  if (rc != SASL_OK || proc == nullptr) return SASL_OK;  // no such callback: the value is absent
  if (w.secret) {
    sasl_secret_t* secret = nullptr;
    rc = reinterpret_cast<sasl_getsecret_t*>(reinterpret_cast<void (*)()>(proc))(utils->conn, ctx,
                                                                                 static_cast<int>(w.id), &secret);
    if (rc != SASL_OK) return rc;
    if (secret != nullptr) w.value = std::string(reinterpret_cast<const char*>(secret->data), secret->len);
    return SASL_OK;
  }
  const char* result = nullptr;
  unsigned len = 0;
  rc = reinterpret_cast<sasl_getsimple_t*>(reinterpret_cast<void (*)()>(proc))(ctx, static_cast<int>(w.id), &result,
                                                                               &len);
  if (rc != SASL_OK) return rc;
  if (result != nullptr) w.value = len != 0 ? std::string(result, len) : std::string(result);
  return SASL_OK;
}

void wipe(std::optional<std::string>& s) noexcept {
  if (s) secure_zero(s->data(), s->size());
}

// Builds the prompt array for every value still unknown.
void make_prompts(ClientConnection& c, const std::array<Wanted*, 3>& wanted) {
  c.prompts.clear();
  for (Wanted* w : wanted) {
    if (w->value) continue;
    sasl_interact_t p{};
    p.id = w->id;
    p.challenge = nullptr;
    p.prompt = w->prompt;
    p.defresult = nullptr;
    c.prompts.push_back(p);
  }
  sasl_interact_t end{};
  end.id = SASL_CB_LIST_END;
  c.prompts.push_back(end);
}

int canonicalize(sasl_client_params_t* cparams, const std::string& authid, const std::string& authzid,
                 sasl_out_params_t* oparams) {
  auto* conn = cparams->utils->conn;
  const std::string& user = authzid.empty() ? authid : authzid;
  if (authid.empty() || authid == user)
    return cparams->canon_user(conn, user.c_str(), static_cast<unsigned>(user.size()), SASL_CU_AUTHID | SASL_CU_AUTHZID,
                               oparams);
  int rc = cparams->canon_user(conn, authid.c_str(), static_cast<unsigned>(authid.size()), SASL_CU_AUTHID, oparams);
  if (rc != SASL_OK) return rc;
  return cparams->canon_user(conn, authzid.c_str(), static_cast<unsigned>(authzid.size()), SASL_CU_AUTHZID, oparams);
}

std::optional<std::uint16_t> port_of(const sasl_client_params_t* cparams) {
  // ipremoteport is "addr;port".
  if (cparams->ipremoteport == nullptr) return std::nullopt;
  const char* semi = std::strrchr(cparams->ipremoteport, ';');
  if (semi == nullptr) return std::nullopt;
  unsigned long v = 0;
  for (const char* p = semi + 1; *p != '\0'; ++p) {
    if (*p < '0' || *p > '9' || v > 65535) return std::nullopt;
    v = v * 10 + static_cast<unsigned long>(*p - '0');
  }
  if (v == 0 || v > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(v);
}

int first_step(ClientConnection& c, sasl_client_params_t* cparams, sasl_interact_t** prompt_need, const char** out,
               unsigned* outlen, sasl_out_params_t* oparams) {
  const auto* utils = cparams->utils;
  Wanted authzid{SASL_CB_USER, "Authorization name (optional)", false, {}};
  Wanted authname{SASL_CB_AUTHNAME, "User name", false, {}};
  Wanted token{SASL_CB_PASS, "Bearer token", true, {}};
  std::array<Wanted*, 3> wanted{&authzid, &authname, &token};
  bool need_prompt = false;
  for (Wanted* w : wanted) {
    int rc = fetch(utils, prompt_need, *w);
    if (rc == SASL_INTERACT)
      need_prompt = true;
    else if (rc != SASL_OK)
      return rc;
  }
  if (prompt_need != nullptr) *prompt_need = nullptr;  // the answered array is ours (c.prompts): not freed here
  if (need_prompt) {
    wipe(token.value);
    if (prompt_need == nullptr) {
      set_error(utils, "no token: the application supports neither callbacks nor interaction");
      return SASL_BADPARAM;
    }
    make_prompts(c, wanted);
    *prompt_need = c.prompts.data();
    return SASL_INTERACT;
  }
  std::string user = authzid.value.value_or(""), authid = authname.value.value_or("");
  if (!token.value || token.value->empty()) {
    set_error(utils, "no bearer token given (SASL_CB_PASS)");
    return SASL_BADPARAM;
  }
  Result<Secret> message = c.mechanism == Mechanism::kOauthBearer
                               ? build_oauthbearer_client(user.empty() ? authid : user,
                                                          cparams->serverFQDN != nullptr ? cparams->serverFQDN : "",
                                                          port_of(cparams), *token.value)
                               : build_xoauth2_client(user.empty() ? authid : user, *token.value);
  wipe(token.value);
  if (!message) {
    set_error(utils, message.error().detail);
    return SASL_BADPARAM;
  }
  int rc = canonicalize(cparams, authid, user, oparams);
  if (rc != SASL_OK) return rc;
  c.output = std::move(*message);
  c.state = ClientState::kSent;
  *out = c.output.expose().data();
  *outlen = static_cast<unsigned>(c.output.size());
  return SASL_CONTINUE;
}

int step(ClientConnection& c, sasl_client_params_t* cparams, std::string_view in, sasl_interact_t** prompt_need,
         const char** out, unsigned* outlen, sasl_out_params_t* oparams) {
  switch (c.state) {
    case ClientState::kStart:
      return first_step(c, cparams, prompt_need, out, outlen, oparams);
    case ClientState::kSent:
      c.output.clear();
      if (in.empty()) {  // the server's success carries no data
        c.state = ClientState::kDone;
        oparams->doneflag = 1;
        oparams->mech_ssf = 0;
        oparams->maxoutbuf = 0;
        oparams->encode = nullptr;
        oparams->decode = nullptr;
        oparams->param_version = 0;
        return SASL_OK;
      }
      // An error challenge: acknowledge it so the server can finish, keep its text for the user.
      set_error(cparams->utils, std::string("server refused the token: ") + std::string(in.substr(0, 400)));
      c.ack = c.mechanism == Mechanism::kOauthBearer ? std::string(1, kKvSep) : std::string();
      c.state = ClientState::kAcked;
      *out = c.ack.data();
      *outlen = static_cast<unsigned>(c.ack.size());
      return SASL_CONTINUE;
    case ClientState::kAcked:
    case ClientState::kDone:
      break;
  }
  set_error(cparams->utils, "unexpected server message after the exchange ended");
  return SASL_BADPROT;
}

int mech_new(void* glob, sasl_client_params_t*, void** conn_context) noexcept {
  try {
    if (conn_context == nullptr) return SASL_BADPARAM;
    *conn_context = new ClientConnection{*static_cast<const Mechanism*>(glob), ClientState::kStart, {}, {}, {}};
    return SASL_OK;
  } catch (...) {
    return SASL_NOMEM;
  }
}

int mech_step(void* conn_context, sasl_client_params_t* cparams, const char* serverin, unsigned serverinlen,
              sasl_interact_t** prompt_need, const char** clientout, unsigned* clientoutlen,
              sasl_out_params_t* oparams) noexcept {
  if (conn_context == nullptr || cparams == nullptr || clientout == nullptr || clientoutlen == nullptr ||
      oparams == nullptr)
    return SASL_BADPARAM;
  *clientout = nullptr;
  *clientoutlen = 0;
  auto& c = *static_cast<ClientConnection*>(conn_context);
  try {
    std::string_view in = serverin != nullptr ? std::string_view(serverin, serverinlen) : std::string_view();
    return step(c, cparams, in, prompt_need, clientout, clientoutlen, oparams);
  } catch (const std::bad_alloc&) {
    return SASL_NOMEM;
  } catch (...) {
    return SASL_FAIL;
  }
}

void mech_dispose(void* conn_context, const sasl_utils_t*) noexcept {
  delete static_cast<ClientConnection*>(conn_context);  // Secret output wipes the token
}

// Mechanism tags used as glob_context: constant, never freed.
constexpr Mechanism kOauthBearerTag = Mechanism::kOauthBearer;
constexpr Mechanism kXoauth2Tag = Mechanism::kXoauth2;

// Only the token is required; libsasl checks the application can supply it.
const unsigned long kRequiredPrompts[] = {SASL_CB_PASS, SASL_CB_LIST_END};

constexpr sasl_client_plug_t make_client_plug(const char* name, const Mechanism* tag) {
  sasl_client_plug_t p{};
  p.mech_name = name;
  p.max_ssf = 0;
  p.security_flags = SASL_SEC_NOANONYMOUS | SASL_SEC_PASS_CREDENTIALS;
  p.features = SASL_FEAT_WANT_CLIENT_FIRST | SASL_FEAT_ALLOWS_PROXY;
  p.required_prompts = kRequiredPrompts;
  p.glob_context = const_cast<Mechanism*>(tag);
  p.mech_new = &mech_new;
  p.mech_step = &mech_step;
  p.mech_dispose = &mech_dispose;
  return p;
}

constinit sasl_client_plug_t g_client_plugins[2] = {make_client_plug(kOauthBearerName, &kOauthBearerTag),
                                                    make_client_plug(kXoauth2Name, &kXoauth2Tag)};

}  // namespace

int client_plug_init(const sasl_utils_t* utils, int max_version, int* out_version, sasl_client_plug_t** plugs,
                     int* count) {
  if (max_version < SASL_CLIENT_PLUG_VERSION) {
    log_line(utils, SASL_LOG_ERR, "libsasl2 too old for this plugin");
    return SASL_BADVERS;
  }
  *out_version = SASL_CLIENT_PLUG_VERSION;
  *plugs = g_client_plugins;
  *count = 2;
  return SASL_OK;
}

}  // namespace oidc_sysauth::sasl
