#pragma once
// The half of one connection that several threads share: the reactor thread
// that owns the connection, the sweeper that enforces its deadlines and the
// write poller that finishes its slow writes. Every syscall on the socket is
// made here, under `mutex_`, and only while `torn_down_` is false.
//
// The reactor thread sets `torn_down_` (under the same mutex) from
// onDisconnection, which Pistache calls *before* it closes the fd, so no
// other thread can ever send() or shutdown() an fd that was closed and
// perhaps reused by a newer connection.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace fk::http::transport {

class WritePoller;

class ConnectionWatch : public std::enable_shared_from_this<ConnectionWatch> {
 public:
  using Clock = std::chrono::steady_clock;

  enum class Phase {
    Idle,     // keep-alive, no request in progress: close silently when due
    Head,     // request line/headers arriving: 408 when due
    Body,     // body arriving: 408 when due
    Busy,     // inside the handler: no deadline
    Closing,  // final response written or parked, waiting for the client to leave
  };

  enum class Due { No, Close, TimeoutResponse };

  // `linger`: how long a half-closed connection may wait for the client.
  ConnectionWatch(int fd, std::shared_ptr<WritePoller> poller, Clock::duration linger,
                  Clock::time_point idle_deadline);
  ConnectionWatch(const ConnectionWatch&) = delete;
  ConnectionWatch& operator=(const ConnectionWatch&) = delete;

  // --- reactor thread ---
  // Moves to `phase`; false once the connection expired or was aborted.
  bool enter(Phase phase, Clock::time_point deadline);
  // Reserves the socket for responses being assembled; false once expired.
  // While reserved or parked, the sweeper never writes its own 408.
  bool begin_output();
  // Ends a reservation: sends `bytes` now (non-blocking); what the kernel
  // does not take is parked for the write poller, behind earlier parked
  // bytes. With `then_close`, half-closes after the last byte and lingers,
  // so unread client bytes cannot turn the close into a reset that destroys
  // the response in flight.
  void write(std::string_view bytes, bool then_close);
  // Shuts the socket down both ways: Pistache's reactor reads EOF and tears
  // the peer down on its own thread.
  void abort();
  // Pistache is about to close the fd: never touch it again.
  void mark_torn_down();
  [[nodiscard]] bool expired() const;

  // --- write poller thread ---
  void drain();

  // --- sweeper thread ---
  [[nodiscard]] Due due(Clock::time_point now) const;
  // Acts on a due deadline (re-checked under the lock): optionally writes
  // `timeout_response`, then shuts the socket down both ways.
  void expire(Clock::time_point now, std::string_view timeout_response);

  // --- Server::stop(), after every reactor thread was joined ---
  // Pistache 0.0.5 does not close peers still open at shutdown.
  void close_if_open();

 private:
  [[nodiscard]] Due due_locked(Clock::time_point now) const;
  void park(std::string_view bytes);
  void half_close_locked();
  void abort_locked();
  void unpark_locked();

  mutable std::mutex mutex_;
  const int fd_;
  const std::uint64_t id_;
  const std::shared_ptr<WritePoller> poller_;
  const Clock::duration linger_;

  Phase phase_ = Phase::Idle;
  Clock::time_point deadline_;
  std::size_t reserved_outputs_ = 0;
  std::string parked_;  // bytes the kernel has not taken yet
  bool close_when_drained_ = false;
  bool registered_ = false;  // parked with the write poller
  bool expired_ = false;
  bool torn_down_ = false;
};

}  // namespace fk::http::transport
