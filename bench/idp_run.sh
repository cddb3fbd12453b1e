#!/bin/bash
# PAM, SASL and IdP-load benchmarks against one private test IdP (tests/lib/idpctl), which
# is stopped by its PID when this script ends. Nothing here touches the host's auth files:
# PAM runs through pam_start_confdir with a service file in WORKDIR, stores live in WORKDIR.
#
#   bench/idp_run.sh BUILD_DIR OUT_FILE SECTIONS QUICK
set -u
# bench/run exports the targets whose build failed this run (" name name "): never run those.
fresh() { [ -e "$1" ] && [[ "${BENCH_FAILED:- }" != *" $2 "* ]]; }
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
BUILD=$1
OUT=$2
SECTIONS=$3
QUICK=$4
want() { [[ ",$SECTIONS," == *",$1,"* ]]; }
B=$BUILD/bench
WORK=$(mktemp -d /tmp/oidc-bench-idp.XXXXXX)
IDP=$WORK/idp
cleanup() {
  "$ROOT/tests/lib/idpctl" stop "$IDP" >/dev/null 2>&1
  rm -rf "$WORK"
}
trap cleanup EXIT
"$ROOT/tests/lib/idpctl" start "$IDP" >/dev/null || { echo "status pam test IdP did not start" >>"$OUT"; exit 1; }
ENV=$IDP/env
LOGINS=40 TOKENS=1000 HOSTS=1000 SECS=1.5
[ "$QUICK" = 1 ] && { LOGINS=15; TOKENS=300; HOSTS=200; SECS=0.5; }

if want pam; then
  if fresh "$B/pam_bench" pam_bench && fresh "$BUILD/pam/pam_oidc.so" pam_oidc; then
    echo "[idp_run] PAM logins" >&2
    "$B/pam_bench" --rss-of="pam:$BUILD/pam/pam_oidc.so" >>"$OUT" 2>&2
    fresh "$BUILD/sasl/liboidc.so" oidc_sasl && "$B/pam_bench" --rss-of="sasl:$BUILD/sasl/liboidc.so" >>"$OUT"
    timeout 300 "$B/pam_bench" --env="$ENV" --module="$BUILD/pam/pam_oidc.so" --dir="$WORK/pam" --logins="$LOGINS" \
      >>"$OUT" || echo "status pam failed (see idp.log)" >>"$OUT"
  else
    echo "status pam not built" >>"$OUT"
  fi
fi
if want sasl; then
  if fresh "$B/sasl_bench" sasl_bench && fresh "$BUILD/sasl/liboidc.so" oidc_sasl; then
    echo "[idp_run] SASL exchanges" >&2
    timeout 300 "$B/sasl_bench" --env="$ENV" --plugin="$BUILD/sasl" --dir="$WORK/sasl" --tokens="$TOKENS" \
      --seconds="$SECS" >>"$OUT" || echo "status sasl failed (see idp.log)" >>"$OUT"
    if want callgrind && command -v valgrind >/dev/null; then
      for m in first repeat; do
        echo "[idp_run] callgrind SASL $m" >&2
        ir=$(timeout 300 valgrind --tool=callgrind --callgrind-out-file=/dev/null --instr-atstart=no --collect-atstart=no \
          "$B/sasl_bench" --env="$ENV" --plugin="$BUILD/sasl" --dir="$WORK/sasl-cg" --tokens=100 --calls=100 --mode=$m \
          2>&1 >/dev/null | sed -n 's/.*Collected : \([0-9]*\).*/\1/p')
        [ -n "$ir" ] && echo "callgrind.sasl.$m $((ir / 100)) Ir" >>"$OUT"
      done
    fi
    if [ -x "$HERE/dovecot_run.sh" ]; then
      timeout 300 "$HERE/dovecot_run.sh" "$ENV" "$OUT" "$QUICK" || echo "status sasl.dovecot failed (see idp.log)" >>"$OUT"
    else
      echo "status sasl.dovecot not built" >>"$OUT"
    fi
  else
    echo "status sasl not built" >>"$OUT"
  fi
fi
if want idp; then
  if fresh "$B/hosts_bench" hosts_bench; then
    echo "[idp_run] $HOSTS cold hosts" >&2
    timeout 300 "$B/hosts_bench" --env="$ENV" --dir="$WORK/hosts" --hosts="$HOSTS" --concurrency=50 >>"$OUT" ||
      echo "status idpload.hosts failed (see idp.log)" >>"$OUT"
    # The extrapolation needs the IdP's own rate for the two fetches.
  else
    echo "status idpload.hosts not built" >>"$OUT"
  fi
  # Last: a key rotation changes the IdP for everything after it.
  if fresh "$B/sasl_bench" sasl_bench && fresh "$BUILD/sasl/liboidc.so" oidc_sasl; then
    echo "[idp_run] key rotation" >&2
    timeout 300 "$B/sasl_bench" --env="$ENV" --plugin="$BUILD/sasl" --dir="$WORK/rot" --mode=rotation >>"$OUT" ||
      echo "status idpload.rotation failed (see idp.log)" >>"$OUT"
  else
    echo "status idpload.rotation not built" >>"$OUT"
  fi
fi
