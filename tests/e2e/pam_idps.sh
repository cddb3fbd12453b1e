#!/usr/bin/env bash
# Every IdP shape has a working login path through PAM (issue 7), in a private namespace with
# pamtester against the test IdP's profiles:
#  - Keycloak profile, dave (second factor required): password + the right OTP (two prompts)
#    succeeds; a wrong or missing one is refused; second_factor = refuse never prompts;
#    second_factor = device switches to the device grant (approved through the admin API).
#  - Logto profile (no password grant): alice's password checked through the Management API
#    (password_check = logto_management_api), wrong password → PAM_AUTH_ERR, suspended carol
#    refused, Management API down → PAM_AUTHINFO_UNAVAIL, her Logto roles → local groups
#    (group_map admin:sudo) seen through NSS; a Logto-shaped ES384 JWT access token (aud = the
#    resource) logs her in as token_login; and grant = auto on Logto picks the device grant.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lib/ns.sh
. "$HERE/../lib/ns.sh"
ns_reexec "$@"
# shellcheck source=pam_common.sh
. "$HERE/pam_common.sh"

DRIVE=$HERE/device_drive.py
admin() { curl -fsS --max-time 5 -H 'content-type: application/json' "$@"; }
admin -d '{"interval":1}' "$IDP_ADMIN/admin/device/interval" >/dev/null || ns_die "device interval"
admin -X DELETE "$IDP_ADMIN/admin/fault" >/dev/null
field() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }

only_oidc() {  # only_oidc SERVICE CONFIG [module args]
  ns_write "/etc/pam.d/$1" <<EOF
auth     required $PAM_MODULE config=$2 ${*:3}
account  required $PAM_MODULE config=$2 ${*:3}
EOF
}

# --- Keycloak: realm roles, OTP as the `totp` form field ------------------------------------
KC_CLAIMS="
[claims]
groups = realm_access.roles"
pam_write_config "$IDP_KEYCLOAK_ISSUER" /etc/oidc-sysauth/kc.conf "$KC_CLAIMS
[idp]
second_factor = prompt
otp_field = totp"
pam_write_config "$IDP_KEYCLOAK_ISSUER" /etc/oidc-sysauth/kc-refuse.conf "$KC_CLAIMS
[idp]
second_factor = refuse"
pam_write_config "$IDP_KEYCLOAK_ISSUER" /etc/oidc-sysauth/kc-device.conf "$KC_CLAIMS
[idp]
second_factor = device
device_timeout = 30"
only_oidc kc /etc/oidc-sysauth/kc.conf
only_oidc kc-refuse /etc/oidc-sysauth/kc-refuse.conf
only_oidc kc-device /etc/oidc-sysauth/kc-device.conf

expect_pt "keycloak: bob, password grant" "$PT_OK" kc bob 'bob-pw\n' authenticate acct_mgmt
expect_pt "keycloak: dave, password + the right one-time code" "$PT_OK" kc dave 'dave-pw\n246810\n' authenticate
out=$(printf 'dave-pw\n246810\n' | timeout 30 pamtester kc dave authenticate 2>&1)
ns_check "keycloak: dave was asked for the code" grep -q "One-time code:" <<<"$out"
expect_pt "keycloak: dave, wrong code → PAM_AUTH_ERR" "$PT_AUTH_ERR" kc dave 'dave-pw\n135791\n' authenticate
expect_pt "keycloak: dave, no code → PAM_AUTH_ERR" "$PT_AUTH_ERR" kc dave 'dave-pw\n\n' authenticate
expect_pt "keycloak: dave, second_factor = refuse → PAM_AUTH_ERR" "$PT_AUTH_ERR" kc-refuse dave 'dave-pw\n' authenticate
out=$(printf 'dave-pw\n246810\n' | timeout 30 pamtester kc-refuse dave authenticate 2>&1)
ns_check "keycloak: with refuse, no code is asked for" bash -c "! grep -q 'One-time code' <<<\"\$1\"" _ "$out"
ns_check "keycloak: the refusal is logged as 'second factor required', never success" \
  grep -q "auth for 'dave' failed: second factor required" "$NS_SYSLOG"

R=$NS_TMP/kc-device.json
timeout 120 python3 "$DRIVE" --password dave-pw "$IDP_ADMIN" approve dave "$R" -- pamtester kc-device dave authenticate
ns_check "keycloak: dave, second_factor = device → the device grant, approved → success" \
  test "$(field "$R" status)" = 0
ns_check "keycloak: the code came from the keycloak profile" \
  test "$(curl -fsS "$IDP_ADMIN/admin/device/last" | jq -r .profile)" = keycloak
ns_check "keycloak: logged as a device login" grep -q "authenticated 'dave' through the IdP (device)" "$NS_SYSLOG"
R=$NS_TMP/kc-device-deny.json
timeout 120 python3 "$DRIVE" --password dave-pw "$IDP_ADMIN" deny dave "$R" -- pamtester kc-device dave authenticate
ns_check "keycloak: dave, second_factor = device, denied → PAM_AUTH_ERR" \
  grep -q "pamtester: $PT_AUTH_ERR" <<<"$(field "$R" after)"

# --- Logto: Management API password check -------------------------------------------------
rm -rf /var/lib/oidc-sysauth  # the Keycloak accounts above used the same names (other issuer)
install -m 600 -o root -g root "$IDP_LOGTO_M2M_SECRET_FILE" /etc/oidc-sysauth/logto-m2m-secret
LOGTO="
[idp]
grant = auto
password_check = logto_management_api
management_endpoint = $IDP_LOGTO_ENDPOINT
management_client_id = $IDP_LOGTO_M2M_CLIENT_ID
management_client_secret_file = /etc/oidc-sysauth/logto-m2m-secret
algorithms = ES384
scopes = openid profile email roles

