#!/usr/bin/env bash
# What attackers try (issue 8), through real libpam (pamtester), real sudo, the real libsasl2
# (tests/tools/sasl_probe) and the CLI, inside a private namespace against the test IdP:
#  (a) hostile remote names and uid claims never land on a local account;
#  (b) 64 KiB+ passwords and tokens are refused cleanly;
#  (c) a hostile environment (config-path variables, proxies, CA bundles, SSLKEYLOGFILE) changes
#      nothing the module does (no connection to the proxy, only the configured CA trusted);
#  (d) unsafe config / secret files → PAM_SERVICE_ERR with a clear syslog line, local logins work;
#  (e) with `debug` on everywhere, no password, token, token signature or client secret is ever
#      written to syslog, the CLI's stderr or libsasl2's log.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lib/ns.sh
. "$HERE/../lib/ns.sh"
ns_reexec "$@"
# shellcheck source=pam_common.sh
. "$HERE/pam_common.sh"

CLI=$PAM_BUILD/cli/oidc-sysauth
PROBE=$PAM_BUILD/tests/tools/sasl_probe
SASL_PLUGIN=$PAM_BUILD/sasl/liboidc.so
for f in "$CLI" "$PROBE" "$SASL_PLUGIN"; do [ -x "$f" ] || [ -f "$f" ] || ns_die "$f not built"; done
LOGS=$NS_TMP/captured  # every stderr we produce, for the secrecy check (e)
mkdir -p "$LOGS"
SECRETS=()             # every secret used, for the secrecy check (e)
remember() { SECRETS+=("$1"); }

CONF=/etc/oidc-sysauth/oidc-sysauth.conf
pam_write_config "$IDP_ISSUER" "$CONF"
pam_write_config "$IDP_ISSUER" /etc/oidc-sysauth/uid.conf "
[claims]
uid = uid"
# An admin who lowered uid_min into the local range: a claim naming a local uid must still fail.
pam_write_config "$IDP_ISSUER" /etc/oidc-sysauth/uid-low.conf "
[claims]
uid = uid
[accounts]
uid_min = 1000
uid_max = 60000"
remember "$IDP_CLIENT_SECRET"

only_oidc() {  # only_oidc SERVICE [module args]
  ns_write "/etc/pam.d/$1" <<EOP
auth     required $PAM_MODULE ${*:2}
account  required $PAM_MODULE ${*:2}
EOP
}
with_unix() {  # with_unix SERVICE CONFIG: the documented stack, pam_unix for local users
  ns_write "/etc/pam.d/$1" <<EOP
auth     [success=done user_unknown=ignore ignore=ignore default=die] $PAM_MODULE debug config=$2
auth     required pam_unix.so try_first_pass
account  [success=ok user_unknown=ignore ignore=ignore default=bad] $PAM_MODULE debug config=$2
account  required pam_unix.so
EOP
}
only_oidc sec-login debug
only_oidc sec-token debug token_login config=/etc/oidc-sysauth/uid.conf
only_oidc sec-token-low debug token_login config=/etc/oidc-sysauth/uid-low.conf
with_unix sec-mixed "$CONF"

ns_add_local_user localuser 1500
ns_set_password localuser local-pw
ns_add_local_user bob 1600  # a local account that the IdP also has a user for
ns_set_password bob local-bob-pw
ns_set_password root local-root-pw
remember local-pw
remember local-bob-pw
remember local-root-pw

stored_names() { "$PAM_BUILD/tests/tools/store_tool" --config "$CONF" --no-nscd list 2>/dev/null | cut -d: -f1; }
not_stored() {  # not_stored NAME...: none of the names has a shadow account
  local n
  for n in "$@"; do stored_names | grep -qxF -- "$n" && return 1; done
  return 0
}

# --- (a) hostile remote names --------------------------------------------------------------
LONG_NAME=$(printf 'x%.0s' $(seq 1 300))
expect_pt "control: alice logs in" "$PT_OK" sec-login alice 'alice-pw\n' authenticate acct_mgmt
remember alice-pw
for name in root daemon; do
  out=$(pt sec-login "$name" "$name-pw\\n" authenticate acct_mgmt)
  ns_check "IdP user '$name' (right IdP password) refused ($out)" test "$out" != OK
  out=$(pt sec-mixed "$name" "$name-pw\\n" authenticate acct_mgmt)
  ns_check "mixed stack: IdP password of '$name' does not open the local account ($out)" test "$out" != OK
  remember "$name-pw"
