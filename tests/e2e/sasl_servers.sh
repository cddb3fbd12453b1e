#!/usr/bin/env bash
# liboidc.so in real servers, inside a private mount + PID namespace (NOTES-E2E.md,
# NOTES-SASL.md): Postfix smtpd (chrooted, its own config directory) with curl and a raw
# XOAUTH2 client, slapd with ldapwhoami through our client plugin, saslauthd -a pam with
# pam_oidc.so for AUTH PLAIN, and saslpluginviewer. The host's /etc and SASL plugin
# directory are only ever seen through overlays and bind mounts made inside.
set -uo pipefail
. "$(dirname "$0")/../lib/ns.sh"
ns_reexec "$@"

BUILD=${OIDC_BUILD_DIR:?set OIDC_BUILD_DIR to the build tree}
HERE=$(cd "$(dirname "$0")" && pwd)
PLUGIN=$BUILD/sasl/liboidc.so
PAM_MODULE=$BUILD/pam/pam_oidc.so
SASL_LIBDIR=/usr/lib/x86_64-linux-gnu/sasl2
[ -f "$PLUGIN" ] || ns_die "$PLUGIN not built (cmake --build ... --target oidc_sasl)"
[ -f "$PAM_MODULE" ] || ns_die "$PAM_MODULE not built (cmake --build ... --target pam_oidc)"

ns_private_etc
if declare -F ns_syslog >/dev/null; then ns_syslog; fi
W=$NS_TMP/sasl
mkdir -p "$W"
chmod 755 "$W"

# ---- the IdPs: the shared one, and a private one that is stopped to test "unreachable" ----
# shellcheck disable=SC1090
. "$(ns_idp_env)"
MAIN_ISSUER=$IDP_ISSUER
MAIN_ADMIN=$IDP_ADMIN
"$NS_LIB/idpctl" start "$W/idp-down" >/dev/null || ns_die "second IdP did not start"
DOWN_ISSUER=$(sed -n 's/^IDP_ISSUER=//p' "$W/idp-down/env")
# Stopped before any server can have fetched (and cached) its discovery document or keys.
"$NS_LIB/idpctl" stop "$W/idp-down" >/dev/null || ns_die "second IdP did not stop"