[claims]
username = username
groups = roles"
# The default config (NSS reads it): alice's account must resolve with her mapped groups.
pam_write_config "$IDP_LOGTO_ISSUER" /etc/oidc-sysauth/oidc-sysauth.conf "$LOGTO"
only_oidc logto /etc/oidc-sysauth/oidc-sysauth.conf
only_oidc logto-token /etc/oidc-sysauth/oidc-sysauth.conf token_login

before=$(curl -fsS "$IDP_STATS_URL" | jq '."logto management" // 0')
t0=$(date +%s%N)
expect_pt "logto: alice's password through the Management API" "$PT_OK" logto alice 'alice-pw\n' authenticate acct_mgmt
t1=$(date +%s%N)
ns_log "logto: Management API login took $(((t1 - t0) / 1000000)) ms"
ns_check "logto: the Management API was used" test "$(curl -fsS "$IDP_STATS_URL" | jq '."logto management" // 0')" -gt "$before"
ns_check "logto: alice resolves through NSS ($(getent passwd alice))" test -n "$(getent passwd alice)"
ns_check "logto: her Logto role admin → local group sudo ($(id -nG alice 2>&1))" bash -c "id -nG alice | grep -qw sudo"
expect_pt "logto: wrong password → PAM_AUTH_ERR" "$PT_AUTH_ERR" logto alice 'wrong-pw\n' authenticate
expect_pt "logto: suspended carol → PAM_AUTH_ERR" "$PT_AUTH_ERR" logto carol 'carol-pw\n' authenticate
expect_pt "logto: unknown user → PAM_AUTH_ERR" "$PT_AUTH_ERR" logto nosuchuser 'x-pw\n' authenticate
admin -d '{"path":"management","kind":"status","status":503}' "$IDP_ADMIN/admin/fault" >/dev/null
expect_pt "logto: Management API down (503) → PAM_AUTHINFO_UNAVAIL" "$PT_AUTHINFO_UNAVAIL" logto alice 'alice-pw\n' authenticate
admin -X DELETE "$IDP_ADMIN/admin/fault" >/dev/null
admin -d '{"path":"management","kind":"drop"}' "$IDP_ADMIN/admin/fault" >/dev/null
expect_pt "logto: Management API drops the connection → PAM_AUTHINFO_UNAVAIL" "$PT_AUTHINFO_UNAVAIL" logto alice 'alice-pw\n' authenticate
admin -X DELETE "$IDP_ADMIN/admin/fault" >/dev/null
expect_pt "logto: alice again once it is back" "$PT_OK" logto alice 'alice-pw\n' authenticate

# A Logto JWT access token (ES384, aud = the API resource, Logto's claim shape) as the password.
pam_write_config "$IDP_LOGTO_ISSUER" /etc/oidc-sysauth/logto-token.conf "$LOGTO
[idp]
audience = urn:oidc-sysauth:es384"
only_oidc logto-token /etc/oidc-sysauth/logto-token.conf token_login
TOKEN=$(admin -d '{"profile":"logto","user":"alice","alg":"ES384","aud":"urn:oidc-sysauth:es384","ttl":300,"claims":{"scope":"openid roles","client_id":"linux-hosts"}}' \
  "$IDP_ADMIN/admin/token" | jq -r .token)
ns_check "logto: got an ES384 token (${#TOKEN} bytes)" test "$(cut -d. -f1 <<<"$TOKEN" | tr '_-' '/+' | base64 -d 2>/dev/null | jq -r .alg)" = ES384
expect_pt "logto: alice's ES384 access token logs her in (token_login)" "$PT_OK" logto-token alice "$TOKEN\\n" authenticate acct_mgmt
expect_pt "logto: her token does not log bob in" "$PT_AUTH_ERR" logto-token bob "$TOKEN\\n" authenticate
WRONG_AUD=$(admin -d '{"profile":"logto","user":"alice","alg":"ES384","aud":"https://other.example/api","ttl":300}' \
  "$IDP_ADMIN/admin/token" | jq -r .token)
expect_pt "logto: a token for another resource is refused" "$PT_AUTH_ERR" logto-token alice "$WRONG_AUD\\n" authenticate

# grant = auto without the Management API: Logto lists no password grant → the device grant.
pam_write_config "$IDP_LOGTO_ISSUER" /etc/oidc-sysauth/logto-device.conf "
[idp]
grant = auto
algorithms = ES384
scopes = openid profile roles

[claims]
username = username
groups = roles"
only_oidc logto-device /etc/oidc-sysauth/logto-device.conf
R=$NS_TMP/logto-device.json
timeout 120 python3 "$DRIVE" "$IDP_ADMIN" approve bob "$R" -- pamtester logto-device bob authenticate
ns_check "logto: grant = auto → device grant, no password prompt, approved → success" test "$(field "$R" status)" = 0
ns_check "logto: the code came from the logto profile" \
  test "$(curl -fsS "$IDP_ADMIN/admin/device/last" | jq -r .profile)" = logto

if [ "$NS_FAILURES" != 0 ]; then
  ns_log "syslog:"; tail -n 40 "$NS_SYSLOG" >&2
  for f in "$NS_TMP"/*.json; do ns_log "$f:"; cat "$f" >&2; done
fi
ns_finish