done
out=$(pt sec-login bob 'bob-pw\n' authenticate acct_mgmt)
ns_check "IdP user bob never takes over local account bob (uid 1600) ($out)" test "$out" != OK
out=$(pt sec-mixed bob 'bob-pw\n' authenticate acct_mgmt)
ns_check "mixed stack: bob's IdP password does not open local bob ($out)" test "$out" != OK
expect_pt "mixed stack: local bob with his local password" "$PT_OK" sec-mixed bob 'local-bob-pw\n' authenticate acct_mgmt
ns_check "bob is still the local uid 1600 ($(getent passwd bob))" test "$(getent passwd bob | cut -d: -f3)" = 1600
remember bob-pw
for name in '../evil' 'a/b' 'Mallory' 'Zoë' "$LONG_NAME" 'ALICE' 'Alice' 'ev:il' $'ali\nce' 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' '.' '..' '-rf' 'alice ' ' alice'; do
  out=$(pt sec-login "$name" "$name-pw\\n" authenticate acct_mgmt)
  ns_check "hostile name '$(printf '%q' "${name:0:40}")' refused ($out)" test "$out" != OK
  [ "${#name}" -le 40 ] && remember "$name-pw"  # (the long name itself is no secret)
done
ns_check "no hostile name reached the store ($(stored_names | tr '\n' ' '))" \
  not_stored root daemon bob ../evil a/b Mallory mallory Zoë zoë "$LONG_NAME" ALICE ev:il
ns_check "root and daemon are still uid 0 / 1" \
  test "$(getent passwd root | cut -d: -f3):$(getent passwd daemon | cut -d: -f3)" = "0:1"

# uid claims: [claims] uid = uid, tokens minted with claims {"uid": ...} for dave (never stored yet).
mint() {  # mint USER CLAIMS_JSON
  curl -fsS --max-time 5 -H 'content-type: application/json' \
    -d "{\"profile\":\"default\",\"user\":\"$1\",\"alg\":\"RS256\",\"aud\":\"$IDP_CLIENT_ID\",\"ttl\":300,\"claims\":$2}" \
    "$IDP_ADMIN/admin/token" | jq -r .token
}
for uid in 0 '"0"' 1 999 1500 1600 65534 -1 4294967295 4294967296 '"1e3"' '"0x0"' 1.5 true '[0]'; do
  tok=$(mint dave "{\"uid\":$uid}")
  remember "$tok"
  out=$(pt sec-token dave "$tok\\n" authenticate acct_mgmt)
  ns_check "uid claim $uid refused ($out)" test "$out" != OK
done
for uid in 0 1 999 1500 1600 65534; do  # uid_min = 1000: local uids are in range, still refused
  tok=$(mint dave "{\"uid\":$uid}")
  remember "$tok"
  out=$(pt sec-token-low dave "$tok\\n" authenticate acct_mgmt)
  ns_check "uid_min 1000: uid claim $uid (system or local) refused ($out)" test "$out" != OK
done
ns_check "dave has no account after the refused uid claims" not_stored dave
tok=$(mint dave '{"uid":250000}')
remember "$tok"
expect_pt "control: uid claim 250000 accepted" "$PT_OK" sec-token dave "$tok\\n" authenticate acct_mgmt
ns_check "dave got uid 250000 ($(getent passwd dave))" test "$(getent passwd dave | cut -d: -f3)" = 250000

