// Every rule of the ledger plugin (docs/ledger.md), over HTTP against the
// real kernel served in-process with the real ledger bundle: status codes,
// error codes and the fields a client relies on. The same rules are tested
// at the SQL and C ABI levels in ledger_sql_test.cpp; this file proves the
// kernel carries them to the wire unchanged (envelope, commit rule, audit,
// outbox, RBAC, tenant isolation).

#include "audit/audit_verify.hpp"
#include "auth/user_admin.hpp"
#include "db/tenant_transaction.hpp"
#include "integration/ledger_http_fixture.hpp"
#include "support/http_client.hpp"
#include "support/test_database.hpp"
#include "support/test_kernel.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace {

using fk::test::HttpReply;
using fk::test::TestDatabase;
using fk::test::ledger::LedgerKernel;
using nlohmann::json;

// The data of a reply that must have `status`.
json data_of(const HttpReply& reply, int status) {
  INFO(reply.status << " " << reply.body);
  REQUIRE(reply.status == status);
  return reply.json()["data"];
}

// The error object of a reply (the kernel envelope), or null.
json error_of(const HttpReply& reply) {
  const json body = json::parse(reply.body, nullptr, false);
  if (body.is_discarded() || !body.is_object() || !body.contains("error")) return json();
  return body["error"];
}

std::string code_of(const HttpReply& reply) {
  const json error = error_of(reply);
  return error.is_object() && error.contains("code") ? error["code"].get<std::string>()
                                                     : "(no error: " + reply.body + ")";
}

json debit(const std::string& code, const std::string& amount, const std::string& currency) {
  return {{"accountCode", code}, {"debit", amount}, {"currency", currency}};
}

json credit(const std::string& code, const std::string& amount, const std::string& currency) {
  return {{"accountCode", code}, {"credit", amount}, {"currency", currency}};
}

json entry(const json& lines, const std::string& description = "http rule") {
  return {{"description", description}, {"lines", lines}};
}

// One tenant of a LedgerKernel, called as the dev-mode trusted caller.
struct Tenant {
  LedgerKernel& ledger;
  std::string id;

  HttpReply operator()(const std::string& method, const std::string& target, const json& body = {},
                       const std::map<std::string, std::string>& headers = {}) const {
    return ledger.call(id, method, target, body, headers);
  }

  // Creates an account; returns its id.
  std::string account(const std::string& code, const std::string& type, const std::string& currency,
                      json extra = json::object()) const {
    extra["code"] = code;
    extra["name"] = "Account " + code;
    extra["type"] = type;
    extra["currency"] = currency;
    return data_of((*this)("POST", "/v1/ledger/accounts", extra), 201)["id"].get<std::string>();
  }

  // Posts an entry that must be accepted; returns the entry.
  json post(const json& body) const {
    return data_of((*this)("POST", "/v1/ledger/entries", body), 201)["entry"];
  }

  // The live balance object of an account.
  json balance(const std::string& account_id) const {
    return data_of((*this)("GET", "/v1/ledger/accounts/" + account_id + "/balance"),
                   200)["balance"];
  }
  int64_t posted(const std::string& account_id) const {
    return balance(account_id)["posted"]["minor"].get<int64_t>();
  }
  int64_t available(const std::string& account_id) const {
    return balance(account_id)["available"]["minor"].get<int64_t>();
  }
};

// Runs `sql` as the owner role inside `tenant` (RLS confines it) and commits.
template <class... Args>
pqxx::result tenant_sql(const std::string& tenant, const std::string& sql, const Args&... args) {
  pqxx::connection connection(TestDatabase::instance().owner_url());
  pqxx::work tx(connection);
  tx.exec_params("SELECT set_config('fk.tenant_id', $1, true)", tenant);
  pqxx::result rows = tx.exec_params(sql, args...);
  tx.commit();
  return rows;
}

int64_t audit_count(const std::string& tenant, const std::string& action,
                    const std::string& resource) {
  return tenant_sql(tenant, "SELECT count(*) FROM audit_log WHERE action = $1 AND resource = $2",
                    action, resource)[0][0]
      .as<int64_t>();
}

int64_t outbox_count(const std::string& tenant, const std::string& type,
                     const std::string& aggregate_id) {
  return tenant_sql(tenant, "SELECT count(*) FROM fk_outbox WHERE type = $1 AND aggregate_id = $2",
                    type, aggregate_id)[0][0]
      .as<int64_t>();
}

}  // namespace

