#!/usr/bin/env bash
# The device authorization grant (RFC 8628) through PAM, end to end, in a private namespace:
# real sshd (keyboard-interactive) and real sudo with [service:*] grant = device, pamtester for
# the exact PAM codes. A python3-pexpect driver (device_drive.py) reads the text the module
# shows with its "Press Enter" prompt, takes the user code from it, approves / denies / expires
# it through the test IdP's admin API and presses Enter. Also: the QR code in that text decodes
# (zbarimg) to the verification URL, slow_down makes the module wait 5 s more, the overall limit
# (device_timeout) ends a login nobody approves, and saslauthd-style services keep the password
# grant in the same config.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lib/ns.sh
. "$HERE/../lib/ns.sh"
ns_reexec "$@"
# shellcheck source=pam_common.sh
. "$HERE/pam_common.sh"
command -v zbarimg >/dev/null || ns_die "zbarimg missing (apt-get install zbar-tools)"

pam_write_config "$IDP_ISSUER" /etc/oidc-sysauth/oidc-sysauth.conf "provisional_users = a* b*

[idp]
device_timeout = 10

[service:sshd-oidctest]
grant = device

[service:oidc-device]
grant = device

[service:sudo]
grant = device

[service:oidc-password]
grant = password"
ns_set_password root local-root-pw

stack() {  # stack SERVICE: our module first, pam_unix for everyone else (the documented shape)
  ns_write "/etc/pam.d/$1" <<EOF
auth     [success=done user_unknown=ignore ignore=ignore default=die] $PAM_MODULE
auth     required pam_unix.so try_first_pass
account  [success=ok user_unknown=ignore ignore=ignore default=bad] $PAM_MODULE
account  required pam_unix.so
session  required pam_unix.so
session  optional $PAM_MODULE
EOF
}
stack sshd-oidctest
stack oidc-device
stack oidc-password
stack sudo

DRIVE=$HERE/device_drive.py
admin() { curl -fsS --max-time 5 -H 'content-type: application/json' "$@"; }
admin -d '{"interval":1}' "$IDP_ADMIN/admin/device/interval" >/dev/null || ns_die "device interval"
admin -X DELETE "$IDP_ADMIN/admin/fault" >/dev/null
field() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }
uid_of() { getent passwd "$1" | cut -d: -f3; }
lacks() { ! grep -q "$1" <<<"$2"; }  # lacks PATTERN TEXT

# --- sshd, keyboard-interactive ----------------------------------------------------------
SSHD_DIR=$NS_TMP/sshd
mkdir -p "$SSHD_DIR/bin"
ln -s /usr/sbin/sshd "$SSHD_DIR/bin/sshd-oidctest"  # PAM service = basename of argv[0]
ssh-keygen -q -t ed25519 -N '' -f "$SSHD_DIR/hostkey" || ns_die "ssh-keygen"
PORT=$(ns_free_port)
cat >"$SSHD_DIR/sshd_config" <<EOF
Port $PORT
ListenAddress 127.0.0.1
HostKey $SSHD_DIR/hostkey
PidFile $SSHD_DIR/sshd.pid
UsePAM yes
KbdInteractiveAuthentication yes
PasswordAuthentication no
PubkeyAuthentication no
PermitRootLogin no
UseDNS no
PrintMotd no
PrintLastLog no
AuthorizedKeysFile none
LoginGraceTime 60
EOF
"$SSHD_DIR/bin/sshd-oidctest" -t -f "$SSHD_DIR/sshd_config" || ns_die "sshd -t"
"$SSHD_DIR/bin/sshd-oidctest" -D -f "$SSHD_DIR/sshd_config" -E "$SSHD_DIR/sshd.log" &
ns_wait_port "$PORT"
SSH=(ssh -F /dev/null -p "$PORT" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR
  -o PreferredAuthentications=keyboard-interactive -o NumberOfPasswordPrompts=1)

provisional=$(uid_of alice)
ns_check "alice is never-seen but resolves provisionally (uid $provisional)" test -n "$provisional"
ns_check "alice has no stored account yet" test ! -s /var/lib/oidc-sysauth/accounts.db
R=$NS_TMP/ssh-approve.json
timeout 150 python3 "$DRIVE" "$IDP_ADMIN" approve alice "$R" -- "${SSH[@]}" alice@127.0.0.1 'id' ||
  ns_log "driver failed (see below)"
