// Shared by the store_*_test.cpp files: a scratch state dir with its own passwd and
// group files, a config pointing at it, and an Identity factory.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "clock.hpp"
#include "config.hpp"
#include "identity.hpp"
#include "store/account_store.hpp"
#include "store/store_delta.hpp"

namespace oidc_sysauth::testing {

inline constexpr const char* kTestPasswd =
    "root:x:0:0:root:/root:/bin/bash\n"
    "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
    "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
    "localuser:x:1000:1000:Local:/home/localuser:/bin/bash\n";
inline constexpr const char* kTestGroup =
    "root:x:0:\n"
    "sudo:x:27:localuser\n"
    "users:x:100:\n"
    "localuser:x:1000:\n"
    "docker-local:x:999:\n";

class StoreFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/store_test.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    write_file(dir_ + "/passwd", kTestPasswd);
    write_file(dir_ + "/group", kTestGroup);
    config_.idp.issuer = "https://idp.test";
    config_.accounts.state_dir = dir_ + "/state";
    options_.passwd_path = dir_ + "/passwd";
    options_.group_path = dir_ + "/group";
    options_.invalidate_nscd = false;
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  static void write_file(const std::string& path, const std::string& text) {
    std::ofstream(path, std::ios::trunc) << text;
  }
  void append_passwd(const std::string& line) { std::ofstream(dir_ + "/passwd", std::ios::app) << line << "\n"; }
  void append_group(const std::string& line) { std::ofstream(dir_ + "/group", std::ios::app) << line << "\n"; }

  std::unique_ptr<AccountStore> open_store() {
    auto s = AccountStore::open(config_, clock_, options_);
    EXPECT_TRUE(s.has_value()) << (s ? "" : s.error().detail);
    return s ? std::move(*s) : nullptr;
  }

  static Identity identity(const std::string& name, const std::string& subject,
                           std::vector<std::string> local_groups = {}, std::vector<std::string> extra = {}) {
    Identity id;
    id.issuer = "https://idp.test";
    id.subject = subject;
    id.local_name = id.idp_username = name;
    id.display_name = "User " + name;
    id.local_groups = std::move(local_groups);
    id.extra_groups = std::move(extra);
    id.idp_groups = {"everyone"};
    return id;
  }

  [[nodiscard]] std::string store_path() const { return config_.accounts.state_dir + "/accounts.db"; }
  [[nodiscard]] std::string journal_path() const { return config_.accounts.state_dir + "/accounts.journal"; }
  // The store as NSS sees it: the base with its journal over it (delta->overlay()).
  std::unique_ptr<store::Delta> effective() {
    auto d = store::Delta::open(config_.accounts.state_dir);
    EXPECT_TRUE(d.has_value()) << (d ? "" : d.error().detail);
    return d ? std::move(*d) : nullptr;
  }
  // Writes so far (journal or base): + 1 on every write.
  std::uint64_t writes() {
    auto d = effective();
    return d ? d->overlay().sequence() : 0;
  }
  // Active members of a group, through the overlay.
  std::vector<std::string> members(const std::string& group) {
    std::vector<std::string> out;
    auto d = effective();
    store::FoundGroup g;
    if (!d || d->overlay().find_group(group, g) != store::Lookup::kFound) return out;
    EXPECT_TRUE(d->overlay().for_each_member(g, [&](const store::RecordView& r) { out.emplace_back(r.name); }));
    std::sort(out.begin(), out.end());
    return out;
  }

  std::string dir_;
  Config config_;
  FakeClock clock_;
  StoreOptions options_;
};

}  // namespace oidc_sysauth::testing
