// The plugin host against real plugins (tests/plugins/) and a real
// PostgreSQL: routes, per-tenant enablement and configuration, failure
// isolation, SQL confinement, calls between plugins, the ABI 1.0 baseline
// fixture, and every load refusal with its message.

#include "plugins/package/package_signature.hpp"
#include "plugins/package/publisher_keys.hpp"
#include "plugins/plugin_admin.hpp"
#include "plugins/plugin_host.hpp"
#include "plugins/sql_guard.hpp"
#include "support/eventually.hpp"
#include "support/http_client.hpp"
#include "support/test_database.hpp"
#include "support/test_kernel.hpp"

#include <catch2/catch.hpp>
#include <pqxx/pqxx>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

namespace fs = std::filesystem;
using fk::test::eventually;
using fk::test::http_call;
using fk::test::tenant_query;
using fk::test::TestDatabase;
using fk::test::TestKernel;

namespace {

std::string read_text(const fs::path& path) {
  std::string text(fs::file_size(path), '\0');
  std::ifstream in(path, std::ios::binary);
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  return text;
}

fs::path fresh_dir(const std::string& prefix) {
  std::string pattern = "/tmp/fk-" + prefix + "-XXXXXX";
  return fs::path(mkdtemp(pattern.data()));
}

// A plugins.dir holding copies of the named test bundles.
fs::path plugins_dir_with(std::initializer_list<const char*> names) {
  const fs::path dir = fresh_dir("plugins");
  for (const char* name : names) {
    fs::copy(fs::path(FK_TEST_PLUGIN_BUNDLES) / name, dir / name, fs::copy_options::recursive);
  }
  return dir;
}

fk::config::KernelConfig plugin_config(const fs::path& plugins_dir) {
  auto config = fk::test::test_config();
  config.plugins.dir = plugins_dir.string();
  config.plugins.deadline = std::chrono::milliseconds(1000);
  config.plugins.workers = 4;
  config.events.poll_interval = std::chrono::milliseconds(100);
  config.events.retry_base = std::chrono::milliseconds(20);
  config.events.retry_max = std::chrono::milliseconds(100);
  config.events.max_attempts = 3;
  return config;
}

void enable(TestKernel& kernel, const std::string& tenant, const std::string& plugin,
            bool enabled = true) {
  const auto* loaded = kernel.app().plugins().find(plugin);
  REQUIRE(loaded != nullptr);
  fk::plugins::set_plugin_enabled(TestDatabase::instance().owner_url(), tenant, loaded->manifest(),
                                  enabled, {"system", "test", ""});
}

fk::test::HttpReply as_tenant(TestKernel& kernel, const std::string& tenant,
                              const std::string& method, const std::string& target,
                              const std::string& body = {}) {
  std::map<std::string, std::string> headers = {{"X-Tenant-Id", tenant}, {"X-Probe", "1"}};
  if (!body.empty()) headers["Content-Type"] = "application/json";
  return http_call(kernel.port(), method, target, headers, body);
}

}  // namespace

