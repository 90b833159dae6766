// Events between real plugins through the kernel's outbox and dispatcher:
// delivered once per subscriber, nothing from a rolled-back request, retries
// then a dead letter then a replay, and delivery after `kill -9` of the
// kernel between the publishing commit and the delivery.

#include "events/dead_letters.hpp"
#include "plugins/plugin_admin.hpp"
#include "support/eventually.hpp"
#include "support/http_client.hpp"
#include "support/subprocess.hpp"
#include "support/test_database.hpp"
#include "support/test_kernel.hpp"

#include <catch2/catch.hpp>
#include <pqxx/pqxx>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <regex>
#include <thread>

namespace fs = std::filesystem;
using fk::test::eventually;
using fk::test::http_call;
using fk::test::tenant_query;
using fk::test::TestDatabase;
using fk::test::TestKernel;

namespace {

fs::path plugins_dir() {
  std::string pattern = "/tmp/fk-plugin-events-XXXXXX";
  const fs::path dir(mkdtemp(pattern.data()));
  for (const char* name : {"probe", "peer"}) {
    fs::copy(fs::path(FK_TEST_PLUGIN_BUNDLES) / name, dir / name, fs::copy_options::recursive);
  }
  return dir;
}

void enable_both(const fs::path& dir, const std::string& tenant) {
  for (const char* name : {"probe", "peer"}) {
    fk::plugins::PluginManifest manifest;
    manifest.name = name;
    manifest.version = "1.0.0";
    fk::plugins::set_plugin_enabled(TestDatabase::instance().owner_url(), tenant, manifest, true,
                                    {"system", "test", ""});
  }
  (void)dir;
}

std::string delivery_states(const std::string& tenant, const std::string& item) {
  const auto rows =
      tenant_query(tenant,
                   "SELECT string_agg(d.subscriber || '=' || d.status, ',' ORDER BY d.subscriber) "
                   "FROM fk_event_deliveries d JOIN fk_outbox o USING (tenant_id, event_id) "
                   "WHERE o.aggregate_id = '" +
                       item + "'");
  return rows[0][0].is_null() ? "" : rows[0][0].as<std::string>();
}

int deliveries_seen(const std::string& tenant, const std::string& item) {
  return tenant_query(tenant, "SELECT deliveries FROM probe_items WHERE id = '" + item + "'")[0][0]
      .as<int>();
}

fk::test::HttpReply post_item(uint16_t port, const std::string& tenant, const std::string& body) {
  return http_call(port, "POST", "/v1/probe/items",
                   {{"X-Tenant-Id", tenant}, {"Content-Type", "application/json"}}, body);
}

}  // namespace

