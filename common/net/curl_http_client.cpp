// The one file that includes <curl/curl.h> (STYLE.md rule 7).
#include "net/curl_http_client.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <strings.h>
#include <mutex>
#include <string>
#include <vector>

#include "net/url.hpp"

namespace oidc_sysauth {
namespace {

constexpr std::size_t kMaxHeaderBytes = 64 * 1024;
constexpr std::size_t kMaxIdleHandles = 4;
constexpr const char* kDebianCaBundle = "/etc/ssl/certs/ca-certificates.crt";
constexpr const char* kDebianCaPath = "/etc/ssl/certs";

struct EasyDeleter {
  void operator()(CURL* h) const noexcept { curl_easy_cleanup(h); }
};
struct UrlDeleter {
  void operator()(CURLU* u) const noexcept { curl_url_cleanup(u); }
};
struct CurlStringDeleter {
  void operator()(char* s) const noexcept { curl_free(s); }
};
// Header lists may hold an Authorization value: wipe every entry before freeing.
struct SlistDeleter {
  void operator()(curl_slist* list) const noexcept {
    for (curl_slist* p = list; p != nullptr; p = p->next) {
      if (p->data != nullptr) secure_zero(p->data, std::strlen(p->data));
    }
    curl_slist_free_all(list);
  }
};
using EasyPtr = std::unique_ptr<CURL, EasyDeleter>;
using UrlPtr = std::unique_ptr<CURLU, UrlDeleter>;
using CurlString = std::unique_ptr<char, CurlStringDeleter>;
using SlistPtr = std::unique_ptr<curl_slist, SlistDeleter>;

// curl_global_init exactly once per process; never cleaned up (we live inside hosts
// that may use libcurl themselves, and unloading order is theirs).
std::once_flag g_curl_once;
CURLcode g_curl_init_rc = CURLE_FAILED_INIT;

// A growable byte buffer that wipes every block it lets go of: bodies hold tokens.
class WipingBuffer {
 public:
  WipingBuffer() = default;
  WipingBuffer(const WipingBuffer&) = delete;
  WipingBuffer& operator=(const WipingBuffer&) = delete;
  ~WipingBuffer() { release(); }

  void append(const char* data, std::size_t n) {
    if (size_ + n > capacity_) grow(std::max(size_ + n, capacity_ * 2 + 256));
    std::memcpy(data_.get() + size_, data, n);
    size_ += n;
  }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] Secret take() {
    Secret out(std::string_view(data_.get() == nullptr ? "" : data_.get(), size_));
    release();
    return out;
  }

 private:
  void grow(std::size_t capacity) {
    auto bigger = std::make_unique<char[]>(capacity);
    if (size_ > 0) std::memcpy(bigger.get(), data_.get(), size_);
    const std::size_t keep = size_;
    release();
    data_ = std::move(bigger);
    size_ = keep;
    capacity_ = capacity;
  }
  void release() noexcept {
    if (data_) secure_zero(data_.get(), capacity_);
    data_.reset();
    size_ = 0;
    capacity_ = 0;
  }
  std::unique_ptr<char[]> data_;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
};

struct ResponseSink {
  WipingBuffer body;
  std::size_t max_body = 0;
  bool body_too_large = false;
  std::map<std::string, std::string> headers;
  std::size_t header_bytes = 0;
  bool headers_too_large = false;
};

std::size_t write_body(char* data, std::size_t size, std::size_t nmemb, void* user) noexcept {
  auto* sink = static_cast<ResponseSink*>(user);
  const std::size_t n = size * nmemb;
  if (n > sink->max_body || sink->body.size() > sink->max_body - n) {
    sink->body_too_large = true;
    return 0;  // makes curl abort with CURLE_WRITE_ERROR
  }
  try {
    sink->body.append(data, n);
  } catch (...) {
    return 0;
  }
  return n;
}

std::string trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

std::size_t write_header(char* data, std::size_t size, std::size_t nmemb, void* user) noexcept {
  auto* sink = static_cast<ResponseSink*>(user);
  const std::size_t n = size * nmemb;
  sink->header_bytes += n;
  if (sink->header_bytes > kMaxHeaderBytes) {
    sink->headers_too_large = true;
    return 0;
  }
  try {
    std::string_view line(data, n);
    if (line.starts_with("HTTP/")) {  // a new response (after 100-continue): forget the old one
      sink->headers.clear();
      return n;
    }
    auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) return n;
    std::string name = trim(line.substr(0, colon));
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    std::string value = trim(line.substr(colon + 1));
    auto [it, inserted] = sink->headers.try_emplace(name, value);
    if (!inserted) it->second += ", " + value;
  } catch (...) {
    return 0;
  }
  return n;
}