if [ -s "$R" ]; then
  code=$(field "$R" user_code)
  ns_log "sshd device login: prompt after $(field "$R" seconds_to_prompt) s, done $(field "$R" seconds_after_enter) s after approval+Enter, total $(field "$R" seconds_total) s"
  ns_check "sshd: the user code came with the prompt ($code)" test -n "$code"
  ns_check "sshd: it is the code the IdP issued" test "$code" = "$(field "$R" admin_last)"
  ns_check "sshd: the prompt text carries a QR code" grep -q '█' <<<"$(field "$R" shown)"
  field "$R" shown | python3 "$HERE/qr_text_to_pbm.py" >"$NS_TMP/ssh-qr.pbm"
  decoded=$(zbarimg -q --raw "$NS_TMP/ssh-qr.pbm" 2>/dev/null)
  ns_check "sshd: the QR code decodes to the verification URL ($decoded)" \
    test -n "$decoded" -a "$decoded" = "$(field "$R" url)"
  ns_check "sshd: the URL carries the user code" grep -q "user_code=$code" <<<"$decoded"
  out=$(field "$R" after)
  ns_check "sshd: alice is in, on her shadow account: $(tr -d '\r' <<<"$out" | grep uid=)" \
    grep -q "uid=$(uid_of alice)(alice)" <<<"$out"
  ns_check "sshd: the shadow uid is the provisional one" test "$(uid_of alice)" = "$provisional"
  ns_check "sshd: mapped group sudo (IdP admin)" grep -q "(sudo)" <<<"$out"
  ns_check "sshd: logged as a device login" grep -q "authenticated 'alice' through the IdP (device)" "$NS_SYSLOG"
else
  ns_check "sshd: device login driven" false
fi

R=$NS_TMP/ssh-deny.json
timeout 150 python3 "$DRIVE" "$IDP_ADMIN" deny bob "$R" -- "${SSH[@]}" bob@127.0.0.1 'id'
ns_check "sshd: bob's denied code → refused" lacks 'uid=' "$(field "$R" after)"
ns_check "sshd: logged as denied" grep -q "auth for 'bob' failed: .*device login denied (access_denied)" "$NS_SYSLOG"
ns_log "sshd denied: refused $(field "$R" seconds_after_enter) s after Enter (sshd pads failures)"

# --- exact PAM codes (pamtester) ----------------------------------------------------------
pt_device() {  # pt_device ACTION USER NAME [SERVICE]: a pamtester device login, result in $NS_TMP/NAME.json
  timeout 150 python3 "$DRIVE" "$IDP_ADMIN" "$1" "$2" "$NS_TMP/$3.json" -- \
    pamtester "${4:-oidc-device}" "$2" authenticate
}
pt_device approve bob pt-ok
ns_check "pamtester: approved → success" test "$(field "$NS_TMP/pt-ok.json" status)" = 0
ns_check "pamtester: bob stored" test -n "$(uid_of bob)"
pt_device deny bob pt-deny
out=$(field "$NS_TMP/pt-deny.json" after)
ns_check "pamtester: denied → PAM_AUTH_ERR" grep -q "pamtester: $PT_AUTH_ERR" <<<"$out"
ns_check "pamtester: denied → told so" grep -q "The login was denied in the browser." <<<"$out"
pt_device expire bob pt-expire
out=$(field "$NS_TMP/pt-expire.json" after)
ns_check "pamtester: expired code → PAM_AUTH_ERR" grep -q "pamtester: $PT_AUTH_ERR" <<<"$out"
ns_check "pamtester: expired → told so" grep -q "The code expired before the login was approved." <<<"$out"
ns_check "pamtester: expired logged" grep -q "device code expired (expired_token)" "$NS_SYSLOG"

# slow_down on the first poll: the module must wait interval + 5 s before the next one.
admin -d '{"path":"token","profile":"default","kind":"status","status":400,"body":{"error":"slow_down"},"count":1}' \
  "$IDP_ADMIN/admin/fault" >/dev/null
