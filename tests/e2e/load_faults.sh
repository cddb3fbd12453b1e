#!/usr/bin/env bash
# Load and faults (issue 8), bounded, loopback only, inside a private namespace:
#  (1) LOGINS concurrent PAM logins (pamtester processes, PARALLEL at a time; good and bad
#      passwords, a disabled user) against the test IdP while NSS readers hammer getent:
#      every outcome as expected, every good user stored once, no reader sees a torn entry,
#      no crash;
#  (2) KILLS times: SIGKILL a store writer (store_tool upsert) at a random point; after each,
#      a reader validates the store and finds the old or the new version, never anything else.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lib/ns.sh
. "$HERE/../lib/ns.sh"
ns_reexec "$@"
# shellcheck source=pam_common.sh
. "$HERE/pam_common.sh"

LOGINS=${LOAD_LOGINS:-200}
PARALLEL=${LOAD_PARALLEL:-50}
KILLS=${LOAD_KILLS:-200}
READERS=4
TOOL=$PAM_BUILD/tests/tools/store_tool
[ -x "$TOOL" ] || ns_die "$TOOL not built"
CONF=/etc/oidc-sysauth/oidc-sysauth.conf
PAM_IDP_TIMEOUT=10 pam_write_config "$IDP_ISSUER" "$CONF"
ns_write /etc/pam.d/load-test <<PAMSTACK
auth     required $PAM_MODULE
account  required $PAM_MODULE
PAMSTACK
ns_add_local_user localuser 1500
tool() { "$TOOL" --config "$CONF" --no-nscd "$@"; }

