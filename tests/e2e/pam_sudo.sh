#!/usr/bin/env bash
# Real sudo through pam_oidc.so in a private namespace with a test sudoers granting %sudo:
# alice (IdP admin → local sudo) runs `sudo -S id -u`, bob is refused by [service:sudo]
# allowed_groups even though sudoers lets him in, `sudo -p` shows its custom prompt, and the
# account phase alone (NOPASSWD rules, no auth by us) decides from the stored account.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lib/ns.sh
. "$HERE/../lib/ns.sh"
ns_reexec "$@"
# shellcheck source=pam_common.sh
. "$HERE/pam_common.sh"

pam_write_config "$IDP_ISSUER" /etc/oidc-sysauth/oidc-sysauth.conf "
[service:sudo]
allowed_groups = admin"

# The shipped example stack, as is (only the module path points into the build tree).
pam_install_example oidc-sudo sudo
# Creates the shadow accounts the way a first login would (as root, through the module).
ns_write /etc/pam.d/oidc-login <<EOF
auth     required $PAM_MODULE
account  required $PAM_MODULE
EOF
rm -rf /etc/sudoers.d
ns_write /etc/sudoers 440 <<'EOF'
Defaults !lecture, timestamp_timeout=0, !fqdn, !syslog
root   ALL=(ALL:ALL) ALL
%sudo  ALL=(ALL:ALL) ALL
# bob may by sudoers; our [service:sudo] policy must still refuse him.
bob    ALL=(ALL:ALL) ALL
alice  ALL=(ALL:ALL) NOPASSWD: /usr/bin/true
bob    ALL=(ALL:ALL) NOPASSWD: /usr/bin/true
EOF
visudo -c -q -f /etc/sudoers || ns_die "test sudoers invalid"

for u in alice bob; do
  out=$(pt oidc-login "$u" "$u-pw\\n" authenticate)
  ns_check "$u: shadow account created by a first login ($out)" test "$out" = OK
done
ns_check "alice is in sudo: $(id alice)" bash -c "id -nG alice | grep -qw sudo"

as_user() {  # as_user USER STDIN COMMAND... — stdout and stderr, via setpriv (no PAM of its own)
  local user=$1 input=$2
  shift 2
  printf '%b' "$input" | timeout 30 setpriv --reuid="$user" --regid="$user" --init-groups \
    --reset-env "$@" 2>&1
}

t0=$(date +%s%N)
out=$(as_user alice 'alice-pw\n' sudo -S -p 'custom: ' id -u)
t1=$(date +%s%N)
ns_log "alice: sudo -S -p 'custom: ' id -u → '$out' ($(((t1 - t0) / 1000000)) ms)"
ns_check "alice: sudo -S id -u prints 0" grep -qx "custom: 0" <<<"$out"
ns_check "alice: the custom prompt was shown" grep -q "^custom: " <<<"$out"
out=$(as_user alice 'alice-pw\n' sudo -S id -u)
ns_log "alice: sudo -S id -u (own prompt) → '$(tr '\n' '|' <<<"$out")'"
ns_check "alice: without -p it works too" grep -q "0$" <<<"$out"
out=$(as_user alice 'wrong-pw\n' sudo -S -p 'custom: ' id -u)
ns_check "alice: wrong password refused ($(tr '\n' '|' <<<"$out"))" bash -c "! grep -qx 'custom: 0' <<<'$out'"
out=$(as_user alice '' sudo -n true; echo "rc=$?")
ns_check "alice: NOPASSWD rule, account phase from the store allows" grep -qx "rc=0" <<<"$out"

out=$(as_user bob 'bob-pw\n' sudo -S -p 'custom: ' id -u; echo "rc=$?")
ns_log "bob: $(tr '\n' '|' <<<"$out")"
ns_check "bob: refused by [service:sudo]" grep -qx "rc=1" <<<"$out"
ns_check "bob: never ran the command" bash -c "! grep -q '^0$\|custom: 0' <<<'$out'"
ns_check "bob: told why in one line" grep -q "Access denied" <<<"$out"
ns_check "bob: the refusal is the account phase's" grep -q "access for 'bob' to sudo refused" "$NS_SYSLOG"
out=$(as_user bob '' sudo -n true; echo "rc=$?")
ns_check "bob: NOPASSWD rule still refused from the stored groups" grep -qx "rc=1" <<<"$out"

if [ "$NS_FAILURES" != 0 ]; then ns_log "syslog:"; tail -n 40 "$NS_SYSLOG" >&2; fi
ns_finish
