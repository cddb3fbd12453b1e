#!/usr/bin/env bash
# A clean Debian 12 root for the package install test, made with debootstrap and cached as a
# tarball so that only the first run pays for the download.
#
#   package_root.sh DEST        unpack (creating the cache first if needed) a fresh root into DEST
#
# The cache key is a hash of the suite, mirror and package list below: changing any of them makes
# a new tarball. Nothing here touches the host's /etc: debootstrap runs in a private mount
# namespace so the /proc and /sys it mounts inside the target vanish with it.
set -euo pipefail

suite=bookworm
cache_dir=/var/cache/oidc-sysauth-ci
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
debootstrap_timeout=900
# What the test needs inside besides minbase: pamtester to drive PAM, and the shared libraries our
# packages depend on, so that installing the .debs needs no download. If a dependency is missing
# here the install test falls back to apt-get against the mirror.
include=pamtester,libcurl4,libssl3,libsasl2-2,libsasl2-modules-db,libinih1,libqrencode4,ca-certificates

die() { echo "package_root: $*" >&2; exit 1; }

# The Debian mirror apt on this host is configured with (deb822 or one-line format).
find_mirror() {
  local uri
  uri="$(grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}' |
    grep -E '/debian/?$' | head -n1 || true)"
  if [ -z "$uri" ]; then
    uri="$(grep -hsE '^deb[[:space:]]' /etc/apt/sources.list /etc/apt/sources.list.d/*.list |
      sed -E 's/\[[^]]*\]//' | awk '{print $2}' | grep -E '/debian/?$' | head -n1 || true)"
  fi
  echo "${uri:-http://deb.debian.org/debian}"
}

compressor() {
  if command -v zstd >/dev/null; then echo "zstd -q -T2 -3"; else echo "gzip -1"; fi
}
decompressor() {
  if command -v zstd >/dev/null; then echo "zstd -q -dc"; else echo "gzip -dc"; fi
}

create_tarball() {
  local mirror="$1" tarball="$2" work
  command -v debootstrap >/dev/null || die "debootstrap is not installed"
  mkdir -p "$cache_dir"
  work="$(mktemp -d "$cache_dir/build.XXXXXX")"
  echo "package_root: debootstrap $suite from $mirror (cold cache, once)" >&2
  if ! timeout "$debootstrap_timeout" unshare --mount --propagation private \
      debootstrap --variant=minbase --keyring="$keyring" --include="$include" \
      "$suite" "$work/root" "$mirror" >"$work/debootstrap.log" 2>&1; then
    tail -n 30 "$work/debootstrap.log" >&2
    rm -rf "$work"
    die "debootstrap failed or took longer than ${debootstrap_timeout}s"
  fi
  # No downloaded .debs in the cache; apt lists are not kept either (debootstrap leaves none).
  rm -rf "$work/root/var/cache/apt/archives/"*.deb
  tar -C "$work/root" --numeric-owner -cf - . | $(compressor) >"$work/root.tar"
  mv "$work/root.tar" "$tarball"
  # Roots made for another key (older package list, mirror) are of no further use.
  find "$cache_dir" -maxdepth 1 -name "$suite-*.tar" ! -name "$(basename "$tarball")" -delete
  rm -rf "$work"
}

main() {
  local dest="${1:?usage: package_root.sh DEST}" mirror key tarball
  mirror="$(find_mirror)"
  key="$(printf '%s\n' "$suite" "$mirror" "$include" "$(compressor)" | sha256sum | cut -c1-16)"
  tarball="$cache_dir/$suite-$key.tar"
  [ -s "$tarball" ] || create_tarball "$mirror" "$tarball"
  mkdir -p "$dest"
  [ -z "$(ls -A "$dest")" ] || die "$dest is not empty"
  $(decompressor) <"$tarball" | tar -C "$dest" --numeric-owner -xf -
  echo "$mirror" >"$dest/.oidc-mirror"
}

main "$@"
