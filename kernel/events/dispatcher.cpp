#include "events/dispatcher.hpp"

#include "db/tenant_transaction.hpp"
#include "events/delivery_sql.hpp"
#include "events/outbox.hpp"
#include "log/json_log.hpp"

#include <pqxx/notification>
#include <pqxx/pqxx>

#include <algorithm>
#include <random>
#include <utility>
#include <vector>

namespace fk::events {

namespace {

// A handler's error text is stored, not trusted: keep it bounded.
constexpr std::size_t kMaxErrorLength = 2000;
// Rounds per tenant per sweep: a tenant with a long backlog yields to the
// others after this many batches.
constexpr int kMaxRoundsPerTenant = 10;

std::string bounded(std::string text) {
  if (text.size() > kMaxErrorLength) text.resize(kMaxErrorLength);
  if (text.empty()) text = "handler failed without a message";
  return text;
}

struct Candidate {
  std::string event_id;
  std::string subscriber;
};

// Records failed attempt number attempts_before + 1: pending again after
// the backoff, or dead at max_attempts (then returns true). The attempts guard makes it a no-op
// when another dispatcher attempted the delivery meanwhile (only possible
// on the path that lost its row lock).
bool record_failure(pqxx::transaction_base& tx, const DispatcherOptions& options,
                    const std::string& tenant_id, const std::string& event_id,
                    const std::string& subscriber, int attempts_before, const std::string& error) {
  const int attempts = attempts_before + 1;
  const bool dead = attempts >= options.max_attempts;
  const auto updated = tx.exec_params(
      "UPDATE fk_event_deliveries SET attempts = $3, last_error = $4, "
      "next_attempt_at = clock_timestamp() + $5 * interval '1 millisecond', "
      "status = CASE WHEN $6 THEN 'dead' ELSE 'pending' END, "
      "dead_at = CASE WHEN $6 THEN now() END "
      "WHERE event_id = $1::uuid AND subscriber = $2 AND status = 'pending' AND attempts = $7",
      event_id, subscriber, attempts, error,
      static_cast<long long>(retry_delay(options, attempts).count()), dead, attempts_before);
  if (!dead || updated.affected_rows() == 0) return false;
  log::warn("event dead-lettered", {{"tenantId", tenant_id},
                                    {"eventId", event_id},
                                    {"subscriber", subscriber},
                                    {"attempts", attempts},
                                    {"error", error}});
  return true;
}

}  // namespace

std::chrono::milliseconds retry_delay(const DispatcherOptions& options, int attempts) {
  using std::chrono::milliseconds;
  const long long cap = std::max<long long>(1, options.max_backoff.count());
  long long delay = std::max<long long>(1, options.base_backoff.count());
  for (int i = 1; i < attempts && delay < cap; ++i) delay *= 2;
  delay = std::min(delay, cap);
  thread_local std::mt19937_64 random{std::random_device{}()};
  std::uniform_int_distribution<long long> jitter(0, delay / 2);
  return milliseconds(delay - delay / 2 + jitter(random));
}

Dispatcher::Dispatcher(db::ConnectionPool& runtime_pool, std::string runtime_url_for_listen,
                       EventSink& sink, DispatcherOptions options)
    : pool_(runtime_pool),
      listen_url_(std::move(runtime_url_for_listen)),
      sink_(sink),
      options_(options) {}

Dispatcher::~Dispatcher() {
  stop();
}

void Dispatcher::start() {
  if (delivery_thread_.joinable()) return;
  stopping_ = false;
  delivery_thread_ = std::thread([this] { run_deliveries(); });
  listener_thread_ = std::thread([this] { run_listener(); });
}

void Dispatcher::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wakeup_.notify_all();
  if (delivery_thread_.joinable()) delivery_thread_.join();
  if (listener_thread_.joinable()) listener_thread_.join();
  stopping_ = false;  // deliver_due_now keeps working after stop
}

void Dispatcher::wake() {
  {
    std::lock_guard lock(mutex_);
    woken_ = true;
  }
  wakeup_.notify_all();
}

DispatcherStats Dispatcher::stats() const {
  DispatcherStats stats;
  stats.delivered = delivered_.load();
  stats.failed = failed_.load();
  stats.dead_lettered = dead_lettered_.load();
  stats.sweep_errors = sweep_errors_.load();
  return stats;
}

std::size_t Dispatcher::deliver_due_now() {
  std::chrono::milliseconds next_due{0};
  return sweep(next_due);
}

