#!/usr/bin/env bash
# pam_oidc.so under real libpam (pamtester) against the real test IdP, in a private
# namespace with test /etc/pam.d files: every return code the issue pins, OTP through the
# conversation, token-as-password, an unreachable and a hung IdP, and the guarantee that
# root and local accounts never reach the IdP. Also prints a rough per-login timing.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lib/ns.sh
. "$HERE/../lib/ns.sh"
ns_reexec "$@"
# shellcheck source=pam_common.sh
. "$HERE/pam_common.sh"

UNREACHABLE_PORT=$(ns_free_port)  # nothing listens: an IdP that is down
HUNG_PORT=$(pam_start_hung_listener)

pam_write_config "$IDP_ISSUER" /etc/oidc-sysauth/oidc-sysauth.conf "
[service:oidc-restricted]
allowed_groups = admin

[service:oidc-device]
grant = device"
pam_write_config "https://127.0.0.1:$UNREACHABLE_PORT/default" /etc/oidc-sysauth/down.conf
pam_write_config "https://127.0.0.1:$HUNG_PORT/default" /etc/oidc-sysauth/hung.conf
printf '[idp]\nissuer = https://x\nbogus_key = 1\n' | ns_write /etc/oidc-sysauth/broken.conf 644

only_oidc() {  # only_oidc SERVICE [module args]: our module alone decides every phase
  ns_write "/etc/pam.d/$1" <<EOF
auth     required $PAM_MODULE ${*:2}
account  required $PAM_MODULE ${*:2}
session  required $PAM_MODULE ${*:2}
password required $PAM_MODULE ${*:2}
EOF
}
only_oidc oidc-test debug
only_oidc oidc-restricted frobnicate  # an unknown argument: logged, not fatal
only_oidc oidc-token token_login
only_oidc oidc-device
only_oidc oidc-down config=/etc/oidc-sysauth/down.conf
only_oidc oidc-hung config=/etc/oidc-sysauth/hung.conf

# The documented stack shape: our module first, pam_unix for everyone else.
with_unix() {  # with_unix SERVICE CONFIG
  ns_write "/etc/pam.d/$1" <<EOF
auth     [success=done user_unknown=ignore ignore=ignore default=die] $PAM_MODULE config=$2
auth     required pam_unix.so try_first_pass
account  [success=ok user_unknown=ignore ignore=ignore default=bad] $PAM_MODULE config=$2
account  required pam_unix.so
EOF
}
with_unix oidc-unix-hung /etc/oidc-sysauth/hung.conf
with_unix oidc-unix-broken /etc/oidc-sysauth/broken.conf
with_unix oidc-unix /etc/oidc-sysauth/oidc-sysauth.conf

ns_add_local_user localuser 1500
ns_set_password localuser local-pw
ns_set_password root local-root-pw

# --- the IdP's users -----------------------------------------------------------------
expect_pt "alice authenticates" "$PT_OK" oidc-test alice 'alice-pw\n' authenticate
expect_pt "alice: auth + account + session" "$PT_OK" oidc-test alice 'alice-pw\n' authenticate acct_mgmt \
  open_session close_session
ns_check "alice's shadow account was written" test -s /var/lib/oidc-sysauth/accounts.db
ns_check "alice resolves through NSS with a shadow uid ($(getent passwd alice))" \
  test "$(getent passwd alice | cut -d: -f3)" -ge 200000
ns_check "alice is in sudo (IdP admin → local sudo): $(id alice)" bash -c "id -nG alice | grep -qw sudo"
expect_pt "wrong password → PAM_AUTH_ERR" "$PT_AUTH_ERR" oidc-test alice 'wrong\n' authenticate
expect_pt "carol (disabled at the IdP) → PAM_AUTH_ERR" "$PT_AUTH_ERR" oidc-test carol 'carol-pw\n' authenticate
expect_pt "dave with the right one-time code" "$PT_OK" oidc-test dave 'dave-pw\n246810\n' authenticate
expect_pt "dave with a wrong code → PAM_AUTH_ERR" "$PT_AUTH_ERR" oidc-test dave 'dave-pw\n135791\n' authenticate
expect_pt "dave with an empty code → refused" "$PT_AUTH_ERR" oidc-test dave 'dave-pw\n\n' authenticate
out=$(pt oidc-test dave 'dave-pw\n' authenticate)
ns_check "dave with no code at all is refused ($out)" test "$out" != OK
expect_pt "unknown IdP user → PAM_AUTH_ERR" "$PT_AUTH_ERR" oidc-test nosuchuser 'x-pw\n' authenticate
expect_pt "invalid name (Mallory) → PAM_USER_UNKNOWN" "$PT_USER_UNKNOWN" oidc-test Mallory 'Mallory-pw\n' authenticate

