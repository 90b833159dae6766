// The pipeline's guarantees with purpose-built routes: failures become
// clean envelopes, a failed handler leaves nothing written, and routes that
// declare no permission never start.

#include "api/pipeline.hpp"
#include "http/server.hpp"
#include "log/json_log.hpp"
#include "support/http_client.hpp"
#include "support/test_database.hpp"

#include <catch2/catch.hpp>
#include <pqxx/pqxx>

#include <stdexcept>

using fk::test::TestDatabase;

namespace {

fk::authz::RbacPolicy test_policy() {
  return fk::authz::RbacPolicy::parse(R"(
permissions:
  test:read: read things
  test:write: write things
  tenant:approvals.read: list approvals
  tenant:approvals.decide: decide approvals
  test:pay: move money
roles:
  tester:
    realm: tenant
    grants: ["test:*"]
approvals:
  test:pay:
    checker: tenant:approvals.decide
    when: { field: amount, greater_than: 100000 }
)",
                                      "test-policy");
}

fk::ratelimit::RateLimitPolicy generous_limits() {
  fk::ratelimit::RateLimitPolicy limits;
  limits.plans["test"] = {{1000, 1000}, {1000, 1000}};
  limits.default_plan = "test";
  limits.login_per_address = {1000, 1000};
  return limits;
}

struct Harness {
  fk::db::ConnectionPool pool{TestDatabase::instance().runtime_url(), 2,
                              std::chrono::milliseconds(2000)};
  fk::tenancy::TenantDirectory tenants{pool, std::chrono::milliseconds(0)};
  std::unique_ptr<fk::api::Authenticator> authenticator =
      fk::api::make_authenticator(nullptr, nullptr, true);
  fk::authz::Swappable<fk::authz::RbacPolicy> policy{test_policy()};
  std::unique_ptr<fk::ratelimit::RateLimiter> limiter = fk::ratelimit::make_in_process_limiter();
  fk::authz::Swappable<fk::ratelimit::RateLimitPolicy> limits{generous_limits()};
  fk::ops::Metrics metrics;
  std::unique_ptr<fk::api::Pipeline> pipeline;
  std::unique_ptr<fk::http::Server> server;

  explicit Harness(std::vector<fk::api::Route> routes) {
    fk::log::set_level(fk::log::Level::off);
    pipeline = std::make_unique<fk::api::Pipeline>(
        fk::api::PipelineServices{pool, tenants, *authenticator, policy, *limiter, limits, metrics},
        std::move(routes));
    fk::http::ServerOptions options;
    options.port = 0;
    options.threads = 1;
    server = std::make_unique<fk::http::Server>(
        options, [this](fk::http::Request& request) { return pipeline->handle(request); },
        [this](int status, std::string_view code, std::string_view message) {
          return pipeline->protocol_error(status, code, message);
        });
    server->start();
  }
  ~Harness() {
    server->stop();
    fk::log::set_level(fk::log::Level::info);
  }
};

std::string stored_value(const std::string& tenant, const std::string& key) {
  pqxx::connection connection(TestDatabase::instance().runtime_url());
  pqxx::work tx(connection);
  tx.exec_params("SELECT set_config('fk.tenant_id', $1, true)", tenant);
  const auto rows = tx.exec_params("SELECT value::text FROM tenant_settings WHERE key = $1", key);
  return rows.empty() ? "" : rows[0][0].as<std::string>();
}

}  // namespace

TEST_CASE("a throwing handler becomes a generic 500 and the server keeps serving", "[pipeline]") {
  const auto tenant = fk::test::create_tenant("pipe-throw");
  Harness harness({
      {"GET", "/boom", fk::api::Scope::open, "public",
       [](fk::api::RequestContext&) -> fk::api::Reply {
         throw std::runtime_error("secret internal detail: password=hunter2");
       }},
      {"PUT", "/write-then-fail", fk::api::Scope::tenant, "test:write",
       [](fk::api::RequestContext& context) -> fk::api::Reply {
         context.db().exec(
             "INSERT INTO tenant_settings (tenant_id, key, value) "
             "VALUES (fk_current_tenant(), 'locale', '\"xx-XX\"')");
         throw std::runtime_error("failed after writing");
       }},
      {"GET", "/whoami", fk::api::Scope::tenant, "test:read",
       [](fk::api::RequestContext& context) {
         const auto current =
             context.db().exec("SELECT current_setting('fk.tenant_id'), current_user")[0];
         return fk::api::Reply{200,
                               {{"tenant", current[0].as<std::string>()},
                                {"role", current[1].as<std::string>()},
                                {"contextTenant", context.tenant_id()}},
                               {},
                               {}};
       }},
  });
  const auto port = harness.server->port();

  const auto boom = fk::test::http_call(port, "GET", "/boom", {{"X-Request-Id", "boom-1"}});
  REQUIRE(boom.status == 500);
  REQUIRE(boom.json()["error"]["code"] == "INTERNAL_ERROR");
  REQUIRE(boom.json()["meta"]["requestId"] == "boom-1");
  REQUIRE(boom.body.find("hunter2") == std::string::npos);
  REQUIRE(boom.body.find("secret") == std::string::npos);

  const auto failed =
      fk::test::http_call(port, "PUT", "/write-then-fail", {{"X-Tenant-Id", tenant}});
  REQUIRE(failed.status == 500);
  REQUIRE(stored_value(tenant, "locale").empty());  // rolled back with the request

  const auto whoami = fk::test::http_call(port, "GET", "/whoami", {{"X-Tenant-Id", tenant}});
  REQUIRE(whoami.status == 200);
  REQUIRE(whoami.json()["data"]["tenant"] == tenant);
  REQUIRE(whoami.json()["data"]["contextTenant"] == tenant);
  REQUIRE(whoami.json()["data"]["role"] == "fk_runtime");
}

