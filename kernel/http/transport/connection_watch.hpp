#pragma once
// The part of one connection that two threads share: the reactor thread that
// owns the connection, and the sweeper thread that enforces its deadlines.
//
// Every operation on the socket from here happens under `mutex_` and only
// while `torn_down_` is false. The reactor thread sets `torn_down_` (under
// the same mutex) from onDisconnection, which Pistache calls *before* it
// closes the fd, so the sweeper can never shutdown() or send() on an fd
// that was closed and possibly reused by a newer connection.

#include <chrono>
#include <cstddef>
#include <mutex>
#include <string_view>

namespace fk::http::transport {

class ConnectionWatch {
 public:
  using Clock = std::chrono::steady_clock;

  enum class Phase {
    Idle,     // keep-alive, no request in progress: close silently when due
    Head,     // request line/headers arriving: 408 when due
    Body,     // body arriving: 408 when due
    Busy,     // inside the handler: no deadline
    Closing,  // final response queued/sent, waiting for the client to leave
  };

  enum class Due { No, Close, TimeoutResponse };

  ConnectionWatch(int fd, Clock::time_point idle_deadline);

  // --- reactor thread ---
  // Moves to `phase`; false once the sweeper has expired the connection.
  bool enter(Phase phase, Clock::time_point deadline);
  // Reserves the socket for a response; false once expired. While output is
  // pending the sweeper never writes its own 408 into the stream.
  bool begin_output();
  // The bytes of one begin_output() reached the kernel. With `then_close`,
  // half-closes (FIN after the response) and lingers until `linger_deadline`
  // so unread client bytes cannot turn the close into a reset that destroys
  // the response in flight.
  void end_output(bool then_close, Clock::time_point linger_deadline);
  // Forces Pistache's reactor to tear the connection down (it sees EOF).
  void abort();
  // Pistache is about to close the fd: never touch it again.
  void mark_torn_down();
  [[nodiscard]] bool expired() const;

  // --- sweeper thread ---
  [[nodiscard]] Due due(Clock::time_point now) const;
  // Acts on an expired deadline (re-checked under the lock): optionally
  // writes `timeout_response`, then shuts the socket down both ways so the
  // reactor sees EOF and tears the peer down on its own thread.
  void expire(Clock::time_point now, std::string_view timeout_response);

  // --- Server::stop(), after every reactor thread was joined ---
  // Pistache 0.0.5 does not close peers still open at shutdown.
  void close_if_open();

 private:
  [[nodiscard]] Due due_locked(Clock::time_point now) const;

  mutable std::mutex mutex_;
  const int fd_;
  Phase phase_ = Phase::Idle;
  Clock::time_point deadline_;
  std::size_t pending_outputs_ = 0;
  bool expired_ = false;
  bool torn_down_ = false;
};

}  // namespace fk::http::transport
