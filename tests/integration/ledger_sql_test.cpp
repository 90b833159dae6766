// The ledger plugin's business rules, tested where they live: the SQL
// functions of plugins/ledger/migrations, applied as the owner role to the
// harness database and called as the runtime role inside
// fk::db::TenantTransaction -- exactly how the plugin calls them through the
// kernel (one statement per operation, tenant set transaction-locally, row-level
// security on). A call that returns {"error": ...} is rolled back, as the
// kernel's commit rule does for a 4xx answer.

#include "../../plugins/ledger/src/money.hpp"
#include "../../plugins/ledger/src/requests.hpp"
#include "../ledger/ledger_abi_host.hpp"
#include "db/connection_pool.hpp"
#include "db/migrator.hpp"
#include "db/roles.hpp"
#include "db/tenant_transaction.hpp"
#include "integration/ledger_http_fixture.hpp"
#include "ledger/ledger_migrations.hpp"
#include "plugins/plugin_admin.hpp"
#include "plugins/plugin_host.hpp"
#include "support/http_client.hpp"
#include "support/test_database.hpp"
#include "support/test_kernel.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

using fk::test::TestDatabase;
using nlohmann::json;

// Applies the ledger's migrations once per test process, as the kernel
// does when it loads the plugin (owner role, component "ledger").
void ensure_ledger_schema() {
  static std::once_flag once;
  std::call_once(once, [] {
    fk::db::Migrator(TestDatabase::instance().owner_url(), "ledger",
                     fk::test::ledger::ledger_migrations())
        .migrate();
  });
}

fk::db::ConnectionPool& runtime_pool() {
  ensure_ledger_schema();
  static fk::db::ConnectionPool pool(TestDatabase::instance().runtime_url(), 40,
                                     std::chrono::seconds(30));
  return pool;
}

bool is_error(const json& value) {
  return value.is_object() && value.contains("error");
}

std::string error_code(const json& value) {
  return is_error(value) ? value["error"]["code"].get<std::string>() : std::string("(no error)");
}

// One ledger function call in its own tenant transaction: commits unless the
// function answered an error (then rolls back, like the kernel).
template <class... Args>
json call(const std::string& tenant, const std::string& sql, const Args&... args) {
  fk::db::TenantTransaction tx(runtime_pool(), tenant);
  const pqxx::result rows = tx.work().exec_params(sql, args...);
  REQUIRE(rows.size() == 1);
  const json value = rows[0][0].is_null() ? json() : json::parse(rows[0][0].as<std::string>());
  if (!is_error(value)) tx.commit();
  return value;
}

json create_account(const std::string& tenant, const json& request) {
  return call(tenant, "SELECT ledger_create_account($1::jsonb, 'user:test')", request.dump());
}

std::string new_account(const std::string& tenant, const std::string& code, const std::string& type,
                        const std::string& currency, bool allow_negative = true,
                        const std::string& parent_code = "") {
  json request = {{"code", code},
                  {"name", "Account " + code},
                  {"type", type},
                  {"currency", currency},
                  {"allowNegative", allow_negative}};
  if (!parent_code.empty()) request["parentCode"] = parent_code;
  const json result = create_account(tenant, request);
  INFO(result.dump());
  REQUIRE_FALSE(is_error(result));
  return result["account"]["id"].get<std::string>();
}

json line(const std::string& code, int64_t minor, const std::string& currency = "USD") {
  return {{"accountCode", code}, {"amount", minor}, {"currency", currency}};
}

json entry(const json& lines, const std::string& description = "test entry") {
  return {{"description", description}, {"lines", lines}};
}

// POST an entry; key "" means no Idempotency-Key.
json post(const std::string& tenant, const json& request, const std::string& key = "") {
  return call(tenant, "SELECT ledger_post_entry($1::jsonb, nullif($2, ''), 'user:test')",
              request.dump(), key);
}

json account(const std::string& tenant, const std::string& id) {
  return call(tenant, "SELECT ledger_get_account($1::uuid)", id);
}

int64_t posted(const std::string& tenant, const std::string& id) {
  return account(tenant, id)["balance"]["posted"]["minor"].get<int64_t>();
}

int64_t available(const std::string& tenant, const std::string& id) {
  return account(tenant, id)["balance"]["available"]["minor"].get<int64_t>();
}

// The ledger's invariants for one tenant, checked from the raw tables:
// counters == sums of lines, running balances and sequences consistent,
// every entry balanced per currency, the trial balance zero per currency.
void check_invariants(const std::string& tenant) {
  fk::db::TenantTransaction tx(runtime_pool(), tenant);
  auto& w = tx.work();
  const auto counter_mismatches = w.exec(
      "SELECT a.code FROM ledger_accounts a "
      "LEFT JOIN LATERAL (SELECT "
      "  coalesce(sum(amount) FILTER (WHERE amount > 0 AND NOT pending), 0) AS pd, "
      "  coalesce(-sum(amount) FILTER (WHERE amount < 0 AND NOT pending), 0) AS pc, "
      "  coalesce(sum(amount) FILTER (WHERE amount > 0 AND pending AND EXISTS ("
      "    SELECT 1 FROM ledger_holds h WHERE h.id = l.entry_id AND h.status = 'pending')), 0) AS "
      "hd, "
      "  coalesce(-sum(amount) FILTER (WHERE amount < 0 AND pending AND EXISTS ("
      "    SELECT 1 FROM ledger_holds h WHERE h.id = l.entry_id AND h.status = 'pending')), 0) AS "
      "hc, "
      "  count(*) FILTER (WHERE NOT pending) AS n, max(account_seq) AS last_seq "
      "  FROM ledger_lines l WHERE l.account_id = a.id) s ON true "
      "WHERE a.posted_debits <> s.pd OR a.posted_credits <> s.pc OR a.pending_debits <> s.hd "
      "   OR a.pending_credits <> s.hc OR a.line_seq <> s.n "
      "   OR coalesce(s.last_seq, 0) <> a.line_seq");
  INFO("accounts whose counters differ from their lines: " << counter_mismatches.size());
  CHECK(counter_mismatches.empty());
  const auto running = w.exec(
      "SELECT l.entry_id FROM ledger_lines l WHERE NOT l.pending AND l.balance_after <> "
      "(SELECT sum(x.amount) FROM ledger_lines x WHERE x.account_id = l.account_id "
      " AND NOT x.pending AND x.account_seq <= l.account_seq)");
  CHECK(running.empty());
  const auto unbalanced = w.exec(
      "SELECT entry_id, currency FROM ledger_lines GROUP BY entry_id, currency "
      "HAVING sum(amount) <> 0");
  CHECK(unbalanced.empty());
  const json trial =
      json::parse(w.exec("SELECT ledger_trial_balance(NULL)")[0][0].as<std::string>());
  CHECK(trial["balanced"].get<bool>());
  for (const auto& currency : trial["currencies"]) {
    CHECK(currency["difference"]["minor"].get<int64_t>() == 0);
  }
}

}  // namespace

TEST_CASE("ledger tables follow the tenancy rules and the runtime role cannot rewrite history",
          "[ledgersql]") {
  ensure_ledger_schema();
  pqxx::connection connection(TestDatabase::instance().owner_url());
  pqxx::read_transaction tx(connection);
  const auto tables = tx.exec(
      "SELECT c.oid, c.relname, c.relrowsecurity, c.relforcerowsecurity FROM pg_class c "
      "JOIN pg_namespace n ON n.oid = c.relnamespace "
      "WHERE c.relkind IN ('r', 'p') AND n.nspname = 'public' AND c.relname LIKE 'ledger\\_%'");
  REQUIRE(tables.size() == 5);
  for (const auto& table : tables) {
    const auto name = table[1].as<std::string>();
    const auto oid = table[0].as<long long>();
    INFO("table " << name);
    CHECK(table[2].as<bool>());
    CHECK(table[3].as<bool>());
    const auto tenant_column = tx.exec_params(
        "SELECT 1 FROM pg_attribute WHERE attrelid = $1 AND attname = 'tenant_id' "
        "AND atttypid = 'uuid'::regtype AND attnotnull",
        oid);
    CHECK(tenant_column.size() == 1);
    const auto policies = tx.exec_params(
        "SELECT pg_get_expr(polqual, polrelid), pg_get_expr(polwithcheck, polrelid), polcmd "
        "FROM pg_policy WHERE polrelid = $1",
        oid);
    REQUIRE(policies.size() == 1);
    CHECK(policies[0][0].as<std::string>().find("SELECT fk_current_tenant()") != std::string::npos);
    CHECK(policies[0][1].as<std::string>().find("SELECT fk_current_tenant()") != std::string::npos);
    CHECK(policies[0][2].as<std::string>() == "*");
    const auto pk_first = tx.exec_params(
        "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
        "AND a.attnum = i.indkey[0] WHERE i.indrelid = $1 AND i.indisprimary",
        oid);
    REQUIRE(pk_first.size() == 1);
    CHECK(pk_first[0][0].as<std::string>() == "tenant_id");
    for (const auto& fk : tx.exec_params(
             "SELECT conname, bool_or(a.attname = 'tenant_id') FROM pg_constraint con "
             "JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = ANY (con.conkey) "
             "WHERE con.conrelid = $1 AND con.contype = 'f' GROUP BY conname",
             oid)) {
      INFO("foreign key " << fk[0].as<std::string>());
      CHECK(fk[1].as<bool>());
    }
    // Never DELETE or TRUNCATE; never UPDATE whole rows.
    for (const char* privilege : {"DELETE", "TRUNCATE", "UPDATE"}) {
      INFO(privilege);
      CHECK_FALSE(tx.exec_params("SELECT has_table_privilege($1, $2::regclass, $3)",
                                 fk::db::kRuntimeRole, name, privilege)[0][0]
                      .as<bool>());
    }
  }
  // Entries, lines and idempotency records have no updatable column at all;
  // holds only their resolution; accounts no identity or currency.
  const auto updatable = tx.exec_params(
      "SELECT c.relname || '.' || a.attname FROM pg_class c JOIN pg_attribute a ON a.attrelid = "
      "c.oid "
      "WHERE c.relname LIKE 'ledger\\_%' AND c.relkind = 'r' AND a.attnum > 0 AND NOT "
      "a.attisdropped "
      "AND has_column_privilege($1, c.oid, a.attnum, 'UPDATE') ORDER BY 1",
      fk::db::kRuntimeRole);
  std::set<std::string> columns;
  for (const auto& row : updatable) columns.insert(row[0].as<std::string>());
  const std::set<std::string> expected = {
      "ledger_accounts.allow_negative", "ledger_accounts.closed_at",
      "ledger_accounts.line_seq",       "ledger_accounts.metadata",
      "ledger_accounts.name",           "ledger_accounts.pending_credits",
      "ledger_accounts.pending_debits", "ledger_accounts.posted_credits",
      "ledger_accounts.posted_debits",  "ledger_accounts.status",
      "ledger_holds.posted_entry_id",   "ledger_holds.resolved_at",
      "ledger_holds.resolved_by",       "ledger_holds.status"};
  CHECK(columns == expected);
}

