// Batch posting at bulk speed (issue 6; plugins/ledger/migrations/0007_batch_speed.sql):
// ledger_post_batch posts a batch with a fixed number of set-based statements
// and must keep every rule the entry-by-entry engine (ledger_apply_entry)
// keeps. These tests hold it to that: big batches whose counters, statement
// sequence and running balances must equal what their lines say; refused
// entries whose errors must be exactly the single-entry engine's; the
// no-negative rule decided in entry order; two batches on one hot account at
// once without deadlock. The basic batch contract (atomic rejection,
// replays, per-entry keys) is in ledger_sql_test.cpp.

#include "db/connection_pool.hpp"
#include "db/migrator.hpp"
#include "db/tenant_transaction.hpp"
#include "ledger/ledger_migrations.hpp"
#include "support/test_database.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include <algorithm>
#include <chrono>
#include <cstdint>
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

fk::db::ConnectionPool& pool() {
  static std::once_flag once;
  std::call_once(once, [] {
    fk::db::Migrator(TestDatabase::instance().owner_url(), "ledger",
                     fk::test::ledger::ledger_migrations())
        .migrate();
  });
  static fk::db::ConnectionPool runtime(TestDatabase::instance().runtime_url(), 8,
                                        std::chrono::seconds(60));
  return runtime;
}

bool is_error(const json& value) {
  return value.is_object() && value.contains("error");
}

std::string error_code(const json& value) {
  return is_error(value) ? value["error"]["code"].get<std::string>() : "(no error)";
}

// One ledger call in its own tenant transaction, committed unless it answered
// an error (the kernel's commit rule).
json call(const std::string& tenant, const std::string& sql, const std::string& a,
          const std::string& b = "") {
  fk::db::TenantTransaction tx(pool(), tenant);
  const pqxx::result rows =
      b.empty() ? tx.work().exec_params(sql, a) : tx.work().exec_params(sql, a, b);
  REQUIRE(rows.size() == 1);
  const json value = rows[0][0].is_null() ? json() : json::parse(rows[0][0].as<std::string>());
  if (!is_error(value)) tx.commit();
  return value;
}

json batch(const std::string& tenant, const json& entries, bool atomic) {
  return call(tenant,
              atomic ? "SELECT ledger_post_batch_request($1::jsonb, true, NULL, 'user:batch')"
                     : "SELECT ledger_post_batch_request($1::jsonb, false, NULL, 'user:batch')",
              entries.dump());
}

// As batch(), without Catch assertions (which are not thread-safe in Catch2 v2).
json batch_from_thread(const std::string& tenant, const json& entries, bool atomic) {
  fk::db::TenantTransaction tx(pool(), tenant);
  const pqxx::result rows =
      tx.work().exec_params("SELECT ledger_post_batch_request($1::jsonb, $2, NULL, 'user:batch')",
                            entries.dump(), atomic);
  const json value = json::parse(rows.at(0).at(0).as<std::string>());
  if (!is_error(value)) tx.commit();
  return value;
}

json post_entry(const std::string& tenant, const json& entry) {
  return call(tenant, "SELECT ledger_post_entry($1::jsonb, NULL, 'user:batch')", entry.dump());
}

std::string new_account(const std::string& tenant, const std::string& code, const std::string& type,
                        const std::string& currency, bool allow_negative = true) {
  const json created = call(tenant, "SELECT ledger_create_account($1::jsonb, 'user:batch')",
                            json{{"code", code},
                                 {"name", "Account " + code},
                                 {"type", type},
                                 {"currency", currency},
                                 {"allowNegative", allow_negative}}
                                .dump());
  INFO(created.dump());
  REQUIRE_FALSE(is_error(created));
  return created["account"]["id"].get<std::string>();
}

json line(const std::string& code, int64_t minor, const std::string& currency = "USD") {
  return {{"accountCode", code}, {"amount", minor}, {"currency", currency}};
}

json entry(const std::string& description, const json& lines) {
  return {{"description", description}, {"lines", lines}};
}

struct Counters {
  int64_t debits = 0;
  int64_t credits = 0;
  int64_t lines = 0;
};

