#!/usr/bin/env bash
# The oidc-sysauth command against the real test IdP, with a scratch config, store and
# cache: exit codes, --json shapes, and doctor catching each misconfiguration it claims to.
set -uo pipefail
: "${OIDC_IDP_ENV:?}" "${OIDC_BUILD_DIR:?}"
# shellcheck disable=SC1090
. "$OIDC_IDP_ENV"
CLI="$OIDC_BUILD_DIR/cli/oidc-sysauth"
[ -x "$CLI" ] || { echo "FAIL: $CLI not built"; exit 1; }
work=$(mktemp -d /tmp/oidc-cli-test.XXXXXX)
trap 'rm -rf "$work"' EXIT
passed=0 failed=0
check() {  # check NAME EXPECTED_RC ACTUAL_RC [extra condition result 0/1]
  local name=$1 want=$2 got=$3 cond=${4:-0}
  if [ "$got" = "$want" ] && [ "$cond" = 0 ]; then passed=$((passed + 1)); else
    failed=$((failed + 1)); echo "FAIL: $name (exit $got, wanted $want, condition $cond)"; cat "$work/out" "$work/err" 2>/dev/null | head -20
  fi
}
admin_token() { curl -sf -X POST "$IDP_ADMIN/admin/token" -H 'content-type: application/json' -d "$1" | jq -r .token; }

mkdir -p "$work/state" "$work/cache"
write_conf() {  # write_conf FILE ISSUER [extra lines]
  cat >"$1" <<CONF
[idp]
issuer = $2
client_id = $IDP_CLIENT_ID
client_secret_file = $IDP_CLIENT_SECRET_FILE
ca_file = $IDP_CA
timeout = 3
[accounts]
state_dir = $work/state
cache_dir = $work/cache
group_map = admin:sudo
[access]
require = email_verified=true
[service:sudo]
allowed_groups = admin
${3:-}
CONF
}
conf="$work/oidc.conf"
write_conf "$conf" "$IDP_ISSUER"
run() { "$CLI" --config "$conf" "$@" >"$work/out" 2>"$work/err"; }

# --- token verify / inspect --------------------------------------------------------------
good=$(admin_token '{"user":"alice","alg":"RS256","aud":"linux-hosts"}')
run token verify "$good" --json; rc=$?
check "verify valid token" 0 $rc "$(jq -e '.valid == true and .identity.local_name == "alice"' "$work/out" >/dev/null; echo $?)"
echo "$good" | "$CLI" --config "$conf" token verify - >"$work/out" 2>"$work/err"
check "verify from stdin" 0 $?
run token verify "$good" --service sudo --json
check "verify with sudo policy" 0 $? "$(jq -e '.access.allowed == true' "$work/out" >/dev/null; echo $?)"
bob=$(admin_token '{"user":"bob","alg":"ES256","aud":"linux-hosts"}')
run token verify "$bob" --service sudo --json
check "bob denied by [service:sudo]" 1 $? "$(jq -e '.access.allowed == false' "$work/out" >/dev/null; echo $?)"
expired=$(admin_token '{"user":"alice","alg":"RS256","aud":"linux-hosts","claims":{"exp":1000000000,"iat":999999000}}')
run token verify "$expired" --json
check "expired token" 1 $? "$(jq -e '.reason == "expired"' "$work/out" >/dev/null; echo $?)"
wrongaud=$(admin_token '{"user":"alice","alg":"ES384","aud":"someone-else"}')
run token verify "$wrongaud" --json
check "wrong audience" 1 $? "$(jq -e '.reason == "wrong_audience"' "$work/out" >/dev/null; echo $?)"
# Forged: alice's signature over a payload that now says bob.
IFS=. read -r h p s <<<"$good"
forged_payload=$(printf '%s' "$p" | tr '_-' '/+' | base64 -d 2>/dev/null | jq -c '.preferred_username="bob"' | base64 -w0 | tr '/+' '_-' | tr -d '=')
run token verify "$h.$forged_payload.$s" --json
check "forged payload" 1 $? "$(jq -e '.reason == "bad_signature"' "$work/out" >/dev/null; echo $?)"
run token verify "not-a-token" --json
check "malformed token" 1 $? "$(jq -e '.reason == "malformed"' "$work/out" >/dev/null; echo $?)"
# Offline against a JWKS file.
jwks_uri=$(curl -sf --cacert "$IDP_CA" "$IDP_ISSUER/.well-known/openid-configuration" | jq -r .jwks_uri)
curl -sf --cacert "$IDP_CA" "$jwks_uri" >"$work/jwks.json"
"$CLI" token verify "$good" --jwks "$work/jwks.json" --issuer "$IDP_ISSUER" --audience linux-hosts >"$work/out" 2>"$work/err"
check "offline verify" 0 $?
"$CLI" token verify "$good" --jwks "$work/jwks.json" --issuer "https://other.example" --audience linux-hosts --json >"$work/out" 2>"$work/err"
check "offline wrong issuer" 1 $? "$(jq -e '.reason == "wrong_issuer"' "$work/out" >/dev/null; echo $?)"
"$CLI" token verify "$good" --jwks "$work/jwks.json" >"$work/out" 2>"$work/err"
check "offline without --issuer is a usage error" 2 $?
"$CLI" token inspect "$good" >"$work/out" 2>"$work/err"
check "inspect warns loudly" 0 $? "$(grep -q 'WITHOUT verifying' "$work/err"; echo $?)"
"$CLI" token frobnicate >"$work/out" 2>"$work/err"
check "unknown subcommand" 2 $?