# --- policy: [service:oidc-restricted] allowed_groups = admin ---------------------------
expect_pt "restricted: alice (admin) allowed" "$PT_OK" oidc-restricted alice 'alice-pw\n' authenticate acct_mgmt
expect_pt "restricted: bob (staff) → PAM_PERM_DENIED" "$PT_PERM_DENIED" oidc-restricted bob 'bob-pw\n' \
  authenticate acct_mgmt
out=$(printf 'bob-pw\n' | timeout 30 pamtester oidc-restricted bob authenticate acct_mgmt 2>&1)
ns_check "restricted: bob is told why in one line" grep -q "Access denied" <<<"$out"
expect_pt "account phase alone (key login) for stored alice" "$PT_OK" oidc-restricted alice '' acct_mgmt
expect_pt "account phase alone for stored bob → PAM_PERM_DENIED" "$PT_PERM_DENIED" oidc-restricted bob '' acct_mgmt
expect_pt "chauthtok refused for alice" "$PT_PERM_DENIED" oidc-test alice '' chauthtok

# --- token as password ---------------------------------------------------------------
TOKEN=$(pam_idp_token alice)
ns_check "got a JWT for alice (${#TOKEN} bytes)" test "${#TOKEN}" -gt 100
expect_pt "alice's token logs alice in" "$PT_OK" oidc-token alice "$TOKEN\\n" authenticate
expect_pt "alice's token does not log bob in" "$PT_AUTH_ERR" oidc-token bob "$TOKEN\\n" authenticate
LONG=$(pam_idp_token alice "$IDP_CLIENT_ID" 1500)  # pamtester (misc_conv) reads up to 4095
expect_pt "a ${#LONG}-byte token (beyond sudo's 511 and ssh's 1023) works through PAM" "$PT_OK" \
  oidc-token alice "$LONG\\n" authenticate
expect_pt "a token is not a password without token_login" "$PT_AUTH_ERR" oidc-test alice "$TOKEN\\n" authenticate

# --- device grant: the module shows URL + code, waits for Enter, polls until approved ----------
last_device_code() { curl -fsS "$IDP_ADMIN/admin/device/last" 2>/dev/null | jq -r '.user_code // empty'; }
approve_next_device_code() {  # approve_next_device_code USER LAST: approves the first code after LAST
  local new i
  for i in $(seq 1 150); do
    new=$(last_device_code)
    if [ -n "$new" ] && [ "$new" != "$2" ]; then
      curl -fsS -H 'content-type: application/json' -d "{\"user_code\":\"$new\",\"user\":\"$1\"}" \
        "$IDP_ADMIN/admin/device/approve" >/dev/null
      return 0
    fi
    sleep 0.1
  done
  return 1
}
last=$(last_device_code)  # read before the login starts: no race with its new code
approve_next_device_code alice "$last" &
approver=$!
out=$(printf '\n' | timeout 60 pamtester oidc-device alice authenticate 2>&1; echo "rc=$?")
wait "$approver"
ns_check "device grant: alice approved in the browser → success" grep -q "rc=0" <<<"$out"
ns_check "device grant: the code and URL were shown" grep -q "enter the code\|open https://" <<<"$out"
ns_check "device grant: the step ended with a prompt (keyboard-interactive shows info only then)" \
  grep -q "Press Enter" <<<"$out"
last=$(last_device_code)
approve_next_device_code bob "$last" &
approver=$!
out=$(printf '\n' | timeout 60 pamtester oidc-device alice authenticate 2>&1; echo "rc=$?")
wait "$approver"
ns_check "device grant: approved by bob, typed alice → refused" grep -q "Authentication failure" <<<"$out"

# --- unavailable IdP -----------------------------------------------------------------
t0=$(date +%s.%N)
expect_pt "IdP down → PAM_AUTHINFO_UNAVAIL" "$PT_AUTHINFO_UNAVAIL" oidc-down alice 'alice-pw\n' authenticate
t1=$(date +%s.%N)
expect_pt "IdP hung → PAM_AUTHINFO_UNAVAIL" "$PT_AUTHINFO_UNAVAIL" oidc-hung alice 'alice-pw\n' authenticate
t2=$(date +%s.%N)
ns_log "down: $(echo "$t1 - $t0" | bc) s, hung: $(echo "$t2 - $t1" | bc) s (timeout = 3 s)"
ns_check "IdP down answered within timeout + 1 s" test "$(echo "$t1 - $t0 < 4" | bc)" = 1
ns_check "IdP hung answered within timeout + 1 s" test "$(echo "$t2 - $t1 < 4" | bc)" = 1
ns_check "the hung IdP was really asked" test "$(cat "$NS_TMP/hung.count")" -ge 1
expect_pt "broken config → PAM_SERVICE_ERR" "$PT_SERVICE_ERR" oidc-unix-broken alice 'alice-pw\n' authenticate
ns_check "broken config: syslog names the file and line" grep -q "broken.conf:3: unknown key 'bogus_key'" "$NS_SYSLOG"
ns_check "unknown module argument logged" grep -q "ignoring unknown module argument 'frobnicate'" "$NS_SYSLOG"
ns_check "no password or token ever reached syslog" \
  bash -c "! grep -q -e 'alice-pw' -e 'bob-pw' -e 'dave-pw' -e '246810' -e '${TOKEN:0:40}' '$NS_SYSLOG'"

