#!/bin/bash
# NSS benchmark: our module, nss_files, libnss-extrausers and libnss-cache on the same
# accounts at several sizes. Runs itself inside a private mount + PID namespace
# (tests/lib/ns.sh): nsswitch.conf, passwd, /var/lib/extrausers, the cache files and the
# store are copy-on-write views there; the host's files are checked byte-identical after.
#
#   bench/nss_run.sh BUILD_DIR OUT_FILE [SIZES...]     (default sizes: 100 10000 100000)
#
# Appends "metric value unit" lines to OUT_FILE (bench_util.hpp format).
# NSS_BENCH_SOURCES="oidc null" (a developer's quick run) limits the sources; default: all.
set -u
# bench/run exports the targets whose build failed this run (" name name "): never run those.
fresh() { [ -e "$1" ] && [[ "${BENCH_FAILED:- }" != *" $2 "* ]]; }
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../tests/lib/ns.sh"
ns_reexec "$@"

BUILD=$1
OUT=$2
shift 2
SIZES=("$@")
[ ${#SIZES[@]} -gt 0 ] || SIZES=(100 10000 100000)
NSS_BENCH=$BUILD/bench/nss_bench
STORE_TOOL=$BUILD/tests/tools/store_tool
MODULE=$BUILD/nss/libnss_oidc.so.2
NULL_MODULE=$BUILD/bench/libnss_benchnull.so.2
fresh "$NSS_BENCH" nss_bench || { echo "status nss not built" >>"$OUT"; exit 0; }

ns_private_etc
# No nscd answers for anyone: /run is a fresh tmpfs, so its socket is absent.
BASE_PASSWD=$NS_TMP/passwd.base
cp /etc/passwd "$BASE_PASSWD"
SOURCES=(files extrausers cache)
# The floor first: glibc + a module that answers NOTFOUND at once (bench/nss_null.c).
if fresh "$NULL_MODULE" nss_benchnull; then
  ns_nss_module "$NULL_MODULE"
  SOURCES=(null "${SOURCES[@]}")
else
  echo "status nss.null not built (libnss_benchnull.so.2 missing)" >>"$OUT"
fi
if fresh "$MODULE" nss_oidc && fresh "$STORE_TOOL" store_tool; then
  ns_nss_module "$MODULE"
  SOURCES=(oidc "${SOURCES[@]}")
else
  echo "status nss.oidc not built (libnss_oidc.so.2 or store_tool missing)" >>"$OUT"
fi
if [ -n "${NSS_BENCH_SOURCES:-}" ]; then
  wanted=()
  for src in "${SOURCES[@]}"; do [[ " $NSS_BENCH_SOURCES " == *" $src "* ]] && wanted+=("$src"); done
  SOURCES=("${wanted[@]}")
fi
mkdir -p /var/lib/extrausers
# The store on a disk filesystem (the build tree), not on the namespace's tmpfs or overlay,
# so the writer's fsync costs what it costs on a host.
STATE_DISK=$BUILD/bench-nss-state
rm -rf "$STATE_DISK" && mkdir -p "$STATE_DISK" /var/lib/oidc-sysauth
mount --bind "$STATE_DISK" /var/lib/oidc-sysauth || ns_die "bind state dir"
trap 'umount /var/lib/oidc-sysauth 2>/dev/null; rm -rf "$STATE_DISK"' EXIT

# Plain redirection, not ns_write: its chown resolves "root" through the source under test.
use_source() {
  cat >/etc/nsswitch.conf <<NSS
passwd:         $1
group:          files
shadow:         files
hosts:          files
NSS
}

for n in "${SIZES[@]}"; do
  data=$NS_TMP/data.$n
  mkdir -p "$data"
  if [[ " ${SOURCES[*]} " == *" oidc "* ]]; then
    # Our store holds the accounts; every other source gets the same names, uids and fields.
    find /var/lib/oidc-sysauth -mindepth 1 -delete && chmod 755 /var/lib/oidc-sysauth
    "$STORE_TOOL" --state-dir /var/lib/oidc-sysauth --no-nscd bulk "$n" bu >/dev/null || ns_die "store_tool bulk $n"
    "$STORE_TOOL" --state-dir /var/lib/oidc-sysauth --no-nscd list >"$data/list" || ns_die "store_tool list"
    python3 "$HERE/nss_data.py" --from-store "$data/list" --out "$data" || ns_die "nss_data"
    size=$(stat -c %s /var/lib/oidc-sysauth/accounts.db 2>/dev/null || echo 0)
    echo "store.bytes_per_1000.$n $(awk -v s="$size" -v n="$n" 'BEGIN{printf "%.1f", s*1000/n}') B" >>"$OUT"
  else
    python3 "$HERE/nss_data.py" --synthetic "$n" --out "$data" || ns_die "nss_data"
  fi
  cp "$data/passwd" /var/lib/extrausers/passwd
  : >/var/lib/extrausers/group
  cp "$data/passwd.cache" /etc/passwd.cache
  cp "$data/passwd.cache.ixname" /etc/passwd.cache.ixname
  cp "$data/passwd.cache.ixuid" /etc/passwd.cache.ixuid
  touch /etc/passwd.cache.ixname /etc/passwd.cache.ixuid
  for src in "${SOURCES[@]}"; do
    if [ "$src" = files ]; then cat "$BASE_PASSWD" "$data/passwd" >/etc/passwd; else cp "$BASE_PASSWD" /etc/passwd; fi
    touch=()
    if [ "$src" = null ]; then
      use_source benchnull
    else
      use_source "$src"
      # One cold read of a random cache line of the store mapping: the memory part of a hit.
      [ "$src" = oidc ] && touch=(--touch=/var/lib/oidc-sysauth/accounts.db)
    fi
    "$NSS_BENCH" --source="$src" --size="$n" --accounts="$data/accounts" "${touch[@]}" >>"$OUT" ||
      echo "status nss.$src.$n failed" >>"$OUT"
    if [ "$n" = "${SIZES[-1]}" ] && [ "$src" != null ]; then
      case $src in
        oidc) mod=libnss_oidc.so.2 ;; files) mod=libnss_files.so.2 ;;
        extrausers) mod=libnss_extrausers.so.2 ;; cache) mod=libnss_cache.so.2 ;;
      esac
      "$NSS_BENCH" --rss --source="$src" --module="$mod" --accounts="$data/accounts" >>"$OUT" ||
        echo "status rss.$src failed" >>"$OUT"
    fi
    # Instructions per call (whole call: glibc + module + the loop), at the largest size:
    # callgrind.nss.<oidc|null>.<op>; the difference is what the module itself executes.
    if [ "$n" = "${SIZES[-1]}" ] && { [ "$src" = oidc ] || [ "$src" = null ]; } && command -v valgrind >/dev/null; then
      ops=(pwnam_hit pwnam_miss pwuid_hit pwuid_miss)
      [ "$src" = null ] && ops=(pwnam_miss pwuid_miss)
      for op in "${ops[@]}"; do
        valgrind --tool=callgrind --callgrind-out-file="$NS_TMP/cg.nss" --instr-atstart=no --collect-atstart=no \
          "$NSS_BENCH" --source="$src" --size="$n" --accounts="$data/accounts" --calls=1000 --op="$op" \
          2>"$NS_TMP/cg.log" >/dev/null
        ir=$(sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$NS_TMP/cg.log")
        [ -n "$ir" ] || continue
        echo "callgrind.nss.$src.$op $((ir / 1000)) Ir" >>"$OUT"
        # The key bench/report.py reads (one getpwnam hit).
        [ "$src.$op" = oidc.pwnam_hit ] && echo "callgrind.nss_lookup.oidc $((ir / 1000)) Ir" >>"$OUT"
      done
    fi
  done
  cp "$BASE_PASSWD" /etc/passwd
  if [[ " ${SOURCES[*]} " == *" oidc "* ]] && [ "$n" = "${SIZES[-1]}" ]; then
    # Store update at this size: a login that changed something (a new account), fsync included.
    # Wall time on a shared machine waits for the CPU too, so the CPU time is kept beside it.
    for i in 1 2 3 4 5; do
      /usr/bin/time -f "cpu_s=%U %S" "$STORE_TOOL" --state-dir /var/lib/oidc-sysauth --no-nscd --passwd /etc/passwd \
        --group /etc/group time-upsert --issuer https://idp.test --subject "bench-new-$i" --name "benchnew$i" \
        2>&1 >/dev/null | sed -n 's/^upsert_us=//p; s/^cpu_s=\([0-9.]*\) \([0-9.]*\)/cpu \1 \2/p' | tr '\n' ' '
      echo
    done >"$NS_TMP/upserts"
    awk '{print $1}' "$NS_TMP/upserts" | sort -n | sed -n 3p |
      awk -v n="$n" '{printf "store.update_ms.%s %.3f ms\n", n, $1/1000}' >>"$OUT"
    awk '{printf "%.0f\n", ($3+$4)*1000}' "$NS_TMP/upserts" | sort -n | sed -n 3p |
      awk -v n="$n" '{printf "store.update_cpu_ms.%s %s ms\n", n, $1}' >>"$OUT"
  fi
done