# SASL (libsasl2 + liboidc.so via sasl_probe): hostile token usernames and authzids.
SASL_DIR=$NS_TMP/sasl
mkdir -p "$SASL_DIR/plugins"
ln -sf "$SASL_PLUGIN" "$SASL_DIR/plugins/liboidc.so"
probe() {  # probe MECH MESSAGE_FILE [SERVICE] → "rc=... user=..."; libsasl2's log to $LOGS
  "$PROBE" "$SASL_DIR/plugins" "$CONF" "${3:-smtp}" "$1" "$2" 2>>"$LOGS/sasl.log"
}
ob_msg() {  # ob_msg AUTHZID TOKEN FILE
  printf 'n,%s,\001host=localhost\001port=25\001auth=Bearer %s\001\001' "${1:+a=$1}" "$2" >"$3"
}
tok=$(mint alice '{}')
remember "$tok"
ob_msg alice "$tok" "$NS_TMP/m"
out=$(probe OAUTHBEARER "$NS_TMP/m")
ns_check "SASL control: alice's token → SASL_OK as alice ($out)" grep -q "user=alice$" <<<"$out"
for user in root daemon bob ../evil a/b Mallory Zoë "$LONG_NAME"; do
  tok=$(mint "$user" '{}')
  remember "$tok"
  ob_msg "" "$tok" "$NS_TMP/m"
  out=$(probe OAUTHBEARER "$NS_TMP/m")
  ns_check "SASL: token of IdP user '${user:0:40}' refused ($out)" bash -c "! grep -q 'rc=successful' <<<'$out'"
done
tok=$(mint alice '{"preferred_username":"root"}')
remember "$tok"
ob_msg "" "$tok" "$NS_TMP/m"
out=$(probe OAUTHBEARER "$NS_TMP/m")
ns_check "SASL: a username claim of 'root' refused ($out)" bash -c "! grep -q 'rc=successful' <<<'$out'"
tok=$(mint alice '{}')
for authz in root bob 'alice\nroot' 'ALICE'; do
  printf 'n,a=%b,\001auth=Bearer %s\001\001' "$authz" "$tok" >"$NS_TMP/m"
  out=$(probe OAUTHBEARER "$NS_TMP/m")
  ns_check "SASL: alice asking for authzid '$authz' refused ($out)" bash -c "! grep -q 'rc=successful' <<<'$out'"
done
printf 'n,a=ali\000ce,\001auth=Bearer %s\001\001' "$tok" >"$NS_TMP/m"
out=$(probe OAUTHBEARER "$NS_TMP/m")
ns_check "SASL: authzid with a NUL refused ($out)" bash -c "! grep -q 'rc=successful' <<<'$out'"
printf 'user=root\001auth=Bearer %s\001\001' "$tok" >"$NS_TMP/m"
out=$(probe XOAUTH2 "$NS_TMP/m")
ns_check "SASL XOAUTH2: alice's token as user=root refused ($out)" bash -c "! grep -q 'rc=successful' <<<'$out'"

# --- (b) 64 KiB+ passwords and tokens ---------------------------------------------------------
for size in 65536 1048576; do
  big=$(head -c "$size" /dev/zero | tr '\0' A)
  printf '%s\n' "$big" >"$NS_TMP/big"
  out=$(timeout 30 pamtester sec-login alice authenticate <"$NS_TMP/big" 2>&1 >/dev/null; echo "rc=$?")
  ns_check "PAM: a $size-byte password → clean refusal (no crash, no hang)" \
    bash -c "grep -q 'rc=1$' <<<'$out' && ! grep -qi 'segmentation\|abort\|core' <<<'$out'"
  out=$(timeout 30 pamtester sec-token alice authenticate <"$NS_TMP/big" 2>&1 >/dev/null; echo "rc=$?")
  ns_check "PAM token_login: a $size-byte token → clean refusal" grep -q 'rc=1$' <<<"$out"
  out=$(timeout 30 "$CLI" --config "$CONF" -v login alice --password-stdin <"$NS_TMP/big" 2>>"$LOGS/cli.err"; echo "rc=$?")
  ns_check "CLI login: a $size-byte password → refusal, no crash ($(tail -c 40 <<<"$out"))" \
    bash -c "! grep -q 'rc=0$\|rc=13[4-9]$' <<<'$out'"
  ob_msg "" "$big" "$NS_TMP/m"
  out=$(probe OAUTHBEARER "$NS_TMP/m"; echo "exit=$?")
  ns_check "SASL: a $size-byte bearer token → refusal, no crash ($out)" grep -q 'exit=1$' <<<"$out"
  jwtish="$(head -c $((size / 2)) /dev/zero | tr '\0' e).$(head -c $((size / 2)) /dev/zero | tr '\0' f).sig"
  ob_msg "" "$jwtish" "$NS_TMP/m"
  out=$(probe OAUTHBEARER "$NS_TMP/m"; echo "exit=$?")
  ns_check "SASL: a $size-byte JWT-shaped token → refusal, no crash ($out)" grep -q 'exit=1$' <<<"$out"
