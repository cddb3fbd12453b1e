# shellcheck shell=bash
# Run an end-to-end test inside a private mount + PID namespace, so real sshd, sudo,
# pamtester, saslauthd... authenticate through test PAM stacks and a test nsswitch.conf
# while the host's own files stay byte-identical (DEVELOPERS.md rule 3, NOTES-E2E.md).
#
# Usage, at the top of a test script (bash):
#   . "$(dirname "$0")/../lib/ns.sh"
#   ns_reexec "$@"      # outside: re-runs this script inside the namespace, then proves
#                       # the host files unchanged; only returns when already inside
#   ns_private_etc      # /etc, /var/lib, /var/log become copy-on-write; /run, /home, /tmp fresh
#   ns_write /etc/pam.d/mytest <<'EOF' ... EOF
#   ns_nsswitch "files oidc"           # passwd/group/shadow lines
#   ns_nss_module /path/libnss_oidc.so.2
#
# Everything created inside lives under $NS_TMP, on a tmpfs that disappears with the namespace.

NS_HOST_FILES=(/etc/passwd /etc/group /etc/shadow /etc/gshadow /etc/nsswitch.conf /etc/sudoers /etc/hosts)
NS_HOST_DIRS=(/etc/pam.d /etc/sudoers.d /etc/ssh /etc/security /etc/ld.so.conf.d /etc/sasl2)

ns_log() { printf '[%s] %s\n' "$(basename "$0")" "$*" >&2; }
ns_die() {
  ns_log "FAIL: $*"
  exit 1
}

# Fingerprint of what a test could touch by mistake: the contents of the auth files and
# directories, and whether our own config/state directories appeared on the host.
ns_host_fingerprint() {
  {
    for f in "${NS_HOST_FILES[@]}"; do
      if [ -e "$f" ]; then sha256sum "$f"; else echo "absent $f"; fi
    done
    for d in "${NS_HOST_DIRS[@]}"; do
      [ -d "$d" ] && find "$d" -xdev -type f -print0 | sort -z | xargs -0 -r sha256sum
    done
    # Not the cache's bytes (a concurrent apt run rebuilds it legitimately): whether it names
    # a test library directory, which only a leaked ldconfig could do.
    ldconfig -p | grep -c 'oidc-e2e' | sed 's/^/ld.so.cache entries from tests: /'
    [ -e /var/lib/oidc-sysauth ] && echo "present /var/lib/oidc-sysauth"
    [ -e /etc/oidc-sysauth ] && echo "present /etc/oidc-sysauth"
  } 2>&1
}

ns_inside() { [ -n "${NS_OUTER_MNT:-}" ] && [ "$(readlink /proc/self/ns/mnt)" != "$NS_OUTER_MNT" ]; }

