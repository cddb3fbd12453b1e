#!/usr/bin/env bash
# The Debian packages on a clean Debian 12 system: build the .debs from the committed tree (or
# reuse them when HEAD's tree has not changed), unpack a cached debootstrap root, install the packages there with apt,
# enable the PAM profile with pam-auth-update, log alice in through pamtester against the test
# IdP, see her shadow account through NSS, then purge and check that a local user still logs in
# and that nsswitch.conf and the PAM stacks are back byte for byte.
#
# Everything happens in a chroot inside a private mount + PID namespace (tests/lib/ns.sh): the
# host's /etc is never written, and ns_reexec proves it afterwards. The network namespace is
# shared, so the IdP on the host's loopback is reachable from the chroot.
#
# Environment (test plumbing only): OIDC_SOURCE_DIR, OIDC_IDP_ENV (else a private IdP),
# OIDC_DEB_DIR (use these .debs instead of building).
set -uo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck disable=SC1091
. "$here/../lib/ns.sh"
ns_reexec "$@"

src="${OIDC_SOURCE_DIR:-$(cd "$here/../.." && pwd)}"
deb_cache=/var/cache/oidc-sysauth-ci/debs
ccache_dir=/var/cache/oidc-sysauth-ci/ccache
step_timeout=120
triplet="$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)"
t_start=$(date +%s)

elapsed() { echo "$(($(date +%s) - t_start))s"; }

# build-deb builds the committed tree (git archive HEAD): same tree object, same .debs.
tree_hash() { git -C "$src" rev-parse 'HEAD^{tree}' | cut -c1-16; }