TEST_CASE("plugin routes are mounted, enabled per tenant and configured per tenant", "[plugins]") {
  TestKernel kernel(plugin_config(plugins_dir_with({"probe", "peer", "baseline"})));
  const auto tenant_a = fk::test::create_tenant("plug-a");
  const auto tenant_b = fk::test::create_tenant("plug-b");

  // Not enabled: as if the route did not exist.
  CHECK(as_tenant(kernel, tenant_a, "GET", "/v1/probe/ping").status == 404);

  enable(kernel, tenant_a, "probe");
  auto ping = as_tenant(kernel, tenant_a, "GET", "/v1/probe/ping");
  REQUIRE(ping.status == 200);
  CHECK(ping.json()["data"]["tenant"] == tenant_a);
  CHECK(ping.json()["data"]["principal"] == "dev");
  CHECK(ping.json()["data"]["pageSize"] == 20);  // the schema default
  CHECK(ping.json()["data"]["headers"]["x-probe"] == true);
  CHECK(as_tenant(kernel, tenant_b, "GET", "/v1/probe/ping").status == 404);

  // Tenant configuration, validated against the manifest's schema.
  const auto& manifest = kernel.app().plugins().find("probe")->manifest();
  fk::plugins::set_plugin_config(TestDatabase::instance().owner_url(), tenant_a, manifest,
                                 {{"page_size", 50}}, {"system", "test", ""});
  CHECK(as_tenant(kernel, tenant_a, "GET", "/v1/probe/ping").json()["data"]["pageSize"] == 50);
  CHECK_THROWS_WITH(
      fk::plugins::set_plugin_config(TestDatabase::instance().owner_url(), tenant_a, manifest,
                                     {{"page_size", 1000}}, {"system", "test", ""}),
      Catch::Contains("page_size"));
  CHECK_THROWS_WITH(
      fk::plugins::set_plugin_config(TestDatabase::instance().owner_url(), tenant_a, manifest,
                                     {{"no_such_key", 1}}, {"system", "test", ""}),
      Catch::Contains("no_such_key"));

  // Rows the plugin writes are the tenant's alone.
  enable(kernel, tenant_b, "probe");
  REQUIRE(as_tenant(kernel, tenant_a, "POST", "/v1/probe/items", R"({"name":"a-item"})").status ==
          201);
  CHECK(as_tenant(kernel, tenant_a, "GET", "/v1/probe/items").json()["data"]["items"].size() == 1);
  CHECK(as_tenant(kernel, tenant_b, "GET", "/v1/probe/items").json()["data"]["items"].empty());

  // Disabling takes effect at once; enable/disable/configure are audited.
  enable(kernel, tenant_a, "probe", false);
  CHECK(as_tenant(kernel, tenant_a, "GET", "/v1/probe/ping").status == 404);
  const auto actions = tenant_query(
      tenant_a, "SELECT action FROM audit_log WHERE action LIKE 'plugin.%' ORDER BY seq");
  REQUIRE(actions.size() == 3);
  CHECK(actions[0][0].as<std::string>() == "plugin.enable");
  CHECK(actions[1][0].as<std::string>() == "plugin.configure");
  CHECK(actions[2][0].as<std::string>() == "plugin.disable");

  // The ABI 1.0 baseline fixture, built from the released 1.0 headers.
  enable(kernel, tenant_a, "baseline");
  auto baseline = as_tenant(kernel, tenant_a, "GET", "/v1/baseline/ping");
  REQUIRE(baseline.status == 200);
  CHECK(baseline.json()["data"]["abi"] == "1.0");
  CHECK(baseline.json()["data"]["hostMinor"] == FK_ABI_MINOR);
  CHECK(baseline.json()["data"]["rows"] == "1");
}

TEST_CASE("a failing plugin costs only its request", "[plugins]") {
  TestKernel kernel(plugin_config(plugins_dir_with({"probe", "peer"})));
  const auto tenant = fk::test::create_tenant("plug-fail");
  enable(kernel, tenant, "probe");

  auto thrown = as_tenant(kernel, tenant, "GET", "/v1/probe/throw");
  CHECK(thrown.status == 500);
  CHECK(thrown.json()["error"]["code"] == "INTERNAL_ERROR");
  CHECK(thrown.body.find("probe threw") == std::string::npos);  // no internals leak

  auto refused = as_tenant(kernel, tenant, "GET", "/v1/probe/error");
  CHECK(refused.status == 409);
  CHECK(refused.json()["error"]["code"] == "PROBE_REFUSES");

  auto slow = as_tenant(kernel, tenant, "GET", "/v1/probe/sleep");
  CHECK(slow.status == 503);
  CHECK(slow.json()["error"]["code"] == "TIMEOUT");

  // Meanwhile and afterwards, everything else works.
  for (int i = 0; i < 5; ++i) {
    CHECK(as_tenant(kernel, tenant, "GET", "/v1/probe/ping").status == 200);
    CHECK(as_tenant(kernel, tenant, "GET", "/v1/tenant/settings").status == 200);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));  // let the late handler finish
  CHECK(as_tenant(kernel, tenant, "GET", "/v1/probe/ping").status == 200);
}

