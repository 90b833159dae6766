#pragma once
// One thread per Server that enforces header/body/idle deadlines. Deadlines
// live in each connection's ConnectionWatch; the sweeper scans them
// periodically instead of arming a timer per connection: Pistache 0.0.5's
// Transport::armTimer needs a timerfd per connection and refuses to re-arm a
// timer that has not fired yet, while a connection's deadline changes with
// every phase (idle, head, body) of every request.

#include "http/transport/connection_watch.hpp"

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

namespace fk::http::transport {

class Sweeper {
 public:
  // Renders the complete 408 response (wire bytes); called only when needed.
  using TimeoutResponse = std::function<std::string()>;

  Sweeper(std::chrono::milliseconds period, TimeoutResponse timeout_response);
  ~Sweeper();
  Sweeper(const Sweeper&) = delete;
  Sweeper& operator=(const Sweeper&) = delete;

  void add(std::shared_ptr<ConnectionWatch> watch);
  void remove(const ConnectionWatch* watch);

  // Stops and joins the thread; idempotent. The registry stays usable.
  void stop();
  // Closes connections Pistache left open at shutdown; call after stop()
  // and after every reactor thread was joined.
  void close_all();

 private:
  void run();
  void sweep(ConnectionWatch::Clock::time_point now);

  const std::chrono::milliseconds period_;
  const TimeoutResponse timeout_response_;

  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::unordered_map<const ConnectionWatch*, std::shared_ptr<ConnectionWatch>> watches_;
  // Sweeper-thread scratch, reused so a sweep does not allocate.
  std::vector<std::pair<std::shared_ptr<ConnectionWatch>, ConnectionWatch::Due>> due_;
  std::thread thread_;  // last: starts after every member above exists
};

}  // namespace fk::http::transport