// Every account's counters, by code.
std::map<std::string, Counters> counters(const std::string& tenant) {
  fk::db::TenantTransaction tx(pool(), tenant);
  std::map<std::string, Counters> out;
  for (const auto& row : tx.work().exec(
           "SELECT code, posted_debits, posted_credits, line_seq FROM ledger_accounts")) {
    out[row[0].as<std::string>()] =
        Counters{row[1].as<int64_t>(), row[2].as<int64_t>(), row[3].as<int64_t>()};
  }
  return out;
}

// What the lines say must be what the counters say: per account, posted
// debits/credits and line count equal to its lines', statement sequence
// 1..n without gap, each balance_after the running sum of the lines before
// it, every entry balanced per currency, and the trial balance balanced.
void check_ledger_consistent(const std::string& tenant) {
  fk::db::TenantTransaction tx(pool(), tenant);
  auto& w = tx.work();
  const auto counter_mismatches = w.exec(
      "SELECT a.code FROM ledger_accounts a LEFT JOIN LATERAL ("
      "  SELECT coalesce(sum(amount) FILTER (WHERE amount > 0), 0) AS d,"
      "         coalesce(-sum(amount) FILTER (WHERE amount < 0), 0) AS c,"
      "         count(*) AS n, coalesce(max(account_seq), 0) AS last"
      "  FROM ledger_lines l WHERE l.account_id = a.id AND NOT l.pending) s ON true "
      "WHERE a.posted_debits <> s.d OR a.posted_credits <> s.c OR a.line_seq <> s.n "
      "   OR a.line_seq <> s.last");
  CHECK(counter_mismatches.empty());
  const auto running = w.exec(
      "SELECT entry_id FROM (SELECT entry_id, balance_after, "
      "  sum(amount) OVER (PARTITION BY account_id ORDER BY account_seq) AS expected "
      "  FROM ledger_lines WHERE NOT pending) x WHERE balance_after <> expected");
  CHECK(running.empty());
  const auto unbalanced = w.exec(
      "SELECT entry_id FROM ledger_lines GROUP BY entry_id, currency HAVING sum(amount) <> 0");
  CHECK(unbalanced.empty());
  // No entry without its lines: a batch that wrote its entries before
  // locking and then refused one undid them all (migration 0009).
  const auto lineless = w.exec(
      "SELECT e.id FROM ledger_entries e "
      "WHERE NOT EXISTS (SELECT 1 FROM ledger_lines l WHERE l.entry_id = e.id)");
  CHECK(lineless.empty());
  const json trial =
      json::parse(w.exec("SELECT ledger_trial_balance(NULL)")[0][0].as<std::string>());
  CHECK(trial["balanced"].get<bool>());
}

// A bench-like batch: every entry debits the hot cash account and credits
// one of the revenue accounts, random amounts.
json hot_account_batch(std::mt19937_64& random, int entries, const std::string& cash,
                       const std::vector<std::string>& revenue) {
  std::uniform_int_distribution<int64_t> amount(1, 100000);
  std::uniform_int_distribution<std::size_t> pick(0, revenue.size() - 1);
  json out = json::array();
  for (int i = 0; i < entries; ++i) {
    const int64_t minor = amount(random);
    out.push_back(entry("import " + std::to_string(i),
                        {line(cash, minor), line(revenue[pick(random)], -minor)}));
  }
  return out;
}

}  // namespace

