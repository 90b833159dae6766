// Large postings under maker-checker (issue 6): an approval rule with
// `when: {amount_greater_than: {USD: "1000.00"}}` gates a ledger posting by
// the money it moves, as the ledger plugin measures it (SDK ABI 1.2
// measure_request), in the real kernel with real users. Also: the policy's
// parsing, the exact decimal comparison, the ledger's debit totals, and the
// maker's CURRENT permissions when an approved plugin action executes.

#include "../../plugins/ledger/src/request_measure.hpp"
#include "api/approval_gate.hpp"
#include "approvals/decimal_amount.hpp"
#include "auth/user_admin.hpp"
#include "auth/user_store.hpp"
#include "authz/rbac_policy.hpp"
#include "db/tenant_transaction.hpp"
#include "integration/ledger_http_fixture.hpp"
#include "plugins/plugin_admin.hpp"
#include "plugins/plugin_host.hpp"
#include "support/http_client.hpp"
#include "support/tenant_login.hpp"
#include "support/test_database.hpp"
#include "support/test_kernel.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;
using fk::approvals::DecimalAmount;
using fk::test::http_call;
using fk::test::HttpReply;
using fk::test::TestDatabase;
using nlohmann::json;

std::string read_file(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// ---------------------------------------------------------------------------
// Policy parsing and exact decimals (no database)
// ---------------------------------------------------------------------------

fk::authz::RbacPolicy parse_policy(const std::string& approvals_yaml) {
  const std::string text = R"(permissions:
  ledger:entries.post: Post entries
  tenant:approvals.decide: Decide
roles:
  accountant:
    realm: tenant
    grants: ["ledger:*"]
approvals:
)" + approvals_yaml;
  return fk::authz::RbacPolicy::parse(text, "test-rbac.yaml");
}

