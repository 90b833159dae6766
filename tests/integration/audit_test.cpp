// The audit trail against a real database: records commit with their
// transaction, the database refuses changes, and an attacker with superuser
// access who changes the log anyway is caught by verify, naming the record.

#include "audit/audit_checkpoint.hpp"
#include "audit/audit_export.hpp"
#include "audit/audit_key_file.hpp"
#include "audit/audit_log.hpp"
#include "audit/audit_verify.hpp"
#include "audit/canonical.hpp"
#include "audit/checkpoint_scheduler.hpp"
#include "db/roles.hpp"
#include "db/tenant_transaction.hpp"
#include "support/test_database.hpp"

#include <sys/wait.h>
#include <catch2/catch.hpp>
#include <pqxx/pqxx>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace {

using fk::audit::Problem;
using fk::test::TestDatabase;
namespace fs = std::filesystem;

fk::db::ConnectionPool& runtime_pool() {
  static fk::db::ConnectionPool pool(TestDatabase::instance().runtime_url(), 8,
                                     std::chrono::seconds(10));
  return pool;
}

std::string superuser_url() {
  return TestDatabase::with_database(TestDatabase::instance().superuser_url(),
                                     fk::db::kDatabaseName);
}

fs::path temporary_directory() {
  char pattern[] = "/tmp/fk-audit-XXXXXX";
  if (!mkdtemp(pattern)) throw std::runtime_error("mkdtemp failed");
  return pattern;
}

// Removes a temporary directory when the test (or section) ends.
struct TemporaryDirectory {
  fs::path path = temporary_directory();
  TemporaryDirectory() = default;
  TemporaryDirectory(const TemporaryDirectory&) = delete;
  TemporaryDirectory& operator=(const TemporaryDirectory&) = delete;
  ~TemporaryDirectory() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
};

// A fresh audit key; its file is gone once the key is in memory.
fk::identity::SigningKey fresh_key() {
  const TemporaryDirectory directory;
  return fk::audit::load_or_create_audit_key(directory.path / "key.json");
}

const fk::identity::SigningKey& audit_key() {
  static const auto key = fresh_key();
  return key;
}

fk::audit::AuditRecord event(const std::string& action, const std::string& actor_id = "u-1") {
  fk::audit::AuditRecord record;
  record.actor_type = "user";
  record.actor_id = actor_id;
  record.action = action;
  record.resource = "tenant_settings/timezone";
  record.request_id = "req-" + action;
  record.client_address = "192.0.2.7";
  record.summary = {{"key", "timezone"}, {"changed", true}, {"count", 2}, {"note", "zürich \"x\""}};
  return record;
}

void append_committed(const std::string& tenant, int count, const std::string& action = "test") {
  for (int i = 0; i < count; ++i)
    fk::audit::append_standalone(runtime_pool(), tenant, event(action));
}

fk::audit::VerifyReport verify(const std::string& tenant) {
  return fk::audit::verify(TestDatabase::instance().owner_url(), tenant, {audit_key()});
}

// What an attacker with superuser access can do: replica mode skips the
// append-only triggers, and the superuser is not subject to RLS.
void tamper(const std::string& sql) {
  pqxx::connection connection(superuser_url());
  pqxx::work tx(connection);
  tx.exec("SET LOCAL session_replication_role = replica");
  tx.exec(sql);
  tx.commit();
}

std::string hash_at(const std::string& tenant, std::int64_t seq) {
  pqxx::connection connection(superuser_url());
  pqxx::read_transaction tx(connection);
  return tx
      .exec_params1("SELECT hash FROM audit_log WHERE tenant_id = $1::uuid AND seq = $2", tenant,
                    seq)[0]
      .as<std::string>();
}

std::vector<fk::audit::StoredRecord> all_records(const std::string& tenant) {
  fk::db::TenantTransaction transaction(runtime_pool(), tenant);
  return fk::audit::list(transaction.work(), {}, std::nullopt, 1000).records;
}

