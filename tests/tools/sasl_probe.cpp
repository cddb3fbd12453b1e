// sasl_probe: one server-side SASL exchange through the real libsasl2 and our plugin, for e2e
// scripts that need SASL inside a namespace without a mail or LDAP server.
//   sasl_probe PLUGIN_DIR CONFIG SERVICE MECH MESSAGE_FILE
// The client's first message is read from MESSAGE_FILE (raw bytes, NULs allowed). After an
// error challenge the probe acknowledges it as a real client does (OAUTHBEARER: "\x01").
// Prints one line: "rc=<name> user=<SASL_USERNAME or ->"; exit 0 only on SASL_OK.
#include <sasl/sasl.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>

namespace {

std::string g_plugin_dir, g_config;

int getopt_cb(void*, const char*, const char* option, const char** result, unsigned* len) {
  if (option == nullptr || std::string_view(option) != "oidc_config") return SASL_FAIL;
  *result = g_config.c_str();
  if (len != nullptr) *len = static_cast<unsigned>(g_config.size());
  return SASL_OK;
}
int getpath_cb(void*, const char** path) {
  *path = g_plugin_dir.c_str();
  return SASL_OK;
}
int log_cb(void*, int, const char* message) {
  std::fprintf(stderr, "sasl: %s\n", message != nullptr ? message : "");
  return SASL_OK;
}
using CallbackFn = int (*)(void);
template <typename F>
CallbackFn cb(F* f) {
  return reinterpret_cast<CallbackFn>(reinterpret_cast<void (*)()>(f));
}
const sasl_callback_t kCallbacks[] = {
    {SASL_CB_LOG, cb(&log_cb), nullptr},
    {SASL_CB_GETOPT, cb(&getopt_cb), nullptr},
    {SASL_CB_GETPATH, cb(&getpath_cb), nullptr},
    {SASL_CB_LIST_END, nullptr, nullptr},
};

int report(sasl_conn_t* conn, int rc) {
  const void* user = nullptr;
  if (rc != SASL_OK || sasl_getprop(conn, SASL_USERNAME, &user) != SASL_OK) user = nullptr;
  std::printf("rc=%s user=%s\n", sasl_errstring(rc, nullptr, nullptr),
              user != nullptr ? static_cast<const char*>(user) : "-");
  return rc == SASL_OK ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 6) {
    std::fprintf(stderr, "usage: sasl_probe PLUGIN_DIR CONFIG SERVICE MECH MESSAGE_FILE\n");
    return 2;
  }
  g_plugin_dir = argv[1];
  g_config = argv[2];
  std::ifstream in(argv[5], std::ios::binary);
  const std::string message((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (sasl_server_init(kCallbacks, "oidc-sasl-probe") != SASL_OK) return 2;
  sasl_conn_t* conn = nullptr;
  if (sasl_server_new(argv[3], "localhost", nullptr, "127.0.0.1;25", "127.0.0.1;40000", nullptr, 0, &conn) != SASL_OK)
    return 2;
  const char* out = nullptr;
  unsigned outlen = 0;
  int rc = sasl_server_start(conn, argv[4], message.data(), static_cast<unsigned>(message.size()), &out, &outlen);
  if (rc == SASL_CONTINUE) {
    const std::string ack = std::string_view(argv[4]) == "OAUTHBEARER" ? "\x01" : "";
    rc = sasl_server_step(conn, ack.data(), static_cast<unsigned>(ack.size()), &out, &outlen);
  }
  const int status = report(conn, rc);
  sasl_dispose(&conn);
  sasl_done();
  return status;
}
