// The ctest fixture `idp` hands every integration test a readable env file with the keys
// tests/idp/CONTRACT.md promises; this pins that hand-over (fixture + OIDC_IDP_ENV + idp_env.hpp).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <string>

#include "idp_env.hpp"

namespace oidc_sysauth::testing {
namespace {

TEST(IdpEnv, HasEveryContractKey) {
  const IdpEnv env = read_idp_env();
  for (const char* key :
       {"IDP_ISSUER", "IDP_KEYCLOAK_ISSUER", "IDP_LOGTO_ISSUER", "IDP_LOGTO_ENDPOINT", "IDP_HTTP_ISSUER",
        "IDP_CA", "IDP_BADNAME_ISSUER", "IDP_UNTRUSTED_ISSUER", "IDP_ADMIN", "IDP_CLIENT_ID",
        "IDP_CLIENT_SECRET", "IDP_CLIENT_SECRET_FILE", "IDP_PUBLIC_CLIENT_ID", "IDP_LOGTO_M2M_CLIENT_ID",
        "IDP_LOGTO_M2M_SECRET_FILE", "IDP_PID"}) {
    EXPECT_FALSE(idp_value(env, key).empty()) << key;
  }
  EXPECT_EQ(idp_value(env, "IDP_ISSUER").rfind("https://127.0.0.1:", 0), 0U);
  EXPECT_EQ(idp_value(env, "IDP_HTTP_ISSUER").rfind("http://127.0.0.1:", 0), 0U);
  EXPECT_EQ(idp_value(env, "IDP_CLIENT_ID"), "linux-hosts");
}

TEST(IdpEnv, SecretFilesAreOwnerOnly) {
  const IdpEnv env = read_idp_env();
  for (const char* key : {"IDP_CLIENT_SECRET_FILE", "IDP_LOGTO_M2M_SECRET_FILE"}) {
    struct stat st {};
    ASSERT_EQ(::stat(idp_value(env, key).c_str(), &st), 0) << key;
    EXPECT_EQ(st.st_mode & 0777, 0600U) << key;
  }
}

TEST(IdpEnv, ServerIsRunning) {
  const IdpEnv env = read_idp_env();
  const int pid = std::stoi(idp_value(env, "IDP_PID"));
  EXPECT_EQ(::kill(pid, 0), 0);
}

TEST(IdpEnv, MissingKeyIsNamed) {
  const IdpEnv env;
  try {
    (void)idp_value(env, "IDP_NOPE");
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("IDP_NOPE"), std::string::npos);
  }
}

}  // namespace
}  // namespace oidc_sysauth::testing