// Applies options in order and remembers the first failure: every setopt is checked.
class Options {
 public:
  explicit Options(CURL* h) noexcept : h_(h) {}
  template <typename T>
  Options& set(CURLoption option, T value) noexcept {
    if (rc_ == CURLE_OK) {
      rc_ = curl_easy_setopt(h_, option, value);
      if (rc_ != CURLE_OK) failed_ = option;
    }
    return *this;
  }
  [[nodiscard]] Result<Ok> result() const {
    if (rc_ == CURLE_OK) return Ok{};
    return fail(ErrorCode::kInternal,
                "curl_easy_setopt(" + std::to_string(static_cast<int>(failed_)) + "): " + curl_easy_strerror(rc_),
                "curl_setopt");
  }

 private:
  CURL* h_;
  CURLcode rc_ = CURLE_OK;
  CURLoption failed_ = CURLOPT_URL;
};

struct TargetUrl {
  UrlPtr handle;
  std::string scheme;
  std::string host;
  long port = 0;
};

std::string url_part(CURLU* url, CURLUPart part, unsigned flags = 0) {
  char* raw = nullptr;
  if (curl_url_get(url, part, &raw, flags) != CURLUE_OK || raw == nullptr) return {};
  CurlString owned(raw);
  return std::string(owned.get());
}

