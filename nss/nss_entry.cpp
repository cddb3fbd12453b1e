// The _nss_oidc_* entry points glibc calls. Each one converts arguments, calls one
// function of the core (common/store/nss_source.hpp) and maps its Status through
// one table; a catch-all keeps exceptions out of C (STYLE.md rule 1).
//
// The store path is compiled in: NSS runs inside setuid programs, so nothing here
// may come from the environment. Tests bind-mount over /var/lib/oidc-sysauth in a
// private mount namespace instead.
#include <grp.h>
#include <nss.h>
#include <pwd.h>
#include <shadow.h>

#include <cerrno>
#include <new>

#include "config.hpp"
#include "names.hpp"
#include "store/nss_source.hpp"

namespace {

using oidc_sysauth::nss::Db;
using oidc_sysauth::nss::SourceState;
using oidc_sysauth::nss::Status;

// Constant-initialised (constinit checks it): nothing runs at load or unload time.
constinit SourceState g_state = oidc_sysauth::nss::initial_state(
    "/var/lib/oidc-sysauth/accounts.db", "/var/lib/oidc-sysauth/accounts.journal", oidc_sysauth::kDefaultConfigPath,
    oidc_sysauth::kLocalPasswdPath, oidc_sysauth::kLocalGroupPath);

nss_status to_nss(Status s, int* errnop) noexcept {
  int e = 0;
  nss_status out = NSS_STATUS_UNAVAIL;
  switch (s) {
    case Status::kSuccess:
      return NSS_STATUS_SUCCESS;
    case Status::kNotFound:
      e = ENOENT;
      out = NSS_STATUS_NOTFOUND;
      break;
    case Status::kUnavail:
      e = ENOENT;
      out = NSS_STATUS_UNAVAIL;
      break;
    case Status::kTryAgain:
      e = ERANGE;
      out = NSS_STATUS_TRYAGAIN;
      break;
    case Status::kNoMemory:
      e = ENOMEM;
      out = NSS_STATUS_TRYAGAIN;
      break;
  }
  if (errnop != nullptr) *errnop = e;
  return out;
}

// Any exception that escaped the core: out of memory is worth a retry, anything else is not.
template <typename F>
nss_status guarded(int* errnop, F&& f) noexcept {
  try {
    return to_nss(f(), errnop);
  } catch (const std::bad_alloc&) {
    return to_nss(Status::kNoMemory, errnop);
  } catch (...) {
    return to_nss(Status::kUnavail, errnop);
  }
}

}  // namespace

extern "C" {

#define OIDC_EXPORT __attribute__((visibility("default")))

OIDC_EXPORT nss_status _nss_oidc_getpwnam_r(const char* name, passwd* pw, char* buf, size_t len, int* errnop) noexcept {
  return guarded(errnop, [&] { return oidc_sysauth::nss::getpwnam(g_state, name, pw, buf, len); });
}

OIDC_EXPORT nss_status _nss_oidc_getpwuid_r(uid_t uid, passwd* pw, char* buf, size_t len, int* errnop) noexcept {
  return guarded(errnop, [&] { return oidc_sysauth::nss::getpwuid(g_state, uid, pw, buf, len); });
}

OIDC_EXPORT nss_status _nss_oidc_setpwent(int /*stayopen*/) noexcept {
  oidc_sysauth::nss::setent(g_state, Db::kPasswd);
  return NSS_STATUS_SUCCESS;
}

OIDC_EXPORT nss_status _nss_oidc_getpwent_r(passwd* pw, char* buf, size_t len, int* errnop) noexcept {
  return guarded(errnop, [&] { return oidc_sysauth::nss::getpwent(g_state, pw, buf, len); });
}

OIDC_EXPORT nss_status _nss_oidc_endpwent(void) noexcept { return NSS_STATUS_SUCCESS; }

OIDC_EXPORT nss_status _nss_oidc_getgrnam_r(const char* name, group* gr, char* buf, size_t len, int* errnop) noexcept {
  return guarded(errnop, [&] { return oidc_sysauth::nss::getgrnam(g_state, name, gr, buf, len); });
}

OIDC_EXPORT nss_status _nss_oidc_getgrgid_r(gid_t gid, group* gr, char* buf, size_t len, int* errnop) noexcept {
  return guarded(errnop, [&] { return oidc_sysauth::nss::getgrgid(g_state, gid, gr, buf, len); });
}

OIDC_EXPORT nss_status _nss_oidc_setgrent(int /*stayopen*/) noexcept {
  oidc_sysauth::nss::setent(g_state, Db::kGroup);
  return NSS_STATUS_SUCCESS;
}

OIDC_EXPORT nss_status _nss_oidc_getgrent_r(group* gr, char* buf, size_t len, int* errnop) noexcept {
  return guarded(errnop, [&] { return oidc_sysauth::nss::getgrent(g_state, gr, buf, len); });
}

OIDC_EXPORT nss_status _nss_oidc_endgrent(void) noexcept { return NSS_STATUS_SUCCESS; }

OIDC_EXPORT nss_status _nss_oidc_initgroups_dyn(const char* user, gid_t skip, long* start, long* size, gid_t** groups,
                                                long limit, int* errnop) noexcept {
  return guarded(errnop,
                 [&] { return oidc_sysauth::nss::initgroups(g_state, user, skip, start, size, groups, limit); });
}

OIDC_EXPORT nss_status _nss_oidc_getspnam_r(const char* name, spwd* sp, char* buf, size_t len, int* errnop) noexcept {
  return guarded(errnop, [&] { return oidc_sysauth::nss::getspnam(g_state, name, sp, buf, len); });
}

OIDC_EXPORT nss_status _nss_oidc_setspent(int /*stayopen*/) noexcept {
  oidc_sysauth::nss::setent(g_state, Db::kShadow);
  return NSS_STATUS_SUCCESS;
}

OIDC_EXPORT nss_status _nss_oidc_getspent_r(spwd* sp, char* buf, size_t len, int* errnop) noexcept {
  return guarded(errnop, [&] { return oidc_sysauth::nss::getspent(g_state, sp, buf, len); });
}

OIDC_EXPORT nss_status _nss_oidc_endspent(void) noexcept { return NSS_STATUS_SUCCESS; }

#undef OIDC_EXPORT

}  // extern "C"