TEST_CASE("a posted entry cannot be changed or deleted by the runtime role", "[ledgersql]") {
  const auto tenant = fk::test::create_tenant("ledger-immutable");
  new_account(tenant, "1000", "asset", "USD");
  new_account(tenant, "4000", "income", "USD");
  const json posted_entry = post(tenant, entry({line("1000", 500), line("4000", -500)}));
  REQUIRE_FALSE(is_error(posted_entry));
  const auto id = posted_entry["entry"]["id"].get<std::string>();
  for (const char* sql : {"UPDATE ledger_lines SET amount = amount * 2 WHERE entry_id = $1::uuid",
                          "DELETE FROM ledger_lines WHERE entry_id = $1::uuid",
                          "UPDATE ledger_entries SET description = 'x' WHERE id = $1::uuid",
                          "DELETE FROM ledger_entries WHERE id = $1::uuid"}) {
    INFO(sql);
    fk::db::TenantTransaction tx(runtime_pool(), tenant);
    CHECK_THROWS_AS(tx.work().exec_params(sql, id), pqxx::insufficient_privilege);
  }
  // A hold's resolution may be written once, never undone.
  const json hold = call(tenant, "SELECT ledger_create_hold($1::jsonb, NULL, 'user:test')",
                         entry({line("1000", 100), line("4000", -100)}).dump());
  const auto hold_id = hold["hold"]["id"].get<std::string>();
  REQUIRE(call(tenant, "SELECT ledger_void_hold($1::uuid, 'user:test')",
               hold_id)["hold"]["hold"]["status"] == "voided");
  fk::db::TenantTransaction tx(runtime_pool(), tenant);
  CHECK_THROWS_AS(
      tx.work().exec_params("UPDATE ledger_holds SET status = 'pending', resolved_at = NULL "
                            "WHERE id = $1::uuid",
                            hold_id),
      pqxx::check_violation);
}

TEST_CASE("the ISO 4217 table in SQL equals the plugin's C++ table", "[ledgersql]") {
  ensure_ledger_schema();
  pqxx::connection connection(TestDatabase::instance().runtime_url());
  pqxx::read_transaction tx(connection);
  for (const auto& currency : fk::ledger::kCurrencies) {
    INFO(currency.code);
    CHECK(tx.exec_params("SELECT ledger_currency_exponent($1)", std::string(currency.code))[0][0]
              .as<int>() == currency.exponent);
  }
  for (const char* unknown : {"XXX", "usd", "US", "USDD", ""}) {
    INFO(unknown);
    CHECK(tx.exec_params("SELECT ledger_currency_exponent($1)", std::string(unknown))[0][0]
              .is_null());
  }
  for (int64_t minor : {int64_t{0}, int64_t{5}, int64_t{-5}, int64_t{1234}, int64_t{-100000},
                        fk::ledger::kMaxAbsMinor, -fk::ledger::kMaxAbsMinor}) {
    for (int exponent : {0, 2, 3, 4}) {
      INFO(minor << " e" << exponent);
      CHECK(tx.exec_params("SELECT ledger_format_minor($1, $2)", minor, exponent)[0][0]
                .as<std::string>() == fk::ledger::format_minor(minor, exponent));
    }
  }
}

TEST_CASE("accounts: codes are unique per tenant, currencies ISO 4217, parents exist",
          "[ledgersql]") {
  const auto tenant = fk::test::create_tenant("ledger-accounts");
  const auto other = fk::test::create_tenant("ledger-accounts-other");
  const auto cash = new_account(tenant, "1000", "asset", "USD");
  new_account(tenant, "1010", "asset", "USD", true, "1000");

  const json duplicate = create_account(
      tenant, {{"code", "1000"}, {"name", "Again"}, {"type", "asset"}, {"currency", "USD"}});
  CHECK(error_code(duplicate) == "ACCOUNT_CODE_EXISTS");
  CHECK(duplicate["error"]["status"] == 409);
  // Another tenant may use the same code.
  new_account(other, "1000", "asset", "EUR");

  CHECK(error_code(create_account(
            tenant, {{"code", "2000"}, {"name", "X"}, {"type", "asset"}, {"currency", "ABC"}})) ==
        "UNKNOWN_CURRENCY");
  CHECK(error_code(create_account(
            tenant, {{"code", "2000"}, {"name", "X"}, {"type", "debt"}, {"currency", "USD"}})) ==
        "VALIDATION_FAILED");
  CHECK(error_code(create_account(tenant, {{"code", "2000"},
                                           {"name", "X"},
                                           {"type", "asset"},
                                           {"currency", "USD"},
                                           {"parentCode", "9999"}})) == "PARENT_NOT_FOUND");
  CHECK(error_code(create_account(tenant, {{"code", "2000"},
                                           {"name", "X"},
                                           {"type", "liability"},
                                           {"currency", "USD"},
                                           {"parentCode", "1000"}})) == "VALIDATION_FAILED");

  const json got = account(tenant, cash);
  CHECK(got["code"] == "1000");
  CHECK(got["status"] == "open");
  CHECK(got["balance"]["posted"]["amount"] == "0.00");
  // Invisible to another tenant, even by id.
  CHECK(account(other, cash).is_null());

  const json page1 =
      call(tenant, "SELECT ledger_list_accounts($1::jsonb)", json{{"limit", 1}}.dump());
  REQUIRE(page1["items"].size() == 1);
  CHECK(page1["items"][0]["code"] == "1000");
  REQUIRE(page1["nextCursor"] == "1000");
  const json page2 = call(tenant, "SELECT ledger_list_accounts($1::jsonb)",
                          json{{"limit", 5}, {"after", "1000"}}.dump());
  REQUIRE(page2["items"].size() == 1);
  CHECK(page2["items"][0]["code"] == "1010");
  CHECK(page2["items"][0]["parentCode"] == "1000");
  CHECK(page2["nextCursor"].is_null());
}