TEST_CASE("a 500-entry batch moves each account by exactly the sum of its lines", "[ledgersql]") {
  const auto tenant = fk::test::create_tenant("ledger-bigbatch");
  new_account(tenant, "1001", "asset", "USD");
  std::vector<std::string> revenue;
  for (int i = 1; i <= 8; ++i) {
    revenue.push_back("400" + std::to_string(i));
    new_account(tenant, revenue.back(), "income", "USD");
  }
  std::mt19937_64 random(6);
  for (const bool atomic : {true, false}) {
    const auto before = counters(tenant);
    const json entries = hot_account_batch(random, 500, "1001", revenue);
    std::map<std::string, Counters> expected = before;
    for (const auto& e : entries) {
      for (const auto& l : e["lines"]) {
        Counters& c = expected[l["accountCode"].get<std::string>()];
        const int64_t minor = l["amount"].get<int64_t>();
        (minor > 0 ? c.debits : c.credits) += minor > 0 ? minor : -minor;
        c.lines += 1;
      }
    }
    const auto started = std::chrono::steady_clock::now();
    const json result = batch(tenant, entries, atomic);
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - started)
                        .count();
    WARN((atomic ? "atomic" : "independent") << " 500-entry batch: " << ms << " ms");
    INFO(result.dump().substr(0, 500));
    REQUIRE_FALSE(is_error(result));
    CHECK(result["posted"] == 500);
    CHECK(result["failed"] == 0);
    CHECK(result["replayed"] == false);
    REQUIRE(result["results"].size() == 500);
    REQUIRE(result["events"].size() == 500);
    std::set<std::string> ids;
    for (std::size_t i = 0; i < 500; ++i) {
      const json& r = result["results"][i];
      CHECK(r["index"] == i);
      CHECK(r["status"] == "posted");
      CHECK(r.size() == 3);  // index, status, entryId
      ids.insert(r["entryId"].get<std::string>());
      // Time-ordered (version 7) ids: inserts stay on the newest index pages.
      CHECK(r["entryId"].get<std::string>().at(14) == '7');
      // Its ledger.entry.posted event, in batch order: the payload a single
      // posting's event has, as JSON text.
      const json& event = result["events"][i];
      CHECK(event["entryId"] == r["entryId"]);
      const json posted = event["payload"];
      CHECK(posted.size() == 6);
      CHECK(posted["entryId"] == r["entryId"]);
      CHECK(posted["kind"] == "standard");
      CHECK(posted["date"].is_string());
      CHECK(posted["description"] == entries[i]["description"]);
      CHECK(posted["metadata"] == json::object());
      REQUIRE(posted["lines"].size() == 2);
      for (std::size_t k = 0; k < 2; ++k) {
        const json& l = posted["lines"][k];
        CHECK(l.size() == 5);
        CHECK(l["accountCode"] == entries[i]["lines"][k]["accountCode"]);
        CHECK(l["minor"] == entries[i]["lines"][k]["amount"]);
        CHECK(l["currency"] == "USD");
        CHECK(l["accountId"].is_string());
        CHECK(l["amount"].is_string());
      }
    }
    CHECK(ids.size() == 500);
    const auto after = counters(tenant);
    for (const auto& [code, c] : expected) {
      INFO(code);
      CHECK(after.at(code).debits == c.debits);
      CHECK(after.at(code).credits == c.credits);
      CHECK(after.at(code).lines == c.lines);
    }
  }
  check_ledger_consistent(tenant);
}

TEST_CASE("amounts in a batch keep each currency's exponent, to the last bigint", "[ledgersql]") {
  const auto tenant = fk::test::create_tenant("ledger-batchfx");
  new_account(tenant, "JPY-CASH", "asset", "JPY");
  new_account(tenant, "JPY-SALES", "income", "JPY");
  new_account(tenant, "KWD-CASH", "asset", "KWD");
  new_account(tenant, "KWD-SALES", "income", "KWD");
  new_account(tenant, "USD-CASH", "asset", "USD");
  new_account(tenant, "USD-SALES", "income", "USD");
  const int64_t big = 9223372036854775807;  // the largest bigint
  json odd = entry("quote \" backslash \\ tab \t newline \n",
                   {line("USD-CASH", -big), line("USD-SALES", big)});
  odd["lines"][0]["memo"] = "memo with \"quotes\" and \\";
  odd["metadata"] = {{"source", "csv"}, {"row", 7}, {"nested", {{"a", json::array({1, "x"})}}}};
  odd["date"] = "2026-01-31";
  const json result =
      batch(tenant,
            {entry("yen", {line("JPY-CASH", 1234, "JPY"), line("JPY-SALES", -1234, "JPY")}),
             entry("dinar", {line("KWD-CASH", -5, "KWD"), line("KWD-SALES", 5, "KWD")}), odd},
            true);
  INFO(result.dump());
  REQUIRE_FALSE(is_error(result));
  json entries = json::array();
  for (const json& event : result["events"]) {
    entries.push_back(event["payload"]);
  }
  REQUIRE(entries.size() == 3);
  {
    // What the plugin publishes: one "<entryId>\t<payload>" line per event,
    // even with a tab and a newline in the description.
    fk::db::TenantTransaction tx(pool(), tenant);
    const auto lines = tx.work()
                           .exec_params1("SELECT ledger_batch_events($1::jsonb)", result.dump())[0]
                           .as<std::string>();
    std::stringstream in(lines);
    std::string line;
    std::size_t k = 0;
    while (std::getline(in, line)) {
      REQUIRE(k < 3);
      const auto tab = line.find('\t');
      REQUIRE(tab != std::string::npos);
      CHECK(line.substr(0, tab) == entries[k]["entryId"]);
      CHECK(json::parse(line.substr(tab + 1)) == entries[k]);
      ++k;
    }
    CHECK(k == 3);
  }
  CHECK(entries[0]["lines"][0]["amount"] == "1234");
  CHECK(entries[0]["lines"][1]["amount"] == "-1234");
  CHECK(entries[1]["lines"][0]["amount"] == "-0.005");
  CHECK(entries[1]["lines"][1]["amount"] == "0.005");
  CHECK(entries[2]["lines"][0]["amount"] == "-92233720368547758.07");
  CHECK(entries[2]["lines"][1]["amount"] == "92233720368547758.07");
  CHECK(entries[2]["description"] == odd["description"]);
  CHECK(entries[2]["metadata"] == odd["metadata"]);
  CHECK(entries[2]["date"] == "2026-01-31");
  // The stored entry reads back the same as the batch announced it.
  const json stored =
      call(tenant, "SELECT ledger_get_entry($1::uuid)", entries[2]["entryId"].get<std::string>());
  CHECK(stored["lines"][0]["amount"] == entries[2]["lines"][0]["amount"]);
  CHECK(stored["lines"][0]["memo"] == "memo with \"quotes\" and \\");
  CHECK(stored["metadata"] == odd["metadata"]);
  check_ledger_consistent(tenant);
}

