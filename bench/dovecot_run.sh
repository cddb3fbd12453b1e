#!/bin/bash
# Dovecot's oauth2 passdb with local JWT validation, the peer for our SASL figures: its own
# config dir, base_dir and logs under a temp dir, no protocols (only the auth service's
# unix socket), inside a private mount + PID namespace so it dies with this script.
# Keys come from the test IdP's JWKS (Dovecot cannot fetch a JWKS: they go into its key dict).
#
#   bench/dovecot_run.sh IDP_ENV OUT_FILE QUICK
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
if [ -z "${DOVECOT_BENCH_INSIDE:-}" ]; then
  DOVECOT_BENCH_INSIDE=1 exec unshare --mount --propagation private --pid --fork --mount-proc bash "$0" "$@"
fi
ENV=$1
OUT=$2
QUICK=$3
N=1000
[ "$QUICK" = 1 ] && N=300
. "$ENV"
W=$(mktemp -d /tmp/oidc-bench-dovecot.XXXXXX)
trap 'rm -rf "$W"' EXIT
chmod 755 "$W"
mkdir -p "$W/run" "$W/state" "$W/keys"

# Tokens (minted by the IdP) and the IdP's RS256 keys as PEM files named by kid.
python3 - "$IDP_ADMIN" "$IDP_ISSUER" "$IDP_CA" "$W" "$N" <<'PY' || exit 1
import http.client, json, os, ssl, sys, urllib.parse, urllib.request, base64
admin, issuer, ca, w, n = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
u = urllib.parse.urlsplit(admin)
conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
with open(f"{w}/tokens", "w") as out:
    for i in range(n + 1):
        body = json.dumps({"profile": "default", "user": "alice", "alg": "RS256", "ttl": 3600,
                           "claims": {"jti": f"dovecot-{i}"}})
        conn.request("POST", "/admin/token", body, {"Content-Type": "application/json"})
        out.write(json.loads(conn.getresponse().read())["token"] + "\n")
ctx = ssl.create_default_context(cafile=ca)
disco = json.load(urllib.request.urlopen(issuer + "/.well-known/openid-configuration", context=ctx))
jwks = json.load(urllib.request.urlopen(disco["jwks_uri"], context=ctx))
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives import serialization
def num(b64):
    return int.from_bytes(base64.urlsafe_b64decode(b64 + "=" * (-len(b64) % 4)), "big")
for k in jwks["keys"]:
    if k.get("kty") != "RSA":
        continue
    pem = rsa.RSAPublicNumbers(num(k["e"]), num(k["n"])).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    d = f"{w}/keys/default/RS256"
    os.makedirs(d, exist_ok=True)
    with open(f"{d}/{k['kid']}", "wb") as f:
        f.write(pem)
PY

cat >"$W/oauth2.conf.ext" <<CONF
introspection_mode = local
local_validation_key_dict = fs:posix:prefix=$W/keys/
username_attribute = preferred_username
issuers = $IDP_ISSUER
CONF
cat >"$W/dovecot.conf" <<CONF
base_dir = $W/run
state_dir = $W/state
log_path = $W/dovecot.log
protocols = none
ssl = no
disable_plaintext_auth = no
auth_mechanisms = oauthbearer xoauth2
passdb {
  driver = oauth2
  mechanisms = oauthbearer xoauth2
  args = $W/oauth2.conf.ext
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=/nonexistent
}
CONF
/usr/sbin/dovecot -F -c "$W/dovecot.conf" &
MASTER=$!
for _ in $(seq 1 100); do [ -S "$W/run/auth-client" ] && break; sleep 0.05; done
if [ ! -S "$W/run/auth-client" ]; then
  echo "status sasl.dovecot did not start: $(tail -3 "$W/dovecot.log" 2>/dev/null | tr '\n' ' ')" >>"$OUT"
  kill "$MASTER" 2>/dev/null
  exit 1
fi
status=0
python3 "$HERE/dovecot_client.py" "$W/run/auth-client" "$MASTER" "$W/tokens" sasl.dovecot >>"$OUT" || status=1
python3 "$HERE/dovecot_client.py" "$W/run/auth-client" "$MASTER" "$W/tokens" sasl.dovecot_repeated --repeat "$((N * 3))" \
  >>"$OUT" || status=1
[ $status = 0 ] || { echo "--- dovecot.log" >&2; tail -20 "$W/dovecot.log" >&2; }
kill "$MASTER"
wait "$MASTER" 2>/dev/null
exit $status
