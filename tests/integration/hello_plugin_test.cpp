// The SDK's example partner plugin, exactly as a partner builds it: out of
// tree against the installed SDK (ctest fixture sdk_install_example builds
// it), then signed, verified, loaded by the kernel and used over HTTP.

#include "plugins/package/package_signature.hpp"
#include "plugins/package/publisher_keys.hpp"
#include "plugins/plugin_admin.hpp"
#include "support/http_client.hpp"
#include "support/subprocess.hpp"
#include "support/test_database.hpp"
#include "support/test_kernel.hpp"

#include <catch2/catch.hpp>
#include <pqxx/pqxx>

#include <filesystem>
#include <fstream>
#include <thread>

namespace fs = std::filesystem;
using fk::test::http_call;
using fk::test::TestDatabase;

TEST_CASE("the example plugin, built out of tree and signed, serves and handles its event",
          "[hello]") {
  const fs::path built(FK_HELLO_BUNDLE);
  INFO("built by the sdk_install_example test: " << built);
  REQUIRE(fs::exists(built / "hello.so"));

  std::string pattern = "/tmp/fk-hello-XXXXXX";
  const fs::path root(mkdtemp(pattern.data()));
  const fs::path plugins = root / "plugins";
  const fs::path policies = root / "policies";
  fs::create_directories(plugins);
  fs::copy(built, plugins / "hello", fs::copy_options::recursive);
  fs::copy(fs::path(FK_SOURCE_DIR) / "policies", policies, fs::copy_options::recursive);

  // The publisher signs; the platform trusts the publisher's key.
  const auto key = fk::plugins::generate_signing_key_file(root / "example.com.pem");
  std::ofstream(policies / "plugin-publishers.yaml")
      << "publishers:\n"
      << fk::plugins::publishers_policy_entry("example.com", key);
  const auto signed_out =
      fk::test::run_finkernel({"plugin", "sign", (plugins / "hello").string(), "--key",
                               (root / "example.com.pem").string(), "--publisher", "example.com"});
  INFO(signed_out.out);
  REQUIRE(signed_out.exit_code == 0);
  const auto verified = fk::test::run_finkernel(
      {"plugin", "verify", (plugins / "hello").string(), "--policy-dir", policies.string()});
  INFO(verified.out);
  REQUIRE(verified.exit_code == 0);
  CHECK(verified.out.find("OK plugin hello") != std::string::npos);

  auto config = fk::test::test_config();
  config.identity.policy_dir = policies.string();
  config.plugins.dir = plugins.string();
  config.events.poll_interval = std::chrono::milliseconds(100);
  fk::test::TestKernel kernel(config);
  REQUIRE(kernel.app().plugins().find("hello") != nullptr);
  CHECK(kernel.app().plugins().statuses().front().signature_verified);

  const auto tenant = fk::test::create_tenant("hello");
  const auto other = fk::test::create_tenant("hello-other");
  for (const auto& t : {tenant, other}) {
    fk::plugins::set_plugin_enabled(TestDatabase::instance().owner_url(), t,
                                    kernel.app().plugins().find("hello")->manifest(), true,
                                    {"system", "test", ""});
  }
  const auto headers = [](const std::string& t) {
    return std::map<std::string, std::string>{{"X-Tenant-Id", t},
                                              {"Content-Type", "application/json"}};
  };
  auto created = http_call(kernel.port(), "POST", "/v1/hello/greetings", headers(tenant),
                           R"({"message":"hello, tenant"})");
  INFO(created.body);
  REQUIRE(created.status == 201);
  CHECK(
      http_call(kernel.port(), "POST", "/v1/hello/greetings", headers(tenant), R"({"message":""})")
          .status == 422);

  auto listed = http_call(kernel.port(), "GET", "/v1/hello/greetings", headers(tenant));
  REQUIRE(listed.status == 200);
  CHECK(listed.json()["data"]["count"] == 1);
  // The table is under RLS: the other tenant sees nothing.
  CHECK(http_call(kernel.port(), "GET", "/v1/hello/greetings", headers(other))
            .json()["data"]["count"] == 0);

  // The event reached the plugin's handler (its idempotency table records it once).
  const auto processed = [&] {
    pqxx::connection connection(TestDatabase::instance().owner_url());
    pqxx::work tx(connection);
    tx.exec_params("SELECT set_config('fk.tenant_id', $1, true)", tenant);
    return tx.exec("SELECT count(*) FROM hello_processed_events")[0][0].as<int>();
  };
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (processed() == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  CHECK(processed() == 1);
  fs::remove_all(root);
}