mint() {  # mint USER [ALG] [extra JSON members] → a JWT from the shared IdP
  local user=$1 alg=${2:-RS256} extra=${3:-}
  curl -fsS --max-time 10 -H 'content-type: application/json' \
    -d "{\"profile\":\"default\",\"user\":\"$user\",\"alg\":\"$alg\"$extra}" "$MAIN_ADMIN/admin/token" |
    jq -r .token
}
forge() {  # one signature character changed: still base64url, no longer a valid signature
  local t=$1 head=${1%.*} sig=${1##*.}
  local c=${sig:5:1} r=A
  [ "$c" = A ] && r=B
  echo "$head.${sig:0:5}$r${sig:6}"
}

# ---- configuration: one oidc-sysauth.conf for every service, one for the stopped IdP ----
mkdir -p /etc/oidc-sysauth
install -m 600 "$IDP_CLIENT_SECRET_FILE" /etc/oidc-sysauth/client-secret
install -m 644 "$IDP_CA" /etc/oidc-sysauth/ca.pem
write_config() {  # write_config PATH ISSUER CACHE_DIR
  ns_write "$1" 644 <<EOF
[idp]
issuer = $2
client_id = $IDP_CLIENT_ID
client_secret_file = /etc/oidc-sysauth/client-secret
ca_file = /etc/oidc-sysauth/ca.pem
timeout = 3

[accounts]
state_dir = $W/state
cache_dir = $3

[service:smtp]
allowed_groups = admin
EOF
}
write_config /etc/oidc-sysauth/oidc-sysauth.conf "$MAIN_ISSUER" "$W/cache"
write_config /etc/oidc-sysauth/down.conf "$DOWN_ISSUER" "$W/cache-down"

# The plugin directory libsasl2 reads, replaced inside the namespace by one holding our
# plugin and copies of the stock ones (PLAIN and the sasldb auxprop serve saslauthd) — symlinks would point into the
# directory being covered.
mkdir -p "$W/plugins"
cp "$PLUGIN" "$W/plugins/liboidc.so"
cp -L "$SASL_LIBDIR"/lib*.so "$W/plugins/"
# saslpluginviewer (app name "pluginviewer") finds its .conf in the plugin directory.
echo "oidc_config: /etc/oidc-sysauth/oidc-sysauth.conf" >"$W/plugins/pluginviewer.conf"
mount --bind "$W/plugins" "$SASL_LIBDIR" || ns_die "bind mount over $SASL_LIBDIR"

# ---- saslpluginviewer ----
viewer=$(saslpluginviewer -s -c 2>&1)
ns_check "saslpluginviewer lists server OAUTHBEARER and XOAUTH2" \
  bash -c 'grep -A1 "server side" <<<"$1" | grep -q "OAUTHBEARER.*XOAUTH2\|XOAUTH2.*OAUTHBEARER"' _ "$viewer"
ns_check "saslpluginviewer lists client OAUTHBEARER and XOAUTH2" \
  bash -c 'grep -A1 "client side" <<<"$1" | grep -q "OAUTHBEARER.*XOAUTH2\|XOAUTH2.*OAUTHBEARER"' _ "$viewer"

# ---- saslauthd -a pam, PAM service "smtp" stacking pam_oidc.so ----
ns_write /etc/pam.d/smtp <<EOF
auth     required $PAM_MODULE config=/etc/oidc-sysauth/oidc-sysauth.conf debug
account  required $PAM_MODULE config=/etc/oidc-sysauth/oidc-sysauth.conf
EOF
PF=$W/postfix
SPOOL=$PF/spool
mkdir -p "$SPOOL/saslauthd" "$PF/data"
chown postfix "$PF/data"
# Own session: on exit saslauthd signals its whole process group (it logs "master pid is: 0").
setsid saslauthd -a pam -m "$SPOOL/saslauthd" -n 1 -d >"$W/saslauthd.log" 2>&1 &
SASLAUTHD_PID=$!

# ---- Postfix: own config directory, chrooted smtpd on two loopback ports ----
SMTP_PORT=$(ns_free_port)
DOWN_PORT=$(ns_free_port)
while [ "$DOWN_PORT" = "$SMTP_PORT" ]; do DOWN_PORT=$(ns_free_port); done
cat >"$PF/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $SPOOL
data_directory = $PF/data
mail_owner = postfix
setgid_group = postdrop
myhostname = mail.test
mydomain = test
mydestination =
alias_maps =
alias_database =
local_recipient_maps =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
maillog_file = $PF/maillog
maillog_file_prefixes = $PF
smtpd_banner = \$myhostname ESMTP
smtpd_tls_security_level = none
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = cyrus
smtpd_sasl_path = smtpd
smtpd_sasl_security_options = noanonymous
smtpd_relay_restrictions = permit_sasl_authenticated, reject
EOF
# chroot = y: SASL is initialised before the chroot, so the plugin must have loaded its
# config and the IdP's keys by then — this is what the test proves.
cat >"$PF/master.cf" <<EOF
127.0.0.1:$SMTP_PORT inet n - y - - smtpd
127.0.0.1:$DOWN_PORT inet n - y - - smtpd -o smtpd_sasl_path=smtpd-down
postlog   unix-dgram n  -       n       -       1       postlogd
anvil     unix  -       -       y       -       1       anvil
proxymap  unix  -       -       n       -       -       proxymap
EOF
# Debian's Postfix reads <config_directory>/sasl/<smtpd_sasl_path>.conf (then /usr/lib/sasl),
# i.e. /etc/postfix/sasl/smtpd.conf on a stock host and $PF/sasl/ here. The saslauthd socket
# is reached from inside the chroot ($SPOOL).
for app in smtpd smtpd-down; do
  conf=/etc/oidc-sysauth/oidc-sysauth.conf
  [ "$app" = smtpd-down ] && conf=/etc/oidc-sysauth/down.conf
  mkdir -p "$PF/sasl"
  cat >"$PF/sasl/$app.conf" <<EOF
pwcheck_method: saslauthd
saslauthd_path: /saslauthd/mux
mech_list: OAUTHBEARER XOAUTH2 PLAIN
oidc_config: $conf
EOF
done
postfix -c "$PF" check >"$W/postfix-check.log" 2>&1 || { cat "$W/postfix-check.log" >&2; ns_die "postfix check"; }
postfix -c "$PF" start >"$W/postfix-start.log" 2>&1 || { cat "$W/postfix-start.log" >&2; ns_die "postfix start"; }
# Only the first port is probed: a probe of the second would start its smtpd early.
ns_wait_port "$SMTP_PORT"
MASTER_PID=$(tr -d ' ' <"$SPOOL/pid/master.pid")

smtp_auth() {  # smtp_auth PORT MECH USER SECRET [--no-ack] → transcript summary
  AUTH_SECRET=$4 python3 "$HERE/smtp_auth.py" "$1" "$2" "$3" "${@:5}" 2>&1
}
curl_smtp() {  # curl_smtp PORT TOKEN → curl's verbose transcript (exit status ignored)
  curl -sv --max-time 20 --url "smtp://127.0.0.1:$1/" --user alice: --oauth2-bearer "$2" 2>&1 || true
}
has() { grep -qE -- "$2" <<<"$1" || { echo "--- expected /$2/ in:" >&2; echo "$1" >&2; return 1; }; }

RS=$(mint alice RS256)
ES=$(mint alice ES384)
now=$(date +%s)
EXPIRED=$(mint alice RS256 ",\"claims\":{\"iat\":$((now - 7200)),\"exp\":$((now - 3600))}")
WRONG_AUD=$(mint alice RS256 ',"aud":"some-other-client"')
FORGED=$(forge "$(mint alice RS256)")
BOB=$(mint bob RS256)

out=$(curl_smtp "$SMTP_PORT" "$RS")
ns_check "EHLO offers OAUTHBEARER and XOAUTH2" has "$out" "250-AUTH .*OAUTHBEARER"
ns_check "curl --oauth2-bearer RS256 → 235" has "$out" "< 235 "
ns_check "curl --oauth2-bearer ES384 → 235" has "$(curl_smtp "$SMTP_PORT" "$ES")" "< 235 "
for t in EXPIRED WRONG_AUD FORGED; do
  out=$(curl_smtp "$SMTP_PORT" "${!t}")
  ns_check "curl $t: RFC 7628 challenge" has "$out" "< 334 eyJzdGF0dXMiOiJpbnZhbGlkX3Rva2VuI"
  ns_check "curl $t: then 535" has "$out" "< 535 "
done
out=$(curl_smtp "$SMTP_PORT" "$BOB")
ns_check "bob (staff) outside [service:smtp] allowed_groups → 535" has "$out" "< 535 "

out=$(smtp_auth "$SMTP_PORT" XOAUTH2 alice "$RS")
ns_check "raw XOAUTH2 valid → 235" has "$out" "^final 235"
out=$(smtp_auth "$SMTP_PORT" XOAUTH2 alice "$FORGED")
ns_check "raw XOAUTH2 forged: XOAUTH2 challenge" has "$out" '^challenge \{"status":"401","schemes":"bearer"'
ns_check "raw XOAUTH2 forged: then 535" has "$out" "^final 535"
out=$(smtp_auth "$SMTP_PORT" OAUTHBEARER alice "$EXPIRED")
ns_check "raw OAUTHBEARER expired: challenge names the discovery URL" \
  has "$out" "\"openid-configuration\":\"$MAIN_ISSUER/.well-known/openid-configuration\""
ns_check "raw OAUTHBEARER expired: then 535" has "$out" "^final 535"
out=$(smtp_auth "$SMTP_PORT" OAUTHBEARER bob "$RS")
ns_check "alice's token with authzid bob (no allow_proxy) → 535" has "$out" "^final 535"

# Passwords the conventional way: saslauthd → PAM service smtp → pam_oidc.so → IdP.
out=$(smtp_auth "$SMTP_PORT" PLAIN alice alice-pw)
ns_check "AUTH PLAIN alice with her IdP password → 235 (saslauthd + pam_oidc)" has "$out" "^final 235"
out=$(smtp_auth "$SMTP_PORT" PLAIN alice wrong-pw)
ns_check "AUTH PLAIN alice with a wrong password → 535" has "$out" "^final 535"

# The second smtpd's IdP was stopped before it started: nothing cached → 454.
out=$(curl_smtp "$DOWN_PORT" "$RS")
ns_check "IdP unreachable, no cached JWKS → 454" has "$out" "< 454 "
out=$(smtp_auth "$DOWN_PORT" XOAUTH2 alice "$RS")
ns_check "IdP unreachable, XOAUTH2 → 454" has "$out" "^final 454"

ns_check "no token in the mail log" bash -c '! grep -qF -- "${1##*.}" "$2"' _ "$RS" "$PF/maillog"

# ---- slapd: own slapd.conf, loopback port; SASL config in /etc/ldap/sasl2/slapd.conf ----
LDAP_PORT=$(ns_free_port)
mkdir -p "$W/ldap/db"
cat >"$W/ldap/slapd.conf" <<EOF
include /etc/ldap/schema/core.schema
pidfile $W/ldap/slapd.pid
argsfile $W/ldap/slapd.args
modulepath /usr/lib/ldap
moduleload back_mdb
sasl-secprops none
database mdb
suffix "dc=test"
rootdn "cn=admin,dc=test"
directory $W/ldap/db
EOF
ns_write /etc/ldap/sasl2/slapd.conf <<EOF
mech_list: OAUTHBEARER XOAUTH2
oidc_config: /etc/oidc-sysauth/oidc-sysauth.conf
EOF
slapd -f "$W/ldap/slapd.conf" -h "ldap://127.0.0.1:$LDAP_PORT/" -d 256 >"$W/slapd.log" 2>&1 &
SLAPD_PID=$!
ns_wait_port "$LDAP_PORT"
whoami_ldap() {  # whoami_ldap MECH USER TOKEN
  ldapwhoami -Y "$1" -U "$2" -w "$3" -O none -H "ldap://127.0.0.1:$LDAP_PORT" 2>&1
}
out=$(whoami_ldap OAUTHBEARER alice "$RS")
ns_check "ldapwhoami -Y OAUTHBEARER → dn:uid=alice,cn=oauthbearer,cn=auth" has "$out" "^dn:uid=alice,cn=oauthbearer,cn=auth$"
out=$(whoami_ldap XOAUTH2 alice "$ES")
ns_check "ldapwhoami -Y XOAUTH2 (ES384) → dn:uid=alice,cn=xoauth2,cn=auth" has "$out" "^dn:uid=alice,cn=xoauth2,cn=auth$"
out=$(whoami_ldap OAUTHBEARER bob "$BOB")
ns_check "ldapwhoami bob (no ldap restriction) → dn:uid=bob" has "$out" "^dn:uid=bob,cn=oauthbearer,cn=auth$"
out=$(whoami_ldap OAUTHBEARER alice "$FORGED")
ns_check "ldapwhoami with a forged token → Invalid credentials (49)" has "$out" "\(49\)"
out=$(whoami_ldap OAUTHBEARER alice "$EXPIRED")
ns_check "ldapwhoami with an expired token → Invalid credentials (49)" has "$out" "\(49\)"

# ---- stop everything we started, by PID ----
kill "$SLAPD_PID" 2>/dev/null
kill "$MASTER_PID" 2>/dev/null
kill "$SASLAUTHD_PID" 2>/dev/null
for pid in "$SLAPD_PID" "$MASTER_PID" "$SASLAUTHD_PID"; do
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
done
if [ "$NS_FAILURES" -ne 0 ]; then
  for f in "$PF/maillog" "$W/slapd.log" "$W/saslauthd.log"; do
    echo "=== $f (tail)" >&2
    tail -n 40 "$f" >&2
  done
  if [ -n "${NS_SYSLOG:-}" ]; then
    echo "=== syslog (PAM, plugin init)" >&2
    grep -av 'slapd\[' "$NS_SYSLOG" | grep -aiv 'saslauthd.*: *\(num_procs\|mech_option\|run_path\|auth_mech\|using\|acquired\|released\|master\|listening\|socket\|pid file\|accept\)' | tail -n 40 >&2
  fi
fi
ns_finish
