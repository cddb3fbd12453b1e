#!/usr/bin/env bash
# Real OpenSSH sshd (Debian's /usr/sbin/sshd) on a loopback port, in a private namespace with
# a test PAM stack (service sshd-oidctest), test nsswitch.conf (passwd: files oidc) and the
# built NSS module: first SSH logins of never-seen IdP users (password and
# keyboard-interactive, OTP), `id` in the session shows the shadow uid and mapped groups,
# wrong passwords and unresolvable users are refused, and local root is pam_unix's alone.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lib/ns.sh
. "$HERE/../lib/ns.sh"
ns_reexec "$@"
# shellcheck source=pam_common.sh
. "$HERE/pam_common.sh"

# Never-seen names matching these patterns resolve (provisionally) before their first login;
# erin does not, so sshd treats her as an invalid user.
pam_write_config "$IDP_ISSUER" /etc/oidc-sysauth/oidc-sysauth.conf "provisional_users = a* b* d*

[service:sshd-oidcdev]
grant = device"
ns_set_password root local-root-pw

# The shipped example stack, as is (only the module path points into the build tree).
pam_install_example oidc-sshd sshd-oidctest
pam_install_example oidc-sshd sshd-oidcdev  # same stack; the config picks the device grant

SSHD_DIR=$NS_TMP/sshd
mkdir -p "$SSHD_DIR/bin"
ln -s /usr/sbin/sshd "$SSHD_DIR/bin/sshd-oidctest"  # PAM service = basename of argv[0]
ln -s /usr/sbin/sshd "$SSHD_DIR/bin/sshd-oidcdev"
ssh-keygen -q -t ed25519 -N '' -f "$SSHD_DIR/hostkey" || ns_die "ssh-keygen"
# SSH keys for logins that never reach our auth: the account phase decides from the store.
ssh-keygen -q -t ed25519 -N '' -f "$SSHD_DIR/clientkey" || ns_die "ssh-keygen"
mkdir -p "$SSHD_DIR/keys"
for u in alice dan; do cp "$SSHD_DIR/clientkey.pub" "$SSHD_DIR/keys/$u"; done
STORE_TOOL=$PAM_BUILD/tests/tools/store_tool
[ -x "$STORE_TOOL" ] || ns_die "$STORE_TOOL not built (cmake --build ... --target store_tool)"
PORT=$(ns_free_port)
cat >"$SSHD_DIR/sshd_config" <<EOF
Port $PORT
ListenAddress 127.0.0.1
HostKey $SSHD_DIR/hostkey
PidFile $SSHD_DIR/sshd.pid
UsePAM yes
KbdInteractiveAuthentication yes
PasswordAuthentication yes
PubkeyAuthentication yes
AuthorizedKeysFile $SSHD_DIR/keys/%u
StrictModes no
PermitRootLogin yes
UseDNS no
PrintMotd no
PrintLastLog no
EOF
"$SSHD_DIR/bin/sshd-oidctest" -t -f "$SSHD_DIR/sshd_config" || ns_die "sshd -t"
"$SSHD_DIR/bin/sshd-oidctest" -D -f "$SSHD_DIR/sshd_config" -E "$SSHD_DIR/sshd.log" &
ns_wait_port "$PORT"
DEV_PORT=$(ns_free_port)
sed -e "s/^Port .*/Port $DEV_PORT/" -e "s|^PidFile .*|PidFile $SSHD_DIR/sshd-dev.pid|" \
  "$SSHD_DIR/sshd_config" >"$SSHD_DIR/sshd_config.dev"
"$SSHD_DIR/bin/sshd-oidcdev" -D -f "$SSHD_DIR/sshd_config.dev" -E "$SSHD_DIR/sshd-dev.log" &
ns_wait_port "$DEV_PORT"