# --- login ---------------------------------------------------------------------------------
echo alice-pw | run login alice --password-stdin --json
check "login alice" 0 $? "$(jq -e '.authenticated and .local_name == "alice" and (.uid|type) == "number" and (.local_groups|index("sudo")) != null' "$work/out" >/dev/null; echo $?)"
[ -z "$(ls -A "$work/state" 2>/dev/null | grep -v lock)" ] || ls -A "$work/state" | grep -q accounts.db && ! "$CLI" --config "$conf" accounts show alice >/dev/null 2>&1
check "login without --apply writes no account" 0 $?
echo wrong-pw | run login alice --password-stdin --json
check "wrong password" 1 $? "$(jq -e '.authenticated == false and .reason == "credentials refused"' "$work/out" >/dev/null; echo $?)"
echo bob-pw | run login bob --password-stdin --service sudo --json
check "bob logs in; sudo denied in the decisions" 0 $? "$(jq -e '(.access.sudo|startswith("denied"))' "$work/out" >/dev/null; echo $?)"
printf 'dave-pw\n246810\n' | run login dave --password-stdin --json
check "dave with a one-time code" 0 $? "$(jq -e '.authenticated' "$work/out" >/dev/null; echo $?)"
echo root-pw | run login root --password-stdin --json
check "remote root never maps onto local root" 1 $?
write_conf "$work/down.conf" "https://127.0.0.1:1/default"
echo alice-pw | "$CLI" --config "$work/down.conf" login alice --password-stdin >"$work/out" 2>"$work/err"
check "IdP unreachable → exit 3" 3 $?
printf '[idp]\nissuer = %s\nbogus = 1\n' "$IDP_ISSUER" >"$work/bad.conf"
"$CLI" --config "$work/bad.conf" accounts list >"$work/out" 2>"$work/err"
check "bad config names file and line" 2 $? "$(grep -q 'bad.conf:3' "$work/err"; echo $?)"

