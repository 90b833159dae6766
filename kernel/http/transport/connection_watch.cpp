#include "http/transport/connection_watch.hpp"

#include <sys/socket.h>
#include <unistd.h>

namespace fk::http::transport {

ConnectionWatch::ConnectionWatch(int fd, Clock::time_point idle_deadline)
    : fd_(fd), deadline_(idle_deadline) {}

bool ConnectionWatch::enter(Phase phase, Clock::time_point deadline) {
  std::lock_guard lock(mutex_);
  if (expired_ || torn_down_) return false;
  phase_ = phase;
  deadline_ = deadline;
  return true;
}

bool ConnectionWatch::begin_output() {
  std::lock_guard lock(mutex_);
  if (expired_ || torn_down_) return false;
  ++pending_outputs_;
  return true;
}

void ConnectionWatch::end_output(bool then_close, Clock::time_point linger_deadline) {
  std::lock_guard lock(mutex_);
  if (pending_outputs_ > 0) --pending_outputs_;
  if (!then_close || torn_down_) return;
  ::shutdown(fd_, SHUT_WR);
  phase_ = Phase::Closing;
  deadline_ = linger_deadline;
}

void ConnectionWatch::abort() {
  std::lock_guard lock(mutex_);
  expired_ = true;
  if (!torn_down_) ::shutdown(fd_, SHUT_RDWR);
}

void ConnectionWatch::mark_torn_down() {
  std::lock_guard lock(mutex_);
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
  // A 408 may only be written when no response bytes of ours are queued:
  // otherwise it would land inside (or ahead of) that response.
  const bool request_in_progress = phase_ == Phase::Head || phase_ == Phase::Body;
  return request_in_progress && pending_outputs_ == 0 ? Due::TimeoutResponse : Due::Close;
}

void ConnectionWatch::expire(Clock::time_point now, std::string_view timeout_response) {
  std::lock_guard lock(mutex_);
  const Due due = due_locked(now);
  if (due == Due::No) return;
  expired_ = true;
  if (due == Due::TimeoutResponse && !timeout_response.empty()) {
    // Best effort and non-blocking: a peer whose receive window is full is
    // not reading, and gets the close alone.
    [[maybe_unused]] const auto sent = ::send(fd_, timeout_response.data(),
                                              timeout_response.size(),
                                              MSG_NOSIGNAL | MSG_DONTWAIT);
  }
  // Pistache's reactor sees the hang-up, reads EOF and tears the peer down
  // on its own thread (onDisconnection, then close).
  ::shutdown(fd_, SHUT_RDWR);
}

void ConnectionWatch::close_if_open() {
  std::lock_guard lock(mutex_);
  if (torn_down_) return;
  torn_down_ = true;
  ::close(fd_);
}

}  // namespace fk::http::transport
