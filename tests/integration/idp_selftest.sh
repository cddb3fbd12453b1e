#!/usr/bin/env bash
# Acceptance test of the test IdP itself: curl against every feature tests/idp/CONTRACT.md
# promises. Runs under the ctest fixture `idp` (OIDC_IDP_ENV names the env file).
# Exits non-zero when any check fails.
set -uo pipefail

if [ -z "${OIDC_IDP_ENV:-}" ] || [ ! -r "$OIDC_IDP_ENV" ]; then
  echo "OIDC_IDP_ENV not set/readable" >&2
  exit 2
fi
# shellcheck disable=SC1090
. "$OIDC_IDP_ENV"

failures=0
checks=0
ok() { checks=$((checks + 1)); echo "ok   - $1"; }
bad() { checks=$((checks + 1)); failures=$((failures + 1)); echo "FAIL - $1${2:+ (got: ${2:0:300})}"; }
# expect DESC EXPECTED ACTUAL
expect() { if [ "$2" = "$3" ]; then ok "$1"; else bad "$1: expected '$2'" "$3"; fi; }

C=(curl -sS --cacert "$IDP_CA" --max-time 15)
SECRET="$(cat "$IDP_CLIENT_SECRET_FILE")"
M2M_SECRET="$(cat "$IDP_LOGTO_M2M_SECRET_FILE")"
TMP="$(mktemp -d)"
trap 'curl -sS -X DELETE "$IDP_ADMIN/admin/fault" >/dev/null 2>&1; rm -rf "$TMP"' EXIT