// USD cash 1000 and revenue 4000, a EUR account and a closed USD account OLD.
static void open_mixed_accounts(const std::string& tenant) {
  new_account(tenant, "1000", "asset", "USD");
  new_account(tenant, "4000", "income", "USD");
  new_account(tenant, "EUR", "asset", "EUR");
  const auto closed = new_account(tenant, "OLD", "asset", "USD");
  REQUIRE_FALSE(
      is_error(call(tenant, "SELECT ledger_close_account($1::uuid, 'user:batch')", closed)));
}

TEST_CASE("independent batches refuse bad entries exactly as single postings do", "[ledgersql]") {
  const auto tenant = fk::test::create_tenant("ledger-batchmix");
  open_mixed_accounts(tenant);

  const json good = entry("good", {line("1000", 250), line("4000", -250)});
  json unknown_id = entry("unknown id", {line("1000", 5), line("4000", -5)});
  unknown_id["lines"][0] = {
      {"accountId", "00000000-0000-4000-8000-000000000001"}, {"amount", 5}, {"currency", "USD"}};
  const std::vector<std::pair<json, std::string>> bad = {
      {entry("unbalanced", {line("1000", 100), line("4000", -99)}), "UNBALANCED_ENTRY"},
      {entry("closed", {line("OLD", 100), line("4000", -100)}), "ACCOUNT_CLOSED"},
      {entry("currency", {line("1000", 100, "EUR"), line("EUR", -100, "EUR")}),
       "CURRENCY_MISMATCH"},
      {entry("no code", {line("NOPE", 100), line("4000", -100)}), "ACCOUNT_NOT_FOUND"},
      {unknown_id, "ACCOUNT_NOT_FOUND"},
      {entry("zero", {line("1000", 0), line("4000", 0)}), "VALIDATION_FAILED"},
      {entry("one line", {line("1000", 100)}), "VALIDATION_FAILED"},
  };
  // good, bad0, good, bad1, good, ... good
  json entries = json::array();
  std::vector<std::size_t> bad_at;
  for (const auto& [e, code] : bad) {
    entries.push_back(good);
    bad_at.push_back(entries.size());
    entries.push_back(e);
  }
  entries.push_back(good);
  const std::size_t good_count = entries.size() - bad.size();

  // Atomic: the first refused entry rejects it all, nothing written.
  const json rejected = batch(tenant, entries, true);
  CHECK(error_code(rejected) == "BATCH_REJECTED");
  CHECK(rejected["error"]["details"]["index"] == bad_at[0]);
  CHECK(rejected["error"]["details"]["error"]["code"] == "UNBALANCED_ENTRY");
  CHECK(counters(tenant).at("1000").lines == 0);

  const json result = batch(tenant, entries, false);
  INFO(result.dump());
  REQUIRE_FALSE(is_error(result));
  CHECK(result["posted"] == good_count);
  CHECK(result["failed"] == bad.size());
  REQUIRE(result["results"].size() == entries.size());
  REQUIRE(result["events"].size() == good_count);
  for (std::size_t i = 0; i < bad.size(); ++i) {
    const json& r = result["results"][bad_at[i]];
    INFO("entry " << bad_at[i] << ": " << r.dump());
    CHECK(r["index"] == bad_at[i]);
    CHECK(r["status"] == "failed");
    CHECK(r["error"]["code"] == bad[i].second);
    // Exactly the single-entry engine's answer (message and details too).
    CHECK(r["error"] == post_entry(tenant, bad[i].first)["error"]);
  }
  std::size_t posted_seen = 0;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const json& r = result["results"][i];
    if (r["status"] != "posted") continue;
    CHECK(result["events"][posted_seen]["entryId"] == r["entryId"]);
    ++posted_seen;
  }
  CHECK(posted_seen == good_count);
  const auto after = counters(tenant);
  CHECK(after.at("1000").debits == static_cast<int64_t>(250 * good_count));
  CHECK(after.at("1000").lines == static_cast<int64_t>(good_count));
  CHECK(after.at("4000").credits == static_cast<int64_t>(250 * good_count));
  CHECK(after.at("OLD").lines == 0);
  check_ledger_consistent(tenant);
}

