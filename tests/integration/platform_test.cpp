// The platform realm: administrators without a tenant, the tenant lifecycle
// and policy reload over HTTP, and the wall between the two realms.

#include "auth/platform_admins.hpp"
#include "auth/user_admin.hpp"
#include "db/tenant_transaction.hpp"
#include "keys/master_key.hpp"
#include "keys/tenant_keys.hpp"
#include "support/http_client.hpp"
#include "support/test_database.hpp"
#include "support/test_kernel.hpp"

#include <catch2/catch.hpp>
#include <pqxx/pqxx>

#include <unistd.h>
#include <filesystem>
#include <fstream>
#include <sstream>

using fk::test::http_call;

namespace {

constexpr const char* kPassword = "correct-horse-battery-9";

std::string platform_login(uint16_t port, const std::string& email,
                           const std::string& password = kPassword) {
  const auto reply =
      http_call(port, "POST", "/v1/platform/auth/login", {{"Content-Type", "application/json"}},
                nlohmann::json{{"email", email}, {"password", password}}.dump());
  INFO(reply.body);
  return reply.status == 200 ? reply.json()["data"]["accessToken"].get<std::string>()
                             : std::string();
}

std::map<std::string, std::string> bearer(const std::string& token) {
  return {{"Authorization", "Bearer " + token}, {"Content-Type", "application/json"}};
}

std::string unique(const std::string& prefix) {
  return prefix + "-" + std::to_string(getpid());
}

}  // namespace