TEST_CASE("plugin events: once per subscriber, none after a rollback, dead letter and replay",
          "[pluginevents]") {
  const auto dir = plugins_dir();
  auto config = fk::test::test_config();
  config.plugins.dir = dir.string();
  config.events.poll_interval = std::chrono::milliseconds(100);
  config.events.retry_base = std::chrono::milliseconds(20);
  config.events.retry_max = std::chrono::milliseconds(100);
  config.events.max_attempts = 3;
  TestKernel kernel(config);
  const auto tenant = fk::test::create_tenant("plug-events");
  enable_both(dir, tenant);

  auto created = post_item(kernel.port(), tenant, R"({"name":"first"})");
  REQUIRE(created.status == 201);
  const auto item = created.json()["data"]["id"].get<std::string>();
  REQUIRE(eventually(
      [&] { return delivery_states(tenant, item) == "peer=delivered,probe=delivered"; }));
  // Exactly once: more sweeps change nothing.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  CHECK(deliveries_seen(tenant, item) == 1);
  CHECK(tenant_query(tenant, "SELECT count(*) FROM peer_seen")[0][0].as<int>() == 1);

  // A refused request publishes nothing.
  const auto before = tenant_query(tenant, "SELECT count(*) FROM fk_outbox")[0][0].as<int>();
  CHECK(post_item(kernel.port(), tenant, R"({"name":"nope","reject":true})").status == 422);
  CHECK(tenant_query(tenant, "SELECT count(*) FROM fk_outbox")[0][0].as<int>() == before);
  CHECK(tenant_query(tenant, "SELECT count(*) FROM probe_items WHERE name = 'nope'")[0][0]
            .as<int>() == 0);
  // A payload that is not one JSON object is refused at publish: the plugin
  // hears why (here it gives up, so the request fails) and nothing is written.
  const auto bad = post_item(kernel.port(), tenant, R"({"name":"bad","badPayload":true})");
  INFO(bad.body);
  CHECK(bad.status == 400);
  CHECK(bad.json()["error"]["message"].get<std::string>().find("is not a JSON object") !=
        std::string::npos);
  CHECK(tenant_query(tenant, "SELECT count(*) FROM fk_outbox")[0][0].as<int>() == before);
  CHECK(
      tenant_query(tenant, "SELECT count(*) FROM probe_items WHERE name = 'bad'")[0][0].as<int>() ==
      0);

  // A failing subscriber is retried, then dead-lettered; the other one is not held up.
  auto failing = post_item(kernel.port(), tenant, R"({"name":"poison","fail":true})");
  REQUIRE(failing.status == 201);
  const auto poison = failing.json()["data"]["id"].get<std::string>();
  REQUIRE(
      eventually([&] { return delivery_states(tenant, poison) == "peer=delivered,probe=dead"; }));
  CHECK(tenant_query(tenant,
                     "SELECT attempts FROM fk_event_deliveries d JOIN fk_outbox o "
                     "USING (tenant_id, event_id) WHERE o.aggregate_id = '" +
                         poison + "' AND d.subscriber = 'probe'")[0][0]
            .as<int>() == 3);

  // Fix the cause, replay: delivered.
  REQUIRE(post_item(kernel.port(), tenant, R"({"name":"fixed"})").status == 201);
  const auto event_id =
      tenant_query(tenant, "SELECT event_id::text FROM fk_outbox WHERE aggregate_id = '" + poison +
                               "'")[0][0]
          .as<std::string>();
  {
    pqxx::connection connection(TestDatabase::instance().owner_url());
    pqxx::work tx(connection);
    tx.exec_params("SELECT set_config('fk.tenant_id', $1, true)", tenant);
    REQUIRE(fk::events::replay(tx, event_id, "probe"));
    tx.commit();
  }
  kernel.app().dispatcher().wake();
  REQUIRE(eventually(
      [&] { return delivery_states(tenant, poison) == "peer=delivered,probe=delivered"; }));
  CHECK(deliveries_seen(tenant, poison) == 1);
}

TEST_CASE("kill -9 between the publishing commit and the delivery still delivers",
          "[pluginevents]") {
  const auto dir = plugins_dir();
  const auto tenant = fk::test::create_tenant("plug-kill");
  enable_both(dir, tenant);
  std::string keys_pattern = "/tmp/fk-kill-keys-XXXXXX";
  const fs::path keys_dir(mkdtemp(keys_pattern.data()));
  setenv("FINKERNEL_IDENTITY_SIGNING_KEYS_FILE", (keys_dir / "keys.json").c_str(), 1);
  setenv("FINKERNEL_PLUGINS_DIR", dir.c_str(), 1);
  const std::vector<std::string> args = {"run",
                                         "--port",
                                         "0",
                                         "--dev-mode",
                                         "--database-url",
                                         TestDatabase::instance().owner_url(),
                                         "--runtime-database-url",
                                         TestDatabase::instance().runtime_url()};
  auto port_of = [](const std::string& output) {
    std::smatch match;
    REQUIRE(
        std::regex_search(output, match, std::regex("serving on http://127\\.0\\.0\\.1:(\\d+)")));
    return static_cast<uint16_t>(std::stoi(match[1]));
  };

  std::string item;
  {
    fk::test::BackgroundProcess first(args);
    const auto port = port_of(first.wait_for_output("Press Ctrl-C", 60'000));
    // The subscriber sleeps 2 s in its delivery transaction: the kernel dies inside it.
    auto created = post_item(port, tenant, R"({"name":"survivor","slow":true})");
    REQUIRE(created.status == 201);
    item = created.json()["data"]["id"].get<std::string>();
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    first.signal(SIGKILL);
    first.wait(10'000);
  }
  // Committed, not yet delivered to the slow subscriber.
  CHECK(delivery_states(tenant, item).find("probe=pending") != std::string::npos);
  CHECK(deliveries_seen(tenant, item) == 0);

  fk::test::BackgroundProcess second(args);
  port_of(second.wait_for_output("Press Ctrl-C", 60'000));
  CHECK(eventually(
      [&] { return delivery_states(tenant, item) == "peer=delivered,probe=delivered"; }));
  CHECK(deliveries_seen(tenant, item) == 1);
  second.signal(SIGTERM);
  CHECK(second.wait(30'000) == 0);
  unsetenv("FINKERNEL_PLUGINS_DIR");
  unsetenv("FINKERNEL_IDENTITY_SIGNING_KEYS_FILE");
  fs::remove_all(keys_dir);
}