# --- accounts --------------------------------------------------------------------------------
echo alice-pw | run login alice --password-stdin --apply
check "login --apply" 0 $?
run accounts list --json
check "accounts list" 0 $? "$(jq -e 'map(select(.name == "alice")) | length == 1' "$work/out" >/dev/null; echo $?)"
uid=$(jq -r '.[] | select(.name == "alice") | .uid' "$work/out")
run accounts show alice --json
check "accounts show" 0 $? "$(jq -e ".uid == $uid and (.groups|index(\"sudo\")) != null" "$work/out" >/dev/null; echo $?)"
run accounts add newbie --subject sub-newbie-1 --json
check "accounts add --subject" 0 $? "$(jq -e '.name == "newbie"' "$work/out" >/dev/null; echo $?)"
run accounts add root --subject sub-x
check "accounts add refuses a local name" 1 $?
run accounts add nosubject
check "accounts add without --subject is a usage error" 2 $?
run accounts disable alice && run accounts show alice --json
check "disable" 0 $? "$(jq -e '.disabled == true' "$work/out" >/dev/null; echo $?)"
run accounts remove alice
check "remove keeps the uid reserved" 0 $?
run accounts show alice
check "removed account no longer shown by name" 1 $?
echo alice-pw | run login alice --password-stdin --apply --json
check "a returning user gets the reserved uid back" 0 $? "$(jq -e ".uid == $uid" "$work/out" >/dev/null; echo $?)"
run accounts remove newbie --forget
check "remove --forget" 0 $?

# --- cache -----------------------------------------------------------------------------------
run cache refresh
check "cache refresh" 0 $?
run cache show --json
check "cache show lists discovery and JWKS" 0 $? "$(jq -e 'length >= 2' "$work/out" >/dev/null; echo $?)"
run cache clear && run cache show --json
check "cache clear" 0 $? "$(jq -e 'length == 0' "$work/out" >/dev/null; echo $?)"

# --- doctor ----------------------------------------------------------------------------------
root="$work/root"
mkdir -p "$root/etc/pam.d"
printf 'passwd: files oidc\ngroup: files [SUCCESS=merge] oidc\nshadow: files oidc\n' >"$root/etc/nsswitch.conf"
for svc in sshd sudo; do
  printf 'auth sufficient pam_oidc.so\nauth required pam_unix.so\naccount required pam_oidc.so\naccount required pam_unix.so\n' >"$root/etc/pam.d/$svc"
done
run doctor --root "$root" --json
check "doctor: a good set-up passes" 0 $? "$(jq -e '.ok == true' "$work/out" >/dev/null; echo $?)"
doctor_fails() {  # doctor_fails NAME CHECK_PREFIX [config]
  "$CLI" --config "${3:-$conf}" doctor --root "$root" --json >"$work/out" 2>"$work/err"
  check "doctor catches: $1" 1 $? "$(jq -e "[.checks[] | select(.status == \"FAIL\" and (.check|startswith(\"$2\")))] | length >= 1" "$work/out" >/dev/null; echo $?)"
}
printf 'passwd: oidc files\ngroup: files oidc\nshadow: files oidc\n' >"$root/etc/nsswitch.conf"
doctor_fails "oidc before files" nsswitch-passwd
printf 'passwd: files oidc\ngroup: files oidc\nshadow: files\n' >"$root/etc/nsswitch.conf"
doctor_fails "shadow without oidc" nsswitch-shadow
printf 'passwd: files oidc\ngroup: files [SUCCESS=merge] oidc\nshadow: files oidc\n' >"$root/etc/nsswitch.conf"
printf 'auth sufficient pam_oidc.so\naccount sufficient pam_unix.so\naccount required pam_oidc.so\n' >"$root/etc/pam.d/sudo"
doctor_fails "account check skippable after a sufficient module" pam-sudo
printf 'auth required pam_unix.so\naccount required pam_unix.so\n' >"$root/etc/pam.d/sudo"
doctor_fails "module missing from the stack" pam-sudo
printf 'auth sufficient pam_oidc.so\nauth required pam_unix.so\naccount required pam_oidc.so\n' >"$root/etc/pam.d/sudo"
write_conf "$work/wrongiss.conf" "${IDP_ISSUER}/"
doctor_fails "issuer not exactly discovery's" discovery "$work/wrongiss.conf"
write_conf "$work/untrusted.conf" "$IDP_UNTRUSTED_ISSUER"
doctor_fails "untrusted TLS certificate" discovery "$work/untrusted.conf"
cp "$IDP_CLIENT_SECRET_FILE" "$work/loose-secret" && chmod 0644 "$work/loose-secret"
sed "s|^client_secret_file = .*|client_secret_file = $work/loose-secret|" "$conf" >"$work/loose.conf"
doctor_fails "world-readable client secret" client-secret "$work/loose.conf"
sed 's|^\[claims\]||' "$conf" >"$work/claims.conf" && printf '[claims]\nusername = upn\n' >>"$work/claims.conf"
"$CLI" --config "$work/claims.conf" doctor --root "$root" --token "$good" --json >"$work/out" 2>"$work/err"
check "doctor catches: username claim path absent from the token" 1 $? "$(jq -e '[.checks[] | select(.check == "claims-username" and .status == "FAIL")] | length == 1' "$work/out" >/dev/null; echo $?)"
"$CLI" --config "$conf" doctor --root "$root" --token "$good" --json >"$work/out" 2>"$work/err"
check "doctor: claim paths present" 0 $? "$(jq -e '[.checks[] | select(.check == "claims-username" and .status == "ok")] | length == 1' "$work/out" >/dev/null; echo $?)"

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