TEST_CASE("platform administrators manage tenants; realms do not mix", "[platform]") {
  auto config = fk::test::test_config();
  char pattern[] = "/tmp/fk-platform-policies-XXXXXX";
  const std::filesystem::path policy_dir = mkdtemp(pattern);
  for (const auto& entry : std::filesystem::directory_iterator(config.identity.policy_dir)) {
    std::filesystem::copy_file(entry.path(), policy_dir / entry.path().filename());
  }
  config.identity.policy_dir = policy_dir;
  config.identity.master_key_file = (policy_dir / "master.key").string();
  config.identity.audit_key_file = (policy_dir / "audit-key.json").string();
  fk::test::TestKernel kernel(config);
  const auto owner = fk::test::TestDatabase::instance().owner_url();
  const auto admin_email = unique("root") + "@platform.example";
  const auto auditor_email = unique("auditor") + "@platform.example";
  fk::auth::create_platform_admin(owner, kernel.app().auth().policy(), *kernel.app().rbac(),
                                  admin_email, kPassword, {"platform-admin"});
  fk::auth::create_platform_admin(owner, kernel.app().auth().policy(), *kernel.app().rbac(),
                                  auditor_email, kPassword, {"platform-auditor"});

  REQUIRE(platform_login(kernel.port(), admin_email, "wrong-password-123").empty());
  REQUIRE(platform_login(kernel.port(), "nobody@platform.example").empty());
  const auto admin = platform_login(kernel.port(), admin_email);
  const auto auditor = platform_login(kernel.port(), auditor_email);
  REQUIRE_FALSE(admin.empty());
  REQUIRE_FALSE(auditor.empty());

  const auto slug = unique("plat");
  const auto created =
      http_call(kernel.port(), "POST", "/v1/platform/tenants", bearer(admin),
                nlohmann::json{{"slug", slug}, {"displayName", "Platform Made"}}.dump());
  REQUIRE(created.status == 201);
  const std::string tenant_id = created.json()["data"]["id"];
  REQUIRE(http_call(kernel.port(), "POST", "/v1/platform/tenants", bearer(admin),
                    nlohmann::json{{"slug", slug}, {"displayName", "Again"}}.dump())
              .status == 409);
  REQUIRE(http_call(kernel.port(), "GET", "/v1/platform/tenants", bearer(auditor)).status == 200);
  REQUIRE(http_call(kernel.port(), "POST", "/v1/platform/tenants", bearer(auditor),
                    R"({"slug":"nope-nope","displayName":"x"})")
              .status == 403);

  // Suspension through the API takes effect on the tenant's next request.
  {
    fk::db::TenantTransaction transaction(kernel.app().pool(), tenant_id);
    fk::auth::create_user(transaction.work(), kernel.app().auth().policy(), *kernel.app().rbac(),
                          "user@plat.example", "", kPassword, {"tenant-admin"});
    transaction.commit();
  }
  const auto login = http_call(
      kernel.port(), "POST", "/v1/auth/login", {{"Content-Type", "application/json"}},
      nlohmann::json{{"tenant", slug}, {"email", "user@plat.example"}, {"password", kPassword}}
          .dump());
  const std::string tenant_token = login.json()["data"]["accessToken"];
  REQUIRE(http_call(kernel.port(), "POST", "/v1/platform/tenants/" + tenant_id + "/suspend",
                    bearer(admin))
              .status == 200);
  const auto suspended =
      http_call(kernel.port(), "GET", "/v1/tenant/settings", bearer(tenant_token));
  REQUIRE(suspended.status == 403);
  REQUIRE(suspended.json()["error"]["code"] == "TENANT_SUSPENDED");
  REQUIRE(
      http_call(kernel.port(), "POST", "/v1/platform/tenants/" + slug + "/resume", bearer(admin))
          .status == 200);
  REQUIRE(http_call(kernel.port(), "GET", "/v1/tenant/settings", bearer(tenant_token)).status ==
          200);

  // Key rotation needs a master key; audit verification works for tenant and platform chains.
  const auto no_master = http_call(kernel.port(), "POST",
                                   "/v1/platform/tenants/" + slug + "/keys/rotate", bearer(admin));
  REQUIRE(no_master.status == 409);
  REQUIRE(no_master.json()["error"]["code"] == "MASTER_KEY_UNAVAILABLE");
  fk::keys::init_master_key_file(config.identity.master_key_file);
  const auto rotated = http_call(kernel.port(), "POST",
                                 "/v1/platform/tenants/" + slug + "/keys/rotate", bearer(admin));
  INFO(rotated.body);
  REQUIRE(rotated.status == 200);
  REQUIRE(rotated.json()["data"]["currentVersion"] == 2);
  REQUIRE(http_call(kernel.port(), "POST", "/v1/platform/tenants/" + slug + "/keys/rotate",
                    bearer(auditor))
              .status == 403);
  for (const auto& chain : {slug, std::string("platform")}) {
    const auto verified = http_call(
        kernel.port(), "GET", "/v1/platform/tenants/" + chain + "/audit/verify", bearer(auditor));
    INFO(verified.body);
    REQUIRE(verified.status == 200);
    REQUIRE(verified.json()["data"]["ok"] == true);
    REQUIRE(verified.json()["data"]["count"].get<long long>() > 0);
  }

  // Realms do not mix: tenant tokens cannot reach platform routes and vice versa.
  REQUIRE(http_call(kernel.port(), "GET", "/v1/platform/tenants", bearer(tenant_token)).status ==
          403);
  REQUIRE(http_call(kernel.port(), "GET", "/v1/tenant/settings", bearer(admin)).status == 403);
  REQUIRE(http_call(kernel.port(), "GET", "/v1/platform/tenants").status == 401);

  // Policy reload by API: a bad file is refused and named; a good one applies.
  REQUIRE(http_call(kernel.port(), "POST", "/v1/platform/policies/reload", bearer(admin)).status ==
          200);
  std::ofstream(policy_dir / "ratelimits.yaml", std::ios::trunc) << "plans: {}\n";
  const auto refused =
      http_call(kernel.port(), "POST", "/v1/platform/policies/reload", bearer(admin));
  REQUIRE(refused.status == 422);
  REQUIRE(refused.json()["error"]["code"] == "POLICY_INVALID");
  REQUIRE(refused.json()["error"]["details"]["problem"].get<std::string>().find(
              "ratelimits.yaml") != std::string::npos);
  REQUIRE(http_call(kernel.port(), "GET", "/v1/platform/tenants", bearer(admin)).status ==
          200);  // old policy
  REQUIRE(
      http_call(kernel.port(), "POST", "/v1/platform/policies/reload", bearer(auditor)).status ==
      403);
  std::filesystem::remove_all(policy_dir);
}

