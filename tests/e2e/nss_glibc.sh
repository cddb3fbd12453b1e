#!/usr/bin/env bash
# libnss_oidc.so.2 through real glibc (getent, id, ls), in a private mount + PID
# namespace (tests/lib/ns.sh): /etc and /var/lib are copy-on-write there, so
# nsswitch.conf, the config and the store exist only inside, and ns_reexec proves the
# host's files byte-identical afterwards.
set -uo pipefail
. "$(dirname "$0")/../lib/ns.sh"

BUILD="${OIDC_BUILD_DIR:?set OIDC_BUILD_DIR to the build tree}"
MODULE="$BUILD/nss/libnss_oidc.so.2"
TOOL="$BUILD/tests/tools/store_tool"
for f in "$MODULE" "$TOOL"; do
  [ -f "$f" ] || ns_die "$f not built (build nss_oidc and store_tool)"
done

ns_reexec "$@"
ns_private_etc
ns_nss_module "$MODULE"
ns_nsswitch oidc
# The merge action: `getent group sudo` shows the local members and ours.
sed -i 's/^group:.*/group:          files [SUCCESS=merge] oidc/' /etc/nsswitch.conf
WORK="$NS_TMP"

mkdir -p /etc/oidc-sysauth
cat >/etc/oidc-sysauth/oidc-sysauth.conf <<'CONF'
[idp]
issuer = https://idp.test
client_id = test
[accounts]
group_map = admin:sudo
unmapped_groups = prefix
group_prefix = oidc-
provisional_users = prov-*
CONF
chmod 644 /etc/oidc-sysauth/oidc-sysauth.conf

fails=0
check() {  # check DESCRIPTION COMMAND...: the command must succeed
  if "${@:2}"; then echo "ok   $1"; else echo "FAIL $1"; fails=$((fails + 1)); fi
}
tool() { "$TOOL" --config /etc/oidc-sysauth/oidc-sysauth.conf --no-nscd "$@"; }
field() { cut -d: -f"$1"; }

# No store yet: a clean miss, not an error.
check "missing store: getent passwd alice exits 2" test "$(getent passwd alice >/dev/null; echo $?)" = 2

line="$(tool upsert --issuer https://idp.test --subject sub-alice --name alice --display 'Alice Liddell' \
  --group sudo --extra oidc-devs --idp-group admin --idp-group devs)"
uid="$(echo "$line" | field 2)"
echo "alice seeded: $line"
check "store file root-owned 0644" test "$(stat -c %U:%a /var/lib/oidc-sysauth/accounts.db)" = root:644
check "getent passwd alice" test "$(getent passwd alice)" = "alice:x:$uid:$uid:Alice Liddell:/home/alice:/bin/bash"
check "getent passwd by uid" test "$(getent passwd "$uid" | field 1)" = alice
check "getent group alice (private group)" test "$(getent group alice)" = "alice:x:$uid:"
check "getent group by gid" test "$(getent group "$uid" | field 1)" = alice
check "getent group sudo lists alice (merge)" bash -c "getent group sudo | grep -Eq '^sudo:x:27:(.*,)?alice(,|$)'"
check "getent group oidc-devs" bash -c "getent group oidc-devs | grep -Eq '^oidc-devs:x:[0-9]+:alice$'"
check "id alice shows sudo" bash -c "id alice | grep -q '(sudo)'"
check "id alice shows oidc-devs" bash -c "id alice | grep -q '(oidc-devs)'"
check "id -gn alice" test "$(id -gn alice)" = alice
check "getent shadow alice is locked" bash -c "getent shadow alice | grep -q '^alice:\*:'"
check "enumeration lists alice" bash -c "getent passwd | grep -q '^alice:'"

touch "$WORK/owned"
chown alice:alice "$WORK/owned"
check "ls -l shows alice" bash -c "ls -l '$WORK/owned' | awk '{print \$3\":\"\$4}' | grep -qx alice:alice"

# Rename at the IdP: same (issuer, subject), new name, same uid.
tool upsert --issuer https://idp.test --subject sub-alice --name alice2 --group sudo >/dev/null
check "rename: alice2 keeps the uid" test "$(getent passwd alice2 | field 3)" = "$uid"
check "rename: old name gone" test "$(getent passwd alice >/dev/null; echo $?)" = 2
check "rename: ls -l follows" bash -c "ls -l '$WORK/owned' | awk '{print \$3}' | grep -qx alice2"
check "rename: sudo lists alice2" bash -c "getent group sudo | grep -q 'alice2'"

# A local account named like an IdP user always wins.
bob="$(tool upsert --issuer https://idp.test --subject sub-bob --name bob | field 2)"
check "bob from the store" test "$(getent passwd bob | field 3)" = "$bob"
echo "bob:x:1555:1555:Local Bob:/home/bob:/bin/sh" >>/etc/passwd
check "local bob wins over the store" test "$(getent passwd bob | field 3)" = 1555
echo "carol:x:1556:1556::/home/carol:/bin/sh" >>/etc/passwd
check "upsert refuses a local name" test "$(tool upsert --issuer https://idp.test --subject sub-carol --name carol >/dev/null 2>&1; echo $?)" = 3
check "upsert refuses a reserved name" test "$(tool upsert --issuer https://idp.test --subject sub-x --name daemon >/dev/null 2>&1; echo $?)" = 3

