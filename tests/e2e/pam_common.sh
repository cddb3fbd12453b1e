# shellcheck shell=bash
# Shared set-up of the PAM end-to-end tests (pam_*.sh): sourced after ns_reexec, inside
# the namespace. Needs OIDC_BUILD_DIR; uses the test IdP (OIDC_IDP_ENV or a private one).

PAM_BUILD=${OIDC_BUILD_DIR:?set OIDC_BUILD_DIR to the build tree}
PAM_MODULE=$PAM_BUILD/pam/pam_oidc.so
NSS_MODULE=$PAM_BUILD/nss/libnss_oidc.so.2
[ -f "$PAM_MODULE" ] || ns_die "$PAM_MODULE not built (cmake --build ... --target pam_oidc)"

ns_private_etc
ns_syslog
# Shadow accounts resolve through the built NSS module, as on a configured host.
[ -f "$NSS_MODULE" ] || ns_die "$NSS_MODULE not built (cmake --build ... --target nss_oidc)"
ns_nss_module "$NSS_MODULE"
ns_nsswitch oidc
# shellcheck disable=SC1090
. "$(ns_idp_env)"
IDP_STATS_URL=$IDP_ADMIN/admin/stats

# The namespace's /etc/oidc-sysauth: config (root 0644), client secret (0600), CA.
# pam_write_config [ISSUER] [PATH] [EXTRA config text, appended]
pam_write_config() {
  local issuer=${1:-$IDP_ISSUER} path=${2:-/etc/oidc-sysauth/oidc-sysauth.conf} extra=${3:-}
  mkdir -p /etc/oidc-sysauth
  mkdir -p -m 755 /var/cache/oidc-sysauth  # the package creates it: discovery/JWKS disk cache
  install -m 600 -o root -g root "$IDP_CLIENT_SECRET_FILE" /etc/oidc-sysauth/client-secret
  install -m 644 -o root -g root "$IDP_CA" /etc/oidc-sysauth/ca.pem
  {
    cat <<EOF
[idp]
issuer = $issuer
client_id = $IDP_CLIENT_ID
client_secret_file = /etc/oidc-sysauth/client-secret
ca_file = /etc/oidc-sysauth/ca.pem
timeout = ${PAM_IDP_TIMEOUT:-3}
password_change_url = https://127.0.0.1/account

[accounts]
group_map = admin:sudo
cache_dir = /var/cache/oidc-sysauth
EOF
    printf '%s\n' "$extra"
  } | ns_write "$path" 644
}

# pam_install_example EXAMPLE SERVICE: packaging/pam.d/EXAMPLE as /etc/pam.d/SERVICE, with
# pam_oidc.so taken from the build tree.
pam_install_example() {
  local src=$HERE/../../packaging/pam.d/$1
  [ -f "$src" ] || ns_die "no example stack $src"
  sed "s|[[:space:]]pam_oidc\.so| $PAM_MODULE|" "$src" | ns_write "/etc/pam.d/$2"
}

# Counters of the test IdP (token requests for the default profile).
pam_idp_token_count() {
  curl -fsS --max-time 5 "$IDP_STATS_URL" | sed -n 's/.*"default token": *\([0-9]*\).*/\1/p'
}

# Total requests the IdP's default profile has answered (discovery + jwks + token + ...).
pam_idp_request_count() {
  curl -fsS --max-time 5 "$IDP_STATS_URL" | jq '[to_entries[] | select(.key | startswith("default ")) | .value] | add // 0'
}

# A JWT for USER from the IdP's test-control API (aud = our client id).
pam_idp_token() {
  local user=$1 aud=${2:-$IDP_CLIENT_ID} pad=${3:-0} claims=""
  [ "$pad" -gt 0 ] && claims=",\"claims\":{\"pad\":\"$(head -c "$pad" /dev/zero | tr '\0' x)\"}"
  curl -fsS --max-time 5 -H 'content-type: application/json' \
    -d "{\"profile\":\"default\",\"user\":\"$user\",\"alg\":\"RS256\",\"aud\":\"$aud\",\"ttl\":300$claims}" \
    "$IDP_ADMIN/admin/token" | sed -n 's/.*"token": *"\([^"]*\)".*/\1/p'
}

# A TCP listener that accepts and then never says a word (an IdP that hangs). Prints its
# port; the number of connections it accepted is in $NS_TMP/hung.count.
pam_start_hung_listener() {
  python3 - "$NS_TMP/hung.count" <<'EOF' >"$NS_TMP/hung.port" &
import socket, sys, time
count_file = sys.argv[1]
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0))
s.listen(64)
print(s.getsockname()[1], flush=True)
s.settimeout(1.0)
held, count = [], 0
open(count_file, "w").write("0")
deadline = time.time() + 600
while time.time() < deadline:
    try:
        conn, _ = s.accept()
    except socket.timeout:
        continue
    held.append(conn)
    count += 1
    open(count_file, "w").write(str(count))
EOF
  echo $! >"$NS_TMP/hung.pid"
  local i
  for i in $(seq 1 100); do
    [ -s "$NS_TMP/hung.port" ] && break
    sleep 0.05
  done
  [ -s "$NS_TMP/hung.port" ] || ns_die "hung listener did not start"
  cat "$NS_TMP/hung.port"
}

# pamtester with input on stdin. Prints "OK" when every operation succeeded, else what
# pamtester wrote to stderr (prompts and messages, then pam_strerror of the failing code).
# pt SERVICE USER INPUT OPERATION...   (INPUT is printf %b: use \n between answers)
pt() {
  local svc=$1 user=$2 input=$3 err rc
  shift 3
  err=$(printf '%b' "$input" | timeout 30 pamtester "$svc" "$user" "$@" 2>&1 >/dev/null)
  rc=$?
  if [ "$rc" = 0 ]; then echo OK; else echo "$err" | tr '\n' ' '; fi
}

# expect_pt DESCRIPTION EXPECTED SERVICE USER INPUT OPERATION... — EXPECTED is "OK" or a
# substring of pamtester's error output (pam_strerror's text of the code).
expect_pt() {
  local what=$1 expected=$2
  shift 2
  local out
  out=$(pt "$@")
  if [ "$expected" = OK ] && [ "$out" = OK ] || { [ "$expected" != OK ] && [[ "$out" == *"pamtester: $expected"* ]]; }; then
    ns_log "ok: $what"
  else
    ns_log "NOT OK: $what: expected '$expected', got '$out'"
    NS_FAILURES=$((NS_FAILURES + 1))
  fi
}

# pam_strerror texts (Linux-PAM 1.5) for the codes the issue pins.
PT_OK="OK"
PT_AUTH_ERR="Authentication failure"
PT_USER_UNKNOWN="User not known to the underlying authentication module"
PT_AUTHINFO_UNAVAIL="Authentication service cannot retrieve authentication info"
PT_PERM_DENIED="Permission denied"
PT_SERVICE_ERR="Error in service module"
PT_CONV_ERR="Conversation error"