TEST_CASE("a route without a declared permission does not start", "[pipeline]") {
  fk::db::ConnectionPool pool{TestDatabase::instance().runtime_url(), 1,
                              std::chrono::milliseconds(100)};
  fk::tenancy::TenantDirectory tenants{pool, std::chrono::milliseconds(0)};
  auto authenticator = fk::api::make_authenticator(nullptr, nullptr, true);
  const fk::authz::Swappable<fk::authz::RbacPolicy> policy{test_policy()};
  auto limiter = fk::ratelimit::make_in_process_limiter();
  const fk::authz::Swappable<fk::ratelimit::RateLimitPolicy> limits{generous_limits()};
  fk::ops::Metrics metrics;
  std::vector<fk::api::Route> routes = {
      {"GET", "/undeclared", fk::api::Scope::tenant, "",
       [](fk::api::RequestContext&) { return fk::api::Reply{}; }}};
  REQUIRE_THROWS_WITH(
      fk::api::Pipeline({pool, tenants, *authenticator, policy, *limiter, limits, metrics}, routes),
      Catch::Contains("GET /undeclared") && Catch::Contains("declares no permission"));

  std::vector<fk::api::Route> duplicated = {
      {"GET", "/twice", fk::api::Scope::open, "public",
       [](fk::api::RequestContext&) { return fk::api::Reply{}; }},
      {"GET", "/twice", fk::api::Scope::open, "public",
       [](fk::api::RequestContext&) { return fk::api::Reply{}; }}};
  REQUIRE_THROWS_WITH(
      fk::api::Pipeline({pool, tenants, *authenticator, policy, *limiter, limits, metrics},
                        duplicated),
      Catch::Contains("declared twice"));

  std::vector<fk::api::Route> undeclared_in_policy = {
      {"GET", "/ghost", fk::api::Scope::tenant, "test:ghost",
       [](fk::api::RequestContext&) { return fk::api::Reply{}; }}};
  REQUIRE_THROWS_WITH(
      fk::api::Pipeline({pool, tenants, *authenticator, policy, *limiter, limits, metrics},
                        undeclared_in_policy),
      Catch::Contains("test:ghost") && Catch::Contains("does not declare"));
}

TEST_CASE("a draining kernel refuses new work with 503", "[pipeline]") {
  Harness harness({{"GET", "/ping", fk::api::Scope::open, "public", [](fk::api::RequestContext&) {
                      return fk::api::Reply{200, "pong", {}, {}};
                    }}});
  REQUIRE(fk::test::http_call(harness.server->port(), "GET", "/ping").status == 200);
  harness.pipeline->start_draining();
  const auto reply = fk::test::http_call(harness.server->port(), "GET", "/ping");
  REQUIRE(reply.status == 503);
  REQUIRE(reply.json()["error"]["code"] == "SHUTTING_DOWN");
}

TEST_CASE("an approval rule with an amount ceiling gates only larger amounts", "[pipeline]") {
  const auto tenant = fk::test::create_tenant("pipe-ceiling");
  Harness harness(
      {{"POST", "/pay", fk::api::Scope::tenant, "test:pay", [](fk::api::RequestContext&) {
          return fk::api::Reply{200, {{"paid", true}}, {}, {}};
        }}});
  const std::map<std::string, std::string> headers = {{"X-Tenant-Id", tenant},
                                                      {"Content-Type", "application/json"}};
  const auto small =
      fk::test::http_call(harness.server->port(), "POST", "/pay", headers, R"({"amount":100000})");
  REQUIRE(small.status == 200);
  REQUIRE(small.json()["data"]["paid"] == true);
  // Above the ceiling the action is not executed: it needs a maker who can be
  // held to it (a logged-in user) and then a checker.
  const auto large =
      fk::test::http_call(harness.server->port(), "POST", "/pay", headers, R"({"amount":100001})");
  REQUIRE(large.status == 403);
  REQUIRE(large.json()["error"]["code"] == "APPROVAL_NEEDS_USER");
}
