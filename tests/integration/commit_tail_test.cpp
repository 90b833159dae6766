// A request's last statements sent with its COMMIT in one pipeline
// (TenantTransaction::commit with statements, db/pipelined_commit.cpp), and
// named prepared statements per pooled connection: everything commits or
// nothing does, a failure leaves the connection clean for the next user, and
// a broken connection is never handed out again.

#include "audit/audit_log.hpp"
#include "audit/audit_verify.hpp"
#include "db/connection_pool.hpp"
#include "db/prepared.hpp"
#include "db/tenant_transaction.hpp"
#include "events/outbox.hpp"
#include "support/test_database.hpp"

#include <catch2/catch.hpp>
#include <pqxx/pqxx>

#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

using fk::test::TestDatabase;

namespace {

fk::audit::AuditRecord record_of(const std::string& action) {
  fk::audit::AuditRecord record;
  record.actor_type = "system";
  record.actor_id = "commit-tail-test";
  record.action = action;
  record.resource = "tests/commit-tail";
  record.outcome = "success";
  record.summary = {{"note", "ünïcode and \"quotes\""}, {"n", 7}};
  return record;
}

fk::events::OutgoingEvent event_of(const std::string& type, std::vector<std::string> to) {
  fk::events::EventToPublish event;
  event.source = "kernel";
  event.type = type;
  event.aggregate_type = "probe";
  event.aggregate_id = "a1";
  event.payload_json = R"({"amount": 12345678901234567890123, "text": "x"})";
  event.principal = "system";
  event.correlation_id = "req-1";
  return fk::events::prepare(event, to);
}

long long count_of(const std::string& tenant, const std::string& sql) {
  return fk::test::tenant_query(tenant, sql)[0][0].as<long long>();
}

// The names this session has prepared (pg_prepared_statements is per session).
std::vector<std::string> prepared_names(pqxx::transaction_base& tx) {
  std::vector<std::string> names;
  for (const auto& row : tx.exec("SELECT name FROM pg_prepared_statements ORDER BY name")) {
    names.push_back(row[0].as<std::string>());
  }
  return names;
}

}  // namespace

TEST_CASE("statements sent with the COMMIT commit with the transaction", "[pool]") {
  const auto tenant = fk::test::create_tenant("commit-tail");
  fk::db::ConnectionPool pool(TestDatabase::instance().runtime_url(), 1,
                              std::chrono::milliseconds(2000));
  for (int round = 0; round < 3; ++round) {
    fk::db::TenantTransaction transaction(pool, tenant);
    transaction.work().exec_params(
        "INSERT INTO tenant_settings (tenant_id, key, value) VALUES ($1::uuid, $2, '1'::jsonb)",
        tenant, "tail." + std::to_string(round));
    transaction.commit(
        {fk::events::publish_statement(tenant,
                                       {event_of("probe.done", {"commit-tail-subscriber"})}),
         fk::audit::append_statement({record_of("tail.first"), record_of("tail.second")})});
  }
  CHECK(count_of(tenant, "SELECT count(*) FROM tenant_settings WHERE key LIKE 'tail.%'") == 3);
  CHECK(count_of(tenant, "SELECT count(*) FROM fk_outbox WHERE type = 'probe.done'") == 3);
  CHECK(
      count_of(
          tenant,
          "SELECT count(*) FROM fk_event_deliveries WHERE subscriber = 'commit-tail-subscriber'") ==
      3);
  // The payload reached the table as sent: no number rewritten on the way.
  CHECK(fk::test::tenant_query(tenant, "SELECT payload->>'amount' FROM fk_outbox LIMIT 1")[0][0]
            .as<std::string>() == "12345678901234567890123");
  // Delivered by hand: other suites' dispatchers in this process must not see them.
  fk::test::tenant_query(
      tenant,
      "UPDATE fk_event_deliveries SET status = 'delivered', delivered_at = now() "
      "WHERE subscriber = 'commit-tail-subscriber'");
  CHECK(count_of(tenant, "SELECT count(*) FROM audit_log") == 6);
  // The hashes the database chained are the ones the kernel's verifier computes.
  const auto report = fk::audit::verify(TestDatabase::instance().owner_url(), tenant, {});
  INFO(report.message);
  CHECK(report.ok());
  CHECK(report.count == 6);

  SECTION("the second use of a connection runs them as named prepared statements") {
    fk::db::TenantTransaction transaction(pool, tenant);
    const auto names = prepared_names(transaction.work());
    CHECK(names.size() >= 2);
    CHECK(std::count_if(names.begin(), names.end(),
                        [](const std::string& name) { return name.rfind("fk_p", 0) == 0; }) == 2);
  }
}

