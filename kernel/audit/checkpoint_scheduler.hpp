#pragma once
// Periodic signed checkpoints (docs/audit.md, "Checkpoints"): every
// `interval`, the head of every audit chain (each tenant's and the platform
// chain) that moved since its last checkpoint under the current audit key is
// verified and signed (audit::sign_checkpoint). Runs on its own thread;
// errors are logged, never thrown; stop() returns promptly (condition
// variable), also in the middle of a wait.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace fk::audit {

struct CheckpointRound {
  std::size_t signed_chains = 0;  // checkpoints written this round
  std::size_t skipped = 0;        // chains whose head had not moved
  std::size_t failed = 0;         // chains that could not be signed (logged)
};

class CheckpointScheduler {
 public:
  // `owner_url`: the owner role (lists tenants; RLS still scopes each chain).
  // `audit_key_file`: loaded (or created, 0600) at the first round, not here.
  // `interval` zero: start() does nothing. `only_chains` empty: every chain
  // (each tenant's and the platform chain); otherwise just those (tests).
  CheckpointScheduler(std::string owner_url, std::filesystem::path audit_key_file,
                      std::chrono::seconds interval, std::vector<std::string> only_chains = {});
  ~CheckpointScheduler();  // stops
  CheckpointScheduler(const CheckpointScheduler&) = delete;
  CheckpointScheduler& operator=(const CheckpointScheduler&) = delete;

  void start();
  void stop();

  // One round now, on the caller's thread (the thread runs the same).
  CheckpointRound run_once();

  // Rounds completed by the thread (tests wait on it).
  [[nodiscard]] std::size_t rounds() const;

 private:
  void loop();
  CheckpointRound run_round(bool interruptible);

  std::string owner_url_;
  std::filesystem::path audit_key_file_;
  std::chrono::seconds interval_;
  std::vector<std::string> only_chains_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::size_t rounds_ = 0;
  std::thread thread_;
};

}  // namespace fk::audit