TEST_CASE("a batch refused only under the locks leaves no early-written entry", "[ledgersql]") {
  const auto tenant = fk::test::create_tenant("ledger-batchlate");
  open_mixed_accounts(tenant);
  // Nothing the checks before the locks see: known codes, balanced, non-zero.
  const json good = entry("good", {line("1000", 250), line("4000", -250)});
  const json to_closed = entry("to a closed account", {line("OLD", 5), line("4000", -5)});
  const json wrong_currency = entry("USD on a EUR account", {line("EUR", 7), line("4000", -7)});

  const json atomic = batch(tenant, {good, to_closed, good}, true);
  CHECK(error_code(atomic) == "BATCH_REJECTED");
  CHECK(atomic["error"]["details"]["index"] == 1);
  CHECK(atomic["error"]["details"]["error"] == post_entry(tenant, to_closed)["error"]);

  const json independent = batch(tenant, {good, to_closed, good, wrong_currency}, false);
  INFO(independent.dump());
  REQUIRE_FALSE(is_error(independent));
  CHECK(independent["posted"] == 2);
  CHECK(independent["failed"] == 2);
  CHECK(independent["results"][1]["error"] == post_entry(tenant, to_closed)["error"]);
  CHECK(independent["results"][3]["error"] == post_entry(tenant, wrong_currency)["error"]);
  REQUIRE(independent["events"].size() == 2);
  CHECK(independent["events"][0]["entryId"] == independent["results"][0]["entryId"]);
  CHECK(independent["events"][1]["entryId"] == independent["results"][2]["entryId"]);
  {
    fk::db::TenantTransaction tx(pool(), tenant);
    CHECK(tx.work().exec1("SELECT count(*) FROM ledger_entries")[0].as<int>() == 2);
  }
  CHECK(counters(tenant).at("1000").lines == 2);
  check_ledger_consistent(tenant);
}

TEST_CASE("the no-negative rule is applied in entry order within a batch", "[ledgersql]") {
  const auto tenant = fk::test::create_tenant("ledger-batchneg");
  new_account(tenant, "1000", "asset", "USD");
  new_account(tenant, "WALLET", "liability", "USD", false);  // credit-normal, no overdraft
  const json top_up = entry("top up", {line("1000", 300), line("WALLET", -300)});
  const json spend = entry("spend", {line("WALLET", 200), line("1000", -200)});
  const json small = entry("small spend", {line("WALLET", 100), line("1000", -100)});
  const json overdraw = entry("one cent too many", {line("WALLET", 1), line("1000", -1)});

  // Passes only because the top-up comes first.
  const json ordered = batch(tenant, {top_up, spend, small}, true);
  INFO(ordered.dump());
  REQUIRE_FALSE(is_error(ordered));
  CHECK(ordered["posted"] == 3);
  CHECK(counters(tenant).at("WALLET").debits == 300);

  // The same spend before its top-up is refused.
  const json early = batch(tenant, {spend, top_up}, true);
  CHECK(error_code(early) == "BATCH_REJECTED");
  CHECK(early["error"]["details"]["index"] == 0);
  CHECK(early["error"]["details"]["error"]["code"] == "INSUFFICIENT_FUNDS");

  // Independent: the overdraft is refused, what follows a top-up is not.
  const json mixed = batch(tenant, {overdraw, top_up, spend, small, overdraw}, false);
  INFO(mixed.dump());
  REQUIRE_FALSE(is_error(mixed));
  CHECK(mixed["posted"] == 3);
  CHECK(mixed["results"][0]["error"]["code"] == "INSUFFICIENT_FUNDS");
  CHECK(mixed["results"][1]["status"] == "posted");
  CHECK(mixed["results"][2]["status"] == "posted");
  CHECK(mixed["results"][3]["status"] == "posted");
  CHECK(mixed["results"][4]["error"]["code"] == "INSUFFICIENT_FUNDS");
  const auto wallet = counters(tenant).at("WALLET");
  CHECK(wallet.credits - wallet.debits == 0);
  check_ledger_consistent(tenant);
}