# --- (1) concurrent logins + NSS readers -------------------------------------------------------
# Login i uses USERS[i % n]; every 3rd login (i % 3 == 1) has a wrong password; carol is disabled.
USERS=(alice bob erin carol)
expected() {
  local i=$1 user=${USERS[$(($1 % ${#USERS[@]}))]}
  if [ "$user" = carol ] || [ $((i % 3)) = 1 ]; then echo FAIL; else echo OK; fi
}
login() {  # login I: one pamtester process; writes "I expected actual rc" to $NS_TMP/login.I
  local i=$1 user=${USERS[$(($1 % ${#USERS[@]}))]} pw rc out actual=FAIL
  pw="$user-pw"
  [ $((i % 3)) = 1 ] && pw="wrong-$i"
  out=$(printf '%s\n' "$pw" | timeout 60 pamtester load-test "$user" authenticate acct_mgmt 2>&1)
  rc=$?
  [ "$rc" = 0 ] && actual=OK
  grep -qi 'segmentation\|aborted\|core dumped\|stack smashing' <<<"$out" && actual=CRASH
  [ "$rc" -ge 124 ] && actual="CRASH-rc$rc"
  echo "$i $(expected "$i") $actual $rc" >"$NS_TMP/login.$i"
}
reader() {  # reader K: bounded getent loop; any malformed line or unexpected status counts
  local k=$1 n u bad=0 line status
  for n in $(seq 1 150); do
    for u in alice bob erin localuser root; do
      line=$(getent passwd "$u")
      status=$?
      if [ "$status" = 0 ]; then
        [[ "$line" =~ ^$u:[^:]*:[0-9]+:[0-9]+:[^:]*:/[^:]*:/[^:]*$ ]] || {
          bad=$((bad + 1))
          echo "torn: $line" >&2
        }
      elif [ "$status" != 2 ] || [ "$u" = root ] || [ "$u" = localuser ]; then
        bad=$((bad + 1))
        echo "status $status for $u" >&2
      fi
    done
    getent passwd >"$NS_TMP/enum.$k" || {
      bad=$((bad + 1))
      echo "enumeration failed" >&2
    }
    awk -F: 'NF != 7 || $3 !~ /^[0-9]+$/ {exit 1}' "$NS_TMP/enum.$k" || {
      bad=$((bad + 1))
      echo "torn enumeration" >&2
    }
  done
  echo "$bad" >"$NS_TMP/reader.$k"
}

reader_pids=()
for k in $(seq 1 "$READERS"); do
  reader "$k" 2>>"$NS_TMP/readers.err" &
  reader_pids+=($!)
done
t0=$(date +%s.%N)
login_pids=()
for i in $(seq 0 $((LOGINS - 1))); do
  login "$i" &
  login_pids+=($!)
  if [ "${#login_pids[@]}" -ge "$PARALLEL" ]; then
    wait "${login_pids[0]}"
    login_pids=("${login_pids[@]:1}")
  fi
done
for p in "${login_pids[@]}"; do wait "$p"; done
t1=$(date +%s.%N)
for p in "${reader_pids[@]}"; do wait "$p"; done
results=$(cat "$NS_TMP"/login.*)
total=$(wc -l <<<"$results")
wrong=$(awk '$2 != $3' <<<"$results")
crashes=$(grep -c CRASH <<<"$results")
good=$(awk '$3 == "OK"' <<<"$results" | wc -l)
bad_reads=$(cat "$NS_TMP"/reader.* | paste -sd+ | bc)
ns_log "$total logins ($PARALLEL at a time) in $(echo "$t1 - $t0" | bc) s: $good succeeded," \
  "$((total - good)) refused, $crashes crashed; $READERS NSS readers × 150 rounds: $bad_reads bad reads"
ns_check "all $LOGINS logins finished" test "$total" = "$LOGINS"
ns_check "every login's outcome is the expected one${wrong:+ (wrong: $(head -n 5 <<<"$wrong" | tr '\n' ';'))}" \
  test -z "$wrong"
ns_check "no login process crashed" test "$crashes" = 0
for k in $(seq 1 "$READERS"); do
  ns_check "NSS reader $k finished and never saw a torn entry" test "$(cat "$NS_TMP/reader.$k" 2>/dev/null)" = 0
done
listing=$(tool list)
for u in alice bob erin; do
  ns_check "$u stored exactly once" test "$(grep -c "^$u:" <<<"$listing")" = 1
  ns_check "$u resolves through NSS" getent passwd "$u"
done
ns_check "carol (disabled at the IdP) was never stored" bash -c "! grep -q '^carol:' <<<\"\$1\"" _ "$listing"
ns_check "no crash reports in the readers' output" bash -c "! grep -qi 'segmentation\|core dumped' '$NS_TMP/readers.err'"

# --- (2) SIGKILL a writer at random points -----------------------------------------------------
before=$(tool list | sort)
ns_check "store readable before the kill test ($(wc -l <<<"$before") records)" test -n "$before"
killed=0 completed=0 corrupt=0
for i in $(seq 1 "$KILLS"); do
  "$TOOL" --config "$CONF" --no-nscd upsert --issuer https://kill.test --subject "sub-kill$i" --name "kill$i" \
    >/dev/null 2>&1 &
  pid=$!
  # A random delay of 0–7 ms: before, during or after the write, fsync and rename (a writer
  # takes a few ms, so most kills land inside it).
  sleep "0.00$((RANDOM % 8))"
  kill -KILL "$pid" 2>/dev/null && killed=$((killed + 1))
  wait "$pid" 2>/dev/null && completed=$((completed + 1))
  after=$(tool list 2>"$NS_TMP/list.err" | sort)
  status=${PIPESTATUS[0]}
  # Old version: exactly `before`. New version: `before` plus kill$i.
  if [ "$status" != 0 ]; then
    corrupt=$((corrupt + 1))
    ns_log "kill $i: the store could not be read: $(cat "$NS_TMP/list.err")"
  elif [ "$after" != "$before" ] && [ "$(grep -v "^kill$i:" <<<"$after")" != "$before" ]; then
    corrupt=$((corrupt + 1))
    ns_log "kill $i: neither the old nor the new version"
    diff <(echo "$before") <(echo "$after") | head -n 5 >&2
  fi
  getent passwd alice >/dev/null || {
    corrupt=$((corrupt + 1))
    ns_log "kill $i: NSS lost alice"
  }
  before=$after
done
stored=$(grep -c '^kill' <<<"$before")
leftovers=$(find /var/lib/oidc-sysauth -maxdepth 1 -type f | wc -l)
ns_log "$KILLS writers: $killed SIGKILLed mid-run, $((KILLS - killed)) finished first;" \
  "$stored of them stored; $corrupt corrupt states; $leftovers files in the state dir"
ns_check "after $KILLS SIGKILLed writers the store was always the old or the new version" test "$corrupt" = 0
ns_check "some writers really were killed mid-run ($killed)" test "$killed" -gt 0
out=$(printf 'alice-pw\n' | timeout 30 pamtester load-test alice authenticate acct_mgmt 2>&1; echo "rc=$?")
ns_check "a login after the kill test still works" grep -q 'rc=0$' <<<"$out"
ns_check "a new writer after the kill test still writes the store" \
  tool upsert --issuer https://kill.test --subject sub-final --name killfinal
ns_check "the final record is there" bash -c "'$TOOL' --config '$CONF' --no-nscd list | grep -q '^killfinal:'"

if [ "$NS_FAILURES" != 0 ]; then
  ns_log "syslog:"
  tail -n 40 "$NS_SYSLOG" >&2
fi
ns_finish
