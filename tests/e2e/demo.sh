#!/usr/bin/env bash
# The demo (README's first command runs it through scripts/demo; CI runs it as an e2e test):
# the whole product working against a real OpenID Connect provider, narrated step by step,
# inside a private mount + PID namespace so this machine's own authentication is untouched.
# Exits non-zero if any step does not behave as narrated.
set -uo pipefail
. "$(dirname "$0")/../lib/ns.sh"
ns_reexec "$@"
# Everything below runs only inside the private namespace (ns_reexec returns there only).
ns_inside || exit 99

BUILD=${OIDC_BUILD_DIR:?set OIDC_BUILD_DIR to the build tree}
PAM_MODULE=$BUILD/pam/pam_oidc.so
NSS_MODULE=$BUILD/nss/libnss_oidc.so.2
SASL_PLUGIN=$BUILD/sasl/liboidc.so
CLI=$BUILD/cli/oidc-sysauth
for f in "$PAM_MODULE" "$NSS_MODULE" "$SASL_PLUGIN" "$CLI"; do [ -f "$f" ] || ns_die "$f is not built"; done

if [ -t 1 ]; then B=$'\033[1m' G=$'\033[32m' R=$'\033[31m' D=$'\033[2m' N=$'\033[0m'; else B='' G='' R='' D='' N=''; fi
STEP=0
FAILED=0
step() { STEP=$((STEP + 1)); printf '\n%s%d. %s%s\n' "$B" "$STEP" "$*" "$N"; }
say() { printf '   %s\n' "$*"; }
# show CMD...: print the command, run it, indent its output; keeps its exit status.
show() {
  printf '%s   $ %s%s\n' "$D" "$*" "$N"
  "$@" 2>&1 | sed 's/^/     /'
  return "${PIPESTATUS[0]}"
}
# check DESCRIPTION CMD...: the narrated behaviour, verified.
check() {
  local what=$1
  shift
  if "$@"; then
    printf '   %s✓ %s%s\n' "$G" "$what" "$N"
  else
    printf '   %s✗ %s%s\n' "$R" "$what" "$N"
    FAILED=$((FAILED + 1))
    return 1
  fi
}

step "A real OpenID Connect provider (npm oidc-provider) on 127.0.0.1"
ns_private_etc
ns_syslog
# shellcheck disable=SC1090
. "$(ns_idp_env)"
say "issuer $IDP_ISSUER — users alice (IdP group admin) and bob (staff)"

step "Configure oidc-sysauth: one file, /etc/oidc-sysauth/oidc-sysauth.conf"
mkdir -p /etc/oidc-sysauth
install -m 600 "$IDP_CLIENT_SECRET_FILE" /etc/oidc-sysauth/client-secret
install -m 644 "$IDP_CA" /etc/oidc-sysauth/ca.pem
ns_write /etc/oidc-sysauth/oidc-sysauth.conf <<CONF
[idp]
issuer = $IDP_ISSUER
client_id = $IDP_CLIENT_ID
client_secret_file = /etc/oidc-sysauth/client-secret
ca_file = /etc/oidc-sysauth/ca.pem
[accounts]
group_map = admin:sudo
[service:sudo]
allowed_groups = admin
CONF
sed 's/^/     /' /etc/oidc-sysauth/oidc-sysauth.conf
ns_nss_module "$NSS_MODULE"
ns_nsswitch "oidc"
# As in packaging/pam.d: our module decides auth and account; session only logs (optional),
# pam_permit keeps the session stack from being empty for users we do not manage (root).
for svc in oidc-demo sudo; do
  printf 'auth     required %s\naccount  required %s\nsession  optional %s\nsession  required pam_permit.so\n' \
    "$PAM_MODULE" "$PAM_MODULE" "$PAM_MODULE" | ns_write "/etc/pam.d/$svc"
done
say "PAM services oidc-demo and sudo stack pam_oidc.so; nsswitch: passwd/group/shadow: files oidc"

step "alice, who has never logged in here, logs in through the real PAM module (pamtester)"
check "getent passwd alice finds nobody yet" bash -c '! getent passwd alice >/dev/null'
check "pamtester oidc-demo alice: authenticated, account allowed" \
  show bash -c "echo alice-pw | pamtester oidc-demo alice authenticate acct_mgmt"

step "Her shadow account appeared, keyed by the IdP's (issuer, subject)"
check "getent passwd alice" show getent passwd alice
show id alice
check "id alice shows the local sudo group, mapped from her IdP group admin" \
  bash -c 'id -nG alice | tr " " "\n" | grep -qx sudo'
show getent shadow alice
check "getent shadow alice: a locked password — the IdP is the only way in" \
  bash -c 'getent shadow alice | cut -d: -f2 | grep -qx "[*]"'

