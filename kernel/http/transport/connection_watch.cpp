#include "http/transport/connection_watch.hpp"

#include "http/transport/write_poller.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <utility>

namespace fk::http::transport {

namespace {

// A client that keeps pipelining without reading would otherwise make the
// parked output grow without bound; past this the connection is dropped.
constexpr std::size_t kMaxParkedBytes = std::size_t{8} * 1024 * 1024;
// Parked buffers keep their capacity; release big ones once drained.
constexpr std::size_t kRetainedParkedCapacity = std::size_t{64} * 1024;

std::uint64_t next_id() {
  static std::atomic<std::uint64_t> counter{0};
  return ++counter;  // never 0: the poller's wake tag
}

// Sends as much of `bytes` as the kernel takes now, advancing `bytes`;
// false on a socket error (EAGAIN is not one).
bool send_some(int fd, std::string_view& bytes) {
  while (!bytes.empty()) {
    const auto sent = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (sent > 0) {
      bytes.remove_prefix(static_cast<std::size_t>(sent));
    } else if (sent < 0 && errno == EINTR) {
      continue;
    } else if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      return true;
    } else {
      return false;
    }
  }
  return true;
}

}  // namespace

ConnectionWatch::ConnectionWatch(int fd, std::shared_ptr<WritePoller> poller,
                                 Clock::duration linger, Clock::time_point idle_deadline)
    : fd_(fd),
      id_(next_id()),
      poller_(std::move(poller)),
      linger_(linger),
      deadline_(idle_deadline) {}

bool ConnectionWatch::enter(Phase phase, Clock::time_point deadline) {
  std::lock_guard lock(mutex_);
  if (expired_ || torn_down_) return false;
  // A final response already decided the connection's fate.
  if (phase_ == Phase::Closing) return false;
  phase_ = phase;
  deadline_ = deadline;
  return true;
}

bool ConnectionWatch::begin_output() {
  std::lock_guard lock(mutex_);
  if (expired_ || torn_down_) return false;
  ++reserved_outputs_;
  return true;
}

void ConnectionWatch::write(std::string_view bytes, bool then_close) {
  std::lock_guard lock(mutex_);
  if (reserved_outputs_ > 0) --reserved_outputs_;
  if (expired_ || torn_down_) return;
  if (then_close) {
    // Until the last byte is out, the current deadline (idle_timeout, set
    // by the session) bounds how long a non-reading client may hold us.
    close_when_drained_ = true;
    phase_ = Phase::Closing;
  }
  if (!parked_.empty()) return park(bytes);  // keep order behind parked bytes
  if (!send_some(fd_, bytes)) return abort_locked();
  if (!bytes.empty()) return park(bytes);
  if (close_when_drained_) half_close_locked();
}

void ConnectionWatch::drain() {
  std::lock_guard lock(mutex_);
  if (torn_down_ || parked_.empty()) return;
  std::string_view rest(parked_);
  if (!send_some(fd_, rest)) return abort_locked();
  parked_.erase(0, parked_.size() - rest.size());
  if (!parked_.empty()) return;  // wait for the next writable edge
  unpark_locked();
  if (close_when_drained_) half_close_locked();
}

void ConnectionWatch::park(std::string_view bytes) {
  parked_.append(bytes);
  if (parked_.size() > kMaxParkedBytes) return abort_locked();
  if (!registered_) {
    registered_ = true;
    poller_->watch(fd_, id_, shared_from_this());
  }
}

void ConnectionWatch::half_close_locked() {
  // FIN after the response; the client reads it, then EOF, and closes.
  ::shutdown(fd_, SHUT_WR);
  phase_ = Phase::Closing;
  deadline_ = Clock::now() + linger_;
}

void ConnectionWatch::abort() {
  std::lock_guard lock(mutex_);
  if (!torn_down_) abort_locked();
}

void ConnectionWatch::abort_locked() {
  expired_ = true;
  unpark_locked();
  ::shutdown(fd_, SHUT_RDWR);
}

void ConnectionWatch::unpark_locked() {
  if (registered_) {
    registered_ = false;
    poller_->unwatch(fd_, id_);
  }
  parked_.clear();
  if (parked_.capacity() > kRetainedParkedCapacity) std::string().swap(parked_);
}

void ConnectionWatch::mark_torn_down() {
  std::lock_guard lock(mutex_);
  if (torn_down_) return;
  unpark_locked();
  torn_down_ = true;
}

bool ConnectionWatch::expired() const {
  std::lock_guard lock(mutex_);
  return expired_;
}

ConnectionWatch::Due ConnectionWatch::due(Clock::time_point now) const {
  std::lock_guard lock(mutex_);
  return due_locked(now);
}

ConnectionWatch::Due ConnectionWatch::due_locked(Clock::time_point now) const {
  if (torn_down_ || expired_ || phase_ == Phase::Busy || now < deadline_) return Due::No;
  // A 408 may only be written when none of our response bytes are pending:
  // otherwise it would land inside (or ahead of) that response.
  const bool request_in_progress = phase_ == Phase::Head || phase_ == Phase::Body;
  const bool quiet = reserved_outputs_ == 0 && parked_.empty();
  return request_in_progress && quiet ? Due::TimeoutResponse : Due::Close;
}

void ConnectionWatch::expire(Clock::time_point now, std::string_view timeout_response) {
  std::lock_guard lock(mutex_);
  const Due due = due_locked(now);
  if (due == Due::No) return;
  if (due == Due::TimeoutResponse && !timeout_response.empty()) {
    // Best effort: a peer whose receive window is full is not reading, and
    // gets the close alone.
    [[maybe_unused]] const bool sent = send_some(fd_, timeout_response);
  }
  abort_locked();
}

void ConnectionWatch::close_if_open() {
  std::lock_guard lock(mutex_);
  if (torn_down_) return;
  unpark_locked();
  torn_down_ = true;
  ::close(fd_);
}

}  // namespace fk::http::transport