ssh_as() {  # ssh_as METHOD USER PASSWORD COMMAND — prints the command's output
  timeout 40 sshpass -p "$3" ssh -F /dev/null -p "$PORT" -o StrictHostKeyChecking=no \
    -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o PreferredAuthentications="$1" \
    -o NumberOfPasswordPrompts=1 "$2@127.0.0.1" "$4" 2>&1
}
uid_of() { getent passwd "$1" | cut -d: -f3; }

# --- first login, password authentication ------------------------------------------------
ns_check "alice has no shadow account yet" test -z "$(/bin/sh -c 'test -f /var/lib/oidc-sysauth/accounts.db && getent passwd | grep ^alice:')"
provisional=$(uid_of alice)
ns_check "alice resolves provisionally before her first login (uid $provisional)" test -n "$provisional"
t0=$(date +%s%N)
out=$(ssh_as password alice alice-pw 'id; pwd')
t1=$(date +%s%N)
ns_log "alice (password, $(((t1 - t0) / 1000000)) ms): $out"
stored=$(uid_of alice)
ns_check "alice: first password login works" grep -q "^uid=$stored(alice)" <<<"$out"
ns_check "alice: session uid = provisional uid = stored uid" test "$provisional" = "$stored"
ns_check "alice: primary group is her private group" grep -q "gid=$stored(alice)" <<<"$out"
ns_check "alice: mapped group sudo (IdP admin)" grep -q "27(sudo)" <<<"$out"
ns_check "alice: home created by pam_mkhomedir" grep -qx /home/alice <<<"$(sed -n 2p <<<"$out")"

# --- first login, keyboard-interactive -----------------------------------------------------
bob_provisional=$(uid_of bob)
out=$(ssh_as keyboard-interactive bob bob-pw id)
ns_log "bob (keyboard-interactive): $out"
ns_check "bob: first keyboard-interactive login works" grep -q "^uid=$bob_provisional(bob)" <<<"$out"
ns_check "bob: uid kept from the provisional entry" test "$(uid_of bob)" = "$bob_provisional"
ns_check "bob: no sudo (IdP staff)" bash -c "! grep -q sudo <<<'$out'"
out=$(ssh_as password alice alice-pw id)
ns_check "alice: second login, same uid" grep -q "^uid=$stored(alice)" <<<"$out"

# --- SSH keys: no auth by us, the stored account decides --------------------------------------
ssh_key() {  # ssh_key USER COMMAND
  timeout 40 ssh -F /dev/null -p "$PORT" -i "$SSHD_DIR/clientkey" -o IdentitiesOnly=yes \
    -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o BatchMode=yes \
    -o PreferredAuthentications=publickey "$1@127.0.0.1" "$2" 2>&1
}
out=$(ssh_key alice id)
ns_check "alice: key login, account decided from her stored record" grep -q "^uid=$stored(alice)" <<<"$out"
out=$(ssh_key dan id)
ns_check "dan (provisional, never logged in through the IdP): key login refused" \
  bash -c "! grep -q 'uid=' <<<'$out'"
ns_check "dan: refusal is the account phase's" grep -q "account 'dan' has never logged in" "$NS_SYSLOG"
"$STORE_TOOL" --config /etc/oidc-sysauth/oidc-sysauth.conf --no-nscd disable alice >/dev/null ||
  ns_die "store_tool disable"
out=$(ssh_key alice id)
ns_check "alice disabled: key login refused" bash -c "! grep -q 'uid=' <<<'$out'"
out=$(ssh_as password alice alice-pw id)
ns_check "alice disabled: password login refused too" bash -c "! grep -q 'uid=' <<<'$out'"
"$STORE_TOOL" --config /etc/oidc-sysauth/oidc-sysauth.conf --no-nscd enable alice >/dev/null ||
  ns_die "store_tool enable"
faillock --user alice --reset
out=$(ssh_key alice id)
ns_check "alice enabled again: key login works" grep -q "^uid=$stored(alice)" <<<"$out"

