/* The glibc dispatch floor for the NSS benchmark: a module whose lookups return
 * NOTFOUND at once. bench/nss_run.sh loads it ("passwd: benchnull") only inside its
 * private namespace; nss_bench's "null" rows are then what ANY NSS source costs on this
 * machine before it does any work (nsswitch.conf stat, nscd probe, dlsym'd dispatch). */
#include <errno.h>
#include <nss.h>
#include <pwd.h>
#include <stddef.h>
#include <sys/types.h>

__attribute__((visibility("default"))) enum nss_status _nss_benchnull_getpwnam_r(const char* name, struct passwd* pw,
                                                                                 char* buf, size_t len, int* errnop) {
  (void)name, (void)pw, (void)buf, (void)len;
  *errnop = ENOENT;
  return NSS_STATUS_NOTFOUND;
}

__attribute__((visibility("default"))) enum nss_status _nss_benchnull_getpwuid_r(uid_t uid, struct passwd* pw,
                                                                                 char* buf, size_t len, int* errnop) {
  (void)uid, (void)pw, (void)buf, (void)len;
  *errnop = ENOENT;
  return NSS_STATUS_NOTFOUND;
}