TEST_CASE("posting: balanced per currency, unbalanced refused naming the currency", "[ledgersql]") {
  const auto tenant = fk::test::create_tenant("ledger-posting");
  const auto usd_cash = new_account(tenant, "1000", "asset", "USD");
  const auto eur_cash = new_account(tenant, "1100", "asset", "EUR");
  new_account(tenant, "4000", "income", "USD");
  new_account(tenant, "4100", "income", "EUR");

  SECTION("a multi-currency entry balancing in each currency is posted") {
    const json result = post(tenant, entry({line("1000", 1250), line("4000", -1250),
                                            line("1100", 999, "EUR"), line("4100", -999, "EUR")}));
    INFO(result.dump());
    REQUIRE_FALSE(is_error(result));
    CHECK(result["replayed"] == false);
    CHECK(result["entry"]["lines"].size() == 4);
    CHECK(result["entry"]["lines"][0]["amount"] == "12.50");
    CHECK(posted(tenant, usd_cash) == 1250);
    CHECK(posted(tenant, eur_cash) == 999);
  }

  SECTION("an entry that balances overall but not per currency names the currency") {
    const json result = post(tenant, entry({line("1000", 1000), line("4000", -900),
                                            line("1100", 100, "EUR"), line("4100", -200, "EUR")}));
    CHECK(error_code(result) == "UNBALANCED_ENTRY");
    CHECK(result["error"]["status"] == 422);
    CHECK(result["error"]["details"]["currency"] == "EUR");
    CHECK(result["error"]["message"].get<std::string>().find("EUR") != std::string::npos);
    CHECK(posted(tenant, usd_cash) == 0);  // nothing of it was written
  }

  SECTION("a line in another currency than its account is refused") {
    const json result = post(tenant, entry({line("1000", 100, "EUR"), line("4100", -100, "EUR")}));
    CHECK(error_code(result) == "CURRENCY_MISMATCH");
  }

  SECTION("unknown accounts are refused, naming the line") {
    const json result = post(tenant, entry({line("1000", 100), line("9999", -100)}));
    CHECK(error_code(result) == "ACCOUNT_NOT_FOUND");
    CHECK(result["error"]["details"]["line"] == 2);
    const json by_id = post(tenant, {{"lines",
                                      {line("1000", 100),
                                       {{"accountId", "00000000-0000-4000-8000-000000000000"},
                                        {"amount", -100},
                                        {"currency", "USD"}}}}});
    CHECK(error_code(by_id) == "ACCOUNT_NOT_FOUND");
  }

  SECTION("a closed account refuses postings; only an empty account can be closed") {
    REQUIRE_FALSE(is_error(post(tenant, entry({line("1000", 100), line("4000", -100)}))));
    const json not_empty =
        call(tenant, "SELECT ledger_close_account($1::uuid, 'user:test')", usd_cash);
    CHECK(error_code(not_empty) == "ACCOUNT_NOT_EMPTY");
    REQUIRE_FALSE(is_error(post(tenant, entry({line("1000", -100), line("4000", 100)}))));
    const json closed =
        call(tenant, "SELECT ledger_close_account($1::uuid, 'user:test')", usd_cash);
    INFO(closed.dump());
    REQUIRE_FALSE(is_error(closed));
    CHECK(closed["account"]["status"] == "closed");
    const json refused = post(tenant, entry({line("1000", 100), line("4000", -100)}));
    CHECK(error_code(refused) == "ACCOUNT_CLOSED");
    CHECK(refused["error"]["details"]["code"] == "1000");
    CHECK(error_code(call(tenant, "SELECT ledger_close_account($1::uuid, 'user:test')",
                          usd_cash)) == "ACCOUNT_CLOSED");
  }
  check_invariants(tenant);
}

TEST_CASE("idempotency: same key and body replays, another body conflicts", "[ledgersql]") {
  const auto tenant = fk::test::create_tenant("ledger-idem");
  const auto other = fk::test::create_tenant("ledger-idem-other");
  for (const auto& t : {tenant, other}) {
    new_account(t, "1000", "asset", "USD");
    new_account(t, "4000", "income", "USD");
  }
  const json body = entry({line("1000", 700), line("4000", -700)}, "invoice 17");
  const json first = post(tenant, body, "key-17");
  REQUIRE_FALSE(is_error(first));
  CHECK(first["replayed"] == false);

  const json again = post(tenant, body, "key-17");
  REQUIRE_FALSE(is_error(again));
  CHECK(again["replayed"] == true);
  CHECK(again["entry"] == first["entry"]);

  const json different = post(tenant, entry({line("1000", 701), line("4000", -701)}), "key-17");
  CHECK(error_code(different) == "IDEMPOTENCY_CONFLICT");
  CHECK(different["error"]["status"] == 409);

  // The key is per tenant: another tenant's identical key is a new posting.
  const json elsewhere = post(other, body, "key-17");
  REQUIRE_FALSE(is_error(elsewhere));
  CHECK(elsewhere["replayed"] == false);

  const json page =
      call(tenant, "SELECT ledger_list_entries($1::jsonb)", json{{"limit", 10}}.dump());
  CHECK(page["items"].size() == 1);  // posted once
  check_invariants(tenant);

  SECTION("concurrent requests with one key post once") {
    std::vector<std::thread> threads;
    std::atomic<int> posted_count{0};
    std::atomic<int> replays{0};
    std::atomic<int> conflicts{0};
    const json concurrent = entry({line("1000", 5), line("4000", -5)}, "concurrent");
    for (int i = 0; i < 8; ++i) {
      threads.emplace_back([&] {
        try {
          const json r = post(tenant, concurrent, "key-concurrent");
          if (is_error(r)) return;
          (r["replayed"].get<bool>() ? replays : posted_count)++;
        } catch (const pqxx::unique_violation&) {
          conflicts++;  // the kernel answers 409 and rolls back
        }
      });
    }
    for (auto& t : threads) t.join();
    CHECK(posted_count == 1);
    CHECK(replays + conflicts == 7);
    check_invariants(tenant);
  }
}

TEST_CASE("reversal posts the mirror entry and links both, once", "[ledgersql]") {
  const auto tenant = fk::test::create_tenant("ledger-reverse");
  const auto cash = new_account(tenant, "1000", "asset", "JPY");
  const auto sales = new_account(tenant, "4000", "income", "JPY");
  const json original =
      post(tenant, entry({line("1000", 5000, "JPY"), line("4000", -5000, "JPY")}));
  const auto id = original["entry"]["id"].get<std::string>();
  CHECK(original["entry"]["lines"][0]["amount"] == "5000");

  const json reversed =
      call(tenant, "SELECT ledger_reverse_entry($1::uuid, '{}', NULL, 'user:test')", id);
  INFO(reversed.dump());
  REQUIRE_FALSE(is_error(reversed));
  CHECK(reversed["entry"]["kind"] == "reversal");
  CHECK(reversed["entry"]["reversesId"] == id);
  CHECK(reversed["reversed"]["reversedById"] == reversed["entry"]["id"]);
  CHECK(reversed["entry"]["lines"][0]["minor"] == -5000);
  CHECK(posted(tenant, cash) == 0);
  CHECK(posted(tenant, sales) == 0);

  CHECK(error_code(call(tenant, "SELECT ledger_reverse_entry($1::uuid, '{}', NULL, 'u')", id)) ==
        "ALREADY_REVERSED");
  CHECK(error_code(call(tenant, "SELECT ledger_reverse_entry($1::uuid, '{}', NULL, 'u')",
                        reversed["entry"]["id"].get<std::string>())) == "NOT_REVERSIBLE");
  const json missing = call(tenant, "SELECT ledger_reverse_entry($1::uuid, '{}', NULL, 'u')",
                            std::string("00000000-0000-4000-8000-000000000000"));
  CHECK(error_code(missing) == "ENTRY_NOT_FOUND");
  CHECK(missing["error"]["status"] == 404);
  check_invariants(tenant);
}

TEST_CASE("holds reserve available funds and are posted, voided or expire", "[ledgersql]") {
  const auto tenant = fk::test::create_tenant("ledger-holds");
  const auto wallet = new_account(tenant, "2000", "liability", "USD", false);  // customer funds
  const auto bank = new_account(tenant, "1000", "asset", "USD");
  new_account(tenant, "4000", "income", "USD");
  // Customer deposits 100.00: bank debit, wallet credit.
  REQUIRE_FALSE(is_error(post(tenant, entry({line("1000", 10000), line("2000", -10000)}))));
  CHECK(available(tenant, wallet) == 10000);

  auto hold = [&](int64_t minor, const json& extra = json::object()) {
    json request = entry({line("2000", minor), line("4000", -minor)}, "card authorisation");
    request.update(extra);
    return call(tenant, "SELECT ledger_create_hold($1::jsonb, NULL, 'user:test')", request.dump());
  };

  const json h1 = hold(3000);
  INFO(h1.dump());
  REQUIRE_FALSE(is_error(h1));
  const auto h1_id = h1["hold"]["id"].get<std::string>();
  CHECK(h1["hold"]["hold"]["status"] == "pending");
  CHECK(posted(tenant, wallet) == -10000);   // posted untouched
  CHECK(available(tenant, wallet) == 7000);  // reserved
  // More than is available cannot be held.
  CHECK(error_code(hold(7001)) == "INSUFFICIENT_FUNDS");

  SECTION("post captures the hold") {
    const json captured =
        call(tenant, "SELECT ledger_post_hold($1::uuid, '{}', NULL, 'user:test')", h1_id);
    INFO(captured.dump());
    REQUIRE_FALSE(is_error(captured));
    CHECK(captured["entry"]["kind"] == "hold_post");
    CHECK(captured["entry"]["holdId"] == h1_id);
    CHECK(captured["hold"]["hold"]["status"] == "posted");
    CHECK(posted(tenant, wallet) == -7000);
    CHECK(available(tenant, wallet) == 7000);
    const json twice =
        call(tenant, "SELECT ledger_post_hold($1::uuid, '{}', NULL, 'user:test')", h1_id);
    CHECK(error_code(twice) == "HOLD_NOT_PENDING");
    CHECK(error_code(call(tenant, "SELECT ledger_void_hold($1::uuid, 'user:test')", h1_id)) ==
          "HOLD_NOT_PENDING");
  }

  SECTION("void releases the hold") {
    const json voided = call(tenant, "SELECT ledger_void_hold($1::uuid, 'user:test')", h1_id);
    REQUIRE_FALSE(is_error(voided));
    CHECK(voided["hold"]["hold"]["status"] == "voided");
    CHECK(available(tenant, wallet) == 10000);
    CHECK(posted(tenant, wallet) == -10000);
    CHECK(error_code(call(tenant, "SELECT ledger_post_hold($1::uuid, '{}', NULL, 'u')", h1_id)) ==
          "HOLD_NOT_PENDING");
  }

  SECTION("a hold past its expiry stops reserving, cannot be posted, and is marked expired") {
    const json short_hold = hold(5000, {{"expiresInSeconds", 1}});
    REQUIRE_FALSE(is_error(short_hold));
    const auto id = short_hold["hold"]["id"].get<std::string>();
    CHECK(available(tenant, wallet) == 2000);
    // Holds too large for what is left are refused while it is live...
    CHECK(error_code(hold(2001)) == "INSUFFICIENT_FUNDS");
    std::this_thread::sleep_for(std::chrono::milliseconds(1200));
    // ...and accepted once it is due, before anyone marked it expired.
    CHECK(available(tenant, wallet) == 7000);
    CHECK(call(tenant, "SELECT ledger_get_hold($1::uuid)", id)["hold"]["status"] == "expired");
    CHECK(error_code(call(tenant, "SELECT ledger_post_hold($1::uuid, '{}', NULL, 'u')", id)) ==
          "HOLD_EXPIRED");
    const json expired = call(tenant, "SELECT ledger_expire_holds(100, 'system')");
    REQUIRE(expired["count"] == 1);
    CHECK(expired["expired"][0] == id);
    CHECK(call(tenant, "SELECT ledger_expire_holds(100, 'system')")["count"] == 0);
    CHECK(available(tenant, wallet) == 7000);
    CHECK(error_code(call(tenant, "SELECT ledger_void_hold($1::uuid, 'u')", id)) ==
          "HOLD_NOT_PENDING");
  }
  CHECK(bank.size() == 36);
  check_invariants(tenant);
}