TEST_CASE("ledger HTTP: accounts are created, listed, read and closed by the rules",
          "[ledgerhttp]") {
  LedgerKernel ledger;
  const Tenant t{ledger, ledger.new_tenant("lh-accounts")};

  // Create: 201 with every field the docs promise.
  const auto created = data_of(t("POST", "/v1/ledger/accounts",
                                 {{"code", "1000"},
                                  {"name", "Cash"},
                                  {"type", "asset"},
                                  {"currency", "USD"},
                                  {"metadata", {{"branch", "north"}}}}),
                               201);
  const auto cash = created["id"].get<std::string>();
  CHECK(cash.size() == 36);
  CHECK(created["code"] == "1000");
  CHECK(created["name"] == "Cash");
  CHECK(created["type"] == "asset");
  CHECK(created["currency"] == "USD");
  CHECK(created["status"] == "open");
  CHECK(created["allowNegative"] == true);
  CHECK(created["parentId"].is_null());
  CHECK(created["metadata"] == json({{"branch", "north"}}));
  CHECK(created["closedAt"].is_null());
  CHECK(created["createdAt"].is_string());
  CHECK(created["balance"]["posted"] ==
        json({{"amount", "0.00"}, {"minor", 0}, {"currency", "USD"}}));
  CHECK(created["balance"]["available"]["minor"] == 0);

  SECTION("a duplicate code is a conflict") {
    const auto dup =
        t("POST", "/v1/ledger/accounts",
          {{"code", "1000"}, {"name", "Again"}, {"type", "asset"}, {"currency", "EUR"}});
    CHECK(dup.status == 409);
    CHECK(code_of(dup) == "ACCOUNT_CODE_EXISTS");
    CHECK(error_of(dup)["details"]["code"] == "1000");
  }
  SECTION("unknown currency, bad type, unknown member are 422") {
    const auto currency =
        t("POST", "/v1/ledger/accounts",
          {{"code", "1100"}, {"name", "X"}, {"type", "asset"}, {"currency", "XYZ"}});
    CHECK(currency.status == 422);
    CHECK(code_of(currency) == "UNKNOWN_CURRENCY");
    const auto type = t("POST", "/v1/ledger/accounts",
                        {{"code", "1100"}, {"name", "X"}, {"type", "cash"}, {"currency", "USD"}});
    CHECK(type.status == 422);
    CHECK(code_of(type) == "VALIDATION_FAILED");
    CHECK(error_of(type)["details"]["field"] == "type");
    const auto mass = t("POST", "/v1/ledger/accounts",
                        {{"code", "1100"},
                         {"name", "X"},
                         {"type", "asset"},
                         {"currency", "USD"},
                         {"status", "closed"}});
    CHECK(mass.status == 422);
    CHECK(code_of(mass) == "VALIDATION_FAILED");
    // Nothing of the refused requests was created.
    const auto accounts = data_of(t("GET", "/v1/ledger/accounts"), 200)["items"];
    REQUIRE(accounts.size() == 1);
    CHECK(accounts[0]["code"] == "1000");
  }
  SECTION("a parent must exist and be of the same type") {
    const auto missing = t("POST", "/v1/ledger/accounts",
                           {{"code", "1010"},
                            {"name", "Till"},
                            {"type", "asset"},
                            {"currency", "USD"},
                            {"parentCode", "1999"}});
    CHECK(missing.status == 422);
    CHECK(code_of(missing) == "PARENT_NOT_FOUND");
    const auto missing_id = t("POST", "/v1/ledger/accounts",
                              {{"code", "1010"},
                               {"name", "Till"},
                               {"type", "asset"},
                               {"currency", "USD"},
                               {"parentId", "00000000-0000-4000-8000-000000000001"}});
    CHECK(missing_id.status == 422);
    CHECK(code_of(missing_id) == "PARENT_NOT_FOUND");
    const auto wrong_type = t("POST", "/v1/ledger/accounts",
                              {{"code", "2010"},
                               {"name", "Loan"},
                               {"type", "liability"},
                               {"currency", "USD"},
                               {"parentCode", "1000"}});
    CHECK(wrong_type.status == 422);
    CHECK(code_of(wrong_type) == "VALIDATION_FAILED");
    const auto child = data_of(t("POST", "/v1/ledger/accounts",
                                 {{"code", "1010"},
                                  {"name", "Till"},
                                  {"type", "asset"},
                                  {"currency", "USD"},
                                  {"parentCode", "1000"}}),
                               201);
    CHECK(child["parentId"] == cash);
    CHECK(child["parentCode"] == "1000");
    const auto children = data_of(t("GET", "/v1/ledger/accounts?parentId=" + cash), 200)["items"];
    REQUIRE(children.size() == 1);
    CHECK(children[0]["code"] == "1010");
  }
  SECTION("list by code with filters and cursor; get by id; unknown id is 404") {
    t.account("4000", "income", "USD");
    t.account("2000", "liability", "EUR");
    const auto all = data_of(t("GET", "/v1/ledger/accounts"), 200);
    REQUIRE(all["items"].size() == 3);
    CHECK(all["items"][0]["code"] == "1000");
    CHECK(all["items"][1]["code"] == "2000");
    CHECK(all["items"][2]["code"] == "4000");
    CHECK(all["nextCursor"].is_null());
    const auto first = data_of(t("GET", "/v1/ledger/accounts?limit=2"), 200);
    REQUIRE(first["items"].size() == 2);
    REQUIRE(first["nextCursor"] == "2000");
    const auto second = data_of(t("GET", "/v1/ledger/accounts?limit=2&cursor=2000"), 200);
    REQUIRE(second["items"].size() == 1);
    CHECK(second["items"][0]["code"] == "4000");
    CHECK(second["nextCursor"].is_null());
    const auto eur = data_of(t("GET", "/v1/ledger/accounts?currency=EUR"), 200)["items"];
    REQUIRE(eur.size() == 1);
    CHECK(eur[0]["code"] == "2000");
    const auto income = data_of(t("GET", "/v1/ledger/accounts?type=income"), 200)["items"];
    REQUIRE(income.size() == 1);
    CHECK(income[0]["code"] == "4000");
    CHECK(t("GET", "/v1/ledger/accounts?limit=0").status == 422);

    const auto got = data_of(t("GET", "/v1/ledger/accounts/" + cash), 200);
    CHECK(got["code"] == "1000");
    CHECK(got["name"] == "Cash");
    const auto unknown = t("GET", "/v1/ledger/accounts/00000000-0000-4000-8000-000000000002");
    CHECK(unknown.status == 404);
    CHECK(code_of(unknown) == "ACCOUNT_NOT_FOUND");
    const auto malformed = t("GET", "/v1/ledger/accounts/not-a-uuid");
    CHECK(malformed.status == 404);
    CHECK(code_of(malformed) == "ACCOUNT_NOT_FOUND");
  }
  SECTION("only an empty account closes; a closed account refuses postings") {
    t.account("4000", "income", "USD");
    const auto spare = t.account("1500", "asset", "USD");
    t.post(entry({debit("1000", "5.00", "USD"), credit("4000", "5.00", "USD")}));
    const auto busy = t("POST", "/v1/ledger/accounts/" + cash + "/close");
    CHECK(busy.status == 409);
    CHECK(code_of(busy) == "ACCOUNT_NOT_EMPTY");
    CHECK(data_of(t("GET", "/v1/ledger/accounts/" + cash), 200)["status"] == "open");

    // A pending hold alone keeps an account from closing too.
    const auto hold =
        data_of(t("POST", "/v1/ledger/holds",
                  entry({debit("1500", "1.00", "USD"), credit("4000", "1.00", "USD")})),
                201)["hold"];
    const auto held = t("POST", "/v1/ledger/accounts/" + spare + "/close");
    CHECK(held.status == 409);
    CHECK(code_of(held) == "ACCOUNT_NOT_EMPTY");
    data_of(t("POST", "/v1/ledger/holds/" + hold["id"].get<std::string>() + "/void"), 200);

    const auto closed = data_of(t("POST", "/v1/ledger/accounts/" + spare + "/close"), 200);
    CHECK(closed["status"] == "closed");
    CHECK(closed["closedAt"].is_string());
    const auto again = t("POST", "/v1/ledger/accounts/" + spare + "/close");
    CHECK(again.status == 409);
    CHECK(code_of(again) == "ACCOUNT_CLOSED");
    const auto refused = t("POST", "/v1/ledger/entries",
                           entry({debit("1500", "1.00", "USD"), credit("4000", "1.00", "USD")}));
    CHECK(refused.status == 422);
    CHECK(code_of(refused) == "ACCOUNT_CLOSED");
    CHECK(error_of(refused)["details"]["code"] == "1500");
    CHECK(t.posted(spare) == 0);
    CHECK(t("POST", "/v1/ledger/accounts/00000000-0000-4000-8000-000000000003/close").status ==
          404);
  }
}

