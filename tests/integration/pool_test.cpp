// The connection pool against a real server: bounded, timing out, and
// recovering by itself when PostgreSQL restarts under it.

#include "db/connection_pool.hpp"
#include "support/http_client.hpp"
#include "support/test_database.hpp"
#include "support/test_kernel.hpp"

#include <catch2/catch.hpp>
#include <pqxx/pqxx>

using fk::test::TestDatabase;

TEST_CASE("the pool is bounded and an acquire times out", "[pool]") {
  fk::db::ConnectionPool pool(TestDatabase::instance().runtime_url(), 1,
                              std::chrono::milliseconds(200));
  auto held = pool.acquire();
  REQUIRE(pool.stats().in_use == 1);
  REQUIRE_THROWS_AS(pool.acquire(), fk::db::PoolUnavailable);
  const auto stats = pool.stats();
  REQUIRE(stats.timeouts == 1);
  REQUIRE(stats.waits == 1);
}

TEST_CASE("a released connection is reused, not reopened", "[pool]") {
  fk::db::ConnectionPool pool(TestDatabase::instance().runtime_url(), 2,
                              std::chrono::milliseconds(1000));
  int first_backend = 0;
  {
    auto connection = pool.acquire();
    first_backend = connection->backendpid();
  }
  auto again = pool.acquire();
  REQUIRE(again->backendpid() == first_backend);
  REQUIRE(pool.stats().idle == 0);
}

TEST_CASE("requests succeed again after PostgreSQL restarts", "[pool]") {
  const auto tenant = fk::test::create_tenant("pool-restart");
  fk::test::TestKernel kernel;
  const std::map<std::string, std::string> headers = {{"X-Tenant-Id", tenant}};

  // Warm every pooled connection so all of them are broken by the restart.
  for (int i = 0; i < 8; ++i) {
    REQUIRE(fk::test::http_call(kernel.port(), "GET", "/v1/tenant/settings", headers).status ==
            200);
  }
  TestDatabase::instance().cluster().restart();

  // No request may fail: the pool notices closed connections before use.
  for (int i = 0; i < 8; ++i) {
    const auto reply = fk::test::http_call(kernel.port(), "GET", "/v1/tenant/settings", headers);
    INFO(reply.body);
    REQUIRE(reply.status == 200);
  }
  REQUIRE(kernel.app().pool().stats().replaced >= 1);
  REQUIRE(fk::test::http_call(kernel.port(), "GET", "/ready").status == 200);
}

TEST_CASE("while the database is down requests get 503, then recover", "[pool]") {
  const auto tenant = fk::test::create_tenant("pool-down");
  fk::test::TestKernel kernel;
  const std::map<std::string, std::string> headers = {{"X-Tenant-Id", tenant}};
  REQUIRE(fk::test::http_call(kernel.port(), "GET", "/v1/tenant/settings", headers).status == 200);

  TestDatabase::instance().cluster().stop();
  const auto down = fk::test::http_call(kernel.port(), "GET", "/v1/tenant/settings", headers);
  const auto not_ready = fk::test::http_call(kernel.port(), "GET", "/ready");
  TestDatabase::instance().cluster().start();

  REQUIRE(down.status == 503);
  REQUIRE(down.json()["error"]["code"] == "DATABASE_UNAVAILABLE");
  REQUIRE(down.body.find("password") == std::string::npos);
  REQUIRE(not_ready.status == 503);
  REQUIRE(not_ready.json()["error"]["code"] == "NOT_READY");
  REQUIRE(fk::test::http_call(kernel.port(), "GET", "/v1/tenant/settings", headers).status == 200);
}
