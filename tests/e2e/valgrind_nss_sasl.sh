#!/usr/bin/env bash
# Valgrind memcheck over an NSS lookup sequence (glibc → libnss_oidc.so.2: by name, by uid,
# groups, initgroups, enumeration, unknown names) and over SASL exchanges (libsasl2 →
# liboidc.so through tests/tools/sasl_probe: OAUTHBEARER and XOAUTH2, accepted, forged,
# malformed, oversized): no invalid access, no use of uninitialised values, no definite leaks.
# pam_valgrind.sh covers the PAM face.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lib/ns.sh
. "$HERE/../lib/ns.sh"
ns_reexec "$@"
# shellcheck source=pam_common.sh
. "$HERE/pam_common.sh"

PROBE=$PAM_BUILD/tests/tools/sasl_probe
SASL_PLUGIN=$PAM_BUILD/sasl/liboidc.so
[ -x "$PROBE" ] || ns_die "$PROBE not built"
[ -f "$SASL_PLUGIN" ] || ns_die "$SASL_PLUGIN not built"
PAM_IDP_TIMEOUT=30  # everything runs ~30x slower under memcheck
CONF=/etc/oidc-sysauth/oidc-sysauth.conf
pam_write_config "$IDP_ISSUER" "$CONF"
ns_write /etc/pam.d/oidc-vg <<PAMSTACK
auth     required $PAM_MODULE
account  required $PAM_MODULE
PAMSTACK
for u in alice bob; do  # shadow accounts for NSS to serve (not under valgrind)
  ns_check "$u stored by a first login" test "$(pt oidc-vg "$u" "$u-pw\\n" authenticate acct_mgmt)" = OK
done

vg() {  # vg NAME EXPECTED_RC COMMAND...
  local name=$1 expected=$2 rc log=$NS_TMP/vg-$1.log
  shift 2
  timeout 240 valgrind --quiet --tool=memcheck --leak-check=full --show-leak-kinds=definite \
    --errors-for-leak-kinds=definite --track-origins=yes --keep-debuginfo=yes --run-libc-freeres=no \
    --error-exitcode=42 --log-file="$log" "$@" >"$NS_TMP/vg-$name.out" 2>&1
  rc=$?
  ns_check "$name: valgrind clean (rc=$rc, expected $expected)" test "$rc" = "$expected"
  if [ "$rc" != "$expected" ]; then head -n 60 "$log" >&2; fi
}

# --- NSS ---------------------------------------------------------------------------------
vg nss-passwd-name 0 getent passwd alice
vg nss-passwd-uid 0 getent passwd "$(getent passwd alice | cut -d: -f3)"
vg nss-unknown 2 getent passwd nosuchuser
vg nss-group 0 getent group sudo
vg nss-initgroups 0 getent initgroups alice
vg nss-enumerate 0 getent passwd
vg nss-shadow 0 getent shadow bob
vg nss-id 0 id alice

# --- SASL --------------------------------------------------------------------------------
SASL_DIR=$NS_TMP/sasl
mkdir -p "$SASL_DIR/plugins"
ln -sf "$SASL_PLUGIN" "$SASL_DIR/plugins/liboidc.so"
probe() { vg "$1" "$2" "$PROBE" "$SASL_DIR/plugins" "$CONF" smtp "$3" "$4"; }
tok=$(pam_idp_token alice)
ns_check "got a token for alice" test "${#tok}" -gt 100
printf 'n,a=alice,\001host=localhost\001port=25\001auth=Bearer %s\001\001' "$tok" >"$NS_TMP/good"
printf 'n,,\001auth=Bearer %s\001\001' "${tok%?}$([ "${tok: -1}" = A ] && echo B || echo A)" >"$NS_TMP/forged"
printf 'user=alice\001auth=Bearer %s\001\001' "$tok" >"$NS_TMP/xoauth2"
printf 'n,a=ali\000ce,\001auth=Bearer x\001' >"$NS_TMP/malformed"
printf 'n,,\001auth=Bearer %s\001\001' "$(head -c 70000 /dev/zero | tr '\0' A)" >"$NS_TMP/big"
probe sasl-oauthbearer-ok 0 OAUTHBEARER "$NS_TMP/good"
probe sasl-forged 1 OAUTHBEARER "$NS_TMP/forged"
probe sasl-xoauth2-ok 0 XOAUTH2 "$NS_TMP/xoauth2"
probe sasl-malformed 1 OAUTHBEARER "$NS_TMP/malformed"
probe sasl-oversized 1 OAUTHBEARER "$NS_TMP/big"
ns_check "the accepted exchange named alice" grep -q "user=alice" "$NS_TMP/vg-sasl-oauthbearer-ok.out"

ns_finish
