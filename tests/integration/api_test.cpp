// End to end over HTTP: the kernel serving on a real socket against the
// real test database, driven the way a client would.

#include "support/http_client.hpp"
#include "support/test_database.hpp"
#include "support/test_kernel.hpp"
#include "tenancy/tenant_admin.hpp"

#include <catch2/catch.hpp>
#include <pqxx/pqxx>

using fk::test::http_call;

namespace {

const std::map<std::string, std::string> json_headers(const std::string& tenant) {
  return {{"X-Tenant-Id", tenant}, {"Content-Type", "application/json"}};
}

void require_envelope_error(const fk::test::HttpReply& reply, int status, const std::string& code) {
  INFO(reply.body);
  REQUIRE(reply.status == status);
  REQUIRE(reply.headers.at("content-type") == "application/json");
  const auto document = reply.json();
  REQUIRE(document["error"]["code"] == code);
  REQUIRE(document["error"]["message"].is_string());
  REQUIRE(document["error"]["details"].is_object());
  REQUIRE(document["meta"]["requestId"] == reply.headers.at("x-request-id"));
  REQUIRE(document["meta"]["timestamp"].is_string());
  REQUIRE_FALSE(document.contains("data"));
}

}  // namespace

TEST_CASE("operational endpoints", "[api]") {
  fk::test::TestKernel kernel;

  SECTION("/health answers in the envelope") {
    const auto reply = http_call(kernel.port(), "GET", "/health");
    REQUIRE(reply.status == 200);
    REQUIRE(reply.json()["data"]["status"] == "ok");
    REQUIRE(reply.json()["meta"]["requestId"].get<std::string>().size() == 36);
  }
  SECTION("/ready checks the database and migrations") {
    const auto reply = http_call(kernel.port(), "GET", "/ready");
    REQUIRE(reply.status == 200);
    REQUIRE(reply.json()["data"]["checks"]["migrations"] == "current");
  }
  SECTION("/metrics is Prometheus text with route templates") {
    http_call(kernel.port(), "GET", "/health");
    http_call(kernel.port(), "GET", "/nowhere");
    const auto reply = http_call(kernel.port(), "GET", "/metrics");
    REQUIRE(reply.status == 200);
    REQUIRE(reply.headers.at("content-type").find("text/plain") == 0);
    REQUIRE(reply.body.find(
                "finkernel_http_requests_total{method=\"GET\",route=\"/health\",status=\"200\"}") !=
            std::string::npos);
    REQUIRE(reply.body.find("route=\"(unmatched)\",status=\"404\"") != std::string::npos);
    REQUIRE(reply.body.find("finkernel_http_request_duration_seconds_bucket") != std::string::npos);
    REQUIRE(reply.body.find("finkernel_db_pool_connections{state=\"idle\"}") != std::string::npos);
    REQUIRE(reply.body.find("finkernel_build_info{version=") != std::string::npos);
  }
  SECTION("unknown paths and wrong methods answer in the envelope") {
    require_envelope_error(http_call(kernel.port(), "GET", "/v1/nothing-here"), 404, "NOT_FOUND");
    const auto wrong_method = http_call(kernel.port(), "DELETE", "/v1/tenant/settings");
    require_envelope_error(wrong_method, 405, "METHOD_NOT_ALLOWED");
    REQUIRE(wrong_method.headers.at("allow") == "GET, PUT");
  }
}

TEST_CASE("request ids are echoed when sane and replaced when not", "[api]") {
  fk::test::TestKernel kernel;
  const auto given =
      http_call(kernel.port(), "GET", "/health", {{"X-Request-Id", "trace-123.abc"}});
  REQUIRE(given.headers.at("x-request-id") == "trace-123.abc");
  REQUIRE(given.json()["meta"]["requestId"] == "trace-123.abc");

  const auto hostile =
      http_call(kernel.port(), "GET", "/health", {{"X-Request-Id", "<script>alert(1)</script>"}});
  REQUIRE(hostile.headers.at("x-request-id") != "<script>alert(1)</script>");
  REQUIRE(hostile.headers.at("x-request-id").size() == 36);
  const auto too_long =
      http_call(kernel.port(), "GET", "/health", {{"X-Request-Id", std::string(200, 'a')}});
  REQUIRE(too_long.headers.at("x-request-id").size() == 36);
}

