// The transactional outbox and its dispatcher against a real database: the
// subscribers below are C++ test doubles of plugins whose handlers write
// rows in the delivery's tenant transaction, so "delivered once" and "rolled
// back" are read back from PostgreSQL, never assumed.

#include "api/route.hpp"
#include "audit/audit_log.hpp"
#include "db/tenant_transaction.hpp"
#include "events/dead_letters.hpp"
#include "events/dispatcher.hpp"
#include "events/event_routes.hpp"
#include "events/outbox.hpp"
#include "http/api_error.hpp"
#include "support/test_database.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

namespace {

using fk::events::DeliveredEvent;
using fk::events::DeliveryOutcome;
using fk::events::Dispatcher;
using fk::events::DispatcherOptions;
using fk::events::EventToPublish;
using fk::test::TestDatabase;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

fk::db::ConnectionPool& runtime_pool() {
  static fk::db::ConnectionPool pool(TestDatabase::instance().runtime_url(), 12,
                                     std::chrono::seconds(10));
  return pool;
}

// Where the test subscribers leave their effects: a tenant table under the
// same rules as every other (so the catalog guard accepts it). No unique key
// on (event, subscriber): a double delivery must show up as two rows.
void ensure_effects_table() {
  static std::once_flag once;
  std::call_once(once, [] {
    pqxx::connection connection(TestDatabase::instance().owner_url());
    pqxx::work tx(connection);
    tx.exec(
        "CREATE TABLE IF NOT EXISTS test_event_effects ("
        " tenant_id uuid NOT NULL DEFAULT fk_current_tenant(),"
        " id bigint GENERATED ALWAYS AS IDENTITY,"
        " event_id uuid NOT NULL, subscriber text NOT NULL,"
        " PRIMARY KEY (tenant_id, id))");
    tx.exec("ALTER TABLE test_event_effects ENABLE ROW LEVEL SECURITY");
    tx.exec("ALTER TABLE test_event_effects FORCE ROW LEVEL SECURITY");
    tx.exec(
        "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_policy WHERE polname = 'tenant_isolation'"
        " AND polrelid = 'test_event_effects'::regclass) THEN"
        " CREATE POLICY tenant_isolation ON test_event_effects"
        " USING (tenant_id = (SELECT fk_current_tenant()))"
        " WITH CHECK (tenant_id = (SELECT fk_current_tenant())); END IF; END $$");
    tx.exec("GRANT SELECT, INSERT ON test_event_effects TO fk_runtime");
    tx.commit();
  });
}

// A plugin host stand-in. Every subscriber inserts an effect row, then fails
// if it is in `failing` (so a failure visibly has its writes rolled back) or
// if the payload says {"fail": true} and the subscriber is "strict".
class TestSink final : public fk::events::EventSink {
 public:
  std::map<std::string, std::vector<std::string>> subscriptions;
  std::chrono::milliseconds handler_time{0};

  [[nodiscard]] std::vector<std::string> subscribers_of(const std::string& type) const override {
    const auto found = subscriptions.find(type);
    return found == subscriptions.end() ? std::vector<std::string>{} : found->second;
  }

  DeliveryOutcome deliver(const std::string& subscriber, pqxx::dbtransaction& tx,
                          const std::string& tenant_id, const DeliveredEvent& event) override {
    {
      std::lock_guard lock(mutex_);
      calls_.push_back({subscriber, event, tenant_id, Clock::now()});
    }
    tx.exec_params("INSERT INTO test_event_effects (event_id, subscriber) VALUES ($1::uuid, $2)",
                   event.id, subscriber);
    if (handler_time.count() > 0) std::this_thread::sleep_for(handler_time);
    if (subscriber == "thrower") throw std::runtime_error("boom from thrower");
    if (is_failing(subscriber)) return {false, subscriber + " is failing on purpose"};
    if (subscriber == "strict" && is_failing("strict:" + event.payload_json)) {
      return {false, "strict refuses " + event.payload_json};
    }
    return {true, ""};
  }

  void set_failing(const std::string& key, bool failing) {
    std::lock_guard lock(mutex_);
    if (failing) {
      failing_.insert(key);
    } else {
      failing_.erase(key);
    }
  }