# --- dave: keyboard-interactive with a one-time code (two prompts) --------------------------
cat >"$NS_TMP/kbd.py" <<'EOF'
import sys, pexpect
port, user, password, code = sys.argv[1:5]
child = pexpect.spawn("ssh", ["-F", "/dev/null", "-p", port, "-o", "StrictHostKeyChecking=no",
                              "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
                              "-o", "PreferredAuthentications=keyboard-interactive",
                              "-o", "NumberOfPasswordPrompts=1", user + "@127.0.0.1", "id"],
                      encoding="utf-8", timeout=30)
child.expect("Password: ")
child.sendline(password)
i = child.expect(["One-time code: ", pexpect.EOF])
if i == 0:
    child.sendline(code)
    child.expect(pexpect.EOF)
print(child.before.strip())
EOF
out=$(timeout 60 python3 "$NS_TMP/kbd.py" "$PORT" dave dave-pw 246810 2>&1)
ns_log "dave (keyboard-interactive + OTP): $out"
ns_check "dave: password + one-time code over keyboard-interactive" grep -q "uid=$(uid_of dave)(dave)" <<<"$out"
out=$(timeout 60 python3 "$NS_TMP/kbd.py" "$PORT" dave dave-pw 000000 2>&1)
ns_check "dave: wrong one-time code refused" bash -c "! grep -q 'uid=' <<<'$out'"

# --- device grant over keyboard-interactive (service sshd-oidcdev: grant = device) ---------------
cat >"$NS_TMP/device.py" <<'PY'
import json, sys, urllib.request, pexpect
port, user, approver, admin = sys.argv[1:5]
child = pexpect.spawn("ssh", ["-F", "/dev/null", "-p", port, "-o", "StrictHostKeyChecking=no",
                              "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
                              "-o", "PreferredAuthentications=keyboard-interactive",
                              "-o", "NumberOfPasswordPrompts=1", user + "@127.0.0.1", "id"],
                      encoding="utf-8", timeout=40)
child.expect("Press Enter")
shown = child.before
code = json.load(urllib.request.urlopen(admin + "/admin/device/last"))["user_code"]
assert code in shown, "the user code was not shown before the prompt"
req = urllib.request.Request(admin + "/admin/device/approve", method="POST",
                             data=json.dumps({"user_code": code, "user": approver}).encode(),
                             headers={"content-type": "application/json"})
urllib.request.urlopen(req).read()
child.sendline("")
child.expect(pexpect.EOF)
print("shown-code-ok", child.before.strip())
PY
out=$(timeout 60 python3 "$NS_TMP/device.py" "$DEV_PORT" alice alice "$IDP_ADMIN" 2>&1)
ns_log "alice (device grant over keyboard-interactive): $(tail -n 1 <<<"$out")"
ns_check "device grant: URL and code shown with the prompt" grep -q "shown-code-ok" <<<"$out"
ns_check "device grant: alice logs in after approving" grep -q "uid=$stored(alice)" <<<"$out"
out=$(timeout 60 python3 "$NS_TMP/device.py" "$DEV_PORT" alice bob "$IDP_ADMIN" 2>&1)
ns_check "device grant: approved by bob, alice's login refused" bash -c "! grep -q 'uid=' <<<'$out'"
faillock --user alice --reset  # that refusal counted against alice in pam_faillock

# --- refusals ---------------------------------------------------------------------------------
out=$(ssh_as password alice wrong-pw id)
ns_check "alice: wrong password refused (password)" bash -c "! grep -q 'uid=' <<<'$out'"
out=$(ssh_as keyboard-interactive alice wrong-pw id)
ns_check "alice: wrong password refused (keyboard-interactive)" bash -c "! grep -q 'uid=' <<<'$out'"
before=$(pam_idp_token_count)
out=$(ssh_as password erin erin-pw id)
ns_check "erin (not resolvable, never logged in): refused" bash -c "! grep -q 'uid=' <<<'$out'"
ns_check "erin: sshd's placeholder password recognised" grep -q "placeholder password" "$NS_SYSLOG"
ns_check "erin: the IdP was not asked" test "$(pam_idp_token_count)" = "$before"

