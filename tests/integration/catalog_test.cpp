// Catalog guard: fails the build the moment any migration adds a tenant
// table that breaks the tenancy rules, or the runtime role gains a privilege
// that would let it step around them.

#include "db/roles.hpp"
#include "support/test_database.hpp"

#include <catch2/catch.hpp>
#include <pqxx/pqxx>

using fk::test::TestDatabase;

TEST_CASE("every table with tenant_id follows the tenancy rules", "[catalog]") {
  pqxx::connection connection(TestDatabase::instance().owner_url());
  pqxx::read_transaction tx(connection);
  const auto tables = tx.exec(
      "SELECT c.oid, c.relname, c.relrowsecurity, c.relforcerowsecurity "
      "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
      "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT "
      "a.attisdropped "
      "WHERE c.relkind IN ('r', 'p') AND n.nspname = 'public'");
  REQUIRE(tables.size() >= 1);  // tenant_settings at least

  for (const auto& table : tables) {
    const auto name = table[1].as<std::string>();
    INFO("table " << name);
    CHECK(table[2].as<bool>());  // ENABLE ROW LEVEL SECURITY
    CHECK(table[3].as<bool>());  // FORCE ROW LEVEL SECURITY

    const auto policies = tx.exec_params(
        "SELECT polname, polqual IS NOT NULL, polwithcheck IS NOT NULL, polpermissive "
        "FROM pg_policy WHERE polrelid = $1",
        table[0].as<long long>());
    REQUIRE(policies.size() >= 1);
    for (const auto& policy : policies) {
      INFO("policy " << policy[0].as<std::string>());
      CHECK(policy[1].as<bool>());  // USING
      CHECK(policy[2].as<bool>());  // WITH CHECK
      const auto expression = tx.exec_params(
                                    "SELECT pg_get_expr(polqual, polrelid) FROM pg_policy WHERE "
                                    "polrelid = $1 AND polname = $2",
                                    table[0].as<long long>(), policy[0].as<std::string>())[0][0]
                                  .as<std::string>();
      CHECK(expression.find("fk_current_tenant()") != std::string::npos);
      CHECK(expression.find("SELECT") != std::string::npos);  // evaluated once per statement
    }

    const auto primary_key_first_column = tx.exec_params(
        "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
        "AND a.attnum = i.indkey[0] WHERE i.indrelid = $1 AND i.indisprimary",
        table[0].as<long long>());
    REQUIRE(primary_key_first_column.size() == 1);
    CHECK(primary_key_first_column[0][0].as<std::string>() == "tenant_id");

    // Every foreign key includes tenant_id (references to tenants(id) are tenant_id itself).
    const auto foreign_keys = tx.exec_params(
        "SELECT conname, bool_or(a.attname = 'tenant_id') FROM pg_constraint con "
        "JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = ANY (con.conkey) "
        "WHERE con.conrelid = $1 AND con.contype = 'f' GROUP BY conname",
        table[0].as<long long>());
    for (const auto& key : foreign_keys) {
      INFO("foreign key " << key[0].as<std::string>());
      CHECK(key[1].as<bool>());
    }
  }
}

TEST_CASE("the runtime role holds no power over row-level security", "[catalog]") {
  pqxx::connection connection(TestDatabase::instance().superuser_url());
  pqxx::read_transaction tx(connection);
  const auto role = tx.exec_params(
      "SELECT rolsuper, rolbypassrls, rolcreaterole, rolcreatedb, rolreplication "
      "FROM pg_roles WHERE rolname = $1",
      fk::db::kRuntimeRole);
  REQUIRE(role.size() == 1);
  CHECK_FALSE(role[0][0].as<bool>());
  CHECK_FALSE(role[0][1].as<bool>());
  CHECK_FALSE(role[0][2].as<bool>());
  CHECK_FALSE(role[0][3].as<bool>());
  CHECK_FALSE(role[0][4].as<bool>());

  pqxx::connection database(
      TestDatabase::with_database(TestDatabase::instance().superuser_url(), fk::db::kDatabaseName));
  pqxx::read_transaction in_database(database);
  const auto owned = in_database.exec_params(
      "SELECT c.relname FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner WHERE r.rolname = $1",
      fk::db::kRuntimeRole);
  CHECK(owned.empty());
  const auto memberships = in_database.exec_params(
      "SELECT 1 FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.member WHERE r.rolname = $1",
      fk::db::kRuntimeRole);
  CHECK(memberships.empty());  // member of no role, so SET ROLE has nowhere to go

  const auto owner = in_database.exec_params(
      "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = $1", fk::db::kOwnerRole);
  CHECK_FALSE(owner[0][0].as<bool>());
  CHECK_FALSE(owner[0][1].as<bool>());
}
