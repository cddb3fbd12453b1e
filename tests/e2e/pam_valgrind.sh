#!/usr/bin/env bash
# Valgrind memcheck over real pamtester logins through pam_oidc.so (password + account +
# session, OTP, token as password, refusals): no definite leaks, no invalid reads or writes,
# no use of uninitialised values.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lib/ns.sh
. "$HERE/../lib/ns.sh"
ns_reexec "$@"
# shellcheck source=pam_common.sh
. "$HERE/pam_common.sh"

PAM_IDP_TIMEOUT=30  # everything runs ~30x slower under memcheck
pam_write_config "$IDP_ISSUER" /etc/oidc-sysauth/oidc-sysauth.conf
for args in "" token_login; do
  ns_write "/etc/pam.d/oidc-vg${args:+-$args}" <<EOF
auth     required $PAM_MODULE $args
account  required $PAM_MODULE
session  required $PAM_MODULE
EOF
done

vg() {  # vg NAME EXPECTED SERVICE USER INPUT OPERATION...
  local name=$1 expected=$2 svc=$3 user=$4 input=$5 rc log=$NS_TMP/vg-$1.log
  shift 5
  printf '%b' "$input" | timeout 240 valgrind --quiet --tool=memcheck --leak-check=full \
    --show-leak-kinds=definite --errors-for-leak-kinds=definite --track-origins=yes \
    --keep-debuginfo=yes --run-libc-freeres=no \
    --error-exitcode=42 --log-file="$log" pamtester "$svc" "$user" "$@" >/dev/null 2>&1
  rc=$?
  ns_check "$name: valgrind clean (rc=$rc, expected pamtester rc $expected)" test "$rc" = "$expected"
  if [ "$rc" != "$expected" ]; then head -n 80 "$log" >&2; fi
}

vg alice-login 0 oidc-vg alice 'alice-pw\n' authenticate acct_mgmt open_session close_session
vg alice-again 0 oidc-vg alice 'alice-pw\n' authenticate acct_mgmt
vg wrong-password 1 oidc-vg alice 'wrong\n' authenticate
vg dave-otp 0 oidc-vg dave 'dave-pw\n246810\n' authenticate
vg dave-no-otp 1 oidc-vg dave 'dave-pw\n' authenticate
vg token 0 oidc-vg-token_login alice "$(pam_idp_token alice)\\n" authenticate acct_mgmt
vg root 1 oidc-vg root 'x\n' authenticate
ns_finish
