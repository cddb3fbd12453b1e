#!/usr/bin/env bash
# Every subcommand (and every long option) that `oidc-sysauth --help` lists is documented in
# oidc-sysauth(1), so the page cannot silently fall behind the CLI.
#   man_cli_test.sh PATH/TO/oidc-sysauth PATH/TO/oidc-sysauth.1
set -euo pipefail

cli="${1:?usage: man_cli_test.sh CLI MANPAGE}"
page="${2:?usage: man_cli_test.sh CLI MANPAGE}"
[ -s "$page" ] || { echo "missing $page: build the man target" >&2; exit 1; }

# roff → searchable text: drop font changes, unescape hyphens.
text="$(sed -E -e 's/\\f(\[[A-Z]*\]|[A-Z])//g' -e 's/\\-/-/g' "$page")"
commands_section="$(printf '%s\n' "$text" | sed -n '/^\.SH COMMANDS$/,/^\.SH /p')"
[ -n "$commands_section" ] || { echo "no COMMANDS section in $page" >&2; exit 1; }

# The subcommands CLI11 lists under "SUBCOMMANDS:" (any case) in `--help`.
subcommands_of() {
  "$cli" "$@" --help 2>&1 | awk 'tolower($0) ~ /^subcommands:$/ {on=1; next} on && /^[[:space:]]*$/ {on=0} on {print $1}'
}
long_options_of() {
  "$cli" "$@" --help 2>&1 | grep -oE -- '--[a-z][a-z-]*' | sort -u
}

failures=0 checked=0
check_in() {  # check_in WHAT HAYSTACK NEEDLE-REGEX
  checked=$((checked + 1))
  # A here-string, not a pipe: grep -q exits at its first match, and under pipefail the
  # writer's SIGPIPE would then count as a miss.
  if ! grep -qE -- "$3" <<<"$2"; then
    echo "FAIL: $1 is not in $(basename "$page")"
    failures=$((failures + 1))
  fi
}

top="$(subcommands_of)"
[ -n "$top" ] || { echo "could not read subcommands from '$cli --help'" >&2; exit 1; }
for opt in $(long_options_of); do check_in "option $opt" "$text" "(^|[^a-z-])$opt([^a-z-]|$)"; done
for sub in $top; do
  check_in "command '$sub'" "$commands_section" "^$sub( |$)"
  for opt in $(long_options_of "$sub"); do check_in "option '$sub $opt'" "$text" "(^|[^a-z-])$opt([^a-z-]|$)"; done
  for subsub in $(subcommands_of "$sub"); do
    check_in "command '$sub $subsub'" "$commands_section" "^$sub $subsub( |$)"
    for opt in $(long_options_of "$sub" "$subsub"); do
      check_in "option '$sub $subsub $opt'" "$text" "(^|[^a-z-])$opt([^a-z-]|$)"
    done
  done
done
echo "$checked checks, $failures failure(s)"
[ "$failures" -eq 0 ]