TEST_CASE("a failing last statement rolls everything back and leaves the connection clean",
          "[pool]") {
  const auto tenant = fk::test::create_tenant("commit-tail-fail");
  fk::db::ConnectionPool pool(TestDatabase::instance().runtime_url(), 1,
                              std::chrono::milliseconds(2000));
  int backend = 0;
  {
    fk::db::TenantTransaction transaction(pool, tenant);
    backend = transaction.work().conn().backendpid();
    transaction.work().exec_params(
        "INSERT INTO tenant_settings (tenant_id, key, value) VALUES ($1::uuid, 'doomed', '1')",
        tenant);
    const std::vector<fk::db::Statement> last = {
        fk::audit::append_statement({record_of("tail.doomed")}),
        fk::db::Statement{"SELECT 1 / (length($1) - 3)", {"abc"}},  // division by zero
        fk::events::publish_statement(tenant, {event_of("probe.doomed", {})})};
    try {
      transaction.commit(last);
      FAIL("the commit should have failed");
    } catch (const pqxx::sql_error& e) {
      CHECK(e.sqlstate() == "22012");
      CHECK(e.query() == "SELECT 1 / (length($1) - 3)");
    }
  }
  CHECK(count_of(tenant, "SELECT count(*) FROM tenant_settings WHERE key = 'doomed'") == 0);
  CHECK(count_of(tenant, "SELECT count(*) FROM audit_log") == 0);
  CHECK(count_of(tenant, "SELECT count(*) FROM fk_outbox") == 0);

  // Same connection, out of the failed transaction and of pipeline mode; the
  // statements skipped after the failure are prepared when next sent.
  fk::db::TenantTransaction again(pool, tenant);
  CHECK(again.work().conn().backendpid() == backend);
  again.commit({fk::audit::append_statement({record_of("tail.after")}),
                fk::events::publish_statement(tenant, {event_of("probe.after", {})})});
  CHECK(count_of(tenant, "SELECT count(*) FROM audit_log") == 1);
  CHECK(count_of(tenant, "SELECT count(*) FROM fk_outbox WHERE type = 'probe.after'") == 1);
  CHECK(fk::audit::verify(TestDatabase::instance().owner_url(), tenant, {}).ok());
}

TEST_CASE("a connection lost before the commit is reported and replaced", "[pool]") {
  const auto tenant = fk::test::create_tenant("commit-tail-lost");
  fk::db::ConnectionPool pool(TestDatabase::instance().runtime_url(), 1,
                              std::chrono::milliseconds(2000));
  {
    fk::db::TenantTransaction transaction(pool, tenant);
    const int backend = transaction.work().conn().backendpid();
    pqxx::connection superuser(TestDatabase::instance().superuser_url());
    pqxx::nontransaction admin(superuser);
    admin.exec_params("SELECT pg_terminate_backend($1)", backend);
    // libpq learns of it only when the pipeline's results fail to come, so
    // the COMMIT may have been sent: in doubt (here it did not commit).
    bool reported = false;
    try {
      transaction.commit({fk::audit::append_statement({record_of("tail.lost")})});
    } catch (const pqxx::in_doubt_error&) {
      reported = true;
    } catch (const pqxx::broken_connection&) {
      reported = true;
    }
    CHECK(reported);
  }
  CHECK(pool.stats().replaced == 1);
  CHECK(count_of(tenant, "SELECT count(*) FROM audit_log") == 0);
  fk::db::TenantTransaction next(pool, tenant);
  next.commit({fk::audit::append_statement({record_of("tail.next")})});
  CHECK(count_of(tenant, "SELECT count(*) FROM audit_log") == 1);
}

TEST_CASE("exec_prepared_cached names a statement once per connection, results unchanged",
          "[pool]") {
  const auto tenant = fk::test::create_tenant("prepared-cache");
  fk::db::ConnectionPool pool(TestDatabase::instance().runtime_url(), 1,
                              std::chrono::milliseconds(2000));
  const std::string sql = "SELECT $1::int + 1, $2::text IS NULL";
  for (int i = 0; i < 3; ++i) {
    fk::db::TenantTransaction transaction(pool, tenant);
    const std::string value = std::to_string(i);
    const auto rows =
        fk::db::exec_prepared_cached(transaction.work(), sql, {value.c_str(), nullptr});
    CHECK(rows[0][0].as<int>() == i + 1);
    CHECK(rows[0][1].as<bool>());
    const auto names = prepared_names(transaction.work());
    CHECK(std::count_if(names.begin(), names.end(),
                        [](const std::string& name) { return name.rfind("fk_q", 0) == 0; }) == 1);
    transaction.commit();
  }
  // Not a TenantWork: the same statement runs unnamed.
  pqxx::connection plain(TestDatabase::instance().runtime_url());
  pqxx::work tx(plain);
  CHECK(fk::db::exec_prepared_cached(tx, sql, {"41", "x"})[0][0].as<int>() == 42);
  CHECK(prepared_names(tx).empty());
}