# The checkout and build tree may themselves live under /tmp (a CI clone often does): after
# the private tmpfs covers /tmp, bind the host's copies of those top-level /tmp entries back,
# reached through a descriptor opened on the host's /tmp before it was covered.
ns_keep_from_host_tmp() {
  local fd=$1 script_dir=$2 path top
  for path in "$script_dir" "${OIDC_BUILD_DIR:-}" "${OIDC_SOURCE_DIR:-}" "${OIDC_IDP_ENV:-}"; do
    case "$path" in
      /tmp/?*) ;;
      *) continue ;;
    esac
    top=${path#/tmp/}
    top=${top%%/*}
    [ -e "/tmp/$top" ] && continue
    mkdir -p "/tmp/$top" && mount --no-canonicalize --bind "/proc/self/fd/$fd/$top" "/tmp/$top" ||
      ns_die "could not keep /tmp/$top visible inside the namespace"
  done
}

# Outside: fingerprint, run "$0 $@" under unshare, compare, exit with its status.
# Inside: a private tmpfs on /tmp holds $NS_TMP (scratch files, overlay upper layers), so
# nothing a test writes can outlive the namespace or be disturbed by cleaners of the host's /tmp.
ns_reexec() {
  if ns_inside; then
    if [ -z "${NS_TMP:-}" ]; then
      local host_tmp script_dir
      script_dir=$(cd "$(dirname "$0")" && pwd)
      exec {host_tmp}</tmp
      mount -t tmpfs -o mode=1777 tmpfs /tmp || ns_die "tmpfs /tmp"
      ns_keep_from_host_tmp "$host_tmp" "$script_dir"
      exec {host_tmp}<&-
      NS_TMP=$(mktemp -d /tmp/oidc-e2e.XXXXXX)
      chmod 755 "$NS_TMP"
      export NS_TMP
    fi
    return 0
  fi
  [ "$(id -u)" = 0 ] || ns_die "needs root (private mount namespace)"
  local before after status
  before=$(ns_host_fingerprint)
  NS_OUTER_MNT=$(readlink /proc/self/ns/mnt) NS_TMP='' \
    unshare --mount --propagation private --pid --fork --mount-proc bash "$0" "$@"
  status=$?
  ns_log "namespace finished with status $status"
  after=$(ns_host_fingerprint)
  if [ "$before" != "$after" ]; then
    diff <(echo "$before") <(echo "$after") >&2
    ns_log "FAIL: host files changed"
    status=99
  else
    ns_log "host /etc files byte-identical after the test"
  fi
  exit "$status"
}

# A copy-on-write view of a host directory: reads see the host, writes land in $NS_TMP.
ns_overlay() {
  local dir=$1 key
  key=$(echo "$dir" | tr / _)
  mkdir -p "$NS_TMP/ovl/$key/up" "$NS_TMP/ovl/$key/work"
  mount -t overlay overlay -o "lowerdir=$dir,upperdir=$NS_TMP/ovl/$key/up,workdir=$NS_TMP/ovl/$key/work" "$dir" ||
    ns_die "overlay on $dir"
}

ns_private_etc() {
  ns_inside || ns_die "ns_private_etc called outside the namespace"
  mount --make-rprivate / 2>/dev/null
  ns_overlay /etc
  ns_overlay /var/lib
  ns_overlay /var/log
  ns_overlay /var/cache
  mount -t tmpfs -o mode=755 tmpfs /run || ns_die "tmpfs /run"
  mkdir -m 755 /run/sshd
  mount -t tmpfs -o mode=755 tmpfs /home || ns_die "tmpfs /home"
  # Logins write these; keep them empty and private.
  local f
  for f in /var/log/wtmp /var/log/btmp /var/log/lastlog /var/log/faillog; do : >"$f"; done
  mkdir -p /run/faillock
}

# ns_write PATH [MODE]: stdin → PATH inside the namespace (root-owned).
ns_write() {
  local path=$1 mode=${2:-644}
  mkdir -p "$(dirname "$path")"
  cat >"$path" || ns_die "write $path"
  chown root:root "$path"
  chmod "$mode" "$path"
}

# passwd, group and shadow through "files <extra>" (e.g. "files oidc").
ns_nsswitch() {
  local extra=$1
  ns_write /etc/nsswitch.conf <<EOF
passwd:         files $extra
group:          files $extra
shadow:         files $extra
gshadow:        files
hosts:          files
networks:       files
protocols:      files
services:       files
ethers:         files
rpc:            files
netgroup:       files
EOF
}

# Makes an NSS module loadable by its soname inside the namespace: the directory is added to
# the (copy-on-write) ld.so.conf and the cache rebuilt without touching any library directory.
ns_nss_module() {
  local module=$1 dir
  [ -f "$module" ] || ns_die "no NSS module at $module"
  dir=$NS_TMP/nsslib
  mkdir -p "$dir"
  cp "$module" "$dir/$(basename "$module")"
  chmod 755 "$dir"
  echo "$dir" | ns_write /etc/ld.so.conf.d/00-oidc-e2e.conf
  ldconfig -X || ns_die "ldconfig"
}

# ns_add_local_user NAME UID [GROUPS] — a local account in the namespace's passwd/shadow.
ns_add_local_user() {
  local name=$1 uid=$2
  echo "$name:x:$uid:$uid:$name:/home/$name:/bin/sh" >>/etc/passwd
  echo "$name:x:$uid:" >>/etc/group
  echo "$name:!:19000:0:99999:7:::" >>/etc/shadow
}

# ns_set_password NAME PASSWORD — a real crypt hash in the namespace's shadow.
ns_set_password() {
  echo "$1:$2" | chpasswd || ns_die "chpasswd $1"
}

# Bounded wait for a TCP port on 127.0.0.1.
ns_wait_port() {
  local port=$1 i
  for i in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    sleep 0.05
  done
  ns_die "nothing listening on 127.0.0.1:$port"
}

# A free loopback port (bounded attempts).
ns_free_port() {
  local port i
  for i in $(seq 1 50); do
    port=$((20000 + RANDOM % 20000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return 0
    fi
  done
  ns_die "no free port"
}

# Test assertions with a running count.
NS_FAILURES=0
ns_check() {
  local what=$1
  shift
  if "$@"; then
    ns_log "ok: $what"
  else
    ns_log "NOT OK: $what"
    NS_FAILURES=$((NS_FAILURES + 1))
  fi
}
ns_finish() {
  if [ "$NS_FAILURES" -ne 0 ]; then
    ns_log "$NS_FAILURES check(s) failed"
    exit 1
  fi
  ns_log "all checks passed"
  exit 0
}

NS_LIB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# Path of the test IdP's env file: the ctest fixture's (OIDC_IDP_ENV) or, when a script is run
# by hand, a private IdP started inside the namespace (it dies with the namespace).
ns_idp_env() {
  if [ -n "${OIDC_IDP_ENV:-}" ] && [ -f "$OIDC_IDP_ENV" ]; then
    echo "$OIDC_IDP_ENV"
    return 0
  fi
  "$NS_LIB/idpctl" start "$NS_TMP/idp" >/dev/null || ns_die "could not start the test IdP"
  echo "$NS_TMP/idp/env"
}

# A private /dev/log: /dev becomes copy-on-write (with its own devpts and shm), and a small
# receiver appends every syslog datagram to $NS_SYSLOG, so tests can read what modules logged.
NS_SYSLOG=
ns_syslog() {
  ns_overlay /dev
  mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts /dev/pts || ns_die "devpts"
  ln -sf pts/ptmx /dev/ptmx
  mount -t tmpfs -o mode=1777 tmpfs /dev/shm || ns_die "tmpfs /dev/shm"
  NS_SYSLOG=$NS_TMP/syslog
  : >"$NS_SYSLOG"
  python3 - "$NS_SYSLOG" <<'PY' &
import os, socket, sys, time
out = open(sys.argv[1], "ab", buffering=0)
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/dev/log")
os.chmod("/dev/log", 0o666)
s.settimeout(1.0)
deadline = time.time() + 3600
while time.time() < deadline:
    try:
        data = s.recv(65536)
    except socket.timeout:
        continue
    out.write(data.rstrip(b"\0\n") + b"\n")
PY
  echo $! >"$NS_TMP/syslog.pid"
  local i
  for i in $(seq 1 100); do
    [ -S /dev/log ] && return 0
    sleep 0.05
  done
  ns_die "syslog receiver did not start"
}
