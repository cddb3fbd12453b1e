// The plugin's only exported symbols. Thin: check the version, hand over, catch everything.
#include <new>

#include "sasl_plugin.hpp"

extern "C" {

__attribute__((visibility("default"))) int sasl_server_plug_init(const sasl_utils_t* utils, int max_version,
                                                                 int* out_version, sasl_server_plug_t** pluglist,
                                                                 int* plugcount) noexcept {
  if (utils == nullptr || out_version == nullptr || pluglist == nullptr || plugcount == nullptr) return SASL_BADPARAM;
  try {
    return oidc_sysauth::sasl::server_plug_init(utils, max_version, out_version, pluglist, plugcount);
  } catch (const std::bad_alloc&) {
    return SASL_NOMEM;
  } catch (...) {
    return SASL_FAIL;
  }
}

__attribute__((visibility("default"))) int sasl_client_plug_init(const sasl_utils_t* utils, int max_version,
                                                                 int* out_version, sasl_client_plug_t** pluglist,
                                                                 int* plugcount) noexcept {
  if (utils == nullptr || out_version == nullptr || pluglist == nullptr || plugcount == nullptr) return SASL_BADPARAM;
  try {
    return oidc_sysauth::sasl::client_plug_init(utils, max_version, out_version, pluglist, plugcount);
  } catch (const std::bad_alloc&) {
    return SASL_NOMEM;
  } catch (...) {
    return SASL_FAIL;
  }
}

}  // extern "C"
