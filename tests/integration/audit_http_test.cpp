// Auditing through the running kernel: every state-changing request leaves a
// record in its tenant's chain, a failed change leaves none, a denial leaves
// its own, and the CLI verifies the chain and names tampering.

#include "auth/user_admin.hpp"
#include "db/tenant_transaction.hpp"
#include "support/http_client.hpp"
#include "support/subprocess.hpp"
#include "support/test_database.hpp"
#include "support/test_kernel.hpp"

#include <catch2/catch.hpp>
#include <pqxx/pqxx>

#include <cstdlib>
#include <filesystem>
#include <tuple>

using fk::test::http_call;

namespace {

constexpr const char* kPassword = "correct-horse-battery-9";

std::map<std::string, std::string> as(const std::string& token, const std::string& request_id) {
  return {{"Authorization", "Bearer " + token},
          {"Content-Type", "application/json"},
          {"X-Request-Id", request_id}};
}

}  // namespace

TEST_CASE("every state change is audited in its tenant's chain; failures leave none",
          "[auditflow]") {
  fk::test::TestKernel kernel;
  const auto tenant_id = fk::test::create_tenant("auditflow");
  std::string slug;
  {
    pqxx::connection connection(fk::test::TestDatabase::instance().owner_url());
    pqxx::read_transaction tx(connection);
    slug = tx.exec_params1("SELECT slug FROM tenants WHERE id = $1::uuid", tenant_id)[0]
               .as<std::string>();
  }
  {
    fk::db::TenantTransaction transaction(kernel.app().pool(), tenant_id);
    for (const auto& [email, role] : std::vector<std::pair<std::string, std::string>>{
             {"admin@audit.example", "tenant-admin"}, {"member@audit.example", "member"}}) {
      fk::auth::create_user(transaction.work(), kernel.app().auth().policy(), *kernel.app().rbac(),
                            email, "", kPassword, {role});
    }
    transaction.commit();
  }
  const auto login = [&](const std::string& email) {
    return http_call(
               kernel.port(), "POST", "/v1/auth/login", {{"Content-Type", "application/json"}},
               nlohmann::json{{"tenant", slug}, {"email", email}, {"password", kPassword}}.dump())
        .json()["data"]["accessToken"]
        .get<std::string>();
  };
  const auto admin = login("admin@audit.example");
  const auto member = login("member@audit.example");

  // State changes, each with a request id we can look for.
  const std::vector<std::tuple<std::string, std::string, std::string, std::string>> changes = {
      {"PUT", "/v1/tenant/settings", R"({"locale":"de-DE"})", "chg-settings"},
      {"POST", "/v1/users", R"({"email":"new@audit.example","password":"another-long-password-7"})",
       "chg-user"},
      {"POST", "/v1/api-keys", R"({"name":"k","permissions":["tenant:settings.read"]})", "chg-key"},
      {"PUT", "/v1/roles/viewer", R"({"permissions":["tenant:users.read"]})", "chg-role"},
  };
  for (const auto& [method, path, body, id] : changes) {
    const auto reply = http_call(kernel.port(), method, path, as(admin, id), body);
    INFO(method << " " << path << ": " << reply.body);
    REQUIRE(reply.status < 300);
  }
  // A failed change (validation) and a denial.
  REQUIRE(http_call(kernel.port(), "PUT", "/v1/tenant/settings", as(admin, "chg-invalid"),
                    R"({"fiscal_year_start_month":13})")
              .status == 422);
  REQUIRE(http_call(kernel.port(), "PUT", "/v1/tenant/settings", as(member, "chg-denied"),
                    R"({"locale":"fr-FR"})")
              .status == 403);
  // A failed login.
  http_call(
      kernel.port(), "POST", "/v1/auth/login",
      {{"Content-Type", "application/json"}, {"X-Request-Id", "chg-badlogin"}},
      nlohmann::json{
          {"tenant", slug}, {"email", "member@audit.example"}, {"password", "wrong-password-1"}}
          .dump());

  const auto log = http_call(kernel.port(), "GET", "/v1/audit?limit=1000", as(admin, "read"));
  REQUIRE(log.status == 200);
  INFO(log.body.substr(0, 3000));
  std::map<std::string, std::vector<nlohmann::json>> by_request;
  const auto records = log.json()["data"]["records"];
  for (std::size_t i = 0; i < records.size(); ++i) {
    by_request[records[i]["requestId"].get<std::string>()].push_back(records[i]);
  }

  for (const auto& [method, path, body, id] : changes) {
    INFO(id);
    REQUIRE(by_request[id].size() == 1);
    CHECK(by_request[id][0]["outcome"] == "success");
    CHECK(by_request[id][0]["action"].get<std::string>().rfind("http." + method + " ", 0) == 0);
    CHECK(by_request[id][0]["actor"]["type"] == "user");
  }
  CHECK(by_request["chg-invalid"].empty());  // rolled back with the change
  REQUIRE(by_request["chg-denied"].size() == 1);
  CHECK(by_request["chg-denied"][0]["outcome"] == "denied");
  REQUIRE(by_request["chg-badlogin"].size() == 1);
  CHECK(by_request["chg-badlogin"][0]["action"] == "auth.login.failed");
  CHECK(log.body.find("another-long-password-7") == std::string::npos);  // no secrets recorded
  CHECK(log.body.find(kPassword) == std::string::npos);
  // Members cannot read the log; auditors and admins can.
  REQUIRE(http_call(kernel.port(), "GET", "/v1/audit", as(member, "read2")).status == 403);

  // The CLI verifies the chain, then names the record an attacker altered.
  char keys_dir[] = "/tmp/fk-audit-cli-XXXXXX";
  REQUIRE(mkdtemp(keys_dir) != nullptr);
  setenv("FINKERNEL_IDENTITY_AUDIT_KEY_FILE", (std::string(keys_dir) + "/audit.json").c_str(), 1);
  const std::vector<std::string> database = {
      "--database-url", fk::test::TestDatabase::instance().owner_url(), "--runtime-database-url",
      fk::test::TestDatabase::instance().runtime_url()};
  auto with = [&](std::vector<std::string> args) {
    args.insert(args.end(), database.begin(), database.end());
    return args;
  };
  const auto intact = fk::test::run_finkernel(with({"audit", "verify", "--tenant", slug}));
  INFO(intact.out);
  REQUIRE(intact.exit_code == 0);
  REQUIRE(fk::test::run_finkernel(with({"audit", "checkpoint", "--tenant", slug})).exit_code == 0);
  {
    pqxx::connection superuser(fk::test::TestDatabase::with_database(
        fk::test::TestDatabase::instance().superuser_url(), "finkernel"));
    pqxx::work tx(superuser);
    tx.exec("SET session_replication_role = replica");  // past the append-only triggers, as an
                                                        // attacker could
    tx.exec_params("UPDATE audit_log SET outcome = 'denied' WHERE tenant_id = $1::uuid AND seq = 3",
                   tenant_id);
    tx.commit();
  }
  const auto tampered = fk::test::run_finkernel(with({"audit", "verify", "--tenant", slug}));
  INFO(tampered.out);
  REQUIRE(tampered.exit_code == 1);
  REQUIRE(tampered.out.find("3") != std::string::npos);
  unsetenv("FINKERNEL_IDENTITY_AUDIT_KEY_FILE");
  std::filesystem::remove_all(keys_dir);
}
