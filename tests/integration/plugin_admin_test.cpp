// Plugins as platform administrators, tenant users and the CLI see them:
// the admin API (load status, enable/disable, configuration), RBAC on
// plugin permissions, identity and permissions carried into plugin calls,
// credentials kept from plugins, and `finkernel plugin list|enable|disable`.

#include "auth/platform_admins.hpp"
#include "auth/user_admin.hpp"
#include "db/tenant_transaction.hpp"
#include "plugins/package/package_signature.hpp"
#include "plugins/package/publisher_keys.hpp"
#include "support/http_client.hpp"
#include "support/subprocess.hpp"
#include "support/test_database.hpp"
#include "support/test_kernel.hpp"

#include <catch2/catch.hpp>
#include <pqxx/pqxx>

#include <unistd.h>
#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;
using fk::test::http_call;
using fk::test::TestDatabase;

namespace {

constexpr const char* kPassword = "correct-horse-battery-9";

fs::path temp_dir(const std::string& prefix) {
  std::string pattern = "/tmp/fk-" + prefix + "-XXXXXX";
  return fs::path(mkdtemp(pattern.data()));
}

std::map<std::string, std::string> bearer(const std::string& token) {
  return {{"Authorization", "Bearer " + token}, {"Content-Type", "application/json"}};
}

std::string access_token(uint16_t port, const std::string& target, const nlohmann::json& body) {
  const auto reply =
      http_call(port, "POST", target, {{"Content-Type", "application/json"}}, body.dump());
  INFO(reply.body);
  REQUIRE(reply.status == 200);
  return reply.json()["data"]["accessToken"].get<std::string>();
}

}  // namespace