# Prints the directory holding the .debs.
ensure_debs() {
  if [ -n "${OIDC_DEB_DIR:-}" ]; then
    ls "$OIDC_DEB_DIR"/*.deb >/dev/null 2>&1 || ns_die "no .deb in OIDC_DEB_DIR=$OIDC_DEB_DIR"
    echo "$OIDC_DEB_DIR"
    return
  fi
  local hash dir
  hash="$(tree_hash)"
  dir="$deb_cache/$hash"
  # Concurrent runs (two checkouts, two CI jobs) take turns: the second reuses the first's .debs.
  mkdir -p "$deb_cache"
  exec 8>"$deb_cache/.lock"
  flock -w 3000 8 || ns_die "another run holds $deb_cache/.lock"
  if [ -f "$dir/ok" ]; then
    ns_log "reusing .debs of this source tree ($dir)"
  else
    ns_log "building .debs (dpkg-buildpackage, lintian)"
    find "$deb_cache" -mindepth 1 -maxdepth 1 -type d ! -name "$hash" -exec rm -rf {} +
    rm -rf "$dir"
    mkdir -p "$dir"
    local ccache_arg=()
    ! command -v ccache >/dev/null || ccache_arg=(--ccache "$ccache_dir")
    "$src/packaging/build-deb" "$dir" --nocheck "${ccache_arg[@]}" >"$NS_TMP/build-deb.log" 2>&1 ||
      { tail -n 40 "$NS_TMP/build-deb.log" >&2; ns_die "build-deb failed"; }
    grep -E '^build-deb: (lintian|direct_cache)' "$NS_TMP/build-deb.log" >&2
    touch "$dir/ok"
  fi
  echo "$dir"
}

root="$NS_TMP/root"
in_root() { timeout "${STEP_TIMEOUT:-$step_timeout}" chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
  DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 "$@"; }

# pamtester in the root: pam_login SERVICE USER PASSWORD OPERATIONS...
pam_login() {
  local service=$1 user=$2 password=$3
  shift 3
  printf '%s\n' "$password" | in_root pamtester "$service" "$user" "$@" >>"$NS_TMP/pamtester.log" 2>&1
}

not() { ! "$@"; }
installed() { chroot "$root" dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
nsswitch_has_oidc() {
  grep -qx 'passwd:         files oidc' "$root/etc/nsswitch.conf" &&
    grep -qx 'group:          files \[SUCCESS=merge\] oidc' "$root/etc/nsswitch.conf" &&
    grep -qx 'shadow:         files oidc' "$root/etc/nsswitch.conf"
}
owner_mode_is() { [ "$(stat -c %U:%a "$root/$1")" = "$2" ]; }
oidc_before_unix() { grep -o 'pam_oidc.so\|pam_unix.so' "$root/etc/pam.d/common-auth" | head -n1 | grep -qx pam_oidc.so; }
line_of() { grep -n "$1" "$root/etc/pam.d/$2" | head -n1 | cut -d: -f1; }
account_after_permit() {
  local permit oidc
  permit=$(line_of pam_permit.so common-account) oidc=$(line_of pam_oidc.so common-account)
  [ -n "$permit" ] && [ -n "$oidc" ] && [ "$oidc" -gt "$permit" ]
}
passwd_entry_is_shadow_account() { in_root getent passwd "$1" | grep -Eq "^$1:[^:]*:[0-9]{6,}:"; }
in_group() { in_root id -nG "$1" | grep -qw "$2"; }
authenticates_but_account_refused() {
  pam_login "$1" "$2" "$3" authenticate && not pam_login "$1" "$2" "$3" acct_mgmt
}

debs="$(ensure_debs)" || exit 1
ns_log "debs ready after $(elapsed)"

# --- a clean Debian 12 root ---------------------------------------------------------------
t0=$(date +%s)
"$here/package_root.sh" "$root" || ns_die "no Debian root"
ns_log "Debian 12 root unpacked in $(($(date +%s) - t0))s"
mount -t proc proc "$root/proc"
mount --rbind /dev "$root/dev"
mount -t tmpfs tmpfs "$root/run"
cp "$root/etc/nsswitch.conf" "$NS_TMP/nsswitch.before"
mkdir -p "$NS_TMP/pam.before" && cp -a "$root/etc/pam.d/." "$NS_TMP/pam.before/"

# A local user with a password: the account that must always keep working.
in_root useradd -m -s /bin/sh localuser || ns_die "useradd"
printf 'localuser:local-pw\n' | in_root chpasswd || ns_die "chpasswd"
printf 'auth required pam_unix.so\naccount required pam_unix.so\n' >"$root/etc/pam.d/unix-only"
# A service whose stacks are exactly Debian's common-* files (what pam-auth-update manages).
printf '@include common-auth\n@include common-account\n@include common-session\n' >"$root/etc/pam.d/oidctest"
cp "$root/etc/pam.d/oidctest" "$root/etc/pam.d/oidcsudo"
ns_check "local user logs in before installation" pam_login oidctest localuser local-pw authenticate acct_mgmt

# --- install ------------------------------------------------------------------------------
mkdir -p "$root/tmp/debs"
for p in libpam-oidc libnss-oidc libsasl2-modules-oidc oidc-sysauth; do
  cp "$debs/${p}"_*.deb "$root/tmp/debs/" || ns_die "no $p .deb in $debs"
done
t0=$(date +%s)
# The cached root has no package lists: apt resolves the dependencies against what is installed
# (the root was made with them) and downloads nothing.
if ! in_root sh -c 'apt-get install -y /tmp/debs/*.deb' >"$NS_TMP/apt.log" 2>&1; then
  # A dependency the cached root lacks: fetch it from the Debian mirror once.
  ns_log "installing from the cached root alone failed; apt-get update against the mirror"
  cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
  mirror="$(cat "$root/.oidc-mirror")"
  printf 'deb %s bookworm main\n' "$mirror" >"$root/etc/apt/sources.list"
  STEP_TIMEOUT=600 in_root apt-get update >>"$NS_TMP/apt.log" 2>&1
  in_root sh -c 'apt-get install -y /tmp/debs/*.deb' >>"$NS_TMP/apt.log" 2>&1 ||
    { tail -n 30 "$NS_TMP/apt.log" >&2; ns_die "apt-get install of the .debs failed"; }
fi
ns_log "packages installed in $(($(date +%s) - t0))s"
for p in libpam-oidc libnss-oidc libsasl2-modules-oidc oidc-sysauth; do
  ns_check "$p is installed" installed "$p"
done
ns_check "nsswitch.conf names oidc for passwd/group/shadow" nsswitch_has_oidc
ns_check "the PAM profile is not enabled by installation alone" not grep -q pam_oidc "$root/etc/pam.d/common-auth"
ns_check "state directory is root 0755" owner_mode_is var/lib/oidc-sysauth root:755
ns_check "cache directory is root 0755" owner_mode_is var/cache/oidc-sysauth root:755
ns_check "man pages installed" test -f "$root/usr/share/man/man5/oidc-sysauth.conf.5.gz"
cli_help() { in_root oidc-sysauth --help >/dev/null; }
ns_check "oidc-sysauth --help runs" cli_help

# --- configure and enable -----------------------------------------------------------------
# shellcheck disable=SC1090
. "$(ns_idp_env)"
install -m 600 "$IDP_CLIENT_SECRET_FILE" "$root/etc/oidc-sysauth/client-secret"
install -m 644 "$IDP_CA" "$root/etc/oidc-sysauth/ca.pem"
cat >"$root/etc/oidc-sysauth/oidc-sysauth.conf" <<EOF
[idp]
issuer = $IDP_ISSUER
client_id = $IDP_CLIENT_ID
client_secret_file = /etc/oidc-sysauth/client-secret
ca_file = /etc/oidc-sysauth/ca.pem
timeout = 5

[accounts]
group_map = admin:sudo

[service:oidcsudo]
allowed_groups = admin
EOF
chmod 644 "$root/etc/oidc-sysauth/oidc-sysauth.conf"
ns_check "pam-auth-update --enable oidc" in_root pam-auth-update --enable oidc
ns_log "common-auth and common-account with the profile enabled:"
grep -hE '^(auth|account)' "$root/etc/pam.d/common-auth" "$root/etc/pam.d/common-account" | sed 's/^/    /' >&2
ns_check "common-auth calls pam_oidc before pam_unix" oidc_before_unix
ns_check "common-account has pam_oidc with default=bad after the primary block" \
  grep -Eq '^account[[:space:]]+\[success=ok user_unknown=ignore ignore=ignore default=bad\][[:space:]]+pam_oidc.so' \
  "$root/etc/pam.d/common-account"
ns_check "pam_oidc comes after the primary block's pam_permit in common-account" account_after_permit
ns_check "example stacks shipped" test -f "$root/usr/share/doc/libpam-oidc/examples/oidc-sshd"

# --- logins -------------------------------------------------------------------------------
ns_check "alice logs in through the IdP (pamtester)" \
  pam_login oidctest alice alice-pw authenticate acct_mgmt open_session close_session
ns_check "getent passwd alice shows her shadow account" passwd_entry_is_shadow_account alice
ns_check "id alice shows the mapped sudo group" in_group alice sudo
ns_check "alice with a wrong password is refused" not pam_login oidctest alice wrong-pw authenticate
ns_check "bob authenticates but the account check refuses him for oidcsudo" \
  authenticates_but_account_refused oidcsudo bob bob-pw
ns_check "the local user still logs in with the profile enabled" \
  pam_login oidctest localuser local-pw authenticate acct_mgmt
ns_check "the local user's wrong password is refused" not pam_login oidctest localuser bad-pw authenticate

# --- reinstall: the upgrade path of the maintainer scripts -------------------------------
cp "$root/etc/nsswitch.conf" "$NS_TMP/nsswitch.installed"
cp "$root/etc/pam.d/common-auth" "$NS_TMP/common-auth.enabled"
reinstall_all() { in_root sh -c 'dpkg -i /tmp/debs/*.deb' >>"$NS_TMP/apt.log" 2>&1; }
ns_check "dpkg -i again (upgrade path)" reinstall_all
ns_check "the upgrade left nsswitch.conf alone" cmp "$NS_TMP/nsswitch.installed" "$root/etc/nsswitch.conf"
ns_check "the upgrade kept the enabled profile" cmp "$NS_TMP/common-auth.enabled" "$root/etc/pam.d/common-auth"
ns_check "alice still logs in after the upgrade" pam_login oidctest alice alice-pw authenticate acct_mgmt

# --- purge --------------------------------------------------------------------------------
t0=$(date +%s)
purge_all() {
  in_root apt-get purge -y libpam-oidc libnss-oidc libsasl2-modules-oidc oidc-sysauth >>"$NS_TMP/apt.log" 2>&1
}
ns_check "apt-get purge of all four packages" purge_all
ns_log "purged in $(($(date +%s) - t0))s"
ns_check "nsswitch.conf restored byte for byte" cmp "$NS_TMP/nsswitch.before" "$root/etc/nsswitch.conf"
ns_check "no PAM stack names pam_oidc" not grep -rq pam_oidc "$root/etc/pam.d"
for f in common-auth common-account common-session common-password common-session-noninteractive; do
  ns_check "$f restored byte for byte" cmp "$NS_TMP/pam.before/$f" "$root/etc/pam.d/$f"
done
ns_check "the PAM module is gone" not test -e "$root/usr/lib/$triplet/security/pam_oidc.so"
ns_check "the NSS module is gone" not test -e "$root/usr/lib/$triplet/libnss_oidc.so.2"
ns_check "state directory removed on purge" test ! -e "$root/var/lib/oidc-sysauth"
ns_check "alice no longer resolves" not in_root getent passwd alice
ns_check "the local user still logs in after purge (common-* stacks)" \
  pam_login oidctest localuser local-pw authenticate acct_mgmt
ns_check "the local user still logs in after purge (pam_unix only)" \
  pam_login unix-only localuser local-pw authenticate acct_mgmt

if [ "$NS_FAILURES" -ne 0 ]; then
  ns_log "pamtester log:"; tail -n 40 "$NS_TMP/pamtester.log" >&2
  ns_log "common-auth:"; cat "$root/etc/pam.d/common-auth" >&2
fi
ns_log "package install test took $(elapsed)"
ns_finish