admin -X POST "$IDP_ADMIN/admin/stats/reset" >/dev/null
pt_device approve bob pt-slow
admin -X DELETE "$IDP_ADMIN/admin/fault" >/dev/null
polls=$(pam_idp_token_count)
after=$(field "$NS_TMP/pt-slow.json" seconds_after_enter)
ns_log "slow_down: success $after s after Enter, $polls token requests"
ns_check "pamtester: slow_down then approval → success" test "$(field "$NS_TMP/pt-slow.json" status)" = 0
ns_check "pamtester: slow_down added 5 s to the 1 s interval (waited $after s)" \
  python3 -c "import sys; sys.exit(0 if 5.5 <= $after <= 12 else 1)"
ns_check "pamtester: polled only twice across slow_down ($polls)" test "$polls" = 2

t0=$(date +%s%N)
pt_device none bob pt-timeout
t1=$(date +%s%N)
out=$(field "$NS_TMP/pt-timeout.json" after)
ns_check "pamtester: nobody approves → PAM_AUTH_ERR after device_timeout (10 s; took $(((t1 - t0) / 1000000)) ms)" \
  grep -q "pamtester: $PT_AUTH_ERR" <<<"$out"
ns_check "pamtester: timed out → told so" grep -q "The login was not approved in time." <<<"$out"
ns_check "pamtester: the limit held (10-14 s)" test $(((t1 - t0) / 1000000)) -ge 10000 -a $(((t1 - t0) / 1000000)) -le 14000

# Same config, another service: the password grant, no device code.
before=$(curl -fsS "$IDP_ADMIN/admin/device/last" | jq -r .user_code)
expect_pt "[service:oidc-password] keeps the password grant" "$PT_OK" oidc-password bob 'bob-pw\n' authenticate
ns_check "no device code was requested for it" test "$(curl -fsS "$IDP_ADMIN/admin/device/last" | jq -r .user_code)" = "$before"

# --- sudo with grant = device: shows the text (PAM_SILENT notwithstanding) and waits ----------
rm -rf /etc/sudoers.d
ns_write /etc/sudoers 440 <<'EOF'
Defaults !lecture, timestamp_timeout=0, !fqdn, !syslog
root   ALL=(ALL:ALL) ALL
%sudo  ALL=(ALL:ALL) ALL
EOF
visudo -c -q -f /etc/sudoers || ns_die "test sudoers invalid"
R=$NS_TMP/sudo.json
timeout 150 python3 "$DRIVE" "$IDP_ADMIN" approve alice "$R" -- \
  setpriv --reuid=alice --regid=alice --init-groups --reset-env sudo id -u
ns_log "sudo device login: total $(field "$R" seconds_total) s"
ns_check "sudo: the code was shown ($(field "$R" user_code))" test -n "$(field "$R" user_code)"
ns_check "sudo: the QR code was shown" grep -q '█' <<<"$(field "$R" shown)"
ns_check "sudo: approved → id -u prints 0" grep -qx "0" <<<"$(tr -d '\r' <<<"$(field "$R" after)")"
R=$NS_TMP/sudo-p.json
timeout 150 python3 "$DRIVE" "$IDP_ADMIN" deny alice "$R" -- \
  setpriv --reuid=alice --regid=alice --init-groups --reset-env sudo -p 'Press Enter once you have approved: ' id -u
out=$(tr -d '\r' <<<"$(field "$R" after)")
ns_check "sudo -p: the code still shows with a custom prompt ($(field "$R" user_code))" test -n "$(field "$R" user_code)"
ns_check "sudo -p: denied → refused" lacks '^0$' "$out"
ns_check "sudo: the refusal reason reached the terminal" grep -q "The login was denied in the browser." <<<"$(field "$R" transcript)"
ns_check "sudo: asked again after each denial, like after a wrong password ($(field "$R" attempts) attempts)" \
  test "$(field "$R" attempts)" = 3

kill "$(cat "$SSHD_DIR/sshd.pid")" 2>/dev/null
if [ "$NS_FAILURES" != 0 ]; then
  ns_log "sshd log:"; tail -n 30 "$SSHD_DIR/sshd.log" >&2
  ns_log "syslog:"; tail -n 40 "$NS_SYSLOG" >&2
  for f in "$NS_TMP"/*.json; do ns_log "$f:"; cat "$f" >&2; done
fi
ns_finish
