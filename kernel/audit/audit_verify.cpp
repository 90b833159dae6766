#include "audit/audit_verify.hpp"

#include "audit/audit_checkpoint.hpp"
#include "audit/audit_log.hpp"
#include "audit/canonical.hpp"

#include <pqxx/pqxx>

#include <map>

namespace fk::audit {

namespace {

constexpr std::int64_t kPageSize = 1000;

VerifyReport fail(VerifyReport report, Problem problem, std::int64_t seq, std::string message) {
  report.problem = problem;
  report.first_bad_seq = seq;
  report.message = "seq " + std::to_string(seq) + ": " + std::move(message);
  return report;
}

const identity::SigningKey* find_key(const std::vector<identity::SigningKey>& keys,
                                     const std::string& kid) {
  for (const auto& key : keys) {
    if (key.kid == kid) return &key;
  }
  return nullptr;
}

}  // namespace

const char* to_string(Problem problem) {
  switch (problem) {
    case Problem::none:
      return "ok";
    case Problem::altered:
      return "altered";
    case Problem::removed:
      return "removed";
    case Problem::broken_link:
      return "broken_link";
    case Problem::truncated:
      return "truncated";
    case Problem::rewritten:
      return "rewritten";
    case Problem::head_mismatch:
      return "head_mismatch";
    case Problem::bad_checkpoint:
      return "bad_checkpoint";
  }
  return "unknown";
}

VerifyReport verify(const std::string& url, const std::string& tenant_id,
                    const std::vector<identity::SigningKey>& keys) {
  pqxx::connection connection(url);
  // One snapshot for the pages, the head and the checkpoints, so appends
  // committing meanwhile cannot look like a problem.
  pqxx::transaction<pqxx::repeatable_read, pqxx::read_only> tx(connection);
  tx.exec_params("SELECT set_config('fk.tenant_id', $1, true)", tenant_id);

  VerifyReport report;
  report.head_hash = kGenesisHash;

  // Signatures first: a forged checkpoint must not vouch for anything.
  std::multimap<std::int64_t, Checkpoint> pending;
  for (auto& checkpoint : read_checkpoints(tx, tenant_id)) {
    const auto* key = find_key(keys, checkpoint.key_id);
    if (!key) {
      return fail(report, Problem::bad_checkpoint, checkpoint.seq,
                  "checkpoint signed by unknown key " + checkpoint.key_id);
    }
    if (!checkpoint_signature_valid(checkpoint, *key)) {
      return fail(report, Problem::bad_checkpoint, checkpoint.seq,
                  "checkpoint signature does not verify");
    }
    pending.emplace(checkpoint.seq, std::move(checkpoint));
  }
  const auto check_checkpoints_at = [&](std::int64_t seq, const std::string& hash) {
    const auto [first, last] = pending.equal_range(seq);
    for (auto it = first; it != last; ++it) {
      if (it->second.hash != hash) return false;
      ++report.checkpoints;
    }
    pending.erase(first, last);
    return true;
  };
  if (!check_checkpoints_at(0, kGenesisHash)) {
    return fail(report, Problem::rewritten, 0, "checkpoint of the empty chain does not match");
  }

  std::int64_t expected = 1;
  for (;;) {
    const auto rows = tx.exec_params(std::string("SELECT ") + kRecordColumns +
                                         " FROM audit_log WHERE tenant_id = $1::uuid AND seq >= "
                                         "$2 ORDER BY seq LIMIT $3",
                                     tenant_id, expected, kPageSize);
    for (const auto& row : rows) {
      StoredRecord stored;
      try {
        stored = read_record(row);
      } catch (const std::exception&) {
        return fail(report, Problem::altered, expected, "record cannot be read");
      }
      if (stored.seq != expected) {
        return fail(report, Problem::removed, expected,
                    "record is missing (next is " + std::to_string(stored.seq) + ")");
      }
      if (record_hash(stored) != stored.hash) {
        return fail(report, Problem::altered, stored.seq, "content does not match its hash");
      }
      if (stored.prev_hash != report.head_hash) {
        return fail(report, Problem::broken_link, stored.seq,
                    "does not chain to its predecessor (inserted or reordered)");
      }
      if (!check_checkpoints_at(stored.seq, stored.hash)) {
        return fail(report, Problem::rewritten, stored.seq,
                    "differs from the signed checkpoint (chain rewritten)");
      }
      report.head_seq = stored.seq;
      report.head_hash = stored.hash;
      report.count = stored.seq;
      ++expected;
    }
    if (static_cast<std::int64_t>(rows.size()) < kPageSize) break;
  }

  // Checkpoints left over point past the last record: the tail was cut.
  if (!pending.empty()) {
    return fail(report, Problem::truncated, report.head_seq + 1,
                "records missing: a checkpoint vouches for seq " +
                    std::to_string(pending.rbegin()->first) + " but the chain ends at " +
                    std::to_string(report.head_seq));
  }
  const auto head = tx.exec_params(
      "SELECT seq, hash FROM audit_chain_heads WHERE tenant_id = $1::uuid", tenant_id);
  if (!head.empty()) {
    const auto head_seq = head[0][0].as<std::int64_t>();
    if (head_seq > report.head_seq) {
      return fail(report, Problem::truncated, report.head_seq + 1,
                  "records missing: the chain head is at seq " + std::to_string(head_seq) +
                      " but the chain ends at " + std::to_string(report.head_seq));
    }
    if (head_seq < report.head_seq) {
      return fail(report, Problem::head_mismatch, head_seq + 1,
                  "records after the chain head at seq " + std::to_string(head_seq) +
                      " (appended outside the kernel)");
    }
    if (head[0][1].as<std::string>() != report.head_hash) {
      return fail(report, Problem::head_mismatch, head_seq,
                  "the chain head's hash differs from the newest record's");
    }
  } else if (report.head_seq > 0) {
    return fail(report, Problem::head_mismatch, 1, "records exist but the chain has no head");
  }
  report.message = "ok: " + std::to_string(report.count) + " records, " +
                   std::to_string(report.checkpoints) + " checkpoints verified";
  return report;
}

}  // namespace fk::audit