void Dispatcher::run_deliveries() {
  while (!stopping_) {
    std::chrono::milliseconds next_due = options_.poll_interval;
    std::size_t attempted = 0;
    try {
      attempted = sweep(next_due);
    } catch (const std::exception& e) {
      // Database down or the like: nothing is lost (the rows stay pending);
      // try again after the poll interval.
      ++sweep_errors_;
      log::warn("event sweep failed", {{"error", e.what()}});
      next_due = options_.poll_interval;
    }
    // Something was attempted: look again at once, since deliveries it held
    // back (same aggregate) or short retries may be due now.
    if (attempted > 0) continue;
    std::unique_lock lock(mutex_);
    wakeup_.wait_for(lock, next_due, [this] { return stopping_.load() || woken_; });
    woken_ = false;
  }
}

void Dispatcher::run_listener() {
  // One dedicated connection (LISTEN is per session; a pooled connection is
  // reused by others). Reconnects after a failure; the sweep every
  // poll_interval covers whatever was notified while it was away.
  class Receiver final : public pqxx::notification_receiver {
   public:
    Receiver(pqxx::connection_base& connection, Dispatcher& dispatcher)
        : pqxx::notification_receiver(connection, kNotifyChannel), dispatcher_(dispatcher) {}
    void operator()(const std::string& /*tenant_id*/, int /*backend_pid*/) override {
      dispatcher_.wake();
    }

   private:
    Dispatcher& dispatcher_;
  };
  while (!stopping_) {
    try {
      pqxx::connection connection(listen_url_);
      Receiver receiver(connection, *this);
      connection.get_notifs();  // issues the LISTEN
      wake();                   // anything committed before LISTEN took effect
      while (!stopping_) connection.await_notification(0, 200000);
    } catch (const std::exception& e) {
      log::warn("event listener reconnecting", {{"error", e.what()}});
      std::unique_lock lock(mutex_);
      wakeup_.wait_for(lock, std::chrono::seconds(1), [this] { return stopping_.load(); });
    }
  }
}

std::size_t Dispatcher::sweep(std::chrono::milliseconds& next_due) {
  std::vector<std::pair<std::string, long long>> tenants;
  {
    auto connection = pool_.acquire();
    try {
      pqxx::work tx(connection.get());
      for (const auto& row :
           tx.exec("SELECT tenant_id::text, due_in_ms FROM fk_event_tenants_pending()")) {
        tenants.emplace_back(row[0].as<std::string>(), row[1].as<long long>());
      }
      tx.commit();
    } catch (const pqxx::broken_connection&) {
      connection.mark_broken();
      throw;
    }
  }
  std::size_t attempted = 0;
  for (const auto& [tenant_id, due_in_ms] : tenants) {
    if (stopping_) break;
    if (due_in_ms > 0) {
      next_due = std::min(next_due, std::chrono::milliseconds(due_in_ms));
      continue;
    }
    try {
      attempted += deliver_tenant(tenant_id);
    } catch (const std::exception& e) {
      // One tenant's trouble (e.g. a lost connection) must not starve the others.
      log::warn("event delivery failed for tenant", {{"tenantId", tenant_id}, {"error", e.what()}});
    }
  }
  return attempted;
}

std::size_t Dispatcher::deliver_tenant(const std::string& tenant_id) {
  std::size_t attempted = 0;
  for (int round = 0; round < kMaxRoundsPerTenant && !stopping_; ++round) {
    std::vector<Candidate> candidates;
    {
      db::TenantTransaction tx(pool_, tenant_id);
      const auto rows = tx.work().exec_params(
          std::string("SELECT d.event_id::text, d.subscriber FROM fk_event_deliveries d "
                      "WHERE d.status = 'pending' AND d.next_attempt_at <= now() AND ") +
              sql::kNotBlocked + " ORDER BY d.seq, d.subscriber LIMIT $1",
          static_cast<long long>(std::max<std::size_t>(1, options_.batch_size)));
      for (const auto& row : rows) {
        candidates.push_back({row[0].as<std::string>(), row[1].as<std::string>()});
      }
    }
    std::size_t delivered = 0;
    for (const auto& candidate : candidates) {
      if (stopping_) break;
      const auto result = deliver_one(tenant_id, candidate.event_id, candidate.subscriber);
      if (result != Attempt::skipped) ++attempted;
      if (result == Attempt::delivered) ++delivered;
      if (result == Attempt::failed) ++failed_;
    }
    // A delivery may have released the next event of its aggregate; without
    // one, another round would select the same (failed or locked) rows.
    if (delivered == 0) break;
  }
  return attempted;
}