# --- token as password over sshd's password authentication -----------------------------------
TOKEN=$(pam_idp_token alice)
out=$(ssh_as password alice "$TOKEN" id)
ns_check "alice: a ${#TOKEN}-byte JWT as password (password auth)" grep -q "^uid=$stored(alice)" <<<"$out"
out=$(ssh_as keyboard-interactive alice "$TOKEN" id)
ns_check "alice: the JWT as password (keyboard-interactive)" grep -q "^uid=$stored(alice)" <<<"$out"
out=$(ssh_as password bob "$TOKEN" id)
ns_check "bob: alice's JWT refused" bash -c "! grep -q 'uid=' <<<'$out'"
# sshd and PAM take long tokens; the OpenSSH *client* reads at most 1023 bytes at a prompt
# (readpass.c), so a longer token arrives truncated and is refused like a wrong password.
T1000=$(pam_idp_token alice "$IDP_CLIENT_ID" 130)
out=$(ssh_as password alice "$T1000" id)
ns_check "alice: a ${#T1000}-byte JWT (just under the client's 1023) works" grep -q "^uid=$stored(alice)" <<<"$out"
T1500=$(pam_idp_token alice "$IDP_CLIENT_ID" 500)
out=$(ssh_as password alice "$T1500" id)
ns_check "alice: a ${#T1500}-byte JWT, cut by the ssh client, is refused cleanly" bash -c "! grep -q 'uid=' <<<'$out'"
ns_check "alice: sshd still answers after it" grep -q "^uid=$stored(alice)" <<<"$(ssh_as password alice alice-pw id)"

# --- local root: pam_unix only ---------------------------------------------------------------
before=$(pam_idp_token_count)
out=$(ssh_as password root local-root-pw id)
ns_check "root logs in with the local password" grep -q "^uid=0(root)" <<<"$out"
out=$(ssh_as password root root-pw id)
ns_check "root with the IdP's root password: refused" bash -c "! grep -q 'uid=' <<<'$out'"
out=$(ssh_as keyboard-interactive root local-root-pw id)
ns_check "root keyboard-interactive with the local password" grep -q "^uid=0(root)" <<<"$out"
ns_check "root: the IdP was never asked" test "$(pam_idp_token_count)" = "$before"

# --- the shadow entry pam_unix sees for IdP users -------------------------------------------
shadow=$(getent shadow alice)
ns_check "alice: locked shadow entry, no forced password change ($shadow)" \
  bash -c "[[ '$shadow' == alice:\\*:* ]] && [ \"\$(cut -d: -f3 <<<'$shadow')\" != 0 ]"

# --- pam_faillock in the example stack: three failures lock bob, without asking the IdP -------
for _ in 1 2 3; do ssh_as password bob wrong-pw id >/dev/null; done
before=$(pam_idp_token_count)
out=$(ssh_as password bob bob-pw id)
ns_check "bob: locked out by pam_faillock after 3 failures" bash -c "! grep -q 'uid=' <<<'$out'"
ns_check "bob: the locked-out attempt did not reach the IdP" test "$(pam_idp_token_count)" = "$before"
faillock --user bob --reset
out=$(ssh_as password bob bob-pw id)
ns_check "bob: logs in again after faillock --reset" grep -q "^uid=$bob_provisional(bob)" <<<"$out"

kill "$(cat "$SSHD_DIR/sshd.pid")" "$(cat "$SSHD_DIR/sshd-dev.pid")" 2>/dev/null
kill "$(cat "$NS_TMP/hung.pid" 2>/dev/null)" 2>/dev/null
if [ "$NS_FAILURES" != 0 ]; then
  ns_log "sshd log:"; tail -n 40 "$SSHD_DIR/sshd.log" >&2
  ns_log "syslog:"; tail -n 40 "$NS_SYSLOG" >&2
fi
ns_finish
