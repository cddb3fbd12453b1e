#!/usr/bin/env bash
# Static checks of the built libnss_oidc.so.2 (STYLE.md rules 2, 3, 9): soname, only
# _nss_oidc_* exported, no libcurl/OpenSSL anywhere in its dependency closure, no
# static constructors of ours, no calls back into NSS (getpw*/getgr*/getsp*).
set -euo pipefail
BUILD="${OIDC_BUILD_DIR:?set OIDC_BUILD_DIR to the build tree}"
MODULE="$BUILD/nss/libnss_oidc.so.2"
[ -f "$MODULE" ] || { echo "FAIL: $MODULE not built (build target nss_oidc)" >&2; exit 1; }

fails=0
check() { if "${@:2}"; then echo "ok   $1"; else echo "FAIL $1"; fails=$((fails + 1)); fi; }

dyn="$(readelf -d -W "$MODULE")"
check "SONAME is libnss_oidc.so.2" grep -q 'Library soname: \[libnss_oidc.so.2\]' <<<"$dyn"
check "no libcurl/libssl/libcrypto in NEEDED" bash -c '! grep -Eq "NEEDED.*(libcurl|libssl|libcrypto|libgnutls|libnghttp)" <<<"$0"' "$dyn"
closure="$(ldd "$MODULE")"
check "no libcurl/libssl/libcrypto in the ldd closure" bash -c '! grep -Eq "(libcurl|libssl|libcrypto|libgnutls|libnghttp)" <<<"$0"' "$closure"
check "every dependency resolves" bash -c '! grep -q "not found" <<<"$0"' "$closure"

exported="$(nm -D --defined-only "$MODULE" | awk '$2 ~ /^[TDBRVWiu]$/ {print $3}' | sort)"
check "exports only _nss_oidc_*" bash -c '[ -n "$0" ] && ! grep -v "^_nss_oidc_" <<<"$0"' "$exported"
for f in getpwnam_r getpwuid_r setpwent getpwent_r endpwent getgrnam_r getgrgid_r setgrent getgrent_r endgrent \
         initgroups_dyn getspnam_r setspent getspent_r endspent; do
  check "exports _nss_oidc_$f" grep -qx "_nss_oidc_$f" <<<"$exported"
done

undefined="$(nm -D --undefined-only "$MODULE" | awk '{print $2}' | sed 's/@.*//')"
check "never calls getpw*/getgr*/getsp*/initgroups (no NSS recursion)" \
  bash -c '! grep -Eq "^(getpw|getgr|getsp|initgroups|getgrouplist)" <<<"$0"' "$undefined"
check "starts no threads" bash -c '! grep -Eq "^pthread_create$" <<<"$0"' "$undefined"
check "no openlog/closelog" bash -c '! grep -Eq "^(openlog|closelog)$" <<<"$0"' "$undefined"
if nm "$MODULE" >/dev/null 2>&1; then
  check "no static constructors (_GLOBAL__sub_I_*)" bash -c '! nm "$0" | grep -q "_GLOBAL__sub_I_"' "$MODULE"
fi

echo "nss_module_abi: $fails failure(s)"
[ "$fails" -eq 0 ]