TEST_CASE("plugin SQL is confined to data statements in the request's transaction", "[plugins]") {
  using fk::plugins::refuse_plugin_sql;
  CHECK_FALSE(refuse_plugin_sql("SELECT 1"));
  CHECK_FALSE(refuse_plugin_sql("  select 'BEGIN; COMMIT; SET ROLE x' AS text;"));
  CHECK_FALSE(refuse_plugin_sql("WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x"));
  CHECK_FALSE(refuse_plugin_sql("SELECT $$a;b$$, $1::int -- trailing ; comment"));
  for (const char* refused : {"BEGIN",
                              "COMMIT",
                              "ROLLBACK",
                              "SAVEPOINT s",
                              "SET ROLE fk_owner",
                              "RESET ALL",
                              "SET LOCAL fk.tenant_id = 'x'",
                              "SELECT set_config('fk.tenant_id', 'x', false)",
                              "SELECT 1; SELECT 2",
                              "SELECT 1; /* hidden */ DROP TABLE t",
                              "CREATE TABLE t (a int)",
                              "DROP TABLE probe_items",
                              "ALTER TABLE probe_items DISABLE ROW LEVEL SECURITY",
                              "TRUNCATE probe_items",
                              "GRANT ALL ON probe_items TO PUBLIC",
                              "COPY probe_items TO STDOUT",
                              "DO $$ BEGIN END $$",
                              "LISTEN x",
                              "NOTIFY x",
                              "SELECT pg_notify('x', 'y')",
                              "SELECT * INTO copy FROM probe_items",
                              "DISCARD ALL",
                              "LOAD 'x'",
                              "SELECT 'unterminated",
                              ""}) {
    INFO(refused);
    CHECK(refuse_plugin_sql(refused));
  }

  TestKernel kernel(plugin_config(plugins_dir_with({"probe", "peer"})));
  const auto tenant = fk::test::create_tenant("plug-sql");
  enable(kernel, tenant, "probe");
  auto run = [&](const std::string& sql) {
    return as_tenant(kernel, tenant, "POST", "/v1/probe/sql", nlohmann::json{{"sql", sql}}.dump());
  };
  CHECK(run("SELECT 1").status == 200);
  for (const char* refused : {"SET ROLE fk_owner", "COMMIT",
                              "SELECT set_config('fk.tenant_id', "
                              "'00000000-0000-0000-0000-000000000001', false)",
                              "SELECT 1; SELECT 2"}) {
    INFO(refused);
    auto reply = run(refused);
    CHECK(reply.status == 403);
    CHECK(reply.json()["error"]["code"] == "SQL_3");  // FK_ERR_PERMISSION_DENIED
  }
  // What the guard lets through, the database still confines (runtime role).
  CHECK(run("UPDATE tenants SET status = 'deleted'").status == 403);
}

TEST_CASE("plugin calls run with the caller's identity and permissions", "[plugins]") {
  TestKernel kernel(plugin_config(plugins_dir_with({"probe", "peer"})));
  const auto tenant = fk::test::create_tenant("plug-call");
  enable(kernel, tenant, "probe");

  auto disabled = as_tenant(kernel, tenant, "POST", "/v1/probe/call", R"({"method":"whoami"})");
  CHECK(disabled.status == 403);
  CHECK(disabled.json()["error"]["message"].get<std::string>().find("not enabled") !=
        std::string::npos);

  enable(kernel, tenant, "peer");
  auto whoami = as_tenant(kernel, tenant, "POST", "/v1/probe/call", R"({"method":"whoami"})");
  REQUIRE(whoami.status == 200);
  CHECK(whoami.json()["data"]["caller"] == "probe");
  CHECK(whoami.json()["data"]["principal"] == "dev");
  CHECK(whoami.json()["data"]["tenant"] == tenant);

  // A method the caller's manifest does not list is refused by the kernel.
  auto undeclared = as_tenant(kernel, tenant, "POST", "/v1/probe/call", R"({"method":"other"})");
  CHECK(undeclared.status == 403);
  CHECK(undeclared.json()["error"]["message"].get<std::string>().find("not listed under calls") !=
        std::string::npos);
}