TEST_CASE("ledger HTTP: entries balance per currency, in the account's currency and exponent",
          "[ledgerhttp]") {
  LedgerKernel ledger;
  const Tenant t{ledger, ledger.new_tenant("lh-entries")};
  const auto usd_cash = t.account("1000", "asset", "USD");
  t.account("4000", "income", "USD");
  const auto eur_cash = t.account("1200", "asset", "EUR");
  t.account("4200", "income", "EUR");
  const auto yen = t.account("1300", "asset", "JPY");
  t.account("4300", "income", "JPY");
  const auto dinar = t.account("1400", "asset", "KWD");
  t.account("4400", "income", "KWD");

  SECTION("a multi-currency entry balanced per currency is posted") {
    const auto posted =
        t.post(entry({debit("1000", "10.00", "USD"), credit("4000", "10.00", "USD"),
                      debit("1200", "7.50", "EUR"), credit("4200", "7.50", "EUR")}));
    CHECK(posted["kind"] == "standard");
    REQUIRE(posted["lines"].size() == 4);
    CHECK(posted["lines"][0]["minor"] == 1000);
    CHECK(posted["lines"][1]["amount"] == "-10.00");
    CHECK(posted["lines"][2]["currency"] == "EUR");
    CHECK(posted["lines"][3]["minor"] == -750);
    CHECK(t.posted(usd_cash) == 1000);
    CHECK(t.posted(eur_cash) == 750);
  }
  SECTION("balancing overall but not per currency is UNBALANCED_ENTRY naming the currency") {
    const auto reply =
        t("POST", "/v1/ledger/entries",
          entry({{{"accountCode", "1000"}, {"amount", 1000}, {"currency", "USD"}},
                 {{"accountCode", "4200"}, {"amount", -1000}, {"currency", "EUR"}}}));
    CHECK(reply.status == 422);
    CHECK(code_of(reply) == "UNBALANCED_ENTRY");
    const auto error = error_of(reply);
    CHECK(error["details"]["currency"] == "EUR");
    CHECK(error["details"]["difference"]["minor"] == -1000);
    CHECK(error["message"].get<std::string>().find("EUR") != std::string::npos);
    const auto one_sided = t("POST", "/v1/ledger/entries",
                             entry({debit("1000", "10.00", "USD"), credit("4000", "9.99", "USD")}));
    CHECK(one_sided.status == 422);
    CHECK(code_of(one_sided) == "UNBALANCED_ENTRY");
    CHECK(error_of(one_sided)["details"]["currency"] == "USD");
    CHECK(error_of(one_sided)["details"]["difference"]["amount"] == "0.01");
    CHECK(t.posted(usd_cash) == 0);
  }
  SECTION("amounts must have the currency's exponent") {
    const auto cents = t("POST", "/v1/ledger/entries",
                         entry({debit("1000", "10.005", "USD"), credit("4000", "10.005", "USD")}));
    CHECK(cents.status == 422);
    CHECK(code_of(cents) == "INVALID_AMOUNT");
    CHECK(error_of(cents)["details"]["currency"] == "USD");
    const auto yen_fraction = t("POST", "/v1/ledger/entries",
                                entry({debit("1300", "1.5", "JPY"), credit("4300", "1.5", "JPY")}));
    CHECK(yen_fraction.status == 422);
    CHECK(code_of(yen_fraction) == "INVALID_AMOUNT");
    CHECK(error_of(yen_fraction)["details"]["exponent"] == 0);
    const auto floats =
        t("POST", "/v1/ledger/entries",
          entry({{{"accountCode", "1000"}, {"amount", 10.5}, {"currency", "USD"}},
                 {{"accountCode", "4000"}, {"amount", -10.5}, {"currency", "USD"}}}));
    CHECK(floats.status == 422);
    CHECK(code_of(floats) == "INVALID_AMOUNT");
    const auto zero = t("POST", "/v1/ledger/entries",
                        entry({debit("1000", "0.00", "USD"), credit("4000", "0.00", "USD")}));
    CHECK(zero.status == 422);
    CHECK(code_of(zero) == "INVALID_AMOUNT");
    CHECK(t.posted(usd_cash) == 0);

    const auto kwd = t.post(entry({debit("1400", "1.234", "KWD"), credit("4400", "1.234", "KWD")}));
    CHECK(kwd["lines"][0]["amount"] == "1.234");
    CHECK(kwd["lines"][0]["minor"] == 1234);
    CHECK(t.posted(dinar) == 1234);
    const auto jpy = t.post(entry({debit("1300", "150", "JPY"), credit("4300", "150", "JPY")}));
    CHECK(jpy["lines"][0]["minor"] == 150);
    CHECK(t.posted(yen) == 150);
    const auto trailing =
        t.post(entry({debit("1000", "10.050", "USD"), credit("4000", "10.05", "USD")}));
    CHECK(trailing["lines"][0]["minor"] == 1005);
  }
  SECTION("a line's currency must be its account's") {
    // Balanced in EUR, but line 1 posts EUR to the USD account 1000.
    const auto reply = t("POST", "/v1/ledger/entries",
                         entry({debit("1000", "5.00", "EUR"), credit("4200", "5.00", "EUR")}));
    CHECK(reply.status == 422);
    CHECK(code_of(reply) == "CURRENCY_MISMATCH");
    CHECK(error_of(reply)["details"]["line"] == 1);
    CHECK(error_of(reply)["details"]["accountCurrency"] == "USD");
    CHECK(t.posted(usd_cash) == 0);
  }
  SECTION("an unknown account is refused naming the line") {
    const auto by_code = t("POST", "/v1/ledger/entries",
                           entry({debit("1000", "5.00", "USD"), credit("9999", "5.00", "USD")}));
    CHECK(by_code.status == 422);
    CHECK(code_of(by_code) == "ACCOUNT_NOT_FOUND");
    CHECK(error_of(by_code)["details"]["line"] == 2);
    CHECK(error_of(by_code)["details"]["accountCode"] == "9999");
    const auto by_id = t("POST", "/v1/ledger/entries",
                         entry({{{"accountId", "00000000-0000-4000-8000-000000000004"},
                                 {"debit", "5.00"},
                                 {"currency", "USD"}},
                                credit("4000", "5.00", "USD")}));
    CHECK(by_id.status == 422);
    CHECK(code_of(by_id) == "ACCOUNT_NOT_FOUND");
    CHECK(error_of(by_id)["details"]["line"] == 1);
    CHECK(t.posted(usd_cash) == 0);
  }
  SECTION("fewer than two lines is 422") {
    const auto one = t("POST", "/v1/ledger/entries", entry({debit("1000", "5.00", "USD")}));
    CHECK(one.status == 422);
    CHECK(code_of(one) == "VALIDATION_FAILED");
    CHECK(error_of(one)["details"]["field"] == "lines");
    const auto none = t("POST", "/v1/ledger/entries", entry(json::array()));
    CHECK(none.status == 422);
    CHECK(code_of(none) == "VALIDATION_FAILED");
  }
}

TEST_CASE("ledger HTTP: Idempotency-Key replays once, conflicts on another body", "[ledgerhttp]") {
  LedgerKernel ledger;
  const Tenant t{ledger, ledger.new_tenant("lh-idem")};
  const auto cash = t.account("1000", "asset", "USD");
  t.account("4000", "income", "USD");
  const json sale = entry({debit("1000", "12.34", "USD"), credit("4000", "12.34", "USD")}, "sale");

  const auto first = t("POST", "/v1/ledger/entries", sale, {{"Idempotency-Key", "order-17"}});
  const auto created = data_of(first, 201);
  CHECK(created["replayed"] == false);
  const auto id = created["entry"]["id"].get<std::string>();

  const auto replay = t("POST", "/v1/ledger/entries", sale, {{"Idempotency-Key", "order-17"}});
  const auto replayed = data_of(replay, 200);
  CHECK(replayed["replayed"] == true);
  CHECK(replayed["entry"]["id"] == id);
  CHECK(replay.headers.count("idempotent-replayed") == 1);
  CHECK(replay.headers.at("idempotent-replayed") == "true");
  CHECK(t.posted(cash) == 1234);
  CHECK(audit_count(t.id, "ledger.entry.post", "entry/" + id) == 1);
  CHECK(outbox_count(t.id, "ledger.entry.posted", id) == 1);
  CHECK(data_of(t("GET", "/v1/ledger/entries"), 200)["items"].size() == 1);

  json other = sale;
  other["lines"][0]["debit"] = "12.35";
  other["lines"][1]["credit"] = "12.35";
  const auto conflict = t("POST", "/v1/ledger/entries", other, {{"Idempotency-Key", "order-17"}});
  CHECK(conflict.status == 409);
  CHECK(code_of(conflict) == "IDEMPOTENCY_CONFLICT");
  CHECK(t.posted(cash) == 1234);
  // ... and with the same body on another operation.
  const auto other_route = t("POST", "/v1/ledger/holds", sale, {{"Idempotency-Key", "order-17"}});
  CHECK(other_route.status == 409);
  CHECK(code_of(other_route) == "IDEMPOTENCY_CONFLICT");
  CHECK(t.available(cash) == 1234);

  // A refused request stores nothing: the key stays usable.
  json unbalanced = sale;
  unbalanced["lines"][1]["credit"] = "1.00";
  CHECK(t("POST", "/v1/ledger/entries", unbalanced, {{"Idempotency-Key", "order-18"}}).status ==
        422);
  CHECK(t("POST", "/v1/ledger/entries", sale, {{"Idempotency-Key", "order-18"}}).status == 201);
  CHECK(t.posted(cash) == 2468);
  CHECK(
      t("POST", "/v1/ledger/entries", sale, {{"Idempotency-Key", std::string(256, 'k')}}).status ==
      422);
}

