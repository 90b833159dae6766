// Migration drift and concurrent start-up, each against its own fresh
// database in the test cluster.

#include "db/embedded_migrations.hpp"
#include "db/migrator.hpp"
#include "db/roles.hpp"
#include "support/test_database.hpp"

#include <catch2/catch.hpp>
#include <pqxx/pqxx>

#include <atomic>
#include <thread>

using fk::test::TestDatabase;

namespace {

// A new empty database owned by the owner role; returns its owner URL.
std::string fresh_database(const std::string& name) {
  pqxx::connection admin(TestDatabase::instance().superuser_url());
  pqxx::nontransaction tx(admin);
  tx.exec("DROP DATABASE IF EXISTS " + name);
  tx.exec("CREATE DATABASE " + name + " OWNER fk_owner TEMPLATE template0");
  tx.exec("GRANT CONNECT ON DATABASE " + name + " TO fk_runtime");
  pqxx::connection inside(
      TestDatabase::with_database(TestDatabase::instance().superuser_url(), name));
  pqxx::nontransaction setup(inside);
  setup.exec("ALTER SCHEMA public OWNER TO fk_owner");
  setup.exec("GRANT USAGE ON SCHEMA public TO fk_runtime");
  return TestDatabase::with_database(TestDatabase::instance().owner_url(), name);
}

std::size_t recorded(const std::string& url) {
  pqxx::connection connection(url);
  pqxx::read_transaction tx(connection);
  return tx.exec("SELECT count(*) FROM fk_schema_migrations WHERE component = 'kernel'")[0][0]
      .as<std::size_t>();
}

}  // namespace

TEST_CASE("migrations apply once, in order, and re-running is a no-op", "[migrations]") {
  const auto url = fresh_database("fk_migrate_once");
  fk::db::Migrator migrator(url, "kernel", fk::db::embedded_migrations());
  const auto first = migrator.migrate();
  REQUIRE(first.applied.size() == fk::db::embedded_migrations().size());
  REQUIRE(first.applied.front() < first.applied.back());
  const auto second = migrator.migrate();
  REQUIRE(second.applied.empty());
  REQUIRE(second.already_applied == fk::db::embedded_migrations().size());
  REQUIRE(recorded(url) == fk::db::embedded_migrations().size());
}

TEST_CASE("a changed applied migration stops the start, naming it", "[migrations]") {
  const auto url = fresh_database("fk_migrate_changed");
  fk::db::Migrator(url, "kernel", fk::db::embedded_migrations()).migrate();

  auto edited = fk::db::embedded_migrations();
  edited[0].sql += "\n-- edited after release\n";
  REQUIRE_THROWS_WITH(
      fk::db::Migrator(url, "kernel", edited).migrate(),
      Catch::Contains(edited[0].name) && Catch::Contains("was changed after it was applied"));
}

TEST_CASE("an applied migration missing from the binary stops the start", "[migrations]") {
  const auto url = fresh_database("fk_migrate_missing");
  fk::db::Migrator(url, "kernel", fk::db::embedded_migrations()).migrate();
  auto fewer = fk::db::embedded_migrations();
  const auto dropped = fewer.back().name;
  fewer.pop_back();
  REQUIRE_THROWS_WITH(fk::db::Migrator(url, "kernel", fewer).migrate(),
                      Catch::Contains(dropped) && Catch::Contains("missing from this kernel"));
}

TEST_CASE("a failing migration is rolled back and not recorded", "[migrations]") {
  const auto url = fresh_database("fk_migrate_failing");
  auto broken = fk::db::embedded_migrations();
  broken.push_back(
      {"9999_broken.sql", "CREATE TABLE half_done (id int); SELECT no_such_function();"});
  REQUIRE_THROWS_WITH(fk::db::Migrator(url, "kernel", broken).migrate(),
                      Catch::Contains("9999_broken.sql") && Catch::Contains("rolled back"));
  pqxx::connection connection(url);
  pqxx::read_transaction tx(connection);
  REQUIRE(tx.exec("SELECT to_regclass('half_done') IS NULL")[0][0].as<bool>());
  REQUIRE(recorded(url) == fk::db::embedded_migrations().size());
}

TEST_CASE("kernels starting at once do not both migrate", "[migrations]") {
  const auto url = fresh_database("fk_migrate_concurrent");
  constexpr int kKernels = 4;
  std::atomic<std::size_t> total_applied{0};
  std::atomic<int> failures{0};
  std::vector<std::thread> kernels;
  for (int i = 0; i < kKernels; ++i) {
    kernels.emplace_back([&] {
      try {
        total_applied +=
            fk::db::Migrator(url, "kernel", fk::db::embedded_migrations()).migrate().applied.size();
      } catch (...) {
        ++failures;
      }
    });
  }
  for (auto& kernel : kernels) kernel.join();
  REQUIRE(failures == 0);
  REQUIRE(total_applied == fk::db::embedded_migrations().size());
  REQUIRE(recorded(url) == fk::db::embedded_migrations().size());
}

TEST_CASE("readiness sees whether migrations are current", "[migrations]") {
  const auto url = fresh_database("fk_migrate_ready");
  {
    pqxx::connection connection(url);
    pqxx::read_transaction tx(connection);
    REQUIRE_FALSE(fk::db::Migrator::is_current(tx, "kernel", fk::db::embedded_migrations()));
  }
  fk::db::Migrator(url, "kernel", fk::db::embedded_migrations()).migrate();
  pqxx::connection connection(url);
  pqxx::read_transaction tx(connection);
  REQUIRE(fk::db::Migrator::is_current(tx, "kernel", fk::db::embedded_migrations()));
}
