#pragma once
// The ledger plugin in the real kernel, for HTTP tests: the bundle built out
// of tree against the installed SDK (tests/ledger/build_ledger_plugin.sh,
// once per test process, or $FK_LEDGER_SO), copied into a fresh plugins
// directory, loaded by a fk::test::TestKernel (its migrations applied and
// checked by the kernel) and enabled per tenant. Callers use the dev
// X-Tenant-Id path (a trusted local caller holding every permission) or a
// real user's bearer token.

#include "config/kernel_config.hpp"
#include "plugins/plugin_admin.hpp"
#include "plugins/plugin_host.hpp"
#include "support/http_client.hpp"
#include "support/test_database.hpp"
#include "support/test_kernel.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>

namespace fk::test::ledger {

// Runs a shell command; its exit status must be 0. Returns its output.
inline std::string run_command(const std::string& command) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  char buffer[4096];
  std::size_t n = 0;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) out.append(buffer, n);
  const int status = pclose(pipe);
  INFO(command << "\n" << out);
  REQUIRE(status == 0);
  return out;
}

// ledger.so, built once per process out of tree against the installed SDK
// (tests/ledger/build_ledger_plugin.sh) in its own work directory, removed
// at exit after the hosts have unloaded it; or $FK_LEDGER_SO.
inline const std::string& ledger_library() {
  static const std::string path = [] {
    if (const char* given = std::getenv("FK_LEDGER_SO")) return std::string(given);
    const auto build_dir = std::filesystem::path(FK_BINARY).parent_path().parent_path();
    static const std::string work = "/tmp/fk-ledger-plugin-" + std::to_string(getpid());
    std::atexit([] {
      std::error_code ignored;
      std::filesystem::remove_all(work, ignored);
    });
    const std::string command = std::string(FK_SOURCE_DIR) +
                                "/tests/ledger/build_ledger_plugin.sh " + build_dir.string() + " " +
                                work + " 2>&1";
    const std::string out = run_command(command);
    const auto at = out.rfind("ledger.so: ");
    REQUIRE(at != std::string::npos);
    std::string so = out.substr(at + 11);
    while (!so.empty() && (so.back() == '\n' || so.back() == '\r')) so.pop_back();
    return so;
  }();
  return path;
}

// The package directory next to it (ledger.so + manifest.yaml + migrations/).
inline std::filesystem::path ledger_bundle_dir() {
  return std::filesystem::path(ledger_library()).parent_path() / "ledger-bundle";
}

// A kernel serving the ledger bundle from its own plugins directory.
class LedgerKernel {
 public:
  explicit LedgerKernel(config::KernelConfig config = test_config())
      : plugins_dir_(make_plugins_dir()), kernel_(with_plugins(std::move(config), plugins_dir_)) {
    REQUIRE(kernel_.app().plugins().find("ledger") != nullptr);
  }
  ~LedgerKernel() {
    std::error_code ignored;
    std::filesystem::remove_all(plugins_dir_, ignored);
  }
  LedgerKernel(const LedgerKernel&) = delete;
  LedgerKernel& operator=(const LedgerKernel&) = delete;

  TestKernel& kernel() { return kernel_; }
  [[nodiscard]] uint16_t port() const { return kernel_.port(); }

  // A new active tenant with the ledger enabled.
  std::string new_tenant(const std::string& prefix) {
    const auto tenant = create_tenant(prefix);
    fk::plugins::set_plugin_enabled(TestDatabase::instance().owner_url(), tenant,
                                    kernel_.app().plugins().find("ledger")->manifest(), true,
                                    {"system", "test", ""});
    return tenant;
  }

  // One request as the dev-mode trusted caller of `tenant`.
  HttpReply call(const std::string& tenant, const std::string& method, const std::string& target,
                 const nlohmann::json& body = {},
                 std::map<std::string, std::string> headers = {}) const {
    headers["X-Tenant-Id"] = tenant;
    return send(method, target, body, std::move(headers));
  }

  // One request with explicit credentials (no X-Tenant-Id is added).
  HttpReply send(const std::string& method, const std::string& target, const nlohmann::json& body,
                 std::map<std::string, std::string> headers) const {
    if (!body.is_null()) headers["Content-Type"] = "application/json";
    return http_call(kernel_.port(), method, target, headers,
                     body.is_null() ? std::string() : body.dump());
  }

 private:
  static std::filesystem::path make_plugins_dir() {
    std::string pattern = "/tmp/fk-ledger-plugins-XXXXXX";
    REQUIRE(mkdtemp(pattern.data()) != nullptr);
    const std::filesystem::path dir(pattern);
    std::filesystem::copy(ledger_bundle_dir(), dir / "ledger",
                          std::filesystem::copy_options::recursive);
    return dir;
  }
  static config::KernelConfig with_plugins(config::KernelConfig config,
                                           const std::filesystem::path& dir) {
    config.plugins.dir = dir.string();
    return config;
  }

  std::filesystem::path plugins_dir_;
  TestKernel kernel_;
};

}  // namespace fk::test::ledger
