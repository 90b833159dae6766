#pragma once
// Finishes writes the kernel could not take at once. The reactor thread
// sends responses with a non-blocking send(); only a remainder (slow or
// non-reading client) is parked in the connection and handed here, and this
// thread drains it when epoll reports the socket writable.
//
// Why not Pistache's write queue (Peer::send / Transport::asyncWrite): in
// 0.0.5, Transport::asyncWriteImpl retries immediately after EAGAIN (its
// outer loop only stops once the queue is empty), so one client that stops
// reading pins its reactor thread at 100 % CPU and stalls every other
// connection on it; its queue is also keyed by fd, so a queued write can
// reach a newer connection that reused the fd.

#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>

namespace fk::http::transport {

class ConnectionWatch;

class WritePoller {
 public:
  WritePoller();
  ~WritePoller();
  WritePoller(const WritePoller&) = delete;
  WritePoller& operator=(const WritePoller&) = delete;

  // Both are called by ConnectionWatch with its own mutex held, so the fd is
  // open; lock order is always watch -> poller.
  void watch(int fd, std::uint64_t id, std::shared_ptr<ConnectionWatch> connection);
  void unwatch(int fd, std::uint64_t id);

  // Stops and joins the thread; idempotent. watch/unwatch stay callable.
  void stop();

 private:
  void run();

  int epoll_fd_ = -1;
  int wake_fd_ = -1;  // eventfd: stop()
  std::mutex mutex_;
  std::unordered_map<std::uint64_t, std::shared_ptr<ConnectionWatch>> parked_;
  std::thread thread_;
};

}  // namespace fk::http::transport