TEST_CASE("two batches on the same hot account at once neither deadlock nor lose an update",
          "[ledgersql]") {
  const auto tenant = fk::test::create_tenant("ledger-batchrace");
  // The hot account sorts between the revenue accounts' ids in no particular
  // place; the batches list its lines first in one thread and last in the
  // other, so lock order by id is all that keeps them from deadlocking.
  new_account(tenant, "1001", "asset", "USD");
  std::vector<std::string> revenue;
  for (int i = 1; i <= 8; ++i) {
    revenue.push_back("400" + std::to_string(i));
    new_account(tenant, revenue.back(), "income", "USD");
  }
  constexpr int kBatches = 4;
  constexpr int kEntries = 200;
  std::mutex mutex;
  std::vector<std::string> failures;
  int64_t expected_cash = 0;
  auto worker = [&](int seed, bool cash_last, bool atomic) {
    std::mt19937_64 random(static_cast<uint64_t>(seed));
    for (int b = 0; b < kBatches; ++b) {
      json entries = hot_account_batch(random, kEntries, "1001", revenue);
      int64_t cash = 0;
      for (auto& e : entries) {
        cash += e["lines"][0]["amount"].get<int64_t>();
        if (cash_last) std::swap(e["lines"][0], e["lines"][1]);
      }
      try {
        const json result = batch_from_thread(tenant, entries, atomic);
        std::lock_guard<std::mutex> lock(mutex);
        if (is_error(result) || result["posted"] != kEntries) {
          failures.push_back(result.dump().substr(0, 300));
        } else {
          expected_cash += cash;
        }
      } catch (const std::exception& e) {  // a deadlock (40P01) would land here
        std::lock_guard<std::mutex> lock(mutex);
        failures.push_back(e.what());
      }
    }
  };
  std::thread first(worker, 1, false, true);
  std::thread second(worker, 2, true, false);
  first.join();
  second.join();
  INFO((failures.empty() ? std::string() : failures.front()));
  CHECK(failures.empty());
  const auto after = counters(tenant);
  CHECK(after.at("1001").debits == expected_cash);
  CHECK(after.at("1001").lines == 2 * kBatches * kEntries);
  check_ledger_consistent(tenant);
}

TEST_CASE("the batch's inline amount format is ledger_format_minor's, for every exponent",
          "[ledgersql]") {
  const auto tenant = fk::test::create_tenant("ledger-batchfmt");
  fk::db::TenantTransaction tx(pool(), tenant);
  const pqxx::result differ = tx.work().exec(
      "SELECT v, e FROM unnest(ARRAY[-9223372036854775808, 9223372036854775807, 0, 1, -1, 9, -9,"
      "  10, -10, 99, -99, 100, -100, 101, -101, 12345, -12345, 1000000007, -1000000007]::bigint[]"
      "  || ARRAY(SELECT (random() * 2e12 - 1e12)::bigint FROM generate_series(1, 500))) AS v,"
      "  generate_series(0, 4) AS e "
      "WHERE ledger_format_scaled(v, e, (10::numeric ^ e)::bigint) "
      "      IS DISTINCT FROM ledger_format_minor(v, e)");
  INFO((differ.empty() ? std::string()
                       : differ[0][0].c_str() + std::string(" exponent ") + differ[0][1].c_str()));
  CHECK(differ.empty());
}