int run(const std::string& command) {
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

TEST_CASE("an audit record commits or rolls back with its transaction", "[audit]") {
  const auto tenant = fk::test::create_tenant("audit-tx");
  {
    fk::db::TenantTransaction transaction(runtime_pool(), tenant);
    fk::audit::append(transaction.work(), event("rolled.back"));
  }  // destroyed without commit
  CHECK(all_records(tenant).empty());

  {
    fk::db::TenantTransaction transaction(runtime_pool(), tenant);
    const auto result = fk::audit::append(transaction.work(), event("committed"));
    CHECK(result.seq == 1);
    transaction.commit();
  }
  const auto records = all_records(tenant);
  REQUIRE(records.size() == 1);
  CHECK(records[0].record.action == "committed");
  CHECK(records[0].prev_hash == fk::audit::kGenesisHash);
  CHECK(records[0].record.summary == event("x").summary);
}

TEST_CASE("appending outside a tenant transaction or with a bad record is refused", "[audit]") {
  pqxx::connection connection(TestDatabase::instance().runtime_url());
  pqxx::work tx(connection);
  CHECK_THROWS_AS(fk::audit::append(tx, event("no.tenant")), std::logic_error);
  auto bad = event("float");
  bad.summary["amount"] = 1.5;
  CHECK_THROWS_AS(fk::audit::validate(bad), std::invalid_argument);
  bad = event("actor");
  bad.actor_type = "root";
  CHECK_THROWS_AS(fk::audit::validate(bad), std::invalid_argument);
}

TEST_CASE("an untouched chain verifies with its count", "[audit]") {
  const auto tenant = fk::test::create_tenant("audit-ok");
  append_committed(tenant, 6);
  const auto report = verify(tenant);
  INFO(report.message);
  CHECK(report.ok());
  CHECK(report.count == 6);

  // The platform chain lives under the nil UUID and verifies the same way.
  fk::audit::append_platform(runtime_pool(), event("platform.event"));
  const auto platform = verify(fk::audit::kPlatformChain);
  INFO(platform.message);
  CHECK(platform.ok());
  CHECK(platform.count >= 1);

  // Tenants with no record yet verify as an empty chain.
  CHECK(verify(fk::test::create_tenant("audit-empty")).ok());
}

TEST_CASE("tampering by a superuser is named by sequence number", "[audit]") {
  const auto tenant = fk::test::create_tenant("audit-tamper");
  append_committed(tenant, 5);
  const std::string where = "WHERE tenant_id = '" + tenant + "'";

  SECTION("an updated record") {
    tamper("UPDATE audit_log SET outcome = 'failure' " + where + " AND seq = 3");
    const auto report = verify(tenant);
    CHECK(report.problem == Problem::altered);
    CHECK(report.first_bad_seq == 3);
    CHECK(report.count == 2);
  }
  SECTION("a deleted record") {
    tamper("DELETE FROM audit_log " + where + " AND seq = 2");
    const auto report = verify(tenant);
    CHECK(report.problem == Problem::removed);
    CHECK(report.first_bad_seq == 2);
  }
  SECTION("two records' contents swapped") {
    tamper(
        "UPDATE audit_log a SET occurred_at = b.occurred_at, action = b.action, "
        "request_id = b.request_id, prev_hash = b.prev_hash, hash = b.hash "
        "FROM audit_log b WHERE a.tenant_id = b.tenant_id AND a.tenant_id = '" +
        tenant + "' AND ((a.seq = 2 AND b.seq = 4) OR (a.seq = 4 AND b.seq = 2))");
    const auto report = verify(tenant);
    CHECK(report.problem == Problem::altered);
    CHECK(report.first_bad_seq == 2);
  }
  SECTION("a forged record inserted in the middle") {
    tamper("UPDATE audit_log SET seq = seq + 1000 " + where + " AND seq > 3");
    tamper("UPDATE audit_log SET seq = seq - 999 " + where + " AND seq > 1000");
    tamper(
        "INSERT INTO audit_log (tenant_id, seq, occurred_at, actor_type, action, outcome, "
        "prev_hash, hash) VALUES ('" +
        tenant + "', 4, now(), 'system', 'forged', 'success', '" + hash_at(tenant, 3) + "', '" +
        std::string(64, 'a') + "')");
    const auto report = verify(tenant);
    CHECK(report.problem == Problem::altered);
    CHECK(report.first_bad_seq == 4);
  }
  SECTION("a well-forged record appended at the tail") {
    // The attacker even computes the hash correctly; the chain head betrays it.
    fk::audit::StoredRecord forged;
    forged.tenant_id = tenant;
    forged.seq = 6;
    forged.occurred_at_us = fk::audit::now_microseconds();
    forged.record = event("forged");
    forged.prev_hash = hash_at(tenant, 5);
    forged.hash = fk::audit::record_hash(forged);
    tamper(
        "INSERT INTO audit_log (tenant_id, seq, occurred_at, actor_type, actor_id, action, "
        "resource, outcome, request_id, client_address, summary, prev_hash, hash) VALUES ('" +
        tenant + "', 6, '" + fk::audit::format_timestamp(forged.occurred_at_us) +
        "', 'user', 'u-1', 'forged', 'tenant_settings/timezone', 'success', 'req-forged', "
        "'192.0.2.7', '" +
        forged.record.summary.dump() + "', '" + forged.prev_hash + "', '" + forged.hash + "')");
    const auto report = verify(tenant);
    CHECK(report.problem == Problem::head_mismatch);
    CHECK(report.first_bad_seq == 6);
  }
}

TEST_CASE("checkpoints reveal a cut tail and a rewritten chain", "[audit]") {
  const auto tenant = fk::test::create_tenant("audit-cp");
  append_committed(tenant, 5);
  const auto checkpoint =
      fk::audit::sign_checkpoint(TestDatabase::instance().owner_url(), tenant, audit_key());
  CHECK(checkpoint.seq == 5);
  // The same head signed again keeps its first checkpoint.
  CHECK(fk::audit::sign_checkpoint(TestDatabase::instance().owner_url(), tenant, audit_key())
            .signature == checkpoint.signature);
  append_committed(tenant, 3);
  REQUIRE(verify(tenant).ok());
  CHECK(verify(tenant).checkpoints == 1);
  const std::string where = "WHERE tenant_id = '" + tenant + "'";

  SECTION("cutting the tail behind the checkpoint, head repaired") {
    tamper("DELETE FROM audit_log " + where + " AND seq >= 4");
    tamper("UPDATE audit_chain_heads SET seq = 3, hash = '" + hash_at(tenant, 3) + "' " + where);
    const auto report = verify(tenant);
    CHECK(report.problem == Problem::truncated);
    CHECK(report.first_bad_seq == 4);
    CHECK(report.count == 3);
  }
  SECTION("cutting the tail after the checkpoint is caught by the chain head") {
    tamper("DELETE FROM audit_log " + where + " AND seq >= 7");
    const auto report = verify(tenant);
    CHECK(report.problem == Problem::truncated);
    CHECK(report.first_bad_seq == 7);
  }
  SECTION("rewriting the chain from seq 3 on") {
    tamper("DELETE FROM audit_log " + where + " AND seq >= 3");
    tamper("UPDATE audit_chain_heads SET seq = 2, hash = '" + hash_at(tenant, 2) + "' " + where);
    append_committed(tenant, 4, "rewritten");  // a consistent chain again, but not the signed one
    const auto report = verify(tenant);
    CHECK(report.problem == Problem::rewritten);
    CHECK(report.first_bad_seq == 5);
  }
  SECTION("a checkpoint by another key is refused") {
    const auto other = fresh_key();
    const auto report = fk::audit::verify(TestDatabase::instance().owner_url(), tenant, {other});
    CHECK(report.problem == Problem::bad_checkpoint);
    CHECK(report.first_bad_seq == 5);
  }
  SECTION("a broken chain is not signed") {
    tamper("UPDATE audit_log SET action = 'x' " + where + " AND seq = 1");
    CHECK_THROWS_AS(
        fk::audit::sign_checkpoint(TestDatabase::instance().owner_url(), tenant, audit_key()),
        std::runtime_error);
  }
}

TEST_CASE("the database refuses to change audit records", "[audit]") {
  const auto tenant = fk::test::create_tenant("audit-ro");
  append_committed(tenant, 1);
  // A checkpoint row too, so the superuser's row-level statements meet a row.
  fk::audit::sign_checkpoint(TestDatabase::instance().owner_url(), tenant, audit_key());
  const auto& database = TestDatabase::instance();
  const std::string where = " WHERE tenant_id = '" + tenant + "'";
  const std::vector<std::string> statements = {"UPDATE audit_log SET action = 'x'" + where,
                                               "DELETE FROM audit_log" + where,
                                               "TRUNCATE audit_log",
                                               "UPDATE audit_checkpoints SET seq = 0" + where,
                                               "DELETE FROM audit_checkpoints" + where,
                                               "TRUNCATE audit_checkpoints"};

  for (const auto& url : {database.runtime_url(), database.owner_url(), superuser_url()}) {
    for (const auto& statement : statements) {
      INFO(statement);
      pqxx::connection connection(url);
      pqxx::work tx(connection);
      tx.exec_params("SELECT set_config('fk.tenant_id', $1, true)", tenant);
      // Runtime and owner lack the privilege; the superuser meets the triggers.
      CHECK_THROWS_AS(tx.exec(statement), pqxx::insufficient_privilege);
    }
  }
  CHECK(verify(tenant).ok());
  CHECK(verify(tenant).count == 1);
}

TEST_CASE("concurrent appends leave every chain complete and valid", "[audit]") {
  const std::vector<std::string> tenants = {fk::test::create_tenant("audit-c1"),
                                            fk::test::create_tenant("audit-c2"),
                                            fk::test::create_tenant("audit-c3")};
  constexpr int kThreads = 8;
  constexpr int kPerThread = 20;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      try {
        pqxx::connection connection(TestDatabase::instance().runtime_url());
        for (int i = 0; i < kPerThread; ++i) {
          pqxx::work tx(connection);
          tx.exec_params("SELECT set_config('fk.tenant_id', $1, true)",
                         tenants[static_cast<std::size_t>((t + i) % 3)]);
          fk::audit::append(tx, event("concurrent"));
          tx.commit();
        }
      } catch (const std::exception&) {
        ++failures;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(failures == 0);

  std::int64_t total = 0;
  for (const auto& tenant : tenants) {
    const auto report = verify(tenant);
    INFO(report.message);
    CHECK(report.ok());
    total += report.count;
  }
  CHECK(total == kThreads * kPerThread);
}

TEST_CASE("an export verifies outside the kernel, and tampering with it does not", "[audit]") {
  const auto tenant = fk::test::create_tenant("audit-export");
  append_committed(tenant, 4);
  fk::audit::sign_checkpoint(TestDatabase::instance().owner_url(), tenant, audit_key());
  append_committed(tenant, 2);
  const TemporaryDirectory scratch;
  const auto directory = scratch.path / "export";
  const auto result = fk::audit::export_chain(TestDatabase::instance().owner_url(), tenant,
                                              directory, {audit_key()});
  CHECK(result.records == 6);
  CHECK(result.checkpoints == 1);

  const std::string script = std::string(FK_SOURCE_DIR) + "/scripts/verify-audit-export.py";
  const std::string command = "python3 " + script + " " + directory.string() + " > /dev/null";
  REQUIRE(run(command) == 0);

  SECTION("one record line changed") {
    std::ifstream in(directory / "records.jsonl");
    std::stringstream content;
    content << in.rdbuf();
    auto text = content.str();
    const auto at = text.find("\"success\"", text.find('\n'));  // in the second line
    REQUIRE(at != std::string::npos);
    text.replace(at, 9, "\"failure\"");
    std::ofstream(directory / "records.jsonl", std::ios::trunc) << text;
    CHECK(run(command) == 1);
  }
  SECTION("the tail cut behind the checkpoint") {
    std::ifstream in(directory / "records.jsonl");
    std::string line;
    std::string kept;
    for (int i = 0; i < 3 && std::getline(in, line); ++i) kept += line + "\n";
    std::ofstream(directory / "records.jsonl", std::ios::trunc) << kept;
    CHECK(run(command) == 1);
  }
}

TEST_CASE("reading filters, pages and never shows another tenant", "[audit]") {
  const auto tenant = fk::test::create_tenant("audit-list");
  const auto other = fk::test::create_tenant("audit-list-other");
  for (int i = 0; i < 7; ++i) {
    fk::audit::append_standalone(runtime_pool(), tenant,
                                 event(i % 2 ? "odd" : "even", i < 3 ? "alice" : "bob"));
  }
  append_committed(other, 3, "even");

  fk::db::TenantTransaction transaction(runtime_pool(), tenant);
  auto& tx = transaction.work();

  std::vector<std::int64_t> seen;
  std::optional<std::int64_t> cursor;
  int pages = 0;
  do {
    const auto page = fk::audit::list(tx, {}, cursor, 3);
    for (const auto& record : page.records) {
      CHECK(record.tenant_id == tenant);
      seen.push_back(record.seq);
    }
    cursor = page.next_cursor;
    ++pages;
  } while (cursor && pages < 10);
  CHECK(seen == std::vector<std::int64_t>{1, 2, 3, 4, 5, 6, 7});
  CHECK(pages == 3);

  fk::audit::ListFilter by_action;
  by_action.action = "even";
  const auto even = fk::audit::list(tx, by_action, std::nullopt, 100).records;
  REQUIRE(even.size() == 4);
  for (const auto& record : even) CHECK(record.tenant_id == tenant);

  fk::audit::ListFilter by_actor;
  by_actor.actor_type = "user";
  by_actor.actor_id = "alice";
  CHECK(fk::audit::list(tx, by_actor, std::nullopt, 100).records.size() == 3);

  const auto all = fk::audit::list(tx, {}, std::nullopt, 100).records;
  fk::audit::ListFilter window;
  window.from = fk::audit::format_timestamp(all[2].occurred_at_us);
  window.to = fk::audit::format_timestamp(all[5].occurred_at_us);
  const auto in_window = fk::audit::list(tx, window, std::nullopt, 100).records;
  REQUIRE_FALSE(in_window.empty());
  CHECK(in_window.front().seq >= 3);
  CHECK(in_window.back().seq <= 5);

  // Even asked by the other tenant's id, RLS returns nothing of it.
  CHECK(tx.exec_params("SELECT 1 FROM audit_log WHERE tenant_id = $1::uuid", other).empty());
}

TEST_CASE("the audit key file is created private and refused when readable by others", "[audit]") {
  const TemporaryDirectory directory;
  const auto file = directory.path / "keys" / "audit-key.json";
  const auto key = fk::audit::load_or_create_audit_key(file);
  CHECK((fs::status(file).permissions() & (fs::perms::group_all | fs::perms::others_all)) ==
        fs::perms::none);
  CHECK(fk::audit::load_or_create_audit_key(file).raw_public_key() == key.raw_public_key());
  CHECK(fk::audit::public_key_pem(key).find("BEGIN PUBLIC KEY") != std::string::npos);
  fs::permissions(file, fs::perms::group_read, fs::perm_options::add);
  CHECK_THROWS_AS(fk::audit::load_or_create_audit_key(file), std::runtime_error);
}

TEST_CASE("the checkpoint scheduler signs moved chain heads on its own thread", "[audit]") {
  using namespace std::chrono_literals;
  const TemporaryDirectory directory;
  const auto key_file = directory.path / "scheduler-key.json";
  const auto owner = TestDatabase::instance().owner_url();
  const auto busy = fk::test::create_tenant("audit-sched");
  const auto quiet = fk::test::create_tenant("audit-sched");
  const auto broken = fk::test::create_tenant("audit-sched");
  append_committed(busy, 2);
  append_committed(quiet, 1);
  append_committed(broken, 2);
  tamper("UPDATE audit_log SET action = 'x' WHERE tenant_id = '" + broken + "' AND seq = 1");
  // Only these chains: other tests verify their chains with keys of their own.
  fk::audit::CheckpointScheduler scheduler(owner, key_file, 1s, {busy, quiet, broken});

  // A broken chain is logged and counted, never thrown, and the others are signed.
  auto round = scheduler.run_once();
  CHECK(round.signed_chains == 2);
  CHECK(round.failed == 1);
  round = scheduler.run_once();  // nothing moved since
  CHECK(round.signed_chains == 0);
  CHECK(round.skipped == 2);

  append_committed(busy, 3);
  scheduler.start();
  const auto key = fk::audit::load_or_create_audit_key(key_file);
  const auto checkpoints_of = [&](const std::string& tenant) {
    pqxx::connection connection(owner);
    pqxx::work tx(connection);
    tx.exec_params("SELECT set_config('fk.tenant_id', $1, true)", tenant);
    return fk::audit::read_checkpoints(tx, tenant);
  };
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (checkpoints_of(busy).size() < 2 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(100ms);
  }
  scheduler.stop();
  const auto busy_checkpoints = checkpoints_of(busy);
  REQUIRE(busy_checkpoints.size() == 2);
  CHECK(busy_checkpoints.back().seq == 5);
  CHECK(checkpoints_of(quiet).size() == 1);  // its head never moved
  const auto report = fk::audit::verify(owner, busy, {key});
  CHECK(report.ok());
  CHECK(report.checkpoints == 2);

  // Stopping does not wait for the interval (an hour here).
  fk::audit::CheckpointScheduler hourly(owner, key_file, 3600s, {busy});
  hourly.start();
  const auto stopping = std::chrono::steady_clock::now();
  hourly.stop();
  CHECK(std::chrono::steady_clock::now() - stopping < 60s);
  CHECK(hourly.rounds() == 0);
}