TEST_CASE("a plugin that breaks the rules is refused, with the reason", "[plugins]") {
  fk::db::ConnectionPool pool(TestDatabase::instance().runtime_url(), 2,
                              std::chrono::milliseconds(2000));
  fk::plugins::PluginHostOptions options;
  options.owner_url = TestDatabase::instance().owner_url();
  options.require_signature = false;
  options.workers = 1;
  fk::plugins::PluginHost host(options, pool, nullptr);

  const auto package = [](const std::string& bundle, const std::string& library_file,
                          const std::string& manifest_text) {
    const fs::path dir = fresh_dir("package");
    if (!bundle.empty()) {
      fs::copy(fs::path(FK_TEST_PLUGIN_BUNDLES) / bundle, dir, fs::copy_options::recursive);
    }
    if (!library_file.empty()) fs::copy_file(library_file, dir / "plugin.so");
    if (!manifest_text.empty()) std::ofstream(dir / "manifest.yaml") << manifest_text;
    return dir;
  };
  const std::string abitest_manifest =
      "name: abitest\nversion: 1.0.0\nabi: \"ABI\"\nlibrary: plugin.so\npublisher: t\n"
      "permissions: {}\nroutes: []\nmigrations: []\n";
  auto with_abi = [&](const std::string& abi) {
    std::string text = abitest_manifest;
    text.replace(text.find("ABI"), 3, abi);
    return text;
  };

  SECTION("a newer ABI major") {
    CHECK_THROWS_WITH(
        host.load(package("", FK_TEST_PLUGIN_ABI_MAJOR2, with_abi("2.0"))),
        Catch::Contains("ABI 2") && Catch::Contains("1." + std::to_string(FK_ABI_MINOR)));
  }
  SECTION("a newer ABI minor") {
    CHECK_THROWS_WITH(
        host.load(package("", FK_TEST_PLUGIN_ABI_MINOR99, with_abi("1.99"))),
        Catch::Contains("1.99") && Catch::Contains("1." + std::to_string(FK_ABI_MINOR)));
  }
  SECTION("no entry symbol") {
    CHECK_THROWS_WITH(host.load(package("", FK_TEST_PLUGIN_NO_ENTRY, with_abi("1.0"))),
                      Catch::Contains("does not export fk_plugin_entry_v1"));
  }
  SECTION("a migration creating a table without row-level security") {
    const fs::path dir = package("probe", "", "");
    std::ofstream(dir / "migrations" / "0002_leaky.sql")
        << "CREATE TABLE probe_leaky (tenant_id uuid NOT NULL, note text, PRIMARY KEY "
           "(tenant_id));\n"
           "GRANT SELECT ON probe_leaky TO fk_runtime;\n";
    std::string manifest = read_text(dir / "manifest.yaml");
    const auto at = manifest.find("  - migrations/0001_probe.sql");
    REQUIRE(at != std::string::npos);
    manifest.insert(at + std::string("  - migrations/0001_probe.sql\n").size(),
                    "  - migrations/0002_leaky.sql\n");
    std::ofstream(dir / "manifest.yaml") << manifest;
    CHECK_THROWS_WITH(host.load(dir),
                      Catch::Contains("probe_leaky") && Catch::Contains("ROW LEVEL SECURITY"));
    // Rolled back: the table does not exist.
    pqxx::connection connection(TestDatabase::instance().owner_url());
    pqxx::nontransaction tx(connection);
    CHECK(tx.exec("SELECT to_regclass('probe_leaky') IS NULL")[0][0].as<bool>());
  }
  SECTION("a manifest route without a permission") {
    const fs::path dir = package("probe", "", "");
    std::string manifest = read_text(dir / "manifest.yaml");
    const std::string route = "{method: GET, path: /v1/probe/ping, permission: probe:items.read}";
    manifest.replace(manifest.find(route), route.size(), "{method: GET, path: /v1/probe/ping}");
    std::ofstream(dir / "manifest.yaml") << manifest;
    CHECK_THROWS_WITH(host.load(dir), Catch::Contains("declares no permission"));
  }
  CHECK(host.find("abitest") == nullptr);
}

TEST_CASE("without dev_mode only packages signed by a trusted publisher load", "[plugins]") {
  const fs::path keys = fresh_dir("publisher");
  const auto key = fk::plugins::generate_signing_key_file(keys / "publisher.pem");
  std::ofstream(keys / "plugin-publishers.yaml")
      << "publishers:\n"
      << fk::plugins::publishers_policy_entry("tests.finkernel.dev", key);

  fk::db::ConnectionPool pool(TestDatabase::instance().runtime_url(), 2,
                              std::chrono::milliseconds(2000));
  fk::plugins::PluginHostOptions options;
  options.owner_url = TestDatabase::instance().owner_url();
  options.require_signature = true;
  options.publishers_file = keys / "plugin-publishers.yaml";
  options.workers = 1;

  const auto copy = [](const char* bundle) {
    const fs::path dir = fresh_dir("signed");
    fs::copy(fs::path(FK_TEST_PLUGIN_BUNDLES) / bundle, dir, fs::copy_options::recursive);
    return dir;
  };

  SECTION("unsigned") {
    fk::plugins::PluginHost host(options, pool, nullptr);
    CHECK_THROWS_WITH(host.load(copy("peer")), Catch::Contains("no plugin.sig"));
  }
  SECTION("signed, then the library changed") {
    fk::plugins::PluginHost host(options, pool, nullptr);
    const auto dir = copy("peer");
    fk::plugins::sign_package(dir, keys / "publisher.pem", "tests.finkernel.dev", "");
    std::ofstream(dir / "peer.so", std::ios::app | std::ios::binary) << '\0';
    CHECK_THROWS_WITH(host.load(dir), Catch::Contains("peer.so changed after signing"));
  }
  SECTION("signed by an untrusted publisher") {
    fk::plugins::PluginHost host(options, pool, nullptr);
    const auto dir = copy("peer");
    const fs::path other = fresh_dir("stranger");
    fk::plugins::generate_signing_key_file(other / "stranger.pem");
    fk::plugins::sign_package(dir, other / "stranger.pem", "tests.finkernel.dev", "");
    CHECK_THROWS_WITH(host.load(dir), Catch::Contains("not trusted") || Catch::Contains("key"));
  }
  SECTION("signed and intact: loaded") {
    fk::plugins::PluginHost host(options, pool, nullptr);
    const auto dir = copy("peer");
    fk::plugins::sign_package(dir, keys / "publisher.pem", "tests.finkernel.dev", "");
    host.load(dir);
    REQUIRE(host.find("peer") != nullptr);
    CHECK(host.statuses().back().signature_verified);
  }
}