done
out=$(pt sec-login alice 'alice-pw\n' authenticate)
ns_check "after the oversized inputs, alice still logs in ($out)" test "$out" = OK

# --- (c) hostile environment -----------------------------------------------------------------
PROXY_PORT=$(pam_start_hung_listener)  # a "proxy" that records connections and never answers
EVIL=/tmp/evil
mkdir -p "$EVIL"
UNTRUSTED_CA=$(find "$(dirname "$IDP_CA")" "${IDP_DIR:-/nonexistent}" -name 'untrusted-ca.pem' 2>/dev/null | head -n1)
[ -n "$UNTRUSTED_CA" ] || ns_die "the test IdP's untrusted CA file was not found"
cat "$UNTRUSTED_CA" >"$EVIL/ca.pem"
printf '[idp]\nissuer = https://127.0.0.1:%s/default\nclient_id = evil\n' "$PROXY_PORT" >"$EVIL/evil.conf"
chmod 644 "$EVIL/evil.conf"
HOSTILE_ENV=(
  "https_proxy=http://127.0.0.1:$PROXY_PORT" "HTTPS_PROXY=http://127.0.0.1:$PROXY_PORT"
  "http_proxy=http://127.0.0.1:$PROXY_PORT" "ALL_PROXY=http://127.0.0.1:$PROXY_PORT"
  "all_proxy=socks5://127.0.0.1:$PROXY_PORT" "NO_PROXY=" "no_proxy="
  "SSL_CERT_FILE=$EVIL/ca.pem" "SSL_CERT_DIR=$EVIL" "CURL_CA_BUNDLE=$EVIL/ca.pem"
  "OIDC_SYSAUTH_CONFIG=$EVIL/evil.conf" "OIDC_SYSAUTH_CONF=$EVIL/evil.conf" "OIDC_CONFIG=$EVIL/evil.conf"
  "OIDC_SYSAUTH_STATE_DIR=$EVIL" "OIDC_SYSAUTH_CACHE_DIR=$EVIL" "CURL_HOME=$EVIL" "HOME=$EVIL"
  "OPENSSL_CONF=$EVIL/openssl.cnf" "OPENSSL_MODULES=$EVIL" "LD_PRELOAD=$EVIL/x.so" "LD_LIBRARY_PATH=$EVIL"
)
printf 'openssl_conf = evil\n[evil]\nssl_conf = evil_ssl\n[evil_ssl]\nsystem_default = evil_sd\n[evil_sd]\nCipherString = NULL\n' \
  >"$EVIL/openssl.cnf"