std::string policy_error(const std::string& approvals_yaml) {
  try {
    parse_policy(approvals_yaml);
  } catch (const fk::authz::PolicyError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("exact decimal amounts: parse, normalize, compare, add", "[ledgerapproval]") {
  const auto amount = [](const char* text) {
    const auto parsed = DecimalAmount::parse(text);
    INFO(text);
    REQUIRE(parsed);
    return *parsed;
  };
  CHECK(amount("1000").text() == "1000");
  CHECK(amount("1000.00").text() == "1000");
  CHECK(amount("0001000.0100").text() == "1000.01");
  CHECK(amount("0").text() == "0");
  CHECK(amount("0.000").text() == "0");
  CHECK(amount("0.5").text() == "0.5");
  for (const char* bad : {"", "-1", "+1", "1e3", "1.", ".5", "1,000", " 1", "1 ", "0x10", "1.2.3",
                          "１", "1234567890123456789", "1.1234567890123456789"}) {
    INFO(bad);
    CHECK_FALSE(DecimalAmount::parse(bad));
  }
  // Exact comparison, whatever the number of decimals written.
  CHECK(amount("1000.01") > amount("1000.00"));
  CHECK_FALSE(amount("999.99") > amount("1000"));
  CHECK(amount("1000.00") == amount("1000"));
  CHECK_FALSE(amount("1000.000") > amount("1000"));
  CHECK(amount("1000.0000000001") > amount("1000"));
  CHECK(amount("10000") > amount("9999.999999"));
  CHECK(amount("0.1") > amount("0.09"));
  CHECK(amount("2").compare(amount("10")) == -1);
  // Beyond double precision: 2^53 + 1 is not rounded away.
  CHECK(amount("9007199254740993") > amount("9007199254740992"));
  CHECK(amount("999999999999999999.99").plus(amount("0.01")).text() == "1000000000000000000");
  CHECK(amount("600.50").plus(amount("399.5")).text() == "1000");
  CHECK(amount("0.05").plus(amount("0.05")).text() == "0.1");
  CHECK(amount("7").plus(amount("0")).text() == "7");

  const std::map<std::string, std::string> usd{{"USD", "1000"}};
  CHECK(fk::api::exceeds_threshold(usd, {{"USD", "1000.01"}}));
  CHECK_FALSE(fk::api::exceeds_threshold(usd, {{"USD", "1000.00"}}));
  CHECK_FALSE(fk::api::exceeds_threshold(usd, {{"USD", "999.99"}}));
  CHECK_FALSE(fk::api::exceeds_threshold(usd, {{"EUR", "1000000"}}));  // not a gated currency
  CHECK(fk::api::exceeds_threshold(usd, {{"EUR", "1"}, {"USD", "5000"}}));
  CHECK_FALSE(fk::api::exceeds_threshold(usd, {}));
  CHECK(fk::api::exceeds_threshold(usd, {{"USD", "not a number"}}));  // the safe side
}

TEST_CASE("approval policy: amount_greater_than per currency, validated with file and line",
          "[ledgerapproval]") {
  const auto policy = parse_policy(R"(  ledger:entries.post:
    checker: tenant:approvals.decide
    when: {amount_greater_than: {USD: "10000.00", EUR: 9000, JPY: "1500000", KWD: "3000.500"}}
)");
  const auto* rule = policy.approval_rule("ledger:entries.post");
  REQUIRE(rule != nullptr);
  CHECK(rule->when_field.empty());
  const std::map<std::string, std::string> expected{
      {"EUR", "9000"}, {"JPY", "1500000"}, {"KWD", "3000.5"}, {"USD", "10000"}};
  CHECK(rule->amount_greater_than == expected);

  // The integer body-field form keeps working.
  const auto legacy = parse_policy(R"(  ledger:entries.post:
    checker: tenant:approvals.decide
    when: {field: amount, greater_than: 1000000}
)");
  CHECK(legacy.approval_rule("ledger:entries.post")->when_field == "amount");
  CHECK(legacy.approval_rule("ledger:entries.post")->greater_than == 1000000);
  CHECK(legacy.approval_rule("ledger:entries.post")->amount_greater_than.empty());

  const auto rule_with = [](const std::string& when) {
    return "  ledger:entries.post:\n    checker: tenant:approvals.decide\n    when: " + when + "\n";
  };
  struct Bad {
    std::string when;
    std::string says;
  };
  for (const Bad& bad : std::vector<Bad>{
           {R"({amount_greater_than: {USD: "10,000.00"}})",
            "test-rbac.yaml:11: amount_greater_than USD '10,000.00' must be a non-negative "
            "decimal"},
           {R"({amount_greater_than: {USD: "-5"}})", "'-5' must be a non-negative decimal"},
           {R"({amount_greater_than: {USD: 1e6}})", "'1e6' must be a non-negative decimal"},
           {R"({amount_greater_than: {USD: [1]}})", "must be a non-negative decimal"},
           {R"({amount_greater_than: {usd: "10"}})", "currency 'usd' must be an ISO 4217 code"},
           {R"({amount_greater_than: {DOLLAR: "10"}})", "currency 'DOLLAR'"},
           {R"({amount_greater_than: {}})", "amount_greater_than must map currencies to amounts"},
           {R"({amount_greater_than: "1000"})", "amount_greater_than must map currencies"},
           {R"({amount_over: {USD: "10"}})",
            "test-rbac.yaml:11: unknown key 'amount_over' in 'when'"},
           {R"({amount_greater_than: {USD: "10"}, field: amount, greater_than: 5})", "not both"},
           {R"({field: amount})", "'when' needs field and an integer greater_than"},
           {R"(always)", "'when' of approval 'ledger:entries.post' must be a map"},
       }) {
    INFO(bad.when);
    const std::string error = policy_error(rule_with(bad.when));
    INFO(error);
    CHECK(error.find(bad.says) != std::string::npos);
  }
}

namespace {
json line_of(const std::string& code, const std::string& side, const std::string& amount) {
  return {{"accountCode", code}, {side, amount}, {"currency", "USD"}};
}
}  // namespace

TEST_CASE("ledger measure: debit totals per currency, exact, with the handlers' parser",
          "[ledgerapproval]") {
  const json entry = {{"lines",
                       {{{"accountCode", "1000"}, {"debit", "600.50"}, {"currency", "USD"}},
                        {{"accountCode", "1001"}, {"amount", "399.51"}, {"currency", "USD"}},
                        {{"accountCode", "4000"}, {"credit", "1000.01"}, {"currency", "USD"}},
                        {{"accountCode", "1100"}, {"debit", 1500}, {"currency", "JPY"}},
                        {{"accountCode", "4100"}, {"amount", "-1500"}, {"currency", "JPY"}},
                        {{"accountCode", "1200"}, {"debit", "0.001"}, {"currency", "KWD"}},
                        {{"accountCode", "4200"}, {"credit", "0.001"}, {"currency", "KWD"}}}}};
  const auto totals = fk::ledger::entry_debits(entry.dump(), 100, false);
  REQUIRE_FALSE(totals.error);
  const std::map<std::string, int64_t> expected{{"JPY", 1500}, {"KWD", 1}, {"USD", 100001}};
  CHECK(totals.minor == expected);
  CHECK(fk::ledger::format_minor(totals.minor.at("USD"), 2) == "1000.01");

  json hold = entry;
  hold["expiresInSeconds"] = 3600;
  CHECK(fk::ledger::entry_debits(hold.dump(), 100, true).minor == expected);
  CHECK(fk::ledger::entry_debits(hold.dump(), 100, false).error);  // not an entry member

  const json batch = {{"entries", {entry, entry}}};
  const auto both = fk::ledger::batch_debits(batch.dump(), 10, 100);
  REQUIRE_FALSE(both.error);
  CHECK(both.minor.at("USD") == 200002);
  CHECK(fk::ledger::batch_debits(batch.dump(), 1, 100).error);  // over the batch limit

  // What the handler refuses is not measured either.
  json wrong = entry;
  wrong["lines"][0]["debit"] = "600.505";
  CHECK(fk::ledger::entry_debits(wrong.dump(), 100, false).error);
  CHECK(fk::ledger::entry_debits("{not json", 100, false).error);
  // Sums never wrap: a batch beyond int64 is "cannot measure" (1000 entries of
  // ten debit lines at the largest amount: 10^19 minor units > 2^63).
  json huge = {{"lines", json::array()}};
  for (int i = 0; i < 10; ++i) {
    huge["lines"].push_back(line_of("1", "debit", "10000000000000.00"));
  }
  huge["lines"].push_back(line_of("2", "credit", "10000000000000.00"));
  const json many = {{"entries", std::vector<json>(1000, huge)}};
  CHECK(fk::ledger::batch_debits(many.dump(), 1000, 100).error);
}

// ---------------------------------------------------------------------------
// The real kernel: ledger.so, a policy with amount thresholds, real users
// ---------------------------------------------------------------------------

namespace {

// A scratch directory removed at scope exit.
struct ScratchDir {
  fs::path path;
  explicit ScratchDir(const std::string& prefix) {
    std::string pattern = "/tmp/" + prefix + "-XXXXXX";
    REQUIRE(mkdtemp(pattern.data()) != nullptr);
    path = pattern;
  }
  ~ScratchDir() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
};

// The repository's policies with extra roles and approval rules added.
void write_policies(const fs::path& dir, const std::string& roles_yaml,
                    const std::string& approvals_yaml) {
  const fs::path source = fs::path(FK_SOURCE_DIR) / "policies";
  for (const auto& entry : fs::directory_iterator(source)) {
    fs::copy(entry.path(), dir / entry.path().filename());
  }
  std::string rbac = read_file(source / "rbac.yaml");
  const auto roles = rbac.find("\nroles:\n");
  REQUIRE(roles != std::string::npos);
  rbac.insert(roles + 8, roles_yaml);
  const auto approvals = rbac.find("\napprovals:\n");
  REQUIRE(approvals != std::string::npos);
  rbac.insert(approvals + 12, approvals_yaml);
  std::ofstream(dir / "rbac.yaml", std::ios::trunc) << rbac;
}

using namespace fk::test::login;  // NOLINT(google-build-using-namespace): test helpers

// Binds the user to exactly `roles` (as PUT /v1/users/{id}/roles does).
void set_roles(fk::test::TestKernel& kernel, const Tenant& tenant, const std::string& user_id,
               const std::vector<std::string>& roles) {
  fk::db::TenantTransaction transaction(kernel.app().pool(), tenant.id);
  fk::auth::replace_roles(transaction.work(), user_id, roles);
  transaction.commit();
}

void enable_plugin(fk::test::TestKernel& kernel, const Tenant& tenant, const std::string& name) {
  const auto* loaded = kernel.app().plugins().find(name);
  REQUIRE(loaded != nullptr);
  fk::plugins::set_plugin_enabled(TestDatabase::instance().owner_url(), tenant.id,
                                  loaded->manifest(), true, {"system", "test", ""});
}

std::size_t audit_count(const Tenant& tenant, const std::string& action) {
  pqxx::connection connection(TestDatabase::instance().owner_url());
  pqxx::work tx(connection);
  tx.exec_params("SELECT set_config('fk.tenant_id', $1, true)", tenant.id);
  return tx.exec_params("SELECT 1 FROM audit_log WHERE action = $1", action).size();
}

json line(const std::string& code, const std::string& side, const std::string& amount,
          const std::string& currency) {
  return {{"accountCode", code}, {side, amount}, {"currency", currency}};
}

json entry(const std::string& amount, const std::string& currency = "USD") {
  const std::string debit = currency == "USD" ? "1000" : "1100";
  const std::string credit = currency == "USD" ? "4000" : "4100";
  return {{"description", "sale of " + amount + " " + currency},
          {"lines",
           {line(debit, "debit", amount, currency), line(credit, "credit", amount, currency)}}};
}

}  // namespace

TEST_CASE("large postings wait for a second person; small ones post at once", "[ledgerapproval]") {
  ScratchDir plugins("fk-ledger-approval-plugins");
  fs::copy(fk::test::ledger::ledger_bundle_dir(), plugins.path / "ledger",
           fs::copy_options::recursive);
  ScratchDir policies("fk-ledger-approval-policies");
  write_policies(policies.path, "",
                 R"(  ledger:entries.post:
    checker: tenant:approvals.decide
    when: { amount_greater_than: { USD: "1000.00" } }
  ledger:holds.write:
    checker: tenant:approvals.decide
    when: { amount_greater_than: { USD: "1000.00" } }
)");
  auto config = fk::test::test_config();
  config.plugins.dir = plugins.path.string();
  config.identity.policy_dir = policies.path.string();
  fk::test::TestKernel kernel(config);
  const auto tenant = make_tenant("ledger-approval");
  enable_plugin(kernel, tenant, "ledger");
  // The maker may decide approvals too: never their own.
  const auto maker_id = make_user(kernel, tenant, "maker@example.com", {"accountant", "approver"});
  make_user(kernel, tenant, "checker@example.com", {"approver"});
  auto maker = token(kernel.port(), tenant, "maker@example.com");
  const auto checker = token(kernel.port(), tenant, "checker@example.com");

  auto call = [&](const std::string& credential, const std::string& method,
                  const std::string& target, const json& body = nullptr) {
    std::map<std::string, std::string> headers = {{"Authorization", "Bearer " + credential}};
    if (!body.is_null()) headers["Content-Type"] = "application/json";
    return http_call(kernel.port(), method, target, headers, body.is_null() ? "" : body.dump());
  };
  auto account = [&](const std::string& code, const std::string& type,
                     const std::string& currency) {
    const auto reply =
        call(maker, "POST", "/v1/ledger/accounts",
             {{"code", code}, {"name", code}, {"type", type}, {"currency", currency}});
    INFO(reply.body);
    REQUIRE(reply.status == 201);
    return reply.json()["data"]["id"].get<std::string>();
  };
  const auto cash = account("1000", "asset", "USD");
  account("4000", "income", "USD");
  const auto euro_cash = account("1100", "asset", "EUR");
  account("4100", "income", "EUR");
  auto balance = [&](const std::string& id) {
    const auto reply = call(maker, "GET", "/v1/ledger/accounts/" + id + "/balance");
    INFO(reply.body);
    REQUIRE(reply.status == 200);
    return reply.json()["data"]["balance"]["posted"]["amount"].get<std::string>();
  };
  auto pending_id = [](const HttpReply& reply) {
    INFO(reply.body);
    REQUIRE(reply.status == 202);
    REQUIRE(reply.json()["data"]["approval"]["status"] == "pending");
    REQUIRE(reply.json()["data"]["approval"]["action"] == "ledger:entries.post");
    return reply.json()["data"]["approval"]["id"].get<std::string>();
  };

  // At or below the threshold: posted at once.
  const auto small = call(maker, "POST", "/v1/ledger/entries", entry("999.99"));
  INFO(small.body);
  REQUIRE(small.status == 201);
  REQUIRE(call(maker, "POST", "/v1/ledger/entries", entry("0.01")).status == 201);
  CHECK(balance(cash) == "1000.00");
  CHECK(audit_count(tenant, "ledger.entry.post") == 2);

  // Above it: stored as pending, nothing posted.
  const auto large_id = pending_id(call(maker, "POST", "/v1/ledger/entries", entry("1000.01")));
  CHECK(balance(cash) == "1000.00");
  CHECK(audit_count(tenant, "ledger.entry.post") == 2);

  // The maker cannot approve their own posting.
  const auto self = call(maker, "POST", "/v1/approvals/" + large_id + "/approve");
  CHECK(self.status == 403);
  CHECK(self.json()["error"]["code"] == "MAKER_CANNOT_DECIDE");
  CHECK(balance(cash) == "1000.00");

  // A second person approves: posted exactly once, as the maker.
  const auto approved = call(checker, "POST", "/v1/approvals/" + large_id + "/approve");
  INFO(approved.body);
  REQUIRE(approved.status == 200);
  CHECK(approved.json()["data"]["approval"]["status"] == "executed");
  CHECK(approved.json()["data"]["approval"]["result"]["status"] == 201);
  CHECK(balance(cash) == "2000.01");
  CHECK(audit_count(tenant, "ledger.entry.post") == 3);
  CHECK(call(checker, "POST", "/v1/approvals/" + large_id + "/approve").status == 409);
  CHECK(balance(cash) == "2000.01");
  {
    // The plugin's own record names the maker, not the checker.
    pqxx::connection connection(TestDatabase::instance().owner_url());
    pqxx::work tx(connection);
    tx.exec_params("SELECT set_config('fk.tenant_id', $1, true)", tenant.id);
    const auto last = tx.exec(
        "SELECT actor_id FROM audit_log WHERE action = 'ledger.entry.post' ORDER BY seq DESC "
        "LIMIT 1");
    REQUIRE(last.size() == 1);
    CHECK(last[0][0].as<std::string>() == maker_id);
  }

  // A client's retry of a large posting (same Idempotency-Key) makes a second
  // approval; approving both posts once: the key goes with the execution.
  {
    auto keyed = [&] {
      return http_call(kernel.port(), "POST", "/v1/ledger/entries",
                       {{"Authorization", "Bearer " + maker},
                        {"Content-Type", "application/json"},
                        {"Idempotency-Key", "big-sale-1"}},
                       entry("3000.00").dump());
    };
    const auto first_id = pending_id(keyed());
    const auto retry_id = pending_id(keyed());
    CHECK(first_id != retry_id);
    const auto first = call(checker, "POST", "/v1/approvals/" + first_id + "/approve");
    REQUIRE(first.json()["data"]["approval"]["status"] == "executed");
    CHECK(first.json()["data"]["approval"]["result"]["status"] == 201);
    const auto retry = call(checker, "POST", "/v1/approvals/" + retry_id + "/approve");
    INFO(retry.body);
    REQUIRE(retry.json()["data"]["approval"]["status"] == "executed");
    CHECK(retry.json()["data"]["approval"]["result"]["status"] == 200);
    CHECK(retry.json()["data"]["approval"]["result"]["data"]["replayed"] == true);
    CHECK(balance(cash) == "5000.01");
    CHECK(audit_count(tenant, "ledger.entry.post") == 4);
  }

  // A currency without a threshold is never gated.
  const auto euros = call(maker, "POST", "/v1/ledger/entries", entry("5000000.00", "EUR"));
  INFO(euros.body);
  CHECK(euros.status == 201);
  CHECK(balance(euro_cash) == "5000000.00");

  // A batch is measured as a whole: two postings of 600 exceed 1000 together.
  const json big_batch = {{"entries", {entry("600.00"), entry("600.00")}}};
  const auto batch_id = pending_id(call(maker, "POST", "/v1/ledger/batches", big_batch));
  const json small_batch = {{"entries", {entry("400.00"), entry("600.00")}}};
  const auto small_batch_reply = call(maker, "POST", "/v1/ledger/batches", small_batch);
  INFO(small_batch_reply.body);
  CHECK(small_batch_reply.status / 100 == 2);
  CHECK(small_batch_reply.status != 202);
  CHECK(balance(cash) == "6000.01");

  // Rejected: nothing posted.
  const auto rejected = call(checker, "POST", "/v1/approvals/" + batch_id + "/reject");
  REQUIRE(rejected.status == 200);
  CHECK(rejected.json()["data"]["approval"]["status"] == "rejected");
  CHECK(balance(cash) == "6000.01");
  CHECK(call(checker, "POST", "/v1/approvals/" + batch_id + "/approve").status == 409);
  CHECK(balance(cash) == "6000.01");

  // Holds are measured too (their own permission's rule).
  json hold = entry("2500.00");
  hold["expiresInSeconds"] = 3600;
  const auto big_hold = call(maker, "POST", "/v1/ledger/holds", hold);
  INFO(big_hold.body);
  CHECK(big_hold.status == 202);
  hold = entry("25.00");
  hold["expiresInSeconds"] = 3600;
  CHECK(call(maker, "POST", "/v1/ledger/holds", hold).status == 201);

  // What the plugin cannot measure (here: an amount USD cannot hold) takes
  // the safe side: it waits for approval, and fails when executed.
  const auto unmeasurable_id =
      pending_id(call(maker, "POST", "/v1/ledger/entries", entry("5.005")));
  const auto failed = call(checker, "POST", "/v1/approvals/" + unmeasurable_id + "/approve");
  INFO(failed.body);
  REQUIRE(failed.status == 200);
  CHECK(failed.json()["data"]["approval"]["status"] == "failed");
  CHECK(failed.json()["data"]["approval"]["result"]["error"]["code"] == "INVALID_AMOUNT");
  CHECK(balance(cash) == "6000.01");

  // A maker who lost the permission before the approval: refused at execution.
  const auto later_id = pending_id(call(maker, "POST", "/v1/ledger/entries", entry("1500.00")));
  set_roles(kernel, tenant, maker_id, {"member"});
  maker = token(kernel.port(), tenant, "maker@example.com");  // the change revoked the old one
  const auto refused = call(checker, "POST", "/v1/approvals/" + later_id + "/approve");
  INFO(refused.body);
  REQUIRE(refused.status == 200);
  CHECK(refused.json()["data"]["approval"]["status"] == "failed");
  CHECK(refused.json()["data"]["approval"]["result"]["error"]["code"] == "MAKER_NOT_AUTHORIZED");
  CHECK(balance(cash) == "6000.01");
}

TEST_CASE("an approved plugin action runs with the maker's current permissions",
          "[ledgerapproval]") {
  ScratchDir plugins("fk-approval-probe-plugins");
  for (const char* name : {"probe", "peer"}) {
    fs::copy(fs::path(FK_TEST_PLUGIN_BUNDLES) / name, plugins.path / name,
             fs::copy_options::recursive);
  }
  ScratchDir policies("fk-approval-probe-policies");
  write_policies(policies.path, R"(  prober:
    realm: tenant
    grants: ["probe:*", "peer:*"]
  probe-reader:
    realm: tenant
    grants: ["probe:items.read"]
)",
                 R"(  probe:items.read:
    checker: tenant:approvals.decide
)");
  auto config = fk::test::test_config();
  config.plugins.dir = plugins.path.string();
  config.identity.policy_dir = policies.path.string();
  fk::test::TestKernel kernel(config);
  const auto tenant = make_tenant("approval-probe");
  enable_plugin(kernel, tenant, "peer");
  enable_plugin(kernel, tenant, "probe");
  const auto maker_id = make_user(kernel, tenant, "maker@example.com", {"prober"});
  make_user(kernel, tenant, "checker@example.com", {"approver"});
  const auto checker = token(kernel.port(), tenant, "checker@example.com");
  auto call = [&](const std::string& credential, const std::string& target,
                  const std::string& body = "") {
    return http_call(
        kernel.port(), "POST", target,
        {{"Authorization", "Bearer " + credential}, {"Content-Type", "application/json"}}, body);
  };
  auto submit = [&] {
    // A fresh token each time: a role change revokes the previous one.
    const auto reply = call(token(kernel.port(), tenant, "maker@example.com"), "/v1/probe/call",
                            R"({"method":"whoami"})");
    INFO(reply.body);
    REQUIRE(reply.status == 202);
    return reply.json()["data"]["approval"]["id"].get<std::string>();
  };

  // Executed by the checker, the plugin asks has_permission for the maker:
  // granted (an empty permission set would answer false).
  const auto approved = call(checker, "/v1/approvals/" + submit() + "/approve");
  INFO(approved.body);
  REQUIRE(approved.status == 200);
  const json result = approved.json()["data"]["approval"]["result"];
  REQUIRE(approved.json()["data"]["approval"]["status"] == "executed");
  INFO(result.dump());
  CHECK(result.dump().find("\"mayReadSecret\":true") != std::string::npos);
  CHECK(result.dump().find("user:" + maker_id) != std::string::npos);

  // The maker's roles now: still the route's permission, no longer the
  // peer's. The execution sees exactly that.
  const auto narrowed_id = submit();
  set_roles(kernel, tenant, maker_id, {"probe-reader"});
  const auto narrowed = call(checker, "/v1/approvals/" + narrowed_id + "/approve");
  INFO(narrowed.body);
  REQUIRE(narrowed.status == 200);
  CHECK(narrowed.json()["data"]["approval"]["status"] == "executed");
  CHECK(narrowed.json()["data"]["approval"]["result"].dump().find("\"mayReadSecret\":false") !=
        std::string::npos);

  // Without the route's permission at all: not executed.
  set_roles(kernel, tenant, maker_id, {"prober"});
  const auto gone_id = submit();
  set_roles(kernel, tenant, maker_id, {"member"});
  const auto refused = call(checker, "/v1/approvals/" + gone_id + "/approve");
  INFO(refused.body);
  REQUIRE(refused.status == 200);
  CHECK(refused.json()["data"]["approval"]["status"] == "failed");
  CHECK(refused.json()["data"]["approval"]["result"]["error"]["code"] == "MAKER_NOT_AUTHORIZED");
}

TEST_CASE("plugins that do not measure take the safe side: the amount rule always applies",
          "[ledgerapproval]") {
  // baseline: built against the released ABI 1.0 header (its callbacks table
  // ends before measure_request, so the kernel must not read one); probe: built
  // against 1.2 with the C++ wrapper but registering no measurer.
  ScratchDir plugins("fk-approval-unmeasured-plugins");
  for (const char* name : {"probe", "peer", "baseline"}) {
    fs::copy(fs::path(FK_TEST_PLUGIN_BUNDLES) / name, plugins.path / name,
             fs::copy_options::recursive);
  }
  ScratchDir policies("fk-approval-unmeasured-policies");
  write_policies(policies.path, R"(  prober:
    realm: tenant
    grants: ["probe:*", "peer:*", "baseline:*"]
)",
                 R"(  baseline:ping.read:
    checker: tenant:approvals.decide
    when: { amount_greater_than: { USD: "1000000" } }
  probe:items.write:
    checker: tenant:approvals.decide
    when: { amount_greater_than: { USD: "1000000" } }
)");
  auto config = fk::test::test_config();
  config.plugins.dir = plugins.path.string();
  config.identity.policy_dir = policies.path.string();
  fk::test::TestKernel kernel(config);
  const auto tenant = make_tenant("approval-unmeasured");
  for (const char* name : {"peer", "probe", "baseline"}) enable_plugin(kernel, tenant, name);
  make_user(kernel, tenant, "maker@example.com", {"prober"});
  const auto maker = token(kernel.port(), tenant, "maker@example.com");
  const std::map<std::string, std::string> headers = {{"Authorization", "Bearer " + maker},
                                                      {"Content-Type", "application/json"}};

  const auto ping = http_call(kernel.port(), "GET", "/v1/baseline/ping", headers);
  INFO(ping.body);
  CHECK(ping.status == 202);
  const auto item = http_call(kernel.port(), "POST", "/v1/probe/items", headers, R"({"name":"x"})");
  INFO(item.body);
  CHECK(item.status == 202);
  // A route of the same plugin without a rule is untouched.
  CHECK(http_call(kernel.port(), "GET", "/v1/probe/ping", headers).status == 200);
}