TEST_CASE("deleting a tenant shreds its keys and ends its access", "[platform]") {
  fk::test::TestKernel kernel;
  const auto owner = fk::test::TestDatabase::instance().owner_url();
  const auto admin_email = unique("deleter") + "@platform.example";
  fk::auth::create_platform_admin(owner, kernel.app().auth().policy(), *kernel.app().rbac(),
                                  admin_email, kPassword, {"platform-admin"});
  const auto admin = platform_login(kernel.port(), admin_email);
  const auto tenant_id = fk::test::create_tenant("doomed");

  // Encrypt something under the tenant's data key, as a backup would hold it.
  char dir[] = "/tmp/fk-shred-XXXXXX";
  REQUIRE(mkdtemp(dir) != nullptr);
  const std::string key_file = std::string(dir) + "/master.key";
  fk::keys::init_master_key_file(key_file);
  fk::keys::TenantKeyService keys(fk::keys::load_master_key_file(key_file));
  std::string ciphertext;
  {
    fk::db::TenantTransaction transaction(kernel.app().pool(), tenant_id);
    ciphertext = keys.encrypt(transaction.work(), tenant_id, "test.secret:1", "account 12345678");
    transaction.commit();
  }

  REQUIRE(http_call(kernel.port(), "POST", "/v1/platform/tenants/" + tenant_id + "/delete",
                    bearer(admin))
              .status == 200);
  REQUIRE(http_call(kernel.port(), "POST", "/v1/platform/tenants/" + tenant_id + "/delete",
                    bearer(admin))
              .status == 409);
  REQUIRE(
      http_call(kernel.port(), "GET", "/v1/tenant/settings", {{"X-Tenant-Id", tenant_id}}).status ==
      404);
  {
    fk::db::TenantTransaction transaction(kernel.app().pool(), tenant_id);
    REQUIRE(transaction.work().exec("SELECT 1 FROM tenant_data_keys").empty());
    REQUIRE(transaction.work().exec("SELECT 1 FROM tenant_key_state").empty());
    // A fresh service (no cached key) cannot decrypt what was saved before deletion.
    fk::keys::TenantKeyService fresh(fk::keys::load_master_key_file(key_file));
    REQUIRE_THROWS(fresh.decrypt(transaction.work(), tenant_id, "test.secret:1", ciphertext));
  }
  // The deletion is in the platform audit chain.
  pqxx::connection connection(owner);
  pqxx::work tx(connection);
  tx.exec("SELECT set_config('fk.tenant_id', '00000000-0000-0000-0000-000000000000', true)");
  REQUIRE(
      tx.exec_params("SELECT 1 FROM audit_log WHERE action = 'tenant.deleted' AND resource = $1",
                     "tenants/" + tenant_id)
          .size() == 1);
  std::filesystem::remove_all(dir);
}

