// The tenancy rules of docs/architecture.md, checked as the runtime role
// against the real database: isolation is the database's job, so these
// tests talk SQL directly, the way a compromised handler would.

#include "support/test_database.hpp"

#include <catch2/catch.hpp>
#include <pqxx/pqxx>

namespace {

using fk::test::TestDatabase;

void set_tenant(pqxx::transaction_base& tx, const std::string& tenant_id) {
  tx.exec_params("SELECT set_config('fk.tenant_id', $1, true)", tenant_id);
}

void put_setting(const std::string& tenant_id, const std::string& key, const std::string& json) {
  pqxx::connection connection(TestDatabase::instance().runtime_url());
  pqxx::work tx(connection);
  set_tenant(tx, tenant_id);
  tx.exec_params("INSERT INTO tenant_settings (tenant_id, key, value) VALUES ($1, $2, $3::jsonb)",
                 tenant_id, key, json);
  tx.commit();
}

std::size_t visible_rows(pqxx::transaction_base& tx) {
  return tx.exec("SELECT * FROM tenant_settings").size();
}

}  // namespace

TEST_CASE("runtime role sees only the current tenant's rows", "[rls]") {
  const auto tenant_a = fk::test::create_tenant("rls-a");
  const auto tenant_b = fk::test::create_tenant("rls-b");
  put_setting(tenant_a, "timezone", "\"UTC\"");
  put_setting(tenant_b, "timezone", "\"Asia/Tokyo\"");

  pqxx::connection connection(TestDatabase::instance().runtime_url());

  SECTION("SELECT of another tenant's rows returns nothing") {
    pqxx::work tx(connection);
    set_tenant(tx, tenant_a);
    REQUIRE(tx.exec_params("SELECT value::text FROM tenant_settings WHERE tenant_id = $1", tenant_b)
                .empty());
    const auto own = tx.exec("SELECT tenant_id::text FROM tenant_settings");
    REQUIRE(own.size() == 1);
    REQUIRE(own[0][0].as<std::string>() == tenant_a);
  }

  SECTION("UPDATE and DELETE of another tenant's rows affect nothing") {
    pqxx::work tx(connection);
    set_tenant(tx, tenant_a);
    REQUIRE(
        tx.exec_params("UPDATE tenant_settings SET value = '\"X\"' WHERE tenant_id = $1", tenant_b)
            .affected_rows() == 0);
    REQUIRE(tx.exec_params("DELETE FROM tenant_settings WHERE tenant_id = $1", tenant_b)
                .affected_rows() == 0);
    tx.commit();
    pqxx::work check(connection);
    set_tenant(check, tenant_b);
    REQUIRE(check.exec("SELECT value::text FROM tenant_settings")[0][0].as<std::string>() ==
            "\"Asia/Tokyo\"");
  }

  SECTION("INSERT into another tenant is refused by WITH CHECK") {
    pqxx::work tx(connection);
    set_tenant(tx, tenant_a);
    REQUIRE_THROWS_AS(
        tx.exec_params("INSERT INTO tenant_settings (tenant_id, key, value) VALUES ($1, 'locale', "
                       "'\"en-US\"')",
                       tenant_b),
        pqxx::insufficient_privilege);
  }

  SECTION("UPDATE moving a row to another tenant is refused") {
    pqxx::work tx(connection);
    set_tenant(tx, tenant_a);
    REQUIRE_THROWS_AS(tx.exec_params("UPDATE tenant_settings SET tenant_id = $1", tenant_b),
                      pqxx::insufficient_privilege);
  }

  SECTION("no tenant setting gives no rows") {
    pqxx::work tx(connection);
    REQUIRE(visible_rows(tx) == 0);
  }

  SECTION("an empty tenant setting gives no rows") {
    pqxx::work tx(connection);
    set_tenant(tx, "");
    REQUIRE(visible_rows(tx) == 0);
  }

  SECTION("a setting from an earlier transaction on the same connection is gone") {
    {
      pqxx::work first(connection);
      set_tenant(first, tenant_a);
      REQUIRE(visible_rows(first) == 1);
      first.commit();
    }
    pqxx::work second(connection);
    REQUIRE(second.exec("SELECT current_setting('fk.tenant_id', true)")[0][0].as<std::string>("") ==
            "");
    REQUIRE(visible_rows(second) == 0);
  }

  SECTION("a session-level (non-local) setting is not how tenants are scoped, yet still scopes") {
    // Even if code wrongly used a session-level setting, it names one tenant only.
    pqxx::nontransaction session(connection);
    session.exec_params("SELECT set_config('fk.tenant_id', $1, false)", tenant_b);
    const auto rows = session.exec("SELECT tenant_id::text FROM tenant_settings");
    REQUIRE(rows.size() == 1);
    REQUIRE(rows[0][0].as<std::string>() == tenant_b);
  }

  SECTION("a malformed tenant setting is an error, never a match") {
    pqxx::work tx(connection);
    set_tenant(tx, "not-a-uuid");
    REQUIRE_THROWS_AS(visible_rows(tx), pqxx::data_exception);
  }
}

TEST_CASE("runtime role cannot escape row-level security", "[rls]") {
  pqxx::connection connection(TestDatabase::instance().runtime_url());

  SECTION("cannot SET ROLE to the owner") {
    pqxx::nontransaction tx(connection);
    REQUIRE_THROWS_AS(tx.exec("SET ROLE fk_owner"), pqxx::insufficient_privilege);
  }
  SECTION("cannot disable row-level security") {
    pqxx::nontransaction tx(connection);
    REQUIRE_THROWS_AS(tx.exec("ALTER TABLE tenant_settings DISABLE ROW LEVEL SECURITY"),
                      pqxx::insufficient_privilege);
  }
  SECTION("cannot turn off FORCE or drop the policy") {
    pqxx::nontransaction tx(connection);
    REQUIRE_THROWS_AS(tx.exec("ALTER TABLE tenant_settings NO FORCE ROW LEVEL SECURITY"),
                      pqxx::insufficient_privilege);
    REQUIRE_THROWS_AS(tx.exec("DROP POLICY tenant_isolation ON tenant_settings"),
                      pqxx::insufficient_privilege);
  }
  SECTION("cannot read or change the tenants table directly") {
    pqxx::nontransaction tx(connection);
    REQUIRE_THROWS_AS(tx.exec("SELECT * FROM tenants"), pqxx::insufficient_privilege);
    REQUIRE_THROWS_AS(tx.exec("UPDATE tenants SET status = 'active'"),
                      pqxx::insufficient_privilege);
  }
  SECTION("reads tenant status only through the function meant for it") {
    const auto tenant = fk::test::create_tenant("rls-status");
    pqxx::nontransaction tx(connection);
    REQUIRE(tx.exec_params("SELECT fk_tenant_status($1::uuid)", tenant)[0][0].as<std::string>() ==
            "active");
  }
  SECTION("cannot bypass RLS with row_security = off") {
    pqxx::nontransaction tx(connection);
    tx.exec("SET row_security = off");
    // With row_security off, a query that RLS would filter raises instead of leaking.
    REQUIRE_THROWS_AS(tx.exec("SELECT * FROM tenant_settings"), pqxx::insufficient_privilege);
  }
}

TEST_CASE("the owner role is filtered too (FORCE ROW LEVEL SECURITY)", "[rls]") {
  const auto tenant = fk::test::create_tenant("rls-owner");
  put_setting(tenant, "locale", "\"de-DE\"");
  pqxx::connection connection(TestDatabase::instance().owner_url());
  pqxx::work tx(connection);
  REQUIRE(visible_rows(tx) == 0);
}