# --- root and local accounts never reach the IdP ----------------------------------------
before_hung=$(cat "$NS_TMP/hung.count")
before_tokens=$(pam_idp_token_count)
for svc in oidc-unix-hung oidc-unix-broken oidc-unix; do
  t0=$(date +%s.%N)
  expect_pt "$svc: root with its local password" "$PT_OK" $svc root 'local-root-pw\n' authenticate acct_mgmt
  expect_pt "$svc: localuser with its local password" "$PT_OK" $svc localuser 'local-pw\n' authenticate acct_mgmt
  t1=$(date +%s.%N)
  ns_check "$svc: local logins did not wait on the IdP" test "$(echo "$t1 - $t0 < 2" | bc)" = 1
done
expect_pt "root with the IdP's root password → refused" "$PT_AUTH_ERR" oidc-unix root 'root-pw\n' authenticate
expect_pt "daemon with the IdP's password → refused" "$PT_AUTH_ERR" oidc-unix daemon 'daemon-pw\n' authenticate
expect_pt "only our module: root → PAM_USER_UNKNOWN" "$PT_USER_UNKNOWN" oidc-test root 'root-pw\n' authenticate
expect_pt "only our module: localuser → PAM_USER_UNKNOWN" "$PT_USER_UNKNOWN" oidc-test localuser 'x\n' authenticate
ns_check "no connection reached the hung IdP for local users" test "$(cat "$NS_TMP/hung.count")" = "$before_hung"
ns_check "no token request reached the IdP for local users" test "$(pam_idp_token_count)" = "$before_tokens"
expect_pt "an IdP user through the mixed stack" "$PT_OK" oidc-unix alice 'alice-pw\n' authenticate acct_mgmt

# --- warm caches: one login = one request to the IdP ------------------------------------------
pt oidc-test alice 'alice-pw\n' authenticate >/dev/null  # discovery + JWKS now on disk
before=$(pam_idp_request_count)
expect_pt "warm login" "$PT_OK" oidc-test alice 'alice-pw\n' authenticate acct_mgmt
ns_check "a warm login made exactly one request to the IdP ($before → $(pam_idp_request_count))" \
  test "$(pam_idp_request_count)" = "$((before + 1))"

# --- rough timing: pamtester login vs a bare curl POST of the same grant -------------------
# Whole processes each time (exec, TLS handshake, config, disk caches): a rough figure only;
# the in-process benchmark is bench/ (issue 9). The root run is pamtester + libpam + our
# module's guard with no IdP request: the floor of a pamtester process.
N=${PAM_TIMING_N:-20}
mean_us() {  # mean_us COMMAND...: mean wall time of N runs in µs
  local t0 t1
  t0=$(date +%s%N)
  for _ in $(seq 1 "$N"); do "$@" >/dev/null 2>&1; done
  t1=$(date +%s%N)
  echo $(((t1 - t0) / N / 1000))
}
login_alice() { printf 'alice-pw\n' | pamtester oidc-test alice authenticate; }
login_root() { printf 'x\n' | pamtester oidc-test root authenticate; }
curl_grant() {
  curl -fsS -o /dev/null --cacert "$IDP_CA" -u "$IDP_CLIENT_ID:$IDP_CLIENT_SECRET" -d grant_type=password \
    -d username=alice -d password=alice-pw --data-urlencode 'scope=openid profile email' "$IDP_ISSUER/token"
}
t_alice=$(mean_us login_alice)
t_root=$(mean_us login_root)
t_curl=$(mean_us curl_grant)
ns_log "timing (mean of $N whole processes): pamtester alice login ${t_alice} µs; pamtester root" \
  "(guard, no IdP) ${t_root} µs; curl POST of the same grant ${t_curl} µs"

kill "$(cat "$NS_TMP/hung.pid")" 2>/dev/null
if [ "$NS_FAILURES" != 0 ]; then ns_log "syslog:"; tail -n 60 "$NS_SYSLOG" >&2; fi
ns_finish
