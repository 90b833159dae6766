#include "plugins/call_executor.hpp"

#include "log/json_log.hpp"

namespace fk::plugins {

CallExecutor::CallExecutor(std::size_t threads) {
  workers_.reserve(threads);
  for (std::size_t i = 0; i < threads; ++i) workers_.emplace_back([this] { work(); });
}

CallExecutor::~CallExecutor() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  queued_cv_.notify_all();
  for (auto& worker : workers_) worker.join();
}

bool CallExecutor::run(std::function<void()> task, std::chrono::milliseconds deadline) {
  if (workers_.empty()) {
    task();
    return true;
  }
  auto job = std::make_shared<Job>();
  job->task = std::move(task);
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(job);
  }
  queued_cv_.notify_one();
  std::unique_lock lock(job->mutex);
  if (job->finished_cv.wait_for(lock, deadline, [&] { return job->finished; })) return true;
  if (!job->started) job->cancelled = true;
  return false;
}

void CallExecutor::work() {
  for (;;) {
    std::shared_ptr<Job> job;
    {
      std::unique_lock lock(mutex_);
      queued_cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, nothing left
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    {
      std::lock_guard lock(job->mutex);
      if (job->cancelled) continue;
      job->started = true;
    }
    try {
      job->task();
    } catch (const std::exception& e) {
      log::error("plugin call task threw", {{"error", e.what()}});
    } catch (...) {
      log::error("plugin call task threw");
    }
    {
      std::lock_guard lock(job->mutex);
      job->finished = true;
    }
    job->finished_cv.notify_all();
  }
}

}  // namespace fk::plugins
