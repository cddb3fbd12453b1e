// A scripted HttpClient for unit tests: responses queued per (method, URL), every request
// recorded. Unscripted requests fail with kIdpUnavailable ("unscripted") so a test notices.
//
//   FakeHttpClient http;
//   http.on("GET", "https://idp/.well-known/openid-configuration", FakeHttpClient::json(200, doc));
//   http.on("POST", "https://idp/token", FakeHttpClient::json(400, R"({"error":"invalid_grant"})"));
//   http.always("GET", url, response);      // served for every request, after the queue empties
//   http.fail("POST", url, ErrorCode::kIdpUnavailable, "timeout");
//   EXPECT_EQ(http.count("POST", url), 1);
#pragma once

#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "conversation.hpp"
#include "http.hpp"
#include "result.hpp"

namespace oidc_sysauth::fake {

struct RecordedRequest {
  std::string method;
  std::string url;
  std::vector<std::string> headers;
  std::string authorization;  // tests may look: fakes hold no real secrets
  std::string body;
};

class FakeHttpClient final : public HttpClient {
 public:
  static Result<HttpResponse> json(long status, std::string body, std::map<std::string, std::string> headers = {}) {
    HttpResponse r;
    r.status = status;
    r.body = Secret(body);
    r.headers = std::move(headers);
    if (!r.headers.contains("content-type")) r.headers["content-type"] = "application/json";
    return r;
  }
  static Result<HttpResponse> error(ErrorCode code, std::string reason) {
    return fail(code, "fake: " + reason, std::move(reason));
  }

  void on(const std::string& method, const std::string& url, Result<HttpResponse> response) {
    std::lock_guard lock(mutex_);
    queues_[{method, url}].push_back(std::move(response));
  }
  void always(const std::string& method, const std::string& url, Result<HttpResponse> response) {
    std::lock_guard lock(mutex_);
    sticky_.insert_or_assign(std::make_pair(method, url), std::move(response));
  }
  void fail_with(const std::string& method, const std::string& url, ErrorCode code, std::string reason) {
    on(method, url, error(code, std::move(reason)));
  }
  void clear() {
    std::lock_guard lock(mutex_);
    queues_.clear();
    sticky_.clear();
  }

  Result<HttpResponse> perform(const HttpRequest& request) override {
    std::lock_guard lock(mutex_);
    requests_.push_back(RecordedRequest{request.method, request.url, request.headers,
                                        std::string(request.authorization.expose()),
                                        std::string(request.body.expose())});
    const auto key = std::make_pair(request.method, request.url);
    if (auto it = queues_.find(key); it != queues_.end() && !it->second.empty()) {
      auto r = std::move(it->second.front());
      it->second.pop_front();
      return cap(r, request);
    }
    if (auto it = sticky_.find(key); it != sticky_.end()) return cap(it->second, request);
    return error(ErrorCode::kIdpUnavailable, "unscripted " + request.method + " " + request.url);
  }

  std::vector<RecordedRequest> requests() {
    std::lock_guard lock(mutex_);
    return requests_;
  }
  int count(const std::string& method, const std::string& url) {
    std::lock_guard lock(mutex_);
    int n = 0;
    for (const auto& r : requests_) n += (r.method == method && r.url == url) ? 1 : 0;
    return n;
  }
  std::optional<RecordedRequest> last(const std::string& method, const std::string& url) {
    std::lock_guard lock(mutex_);
    for (auto it = requests_.rbegin(); it != requests_.rend(); ++it)
      if (it->method == method && it->url == url) return *it;
    return std::nullopt;
  }

 private:
  // Honours max_response_bytes like the real client does.
  static Result<HttpResponse> cap(const Result<HttpResponse>& r, const HttpRequest& request) {
    if (r && r->body.size() > request.max_response_bytes) return error(ErrorCode::kIdpUnavailable, "too_large");
    return r;
  }

  std::mutex mutex_;
  std::map<std::pair<std::string, std::string>, std::deque<Result<HttpResponse>>> queues_;
  std::map<std::pair<std::string, std::string>, Result<HttpResponse>> sticky_;
  std::vector<RecordedRequest> requests_;
};

// A scripted Conversation: answers queued in order; every prompt and message recorded.
class FakeConversation final : public Conversation {
 public:
  std::deque<Result<std::string>> answers;
  std::vector<std::string> prompts;
  std::vector<std::string> infos;
  std::vector<std::string> errors;
  bool is_interactive = true;

  Result<Secret> prompt_hidden(std::string_view prompt) override {
    auto a = next(prompt);
    if (!a) return std::unexpected(a.error());
    return Secret(*a);
  }
  Result<std::string> prompt_visible(std::string_view prompt) override { return next(prompt); }
  void info(std::string_view text) override { infos.emplace_back(text); }
  void error(std::string_view text) override { errors.emplace_back(text); }
  [[nodiscard]] bool interactive() const override { return is_interactive; }

 private:
  Result<std::string> next(std::string_view prompt) {
    prompts.emplace_back(prompt);
    if (answers.empty()) return fail(ErrorCode::kConversation, "fake conversation: no scripted answer");
    auto a = std::move(answers.front());
    answers.pop_front();
    return a;
  }
};

}  // namespace oidc_sysauth::fake