// Parses with curl's own parser (what it will connect to is what we check).
Result<TargetUrl> parse_target(const std::string& url, bool allow_http_loopback) {
  TargetUrl t;
  t.handle.reset(curl_url());
  if (!t.handle) return fail(ErrorCode::kNoMemory, "curl_url failed");
  if (curl_url_set(t.handle.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK)
    return fail(ErrorCode::kMisconfigured, "unparsable URL", "bad_url");
  t.scheme = url_part(t.handle.get(), CURLUPART_SCHEME);
  t.host = url_part(t.handle.get(), CURLUPART_HOST);
  std::string port = url_part(t.handle.get(), CURLUPART_PORT, CURLU_DEFAULT_PORT);
  if (!url_part(t.handle.get(), CURLUPART_USER).empty() || !url_part(t.handle.get(), CURLUPART_PASSWORD).empty())
    return fail(ErrorCode::kMisconfigured, "credentials in URL refused", "bad_url");
  t.port = std::strtol(port.c_str(), nullptr, 10);
  if (t.host.empty() || t.port <= 0 || t.port > 65535) return fail(ErrorCode::kMisconfigured, "bad URL host/port", "bad_url");
  if (t.scheme == "https") return t;
  if (t.scheme == "http" && allow_http_loopback && is_loopback_host(t.host)) return t;
  return fail(ErrorCode::kMisconfigured, "refused URL scheme/host: " + t.scheme + "://" + t.host, "insecure_url");
}

Error map_curl_error(CURLcode rc, const ResponseSink& sink, const char* errbuf) {
  std::string detail = curl_easy_strerror(rc);
  if (errbuf[0] != '\0') detail += std::string(": ") + errbuf;
  if (sink.body_too_large || rc == CURLE_FILESIZE_EXCEEDED)
    return Error{ErrorCode::kIdpUnavailable, "response too large", "too_large"};
  if (sink.headers_too_large) return Error{ErrorCode::kIdpUnavailable, "response headers too large", "too_large"};
  switch (rc) {
    case CURLE_OPERATION_TIMEDOUT:
      return Error{ErrorCode::kIdpUnavailable, "timeout: " + detail, "timeout"};
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
      return Error{ErrorCode::kIdpUnavailable, "TLS failure: " + detail, "tls"};
    case CURLE_UNSUPPORTED_PROTOCOL:
      return Error{ErrorCode::kMisconfigured, "protocol refused: " + detail, "insecure_url"};
    case CURLE_OUT_OF_MEMORY:
      return Error{ErrorCode::kNoMemory, detail, ""};
    default:
      return Error{ErrorCode::kIdpUnavailable, "network error: " + detail, "network"};
  }
}

class CurlHttpClient final : public HttpClient {
 public:
  explicit CurlHttpClient(HttpClientOptions options) : options_(std::move(options)) {
    const curl_version_info_data* info = curl_version_info(CURLVERSION_NOW);
    default_ca_file_ = info != nullptr && info->cainfo != nullptr ? info->cainfo : kDebianCaBundle;
    ca_path_ = info != nullptr && info->capath != nullptr ? info->capath : kDebianCaPath;
  }

  Result<HttpResponse> perform(const HttpRequest& request) override {
    auto target = parse_target(request.url, options_.allow_http_loopback);
    if (!target) return std::unexpected(target.error());
    EasyPtr handle = acquire();
    if (!handle) return fail(ErrorCode::kNoMemory, "curl_easy_init failed");
    auto result = perform_with(handle.get(), request, *target);
    release(std::move(handle));
    return result;
  }

 private:
  Result<HttpResponse> perform_with(CURL* h, const HttpRequest& request, TargetUrl& target);
  Result<Ok> configure(CURL* h, const HttpRequest& request, TargetUrl& target, curl_slist* headers,
                       curl_slist* resolve, ResponseSink& sink, char* errbuf);

  EasyPtr acquire() {
    {
      std::lock_guard lock(mutex_);
      if (!idle_.empty()) {
        EasyPtr h = std::move(idle_.back());
        idle_.pop_back();
        return h;
      }
    }
    return EasyPtr(curl_easy_init());
  }
  void release(EasyPtr h) {
    std::lock_guard lock(mutex_);
    if (idle_.size() < kMaxIdleHandles) idle_.push_back(std::move(h));
  }

  HttpClientOptions options_;
  std::string default_ca_file_;
  std::string ca_path_;
  std::mutex mutex_;
  std::vector<EasyPtr> idle_;
};

Result<Ok> CurlHttpClient::configure(CURL* h, const HttpRequest& request, TargetUrl& target, curl_slist* headers,
                                     curl_slist* resolve, ResponseSink& sink, char* errbuf) {
  const long total_ms = static_cast<long>(std::max(1, options_.timeout_seconds)) * 1000L;
  const long connect_ms =
      std::min(total_ms, static_cast<long>(std::max(1, options_.connect_timeout_seconds)) * 1000L);
  const char* protocols = target.scheme == "http" ? "http" : "https";
  const std::string& ca_file = options_.ca_file.empty() ? default_ca_file_ : options_.ca_file;
  Options o(h);
  o.set(CURLOPT_CURLU, target.handle.get())
      .set(CURLOPT_NOSIGNAL, 1L)
      .set(CURLOPT_ERRORBUFFER, errbuf)
      .set(CURLOPT_PROTOCOLS_STR, protocols)
      .set(CURLOPT_REDIR_PROTOCOLS_STR, protocols)
      .set(CURLOPT_FOLLOWLOCATION, 0L)
      .set(CURLOPT_MAXREDIRS, 0L)
      .set(CURLOPT_CONNECTTIMEOUT_MS, connect_ms)
      .set(CURLOPT_TIMEOUT_MS, total_ms)
      .set(CURLOPT_SSL_VERIFYPEER, 1L)
      .set(CURLOPT_SSL_VERIFYHOST, 2L)
      .set(CURLOPT_SSLVERSION, static_cast<long>(CURL_SSLVERSION_TLSv1_2))
      .set(CURLOPT_CAINFO, ca_file.c_str())
      .set(CURLOPT_CAPATH, ca_path_.c_str())
      .set(CURLOPT_PROXY, "")
      .set(CURLOPT_NOPROXY, "*")
      .set(CURLOPT_NETRC, static_cast<long>(CURL_NETRC_IGNORED))
      .set(CURLOPT_USERAGENT, "oidc-sysauth")
      .set(CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(request.max_response_bytes))
      .set(CURLOPT_WRITEFUNCTION, &write_body)
      .set(CURLOPT_WRITEDATA, static_cast<void*>(&sink))
      .set(CURLOPT_HEADERFUNCTION, &write_header)
      .set(CURLOPT_HEADERDATA, static_cast<void*>(&sink))
      .set(CURLOPT_HTTPHEADER, headers);
  if (resolve != nullptr) o.set(CURLOPT_RESOLVE, resolve);
  if (request.method == "POST") {
    o.set(CURLOPT_POST, 1L)
        .set(CURLOPT_POSTFIELDS, request.body.expose().data())  // not copied: no stray copy of a password
        .set(CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  } else {
    o.set(CURLOPT_HTTPGET, 1L);
  }
  return o.result();
}

Result<HttpResponse> CurlHttpClient::perform_with(CURL* h, const HttpRequest& request, TargetUrl& target) {
  if (request.method != "GET" && request.method != "POST")
    return fail(ErrorCode::kInternal, "unsupported HTTP method " + request.method);
  curl_easy_reset(h);  // keeps live connections and TLS sessions, drops every option
  SlistPtr headers;
  auto add = [&headers](const std::string& line) {
    curl_slist* next = curl_slist_append(headers.get(), line.c_str());
    if (next == nullptr) return false;
    (void)headers.release();
    headers.reset(next);
    return true;
  };
  bool ok = add("Accept: application/json") && add("Expect:");
  const bool own_type = std::any_of(request.headers.begin(), request.headers.end(), [](const std::string& line) {
    return line.size() >= 13 && strncasecmp(line.c_str(), "content-type:", 13) == 0;
  });
  if (request.method == "POST" && !own_type) ok = ok && add("Content-Type: application/x-www-form-urlencoded");
  for (const auto& line : request.headers) ok = ok && add(line);
  if (!request.authorization.empty()) {
    std::string line = "Authorization: " + std::string(request.authorization.expose());
    ok = ok && add(line);
    secure_zero(line.data(), line.size());
  }
  SlistPtr resolve;
  if (target.scheme == "http" && target.host == "localhost") {  // pin: never ask DNS for "localhost"
    curl_slist* r = curl_slist_append(nullptr, ("localhost:" + std::to_string(target.port) + ":127.0.0.1").c_str());
    if (r == nullptr) ok = false;
    resolve.reset(r);
  }
  if (!ok) return fail(ErrorCode::kNoMemory, "curl_slist_append failed");
  ResponseSink sink;
  sink.max_body = request.max_response_bytes;
  char errbuf[CURL_ERROR_SIZE] = {};
  if (auto r = configure(h, request, target, headers.get(), resolve.get(), sink, errbuf); !r)
    return std::unexpected(r.error());
  const CURLcode rc = curl_easy_perform(h);
  if (rc != CURLE_OK) return std::unexpected(map_curl_error(rc, sink, errbuf));
  HttpResponse response;
  if (curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &response.status) != CURLE_OK)
    return fail(ErrorCode::kInternal, "curl_easy_getinfo(RESPONSE_CODE) failed");
  response.headers = std::move(sink.headers);
  response.body = sink.body.take();
  return response;
}

}  // namespace

Result<std::unique_ptr<HttpClient>> make_curl_http_client(const HttpClientOptions& options) {
  // libcurl opens $SSLKEYLOGFILE at global init and appends TLS secrets to it. Inside a
  // setuid host (sudo, su) that environment belongs to the caller: refuse rather than let
  // it pick a file for root to write.
  if (std::getenv("SSLKEYLOGFILE") != nullptr)
    return fail(ErrorCode::kMisconfigured, "SSLKEYLOGFILE is set in the environment; refusing to start libcurl",
                "environment");
  std::call_once(g_curl_once, [] { g_curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT); });
  if (g_curl_init_rc != CURLE_OK)
    return fail(ErrorCode::kInternal, std::string("curl_global_init: ") + curl_easy_strerror(g_curl_init_rc));
  return std::unique_ptr<HttpClient>(std::make_unique<CurlHttpClient>(options));
}

}  // namespace oidc_sysauth