# Provisional users: the uid the first login will get, never enumerated.
predicted="$(tool predict prov-dave)"
check "provisional prov-dave" test "$(getent passwd prov-dave)" = "prov-dave:x:$predicted:$predicted::/home/prov-dave:/bin/bash"
check "non-matching name not provisional" test "$(getent passwd dave >/dev/null; echo $?)" = 2
check "provisional never for a local name" test "$(getent passwd carol | field 3)" = 1556
check "provisional not enumerated" bash -c "! getent passwd | grep -q '^prov-dave:'"
check "provisional has no supplementary groups" test "$(id -G prov-dave)" = "$predicted"
check "first login gets the provisional uid" test "$(tool upsert --issuer https://idp.test --subject sub-dave --name prov-dave | field 2)" = "$predicted"

# Removal keeps the uid reserved for the subject; a new login of that subject gets it back.
tool remove alice2 >/dev/null
check "removed: gone from NSS" test "$(getent passwd alice2 >/dev/null; echo $?)" = 2
check "removed: uid not resolvable" test "$(getent passwd "$uid" >/dev/null; echo $?)" = 2
check "re-login restores the uid" test "$(tool upsert --issuer https://idp.test --subject sub-alice --name alice2 | field 2)" = "$uid"

# nscd: the writer invalidates its passwd and group caches after a change.
mkdir -p /var/run/nscd  # /run is a fresh tmpfs in the namespace
/usr/sbin/nscd
for _ in $(seq 1 100); do [ -S /var/run/nscd/socket ] && break; sleep 0.05; done
check "nscd is running in the namespace" test -S /var/run/nscd/socket
getent passwd alice2 >/dev/null  # cached by nscd now
"$TOOL" --config /etc/oidc-sysauth/oidc-sysauth.conf upsert --issuer https://idp.test --subject sub-alice --name alice4 >/dev/null
check "nscd: invalidated, old name gone at once" test "$(getent passwd alice2 >/dev/null; echo $?)" = 2
check "nscd: new name with the same uid" test "$(getent passwd alice4 | field 3)" = "$uid"
tool upsert --issuer https://idp.test --subject sub-alice --name alice2 >/dev/null  # --no-nscd: control
check "nscd: without invalidation the cache is stale (control)" test "$(getent passwd alice4 | field 3)" = "$uid"
/usr/sbin/nscd -i passwd
check "nscd: after a manual invalidation the rename shows" test "$(getent passwd alice2 | field 3)" = "$uid"
nscd_pid="$(cat /var/run/nscd/nscd.pid)"
kill "$nscd_pid"
for _ in $(seq 1 100); do [ -e "/proc/$nscd_pid" ] || break; sleep 0.05; done
rm -f /var/run/nscd/socket  # glibc clients then go straight to NSS again

# Enumeration off.
printf '[idp]\nissuer = https://idp.test\nclient_id = test\n[accounts]\nenumerate = false\n' >/etc/oidc-sysauth/oidc-sysauth.conf
check "enumerate=false hides accounts" bash -c "! getent passwd | grep -q '^alice2:'"
check "enumerate=false still resolves by name" test "$(getent passwd alice2 | field 3)" = "$uid"

# Corrupt, truncated and replaced-by-garbage stores: clean failure (exit 2), no crash.
db=/var/lib/oidc-sysauth/accounts.db
cp "$db" "$WORK/good.db"
head -c 100 "$WORK/good.db" >"$WORK/trunc.db"
head -c "$(($(stat -c %s "$WORK/good.db") - 7))" "$WORK/good.db" >"$WORK/short.db"
head -c 4096 /dev/urandom >"$WORK/garbage.db"
for bad in trunc short garbage; do
  cp "$WORK/$bad.db" "$db.new" && mv "$db.new" "$db"
  rc=0; getent passwd alice2 >/dev/null 2>&1 || rc=$?
  check "$bad store: getent exits 2 (no crash)" test "$rc" = 2
  rc=0; id alice2 >/dev/null 2>&1 || rc=$?
  check "$bad store: id exits 1 (no crash)" test "$rc" = 1
  check "$bad store: local users still resolve" test "$(getent passwd root | field 3)" = 0
done
cp "$WORK/good.db" "$db.new" && mv "$db.new" "$db"
check "restored store answers again" test "$(getent passwd alice2 | field 3)" = "$uid"
chmod 666 "$db"
check "world-writable store refused" test "$(getent passwd alice2 >/dev/null; echo $?)" = 2
chmod 644 "$db"

echo "nss_glibc: $fails failure(s)"
[ "$fails" -eq 0 ]