Dispatcher::Attempt Dispatcher::deliver_one(const std::string& tenant_id,
                                            const std::string& event_id,
                                            const std::string& subscriber) {
  DeliveredEvent event;
  int attempts_before = 0;
  std::string error;
  {
    db::TenantTransaction tx(pool_, tenant_id);
    auto& work = tx.work();
    // Locks the delivery for the whole attempt; a concurrent dispatcher
    // skips it rather than delivering it twice. The conditions are checked
    // again because the candidate list is already stale.
    const auto rows = work.exec_params(
        std::string("SELECT d.attempts, o.type, o.source, o.aggregate_type, o.aggregate_id, "
                    "o.payload::text, coalesce(o.metadata->>'userId', ''), "
                    "coalesce(o.metadata->>'correlationId', ''), "
                    "coalesce(o.metadata->>'causationId', ''), "
                    "to_char(o.occurred_at AT TIME ZONE 'UTC', ") +
            sql::kRfc3339 +
            "), floor(extract(epoch FROM o.occurred_at) * 1000)::bigint, o.version "
            "FROM fk_event_deliveries d JOIN fk_outbox o "
            "ON o.tenant_id = d.tenant_id AND o.event_id = d.event_id "
            "WHERE d.event_id = $1::uuid AND d.subscriber = $2 AND d.status = 'pending' "
            "AND d.next_attempt_at <= now() AND " +
            sql::kNotBlocked + " FOR UPDATE OF d SKIP LOCKED",
        event_id, subscriber);
    if (rows.empty()) return Attempt::skipped;
    const auto& row = rows[0];
    attempts_before = row[0].as<int>();
    event.id = event_id;
    event.type = row[1].as<std::string>();
    event.source = row[2].as<std::string>();
    event.aggregate_type = row[3].as<std::string>();
    event.aggregate_id = row[4].as<std::string>();
    event.payload_json = row[5].as<std::string>();
    event.principal = row[6].as<std::string>();
    event.correlation_id = row[7].as<std::string>();
    event.causation_id = row[8].as<std::string>();
    event.occurred_at = row[9].as<std::string>();
    event.occurred_at_ms = row[10].as<long long>();
    event.version = row[11].as<int>();
    event.attempt = attempts_before + 1;

    // The handler runs after a savepoint: on failure its writes are rolled
    // back while the row lock (and this transaction) survive to record it.
    work.exec("SAVEPOINT fk_event_delivery");
    DeliveryOutcome outcome;
    try {
      outcome = sink_.deliver(subscriber, work, tenant_id, event);
    } catch (const std::exception& e) {
      outcome = {false, std::string("handler threw: ") + e.what()};
    } catch (...) {
      outcome = {false, "handler threw a non-standard exception"};
    }
    try {
      if (outcome.ok) {
        work.exec("RELEASE SAVEPOINT fk_event_delivery");
        work.exec_params(
            "UPDATE fk_event_deliveries SET status = 'delivered', attempts = attempts + 1, "
            "delivered_at = now() WHERE event_id = $1::uuid AND subscriber = $2",
            event_id, subscriber);
        tx.commit();
        ++delivered_;
        return Attempt::delivered;
      }
      error = bounded(outcome.error);
      work.exec("ROLLBACK TO SAVEPOINT fk_event_delivery");
      const bool dead =
          record_failure(work, options_, tenant_id, event_id, subscriber, attempts_before, error);
      tx.commit();
      if (dead) ++dead_lettered_;
      return Attempt::failed;
    } catch (const std::exception& e) {
      // The handler left the transaction unusable, or the commit failed
      // (e.g. a deferred constraint of the handler's writes): record the
      // failure below in a fresh transaction.
      if (error.empty()) error = bounded(std::string("commit failed: ") + e.what());
    }
  }
  // The lock is gone with the failed transaction (record_failure's guard
  // counts the attempt only if nobody attempted the delivery since).
  db::TenantTransaction tx(pool_, tenant_id);
  const bool dead =
      record_failure(tx.work(), options_, tenant_id, event_id, subscriber, attempts_before, error);
  tx.commit();
  if (dead) ++dead_lettered_;
  return Attempt::failed;
}

}  // namespace fk::events
