// OidcContext::login: the grant chosen per service (password, device, token-as-password,
// Logto Management API), second factors, and the check that the IdP authenticated the
// person whose name was typed.
#include <algorithm>

#include "auth/oidc_context_impl.hpp"

namespace oidc_sysauth {
namespace {

constexpr std::size_t kMaxPasswordBytes = 16 * 1024;
constexpr std::size_t kMaxOtpBytes = 64;

class TextPresenter final : public DeviceGrantPresenter {
 public:
  void present(Conversation& conversation, const DeviceCodeDisplay& d) override {
    if (!d.verification_uri_complete.empty()) {
      conversation.instructions("To sign in, open " + d.verification_uri_complete + "\n(or open " + d.verification_uri +
                        " and enter the code " + d.user_code + ")");
    } else {
      conversation.instructions("To sign in, open " + d.verification_uri + " and enter the code " + d.user_code);
    }
  }
};

// What the person is told when the device step ends without a login (sudo and a console
// show it; sshd's keyboard-interactive drops it, there is no further prompt to carry it).
std::string device_failure_text(const Error& e) {
  if (e.reason == "access_denied") return "The login was denied in the browser.";
  if (e.reason == "expired_token") return "The code expired before the login was approved.";
  if (e.reason == "device_timeout") return "The login was not approved in time.";
  if (e.code == ErrorCode::kIdpUnavailable) return "The identity provider cannot be reached.";
  return {};
}

bool falls_back_to_device(const Error& e) {
  return e.code == ErrorCode::kMisconfigured && (e.reason == "unsupported_grant_type" || e.reason == "unauthorized_client");
}

}  // namespace

GrantParams OidcContextImpl::grant_params() const {
  GrantParams p;
  p.scope = config_.idp.scopes;
  p.resource = config_.idp.resource;
  return p;
}

std::string OidcContextImpl::idp_login_name(const std::string& local) const { return local + config_.idp.login_suffix; }

Result<Identity> OidcContextImpl::login(const LoginRequest& request, Conversation& conversation) {
  try {
    auto local = local_name_for_login(config_, request.login_name);
    if (!local) return std::unexpected(local.error());
    if (request.password.size() > kMaxPasswordBytes)
      return fail(ErrorCode::kCredentialsRefused, "password too long", "too_large");
    if (request.token_login) {
      const bool jwt = looks_like_jwt(request.password.expose());
      if (jwt || config_.idp.introspect_opaque) {
        auto identity = token_login(request, *local);
        // An opaque "token" that introspection calls inactive may just be a password.
        if (jwt || identity || identity.error().reason != "inactive") return identity;
      }
    }
    const GrantType grant = config_.grant_for(request.service);
    if (logto_ && grant != GrantType::kDevice) {
      auto meta = discovery_.get();
      if (!meta) return std::unexpected(meta.error());
      auto identity = logto_->login(idp_login_name(*local), request.password, (*meta)->token_endpoint);
      if (!identity) return identity;
      if (auto ok = require_local_name(*identity, *local); !ok) return std::unexpected(ok.error());
      return identity;
    }
    auto choice = effective_grant(request.service);
    if (!choice) return std::unexpected(choice.error());
    if (choice->grant == GrantType::kDevice) {
      auto meta = discovery_.get();
      if (!meta) return std::unexpected(meta.error());
      return device_login(*local, conversation, **meta);
    }
    return password_login(request, *local, conversation);
  } catch (const std::bad_alloc&) {
    return fail(ErrorCode::kNoMemory, "out of memory during login");
  }
}

Result<Identity> OidcContextImpl::token_login(const LoginRequest& request, const std::string& local) {
  auto identity = verify_bearer(request.password.expose());
  if (!identity) return identity;
  // A valid token of someone else must never open this account.
  if (auto ok = require_local_name(*identity, local); !ok) return std::unexpected(ok.error());
  return identity;
}

Result<Identity> OidcContextImpl::password_login(const LoginRequest& request, const std::string& local,
                                                 Conversation& conv) {
  if (request.password.empty()) return fail(ErrorCode::kCredentialsRefused, "empty password", "empty_password");
  auto meta = discovery_.get();
  if (!meta) return std::unexpected(meta.error());
  auto tokens = oauth_.password_grant((*meta)->token_endpoint, idp_login_name(local), request.password, grant_params());
  if (!tokens) {
    const Error& e = tokens.error();
    if (e.code == ErrorCode::kSecondFactorRequired) return second_factor(request, local, conv, **meta, e);
    const bool auto_grant = config_.grant_for(request.service) == GrantType::kAuto;
    if (auto_grant && falls_back_to_device(e) && !(*meta)->device_authorization_endpoint.empty()) {
      log_.log(LogLevel::kNotice, "password grant refused by the IdP (" + e.reason + "): using the device grant");
      return device_login(local, conv, **meta);
    }
    return std::unexpected(e);
  }
  auto identity = identity_from_tokens(*tokens, **meta, "password");
  if (!identity) return identity;
  if (auto ok = require_local_name(*identity, local); !ok) return std::unexpected(ok.error());
  return identity;
}

Result<Identity> OidcContextImpl::second_factor(const LoginRequest& request, const std::string& local,
                                                Conversation& conv, const ProviderMetadata& meta, const Error& first) {
  log_.log(LogLevel::kInfo, "IdP requires a second factor for " + local + ": " + first.detail);
  switch (config_.idp.second_factor) {
    case SecondFactor::kRefuse:
      return std::unexpected(first);
    case SecondFactor::kDevice:
      if (meta.device_authorization_endpoint.empty()) return std::unexpected(first);
      return device_login(local, conv, meta);
    case SecondFactor::kPrompt:
      break;
  }
  if (!conv.interactive() || config_.idp.otp_field.empty()) return std::unexpected(first);
  auto otp = conv.prompt_hidden("One-time code: ");
  if (!otp) return std::unexpected(otp.error());
  if (otp->empty() || otp->size() > kMaxOtpBytes)
    return fail(ErrorCode::kCredentialsRefused, "no usable one-time code entered", "otp_refused");
  GrantParams params = grant_params();
  params.extra.emplace_back(config_.idp.otp_field, std::move(*otp));
  auto tokens = oauth_.password_grant(meta.token_endpoint, idp_login_name(local), request.password, params);
  if (!tokens) {
    // Still asking for a second factor after we sent one: the code was wrong. Never success.
    if (tokens.error().code == ErrorCode::kSecondFactorRequired)
      return fail(ErrorCode::kCredentialsRefused, "one-time code refused: " + tokens.error().detail, "otp_refused");
    return std::unexpected(tokens.error());
  }
  auto identity = identity_from_tokens(*tokens, meta, "password");
  if (!identity) return identity;
  if (auto ok = require_local_name(*identity, local); !ok) return std::unexpected(ok.error());
  return identity;
}

Result<Identity> OidcContextImpl::device_login(const std::string& local, Conversation& conv,
                                               const ProviderMetadata& meta) {
  auto grant = DeviceGrant::start(oauth_, clock_, meta.device_authorization_endpoint, meta.token_endpoint,
                                  grant_params(), config_.idp.device_timeout_seconds);
  if (!grant) return std::unexpected(grant.error());
  const DeviceAuthorization& auth = grant->authorization();
  DeviceCodeDisplay display{auth.verification_uri, auth.verification_uri_complete, auth.user_code, auth.expires_in};
  TextPresenter text;
  (presenter_ != nullptr ? *presenter_ : static_cast<DeviceGrantPresenter&>(text)).present(conv, display);
  // sshd's keyboard-interactive shows info text only with the next prompt, so the step
  // ends in one; an immediate Enter is fine: we keep polling until approved or expired.
  if (conv.interactive()) {
    auto enter = conv.prompt_visible("Press Enter once you have approved the login in your browser");
    if (!enter) return std::unexpected(enter.error());
  }
  auto tokens = grant->wait(sleeper_);
  if (!tokens) {
    if (auto message = device_failure_text(tokens.error()); !message.empty()) conv.error(message);
    return std::unexpected(tokens.error());
  }
  auto identity = identity_from_tokens(*tokens, meta, "device");
  if (!identity) return identity;
  // Whoever approved the code must be the person whose account this is.
  if (auto ok = require_local_name(*identity, local); !ok) return std::unexpected(ok.error());
  return identity;
}

}  // namespace oidc_sysauth
