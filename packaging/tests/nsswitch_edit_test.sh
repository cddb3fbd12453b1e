#!/usr/bin/env bash
# libnss-oidc's maintainer scripts on sample nsswitch.conf files (never the host's): postinst adds
# oidc where expected and is idempotent; postrm purge restores the original byte for byte.
#   nsswitch_edit_test.sh DEBIAN_DIR
set -euo pipefail

debian="${1:?usage: nsswitch_edit_test.sh packaging/debian}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
failures=0

# The maintainer script with its target file replaced by FILE.
script_for() {
  local name="$1" file="$2"
  sed -e "s#^nsswitch=/etc/nsswitch.conf\$#nsswitch='$file'#" -e "s#^state=/var/lib/libnss-oidc\$#state='$file.state'#" \
    -e '/#DEBHELPER#/d' "$debian/$name" \
    >"$work/$name.sh"
  grep -q "^nsswitch='$file'" "$work/$name.sh" && grep -q "^state='$file.state'" "$work/$name.sh" ||
    { echo "cannot retarget $name" >&2; exit 2; }
  echo "$work/$name.sh"
}

# check NAME INPUT EXPECTED: printf-style strings.
check() {
  local name="$1" input="$2" expected="$3" f="$work/$1.conf" post postrm
  printf "$input" >"$f"
  printf "$input" >"$f.orig"
  printf "$expected" >"$f.expected"
  post="$(script_for libnss-oidc.postinst "$f")"
  postrm="$(script_for libnss-oidc.postrm "$f")"
  sh "$post" configure "" 2>/dev/null
  if ! cmp -s "$f" "$f.expected"; then
    echo "FAIL $name: postinst result differs"; diff "$f.expected" "$f" || true; failures=$((failures + 1)); return
  fi
  sh "$post" configure "" 2>/dev/null
  cmp -s "$f" "$f.expected" || { echo "FAIL $name: not idempotent"; failures=$((failures + 1)); return; }
  sh "$post" configure "0.0.9" 2>/dev/null   # an upgrade changes nothing
  cmp -s "$f" "$f.expected" || { echo "FAIL $name: upgrade changed it"; failures=$((failures + 1)); return; }
  sh "$postrm" remove
  cmp -s "$f" "$f.expected" || { echo "FAIL $name: remove (not purge) changed it"; failures=$((failures + 1)); return; }
  sh "$postrm" purge
  if ! cmp -s "$f" "$f.orig"; then
    echo "FAIL $name: purge did not restore the original"; diff "$f.orig" "$f" || true; failures=$((failures + 1)); return
  fi
  [ ! -e "$f.state" ] || { echo "FAIL $name: state left behind"; failures=$((failures + 1)); return; }
  echo "ok   $name"
}

check debian12-default \
  'passwd:         files\ngroup:          files\nshadow:         files\ngshadow:        files\n\nhosts:          files dns\n' \
  'passwd:         files oidc\ngroup:          files [SUCCESS=merge] oidc\nshadow:         files oidc\ngshadow:        files\n\nhosts:          files dns\n'
check with-systemd \
  'passwd:         files systemd\ngroup:          files systemd\nshadow:         files\n' \
  'passwd:         files oidc systemd\ngroup:          files [SUCCESS=merge] oidc systemd\nshadow:         files oidc\n'
check actions-stay-with-files \
  'passwd: files [NOTFOUND=return] sss\ngroup: files [SUCCESS=merge] systemd\nshadow: files\n' \
  'passwd: files [NOTFOUND=return] oidc sss\ngroup: files [SUCCESS=merge] oidc systemd\nshadow: files oidc\n'
check compat-and-comments \
  'passwd:\tcompat # local\ngroup: compat\t# local\nshadow: compat\n# passwd: files\n' \
  'passwd:\tcompat oidc # local\ngroup: compat [SUCCESS=merge] oidc\t# local\nshadow: compat oidc\n# passwd: files\n'
check no-files-source \
  'passwd: sss\ngroup: sss   \nshadow: sss\n' \
  'passwd: sss oidc\ngroup: sss [SUCCESS=merge] oidc   \nshadow: sss oidc\n'
check no-final-newline \
  'passwd: files\ngroup: files\nshadow: files' \
  'passwd: files oidc\ngroup: files [SUCCESS=merge] oidc\nshadow: files oidc'
check already-configured-is-kept \
  'passwd: files oidc\ngroup: files oidc\nshadow: files\n' \
  'passwd: files oidc\ngroup: files oidc\nshadow: files oidc\n'
check no-shadow-line \
  'passwd: files\ngroup: files\n' \
  'passwd: files oidc\ngroup: files [SUCCESS=merge] oidc\n'

# Changed by the administrator after installation: purge removes only the oidc entries.
f="$work/edited.conf"
printf 'passwd: files\ngroup: files\nshadow: files\n' >"$f"
sh "$(script_for libnss-oidc.postinst "$f")" configure "" 2>/dev/null
printf 'hosts: files dns\n' >>"$f"
sh "$(script_for libnss-oidc.postrm "$f")" purge 2>/dev/null
if [ "$(cat "$f")" = "$(printf 'passwd: files\ngroup: files\nshadow: files\nhosts: files dns')" ] && [ ! -e "$f.state" ]; then
  echo "ok   edited-after-install"; else echo "FAIL edited-after-install"; cat "$f"; failures=$((failures + 1)); fi

# A symlinked nsswitch.conf stays a symlink.
printf 'passwd: files\n' >"$work/real.conf"
ln -s "$work/real.conf" "$work/link.conf"
printf 'passwd: files\n' >"$work/real.orig"
sh "$(script_for libnss-oidc.postinst "$work/link.conf")" configure "" 2>/dev/null
grep -q '^passwd: files oidc$' "$work/real.conf" || echo "postinst did not edit the symlink's target"
sh "$(script_for libnss-oidc.postrm "$work/link.conf")" purge 2>/dev/null
if [ -L "$work/link.conf" ] && cmp -s "$work/real.conf" "$work/real.orig"; then echo "ok   symlink"; else
  echo "FAIL symlink"; failures=$((failures + 1)); fi

[ "$failures" -eq 0 ] || { echo "$failures failure(s)"; exit 1; }
