#include "http/transport/write_poller.hpp"

#include "http/transport/connection_watch.hpp"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <system_error>
#include <utility>

namespace fk::http::transport {

namespace {
// Connection ids start at 1; 0 tags the stop eventfd.
constexpr std::uint64_t kWakeTag = 0;
}  // namespace

WritePoller::WritePoller() {
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (epoll_fd_ < 0 || wake_fd_ < 0) {
    const int error = errno;
    if (epoll_fd_ >= 0) ::close(epoll_fd_);
    if (wake_fd_ >= 0) ::close(wake_fd_);
    throw std::system_error(error, std::generic_category(), "write poller");
  }
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.u64 = kWakeTag;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &event);
  thread_ = std::thread([this] { run(); });
}

WritePoller::~WritePoller() {
  stop();
  {
    // Parked connections hold a reference to us; drop theirs here.
    std::lock_guard lock(mutex_);
    parked_.clear();
  }
  ::close(wake_fd_);
  ::close(epoll_fd_);
}

void WritePoller::watch(int fd, std::uint64_t id, std::shared_ptr<ConnectionWatch> connection) {
  {
    std::lock_guard lock(mutex_);
    parked_[id] = std::move(connection);
  }
  // Edge-triggered: registering a socket that is already writable reports
  // it at once, so a wakeup between EAGAIN and here is not lost.
  epoll_event event{};
  event.events = EPOLLOUT | EPOLLET;
  event.data.u64 = id;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event);
}

void WritePoller::unwatch(int fd, std::uint64_t id) {
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
  std::shared_ptr<ConnectionWatch> released;  // destroyed after the lock
  std::lock_guard lock(mutex_);
  if (auto it = parked_.find(id); it != parked_.end()) {
    released = std::move(it->second);
    parked_.erase(it);
  }
}

void WritePoller::stop() {
  if (!thread_.joinable()) return;
  const std::uint64_t one = 1;
  [[maybe_unused]] const auto written = ::write(wake_fd_, &one, sizeof one);
  thread_.join();
}

void WritePoller::run() {
  std::array<epoll_event, 64> events{};
  for (;;) {
    const int ready = ::epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()), -1);
    if (ready < 0) {
      if (errno == EINTR) continue;
      return;
    }
    for (int i = 0; i < ready; ++i) {
      const auto id = events[static_cast<std::size_t>(i)].data.u64;
      if (id == kWakeTag) return;
      std::shared_ptr<ConnectionWatch> connection;
      {
        // An event harvested just before unwatch() finds nothing here.
        std::lock_guard lock(mutex_);
        if (auto it = parked_.find(id); it != parked_.end()) connection = it->second;
      }
      if (connection) connection->drain();
    }
  }
}

}  // namespace fk::http::transport
