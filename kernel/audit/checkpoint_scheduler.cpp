#include "audit/checkpoint_scheduler.hpp"

#include "audit/audit_checkpoint.hpp"
#include "audit/audit_key_file.hpp"
#include "audit/audit_record.hpp"
#include "log/json_log.hpp"

#include <pqxx/pqxx>

#include <vector>

namespace fk::audit {

CheckpointScheduler::CheckpointScheduler(std::string owner_url,
                                         std::filesystem::path audit_key_file,
                                         std::chrono::seconds interval,
                                         std::vector<std::string> only_chains)
    : owner_url_(std::move(owner_url)),
      audit_key_file_(std::move(audit_key_file)),
      interval_(interval),
      only_chains_(std::move(only_chains)) {}

CheckpointScheduler::~CheckpointScheduler() {
  stop();
}

void CheckpointScheduler::start() {
  if (interval_.count() <= 0 || thread_.joinable()) return;
  {
    std::lock_guard lock(mutex_);
    stopping_ = false;
  }
  thread_ = std::thread([this] { loop(); });
}

void CheckpointScheduler::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::size_t CheckpointScheduler::rounds() const {
  std::lock_guard lock(mutex_);
  return rounds_;
}

void CheckpointScheduler::loop() {
  std::unique_lock lock(mutex_);
  while (!wake_.wait_for(lock, interval_, [this] { return stopping_; })) {
    lock.unlock();
    try {
      const auto round = run_round(/*interruptible=*/true);
      if (round.signed_chains > 0 || round.failed > 0) {
        log::info("audit checkpoints signed", {{"signed", round.signed_chains},
                                               {"unchanged", round.skipped},
                                               {"failed", round.failed}});
      }
    } catch (const std::exception& e) {
      log::error("audit checkpoint round failed", {{"error", e.what()}});
    }
    lock.lock();
    ++rounds_;
  }
}

CheckpointRound CheckpointScheduler::run_once() {
  return run_round(/*interruptible=*/false);
}

CheckpointRound CheckpointScheduler::run_round(bool interruptible) {
  const auto key = load_or_create_audit_key(audit_key_file_);
  std::vector<std::string> chains = only_chains_;
  if (chains.empty()) {
    chains.emplace_back(kPlatformChain);
    pqxx::connection connection(owner_url_);
    pqxx::read_transaction tx(connection);
    for (const auto& row : tx.exec("SELECT id::text FROM tenants ORDER BY id")) {
      chains.push_back(row[0].as<std::string>());
    }
  }
  CheckpointRound round;
  pqxx::connection connection(owner_url_);
  for (const auto& chain : chains) {
    {
      std::lock_guard lock(mutex_);
      if (interruptible && stopping_) break;  // prompt stop between chains
    }
    try {
      // The audit tables force row-level security even for the owner: read
      // each chain's head and last checkpoint in that chain's own context.
      bool moved = false;
      {
        pqxx::read_transaction tx(connection);
        tx.exec_params("SELECT set_config('fk.tenant_id', $1, true)", chain);
        const auto row = tx.exec_params1(
            "SELECT (SELECT seq FROM audit_chain_heads WHERE tenant_id = $1::uuid), "
            "(SELECT max(seq) FROM audit_checkpoints WHERE tenant_id = $1::uuid AND key_id = $2)",
            chain, key.kid);
        moved = !row[0].is_null() && row[0].as<std::int64_t>() > 0 &&
                (row[1].is_null() || row[1].as<std::int64_t>() < row[0].as<std::int64_t>());
      }
      if (!moved) {
        ++round.skipped;
        continue;
      }
      sign_checkpoint(owner_url_, chain, key);
      ++round.signed_chains;
    } catch (const std::exception& e) {
      ++round.failed;
      log::error("audit checkpoint not signed", {{"chain", chain}, {"error", e.what()}});
    }
  }
  return round;
}

}  // namespace fk::audit