TEST_CASE("plugin administration, RBAC on plugin routes, identity in plugin calls", "[plugins]") {
  const auto root = temp_dir("plugin-admin");
  const auto plugins = root / "plugins";
  const auto policies = root / "policies";
  fs::create_directories(plugins);
  for (const char* name : {"probe", "peer"}) {
    fs::copy(fs::path(FK_TEST_PLUGIN_BUNDLES) / name, plugins / name, fs::copy_options::recursive);
  }
  fs::copy(fs::path(FK_SOURCE_DIR) / "policies", policies, fs::copy_options::recursive);
  // Two roles granting plugin permissions (rbac.yaml may name plugin namespaces).
  {
    const auto file = policies / "rbac.yaml";
    std::string text(fs::file_size(file), '\0');
    std::ifstream(file, std::ios::binary)
        .read(text.data(), static_cast<std::streamsize>(text.size()));
    const std::string roles = "roles:\n";
    text.insert(text.find(roles) + roles.size(),
                "  prober:\n    realm: tenant\n    grants: [\"probe:*\"]\n"
                "  peer-reader:\n    realm: tenant\n    grants: [\"peer:secret.read\"]\n");
    std::ofstream(file, std::ios::trunc) << text;
  }

  // Without dev_mode only signed packages load.
  const auto key = fk::plugins::generate_signing_key_file(root / "publisher.pem");
  std::ofstream(policies / "plugin-publishers.yaml", std::ios::trunc)
      << "publishers:\n"
      << fk::plugins::publishers_policy_entry("tests.finkernel.dev", key);
  for (const char* name : {"probe", "peer"}) {
    fk::plugins::sign_package(plugins / name, root / "publisher.pem", "tests.finkernel.dev", "");
  }

  auto config = fk::test::test_config();
  config.dev_mode = false;  // real identities, signatures required
  config.identity.policy_dir = policies.string();
  config.plugins.dir = plugins.string();
  fk::test::TestKernel kernel(config);
  const auto owner = TestDatabase::instance().owner_url();
  const auto port = kernel.port();

  const std::string suffix = std::to_string(getpid());
  fk::auth::create_platform_admin(owner, kernel.app().auth().policy(), *kernel.app().rbac(),
                                  "plugin-root-" + suffix + "@platform.example", kPassword,
                                  {"platform-admin"});
  fk::auth::create_platform_admin(owner, kernel.app().auth().policy(), *kernel.app().rbac(),
                                  "plugin-auditor-" + suffix + "@platform.example", kPassword,
                                  {"platform-auditor"});
  const auto admin = access_token(
      port, "/v1/platform/auth/login",
      {{"email", "plugin-root-" + suffix + "@platform.example"}, {"password", kPassword}});
  const auto auditor = access_token(
      port, "/v1/platform/auth/login",
      {{"email", "plugin-auditor-" + suffix + "@platform.example"}, {"password", kPassword}});

  // Load status, readable by auditors; changes only by administrators.
  auto listed = http_call(port, "GET", "/v1/platform/plugins", bearer(auditor));
  REQUIRE(listed.status == 200);
  CHECK(listed.json()["data"]["items"].size() == 2);
  CHECK(listed.json()["data"]["items"][0]["state"] == "loaded");

  const auto tenant = fk::test::create_tenant("plug-admin");
  const std::string base = "/v1/platform/tenants/" + tenant + "/plugins/";
  CHECK(http_call(port, "POST", base + "probe/enable", bearer(auditor)).status == 403);
  CHECK(http_call(port, "POST", base + "nope/enable", bearer(admin)).json()["error"]["code"] ==
        "PLUGIN_NOT_FOUND");
  CHECK(http_call(port, "POST",
                  "/v1/platform/tenants/00000000-0000-0000-0000-00000000beef/plugins/probe/enable",
                  bearer(admin))
            .status == 404);
  for (const char* name : {"probe", "peer"}) {
    auto enabled = http_call(port, "POST", base + name + "/enable", bearer(admin));
    INFO(enabled.body);
    REQUIRE(enabled.status == 200);
  }
  auto bad =
      http_call(port, "PUT", base + "probe/config", bearer(admin), R"({"page_size":"many"})");
  CHECK(bad.status == 422);
  CHECK(bad.json()["error"]["code"] == "INVALID_PLUGIN_CONFIG");
  auto good = http_call(port, "PUT", base + "probe/config", bearer(admin), R"({"page_size":7})");
  REQUIRE(good.status == 200);
  CHECK(good.json()["data"]["config"]["page_size"] == 7);

  // Tenant users: the route's manifest permission is enforced by the kernel.
  std::string slug;
  {
    pqxx::connection connection(owner);
    pqxx::read_transaction tx(connection);
    slug = tx.exec_params1("SELECT slug FROM tenants WHERE id = $1::uuid", tenant)[0]
               .as<std::string>();
  }
  const auto make_user = [&](const std::string& email, const std::vector<std::string>& roles) {
    fk::db::TenantTransaction transaction(kernel.app().pool(), tenant);
    const auto user = fk::auth::create_user(transaction.work(), kernel.app().auth().policy(),
                                            *kernel.app().rbac(), email, "Test", kPassword, roles);
    transaction.commit();
    return user.id;
  };
  make_user("member@x.example", {"member"});
  const auto prober_id = make_user("prober@x.example", {"prober"});
  make_user("both@x.example", {"prober", "peer-reader"});
  const auto login = [&](const std::string& email) {
    return access_token(port, "/v1/auth/login",
                        {{"tenant", slug}, {"email", email}, {"password", kPassword}});
  };
  const auto member = login("member@x.example");
  const auto prober = login("prober@x.example");
  const auto both = login("both@x.example");

  CHECK(http_call(port, "GET", "/v1/probe/ping", bearer(member)).status == 403);
  auto ping = http_call(port, "GET", "/v1/probe/ping", bearer(prober));
  REQUIRE(ping.status == 200);
  CHECK(ping.json()["data"]["principal"] == "user:" + prober_id);
  CHECK(ping.json()["data"]["pageSize"] == 7);
  CHECK(ping.json()["data"]["headers"]["authorization"] ==
        false);  // credentials stay in the kernel

  // A call runs as the caller: the peer sees the same principal and only its permissions.
  auto whoami = http_call(port, "POST", "/v1/probe/call", bearer(prober), R"({"method":"whoami"})");
  REQUIRE(whoami.status == 200);
  CHECK(whoami.json()["data"]["principal"] == "user:" + prober_id);
  CHECK(whoami.json()["data"]["mayReadSecret"] == false);
  auto denied = http_call(port, "POST", "/v1/probe/call", bearer(prober), R"({"method":"secret"})");
  CHECK(denied.status == 403);
  CHECK(denied.json()["error"]["code"] == "CALL_FAILED");
  auto allowed = http_call(port, "POST", "/v1/probe/call", bearer(both), R"({"method":"secret"})");
  INFO(allowed.body);
  CHECK(allowed.status == 200);
  CHECK(allowed.json()["data"]["secret"] == "42");

  // Disable over the API: 404 for the tenant from then on.
  REQUIRE(http_call(port, "POST", base + "probe/disable", bearer(admin)).status == 200);
  CHECK(http_call(port, "GET", "/v1/probe/ping", bearer(prober)).status == 404);
  fs::remove_all(root);
}

