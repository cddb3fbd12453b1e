# Hardening for code that runs inside sshd, sudo and every NSS client.
add_compile_options(
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion -Wformat=2 -Wformat-security
  -fstack-protector-strong -fstack-clash-protection -fcf-protection -fno-strict-aliasing)
if(NOT CMAKE_BUILD_TYPE STREQUAL "Debug" AND NOT OIDC_SANITIZE)
  add_compile_definitions(_FORTIFY_SOURCE=2)
endif()
add_link_options(-Wl,-z,relro -Wl,-z,now -Wl,-z,noexecstack -Wl,--as-needed)
if(OIDC_WARNINGS_AS_ERRORS)
  add_compile_options(-Werror)
endif()
if(OIDC_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()

# A loadable module: exports only what its version script names, refuses undefined symbols.
function(oidc_module target version_script)
  set_target_properties(${target} PROPERTIES PREFIX "" LINK_DEPENDS "${version_script}")
  target_link_options(${target} PRIVATE "-Wl,--version-script=${version_script}")
  if(NOT OIDC_SANITIZE)
    target_link_options(${target} PRIVATE -Wl,-z,defs)
  endif()
endfunction()