TEST_CASE("committing a transaction that already failed is reported, not taken for a commit",
          "[pool]") {
  const auto tenant = fk::test::create_tenant("commit-after-failure");
  fk::db::ConnectionPool pool(TestDatabase::instance().runtime_url(), 1,
                              std::chrono::milliseconds(2000));
  {
    fk::db::TenantTransaction transaction(pool, tenant);
    transaction.work().exec_params(
        "INSERT INTO tenant_settings (tenant_id, key, value) VALUES ($1::uuid, 'lost', '1')",
        tenant);
    // A caller that swallows a failed statement and commits anyway: the
    // server answers that COMMIT with ROLLBACK. (libpqxx aborts its
    // transaction object after a failed exec(), but not after a failed
    // prepared statement, which is how plugin SQL runs.)
    CHECK_THROWS_AS(fk::db::exec_prepared_cached(transaction.work(), "SELECT 1 / $1::int", {"0"}),
                    pqxx::sql_error);
    try {
      transaction.commit();
      FAIL("a rolled-back transaction was reported as committed");
    } catch (const pqxx::sql_error& e) {
      CHECK(e.sqlstate() == "25P02");
    }
  }
  CHECK(count_of(tenant, "SELECT count(*) FROM tenant_settings WHERE key = 'lost'") == 0);
  fk::db::TenantTransaction next(pool, tenant);
  next.commit({fk::audit::append_statement({record_of("after.failure")})});
  CHECK(count_of(tenant, "SELECT count(*) FROM audit_log") == 1);
}

TEST_CASE("an event payload must be one JSON object and reaches the outbox as written", "[pool]") {
  using fk::events::is_json_object;
  CHECK(is_json_object(R"({"a": 1})"));
  CHECK(is_json_object(" \n{}\t "));
  CHECK_FALSE(is_json_object(""));
  CHECK_FALSE(is_json_object("[1]"));
  CHECK_FALSE(is_json_object(R"("text")"));
  CHECK_FALSE(is_json_object("{"));
  // Text after the object would end up inside the outbox statement's array.
  CHECK_FALSE(is_json_object(R"({"a": 1}, {"b": 2})"));
  CHECK_FALSE(is_json_object(R"({"a": 1}]})"));
  CHECK_FALSE(is_json_object(R"({"a": 1} x)"));

  fk::events::EventToPublish event;
  event.source = "kernel";
  event.type = "probe.payload";
  event.payload_json = R"({"a": 1}], "type": "forged")";
  CHECK_THROWS_AS(fk::events::prepare(event, {}), std::invalid_argument);

  const auto tenant = fk::test::create_tenant("outbox-payload");
  fk::db::ConnectionPool pool(TestDatabase::instance().runtime_url(), 1,
                              std::chrono::milliseconds(2000));
  const std::string payload =
      R"({"quote": "say \"hi\"\\", "unicode": "ünï \u00e9 \ud83d\ude00", "nested": {"list": [1, -2.50, 1e3, null, true]}, "big": 98765432109876543210.123})";
  event.payload_json = payload;
  event.aggregate_type = "probe";
  event.aggregate_id = "quote \"id\"";
  event.principal = "system";
  event.correlation_id = "req-\"2\"";
  {
    fk::db::TenantTransaction transaction(pool, tenant);
    transaction.commit({fk::events::publish_statement(
        tenant, {fk::events::prepare(event, {}), fk::events::prepare(event, {})})});
  }
  const auto rows = fk::test::tenant_query(
      tenant, "SELECT payload = '" + payload +
                  "'::jsonb, payload->>'big', aggregate_id, metadata->>'correlationId' "
                  "FROM fk_outbox WHERE type = 'probe.payload' ORDER BY seq");
  REQUIRE(rows.size() == 2);
  // Event ids are time-ordered (version 7), through the function and the
  // column default alike.
  CHECK(count_of(tenant,
                 "SELECT count(*) FROM fk_outbox WHERE substr(event_id::text, 15, 1) <> '7'") == 0);
  const auto new_id = [&] {
    return fk::test::tenant_query(tenant, "SELECT fk_time_ordered_uuid()::text")[0][0]
        .as<std::string>();
  };
  const std::string first = new_id();
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const std::string second = new_id();
  CHECK(first.at(14) == '7');
  CHECK(first.substr(0, 13) < second.substr(0, 13));  // the 48-bit millisecond prefixes
  const long long prefix_ms = std::stoll(first.substr(0, 8) + first.substr(9, 4), nullptr, 16);
  const long long now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
  CHECK(std::llabs(now_ms - prefix_ms) < 60000);
  for (const auto& row : rows) {
    CHECK(row[0].as<bool>());
    CHECK(row[1].as<std::string>() == "98765432109876543210.123");
    CHECK(row[2].as<std::string>() == "quote \"id\"");
    CHECK(row[3].as<std::string>() == "req-\"2\"");
  }
}
