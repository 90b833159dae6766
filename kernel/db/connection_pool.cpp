#include "db/connection_pool.hpp"

#include "log/json_log.hpp"

#include <pqxx/pqxx>

#include <poll.h>

namespace fk::db {

namespace {

// An idle connection has nothing to read. If its socket is readable, the
// server either closed it (restart, idle kill) or sent an unsolicited
// error; either way it must not be reused. Costs a poll(), not a round trip.
bool looks_healthy(Connection& connection) {
  if (!connection.is_open()) return false;
  pollfd descriptor{connection.sock(), POLLIN, 0};
  const int ready = ::poll(&descriptor, 1, 0);
  return ready == 0;
}

}  // namespace

PooledConnection::PooledConnection(ConnectionPool* pool, std::unique_ptr<Connection> connection)
    : pool_(pool), connection_(std::move(connection)) {}

PooledConnection::PooledConnection(PooledConnection&& other) noexcept
    : pool_(other.pool_), connection_(std::move(other.connection_)), broken_(other.broken_) {
  other.pool_ = nullptr;
}

PooledConnection::~PooledConnection() {
  if (pool_ && connection_) pool_->release(std::move(connection_), broken_);
}

ConnectionPool::ConnectionPool(std::string url, std::size_t size,
                               std::chrono::milliseconds acquire_timeout)
    : url_(std::move(url)), size_(size), acquire_timeout_(acquire_timeout) {}

ConnectionPool::~ConnectionPool() = default;

PooledConnection ConnectionPool::acquire() {
  const auto deadline = std::chrono::steady_clock::now() + acquire_timeout_;
  std::unique_lock lock(mutex_);
  bool waited = false;
  for (;;) {
    while (!idle_.empty()) {
      auto connection = std::move(idle_.back());
      idle_.pop_back();
      if (looks_healthy(*connection)) return PooledConnection(this, std::move(connection));
      --open_;
      ++replaced_;
    }
    if (open_ < size_) break;
    if (!waited) {
      waited = true;
      ++waits_;
    }
    if (available_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() &&
        open_ >= size_) {
      ++timeouts_;
      throw PoolUnavailable("no database connection became free within " +
                            std::to_string(acquire_timeout_.count()) + " ms");
    }
  }
  ++open_;  // reserve the slot, then connect without holding the lock
  lock.unlock();
  try {
    return PooledConnection(this, std::make_unique<Connection>(url_));
  } catch (const std::exception& e) {
    lock.lock();
    --open_;
    available_.notify_one();
    log::warn("database connection failed", {{"error", e.what()}});
    throw PoolUnavailable("cannot connect to the database");
  }
}

void ConnectionPool::release(std::unique_ptr<Connection> connection, bool broken) noexcept {
  std::lock_guard lock(mutex_);
  if (broken || !connection->is_open()) {
    --open_;
    ++replaced_;
    connection.reset();
  } else {
    idle_.push_back(std::move(connection));
  }
  available_.notify_one();
}

PoolStats ConnectionPool::stats() const {
  std::lock_guard lock(mutex_);
  return PoolStats{size_, open_ - idle_.size(), idle_.size(), waits_, timeouts_, replaced_};
}

}  // namespace fk::db
