#pragma once
// Delivers pending events from the outbox to their subscribers: per tenant,
// per subscriber, in publication order per aggregate, at least once, with
// exponential backoff and dead letters (docs/architecture.md, "Events").
//
// Nothing lives only in memory: every decision is a row in
// fk_event_deliveries, so a kernel killed at any point redelivers what was
// not marked delivered when it starts again (start() sweeps every tenant at
// once, then every poll_interval, and whenever LISTEN 'fk_events' fires).
// Any number of dispatchers may run against one database: a delivery is
// locked FOR UPDATE SKIP LOCKED while its handler runs, so no two of them
// deliver the same delivery concurrently.

#include "db/connection_pool.hpp"
#include "events/event_sink.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

namespace fk::events {

struct DispatcherOptions {
  std::chrono::milliseconds poll_interval{1000};  // sweep period without notifications
  int max_attempts = 8;                           // the last failed attempt dead-letters
  std::chrono::milliseconds base_backoff{200};    // delay after the first failure
  std::chrono::milliseconds max_backoff{60000};   // cap of the doubling delay
  std::size_t batch_size = 100;                   // deliveries selected per tenant per round
};

// Counters since construction, for /metrics and logs.
struct DispatcherStats {
  std::uint64_t delivered = 0;      // attempts that succeeded
  std::uint64_t failed = 0;         // attempts that failed (including the dead-lettering ones)
  std::uint64_t dead_lettered = 0;  // deliveries that became dead letters
  std::uint64_t sweep_errors = 0;   // sweeps that failed (e.g. database unreachable)
};

// The delay before retry number `attempts` + 1 after `attempts` failures:
// min(max_backoff, base_backoff * 2^(attempts-1)), then "equal jitter"
// (uniform in [delay/2, delay]) so retries of many deliveries spread out
// while still growing with every failure.
std::chrono::milliseconds retry_delay(const DispatcherOptions& options, int attempts);

class Dispatcher {
 public:
  // `runtime_pool` opens the tenant transactions deliveries run in;
  // `runtime_url_for_listen` opens one dedicated connection for LISTEN.
  Dispatcher(db::ConnectionPool& runtime_pool, std::string runtime_url_for_listen, EventSink& sink,
             DispatcherOptions options);
  ~Dispatcher();  // stop()
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  // Starts the delivery and listener threads; the first sweep runs at once.
  void start();
  // Asks both threads to finish and joins them (a handler that is running
  // completes first). Idempotent.
  void stop();
  // Runs a sweep soon (e.g. after the caller committed a publication).
  void wake();
  // One synchronous pass over every tenant with deliverable events; returns
  // the number of delivery attempts made (successful or not). For tests and
  // for callers that need delivery before they continue.
  std::size_t deliver_due_now();
  [[nodiscard]] DispatcherStats stats() const;

 private:
  enum class Attempt { delivered, failed, skipped };

  std::size_t sweep(std::chrono::milliseconds& next_due);
  std::size_t deliver_tenant(const std::string& tenant_id);
  Attempt deliver_one(const std::string& tenant_id, const std::string& event_id,
                      const std::string& subscriber);
  void run_deliveries();
  void run_listener();

  db::ConnectionPool& pool_;
  const std::string listen_url_;
  EventSink& sink_;
  const DispatcherOptions options_;

  std::mutex mutex_;
  std::condition_variable wakeup_;
  bool woken_ = false;
  std::atomic<bool> stopping_{false};
  std::atomic<std::uint64_t> delivered_{0};
  std::atomic<std::uint64_t> failed_{0};
  std::atomic<std::uint64_t> dead_lettered_{0};
  std::atomic<std::uint64_t> sweep_errors_{0};
  std::thread delivery_thread_;
  std::thread listener_thread_;
};

}  // namespace fk::events
