#pragma once
// Runs plugin callbacks on a fixed set of worker threads so the calling
// thread can stop waiting at a deadline. In-process code cannot be
// cancelled: a callback past its deadline keeps its worker until it
// returns, but its request has already been answered and its transaction
// taken away (TransactionSlot), so it can do no more harm than burn a thread.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace fk::plugins {

class CallExecutor {
 public:
  // threads == 0: callbacks run on the caller's thread, without a deadline.
  explicit CallExecutor(std::size_t threads);
  ~CallExecutor();  // waits for running callbacks, then joins
  CallExecutor(const CallExecutor&) = delete;
  CallExecutor& operator=(const CallExecutor&) = delete;

  // Runs `task`; true if it finished within `deadline`. The task must own
  // (shared_ptr) everything it touches: it may outlive this call.
  bool run(std::function<void()> task, std::chrono::milliseconds deadline);

 private:
  struct Job {
    std::function<void()> task;
    std::mutex mutex;
    std::condition_variable finished_cv;
    bool started = false;
    bool finished = false;
    bool cancelled = false;  // timed out before a worker took it: never runs
  };
  void work();

  std::mutex mutex_;
  std::condition_variable queued_cv_;
  std::deque<std::shared_ptr<Job>> queue_;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace fk::plugins