  struct Call {
    std::string subscriber;
    DeliveredEvent event;
    std::string tenant_id;
    Clock::time_point at;
  };
  std::vector<Call> calls() {
    std::lock_guard lock(mutex_);
    return calls_;
  }
  std::vector<Call> calls_for(const std::string& subscriber) {
    std::vector<Call> selected;
    for (auto& call : calls()) {
      if (call.subscriber == subscriber) selected.push_back(call);
    }
    return selected;
  }

 private:
  bool is_failing(const std::string& key) {
    std::lock_guard lock(mutex_);
    return failing_.count(key) > 0;
  }
  std::mutex mutex_;
  std::set<std::string> failing_;
  std::vector<Call> calls_;
};

EventToPublish event_of(const std::string& type, const std::string& aggregate_id = "",
                        const std::string& payload = R"({"n":1})") {
  EventToPublish event;
  event.source = "kernel";
  event.type = type;
  event.aggregate_type = aggregate_id.empty() ? "" : "greeting";
  event.aggregate_id = aggregate_id;
  event.payload_json = payload;
  event.principal = "user:test";
  event.correlation_id = "req-1";
  return event;
}

std::string publish_committed(const std::string& tenant_id, const EventToPublish& event,
                              const std::vector<std::string>& subscribers) {
  fk::db::TenantTransaction tx(runtime_pool(), tenant_id);
  const auto id = fk::events::publish(tx.work(), tenant_id, event, subscribers);
  tx.commit();
  return id;
}

long long effects(const std::string& tenant_id, const std::string& event_id,
                  const std::string& subscriber) {
  fk::db::TenantTransaction tx(runtime_pool(), tenant_id);
  return tx.work()
      .exec_params1(
          "SELECT count(*) FROM test_event_effects WHERE event_id = $1::uuid AND subscriber = $2",
          event_id, subscriber)[0]
      .as<long long>();
}

std::string status_of(const std::string& tenant_id, const std::string& event_id,
                      const std::string& subscriber) {
  fk::db::TenantTransaction tx(runtime_pool(), tenant_id);
  const auto rows = tx.work().exec_params(
      "SELECT status FROM fk_event_deliveries WHERE event_id = $1::uuid AND subscriber = $2",
      event_id, subscriber);
  return rows.empty() ? "absent" : rows[0][0].as<std::string>();
}

DispatcherOptions fast_options() {
  DispatcherOptions options;
  options.poll_interval = 100ms;
  options.max_attempts = 3;
  options.base_backoff = 40ms;
  options.max_backoff = 1000ms;
  return options;
}

// Calls deliver_due_now until `done` or the deadline.
template <typename Done>
bool deliver_until(Dispatcher& dispatcher, Done done, std::chrono::milliseconds limit = 5000ms) {
  const auto deadline = Clock::now() + limit;
  while (Clock::now() < deadline) {
    dispatcher.deliver_due_now();
    if (done()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return done();
}

}  // namespace

TEST_CASE("a committed event is delivered once to each subscriber", "[events]") {
  ensure_effects_table();
  const auto tenant = fk::test::create_tenant("ev-once");
  TestSink sink;
  Dispatcher dispatcher(runtime_pool(), TestDatabase::instance().runtime_url(), sink,
                        fast_options());
  auto event = event_of("greeting.created", "g-1", R"({"text":"hi"})");
  event.causation_id = "11111111-1111-1111-1111-111111111111";
  event.version = 2;
  const auto id = publish_committed(tenant, event, {"alpha", "beta", "alpha"});
  REQUIRE(fk::events::is_uuid(id));

  dispatcher.deliver_due_now();
  CHECK(effects(tenant, id, "alpha") == 1);
  CHECK(effects(tenant, id, "beta") == 1);
  CHECK(status_of(tenant, id, "alpha") == "delivered");
  CHECK(status_of(tenant, id, "beta") == "delivered");

  // Another pass delivers nothing again.
  dispatcher.deliver_due_now();
  CHECK(effects(tenant, id, "alpha") == 1);
  CHECK(sink.calls_for("alpha").size() == 1);

  // The envelope reaches the subscriber intact.
  const auto call = sink.calls_for("beta").at(0);
  CHECK(call.tenant_id == tenant);
  CHECK(call.event.id == id);
  CHECK(call.event.type == "greeting.created");
  CHECK(call.event.source == "kernel");
  CHECK(call.event.aggregate_type == "greeting");
  CHECK(call.event.aggregate_id == "g-1");
  CHECK(nlohmann::json::parse(call.event.payload_json) == nlohmann::json{{"text", "hi"}});
  CHECK(call.event.principal == "user:test");
  CHECK(call.event.correlation_id == "req-1");
  CHECK(call.event.causation_id == "11111111-1111-1111-1111-111111111111");
  CHECK(call.event.version == 2);
  CHECK(call.event.attempt == 1);
  CHECK(call.event.occurred_at_ms > 1600000000000LL);
  CHECK(call.event.occurred_at.size() == 27);  // 2026-01-01T00:00:00.000000Z

  // The stored metadata is the envelope's.
  fk::db::TenantTransaction tx(runtime_pool(), tenant);
  const auto metadata = nlohmann::json::parse(
      tx.work()
          .exec_params1("SELECT metadata::text FROM fk_outbox WHERE event_id = $1::uuid", id)[0]
          .as<std::string>());
  CHECK(metadata.at("userId") == "user:test");
  CHECK(metadata.at("tenantId") == tenant);
  CHECK(metadata.at("correlationId") == "req-1");
  CHECK(metadata.at("causationId") == "11111111-1111-1111-1111-111111111111");
  CHECK(metadata.at("timestamp").get<std::string>() == call.event.occurred_at);
}

TEST_CASE("a rolled-back transaction publishes nothing", "[events]") {
  ensure_effects_table();
  const auto tenant = fk::test::create_tenant("ev-rollback");
  TestSink sink;
  Dispatcher dispatcher(runtime_pool(), TestDatabase::instance().runtime_url(), sink,
                        fast_options());
  std::string id;
  {
    fk::db::TenantTransaction tx(runtime_pool(), tenant);
    id = fk::events::publish(tx.work(), tenant, event_of("greeting.created"), {"alpha"});
    // no commit: the destructor rolls back
  }
  dispatcher.deliver_due_now();
  CHECK(effects(tenant, id, "alpha") == 0);
  CHECK(status_of(tenant, id, "alpha") == "absent");
  fk::db::TenantTransaction tx(runtime_pool(), tenant);
  CHECK(tx.work().exec1("SELECT count(*) FROM fk_outbox")[0].as<long long>() == 0);
}

TEST_CASE("an event nobody subscribes to is kept but never delivered", "[events]") {
  ensure_effects_table();
  const auto tenant = fk::test::create_tenant("ev-nobody");
  const auto id = publish_committed(tenant, event_of("nobody.listens"), {});
  fk::db::TenantTransaction tx(runtime_pool(), tenant);
  CHECK(tx.work()
            .exec_params1("SELECT count(*) FROM fk_outbox WHERE event_id = $1::uuid", id)[0]
            .as<long long>() == 1);
  CHECK(tx.work().exec1("SELECT count(*) FROM fk_event_deliveries")[0].as<long long>() == 0);
}

TEST_CASE("publish refuses malformed events before touching the database", "[events]") {
  const auto tenant = fk::test::create_tenant("ev-invalid");
  fk::db::TenantTransaction tx(runtime_pool(), tenant);
  CHECK_THROWS_AS(fk::events::publish(tx.work(), tenant, event_of(""), {"a"}),
                  std::invalid_argument);
  CHECK_THROWS_AS(fk::events::publish(tx.work(), tenant, event_of("t", "", "[1]"), {"a"}),
                  std::invalid_argument);
  CHECK_THROWS_AS(fk::events::publish(tx.work(), tenant, event_of("t", "", "{oops"), {"a"}),
                  std::invalid_argument);
  auto old = event_of("t");
  old.version = 0;
  CHECK_THROWS_AS(fk::events::publish(tx.work(), tenant, old, {"a"}), std::invalid_argument);
  CHECK_THROWS_AS(fk::events::publish(tx.work(), tenant, event_of("t"), {""}),
                  std::invalid_argument);
}

TEST_CASE("retry delays double up to the cap, with jitter below each step", "[events]") {
  DispatcherOptions options;
  options.base_backoff = 200ms;
  options.max_backoff = 60000ms;
  long long expected = 200;
  for (int attempts = 1; attempts <= 12; ++attempts) {
    for (int sample = 0; sample < 20; ++sample) {
      const auto delay = fk::events::retry_delay(options, attempts).count();
      INFO("attempts " << attempts << " delay " << delay);
      CHECK(delay >= expected / 2);
      CHECK(delay <= expected);
    }
    expected = std::min<long long>(expected * 2, 60000);
  }
}

TEST_CASE("a failing subscriber is retried with growing delays, dead-lettered, then replayed",
          "[events]") {
  ensure_effects_table();
  const auto tenant = fk::test::create_tenant("ev-dead");
  TestSink sink;
  sink.set_failing("flaky", true);
  Dispatcher dispatcher(runtime_pool(), TestDatabase::instance().runtime_url(), sink,
                        fast_options());
  const auto id = publish_committed(tenant, event_of("greeting.created"), {"flaky", "steady"});

  REQUIRE(deliver_until(dispatcher, [&] { return status_of(tenant, id, "flaky") == "dead"; }));
  CHECK(status_of(tenant, id, "steady") == "delivered");
  CHECK(effects(tenant, id, "steady") == 1);
  // Each failed attempt's writes were rolled back.
  CHECK(effects(tenant, id, "flaky") == 0);

  const auto attempts = sink.calls_for("flaky");
  REQUIRE(attempts.size() == 3);  // max_attempts
  CHECK(attempts[0].event.attempt == 1);
  CHECK(attempts[1].event.attempt == 2);
  CHECK(attempts[2].event.attempt == 3);
  // base 40 ms: the first retry waits 20..40 ms, the second 40..80 ms.
  const auto first_gap = attempts[1].at - attempts[0].at;
  const auto second_gap = attempts[2].at - attempts[1].at;
  CHECK(first_gap >= 20ms);
  CHECK(second_gap >= 40ms);

  CHECK(dispatcher.stats().failed == 3);
  CHECK(dispatcher.stats().dead_lettered == 1);
  CHECK(dispatcher.stats().delivered == 1);  // "steady"
  // Dead: no further attempts however often the dispatcher runs.
  dispatcher.deliver_due_now();
  std::this_thread::sleep_for(100ms);
  dispatcher.deliver_due_now();
  CHECK(sink.calls_for("flaky").size() == 3);

  {
    fk::db::TenantTransaction tx(runtime_pool(), tenant);
    const auto letters = fk::events::list_dead_letters(tx.work(), 10);
    REQUIRE(letters.size() == 1);
    CHECK(letters[0].event_id == id);
    CHECK(letters[0].subscriber == "flaky");
    CHECK(letters[0].attempts == 3);
    CHECK(letters[0].last_error == "flaky is failing on purpose");
    CHECK(letters[0].type == "greeting.created");
    CHECK_FALSE(letters[0].dead_at.empty());
    // The cursor moves past it.
    CHECK(fk::events::list_dead_letters(tx.work(), 10,
                                        fk::events::DeadLetterCursor{letters[0].seq, "flaky"})
              .empty());
  }

  sink.set_failing("flaky", false);
  {
    fk::db::TenantTransaction tx(runtime_pool(), tenant);
    CHECK_FALSE(fk::events::replay(tx.work(), id, "steady"));  // delivered, not dead
    CHECK_FALSE(fk::events::replay(tx.work(), "not-a-uuid", "flaky"));
    CHECK(fk::events::replay(tx.work(), id, "flaky"));
    tx.commit();
  }
  CHECK(status_of(tenant, id, "flaky") == "pending");
  dispatcher.deliver_due_now();
  CHECK(status_of(tenant, id, "flaky") == "delivered");
  CHECK(effects(tenant, id, "flaky") == 1);
  CHECK(sink.calls_for("flaky").back().event.attempt == 1);  // attempts were reset
  fk::db::TenantTransaction tx(runtime_pool(), tenant);
  CHECK(fk::events::list_dead_letters(tx.work(), 10).empty());
}

TEST_CASE("a subscriber that throws counts as a failed attempt", "[events]") {
  ensure_effects_table();
  const auto tenant = fk::test::create_tenant("ev-throw");
  TestSink sink;
  auto options = fast_options();
  options.max_attempts = 1;
  Dispatcher dispatcher(runtime_pool(), TestDatabase::instance().runtime_url(), sink, options);
  const auto id = publish_committed(tenant, event_of("greeting.created"), {"thrower"});
  dispatcher.deliver_due_now();
  CHECK(status_of(tenant, id, "thrower") == "dead");
  CHECK(effects(tenant, id, "thrower") == 0);
  fk::db::TenantTransaction tx(runtime_pool(), tenant);
  const auto letters = fk::events::list_dead_letters(tx.work(), 10);
  REQUIRE(letters.size() == 1);
  CHECK(letters[0].last_error == "handler threw: boom from thrower");
}

TEST_CASE("events of one aggregate are delivered in order, even around a failure", "[events]") {
  ensure_effects_table();
  const auto tenant = fk::test::create_tenant("ev-order");
  TestSink sink;
  auto options = fast_options();
  options.max_attempts = 2;
  options.base_backoff = 300ms;
  Dispatcher dispatcher(runtime_pool(), TestDatabase::instance().runtime_url(), sink, options);
  sink.set_failing(R"(strict:{"n": 1})", true);

  const auto first = publish_committed(tenant, event_of("t", "agg-x", R"({"n":1})"), {"strict"});
  const auto second = publish_committed(tenant, event_of("t", "agg-x", R"({"n":2})"), {"strict"});
  const auto other = publish_committed(tenant, event_of("t", "agg-y", R"({"n":3})"), {"strict"});
  const auto loose = publish_committed(tenant, event_of("t", "", R"({"n":4})"), {"strict"});

  dispatcher.deliver_due_now();
  CHECK(status_of(tenant, first, "strict") == "pending");    // failed once, waiting to retry
  CHECK(status_of(tenant, second, "strict") == "pending");   // held back behind `first`
  CHECK(status_of(tenant, other, "strict") == "delivered");  // another aggregate
  CHECK(status_of(tenant, loose, "strict") == "delivered");  // no aggregate
  CHECK(effects(tenant, second, "strict") == 0);

  // The first event now succeeds on retry: it goes out, then the second.
  sink.set_failing(R"(strict:{"n": 1})", false);
  REQUIRE(deliver_until(dispatcher,
                        [&] { return status_of(tenant, second, "strict") == "delivered"; }));
  std::vector<std::string> order;
  for (const auto& call : sink.calls_for("strict")) {
    if (call.event.aggregate_id == "agg-x") order.push_back(call.event.id);
  }
  CHECK(order == std::vector<std::string>{first, first, second});

  // A dead-lettered event no longer holds its aggregate back.
  sink.set_failing(R"(strict:{"n": 5})", true);
  const auto doomed = publish_committed(tenant, event_of("t", "agg-z", R"({"n":5})"), {"strict"});
  const auto after = publish_committed(tenant, event_of("t", "agg-z", R"({"n":6})"), {"strict"});
  REQUIRE(
      deliver_until(dispatcher, [&] { return status_of(tenant, after, "strict") == "delivered"; }));
  CHECK(status_of(tenant, doomed, "strict") == "dead");
  CHECK(effects(tenant, doomed, "strict") == 0);
  CHECK(effects(tenant, after, "strict") == 1);
}

TEST_CASE("two dispatchers running at once deliver each delivery exactly once", "[events]") {
  ensure_effects_table();
  const auto tenant = fk::test::create_tenant("ev-race");
  TestSink sink;
  sink.handler_time = 2ms;
  DispatcherOptions options = fast_options();
  options.batch_size = 10;
  Dispatcher one(runtime_pool(), TestDatabase::instance().runtime_url(), sink, options);
  Dispatcher two(runtime_pool(), TestDatabase::instance().runtime_url(), sink, options);
  std::vector<std::string> ids;
  for (int i = 0; i < 30; ++i) {
    // Half share aggregates, half are free: both selection paths race.
    const auto aggregate = i % 2 == 0 ? "agg-" + std::to_string(i % 6) : std::string();
    ids.push_back(publish_committed(tenant, event_of("t", aggregate), {"alpha", "beta"}));
  }
  std::atomic<bool> done{false};
  auto run = [&](Dispatcher& dispatcher) {
    while (!done) {
      dispatcher.deliver_due_now();
      std::this_thread::sleep_for(1ms);
    }
  };
  std::thread first(run, std::ref(one));
  std::thread second(run, std::ref(two));
  const auto deadline = Clock::now() + 20s;
  while (Clock::now() < deadline) {
    fk::db::TenantTransaction tx(runtime_pool(), tenant);
    if (tx.work()
            .exec1("SELECT count(*) FROM fk_event_deliveries WHERE status <> 'delivered'")[0]
            .as<long long>() == 0) {
      break;
    }
    std::this_thread::sleep_for(20ms);
  }
  done = true;
  first.join();
  second.join();

  fk::db::TenantTransaction tx(runtime_pool(), tenant);
  const auto duplicates = tx.work().exec1(
      "SELECT count(*) FROM (SELECT event_id, subscriber FROM test_event_effects"
      " GROUP BY event_id, subscriber HAVING count(*) <> 1) d")[0];
  CHECK(duplicates.as<long long>() == 0);
  CHECK(tx.work().exec1("SELECT count(*) FROM test_event_effects")[0].as<long long>() == 60);
  CHECK(sink.calls().size() == 60);  // no handler ran twice, not even rolled back
}

TEST_CASE("a tenant sees only its own events and cannot publish for another", "[events]") {
  ensure_effects_table();
  const auto mine = fk::test::create_tenant("ev-rls-a");
  const auto theirs = fk::test::create_tenant("ev-rls-b");
  TestSink sink;
  Dispatcher dispatcher(runtime_pool(), TestDatabase::instance().runtime_url(), sink,
                        fast_options());
  const auto id = publish_committed(mine, event_of("secret.created"), {"alpha"});
  dispatcher.deliver_due_now();
  REQUIRE(status_of(mine, id, "alpha") == "delivered");
  {
    fk::db::TenantTransaction tx(runtime_pool(), theirs);
    CHECK(tx.work().exec1("SELECT count(*) FROM fk_outbox")[0].as<long long>() == 0);
    CHECK(tx.work().exec1("SELECT count(*) FROM fk_event_deliveries")[0].as<long long>() == 0);
  }
  {
    // No tenant set: nothing at all.
    auto connection = runtime_pool().acquire();
    pqxx::work tx(connection.get());
    CHECK(tx.exec1("SELECT count(*) FROM fk_outbox")[0].as<long long>() == 0);
  }
  {
    fk::db::TenantTransaction tx(runtime_pool(), theirs);
    CHECK_THROWS_AS(fk::events::publish(tx.work(), mine, event_of("forged"), {"alpha"}),
                    pqxx::sql_error);
  }
  {
    // The runtime role can neither rewrite nor remove history.
    fk::db::TenantTransaction tx(runtime_pool(), mine);
    CHECK_THROWS_AS(tx.work().exec("DELETE FROM fk_outbox"), pqxx::insufficient_privilege);
  }
  {
    fk::db::TenantTransaction tx(runtime_pool(), mine);
    CHECK_THROWS_AS(tx.work().exec("UPDATE fk_outbox SET type = 'x'"),
                    pqxx::insufficient_privilege);
  }
  {
    fk::db::TenantTransaction tx(runtime_pool(), mine);
    CHECK_THROWS_AS(tx.work().exec("DELETE FROM fk_event_deliveries"),
                    pqxx::insufficient_privilege);
  }
  // Replay cannot reach another tenant's delivery.
  fk::db::TenantTransaction tx(runtime_pool(), theirs);
  CHECK_FALSE(fk::events::replay(tx.work(), id, "alpha"));
}

TEST_CASE("an event committed while no dispatcher ran is delivered when one starts", "[events]") {
  ensure_effects_table();
  const auto tenant = fk::test::create_tenant("ev-restart");
  const auto id = publish_committed(tenant, event_of("greeting.created"), {"alpha"});
  TestSink sink;
  auto options = fast_options();
  options.poll_interval = 60s;  // only the start-up sweep can deliver it in time
  Dispatcher dispatcher(runtime_pool(), TestDatabase::instance().runtime_url(), sink, options);
  dispatcher.start();
  const auto deadline = Clock::now() + 5s;
  while (Clock::now() < deadline && status_of(tenant, id, "alpha") != "delivered") {
    std::this_thread::sleep_for(20ms);
  }
  dispatcher.stop();
  CHECK(status_of(tenant, id, "alpha") == "delivered");
  CHECK(effects(tenant, id, "alpha") == 1);
}

TEST_CASE("a commit wakes a running dispatcher through LISTEN/NOTIFY", "[events]") {
  ensure_effects_table();
  const auto tenant = fk::test::create_tenant("ev-notify");
  TestSink sink;
  auto options = fast_options();
  options.poll_interval = 60s;  // polling cannot explain a delivery within seconds
  Dispatcher dispatcher(runtime_pool(), TestDatabase::instance().runtime_url(), sink, options);
  dispatcher.start();
  std::this_thread::sleep_for(500ms);  // start-up sweep done, LISTEN in place
  const auto id = publish_committed(tenant, event_of("greeting.created"), {"alpha"});
  const auto deadline = Clock::now() + 5s;
  while (Clock::now() < deadline && status_of(tenant, id, "alpha") != "delivered") {
    std::this_thread::sleep_for(20ms);
  }
  dispatcher.stop();
  CHECK(status_of(tenant, id, "alpha") == "delivered");
}

TEST_CASE("platform routes list and replay a tenant's dead letters", "[events]") {
  ensure_effects_table();
  const auto tenant = fk::test::create_tenant("ev-admin");
  TestSink sink;
  sink.set_failing("flaky", true);
  auto options = fast_options();
  options.max_attempts = 1;
  Dispatcher dispatcher(runtime_pool(), TestDatabase::instance().runtime_url(), sink, options);
  const auto id = publish_committed(tenant, event_of("greeting.created", "g-9"), {"flaky"});
  dispatcher.deliver_due_now();
  REQUIRE(status_of(tenant, id, "flaky") == "dead");

  const auto routes = fk::events::event_admin_routes(
      fk::events::EventAdmin{runtime_pool(), TestDatabase::instance().owner_url()});
  REQUIRE(routes.size() == 2);
  const auto& list = routes[0];
  const auto& replay = routes[1];
  CHECK(list.permission == "platform:events.read");
  CHECK(replay.permission == "platform:events.replay");
  CHECK(list.scope == fk::api::Scope::platform);
  CHECK(replay.scope == fk::api::Scope::platform);

  fk::http::Request request;
  request.method = "GET";
  request.query = "limit=10";
  std::map<std::string, std::string, std::less<>> params{{"id", tenant}};
  fk::api::RequestContext list_context(request, "req-list", params);
  const auto listed = list.handler(list_context);
  REQUIRE(listed.data.at("items").size() == 1);
  CHECK(listed.data.at("items")[0].at("eventId") == id);
  CHECK(listed.data.at("items")[0].at("aggregateId") == "g-9");
  CHECK(listed.data.at("items")[0].at("lastError") == "flaky is failing on purpose");

  request.query = "after=oops";
  fk::api::RequestContext bad_context(request, "req-bad", params);
  CHECK_THROWS_AS(list.handler(bad_context), fk::http::ApiError);

  request.method = "POST";
  request.query.clear();
  std::map<std::string, std::string, std::less<>> replay_params{
      {"id", tenant}, {"event_id", id}, {"subscriber", "flaky"}};
  fk::api::RequestContext replay_context(request, "req-replay", replay_params);
  sink.set_failing("flaky", false);
  CHECK(replay.handler(replay_context).data.at("status") == "pending");
  dispatcher.deliver_due_now();
  CHECK(status_of(tenant, id, "flaky") == "delivered");
  // Replaying what is not dead is a 404.
  try {
    replay.handler(replay_context);
    FAIL("replay of a delivered event succeeded");
  } catch (const fk::http::ApiError& e) {
    CHECK(e.status() == 404);
    CHECK(e.code() == "DEAD_LETTER_NOT_FOUND");
  }
  // The replay is in the tenant's audit chain.
  fk::db::TenantTransaction tx(runtime_pool(), tenant);
  CHECK(tx.work()
            .exec1("SELECT count(*) FROM audit_log WHERE action = 'events.dead_letter.replayed'")[0]
            .as<long long>() == 1);
}
