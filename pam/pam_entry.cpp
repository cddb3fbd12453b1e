// The six PAM entry points: parse arguments, call one flow function, never let an exception
// cross into C (STYLE.md rule 1). All logic lives in pam_flow.cpp.
#include <security/pam_ext.h>
#include <security/pam_modules.h>
#include <syslog.h>

#include <new>

#include "pam_flow.hpp"
#include "pam_host.hpp"

namespace {

template <typename Flow>
int guarded(pam_handle_t* pamh, Flow&& flow) noexcept {
  try {
    return flow();
  } catch (const std::bad_alloc&) {
    return PAM_BUF_ERR;
  } catch (...) {
    pam_syslog(pamh, LOG_CRIT, "%s", "internal error: unexpected exception (refusing)");
    return PAM_SERVICE_ERR;
  }
}

}  // namespace

// -fvisibility=hidden is the default for the whole tree: the ABI is exported explicitly,
// and the version script (pam_oidc.map) hides everything else.
extern "C" {

[[gnu::visibility("default")]] PAM_EXTERN int pam_sm_authenticate(pam_handle_t* pamh, int flags, int argc,
                                                                  const char** argv) noexcept {
  return guarded(pamh, [&] {
    oidc_sysauth::PamCall call(pamh, flags, argc, argv);
    return oidc_sysauth::authenticate_flow(call.host(), call.deps(), call.args());
  });
}

[[gnu::visibility("default")]] PAM_EXTERN int pam_sm_setcred(pam_handle_t* pamh, int flags, int argc,
                                                             const char** argv) noexcept {
  return guarded(pamh, [&] {
    oidc_sysauth::PamCall call(pamh, flags, argc, argv);
    return oidc_sysauth::setcred_flow(call.host(), call.deps(), call.args());
  });
}

[[gnu::visibility("default")]] PAM_EXTERN int pam_sm_acct_mgmt(pam_handle_t* pamh, int flags, int argc,
                                                               const char** argv) noexcept {
  return guarded(pamh, [&] {
    oidc_sysauth::PamCall call(pamh, flags, argc, argv);
    return oidc_sysauth::account_flow(call.host(), call.deps(), call.args());
  });
}

[[gnu::visibility("default")]] PAM_EXTERN int pam_sm_open_session(pam_handle_t* pamh, int flags, int argc,
                                                                  const char** argv) noexcept {
  return guarded(pamh, [&] {
    oidc_sysauth::PamCall call(pamh, flags, argc, argv);
    return oidc_sysauth::session_flow(call.host(), call.deps(), call.args(), true);
  });
}

[[gnu::visibility("default")]] PAM_EXTERN int pam_sm_close_session(pam_handle_t* pamh, int flags, int argc,
                                                                   const char** argv) noexcept {
  return guarded(pamh, [&] {
    oidc_sysauth::PamCall call(pamh, flags, argc, argv);
    return oidc_sysauth::session_flow(call.host(), call.deps(), call.args(), false);
  });
}

[[gnu::visibility("default")]] PAM_EXTERN int pam_sm_chauthtok(pam_handle_t* pamh, int flags, int argc,
                                                               const char** argv) noexcept {
  return guarded(pamh, [&] {
    oidc_sysauth::PamCall call(pamh, flags, argc, argv);
    return oidc_sysauth::chauthtok_flow(call.host(), call.deps(), call.args(), (flags & PAM_PRELIM_CHECK) != 0);
  });
}

}  // extern "C"