TEST_CASE("ledger HTTP: entries are immutable; a reversal mirrors an entry once", "[ledgerhttp]") {
  LedgerKernel ledger;
  const Tenant t{ledger, ledger.new_tenant("lh-reverse")};
  const auto cash = t.account("1000", "asset", "USD");
  const auto sales = t.account("4000", "income", "USD");
  const auto original =
      t.post(entry({debit("1000", "25.00", "USD"), credit("4000", "25.00", "USD")}, "invoice"));
  const auto id = original["id"].get<std::string>();

  // No route changes or deletes an entry: the kernel answers 405 in its envelope.
  for (const char* method : {"PUT", "PATCH", "DELETE"}) {
    const auto reply = t(method, "/v1/ledger/entries/" + id,
                         entry({debit("1000", "1.00", "USD"), credit("4000", "1.00", "USD")}));
    INFO(method << " " << reply.status << " " << reply.body);
    CHECK(reply.status == 405);
    CHECK(code_of(reply) == "METHOD_NOT_ALLOWED");
    CHECK(error_of(reply)["details"]["allowed"] == json::array({"GET"}));
    const auto collection = t(method, "/v1/ledger/entries");
    CHECK(collection.status == 405);
    CHECK(code_of(collection) == "METHOD_NOT_ALLOWED");
  }
  const auto unchanged = data_of(t("GET", "/v1/ledger/entries/" + id), 200);
  CHECK(unchanged["lines"] == original["lines"]);
  CHECK(unchanged["description"] == "invoice");
  CHECK(t.posted(cash) == 2500);

  const json voided = {{"description", "invoice voided"}};
  const auto reversed = data_of(
      t("POST", "/v1/ledger/entries/" + id + "/reverse", voided, {{"Idempotency-Key", "void-1"}}),
      201);
  CHECK(reversed["replayed"] == false);
  const auto mirror = reversed["entry"];
  const auto mirror_id = mirror["id"].get<std::string>();
  CHECK(mirror["kind"] == "reversal");
  CHECK(mirror["reversesId"] == id);
  REQUIRE(mirror["lines"].size() == 2);
  for (std::size_t i = 0; i < 2; ++i) {
    CHECK(mirror["lines"][i]["accountId"] == original["lines"][i]["accountId"]);
    CHECK(mirror["lines"][i]["minor"].get<int64_t>() ==
          -original["lines"][i]["minor"].get<int64_t>());
  }
  CHECK(data_of(t("GET", "/v1/ledger/entries/" + id), 200)["reversedById"] == mirror_id);
  CHECK(t.posted(cash) == 0);
  CHECK(t.posted(sales) == 0);
  CHECK(audit_count(t.id, "ledger.entry.reverse", "entry/" + id) == 1);
  CHECK(outbox_count(t.id, "ledger.entry.reversed", mirror_id) == 1);

  // The same key replays the reversal; without it a second reversal is refused.
  const auto replayed = data_of(
      t("POST", "/v1/ledger/entries/" + id + "/reverse", voided, {{"Idempotency-Key", "void-1"}}),
      200);
  CHECK(replayed["replayed"] == true);
  CHECK(replayed["entry"]["id"] == mirror_id);
  CHECK(audit_count(t.id, "ledger.entry.reverse", "entry/" + id) == 1);
  const auto twice = t("POST", "/v1/ledger/entries/" + id + "/reverse");
  CHECK(twice.status == 409);
  CHECK(code_of(twice) == "ALREADY_REVERSED");
  const auto of_reversal = t("POST", "/v1/ledger/entries/" + mirror_id + "/reverse");
  CHECK(of_reversal.status == 409);
  CHECK(code_of(of_reversal) == "NOT_REVERSIBLE");
  const auto unknown = t("POST", "/v1/ledger/entries/00000000-0000-4000-8000-000000000005/reverse");
  CHECK(unknown.status == 404);
  CHECK(code_of(unknown) == "ENTRY_NOT_FOUND");
  CHECK(t("GET", "/v1/ledger/entries/00000000-0000-4000-8000-000000000005").status == 404);
  CHECK(t.posted(cash) == 0);
}