TEST_CASE("the no-negative rule holds under concurrent withdrawals", "[ledgersql]") {
  const auto tenant = fk::test::create_tenant("ledger-negative");
  const auto wallet = new_account(tenant, "2000", "liability", "USD", false);
  new_account(tenant, "1000", "asset", "USD");
  new_account(tenant, "5000", "expense", "USD");
  REQUIRE_FALSE(is_error(post(tenant, entry({line("1000", 10000), line("2000", -10000)}))));

  // 60 withdrawals of 10.00 from 100.00, from 12 threads at once: exactly 10 succeed.
  std::atomic<int> succeeded{0};
  std::atomic<int> refused{0};
  std::atomic<int> other{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 12; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 5; ++i) {
        try {
          const json r = post(tenant, entry({line("2000", 1000), line("5000", -1000)}));
          if (!is_error(r)) {
            ++succeeded;
          } else if (error_code(r) == "INSUFFICIENT_FUNDS") {
            ++refused;
          } else {
            ++other;
          }
        } catch (const std::exception&) {
          ++other;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(succeeded == 10);
  CHECK(refused == 50);
  CHECK(other == 0);
  CHECK(posted(tenant, wallet) == 0);
  CHECK(available(tenant, wallet) == 0);
  check_invariants(tenant);
}

TEST_CASE("many threads posting over hot accounts of three tenants keep every invariant",
          "[ledgersql]") {
  constexpr int kTenants = 3;
  constexpr int kThreadsPerTenant = 6;
  constexpr int kPostingsPerThread = 60;
  const std::vector<std::string> codes = {"1000", "1100", "2000", "4000", "5000"};
  const std::vector<std::string> types = {"asset", "asset", "liability", "income", "expense"};
  std::vector<std::string> tenants;
  std::map<std::string, std::set<std::string>> account_ids;  // per tenant
  for (int t = 0; t < kTenants; ++t) {
    tenants.push_back(fk::test::create_tenant("ledger-hot"));
    for (std::size_t i = 0; i < codes.size(); ++i) {
      account_ids[tenants.back()].insert(new_account(tenants.back(), codes[i], types[i], "EUR"));
    }
  }

  std::atomic<int> failures{0};
  std::atomic<int> postings{0};
  std::mutex failure_mutex;
  std::string first_failure;
  std::vector<std::thread> threads;
  for (int t = 0; t < kTenants; ++t) {
    for (int k = 0; k < kThreadsPerTenant; ++k) {
      threads.emplace_back([&, t, k] {
        std::mt19937 random(static_cast<unsigned>(t * 100 + k));
        std::uniform_int_distribution<std::size_t> pick(0, codes.size() - 1);
        std::uniform_int_distribution<int64_t> amount(1, 100000);
        for (int i = 0; i < kPostingsPerThread; ++i) {
          // 2 to 4 lines over random (possibly repeated) hot accounts, summing to zero.
          const int lines = 2 + static_cast<int>(random() % 3);
          json request_lines = json::array();
          int64_t sum = 0;
          for (int l = 0; l + 1 < lines; ++l) {
            const int64_t a = amount(random) * ((random() % 2) != 0 ? 1 : -1);
            sum += a;
            request_lines.push_back(line(codes[pick(random)], a, "EUR"));
          }
          if (sum == 0) {
            request_lines.push_back(line(codes[pick(random)], 1, "EUR"));
            sum = 1;
          }
          request_lines.push_back(line(codes[pick(random)], -sum, "EUR"));
          try {
            const json r = post(tenants[static_cast<std::size_t>(t)], entry(request_lines));
            if (is_error(r)) throw std::runtime_error(r.dump());
            ++postings;
          } catch (const std::exception& e) {
            ++failures;
            std::lock_guard<std::mutex> lock(failure_mutex);
            if (first_failure.empty()) first_failure = e.what();
          }
        }
      });
    }
  }
  for (auto& t : threads) t.join();
  INFO("first failure: " << first_failure);
  CHECK(failures == 0);  // no deadlock, no serialization failure, no lost posting
  CHECK(postings == kTenants * kThreadsPerTenant * kPostingsPerThread);

  for (const auto& tenant : tenants) {
    INFO("tenant " << tenant);
    check_invariants(tenant);
    // Sum of every account's balance is zero; the tenant sees its own accounts only.
    const json page =
        call(tenant, "SELECT ledger_list_accounts($1::jsonb)", json{{"limit", 100}}.dump());
    REQUIRE(page["items"].size() == codes.size());
    int64_t total = 0;
    for (const auto& a : page["items"]) {
      CHECK(account_ids[tenant].count(a["id"].get<std::string>()) == 1);
      total += a["balance"]["posted"]["minor"].get<int64_t>();
    }
    CHECK(total == 0);
    const json entries =
        call(tenant, "SELECT ledger_list_entries($1::jsonb)", json{{"limit", 5000}}.dump());
    CHECK(entries["items"].size() ==
          static_cast<std::size_t>(kThreadsPerTenant * kPostingsPerThread));
    for (const auto& other : tenants) {
      if (other == tenant) continue;
      for (const auto& id : account_ids[other]) {
        CHECK(account(tenant, id).is_null());
        // Posting to another tenant's account by id is "no such account".
        const json r = post(
            tenant,
            {{"lines",
              {line("1000", 1, "EUR"), {{"accountId", id}, {"amount", -1}, {"currency", "EUR"}}}}});
        CHECK(error_code(r) == "ACCOUNT_NOT_FOUND");
      }
    }
  }
}

TEST_CASE("statement: running balance in posting order, cursor pagination", "[ledgersql]") {
  const auto tenant = fk::test::create_tenant("ledger-statement");
  const auto cash = new_account(tenant, "1000", "asset", "KWD");
  new_account(tenant, "3000", "equity", "KWD");
  const std::vector<int64_t> amounts = {1500, -250, 3005, -1, 42};
  for (std::size_t i = 0; i < amounts.size(); ++i) {
    REQUIRE_FALSE(is_error(
        post(tenant, entry({line("1000", amounts[i], "KWD"), line("3000", -amounts[i], "KWD")},
                           "movement " + std::to_string(i)))));
  }
  std::vector<json> items;
  std::string cursor;
  int pages = 0;
  do {
    json filter = {{"limit", 2}};
    if (!cursor.empty()) filter["after"] = cursor;
    const json page =
        call(tenant, "SELECT ledger_statement($1::uuid, $2::jsonb)", cash, filter.dump());
    for (const auto& item : page["items"]) items.push_back(item);
    cursor = page["nextCursor"].is_null() ? "" : page["nextCursor"].get<std::string>();
    ++pages;
  } while (!cursor.empty() && pages < 10);
  CHECK(pages == 3);
  REQUIRE(items.size() == amounts.size());
  int64_t running = 0;
  for (std::size_t i = 0; i < amounts.size(); ++i) {
    running += amounts[i];
    CHECK(items[i]["seq"] == static_cast<int64_t>(i + 1));
    CHECK(items[i]["amount"]["minor"] == amounts[i]);
    CHECK(items[i]["balance"]["minor"] == running);
    CHECK(items[i]["description"] == "movement " + std::to_string(i));
  }
  CHECK(items[2]["amount"]["amount"] == "3.005");  // KWD has three decimals
  CHECK(items[4]["balance"]["amount"] == "4.296");
}

TEST_CASE("balances as of a date, entry queries by date, account and metadata", "[ledgersql]") {
  const auto tenant = fk::test::create_tenant("ledger-asof");
  const auto cash = new_account(tenant, "1000", "asset", "USD");
  const auto bank = new_account(tenant, "1200", "asset", "USD");
  new_account(tenant, "4000", "income", "USD");
  auto dated = [&](const std::string& date, const std::string& code, int64_t minor,
                   const json& meta) {
    json request = entry({line(code, minor), line("4000", -minor)}, "on " + date);
    request["date"] = date;
    request["metadata"] = meta;
    const json r = post(tenant, request);
    INFO(r.dump());
    REQUIRE_FALSE(is_error(r));
    return r["entry"]["id"].get<std::string>();
  };
  dated("2026-01-10", "1000", 1000, {{"source", "pos"}});
  const auto february = dated("2026-02-10", "1000", 2000, {{"source", "web"}, {"order", "A-1"}});
  dated("2026-03-10", "1200", 4000, {{"source", "web"}});

  auto balance_on = [&](const std::string& id, const std::string& date) {
    return call(tenant, "SELECT ledger_account_balance($1::uuid, $2::date)", id,
                date)["balance"]["posted"]["minor"]
        .get<int64_t>();
  };
  CHECK(balance_on(cash, "2026-01-09") == 0);
  CHECK(balance_on(cash, "2026-01-31") == 1000);
  CHECK(balance_on(cash, "2026-02-10") == 3000);
  CHECK(balance_on(bank, "2026-02-28") == 0);
  const json trial_jan =
      call(tenant, "SELECT ledger_trial_balance($1::date)", std::string("2026-01-31"));
  CHECK(trial_jan["balanced"] == true);
  CHECK(trial_jan["currencies"][0]["debits"]["minor"] == 1000);

  auto list = [&](const json& filter) {
    json f = filter;
    f["limit"] = 50;
    return call(tenant, "SELECT ledger_list_entries($1::jsonb)", f.dump())["items"];
  };
  CHECK(list({{"from", "2026-02-01"}, {"to", "2026-02-28"}}).size() == 1);
  CHECK(list({{"from", "2026-02-01"}}).size() == 2);
  CHECK(list({{"accountId", bank}}).size() == 1);
  CHECK(list({{"metadata", {{"source", "web"}}}}).size() == 2);
  const json by_order = list({{"metadata", {{"order", "A-1"}}}});
  REQUIRE(by_order.size() == 1);
  CHECK(by_order[0]["id"] == february);
  // Newest first, keyset pages.
  const json page =
      call(tenant, "SELECT ledger_list_entries($1::jsonb)", json{{"limit", 2}}.dump());
  REQUIRE(page["items"].size() == 2);
  REQUIRE(page["nextCursor"].is_string());
  const json rest = call(tenant, "SELECT ledger_list_entries($1::jsonb)",
                         json{{"limit", 2}, {"before", page["nextCursor"]}}.dump());
  REQUIRE(rest["items"].size() == 1);
  CHECK(rest["items"][0]["description"] == "on 2026-01-10");
  CHECK(rest["nextCursor"].is_null());
}

TEST_CASE("batch posting: all-or-nothing or independent", "[ledgersql]") {
  const auto tenant = fk::test::create_tenant("ledger-batch");
  const auto cash = new_account(tenant, "1000", "asset", "USD");
  new_account(tenant, "4000", "income", "USD");
  const json good = entry({line("1000", 100), line("4000", -100)});
  const json bad = entry({line("1000", 100), line("4000", -99)});
  auto batch = [&](const json& entries, bool atomic, const std::string& key = "") {
    return call(tenant,
                "SELECT ledger_post_batch_request($1::jsonb, $2, nullif($3, ''), 'user:test')",
                entries.dump(), atomic, key);
  };

  const json atomic = batch({good, good, bad, good}, true);
  CHECK(error_code(atomic) == "BATCH_REJECTED");
  CHECK(atomic["error"]["details"]["index"] == 2);
  CHECK(atomic["error"]["details"]["error"]["code"] == "UNBALANCED_ENTRY");
  CHECK(posted(tenant, cash) == 0);

  const json independent = batch({good, bad, good}, false, "import-1");
  INFO(independent.dump());
  REQUIRE_FALSE(is_error(independent));
  CHECK(independent["posted"] == 2);
  CHECK(independent["failed"] == 1);
  CHECK(independent["results"][1]["status"] == "failed");
  CHECK(independent["results"][1]["error"]["code"] == "UNBALANCED_ENTRY");
  CHECK(independent["events"].size() == 2);
  CHECK(posted(tenant, cash) == 200);
  const json replay = batch({good, bad, good}, false, "import-1");
  CHECK(replay["replayed"] == true);
  CHECK(posted(tenant, cash) == 200);

  // Per-entry keys make a re-run import skip what it already posted.
  json keyed_a = good;
  keyed_a["idempotencyKey"] = "row-1";
  json keyed_b = good;
  keyed_b["idempotencyKey"] = "row-2";
  REQUIRE(batch(json::array({keyed_a}), true)["posted"] == 1);
  const json rerun = batch(json::array({keyed_a, keyed_b}), true);
  CHECK(rerun["results"][0]["status"] == "replayed");
  CHECK(rerun["results"][1]["status"] == "posted");
  CHECK(posted(tenant, cash) == 400);
  // Per-entry keys take the entry-by-entry path; its event is the one the
  // set-based path writes for the same entry (compared below).
  REQUIRE(rerun["events"].size() == 1);
  json one_by_one = rerun["events"][0]["payload"];
  CHECK(one_by_one["entryId"] == rerun["results"][1]["entryId"]);

  json many = json::array();
  for (int i = 0; i < 500; ++i) many.push_back(good);
  const auto started = std::chrono::steady_clock::now();
  const json big = batch(many, true);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - started)
                      .count();
  WARN("500-entry batch (1000 lines) took " << ms << " ms");
  CHECK(big["posted"] == 500);
  REQUIRE(big["events"].size() == 500);
  json set_based = big["events"][0]["payload"];
  CHECK(set_based["entryId"] == big["results"][0]["entryId"]);
  one_by_one.erase("entryId");
  set_based.erase("entryId");
  CHECK(set_based == one_by_one);
  CHECK(posted(tenant, cash) == 400 + 500 * 100);
  check_invariants(tenant);
}

namespace {

// `ledger balance --flat` totals, per "account|currency", in minor units.
std::map<std::string, int64_t> ledger_cli_balances(const std::string& journal_path) {
  const std::string out = fk::test::ledger::run_command(
      "ledger -f " + journal_path +
      " balance --flat --empty --no-total --format '%(account)\\t%(display_total)\\n' 2>&1");
  std::map<std::string, int64_t> balances;
  std::istringstream lines(out);
  std::string row;
  std::string name;
  while (std::getline(lines, row)) {
    // A balance in several commodities continues on lines of its own.
    const auto tab = row.find('\t');
    if (tab != std::string::npos) name = row.substr(0, tab);
    REQUIRE_FALSE(name.empty());
    std::string text = tab == std::string::npos ? row : row.substr(tab + 1);
    text.erase(std::remove(text.begin(), text.end(), ','), text.end());
    std::istringstream amounts(text);
    std::string number;
    std::string currency;
    while (amounts >> number >> currency) {
      const auto exponent = fk::ledger::currency_exponent(currency);
      REQUIRE(exponent);
      const auto parsed = fk::ledger::parse_decimal(number, *exponent);
      INFO(row);
      REQUIRE(parsed.minor);
      balances[name + "|" + currency] = *parsed.minor;
    }
  }
  return balances;
}

}  // namespace

TEST_CASE("the ledger-cli export reconciles with the API's balances", "[ledgersql]") {
  const auto tenant = fk::test::create_tenant("ledger-export");
  // A small tree: Assets:1000 with children 1010 (USD) and 1020 (JPY).
  new_account(tenant, "1000", "asset", "USD");
  new_account(tenant, "1010", "asset", "USD", true, "1000");
  new_account(tenant, "1020", "asset", "JPY", true, "1000");
  new_account(tenant, "2000", "liability", "KWD");
  new_account(tenant, "3000", "equity", "JPY");
  new_account(tenant, "4000", "income", "USD");
  new_account(tenant, "5000", "expense", "KWD");
  auto must_post = [&](const std::string& date, const json& lines, const std::string& text) {
    json request = entry(lines, text);
    request["date"] = date;
    const json r = post(tenant, request);
    INFO(r.dump());
    REQUIRE_FALSE(is_error(r));
    return r["entry"]["id"].get<std::string>();
  };
  must_post("2026-01-05", {line("1000", 123456), line("4000", -123456)}, "Opening sale");
  must_post("2026-01-06", {line("1010", 999), line("4000", -999)}, "Till; with (odd) chars");
  must_post("2026-02-01", {line("1020", 5000, "JPY"), line("3000", -5000, "JPY")}, "");
  const auto kwd = must_post("2026-02-02", {line("5000", 1005, "KWD"), line("2000", -1005, "KWD")},
                             "Fees\nmultiline");
  must_post("2026-03-01", {line("1010", -500), line("1000", 500)}, "Transfer");
  REQUIRE_FALSE(is_error(call(tenant, "SELECT ledger_reverse_entry($1::uuid, $2::jsonb, NULL, 'u')",
                              kwd, json{{"date", "2026-03-02"}}.dump())));
  // A pending hold is not in the export (it has not moved money).
  REQUIRE_FALSE(is_error(call(tenant, "SELECT ledger_create_hold($1::jsonb, NULL, 'u')",
                              entry({line("1000", 77), line("4000", -77)}).dump())));

  char dir_template[] = "/tmp/fk-ledger-export-XXXXXX";
  REQUIRE(mkdtemp(dir_template) != nullptr);
  const std::string dir = dir_template;

  // Expected: the API's own balance per account, rolled up to its ancestors
  // the way ledger-cli totals a tree ("Assets:1000" includes its children).
  auto expected_balances = [&](const std::optional<std::string>& as_of) {
    std::map<std::string, int64_t> expected;
    const json accounts = call(tenant, "SELECT ledger_list_accounts($1::jsonb)",
                               json{{"limit", 100}}.dump())["items"];
    std::map<std::string, json> by_id;
    for (const auto& a : accounts) by_id[a["id"].get<std::string>()] = a;
    const std::map<std::string, std::string> type_names = {{"asset", "Assets"},
                                                           {"liability", "Liabilities"},
                                                           {"equity", "Equity"},
                                                           {"income", "Income"},
                                                           {"expense", "Expenses"}};
    for (const auto& a : accounts) {
      const json balance = as_of ? call(tenant, "SELECT ledger_account_balance($1::uuid, $2::date)",
                                        a["id"].get<std::string>(), *as_of)
                                 : call(tenant, "SELECT ledger_account_balance($1::uuid, NULL)",
                                        a["id"].get<std::string>());
      const int64_t own = balance["balance"]["posted"]["minor"].get<int64_t>();
      // Walk up: every ancestor's name gets this account's amount.
      std::vector<std::string> path;
      for (json cur = a;;) {
        path.push_back(cur["code"].get<std::string>());
        if (cur["parentId"].is_null()) break;
        cur = by_id.at(cur["parentId"].get<std::string>());
      }
      std::reverse(path.begin(), path.end());
      std::string name = type_names.at(a["type"].get<std::string>());
      for (const auto& code : path) {
        name += ":" + code;
        expected[name + "|" + a["currency"].get<std::string>()] += own;
      }
    }
    return expected;
  };
  auto without_zeros = [](std::map<std::string, int64_t> m) {
    for (auto it = m.begin(); it != m.end();) it = it->second == 0 ? m.erase(it) : std::next(it);
    return m;
  };

  SECTION("the whole ledger") {
    const std::string path = dir + "/export.journal";
    std::ofstream(path)
        << call(tenant, "SELECT to_jsonb(ledger_export_journal(NULL, NULL))").get<std::string>();
    const auto cli = ledger_cli_balances(path);
    const auto api = expected_balances(std::nullopt);
    CHECK(without_zeros(cli) == without_zeros(api));
    CHECK(cli.at("Assets:1000|USD") == 123456 + 999);  // the tree total
    CHECK(cli.at("Assets:1000:1010|USD") == 499);
  }

  SECTION("a date range with opening balances equals the balances as of its end") {
    const std::string path = dir + "/range.journal";
    std::ofstream(path) << call(
                               tenant,
                               "SELECT to_jsonb(ledger_export_journal('2026-01-06', '2026-02-28'))")
                               .get<std::string>();
    const auto cli = ledger_cli_balances(path);
    CHECK(without_zeros(cli) == without_zeros(expected_balances(std::string("2026-02-28"))));
    const std::string text = fk::test::ledger::run_command("cat " + path);
    CHECK(text.find("2026-01-05 * Opening balances") != std::string::npos);
    CHECK(text.find("Transfer") == std::string::npos);  // after the range
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("request parsing: exact amounts, ISO 4217 exponents, clear refusals", "[ledgersql]") {
  using fk::ledger::parse_decimal;
  CHECK(parse_decimal("10.05", 2).minor == 1005);
  CHECK(parse_decimal("-0.01", 2).minor == -1);
  CHECK(parse_decimal("10", 2).minor == 1000);
  CHECK(parse_decimal("10.050", 2).minor == 1005);  // a trailing zero is still exact
  CHECK(parse_decimal("1.005", 3).minor == 1005);
  CHECK(parse_decimal("500", 0).minor == 500);
  CHECK_FALSE(parse_decimal("10.005", 2).minor);
  CHECK(parse_decimal("10.005", 2).error == "has 3 decimal places but the currency allows 2");
  CHECK_FALSE(parse_decimal("1.5", 0).minor);
  for (const char* bad :
       {"", "-", ".5", "5.", "+5", "1e3", " 5", "5 ", "1,000.00", "0x10", "--1", "１"}) {
    INFO(bad);
    CHECK_FALSE(parse_decimal(bad, 2).minor);
  }
  CHECK(parse_decimal("10000000000000.00", 2).minor == fk::ledger::kMaxAbsMinor);
  CHECK_FALSE(parse_decimal("10000000000000.01", 2).minor);
  CHECK_FALSE(parse_decimal("99999999999999999999999", 0).minor);
  CHECK(fk::ledger::currency_exponent("JPY") == 0);
  CHECK(fk::ledger::currency_exponent("USD") == 2);
  CHECK(fk::ledger::currency_exponent("KWD") == 3);
  CHECK_FALSE(fk::ledger::currency_exponent("usd"));
  CHECK(fk::ledger::format_minor(-1234, 2) == "-12.34");
  CHECK(fk::ledger::format_minor(5, 3) == "0.005");
  CHECK(fk::ledger::format_minor(INT64_MIN, 2) == "-92233720368547758.08");

  const json body = {{"lines",
                      {{{"accountCode", "1000"}, {"debit", "10.00"}, {"currency", "USD"}},
                       {{"accountCode", "4000"}, {"credit", 1000}, {"currency", "USD"}}}}};
  const auto parsed = fk::ledger::parse_entry(body, 100);
  REQUIRE_FALSE(parsed.error);
  CHECK(parsed.value["lines"][0]["amount"] == 1000);
  CHECK(parsed.value["lines"][1]["amount"] == -1000);

  json wrong = body;
  wrong["lines"][0]["debit"] = "10.005";
  const auto refused = fk::ledger::parse_entry(wrong, 100);
  REQUIRE(refused.error);
  CHECK(refused.error->status == 422);
  CHECK(refused.error->code == "INVALID_AMOUNT");
  CHECK(refused.error->details["field"] == "lines[0].debit");
  CHECK(refused.error->message.find("10.005") != std::string::npos);
  CHECK(refused.error->message.find("USD") != std::string::npos);

  json unknown = body;
  unknown["lines"][1]["currency"] = "ZZZ";
  CHECK(fk::ledger::parse_entry(unknown, 100).error->code == "UNKNOWN_CURRENCY");
  json extra = body;
  extra["tenantId"] = "x";
  CHECK(fk::ledger::parse_entry(extra, 100).error->details["field"] == "tenantId");
  json both = body;
  both["lines"][0]["amount"] = "1.00";
  CHECK(fk::ledger::parse_entry(both, 100).error);
  json zero = body;
  zero["lines"][0]["debit"] = "0.00";
  CHECK(fk::ledger::parse_entry(zero, 100).error->code == "INVALID_AMOUNT");
  json negative_debit = body;
  negative_debit["lines"][0]["debit"] = "-1.00";
  CHECK(fk::ledger::parse_entry(negative_debit, 100).error);
  json floating = body;
  floating["lines"][0]["debit"] = 10.5;
  CHECK(fk::ledger::parse_entry(floating, 100).error->code == "INVALID_AMOUNT");
  CHECK(fk::ledger::parse_entry(body, 1).error);  // more lines than allowed
  CHECK(fk::ledger::parse_batch(R"({"mode":"sometimes","entries":[]})", 10, 10).error);
  const auto batch_error =
      fk::ledger::parse_batch(json{{"entries", {body, wrong}}}.dump(), 10, 10).error;
  REQUIRE(batch_error);
  CHECK(batch_error->details["index"] == 1);
  CHECK_FALSE(fk::ledger::check_idempotency_key("abc-123"));
  CHECK(fk::ledger::check_idempotency_key("has space"));
  CHECK(fk::ledger::is_date("2024-02-29"));
  CHECK(fk::ledger::is_date("2026-12-31"));
  for (const char* bad : {"2026-02-29", "2026-02-30", "2026-13-01", "2026-00-10", "0000-01-01",
                          "2026-1-01", "2026/01/01", "2026-01-32", "1900-02-29"}) {
    INFO(bad);
    CHECK_FALSE(fk::ledger::is_date(bad));
  }
  json bad_date = body;
  bad_date["date"] = "2026-02-30";
  CHECK(fk::ledger::parse_entry(bad_date, 100).error->details["field"] == "date");
  CHECK(fk::ledger::check_idempotency_key(""));
}

// ---------------------------------------------------------------------------
// The plugin itself (ledger.so, built out of tree against the installed SDK
// by tests/ledger/build_ledger_plugin.sh), driven through the C ABI by a
// minimal host on the same database: routes, request parsing, the SQL call,
// the audit record and the event of each write, the commit rule.
// ---------------------------------------------------------------------------

namespace {

using fk::test::ledger::AbiHost;
using fk::test::ledger::HttpAnswer;
using fk::test::ledger::HttpCall;

// Builds ledger.so once per process (or takes $FK_LEDGER_SO).
using fk::test::ledger::ledger_library;

AbiHost& plugin_host() {
  static AbiHost host(runtime_pool(), ledger_library());
  return host;
}

HttpAnswer request(const std::string& tenant, uint32_t method, const std::string& route,
                   const std::map<std::string, std::string>& params = {},
                   const std::string& body = "",
                   const std::map<std::string, std::string>& query = {},
                   const std::map<std::string, std::string>& headers = {}) {
  HttpCall call;
  call.method = method;
  call.route = route;
  call.path = route;
  for (const auto& [name, value] : params) {
    const auto at = call.path.find("{" + name + "}");
    if (at != std::string::npos) call.path.replace(at, name.size() + 2, value);
  }
  call.path_params = params;
  call.query = query;
  call.headers = headers;
  call.body = body;
  return plugin_host().handle(tenant, call);
}

json data(const HttpAnswer& answer) {
  INFO(answer.http_status << " " << answer.error_code << " " << answer.error_message << " "
                          << answer.json);
  REQUIRE(answer.http_status < 400);
  return json::parse(answer.json);
}

std::size_t count_events(const std::string& type) {
  std::size_t n = 0;
  for (const auto& e : plugin_host().events()) n += e.type == type ? 1 : 0;
  return n;
}

std::size_t count_audits(const std::string& action) {
  std::size_t n = 0;
  for (const auto& a : plugin_host().audits()) n += a.action == action ? 1 : 0;
  return n;
}

}  // namespace

TEST_CASE("ledger.so through the C ABI: routes, exact amounts, audit and events",
          "[ledgerplugin]") {
  AbiHost& host = plugin_host();
  CHECK(std::string(host.info().name.data, host.info().name.len) == "ledger");
  CHECK(host.info().abi_minor == 0);  // loads on any 1.x kernel
  const auto tenant = fk::test::create_tenant("ledger-plugin");

  auto create = [&](const json& body) {
    return request(tenant, FK_METHOD_POST, "/v1/ledger/accounts", {}, body.dump());
  };
  const HttpAnswer cash_created =
      create({{"code", "1000"}, {"name", "Cash"}, {"type", "asset"}, {"currency", "USD"}});
  CHECK(cash_created.http_status == 201);
  CHECK(cash_created.committed);
  const auto cash = data(cash_created)["id"].get<std::string>();
  const auto wallet = data(create({{"code", "2000"},
                                   {"name", "Wallet"},
                                   {"type", "liability"},
                                   {"currency", "USD"},
                                   {"allowNegative", false}}))["id"]
                          .get<std::string>();
  data(create({{"code", "4000"}, {"name", "Sales"}, {"type", "income"}, {"currency", "USD"}}));
  CHECK(count_audits("ledger.account.create") >= 3);
  const HttpAnswer duplicate =
      create({{"code", "1000"}, {"name", "Cash"}, {"type", "asset"}, {"currency", "USD"}});
  CHECK(duplicate.http_status == 409);
  CHECK(duplicate.error_code == "ACCOUNT_CODE_EXISTS");
  CHECK_FALSE(duplicate.committed);
  CHECK(create(
            {{"code", "9"}, {"name", "X"}, {"type", "asset"}, {"currency", "USD"}, {"owner", "me"}})
            .http_status == 422);

  const std::size_t posted_events = count_events("ledger.entry.posted");
  const std::size_t post_audits = count_audits("ledger.entry.post");
  const json body = {{"description", "sale"},
                     {"metadata", {{"order", "o-1"}}},
                     {"lines",
                      {{{"accountCode", "1000"}, {"debit", "10.05"}, {"currency", "USD"}},
                       {{"accountCode", "4000"}, {"credit", "10.05"}, {"currency", "USD"}}}}};
  const HttpAnswer posted_answer = request(tenant, FK_METHOD_POST, "/v1/ledger/entries", {},
                                           body.dump(), {}, {{"idempotency-key", "order-o-1"}});
  CHECK(posted_answer.http_status == 201);
  const json result = data(posted_answer);
  CHECK(result["replayed"] == false);
  CHECK(result["entry"]["lines"][0]["minor"] == 1005);
  CHECK(count_events("ledger.entry.posted") == posted_events + 1);
  CHECK(count_audits("ledger.entry.post") == post_audits + 1);
  const auto event = host.events().back();
  CHECK(event.type == "ledger.entry.posted");
  CHECK(json::parse(event.payload)["entryId"] == result["entry"]["id"]);
  CHECK(event.aggregate_type == "entry");
  CHECK(event.aggregate_id == result["entry"]["id"].get<std::string>());

  SECTION("Idempotency-Key: replay answers 200 without a second audit; another body is 409") {
    const HttpAnswer replay = request(tenant, FK_METHOD_POST, "/v1/ledger/entries", {}, body.dump(),
                                      {}, {{"idempotency-key", "order-o-1"}});
    CHECK(replay.http_status == 200);
    CHECK(replay.headers.at("Idempotent-Replayed") == "true");
    CHECK(data(replay)["replayed"] == true);
    CHECK(data(replay)["entry"]["id"] == result["entry"]["id"]);
    CHECK(count_audits("ledger.entry.post") == post_audits + 1);
    json other = body;
    other["description"] = "another sale";
    const HttpAnswer conflict = request(tenant, FK_METHOD_POST, "/v1/ledger/entries", {},
                                        other.dump(), {}, {{"idempotency-key", "order-o-1"}});
    CHECK(conflict.http_status == 409);
    CHECK(conflict.error_code == "IDEMPOTENCY_CONFLICT");
  }

  SECTION("refusals: wrong exponent, unbalanced, negative rule, unknown ids") {
    json wrong = body;
    wrong["lines"][0]["debit"] = "10.005";
    wrong["lines"][1]["credit"] = "10.005";
    const HttpAnswer exponent =
        request(tenant, FK_METHOD_POST, "/v1/ledger/entries", {}, wrong.dump());
    CHECK(exponent.http_status == 422);
    CHECK(exponent.error_code == "INVALID_AMOUNT");
    CHECK(exponent.error_message.find("10.005") != std::string::npos);
    CHECK_FALSE(exponent.committed);
    json unbalanced = body;
    unbalanced["lines"][1]["credit"] = "10.04";
    const HttpAnswer refused =
        request(tenant, FK_METHOD_POST, "/v1/ledger/entries", {}, unbalanced.dump());
    CHECK(refused.http_status == 422);
    CHECK(refused.error_code == "UNBALANCED_ENTRY");
    CHECK(refused.error_message.find("USD") != std::string::npos);
    CHECK(json::parse(refused.error_details)["currency"] == "USD");
    const json overdraw = {{"lines",
                            {{{"accountCode", "2000"}, {"debit", "0.01"}, {"currency", "USD"}},
                             {{"accountCode", "4000"}, {"credit", "0.01"}, {"currency", "USD"}}}}};
    const HttpAnswer negative =
        request(tenant, FK_METHOD_POST, "/v1/ledger/entries", {}, overdraw.dump());
    CHECK(negative.http_status == 422);
    CHECK(negative.error_code == "INSUFFICIENT_FUNDS");
    CHECK(request(tenant, FK_METHOD_GET, "/v1/ledger/accounts/{id}", {{"id", "not-a-uuid"}})
              .http_status == 404);
    CHECK(request(tenant, FK_METHOD_GET, "/v1/ledger/entries/{id}",
                  {{"id", "00000000-0000-4000-8000-000000000000"}})
              .error_code == "ENTRY_NOT_FOUND");
    CHECK(request(tenant, FK_METHOD_GET, "/v1/ledger/entries", {}, "", {{"limit", "0"}})
              .http_status == 422);
  }

  SECTION("reverse, holds, balances, statement, trial balance, queries, batch, export") {
    const auto entry_id = result["entry"]["id"].get<std::string>();
    const HttpAnswer reversed =
        request(tenant, FK_METHOD_POST, "/v1/ledger/entries/{id}/reverse", {{"id", entry_id}});
    CHECK(reversed.http_status == 201);
    CHECK(data(reversed)["entry"]["reversesId"] == entry_id);
    CHECK(count_events("ledger.entry.reversed") >= 1);
    CHECK(request(tenant, FK_METHOD_POST, "/v1/ledger/entries/{id}/reverse", {{"id", entry_id}})
              .error_code == "ALREADY_REVERSED");

    // Fund the wallet, hold part of it, void the hold, hold again and capture it.
    data(request(tenant, FK_METHOD_POST, "/v1/ledger/entries", {},
                 json{{"lines",
                       {{{"accountId", cash}, {"amount", "50.00"}, {"currency", "USD"}},
                        {{"accountId", wallet}, {"amount", "-50.00"}, {"currency", "USD"}}}}}
                     .dump()));
    const json hold_body = {{"expiresInSeconds", 3600},
                            {"lines",
                             {{{"accountCode", "2000"}, {"debit", 2000}, {"currency", "USD"}},
                              {{"accountCode", "4000"}, {"credit", 2000}, {"currency", "USD"}}}}};
    const json hold =
        data(request(tenant, FK_METHOD_POST, "/v1/ledger/holds", {}, hold_body.dump()));
    const auto hold_id = hold["hold"]["id"].get<std::string>();
    json balance =
        data(request(tenant, FK_METHOD_GET, "/v1/ledger/accounts/{id}/balance", {{"id", wallet}}));
    CHECK(balance["balance"]["available"]["amount"] == "30.00");
    data(request(tenant, FK_METHOD_POST, "/v1/ledger/holds/{id}/void", {{"id", hold_id}}));
    CHECK(count_events("ledger.hold.voided") >= 1);
    const json hold2 =
        data(request(tenant, FK_METHOD_POST, "/v1/ledger/holds", {}, hold_body.dump()));
    const HttpAnswer captured = request(tenant, FK_METHOD_POST, "/v1/ledger/holds/{id}/post",
                                        {{"id", hold2["hold"]["id"].get<std::string>()}});
    CHECK(captured.http_status == 201);
    CHECK(count_events("ledger.hold.posted") >= 1);
    CHECK(count_events("ledger.hold.created") >= 2);
    balance =
        data(request(tenant, FK_METHOD_GET, "/v1/ledger/accounts/{id}/balance", {{"id", wallet}}));
    CHECK(balance["balance"]["posted"]["amount"] == "-30.00");
    const json dated = data(request(tenant, FK_METHOD_GET, "/v1/ledger/accounts/{id}/balance",
                                    {{"id", wallet}}, "", {{"asOf", "2000-01-01"}}));
    CHECK(dated["balance"]["posted"]["minor"] == 0);

    const json statement = data(request(tenant, FK_METHOD_GET, "/v1/ledger/accounts/{id}/statement",
                                        {{"id", cash}}, "", {{"limit", "2"}}));
    CHECK(statement["items"].size() == 2);
    CHECK(statement["nextCursor"] == "2");
    const json next = data(request(tenant, FK_METHOD_GET, "/v1/ledger/accounts/{id}/statement",
                                   {{"id", cash}}, "", {{"cursor", "2"}}));
    CHECK(next["items"][0]["balance"]["amount"] == "50.00");
    const json trial = data(request(tenant, FK_METHOD_GET, "/v1/ledger/trial-balance"));
    CHECK(trial["balanced"] == true);
    const json by_metadata = data(request(tenant, FK_METHOD_GET, "/v1/ledger/entries", {}, "",
                                          {{"metadata", R"({"order":"o-1"})"}}));
    CHECK(by_metadata["items"].size() == 1);
    const json accounts = data(request(tenant, FK_METHOD_GET, "/v1/ledger/accounts"));
    CHECK(accounts["items"].size() == 3);

    const json batch = {
        {"mode", "independent"},
        {"entries",
         {{{"lines",
            {{{"accountCode", "1000"}, {"debit", "1.00"}, {"currency", "USD"}},
             {{"accountCode", "4000"}, {"credit", "1.00"}, {"currency", "USD"}}}}},
          {{"lines",
            {{{"accountCode", "1000"}, {"debit", "1.00"}, {"currency", "USD"}},
             {{"accountCode", "4000"}, {"credit", "0.99"}, {"currency", "USD"}}}}}}}};
    const std::size_t before = count_events("ledger.entry.posted");
    const HttpAnswer batch_answer =
        request(tenant, FK_METHOD_POST, "/v1/ledger/batches", {}, batch.dump());
    CHECK(batch_answer.http_status == 201);
    const json batch_result = data(batch_answer);
    CHECK(batch_result["posted"] == 1);
    CHECK(batch_result["failed"] == 1);
    CHECK_FALSE(batch_result.contains("entries"));
    CHECK_FALSE(batch_result.contains("events"));
    CHECK(count_events("ledger.entry.posted") == before + 1);
    json atomic = batch;
    atomic["mode"] = "atomic";
    CHECK(request(tenant, FK_METHOD_POST, "/v1/ledger/batches", {}, atomic.dump()).error_code ==
          "BATCH_REJECTED");

    const HttpAnswer exported = request(tenant, FK_METHOD_GET, "/v1/ledger/export");
    CHECK(exported.http_status == 200);
    CHECK(exported.content_type.rfind("text/plain", 0) == 0);
    CHECK(exported.json.find("Assets:1000") != std::string::npos);

    // Closing: refused while not empty.
    CHECK(request(tenant, FK_METHOD_POST, "/v1/ledger/accounts/{id}/close", {{"id", cash}})
              .error_code == "ACCOUNT_NOT_EMPTY");
    check_invariants(tenant);
  }
}

// ---------------------------------------------------------------------------
// The real kernel: the ledger bundle loaded from a plugins directory (its
// migrations applied and checked by the kernel), enabled for a tenant, and
// called over HTTP (dev_mode: X-Tenant-Id is a trusted local caller).
// ---------------------------------------------------------------------------

TEST_CASE("ledger over HTTP in the real kernel", "[ledgerhttp]") {
  fk::test::ledger::LedgerKernel ledger;
  const auto tenant = ledger.new_tenant("ledger-http");
  auto http = [&](const std::string& method, const std::string& target, const json& body = {},
                  const std::map<std::string, std::string>& headers = {}) {
    return ledger.call(tenant, method, target, body, headers);
  };

  const auto cash =
      http("POST", "/v1/ledger/accounts",
           {{"code", "1000"}, {"name", "Cash"}, {"type", "asset"}, {"currency", "USD"}});
  INFO(cash.body);
  REQUIRE(cash.status == 201);
  const auto cash_id = cash.json()["data"]["id"].get<std::string>();
  REQUIRE(http("POST", "/v1/ledger/accounts",
               {{"code", "4000"}, {"name", "Sales"}, {"type", "income"}, {"currency", "USD"}})
              .status == 201);

  const json sale = {{"description", "sale"},
                     {"lines",
                      {{{"accountCode", "1000"}, {"debit", "10.05"}, {"currency", "USD"}},
                       {{"accountCode", "4000"}, {"credit", "10.05"}, {"currency", "USD"}}}}};
  const auto posted_reply =
      http("POST", "/v1/ledger/entries", sale, {{"Idempotency-Key", "http-sale-1"}});
  INFO(posted_reply.body);
  REQUIRE(posted_reply.status == 201);
  const auto entry_id = posted_reply.json()["data"]["entry"]["id"].get<std::string>();
  const auto replay =
      http("POST", "/v1/ledger/entries", sale, {{"Idempotency-Key", "http-sale-1"}});
  CHECK(replay.status == 200);
  CHECK(replay.json()["data"]["replayed"] == true);
  CHECK(replay.json()["data"]["entry"]["id"] == entry_id);

  json wrong = sale;
  wrong["lines"][0]["debit"] = "10.005";
  wrong["lines"][1]["credit"] = "10.005";
  const auto refused = http("POST", "/v1/ledger/entries", wrong);
  CHECK(refused.status == 422);
  CHECK(refused.json()["error"]["code"] == "INVALID_AMOUNT");
  json unbalanced = sale;
  unbalanced["lines"][1]["credit"] = "10.04";
  const auto unbalanced_reply = http("POST", "/v1/ledger/entries", unbalanced);
  CHECK(unbalanced_reply.status == 422);
  CHECK(unbalanced_reply.json()["error"]["code"] == "UNBALANCED_ENTRY");
  CHECK(unbalanced_reply.json()["error"]["details"]["currency"] == "USD");

  const auto balance = http("GET", "/v1/ledger/accounts/" + cash_id + "/balance");
  INFO(balance.body);
  REQUIRE(balance.status == 200);
  CHECK(balance.json()["data"]["balance"]["posted"]["amount"] == "10.05");
  const auto exported = http("GET", "/v1/ledger/export");
  CHECK(exported.status == 200);
  CHECK(exported.body.find("Assets:1000") != std::string::npos);

  // The posting's audit record was written by the kernel in the same transaction.
  pqxx::connection connection(TestDatabase::instance().owner_url());
  pqxx::work tx(connection);
  tx.exec_params("SELECT set_config('fk.tenant_id', $1, true)", tenant);
  CHECK(tx.exec("SELECT 1 FROM audit_log WHERE action = 'ledger.entry.post'").size() == 1);
}
