// The benchmarks' own small libcurl calls to the test IdP (its admin API, discovery, JWKS):
// set-up and bookkeeping around what is measured, never the measured path itself.
#pragma once

#include <curl/curl.h>

#include <string>

#include "bench_util.hpp"

namespace oidc_sysauth::bench {

inline size_t append_cb(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

// One request (http, or https trusting `ca` when given); the body of the answer, or die().
inline std::string http(const std::string& method, const std::string& url, const std::string& ca,
                        const std::string& body = "") {
  CURL* c = curl_easy_init();
  if (c == nullptr) die("curl_easy_init failed");
  std::string out;
  curl_slist* h = curl_slist_append(nullptr, "Content-Type: application/json");
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
  if (!body.empty() || method == "POST") curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &append_cb);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &out);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
  if (!ca.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, ca.c_str());
  const CURLcode rc = curl_easy_perform(c);
  curl_slist_free_all(h);
  curl_easy_cleanup(c);
  if (rc != CURLE_OK) die(method + " " + url + ": " + curl_easy_strerror(rc));
  return out;
}

}  // namespace oidc_sysauth::bench