TEST_CASE("ledger HTTP: holds reserve, capture, void and expire", "[ledgerhttp]") {
  LedgerKernel ledger;
  const Tenant t{ledger, ledger.new_tenant("lh-holds")};
  const auto cash = t.account("1000", "asset", "USD");
  const auto wallet = t.account("2100", "liability", "USD", {{"allowNegative", false}});
  // The customer pays in 100.00: the wallet (credit-normal) has 100.00 available.
  t.post(entry({debit("1000", "100.00", "USD"), credit("2100", "100.00", "USD")}, "top-up"));
  CHECK(t.available(wallet) == 10000);
  const json withdraw30 = entry({debit("2100", "30.00", "USD"), credit("1000", "30.00", "USD")});

  // Create: reserves (available drops), posted unchanged.
  const auto created =
      data_of(t("POST", "/v1/ledger/holds", withdraw30, {{"Idempotency-Key", "auth-1"}}), 201);
  CHECK(created["replayed"] == false);
  const auto created_again =
      data_of(t("POST", "/v1/ledger/holds", withdraw30, {{"Idempotency-Key", "auth-1"}}), 200);
  CHECK(created_again["replayed"] == true);
  CHECK(created_again["hold"]["id"] == created["hold"]["id"]);
  const auto hold = created["hold"];
  const auto hold_id = hold["id"].get<std::string>();
  CHECK(hold["kind"] == "hold");
  CHECK(hold["hold"]["status"] == "pending");
  CHECK(hold["lines"][0]["pending"] == true);
  CHECK(t.available(wallet) == 7000);
  CHECK(t.posted(wallet) == -10000);
  CHECK(t.balance(wallet)["pendingDebits"]["minor"] == 3000);
  CHECK(t.posted(cash) == 10000);
  CHECK(data_of(t("GET", "/v1/ledger/holds/" + hold_id), 200)["hold"]["status"] == "pending");

  // The reservation counts for the no-negative rule.
  const auto too_much = t("POST", "/v1/ledger/holds",
                          entry({debit("2100", "70.01", "USD"), credit("1000", "70.01", "USD")}));
  CHECK(too_much.status == 422);
  CHECK(code_of(too_much) == "INSUFFICIENT_FUNDS");
  CHECK(error_of(too_much)["details"]["available"]["minor"] == 7000);

  // Post: captures (posted moves), the reservation is released.
  const auto captured = data_of(t("POST", "/v1/ledger/holds/" + hold_id + "/post"), 201);
  CHECK(captured["entry"]["kind"] == "hold_post");
  CHECK(captured["entry"]["holdId"] == hold_id);
  CHECK(captured["hold"]["hold"]["status"] == "posted");
  CHECK(captured["hold"]["hold"]["postedEntryId"] == captured["entry"]["id"]);
  CHECK(t.posted(wallet) == -7000);
  CHECK(t.available(wallet) == 7000);
  CHECK(t.balance(wallet)["pendingDebits"]["minor"] == 0);
  CHECK(t.posted(cash) == 7000);
  const auto recapture = t("POST", "/v1/ledger/holds/" + hold_id + "/post");
  CHECK(recapture.status == 409);
  CHECK(code_of(recapture) == "HOLD_NOT_PENDING");
  CHECK(error_of(recapture)["details"]["status"] == "posted");
  CHECK(outbox_count(t.id, "ledger.hold.posted", hold_id) == 1);
  CHECK(outbox_count(t.id, "ledger.entry.posted", captured["entry"]["id"].get<std::string>()) == 1);

  // Void: releases without posting.
  const auto second =
      data_of(t("POST", "/v1/ledger/holds",
                entry({debit("2100", "20.00", "USD"), credit("1000", "20.00", "USD")})),
              201)["hold"]["id"]
          .get<std::string>();
  CHECK(t.available(wallet) == 5000);
  const auto voided = data_of(t("POST", "/v1/ledger/holds/" + second + "/void"), 200);
  CHECK(voided["hold"]["status"] == "voided");
  CHECK(t.available(wallet) == 7000);
  CHECK(t.posted(wallet) == -7000);
  const auto revoid = t("POST", "/v1/ledger/holds/" + second + "/void");
  CHECK(revoid.status == 409);
  CHECK(code_of(revoid) == "HOLD_NOT_PENDING");
  CHECK(error_of(revoid)["details"]["status"] == "voided");
  CHECK(t("POST", "/v1/ledger/holds/" + second + "/post").status == 409);

  // Expiry: once past expiresAt the hold stops reserving and cannot be
  // captured; the maintenance call marks it expired.
  const auto bad_expiry =
      t("POST", "/v1/ledger/holds",
        {{"lines", withdraw30["lines"]}, {"expiresAt", "2020-01-01T00:00:00Z"}});
  CHECK(bad_expiry.status == 422);
  CHECK(code_of(bad_expiry) == "VALIDATION_FAILED");
  json short_hold = withdraw30;
  short_hold["expiresInSeconds"] = 1;
  const auto expiring = data_of(t("POST", "/v1/ledger/holds", short_hold), 201)["hold"];
  const auto expiring_id = expiring["id"].get<std::string>();
  CHECK(expiring["hold"]["expiresAt"].is_string());
  CHECK(t.available(wallet) == 4000);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  CHECK(t.available(wallet) == 7000);  // lazily released
  const auto late = t("POST", "/v1/ledger/holds/" + expiring_id + "/post");
  CHECK(late.status == 409);
  CHECK(code_of(late) == "HOLD_EXPIRED");
  const auto expired = data_of(t("POST", "/v1/ledger/maintenance/expire-holds"), 200);
  CHECK(expired["count"] == 1);
  REQUIRE(expired["expired"].size() == 1);
  CHECK(expired["expired"][0] == expiring_id);
  CHECK(data_of(t("GET", "/v1/ledger/holds/" + expiring_id), 200)["hold"]["status"] == "expired");
  const auto after = t("POST", "/v1/ledger/holds/" + expiring_id + "/post");
  CHECK(after.status == 409);
  CHECK(code_of(after) == "HOLD_NOT_PENDING");
  CHECK(error_of(after)["details"]["status"] == "expired");
  CHECK(t("POST", "/v1/ledger/holds/" + expiring_id + "/void").status == 409);
  CHECK(t.available(wallet) == 7000);
  CHECK(t.posted(wallet) == -7000);
  CHECK(t.balance(wallet)["pendingDebits"]["minor"] == 0);
  CHECK(data_of(t("POST", "/v1/ledger/maintenance/expire-holds"), 200)["count"] == 0);
  CHECK(audit_count(t.id, "ledger.hold.expire", "hold") == 1);
  CHECK(outbox_count(t.id, "ledger.hold.expired", expiring_id) == 1);
  CHECK(t("GET", "/v1/ledger/holds/00000000-0000-4000-8000-000000000006").status == 404);
}

TEST_CASE("ledger HTTP: balances as of a date; the no-negative rule", "[ledgerhttp]") {
  LedgerKernel ledger;
  const Tenant t{ledger, ledger.new_tenant("lh-balance")};
  const auto cash = t.account("1000", "asset", "USD", {{"allowNegative", false}});
  const auto equity = t.account("3000", "equity", "USD");
  t.account("6000", "expense", "USD");
  json opening = entry({debit("1000", "50.00", "USD"), credit("3000", "50.00", "USD")}, "capital");
  opening["date"] = "2026-01-10";
  const auto opening_id = t.post(opening)["id"].get<std::string>();
  json spend = entry({debit("6000", "20.00", "USD"), credit("1000", "20.00", "USD")}, "rent");
  spend["date"] = "2026-02-10";
  t.post(spend);

  const auto live = t.balance(cash);
  CHECK(live["posted"] == json({{"amount", "30.00"}, {"minor", 3000}, {"currency", "USD"}}));
  CHECK(live["available"]["minor"] == 3000);
  CHECK(live["postedDebits"]["minor"] == 5000);
  CHECK(live["postedCredits"]["minor"] == 2000);
  const auto january =
      data_of(t("GET", "/v1/ledger/accounts/" + cash + "/balance?asOf=2026-01-31"), 200);
  CHECK(january["asOf"] == "2026-01-31");
  CHECK(january["balance"]["posted"]["minor"] == 5000);
  CHECK(data_of(t("GET", "/v1/ledger/accounts/" + cash + "/balance?asOf=2026-01-09"),
                200)["balance"]["posted"]["minor"] == 0);
  const auto bad_date = t("GET", "/v1/ledger/accounts/" + cash + "/balance?asOf=2026-02-30");
  CHECK(bad_date.status == 422);
  CHECK(error_of(bad_date)["details"]["field"] == "asOf");
  CHECK(t("GET", "/v1/ledger/accounts/00000000-0000-4000-8000-000000000007/balance").status == 404);

  // Forbidding a negative balance: 30.01 out of 30.00 is refused, 30.00 is not.
  const auto overdraw = t("POST", "/v1/ledger/entries",
                          entry({debit("6000", "30.01", "USD"), credit("1000", "30.01", "USD")}));
  CHECK(overdraw.status == 422);
  CHECK(code_of(overdraw) == "INSUFFICIENT_FUNDS");
  CHECK(error_of(overdraw)["details"]["available"]["minor"] == 3000);
  CHECK(error_of(overdraw)["details"]["wouldBe"]["minor"] == -1);
  CHECK(t.posted(cash) == 3000);
  t.post(entry({debit("6000", "30.00", "USD"), credit("1000", "30.00", "USD")}));
  CHECK(t.posted(cash) == 0);
  // A reversal obeys the rule too: undoing the opening would leave cash at -50.00.
  const auto undo = t("POST", "/v1/ledger/entries/" + opening_id + "/reverse");
  CHECK(undo.status == 422);
  CHECK(code_of(undo) == "INSUFFICIENT_FUNDS");
  CHECK(t.posted(cash) == 0);
  // An account that allows it goes negative (equity is credit-normal: a debit lowers it).
  t.post(entry({debit("3000", "80.00", "USD"), credit("6000", "80.00", "USD")}));
  CHECK(t.available(equity) == -3000);
  CHECK(t.posted(equity) == 3000);
}