rm -rf /var/cache/oidc-sysauth/*  # cold caches: the hostile environment sees discovery + JWKS too
before=$(cat "$NS_TMP/hung.count")
out=$(printf 'alice-pw\n' | env "${HOSTILE_ENV[@]}" timeout 30 pamtester sec-login alice authenticate acct_mgmt 2>&1; echo "rc=$?")
ns_check "hostile env (pamtester): alice still logs in against the configured IdP ($(tail -c 60 <<<"$out"))" \
  grep -q 'rc=0$' <<<"$out"
out=$(printf 'wrong-pw\n' | env "${HOSTILE_ENV[@]}" timeout 30 pamtester sec-login alice authenticate 2>&1; echo "rc=$?")
ns_check "hostile env (pamtester): a wrong password is still refused" grep -q 'rc=1$' <<<"$out"
ns_check "hostile env: the proxy saw no connection" test "$(cat "$NS_TMP/hung.count")" = "$before"
ns_check "hostile env: nothing written to the attacker's directory" \
  test "$(find "$EVIL" -newer "$EVIL/openssl.cnf" | wc -l)" = 0
# An IdP whose certificate comes from the attacker's CA stays untrusted even when the environment
# names that CA.
pam_write_config "$IDP_UNTRUSTED_ISSUER" /etc/oidc-sysauth/untrusted.conf
only_oidc sec-untrusted config=/etc/oidc-sysauth/untrusted.conf
out=$(printf 'alice-pw\n' | env "${HOSTILE_ENV[@]}" timeout 30 pamtester sec-untrusted alice authenticate 2>&1; echo "rc=$?")
ns_check "SSL_CERT_FILE/CURL_CA_BUNDLE = the attacker's CA: the IdP it signed is still refused" \
  grep -q "$PT_AUTHINFO_UNAVAIL" <<<"$out"
# SSLKEYLOGFILE: libcurl would append TLS secrets to it; the module refuses to start libcurl.
out=$(printf 'alice-pw\n' | env SSLKEYLOGFILE="$EVIL/keys.log" timeout 30 pamtester sec-login alice authenticate 2>&1; echo "rc=$?")
ns_check "SSLKEYLOGFILE set: login refused, fail closed ($(tail -c 80 <<<"$out"))" bash -c "! grep -q 'rc=0$' <<<'$out'"
ns_check "SSLKEYLOGFILE set: no key log written" test ! -s "$EVIL/keys.log"
ns_check "SSLKEYLOGFILE refusal is explained in syslog" grep -q "SSLKEYLOGFILE" "$NS_SYSLOG"
out=$(printf 'local-pw\n' | env SSLKEYLOGFILE="$EVIL/keys.log" "${HOSTILE_ENV[@]}" timeout 30 pamtester sec-mixed localuser authenticate acct_mgmt 2>&1; echo "rc=$?")
ns_check "SSLKEYLOGFILE + hostile env: local logins keep working" grep -q 'rc=0$' <<<"$out"
# The real setuid case: a local user runs sudo with the hostile environment.
rm -rf /etc/sudoers.d
ns_write /etc/sudoers 440 <<'EOS'
Defaults !lecture, timestamp_timeout=0, !fqdn, !syslog
root   ALL=(ALL:ALL) ALL
alice  ALL=(ALL:ALL) ALL
EOS
ns_write /etc/pam.d/sudo <<EOP
auth     required $PAM_MODULE debug
account  required $PAM_MODULE debug
session  required pam_permit.so
EOP
rm -rf /var/cache/oidc-sysauth/*
before=$(cat "$NS_TMP/hung.count")
out=$(printf 'alice-pw\n' | timeout 30 setpriv --reuid=alice --regid=alice --init-groups \
  env "${HOSTILE_ENV[@]}" sudo -S -p 'pw: ' id -u 2>&1)
ns_check "sudo with a hostile environment: alice authenticates as usual ($(tr '\n' '|' <<<"$out"))" \
  grep -q '0$' <<<"$out"
ns_check "sudo with a hostile environment: the proxy saw no connection" test "$(cat "$NS_TMP/hung.count")" = "$before"

# --- (d) unsafe config and secret files -------------------------------------------------------
unsafe() {  # unsafe NAME MODE OWNER [secret_file]: a copy of the config with that mode/owner
  local path=/etc/oidc-sysauth/$1.conf secret=${4:-/etc/oidc-sysauth/client-secret}
  sed "s|^client_secret_file = .*|client_secret_file = $secret|" "$CONF" >"$path"
  chmod "$2" "$path"
  chown "$3" "$path"
  only_oidc "sec-$1" config="$path"
  with_unix "sec-$1-mixed" "$path"
}
install -m 644 -o root -g root "$IDP_CLIENT_SECRET_FILE" /etc/oidc-sysauth/secret-0644
install -m 600 -o localuser -g root "$IDP_CLIENT_SECRET_FILE" /etc/oidc-sysauth/secret-user
install -m 660 -o root -g localuser "$IDP_CLIENT_SECRET_FILE" /etc/oidc-sysauth/secret-0660
unsafe world-writable 666 root:root
unsafe group-writable 664 root:localuser
unsafe user-owned 644 localuser:root
unsafe secret-0644 644 root:root /etc/oidc-sysauth/secret-0644
unsafe secret-user 644 root:root /etc/oidc-sysauth/secret-user
unsafe secret-0660 644 root:root /etc/oidc-sysauth/secret-0660
for kind in world-writable group-writable user-owned secret-0644 secret-user secret-0660; do
  lines_before=$(wc -l <"$NS_SYSLOG")
  expect_pt "$kind → PAM_SERVICE_ERR" "$PT_SERVICE_ERR" "sec-$kind" alice 'alice-pw\n' authenticate
  sleep 0.2
  msg=$(tail -n +"$((lines_before + 1))" "$NS_SYSLOG" | grep -m1 "oidc-sysauth/$kind\|oidc-sysauth/secret-" | sed 's/.*\]: //')
  ns_check "$kind: syslog says which file and why ('$msg')" \
    bash -c "grep -q 'must\|mode\|owned\|writable' <<<\"\$1\"" _ "$msg"
  expect_pt "$kind: local user still logs in through pam_unix" "$PT_OK" "sec-$kind-mixed" localuser \
    'local-pw\n' authenticate acct_mgmt
  expect_pt "$kind: root still logs in through pam_unix" "$PT_OK" "sec-$kind-mixed" root \
    'local-root-pw\n' authenticate acct_mgmt
done

# --- (e) secrets never logged ----------------------------------------------------------------
# More representative logins with debug on: OTP, token-as-password, CLI (password, token, -v),
# SASL OAUTHBEARER/XOAUTH2 good and bad.
remember dave-pw
remember 246810
only_oidc sec-otp debug
expect_pt "OTP login (debug)" "$PT_OK" sec-otp dave 'dave-pw\n246810\n' authenticate
expect_pt "OTP wrong code (debug)" "$PT_AUTH_ERR" sec-otp dave 'dave-pw\n135791\n' authenticate
remember 135791
tok=$(mint alice '{}')
remember "$tok"
expect_pt "token-as-password (debug)" "$PT_OK" sec-token alice "$tok\\n" authenticate
forged="${tok%?}$([ "${tok: -1}" = A ] && echo B || echo A)"
remember "$forged"
expect_pt "forged token refused (debug)" "$PT_AUTH_ERR" sec-token alice "$forged\\n" authenticate
echo alice-pw | "$CLI" --config "$CONF" -v login alice --password-stdin >>"$LOGS/cli.out" 2>>"$LOGS/cli.err"
echo wrong-alice-pw | "$CLI" --config "$CONF" -v login alice --password-stdin >>"$LOGS/cli.out" 2>>"$LOGS/cli.err"
remember wrong-alice-pw
echo "$tok" | "$CLI" --config "$CONF" -v login alice --token --password-stdin >>"$LOGS/cli.out" 2>>"$LOGS/cli.err"
echo "$tok" | "$CLI" --config "$CONF" -v token verify - >>"$LOGS/cli.out" 2>>"$LOGS/cli.err"
echo "$forged" | "$CLI" --config "$CONF" -v token verify - >>"$LOGS/cli.out" 2>>"$LOGS/cli.err"
"$CLI" --config "$CONF" -v doctor >>"$LOGS/cli.out" 2>>"$LOGS/cli.err"
ob_msg alice "$tok" "$NS_TMP/m"
probe OAUTHBEARER "$NS_TMP/m" >/dev/null
ob_msg alice "$forged" "$NS_TMP/m"
probe OAUTHBEARER "$NS_TMP/m" >/dev/null
printf 'user=alice\001auth=Bearer %s\001\001' "$forged" >"$NS_TMP/m"
probe XOAUTH2 "$NS_TMP/m" >/dev/null
sleep 0.5  # the syslog receiver is asynchronous
ns_check "syslog captured the debug logins ($(wc -l <"$NS_SYSLOG") lines)" test "$(wc -l <"$NS_SYSLOG")" -gt 20
ns_check "libsasl2's log captured the exchanges" test -s "$LOGS/sasl.log"
leaks=0
for s in "${SECRETS[@]}"; do
  [ "${#s}" -ge 6 ] || continue
  [[ "$s" == *$'\n'* ]] && continue  # grep -F would split it into lines ("ali\nce-pw" → "ali")
  needles=("$s")
  if [[ "$s" == *.*.* ]]; then needles+=("${s##*.}" "${s%.*}"); fi  # signature, header.payload
  for n in "${needles[@]}"; do
    [ "${#n}" -ge 6 ] || continue
    n=${n:0:200}  # a prefix is enough and keeps grep's pattern small
    for f in "$NS_SYSLOG" "$LOGS"/*; do
      if grep -qaF -- "$n" "$f"; then
        ns_log "LEAK: '${n:0:24}...' found in $f"
        leaks=$((leaks + 1))
      fi
    done
  done
done
ns_check "no password, token, token signature or client secret in any log (${#SECRETS[@]} secrets checked)" \
  test "$leaks" = 0

kill "$(cat "$NS_TMP/hung.pid")" 2>/dev/null
if [ "$NS_FAILURES" != 0 ]; then ns_log "syslog:"; tail -n 60 "$NS_SYSLOG" >&2; fi
ns_finish