TEST_CASE("tenant settings: read, write, validate", "[api]") {
  const auto tenant = fk::test::create_tenant("api-settings");
  fk::test::TestKernel kernel;

  SECTION("defaults, then an update that is read back") {
    const auto initial =
        http_call(kernel.port(), "GET", "/v1/tenant/settings", {{"X-Tenant-Id", tenant}});
    REQUIRE(initial.status == 200);
    REQUIRE(initial.json()["data"]["budget_alert_thresholds"] == nlohmann::json({80, 100, 120}));

    const auto updated =
        http_call(kernel.port(), "PUT", "/v1/tenant/settings", json_headers(tenant),
                  R"({"display_currency":"JPY","fiscal_year_start_month":4})");
    REQUIRE(updated.status == 200);
    REQUIRE(updated.json()["data"]["display_currency"] == "JPY");
    const auto read =
        http_call(kernel.port(), "GET", "/v1/tenant/settings", {{"X-Tenant-Id", tenant}});
    REQUIRE(read.json()["data"]["fiscal_year_start_month"] == 4);
  }
  SECTION("an invalid value is 422 naming the field, and nothing is written") {
    const auto reply = http_call(kernel.port(), "PUT", "/v1/tenant/settings", json_headers(tenant),
                                 R"({"timezone":"Europe/Paris","fiscal_year_start_month":13})");
    require_envelope_error(reply, 422, "VALIDATION_FAILED");
    REQUIRE(reply.json()["error"]["details"]["field"] == "fiscal_year_start_month");
    const auto read =
        http_call(kernel.port(), "GET", "/v1/tenant/settings", {{"X-Tenant-Id", tenant}});
    REQUIRE(read.json()["data"]["timezone"] == "UTC");  // the valid key was not written either
  }
  SECTION("mass assignment: tenant_id or id in the body is refused, never applied") {
    const auto other = fk::test::create_tenant("api-mass");
    for (const auto* field : {"tenant_id", "id"}) {
      const auto reply =
          http_call(kernel.port(), "PUT", "/v1/tenant/settings", json_headers(tenant),
                    nlohmann::json{{field, other}, {"locale", "fr-FR"}}.dump());
      require_envelope_error(reply, 422, "VALIDATION_FAILED");
      REQUIRE(reply.json()["error"]["details"]["field"] == field);
    }
  }
  SECTION("malformed JSON is 400, wrong media type 415, non-object 422") {
    require_envelope_error(http_call(kernel.port(), "PUT", "/v1/tenant/settings",
                                     json_headers(tenant), "{\"locale\":"),
                           400, "INVALID_JSON");
    require_envelope_error(
        http_call(kernel.port(), "PUT", "/v1/tenant/settings",
                  {{"X-Tenant-Id", tenant}, {"Content-Type", "text/plain"}}, "locale=fr"),
        415, "UNSUPPORTED_MEDIA_TYPE");
    require_envelope_error(
        http_call(kernel.port(), "PUT", "/v1/tenant/settings", json_headers(tenant), "[1,2]"), 422,
        "VALIDATION_FAILED");
    require_envelope_error(
        http_call(kernel.port(), "PUT", "/v1/tenant/settings", json_headers(tenant)), 400,
        "INVALID_JSON");
  }
}

TEST_CASE("tenants never see each other's settings", "[api]") {
  const auto tenant_a = fk::test::create_tenant("api-iso-a");
  const auto tenant_b = fk::test::create_tenant("api-iso-b");
  fk::test::TestKernel kernel;
  REQUIRE(http_call(kernel.port(), "PUT", "/v1/tenant/settings", json_headers(tenant_a),
                    R"({"display_currency":"CHF"})")
              .status == 200);
  const auto b =
      http_call(kernel.port(), "GET", "/v1/tenant/settings", {{"X-Tenant-Id", tenant_b}});
  REQUIRE(b.json()["data"]["display_currency"] == "USD");
}

TEST_CASE("tenant resolution and status", "[api]") {
  fk::test::TestKernel kernel;
  SECTION("no tenant header is 401") {
    require_envelope_error(http_call(kernel.port(), "GET", "/v1/tenant/settings"), 401,
                           "UNAUTHENTICATED");
  }
  SECTION("a malformed tenant id is 400") {
    require_envelope_error(
        http_call(kernel.port(), "GET", "/v1/tenant/settings", {{"X-Tenant-Id", "1 OR 1=1"}}), 400,
        "INVALID_TENANT_ID");
  }
  SECTION("an unknown tenant is 404") {
    require_envelope_error(http_call(kernel.port(), "GET", "/v1/tenant/settings",
                                     {{"X-Tenant-Id", "00000000-0000-4000-8000-000000000000"}}),
                           404, "TENANT_NOT_FOUND");
  }
  SECTION("a suspended tenant is 403 TENANT_SUSPENDED until resumed") {
    const auto tenant = fk::test::create_tenant("api-suspend");
    fk::tenancy::TenantAdmin admin(fk::test::TestDatabase::instance().owner_url());
    admin.suspend(tenant);
    require_envelope_error(
        http_call(kernel.port(), "GET", "/v1/tenant/settings", {{"X-Tenant-Id", tenant}}), 403,
        "TENANT_SUSPENDED");
    admin.resume(tenant);
    REQUIRE(
        http_call(kernel.port(), "GET", "/v1/tenant/settings", {{"X-Tenant-Id", tenant}}).status ==
        200);
  }
}

TEST_CASE("without dev_mode the tenant header is not trusted", "[api]") {
  const auto tenant = fk::test::create_tenant("api-nodev");
  auto config = fk::test::test_config();
  config.dev_mode = false;
  fk::test::TestKernel kernel(config);
  require_envelope_error(
      http_call(kernel.port(), "GET", "/v1/tenant/settings", {{"X-Tenant-Id", tenant}}), 401,
      "UNAUTHENTICATED");
  REQUIRE(http_call(kernel.port(), "GET", "/health").status == 200);
}