b64url_decode() {
  local s="${1//-/+}"
  s="${s//_//}"
  case $((${#s} % 4)) in 2) s="$s==" ;; 3) s="$s=" ;; esac
  printf '%s' "$s" | base64 -d 2>/dev/null
}
jwt_header() { b64url_decode "$(cut -d. -f1 <<<"$1")"; }
jwt_payload() { b64url_decode "$(cut -d. -f2 <<<"$1")"; }
# http_call OUTFILE curl-args... → prints the HTTP status
http_call() { local out="$1"; shift; "${C[@]}" -o "$out" -w '%{http_code}' "$@"; }
admin() { curl -sS --max-time 15 -X "$1" -H 'content-type: application/json' "$IDP_ADMIN$2" ${3:+-d "$3"}; }
disc() { "${C[@]}" "$1/.well-known/openid-configuration"; }
VERIFY="$(dirname "$0")/../idp/tools/verify_jwt.mjs"
# verifies JWKS_URL TOKEN → "ok" when the signature verifies against the published keys
verifies() { "${C[@]}" "$1" >"$TMP/jwks" && node "$VERIFY" "$TMP/jwks" "$2" | cut -d' ' -f1; }

D_DISC="$(disc "$IDP_ISSUER")"
K_DISC="$(disc "$IDP_KEYCLOAK_ISSUER")"
L_DISC="$(disc "$IDP_LOGTO_ISSUER")"
D_TOKEN="$(jq -r .token_endpoint <<<"$D_DISC")"
K_TOKEN="$(jq -r .token_endpoint <<<"$K_DISC")"
L_TOKEN="$(jq -r .token_endpoint <<<"$L_DISC")"

# --- discovery ------------------------------------------------------------------------------
expect "default discovery issuer" "$IDP_ISSUER" "$(jq -r .issuer <<<"$D_DISC")"
expect "keycloak discovery issuer" "$IDP_KEYCLOAK_ISSUER" "$(jq -r .issuer <<<"$K_DISC")"
expect "logto discovery issuer" "$IDP_LOGTO_ISSUER" "$(jq -r .issuer <<<"$L_DISC")"
expect "default lists the password grant" true "$(jq '.grant_types_supported | index("password") != null' <<<"$D_DISC")"
expect "keycloak token endpoint path" "$IDP_KEYCLOAK_ISSUER/protocol/openid-connect/token" "$K_TOKEN"
expect "logto does not list the password grant" false "$(jq '.grant_types_supported | index("password") != null' <<<"$L_DISC")"
expect "logto has a device endpoint" "$IDP_LOGTO_ISSUER/device/auth" "$(jq -r .device_authorization_endpoint <<<"$L_DISC")"
expect "logto jwks has an ES384 key" true "$("${C[@]}" "$(jq -r .jwks_uri <<<"$L_DISC")" | jq '[.keys[].alg] | index("ES384") != null')"
H_DISC="$(curl -sS --max-time 10 "$IDP_HTTP_ISSUER/.well-known/openid-configuration")"
expect "plain http listener serves the default profile" "$IDP_HTTP_ISSUER" "$(jq -r .issuer <<<"$H_DISC")"

# --- password grant -------------------------------------------------------------------------
pw() { # pw TOKEN_URL user pass [extra curl args] → status, body in $TMP/pw
  local url="$1" u="$2" p="$3"; shift 3
  http_call "$TMP/pw" -u "$IDP_CLIENT_ID:$SECRET" -d grant_type=password \
    --data-urlencode "username=$u" --data-urlencode "password=$p" -d 'scope=openid profile email' "$@" "$url"
}
expect "alice password grant (client_secret_basic)" 200 "$(pw "$D_TOKEN" alice alice-pw)"
ID="$(jq -r .id_token "$TMP/pw")"; AT="$(jq -r .access_token "$TMP/pw")"; RT="$(jq -r .refresh_token "$TMP/pw")"
expect "id token alg RS256" RS256 "$(jwt_header "$ID" | jq -r .alg)"
expect "id token signature verifies" ok "$(verifies "$(jq -r .jwks_uri <<<"$D_DISC")" "$ID")"
expect "id token preferred_username" alice "$(jwt_payload "$ID" | jq -r .preferred_username)"
expect "id token groups" '["admin"]' "$(jwt_payload "$ID" | jq -c .groups)"
expect "id token aud" "$IDP_CLIENT_ID" "$(jwt_payload "$ID" | jq -r .aud)"
expect "id token email_verified" true "$(jwt_payload "$ID" | jq -r .email_verified)"
expect "id token name" "Alice Liddell" "$(jwt_payload "$ID" | jq -r .name)"
ALICE_SUB="$(jwt_payload "$ID" | jq -r .sub)"
expect "access token is opaque without resource" 1 "$(tr -cd . <<<"$AT" | wc -c | awk '{print ($1==0)}')"
expect "client_secret_post accepted" 200 "$(http_call "$TMP/o" -d grant_type=password -d username=alice -d password=alice-pw \
  -d scope=openid -d client_id="$IDP_CLIENT_ID" -d client_secret="$SECRET" "$D_TOKEN")"
expect "public client (auth none) accepted" 200 "$(http_call "$TMP/o" -d grant_type=password -d username=bob -d password=bob-pw \
  -d scope=openid -d client_id="$IDP_PUBLIC_CLIENT_ID" "$D_TOKEN")"
expect "wrong client secret → 401" 401 "$(http_call "$TMP/o" -u "$IDP_CLIENT_ID:nope" -d grant_type=password -d username=alice -d password=alice-pw "$D_TOKEN")"
expect "wrong password → 400" 400 "$(pw "$D_TOKEN" alice wrong)"
expect "wrong password → invalid_grant" invalid_grant "$(jq -r .error "$TMP/pw")"
expect "carol (disabled) → 400" 400 "$(pw "$D_TOKEN" carol carol-pw)"
expect "carol (disabled) → invalid_grant" invalid_grant "$(jq -r .error "$TMP/pw")"
expect "unknown user → invalid_grant" 400 "$(pw "$D_TOKEN" nobody nobody-pw)"
expect "dave without totp → 400" 400 "$(pw "$D_TOKEN" dave dave-pw)"
expect "dave without totp → interaction_required" interaction_required "$(jq -r .error "$TMP/pw")"
expect "dave wrong totp → 400" 400 "$(pw "$D_TOKEN" dave dave-pw -d totp=111111)"
expect "dave wrong totp → invalid_grant" invalid_grant "$(jq -r .error "$TMP/pw")"
expect "dave with totp → 200" 200 "$(pw "$D_TOKEN" dave dave-pw -d totp=246810)"
expect "erin password grant" 200 "$(pw "$D_TOKEN" erin erin-pw)"
expect "erin uid claim" 250001 "$(jwt_payload "$(jq -r .id_token "$TMP/pw")" | jq -r .uid)"
expect "hostile ../evil can log in" 200 "$(pw "$D_TOKEN" ../evil ../evil-pw)"
LONG="$(printf 'x%.0s' $(seq 300))"
expect "300-character name can log in" 200 "$(pw "$D_TOKEN" "$LONG" "$LONG-pw")"
expect "keycloak alice" 200 "$(pw "$K_TOKEN" alice alice-pw)"
expect "keycloak realm_access.roles" '["admin"]' "$(jwt_payload "$(jq -r .id_token "$TMP/pw")" | jq -c .realm_access.roles)"
expect "keycloak dave totp form field" 200 "$(pw "$K_TOKEN" dave dave-pw -d totp=246810)"

# --- JWT access tokens per resource -----------------------------------------------------------
for pair in rs256:RS256 es256:ES256 es384:ES384 eddsa:EdDSA; do
  res="urn:oidc-sysauth:${pair%%:*}"; alg="${pair##*:}"
  expect "$alg resource grant" 200 "$(pw "$D_TOKEN" alice alice-pw -d "resource=$res")"
  JAT="$(jq -r .access_token "$TMP/pw")"
  expect "$alg access token alg" "$alg" "$(jwt_header "$JAT" | jq -r .alg)"
  expect "$alg access token signature verifies" ok "$(verifies "$(jq -r .jwks_uri <<<"$D_DISC")" "$JAT")"
  expect "$alg access token typ" at+jwt "$(jwt_header "$JAT" | jq -r .typ)"
  expect "$alg access token aud" "$res" "$(jwt_payload "$JAT" | jq -r .aud)"
  expect "$alg access token user claim" alice "$(jwt_payload "$JAT" | jq -r .preferred_username)"
done
expect "unknown resource → invalid_target" invalid_target "$(pw "$D_TOKEN" alice alice-pw -d resource=urn:nope >/dev/null; jq -r .error "$TMP/pw")"

pw "$D_TOKEN" alice alice-pw -d resource=urn:oidc-sysauth:eddsa >/dev/null
expect "refresh keeps the resource" "EdDSA urn:oidc-sysauth:eddsa" "$(http_call "$TMP/r" -u "$IDP_CLIENT_ID:$SECRET" -d grant_type=refresh_token \
  -d "refresh_token=$(jq -r .refresh_token "$TMP/pw")" "$D_TOKEN" >/dev/null; R="$(jq -r .access_token "$TMP/r")"; \
  echo "$(jwt_header "$R" | jq -r .alg) $(jwt_payload "$R" | jq -r .aud)")"
for u in a/b Mallory Zoë root; do
  expect "hostile user $u logs in with its exact name" "200 $u" "$(pw "$D_TOKEN" "$u" "$u-pw") $(jwt_payload "$(jq -r .id_token "$TMP/pw")" | jq -r .preferred_username)"
done
expect "case matters: mallory is not Mallory" 400 "$(pw "$D_TOKEN" mallory Mallory-pw)"

# --- introspection, userinfo, refresh, revocation --------------------------------------------
INTRO="$(jq -r .introspection_endpoint <<<"$D_DISC")"
"${C[@]}" -u "$IDP_CLIENT_ID:$SECRET" -d "token=$AT" "$INTRO" >"$TMP/i"
expect "introspection active" true "$(jq -r .active "$TMP/i")"
expect "introspection sub" "$ALICE_SUB" "$(jq -r .sub "$TMP/i")"
expect "introspection carries user claims" alice "$(jq -r .preferred_username "$TMP/i")"
expect "userinfo" alice "$("${C[@]}" -H "Authorization: Bearer $AT" "$(jq -r .userinfo_endpoint <<<"$D_DISC")" | jq -r .preferred_username)"
expect "refresh grant" 200 "$(http_call "$TMP/r" -u "$IDP_CLIENT_ID:$SECRET" -d grant_type=refresh_token -d "refresh_token=$RT" "$D_TOKEN")"
expect "refreshed id token user" alice "$(jwt_payload "$(jq -r .id_token "$TMP/r")" | jq -r .preferred_username)"
expect "revocation" 200 "$(http_call "$TMP/o" -u "$IDP_CLIENT_ID:$SECRET" -d "token=$AT" "$(jq -r .revocation_endpoint <<<"$D_DISC")")"
expect "revoked token inactive" false "$("${C[@]}" -u "$IDP_CLIENT_ID:$SECRET" -d "token=$AT" "$INTRO" | jq -r .active)"

# --- device grant -----------------------------------------------------------------------------
device_start() { # device_start DISC [scope] → JSON in $TMP/dev
  "${C[@]}" -u "$IDP_CLIENT_ID:$SECRET" -d "scope=${2:-openid profile}" "$(jq -r .device_authorization_endpoint <<<"$1")" >"$TMP/dev"
}
device_poll() { # device_poll TOKEN_URL → status, body in $TMP/dp
  http_call "$TMP/dp" -u "$IDP_CLIENT_ID:$SECRET" -d grant_type=urn:ietf:params:oauth:grant-type:device_code \
    -d "device_code=$(jq -r .device_code "$TMP/dev")" "$1"
}
device_start "$D_DISC"
UC="$(jq -r .user_code "$TMP/dev")"
expect "device response has interval" 1 "$(jq -r .interval "$TMP/dev")"
expect "device pending" authorization_pending "$(device_poll "$D_TOKEN" >/dev/null; jq -r .error "$TMP/dp")"
expect "admin device/last" "$UC" "$(admin GET /admin/device/last | jq -r .user_code)"
expect "admin approve" true "$(admin POST /admin/device/approve "{\"user_code\":\"$UC\",\"user\":\"alice\"}" | jq -r .ok)"
expect "device approved → 200" 200 "$(device_poll "$D_TOKEN")"
expect "device id token user" alice "$(jwt_payload "$(jq -r .id_token "$TMP/dp")" | jq -r .preferred_username)"
expect "device code is single use" invalid_grant "$(device_poll "$D_TOKEN" >/dev/null; jq -r .error "$TMP/dp")"
device_start "$D_DISC"
admin POST /admin/device/deny "{\"user_code\":\"$(jq -r .user_code "$TMP/dev")\"}" >/dev/null
expect "device denied → access_denied" access_denied "$(device_poll "$D_TOKEN" >/dev/null; jq -r .error "$TMP/dp")"
device_start "$D_DISC"
admin POST /admin/device/expire "{\"user_code\":\"$(jq -r .user_code "$TMP/dev")\"}" >/dev/null
expect "device expired → expired_token" expired_token "$(device_poll "$D_TOKEN" >/dev/null; jq -r .error "$TMP/dp")"
device_start "$L_DISC" "openid profile email roles"
admin POST /admin/device/approve "{\"user_code\":\"$(jq -r .user_code "$TMP/dev")\",\"user\":\"alice\"}" >/dev/null
expect "logto device approved" 200 "$(device_poll "$L_TOKEN")"
LID="$(jq -r .id_token "$TMP/dp")"
expect "logto id token ES384" ES384 "$(jwt_header "$LID" | jq -r .alg)"
expect "logto id token verifies" ok "$(verifies "$(jq -r .jwks_uri <<<"$L_DISC")" "$LID")"
expect "logto id token roles" '["admin"]' "$(jwt_payload "$LID" | jq -c .roles)"
expect "logto id token username" alice "$(jwt_payload "$LID" | jq -r .username)"

device_start "$D_DISC" "openid profile"
"${C[@]}" -d client_id="$IDP_PUBLIC_CLIENT_ID" -d scope=openid -d resource=urn:oidc-sysauth:es256 \
  "$(jq -r .device_authorization_endpoint <<<"$D_DISC")" >"$TMP/dev"
admin POST /admin/device/approve "{\"user_code\":\"$(jq -r .user_code "$TMP/dev")\",\"user\":\"bob\"}" >/dev/null
expect "public client device grant with resource" 200 "$(http_call "$TMP/dp" -d grant_type=urn:ietf:params:oauth:grant-type:device_code \
  -d client_id="$IDP_PUBLIC_CLIENT_ID" -d "device_code=$(jq -r .device_code "$TMP/dev")" "$D_TOKEN")"
expect "device access token is an ES256 JWT for bob" "ES256 bob" \
  "$(jwt_header "$(jq -r .access_token "$TMP/dp")" | jq -r .alg) $(jwt_payload "$(jq -r .access_token "$TMP/dp")" | jq -r .preferred_username)"
admin POST /admin/fault '{"path":"token","kind":"status","status":400,"body":{"error":"slow_down"},"count":1}' >/dev/null
expect "slow_down through a status fault" slow_down "$(device_poll "$D_TOKEN" >/dev/null; jq -r .error "$TMP/dp")"

# --- Logto: no password grant; Management API -------------------------------------------------
expect "logto password grant refused" unsupported_grant_type "$(pw "$L_TOKEN" alice alice-pw >/dev/null; jq -r .error "$TMP/pw")"
expect "logto m2m token" 200 "$(http_call "$TMP/m" -u "$IDP_LOGTO_M2M_CLIENT_ID:$M2M_SECRET" -d grant_type=client_credentials \
  -d "resource=$IDP_LOGTO_M2M_RESOURCE" -d scope=all "$L_TOKEN")"
MT="$(jq -r .access_token "$TMP/m")"
expect "m2m token is ES384 JWT" ES384 "$(jwt_header "$MT" | jq -r .alg)"
expect "m2m token aud" "$IDP_LOGTO_M2M_RESOURCE" "$(jwt_payload "$MT" | jq -r .aud)"
API="$IDP_LOGTO_ENDPOINT/api"
M=("${C[@]}" -H "Authorization: Bearer $MT")
expect "management API without token → 401" 401 "$(http_call "$TMP/o" "$API/users?search.username=alice&mode.username=exact")"
expect "management API with a forged token → 401" 401 "$(http_call "$TMP/o" -H "Authorization: Bearer ${MT%?}x" "$API/users")"
"${M[@]}" "$API/users?search.username=alice&mode.username=exact" >"$TMP/u"
expect "search exact username" '["alice"]' "$(jq -c '[.[].username]' "$TMP/u")"
LALICE="$(jq -r '.[0].id' "$TMP/u")"
expect "exact search is case-sensitive" 0 "$("${M[@]}" "$API/users?search.username=mallory&mode.username=exact" | jq length)"
expect "search by primaryEmail" '["bob"]' "$("${M[@]}" "$API/users?search.primaryEmail=bob%40example.com&mode.primaryEmail=exact" | jq -c '[.[].username]')"
expect "fuzzy search" true "$("${M[@]}" "$API/users?search=%25lidd%25" | jq '[.[].username] == ["alice"]')"
names() { "${M[@]}" "$API/users?$1" | jq -c '[.[].username] | sort'; }
expect "joint=and" '["alice"]' "$(names 'search.username=%25a%25&search.name=%25Alice%25&joint=and')"
expect "joint=or" '["alice","bob"]' "$(names 'search.username=bob&mode.username=exact&search.name=Alice%20Liddell&mode.name=exact')"
expect "posix mode" '["bob"]' "$(names 'search.username=%5Eb.b%24&mode.username=posix')"
expect "similar_to mode" '["alice","bob"]' "$(names 'search.username=(alice%7Cbob)&mode.username=similar_to')"
expect "like is case-insensitive by default" '["Mallory"]' "$(names 'search.username=MAL%25')"
expect "isCaseSensitive=true" '[]' "$(names 'search.username=MAL%25&isCaseSensitive=true')"
expect "exact mode with several values" '["alice","carol"]' "$(names 'search.username=alice&search.username=carol&mode.username=exact')"
expect "paging" 2 "$("${M[@]}" "$API/users?page_size=2&page=2" | jq length)"
expect "Total-Number header" 12 "$("${M[@]}" -D - -o /dev/null "$API/users?page_size=2" | tr -d '\r' | sed -n 's/^[Tt]otal-[Nn]umber: //p')"
expect "invalid mode → 400" 400 "$(http_call "$TMP/o" -H "Authorization: Bearer $MT" "$API/users?search.username=a&mode.username=fuzzy")"
expect "unknown field → 400" 400 "$(http_call "$TMP/o" -H "Authorization: Bearer $MT" "$API/users?search.password=a")"
expect "get user" alice "$("${M[@]}" "$API/users/$LALICE" | jq -r .username)"
expect "unknown user → 404" 404 "$(http_call "$TMP/o" -H "Authorization: Bearer $MT" "$API/users/nope")"
vfy() { http_call "$TMP/o" -H "Authorization: Bearer $MT" -H 'content-type: application/json' -d "{\"password\":\"$2\"}" "$API/users/$1/password/verify"; }
expect "verify right password → 204" 204 "$(vfy "$LALICE" alice-pw)"
expect "verify wrong password → 422" 422 "$(vfy "$LALICE" wrong)"
expect "user roles" '["admin"]' "$("${M[@]}" "$API/users/$LALICE/roles" | jq -c '[.[].name]')"
expect "carol is suspended" true "$("${M[@]}" "$API/users?search.username=carol&mode.username=exact" | jq -r '.[0].isSuspended')"

# --- keys: admin token, rotation, drop ---------------------------------------------------------
JWKS_URL="$(jq -r .jwks_uri <<<"$D_DISC")"
MINT="$(admin POST /admin/token '{"profile":"default","user":"alice","alg":"ES256","aud":"linux-hosts","ttl":60,"claims":{"exp":12345,"nbf":null}}')"
MTOK="$(jq -r .token <<<"$MINT")"
expect "minted token alg" ES256 "$(jwt_header "$MTOK" | jq -r .alg)"
for alg in RS256 ES256 ES384 EdDSA; do
  T="$(admin POST /admin/token "{\"profile\":\"keycloak\",\"user\":\"bob\",\"alg\":\"$alg\"}" | jq -r .token)"
  expect "minted $alg token verifies" ok "$(verifies "$(jq -r .jwks_uri <<<"$K_DISC")" "$T")"
done
expect "a key of another profile does not verify" fail "$(verifies "$(jq -r .jwks_uri <<<"$D_DISC")" "$T")"
expect "minted token claim override" 12345 "$(jwt_payload "$MTOK" | jq -r .exp)"
expect "minted token iss" "$IDP_ISSUER" "$(jwt_payload "$MTOK" | jq -r .iss)"
expect "minted token kid published" true "$("${C[@]}" "$JWKS_URL" | jq --arg k "$(jq -r .kid <<<"$MINT")" '[.keys[].kid] | index($k) != null')"
MTOK="$(admin POST /admin/token '{"profile":"logto","alg":"EdDSA","header":{"typ":null,"crit":["x"],"x":1}}' | jq -r .token)"
expect "minted token header override" '{"alg":"EdDSA","crit":["x"],"x":1}' "$(jwt_header "$MTOK" | jq -c 'del(.kid)')"
expect "minted token with crit verifies" ok "$(verifies "$(jq -r .jwks_uri <<<"$L_DISC")" "$MTOK")"
expect "admin keys lists 4 keys" 4 "$(admin GET '/admin/keys?profile=keycloak' | jq '.kids | length')"
OLD_KID="$(jwt_header "$ID" | jq -r .kid)"
NEW_KID="$(admin POST /admin/rotate '{"profile":"default","alg":"RS256"}' | jq -r .kid)"
KIDS="$("${C[@]}" "$JWKS_URL" | jq -c '[.keys[].kid]')"
expect "rotation publishes the new kid" true "$(jq --arg k "$NEW_KID" 'index($k) != null' <<<"$KIDS")"
expect "rotation keeps the old kid" true "$(jq --arg k "$OLD_KID" 'index($k) != null' <<<"$KIDS")"
pw "$D_TOKEN" alice alice-pw >/dev/null
expect "new tokens use the new kid" "$NEW_KID" "$(jwt_header "$(jq -r .id_token "$TMP/pw")" | jq -r .kid)"
expect "new token verifies after rotation" ok "$(verifies "$JWKS_URL" "$(jq -r .id_token "$TMP/pw")")"
expect "old token still verifies after rotation" ok "$(verifies "$JWKS_URL" "$ID")"
admin POST /admin/drop-old-keys '{"profile":"default"}' >/dev/null
KIDS="$("${C[@]}" "$JWKS_URL" | jq -c '[.keys[].kid]')"
expect "drop-old-keys removes the old kid" false "$(jq --arg k "$OLD_KID" 'index($k) != null' <<<"$KIDS")"
expect "drop-old-keys keeps the new kid" true "$(jq --arg k "$NEW_KID" 'index($k) != null' <<<"$KIDS")"
expect "old token no longer verifies after drop" fail "$(verifies "$JWKS_URL" "$ID")"

# --- users: rename (subject stable), groups ----------------------------------------------------
admin POST /admin/users/rename '{"user":"alice","new_name":"alicia"}' >/dev/null
expect "renamed user logs in under the new name" 200 "$(pw "$D_TOKEN" alicia alice-pw)"
expect "renamed user keeps the subject" "$ALICE_SUB" "$(jwt_payload "$(jq -r .id_token "$TMP/pw")" | jq -r .sub)"
expect "old name no longer works" 400 "$(pw "$D_TOKEN" alice alice-pw)"
admin POST /admin/users/rename '{"user":"alicia","new_name":"alice"}' >/dev/null
admin POST /admin/users/groups '{"user":"bob","groups":["staff","dev"]}' >/dev/null
pw "$D_TOKEN" bob bob-pw >/dev/null
expect "group change visible" '["staff","dev"]' "$(jwt_payload "$(jq -r .id_token "$TMP/pw")" | jq -c .groups)"
admin POST /admin/users/groups '{"user":"bob","groups":["staff"]}' >/dev/null

# --- faults and stats ---------------------------------------------------------------------------
admin POST /admin/stats/reset >/dev/null
disc "$IDP_ISSUER" >/dev/null
disc "$IDP_ISSUER" >/dev/null
expect "stats count discovery" 2 "$(admin GET /admin/stats | jq -r '."default discovery"')"
admin POST /admin/fault '{"path":"token","kind":"status","status":503,"count":1}' >/dev/null
expect "status fault → 503" 503 "$(pw "$D_TOKEN" alice alice-pw)"
expect "status fault body" server_error "$(jq -r .error "$TMP/pw")"
expect "count 1 fault is used up" 200 "$(pw "$D_TOKEN" alice alice-pw)"
admin POST /admin/fault '{"path":"discovery","kind":"garbage","count":1}' >/dev/null
if disc "$IDP_ISSUER" | jq -e . >/dev/null 2>&1; then bad "garbage fault is not JSON"; else ok "garbage fault is not JSON"; fi
admin POST /admin/fault '{"path":"jwks","kind":"delay","ms":1500,"count":1}' >/dev/null
T="$("${C[@]}" -o /dev/null -w '%{time_total}' "$JWKS_URL")"
expect "delay fault delays ≥ 1.4 s" 1 "$(awk -v t="$T" 'BEGIN{print (t >= 1.4)}')"
admin POST /admin/fault '{"path":"userinfo","kind":"drop","count":1}' >/dev/null
"${C[@]}" -o /dev/null "$(jq -r .userinfo_endpoint <<<"$D_DISC")" 2>/dev/null; rc=$?
expect "drop fault → empty reply (curl 52)" 52 "$rc"
admin POST /admin/fault '{"path":"jwks","kind":"trickle","ms":300,"bytes":20,"count":1}' >/dev/null
curl -sS --cacert "$IDP_CA" --max-time 1 -o /dev/null "$JWKS_URL" 2>/dev/null; rc=$?
expect "trickle fault → client timeout (curl 28)" 28 "$rc"
admin POST /admin/fault '{"path":"discovery","kind":"huge","bytes":10485760,"count":1}' >/dev/null
expect "huge fault streams the body" 10485770 "$("${C[@]}" -o /dev/null -w '%{size_download}' "$IDP_ISSUER/.well-known/openid-configuration")"
admin POST /admin/fault '{"path":"token","kind":"redirect","count":1}' >/dev/null
expect "redirect fault → 302" 302 "$(pw "$D_TOKEN" alice alice-pw)"
admin POST /admin/fault '{"path":"management","kind":"status","status":500,"count":1}' >/dev/null
expect "management fault" 500 "$(vfy "$LALICE" alice-pw)"
admin POST /admin/fault '{"path":"*","profile":"keycloak","kind":"status","status":502}' >/dev/null
expect "profile-scoped fault hits keycloak" 502 "$(pw "$K_TOKEN" alice alice-pw)"
expect "profile-scoped fault spares default" 200 "$(pw "$D_TOKEN" alice alice-pw)"
admin POST /admin/headers '{"path":"jwks","profile":"default","headers":{"cache-control":"max-age=300"}}' >/dev/null
expect "extra header on jwks" "max-age=300" "$("${C[@]}" -D - -o /dev/null "$JWKS_URL" | tr -d '\r' | sed -n 's/^[Cc]ache-[Cc]ontrol: //p')"
admin DELETE /admin/headers >/dev/null
expect "extra headers cleared" "" "$("${C[@]}" -D - -o /dev/null "$JWKS_URL" | tr -d '\r' | sed -n 's/^[Cc]ache-[Cc]ontrol: //p')"
admin DELETE /admin/fault >/dev/null
expect "faults cleared" 200 "$(pw "$K_TOKEN" alice alice-pw)"

# --- TLS failures ---------------------------------------------------------------------------
"${C[@]}" -o /dev/null "$IDP_BADNAME_ISSUER/.well-known/openid-configuration" 2>/dev/null; rc=$?
case "$rc" in 51|60) ok "bad-name certificate refused (curl $rc)" ;; *) bad "bad-name certificate refused" "curl rc $rc" ;; esac
"${C[@]}" -o /dev/null "$IDP_UNTRUSTED_ISSUER/.well-known/openid-configuration" 2>/dev/null; rc=$?
expect "untrusted CA refused (curl 60)" 60 "$rc"
BPORT="${IDP_BADNAME_ISSUER#https://127.0.0.1:}"
BPORT="${BPORT%%/*}"
expect "bad-name certificate is valid for wrong.example" "$IDP_BADNAME_ISSUER" \
  "$("${C[@]}" --connect-to "wrong.example:$BPORT:127.0.0.1:$BPORT" \
     "https://wrong.example:$BPORT/default/.well-known/openid-configuration" | jq -r .issuer)"

echo "idp_selftest: $checks checks, $failures failed"
[ "$failures" -eq 0 ]