TEST_CASE("platform auditors read the platform chain; policy reloads are audited", "[platform]") {
  auto config = fk::test::test_config();
  char pattern[] = "/tmp/fk-platform-audit-XXXXXX";
  const std::filesystem::path policy_dir = mkdtemp(pattern);
  for (const auto& entry : std::filesystem::directory_iterator(config.identity.policy_dir)) {
    std::filesystem::copy_file(entry.path(), policy_dir / entry.path().filename());
  }
  // A platform role without platform:audit.read, to show the permission is checked.
  {
    std::ifstream in(policy_dir / "rbac.yaml");
    std::stringstream content;
    content << in.rdbuf();
    std::string text = content.str();
    const auto at = text.find("\nroles:\n");
    REQUIRE(at != std::string::npos);
    text.insert(at + 8,
                "  platform-operator:\n    realm: platform\n    grants: "
                "[\"platform:tenants.read\"]\n");
    std::ofstream(policy_dir / "rbac.yaml", std::ios::trunc) << text;
  }
  config.identity.policy_dir = policy_dir;
  fk::test::TestKernel kernel(config);
  const auto owner = fk::test::TestDatabase::instance().owner_url();
  const auto admin_email = unique("reloader") + "@platform.example";
  const auto auditor_email = unique("reader") + "@platform.example";
  const auto operator_email = unique("operator") + "@platform.example";
  const auto admin_id =
      fk::auth::create_platform_admin(owner, kernel.app().auth().policy(), *kernel.app().rbac(),
                                      admin_email, kPassword, {"platform-admin"});
  fk::auth::create_platform_admin(owner, kernel.app().auth().policy(), *kernel.app().rbac(),
                                  auditor_email, kPassword, {"platform-auditor"});
  fk::auth::create_platform_admin(owner, kernel.app().auth().policy(), *kernel.app().rbac(),
                                  operator_email, kPassword, {"platform-operator"});
  const auto admin = platform_login(kernel.port(), admin_email);
  const auto auditor = platform_login(kernel.port(), auditor_email);
  const auto operator_token = platform_login(kernel.port(), operator_email);
  REQUIRE_FALSE(operator_token.empty());

  // One good reload over HTTP, one refused, one by signal (as SIGHUP does).
  REQUIRE(http_call(kernel.port(), "POST", "/v1/platform/policies/reload", bearer(admin)).status ==
          200);
  const auto good_limits = policy_dir / "ratelimits.good";
  std::filesystem::copy_file(policy_dir / "ratelimits.yaml", good_limits);
  std::ofstream(policy_dir / "ratelimits.yaml", std::ios::trunc) << "plans: {}\n";
  REQUIRE(http_call(kernel.port(), "POST", "/v1/platform/policies/reload", bearer(admin)).status ==
          422);
  std::filesystem::copy_file(good_limits, policy_dir / "ratelimits.yaml",
                             std::filesystem::copy_options::overwrite_existing);
  REQUIRE(kernel.app().reload_policies("system", "SIGHUP").empty());

  // The auditor reads them, filtered by action and actor, page by page.
  const auto read = [&](const std::string& query, const std::string& token) {
    return http_call(kernel.port(), "GET", "/v1/platform/audit" + query, bearer(token));
  };
  const auto by_admin =
      read("?action=policy.reload&actorType=platform_admin&actorId=" + admin_id, auditor);
  INFO(by_admin.body);
  REQUIRE(by_admin.status == 200);
  const auto records = by_admin.json()["data"]["records"];
  REQUIRE(records.size() == 2);
  REQUIRE(records[0]["outcome"] == "success");
  REQUIRE(records[1]["outcome"] == "failure");
  REQUIRE(records[1]["summary"]["problem"].get<std::string>().find("ratelimits.yaml") !=
          std::string::npos);
  REQUIRE(records[0]["seq"].get<long long>() < records[1]["seq"].get<long long>());

  const auto first = read("?action=policy.reload&actorId=SIGHUP&limit=1", auditor);
  REQUIRE(first.status == 200);
  REQUIRE(first.json()["data"]["records"].size() == 1);
  REQUIRE(first.json()["data"]["records"][0]["actor"]["type"] == "system");

  // Keyset pagination from the first reload on: pages join without gaps or repeats.
  std::vector<long long> seqs;
  std::string cursor = std::to_string(records[0]["seq"].get<long long>() - 1);
  for (int page = 0; page < 1000; ++page) {
    const auto reply = read("?limit=2" + (cursor.empty() ? "" : "&after=" + cursor), auditor);
    REQUIRE(reply.status == 200);
    const auto body = reply.json();
    for (const auto& record : body["data"]["records"]) seqs.push_back(record["seq"]);
    const auto next = body["data"]["nextCursor"];
    if (next.is_null()) break;
    cursor = std::to_string(next.get<long long>());
  }
  REQUIRE(seqs.size() >= 3);
  for (std::size_t i = 1; i < seqs.size(); ++i) REQUIRE(seqs[i] == seqs[i - 1] + 1);
  REQUIRE(read("?from=2999-01-01T00:00:00Z", auditor).json()["data"]["records"].empty());
  REQUIRE(read("?after=x", auditor).status == 400);
  REQUIRE(read("?from=not-a-date", auditor).status == 400);

  // The permission, not the realm, decides; tenant tokens and anonymous callers are out.
  const auto denied = read("", operator_token);
  REQUIRE(denied.status == 403);
  REQUIRE(read("", admin).status == 200);  // platform-admin grants platform:*
  REQUIRE(http_call(kernel.port(), "GET", "/v1/platform/audit").status == 401);
  std::filesystem::remove_all(policy_dir);
}
