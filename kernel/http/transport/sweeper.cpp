#include "http/transport/sweeper.hpp"

namespace fk::http::transport {

Sweeper::Sweeper(std::chrono::milliseconds period, TimeoutResponse timeout_response)
    : period_(period), timeout_response_(std::move(timeout_response)), thread_([this] { run(); }) {}

Sweeper::~Sweeper() {
  stop();
}

void Sweeper::add(std::shared_ptr<ConnectionWatch> watch) {
  std::lock_guard lock(mutex_);
  const auto* key = watch.get();
  watches_.emplace(key, std::move(watch));
}

void Sweeper::remove(const ConnectionWatch* watch) {
  std::lock_guard lock(mutex_);
  watches_.erase(watch);
}

void Sweeper::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Sweeper::close_all() {
  std::lock_guard lock(mutex_);
  for (auto& entry : watches_) entry.second->close_if_open();
  watches_.clear();
}

void Sweeper::run() {
  std::unique_lock lock(mutex_);
  while (!wake_.wait_for(lock, period_, [this] { return stopping_; })) {
    const auto now = ConnectionWatch::Clock::now();
    for (const auto& entry : watches_) {
      const auto due = entry.second->due(now);
      if (due != ConnectionWatch::Due::No) due_.emplace_back(entry.second, due);
    }
    if (due_.empty()) continue;
    // Act without the registry lock: rendering runs pipeline code, and
    // accepting or tearing down connections must not wait for it.
    lock.unlock();
    sweep(now);
    lock.lock();
  }
}

void Sweeper::sweep(ConnectionWatch::Clock::time_point now) {
  std::string response;
  bool rendered = false;
  for (const auto& [watch, due] : due_) {
    if (due == ConnectionWatch::Due::TimeoutResponse && !rendered) {
      rendered = true;
      try {
        response = timeout_response_();
      } catch (...) {
        response.clear();  // close without a 408 rather than not at all
      }
    }
    watch->expire(now, response);
  }
  due_.clear();
}

}  // namespace fk::http::transport
