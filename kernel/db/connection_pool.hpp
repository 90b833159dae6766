#pragma once
// A bounded pool of libpqxx connections (libpqxx has none). Connections are
// opened lazily up to `size`; a caller waits at most `acquire_timeout` for one.
// A connection that broke (server restart, network) is detected before it is
// handed out, or reported broken by its user, and replaced, so the kernel
// recovers from a PostgreSQL restart without being restarted itself.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "db/connection.hpp"

namespace fk::db {

// No connection became free in time, or none could be opened.
class PoolUnavailable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct PoolStats {
  std::size_t size = 0;  // configured maximum
  std::size_t in_use = 0;
  std::size_t idle = 0;
  std::uint64_t waits = 0;     // acquisitions that had to wait
  std::uint64_t timeouts = 0;  // acquisitions that gave up
  std::uint64_t replaced = 0;  // broken connections discarded
};

class ConnectionPool;

// Exclusive use of one connection; returns it to the pool when destroyed.
class PooledConnection {
 public:
  PooledConnection(PooledConnection&& other) noexcept;
  PooledConnection& operator=(PooledConnection&&) = delete;
  PooledConnection(const PooledConnection&) = delete;
  ~PooledConnection();

  Connection& get() { return *connection_; }
  Connection* operator->() { return connection_.get(); }
  // Tells the pool not to reuse this connection (it failed mid-use).
  void mark_broken() { broken_ = true; }

 private:
  friend class ConnectionPool;
  PooledConnection(ConnectionPool* pool, std::unique_ptr<Connection> connection);

  ConnectionPool* pool_;
  std::unique_ptr<Connection> connection_;
  bool broken_ = false;
};

class ConnectionPool {
 public:
  ConnectionPool(std::string url, std::size_t size, std::chrono::milliseconds acquire_timeout);
  ~ConnectionPool();
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  // Throws PoolUnavailable when the wait times out or the server cannot be reached.
  PooledConnection acquire();
  [[nodiscard]] PoolStats stats() const;

 private:
  friend class PooledConnection;
  void release(std::unique_ptr<Connection> connection, bool broken) noexcept;

  const std::string url_;
  const std::size_t size_;
  const std::chrono::milliseconds acquire_timeout_;
  mutable std::mutex mutex_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<Connection>> idle_;
  std::size_t open_ = 0;  // idle + in use + being opened
  std::uint64_t waits_ = 0;
  std::uint64_t timeouts_ = 0;
  std::uint64_t replaced_ = 0;
};

}  // namespace fk::db