TEST_CASE("finkernel plugin list, enable and disable", "[plugins]") {
  const auto plugins = temp_dir("plugin-cli");
  fs::copy(fs::path(FK_TEST_PLUGIN_BUNDLES) / "peer", plugins / "peer",
           fs::copy_options::recursive);
  fs::create_directories(plugins / "broken");
  std::ofstream(plugins / "broken" / "manifest.yaml") << "name: broken\n";
  setenv("FINKERNEL_PLUGINS_DIR", plugins.c_str(), 1);
  const auto tenant = fk::test::create_tenant("plug-cli");
  const std::vector<std::string> db = {"--database-url", TestDatabase::instance().owner_url(),
                                       "--runtime-database-url",
                                       TestDatabase::instance().runtime_url()};
  const auto with_db = [&](std::vector<std::string> args) {
    args.insert(args.end(), db.begin(), db.end());
    return args;
  };

  auto listed = fk::test::run_finkernel(with_db({"plugin", "list", "--tenant", tenant}));
  INFO(listed.out);
  CHECK(listed.exit_code == 0);
  CHECK(listed.out.find("peer 1.0.0  REFUSED at load") !=
        std::string::npos);  // unsigned, no dev_mode
  CHECK(listed.out.find("no plugin.sig") != std::string::npos);
  CHECK(listed.out.find("disabled for " + tenant) != std::string::npos);
  CHECK(listed.out.find("broken  REFUSED") != std::string::npos);

  auto enabled = fk::test::run_finkernel(with_db({"plugin", "enable", "peer", "--tenant", tenant}));
  INFO(enabled.out);
  REQUIRE(enabled.exit_code == 0);
  auto now_on = fk::test::run_finkernel(with_db({"plugin", "list", "--tenant", tenant}));
  CHECK(now_on.out.find("  enabled for " + tenant) != std::string::npos);
  auto configured = fk::test::run_finkernel(
      with_db({"plugin", "configure", "peer", "--tenant", tenant, "--json", "{\"nope\": 1}"}));
  CHECK(configured.exit_code == 1);  // peer declares no settings
  CHECK(configured.out.find("nope") != std::string::npos);
  auto disabled =
      fk::test::run_finkernel(with_db({"plugin", "disable", "peer", "--tenant", tenant}));
  REQUIRE(disabled.exit_code == 0);
  CHECK(fk::test::run_finkernel(with_db({"plugin", "enable", "nope", "--tenant", tenant}))
            .exit_code == 2);

  pqxx::connection connection(TestDatabase::instance().owner_url());
  pqxx::work tx(connection);
  tx.exec_params("SELECT set_config('fk.tenant_id', $1, true)", tenant);
  const auto actions = tx.exec(
      "SELECT action, actor_type, actor_id FROM audit_log WHERE action LIKE 'plugin.%' ORDER BY "
      "seq");
  REQUIRE(actions.size() == 2);
  CHECK(actions[0][0].as<std::string>() == "plugin.enable");
  CHECK(actions[1][0].as<std::string>() == "plugin.disable");
  CHECK(actions[0][2].as<std::string>().rfind("cli:", 0) == 0);
  unsetenv("FINKERNEL_PLUGINS_DIR");
  fs::remove_all(plugins);
}