step "sudo policy: [service:sudo] allowed_groups = admin"
printf '%%sudo ALL=(ALL:ALL) ALL\n' | ns_write /etc/sudoers 440
say "\$ su alice -c 'echo alice-pw | sudo -S id -u'"
out=$(su alice -s /bin/sh -c 'echo alice-pw | sudo -S -p "" id -u' 2>&1)
say "  $out"
check "alice (IdP admin → local sudo) runs sudo as root" test "$(echo "$out" | tail -n1)" = 0
check "bob logs in to oidc-demo" bash -c "echo bob-pw | pamtester oidc-demo bob authenticate acct_mgmt >/dev/null 2>&1"
out=$(echo bob-pw | pamtester sudo bob authenticate acct_mgmt 2>&1)
say "\$ echo bob-pw | pamtester sudo bob authenticate acct_mgmt"
echo "$out" | sed 's/^/     /'
check "bob (staff) is refused by the sudo policy: Permission denied" grep -q 'Permission denied' <<<"$out"

step "Mail: a real Postfix accepts SMTP AUTH OAUTHBEARER through liboidc.so"
W=$NS_TMP/demo
mkdir -p "$W/plugins" "$W/spool" "$W/data"
cp "$SASL_PLUGIN" "$W/plugins/" || ns_die "copy the SASL plugin"
cp -L /usr/lib/x86_64-linux-gnu/sasl2/lib*.so "$W/plugins/"
mount --bind "$W/plugins" /usr/lib/x86_64-linux-gnu/sasl2 || ns_die "bind the SASL plugin directory"
chown postfix "$W/data"
PORT=$(ns_free_port)
printf 'mech_list: OAUTHBEARER XOAUTH2\noidc_config: /etc/oidc-sysauth/oidc-sysauth.conf\n' |
  ns_write /etc/postfix/sasl/smtpd.conf
printf '%s\n' "compatibility_level = 3.6" "queue_directory = $W/spool" "data_directory = $W/data" \
  "myhostname = mail.demo" "mydestination =" "alias_maps =" "alias_database =" "local_recipient_maps =" \
  "inet_interfaces = 127.0.0.1" "inet_protocols = ipv4" "maillog_file = $W/maillog" \
  "maillog_file_prefixes = $W" \
  "smtpd_sasl_auth_enable = yes" "smtpd_sasl_type = cyrus" \
  "smtpd_relay_restrictions = permit_sasl_authenticated, reject" >"$W/main.cf"
printf '%s\n' "127.0.0.1:$PORT inet n - y - - smtpd" "postlog unix-dgram n - n - 1 postlogd" \
  "anvil unix - - y - 1 anvil" "proxymap unix - - n - - proxymap" >"$W/master.cf"
postfix -c "$W" start >"$W/start.log" 2>&1 || {
  cat "$W/start.log" "$NS_SYSLOG" >&2
  ns_die "postfix did not start"
}
ns_wait_port "$PORT"
mint() {
  curl -fsS -H 'content-type: application/json' \
    -d "{\"user\":\"$1\",\"alg\":\"$2\",\"aud\":\"$IDP_CLIENT_ID\"}" "$IDP_ADMIN/admin/token" | jq -r .token
}
TOKEN=$(mint alice RS256)
sig=${TOKEN##*.}
first=A
[ "${sig:0:1}" = A ] && first=B
FORGED=${TOKEN%.*}.$first${sig:1}
smtp() { curl -sv --max-time 20 --url "smtp://127.0.0.1:$PORT/" --user alice: --oauth2-bearer "$1" 2>&1 | tr -d '\r' | grep -E '^< (235|334|535|454)'; }
say "\$ curl --oauth2-bearer <alice's token> --user alice: smtp://127.0.0.1:$PORT/"
out=$(smtp "$TOKEN")
echo "$out" | sed 's/^/     /'
check "alice's token → 235 Authentication successful" grep -q '^< 235' <<<"$out" ||
  { tail -n 30 "$W/maillog" "$NS_SYSLOG" | sed 's/^/     | /' >&2; }
say "the same token with one signature character changed:"
out=$(smtp "$FORGED")
echo "$out" | sed 's/^/     /'
challenge=$(sed -n 's/^< 334 \(..*\)$/\1/p' <<<"$out" | head -n1)
[ -n "$challenge" ] && say "the challenge decodes to: $(base64 -d <<<"$challenge" 2>/dev/null)"
check "forged token → RFC 7628 error challenge (334), then 535" bash -c 'grep -q "^< 334" <<<"$1" && grep -q "^< 535" <<<"$1"' _ "$out"

step "oidc-sysauth token verify on both tokens"
out=$("$CLI" token verify "$TOKEN" 2>&1)
echo "$out" | head -n 3 | sed 's/^/     /'
check "alice's token: valid, maps to local account alice" grep -q 'local account alice' <<<"$out"
out=$("$CLI" token verify "$FORGED" 2>&1)
rc=$?
say "  $out"
check "the forged token: rejected for its signature (exit 1)" bash -c '[ "$1" = 1 ] && grep -q bad_signature <<<"$2"' _ "$rc" "$out"

step "Clean up: every process started here is stopped"
postfix -c "$W" stop >/dev/null 2>&1
say "Postfix stopped; the IdP and everything else end with this private namespace"

printf '\n'
if [ "$FAILED" -ne 0 ]; then
  printf '%s%d check(s) did not behave as narrated%s\n' "$R" "$FAILED" "$N"
  exit 1
fi
printf '%sThe demo behaved exactly as narrated.%s\n' "$G$B" "$N"
exit 0