TEST_CASE("ledger HTTP: concurrent withdrawals never overdraw a no-negative account",
          "[ledgerhttp]") {
  auto config = fk::test::test_config();
  config.http.threads = 8;  // requests really run in parallel
  config.database.pool_size = 12;
  LedgerKernel ledger(config);
  const Tenant t{ledger, ledger.new_tenant("lh-race")};
  const auto wallet = t.account("2100", "liability", "USD", {{"allowNegative", false}});
  const auto cash = t.account("1000", "asset", "USD");
  t.post(entry({debit("1000", "10.00", "USD"), credit("2100", "10.00", "USD")}, "top-up"));

  // 8 threads x 5 withdrawals of 0.70 ask for 28.00 of 10.00: exactly 14 fit.
  constexpr int kThreads = 8;
  constexpr int kEach = 5;
  constexpr int64_t kAmount = 70;
  std::atomic<int> accepted{0};
  std::atomic<int> refused{0};
  std::mutex failures_mutex;
  std::vector<std::string> failures;
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      for (int n = 0; n < kEach; ++n) {
        const auto reply =
            t("POST", "/v1/ledger/entries",
              entry({{{"accountCode", "2100"}, {"amount", kAmount}, {"currency", "USD"}},
                     {{"accountCode", "1000"}, {"amount", -kAmount}, {"currency", "USD"}}},
                    "withdrawal " + std::to_string(i) + "." + std::to_string(n)));
        if (reply.status == 201) {
          ++accepted;
        } else if (reply.status == 422 && code_of(reply) == "INSUFFICIENT_FUNDS") {
          ++refused;
        } else {
          const std::lock_guard<std::mutex> lock(failures_mutex);
          failures.push_back(std::to_string(reply.status) + " " + reply.body);
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  INFO((failures.empty() ? std::string() : failures.front()));
  CHECK(failures.empty());
  CHECK(accepted + refused == kThreads * kEach);
  CHECK(accepted == 14);
  const int64_t left = 1000 - kAmount * accepted;
  CHECK(left >= 0);
  CHECK(t.available(wallet) == left);
  CHECK(t.posted(wallet) == -left);
  CHECK(t.posted(cash) == left);
  // The statement agrees: one line per accepted posting plus the top-up.
  const auto statement =
      data_of(t("GET", "/v1/ledger/accounts/" + wallet + "/statement?limit=500"), 200)["items"];
  CHECK(statement.size() == static_cast<std::size_t>(accepted + 1));
  int64_t sum = 0;
  for (std::size_t i = 0; i < statement.size(); ++i) {
    sum += statement[i]["amount"]["minor"].get<int64_t>();
    CHECK(statement[i]["balance"]["minor"].get<int64_t>() == sum);
    CHECK(statement[i]["balance"]["minor"].get<int64_t>() <= 0);  // never overdrawn
  }
  CHECK(sum == -left);

  // Racing requests with one Idempotency-Key post once: the others replay or
  // get 409 CONFLICT (docs/ledger.md), never a second posting.
  t.account("3000", "equity", "USD");
  const json capital = entry({debit("1000", "5.00", "USD"), credit("3000", "5.00", "USD")});
  std::atomic<bool> go{false};
  std::mutex replies_mutex;
  std::vector<HttpReply> replies;
  std::vector<std::thread> racers;
  for (int i = 0; i < kThreads; ++i) {
    racers.emplace_back([&] {
      while (!go) std::this_thread::yield();
      auto reply = t("POST", "/v1/ledger/entries", capital, {{"Idempotency-Key", "race-1"}});
      const std::lock_guard<std::mutex> lock(replies_mutex);
      replies.push_back(std::move(reply));
    });
  }
  go = true;
  for (auto& racer : racers) racer.join();
  int created = 0;
  std::set<std::string> ids;
  for (const auto& reply : replies) {
    INFO(reply.status << " " << reply.body);
    if (reply.status == 201 || reply.status == 200) {
      created += reply.status == 201 ? 1 : 0;
      CHECK(reply.json()["data"]["replayed"] == (reply.status == 200));
      ids.insert(reply.json()["data"]["entry"]["id"].get<std::string>());
    } else {
      CHECK(reply.status == 409);
      CHECK(code_of(reply) == "CONFLICT");
    }
  }
  CHECK(created == 1);
  REQUIRE(ids.size() == 1);
  CHECK(t.posted(cash) == left + 500);
  CHECK(audit_count(t.id, "ledger.entry.post", "entry/" + *ids.begin()) == 1);
  CHECK(outbox_count(t.id, "ledger.entry.posted", *ids.begin()) == 1);
}

TEST_CASE("ledger HTTP: statement, entry queries and trial balance", "[ledgerhttp]") {
  LedgerKernel ledger;
  const Tenant t{ledger, ledger.new_tenant("lh-queries")};
  const auto cash = t.account("1000", "asset", "USD");
  const auto sales = t.account("4000", "income", "USD");
  t.account("1200", "asset", "EUR");
  t.account("4200", "income", "EUR");
  std::vector<std::string> ids;
  const char* dates[] = {"2026-01-05", "2026-01-20", "2026-02-03", "2026-02-17", "2026-03-01"};
  for (int i = 0; i < 5; ++i) {
    json sale = entry({debit("1000", std::to_string(i + 1) + ".00", "USD"),
                       credit("4000", std::to_string(i + 1) + ".00", "USD")},
                      "sale " + std::to_string(i));
    sale["date"] = dates[i];
    sale["metadata"] = {{"invoice", std::to_string(100 + i)}, {"channel", i % 2 ? "web" : "shop"}};
    ids.push_back(t.post(sale)["id"].get<std::string>());
  }
  json euro = entry({debit("1200", "9.99", "EUR"), credit("4200", "9.99", "EUR")}, "euro sale");
  euro["date"] = "2026-01-25";
  const auto euro_id = t.post(euro)["id"].get<std::string>();

  SECTION("statement: running balance in posting order, cursor pagination, date filter") {
    std::vector<json> lines;
    std::string cursor;
    int pages = 0;
    do {
      const auto page =
          data_of(t("GET", "/v1/ledger/accounts/" + cash + "/statement?limit=2" +
                               (cursor.empty() ? std::string() : "&cursor=" + cursor)),
                  200);
      CHECK(page["code"] == "1000");
      for (const auto& item : page["items"]) lines.push_back(item);
      cursor = page["nextCursor"].is_null() ? std::string() : page["nextCursor"].get<std::string>();
      ++pages;
    } while (!cursor.empty() && pages < 10);
    CHECK(pages == 3);
    REQUIRE(lines.size() == 5);
    int64_t running = 0;
    for (std::size_t i = 0; i < lines.size(); ++i) {
      running += static_cast<int64_t>(i + 1) * 100;
      CHECK(lines[i]["seq"] == i + 1);
      CHECK(lines[i]["entryId"] == ids[i]);
      CHECK(lines[i]["amount"]["minor"] == static_cast<int64_t>(i + 1) * 100);
      CHECK(lines[i]["balance"]["minor"] == running);
    }
    CHECK(lines[4]["balance"]["amount"] == "15.00");
    const auto february = data_of(
        t("GET", "/v1/ledger/accounts/" + cash + "/statement?from=2026-02-01&to=2026-02-28"),
        200)["items"];
    REQUIRE(february.size() == 2);
    CHECK(february[0]["entryId"] == ids[2]);
    CHECK(february[0]["balance"]["minor"] == 600);  // the true balance after the line
    CHECK(february[1]["balance"]["minor"] == 1000);
    const auto income = data_of(t("GET", "/v1/ledger/accounts/" + sales + "/statement"), 200);
    CHECK(income["items"][0]["amount"]["minor"] == -100);
    CHECK(t("GET", "/v1/ledger/accounts/" + cash + "/statement?cursor=abc").status == 422);
    CHECK(t("GET", "/v1/ledger/accounts/00000000-0000-4000-8000-000000000008/statement").status ==
          404);
  }
  SECTION("entries by date range, account, kind and metadata, newest first, paginated") {
    const auto january =
        data_of(t("GET", "/v1/ledger/entries?from=2026-01-01&to=2026-01-31"), 200)["items"];
    std::set<std::string> in_january;
    for (const auto& e : january) in_january.insert(e["id"].get<std::string>());
    CHECK(in_january == std::set<std::string>{ids[0], ids[1], euro_id});
    const auto by_account = data_of(t("GET", "/v1/ledger/entries?accountId=" + cash), 200)["items"];
    REQUIRE(by_account.size() == 5);
    CHECK(by_account[0]["id"] == ids[4]);  // newest first
    CHECK(by_account[4]["id"] == ids[0]);
    // metadata={"invoice":"102"}, percent-encoded.
    const auto by_invoice = data_of(
        t("GET", "/v1/ledger/entries?metadata=%7B%22invoice%22%3A%22102%22%7D"), 200)["items"];
    REQUIRE(by_invoice.size() == 1);
    CHECK(by_invoice[0]["id"] == ids[2]);
    CHECK(by_invoice[0]["metadata"]["invoice"] == "102");
    const auto web = data_of(
        t("GET", "/v1/ledger/entries?metadata=%7B%22channel%22%3A%22web%22%7D"), 200)["items"];
    CHECK(web.size() == 2);
    CHECK(data_of(t("GET", "/v1/ledger/entries?kind=reversal"), 200)["items"].empty());
    CHECK(t("GET", "/v1/ledger/entries?metadata=%5B1%5D").status == 422);
    CHECK(t("GET", "/v1/ledger/entries?from=yesterday").status == 422);

    std::set<std::string> seen;
    std::string cursor;
    int pages = 0;
    do {
      const auto page =
          data_of(t("GET", "/v1/ledger/entries?limit=4" +
                               (cursor.empty() ? std::string() : "&cursor=" + cursor)),
                  200);
      for (const auto& e : page["items"]) seen.insert(e["id"].get<std::string>());
      cursor = page["nextCursor"].is_null() ? std::string() : page["nextCursor"].get<std::string>();
      ++pages;
    } while (!cursor.empty() && pages < 10);
    CHECK(pages == 2);
    CHECK(seen.size() == 6);
  }
  SECTION("trial balance: zero difference per currency, also as of a date") {
    const auto trial = data_of(t("GET", "/v1/ledger/trial-balance"), 200);
    CHECK(trial["balanced"] == true);
    REQUIRE(trial["currencies"].size() == 2);
    std::map<std::string, int64_t> sums;
    for (const auto& account : trial["accounts"]) {
      sums[account["currency"].get<std::string>()] += account["balance"]["minor"].get<int64_t>();
    }
    for (const auto& currency : trial["currencies"]) {
      INFO(currency.dump());
      CHECK(currency["difference"]["minor"] == 0);
      CHECK(currency["debits"] == currency["credits"]);
      CHECK(sums[currency["currency"].get<std::string>()] == 0);
    }
    CHECK(trial["currencies"][1]["currency"] == "USD");
    CHECK(trial["currencies"][1]["debits"]["amount"] == "15.00");
    const auto early = data_of(t("GET", "/v1/ledger/trial-balance?asOf=2026-01-31"), 200);
    CHECK(early["balanced"] == true);
    for (const auto& currency : early["currencies"]) {
      CHECK(currency["difference"]["minor"] == 0);
      if (currency["currency"] == "USD") CHECK(currency["debits"]["minor"] == 300);
    }
  }
}

TEST_CASE("ledger HTTP: batches are atomic or independent", "[ledgerhttp]") {
  LedgerKernel ledger;
  const Tenant t{ledger, ledger.new_tenant("lh-batch")};
  const auto cash = t.account("1000", "asset", "USD");
  t.account("4000", "income", "USD");
  const json good = entry({debit("1000", "1.00", "USD"), credit("4000", "1.00", "USD")});
  const json bad = entry({debit("1000", "2.00", "USD"), credit("4000", "1.99", "USD")});

  SECTION("atomic: one refused entry leaves nothing") {
    const auto reply =
        t("POST", "/v1/ledger/batches", {{"mode", "atomic"}, {"entries", {good, bad, good}}});
    CHECK(reply.status == 422);
    CHECK(code_of(reply) == "BATCH_REJECTED");
    CHECK(error_of(reply)["details"]["index"] == 1);
    CHECK(error_of(reply)["details"]["error"]["code"] == "UNBALANCED_ENTRY");
    CHECK(t.posted(cash) == 0);
    CHECK(data_of(t("GET", "/v1/ledger/entries"), 200)["items"].empty());
    CHECK(tenant_sql(t.id, "SELECT count(*) FROM fk_outbox")[0][0].as<int64_t>() == 0);
    // The default mode is atomic.
    CHECK(code_of(t("POST", "/v1/ledger/batches", {{"entries", {good, bad}}})) == "BATCH_REJECTED");
    const auto clean = data_of(t("POST", "/v1/ledger/batches", {{"entries", {good, good}}}), 201);
    CHECK(clean["posted"] == 2);
    CHECK(clean["failed"] == 0);
    CHECK(t.posted(cash) == 200);
  }
  SECTION("independent: a result per entry") {
    json keyed = good;
    keyed["idempotencyKey"] = "row-1";
    const json body = {{"mode", "independent"}, {"entries", {keyed, bad, good}}};
    const auto result = data_of(t("POST", "/v1/ledger/batches", body), 201);
    CHECK(result["posted"] == 2);
    CHECK(result["failed"] == 1);
    CHECK(result["replayed"] == false);
    REQUIRE(result["results"].size() == 3);
    CHECK(result["results"][0]["index"] == 0);
    CHECK(result["results"][0]["status"] == "posted");
    CHECK(result["results"][1]["status"] == "failed");
    CHECK(result["results"][1]["error"]["code"] == "UNBALANCED_ENTRY");
    CHECK(result["results"][2]["status"] == "posted");
    CHECK(t.posted(cash) == 200);
    const auto first_id = result["results"][0]["entryId"].get<std::string>();
    CHECK(data_of(t("GET", "/v1/ledger/entries/" + first_id), 200)["lines"][0]["minor"] == 100);
    CHECK(outbox_count(t.id, "ledger.entry.posted", first_id) == 1);
    CHECK(
        tenant_sql(t.id, "SELECT count(*) FROM audit_log WHERE action = 'ledger.batch.post'")[0][0]
            .as<int64_t>() == 1);
    // The batch's own Idempotency-Key replays the whole answer.
    const json keyed_batch = {{"mode", "independent"}, {"entries", {good}}};
    const auto once = data_of(
        t("POST", "/v1/ledger/batches", keyed_batch, {{"Idempotency-Key", "import-1"}}), 201);
    const auto again = data_of(
        t("POST", "/v1/ledger/batches", keyed_batch, {{"Idempotency-Key", "import-1"}}), 200);
    CHECK(again["replayed"] == true);
    CHECK(again["results"] == once["results"]);
    CHECK(t.posted(cash) == 300);
    CHECK(t("POST", "/v1/ledger/batches", {{"mode", "atomic"}, {"entries", {good}}},
            {{"Idempotency-Key", "import-1"}})
              .status == 409);
    // A re-run skips the keyed row it already posted.
    const auto rerun = data_of(
        t("POST", "/v1/ledger/batches", {{"mode", "independent"}, {"entries", {keyed}}}), 201);
    CHECK(rerun["results"][0]["status"] == "replayed");
    CHECK(rerun["results"][0]["entryId"] == first_id);
    CHECK(t.posted(cash) == 300);
  }
  SECTION("a malformed entry refuses the whole request") {
    json malformed = good;
    malformed["lines"][0]["debit"] = "1.001";
    const auto reply =
        t("POST", "/v1/ledger/batches", {{"mode", "independent"}, {"entries", {good, malformed}}});
    CHECK(reply.status == 422);
    CHECK(error_of(reply)["details"]["index"] == 1);
    CHECK(t.posted(cash) == 0);
  }
}

TEST_CASE("ledger HTTP: a posting's event and audit record are in its tenant's chain only",
          "[ledgerhttp]") {
  auto config = fk::test::test_config();
  config.audit.checkpoint_interval_s = 0;  // verify the chain alone, no signed checkpoints
  LedgerKernel ledger(config);
  const Tenant first{ledger, ledger.new_tenant("lh-events-a")};
  const Tenant second{ledger, ledger.new_tenant("lh-events-b")};
  const auto cash = first.account("1000", "asset", "USD");
  first.account("4000", "income", "USD");
  const auto posted =
      first.post(entry({debit("1000", "3.50", "USD"), credit("4000", "3.50", "USD")}, "coffee"));
  const auto id = posted["id"].get<std::string>();

  // One ledger.entry.posted outbox row, aggregate = the entry, payload its summary.
  const auto events =
      tenant_sql(first.id,
                 "SELECT source, aggregate_type, payload::text FROM fk_outbox WHERE type = "
                 "'ledger.entry.posted'");
  REQUIRE(events.size() == 1);
  CHECK(events[0][0].as<std::string>() == "ledger");
  CHECK(events[0][1].as<std::string>() == "entry");
  CHECK(outbox_count(first.id, "ledger.entry.posted", id) == 1);
  const auto payload = json::parse(events[0][2].as<std::string>());
  CHECK(payload["entryId"] == id);
  CHECK(payload["description"] == "coffee");
  REQUIRE(payload["lines"].size() == 2);
  CHECK(payload["lines"][0]["minor"] == 350);
  CHECK(payload["lines"][0]["accountCode"] == "1000");

  // One audit record, linked into the tenant's hash chain, which verifies.
  const auto records =
      tenant_sql(first.id,
                 "SELECT a.seq, a.prev_hash, p.hash, a.summary::text FROM audit_log a "
                 "LEFT JOIN audit_log p ON p.tenant_id = a.tenant_id AND p.seq = a.seq - 1 "
                 "WHERE a.action = 'ledger.entry.post' AND a.resource = $1",
                 "entry/" + id);
  REQUIRE(records.size() == 1);
  if (records[0][0].as<int64_t>() > 1) {
    CHECK(records[0][1].as<std::string>() == records[0][2].as<std::string>());
  }
  CHECK(json::parse(records[0][3].as<std::string>())["plugin"] == "ledger");
  const auto report = fk::audit::verify(TestDatabase::instance().owner_url(), first.id, {});
  INFO(report.message);
  CHECK(report.ok());
  CHECK(report.count >= 3);  // two account creations and the posting at least

  // The other tenant sees nothing of the first.
  const auto foreign = second("GET", "/v1/ledger/accounts/" + cash);
  CHECK(foreign.status == 404);
  CHECK(code_of(foreign) == "ACCOUNT_NOT_FOUND");
  CHECK(second("GET", "/v1/ledger/entries/" + id).status == 404);
  CHECK(data_of(second("GET", "/v1/ledger/accounts"), 200)["items"].empty());
  CHECK(data_of(second("GET", "/v1/ledger/entries"), 200)["items"].empty());
  CHECK(data_of(second("GET", "/v1/ledger/trial-balance"), 200)["accounts"].empty());
  const auto by_code = second("POST", "/v1/ledger/entries",
                              entry({debit("1000", "1.00", "USD"), credit("4000", "1.00", "USD")}));
  CHECK(by_code.status == 422);
  CHECK(code_of(by_code) == "ACCOUNT_NOT_FOUND");
  const auto close = second("POST", "/v1/ledger/accounts/" + cash + "/close");
  CHECK(close.status == 404);
  CHECK(tenant_sql(second.id, "SELECT count(*) FROM fk_outbox")[0][0].as<int64_t>() == 0);
  CHECK(tenant_sql(second.id, "SELECT count(*) FROM audit_log WHERE action LIKE 'ledger.%'")[0][0]
            .as<int64_t>() == 0);
  // The same code is free in the other tenant.
  second.account("1000", "asset", "USD");
  CHECK(first.posted(cash) == 350);
}

TEST_CASE("ledger HTTP: route permissions come from the caller's roles", "[ledgerhttp]") {
  constexpr const char* kPassword = "correct-horse-battery-9";
  LedgerKernel ledger;
  const Tenant t{ledger, ledger.new_tenant("lh-rbac")};
  const auto cash = t.account("1000", "asset", "USD");
  t.account("4000", "income", "USD");
  const auto sale_id =
      t.post(entry({debit("1000", "1.00", "USD"), credit("4000", "1.00", "USD")}))["id"]
          .get<std::string>();

  auto& app = ledger.kernel().app();
  const auto make_user = [&](const std::string& email, const std::vector<std::string>& roles) {
    fk::db::TenantTransaction transaction(app.pool(), t.id);
    fk::auth::create_user(transaction.work(), app.auth().policy(), *app.rbac(), email, "Test",
                          kPassword, roles);
    transaction.commit();
  };
  make_user("clerk@ledger.example", {"member"});
  make_user("books@ledger.example", {"accountant"});
  const auto slug = tenant_sql(t.id, "SELECT slug FROM tenants WHERE id = $1::uuid", t.id)[0][0]
                        .as<std::string>();
  const auto login = [&](const std::string& email) {
    const auto reply =
        ledger.send("POST", "/v1/auth/login",
                    {{"tenant", slug}, {"email", email}, {"password", kPassword}}, {});
    return "Bearer " + data_of(reply, 200)["accessToken"].get<std::string>();
  };
  const auto member = login("clerk@ledger.example");
  const auto accountant = login("books@ledger.example");
  const json sale = entry({debit("1000", "2.00", "USD"), credit("4000", "2.00", "USD")});

  // member: ledger:accounts.read and ledger:entries.read, nothing else.
  const auto denied = ledger.send("POST", "/v1/ledger/entries", sale, {{"Authorization", member}});
  CHECK(denied.status == 403);
  CHECK(code_of(denied) == "FORBIDDEN");
  CHECK(error_of(denied)["details"]["permission"] == "ledger:entries.post");
  CHECK(
      ledger.send("POST", "/v1/ledger/batches", {{"entries", {sale}}}, {{"Authorization", member}})
          .status == 403);
  CHECK(ledger
            .send("POST", "/v1/ledger/entries/" + sale_id + "/reverse", {},
                  {{"Authorization", member}})
            .status == 403);
  CHECK(ledger
            .send("POST", "/v1/ledger/accounts",
                  {{"code", "1500"}, {"name", "X"}, {"type", "asset"}, {"currency", "USD"}},
                  {{"Authorization", member}})
            .status == 403);
  CHECK(ledger.send("POST", "/v1/ledger/holds", sale, {{"Authorization", member}}).status == 403);
  CHECK(ledger.send("GET", "/v1/ledger/export", {}, {{"Authorization", member}}).status == 403);
  CHECK(ledger.send("GET", "/v1/ledger/accounts/" + cash, {}, {{"Authorization", member}}).status ==
        200);
  CHECK(ledger.send("GET", "/v1/ledger/entries", {}, {{"Authorization", member}}).status == 200);
  CHECK(t.posted(cash) == 100);
  CHECK(ledger.send("GET", "/v1/ledger/accounts", {}, {}).status == 401);

  // accountant: ledger:*; the entry is created by the user.
  const auto allowed =
      ledger.send("POST", "/v1/ledger/entries", sale, {{"Authorization", accountant}});
  const auto entry_data = data_of(allowed, 201)["entry"];
  CHECK(entry_data["createdBy"].get<std::string>().rfind("user:", 0) == 0);
  CHECK(t.posted(cash) == 300);
}
