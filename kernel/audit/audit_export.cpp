#include "audit/audit_export.hpp"

#include "audit/audit_checkpoint.hpp"
#include "audit/audit_key_file.hpp"
#include "audit/audit_log.hpp"
#include "audit/canonical.hpp"

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include <fstream>
#include <stdexcept>

namespace fk::audit {

namespace fs = std::filesystem;

namespace {

std::ofstream open_for_writing(const fs::path& file) {
  std::ofstream out(file, std::ios::trunc | std::ios::binary);
  if (!out) throw std::runtime_error("cannot write " + file.string());
  return out;
}

}  // namespace

ExportResult export_chain(const std::string& url, const std::string& tenant_id,
                          const fs::path& out_dir, const std::vector<identity::SigningKey>& keys) {
  fs::create_directories(out_dir / "keys");
  pqxx::connection connection(url);
  pqxx::transaction<pqxx::repeatable_read, pqxx::read_only> tx(connection);
  tx.exec_params("SELECT set_config('fk.tenant_id', $1, true)", tenant_id);

  ExportResult result;
  std::int64_t head_seq = 0;
  std::string head_hash = kGenesisHash;
  {
    auto out = open_for_writing(out_dir / "records.jsonl");
    constexpr std::int64_t kPageSize = 1000;
    std::int64_t after = 0;
    for (;;) {
      const auto rows = tx.exec_params(std::string("SELECT ") + kRecordColumns +
                                           " FROM audit_log WHERE tenant_id = $1::uuid AND seq > "
                                           "$2 ORDER BY seq LIMIT $3",
                                       tenant_id, after, kPageSize);
      for (const auto& row : rows) {
        const auto stored = read_record(row);
        // Written by concatenation so the canonical bytes appear verbatim:
        // a verifier can cut them out of the line and hash them directly.
        out << "{\"hash\":\"" << stored.hash << "\",\"record\":" << canonical_record(stored)
            << "}\n";
        after = head_seq = stored.seq;
        head_hash = stored.hash;
        ++result.records;
      }
      if (static_cast<std::int64_t>(rows.size()) < kPageSize) break;
    }
    if (!out.flush()) throw std::runtime_error("cannot write records.jsonl");
  }
  {
    auto out = open_for_writing(out_dir / "checkpoints.jsonl");
    for (const auto& c : read_checkpoints(tx, tenant_id)) {
      out << nlohmann::json{{"tenant_id", c.tenant_id}, {"seq", c.seq},
                            {"hash", c.hash},           {"signed_at", c.signed_at},
                            {"key_id", c.key_id},       {"signature", c.signature}}
                 .dump()
          << "\n";
      ++result.checkpoints;
    }
    if (!out.flush()) throw std::runtime_error("cannot write checkpoints.jsonl");
  }
  nlohmann::json key_ids = nlohmann::json::array();
  for (const auto& key : keys) {
    if (!identity::is_valid_kid(key.kid)) throw std::invalid_argument("invalid audit key id");
    open_for_writing(out_dir / "keys" / (key.kid + ".pem")) << public_key_pem(key);
    key_ids.push_back(key.kid);
  }
  open_for_writing(out_dir / "manifest.json")
      << nlohmann::json{{"format", "fk-audit-export-v1"},
                        {"tenant_id", tenant_id},
                        {"records", result.records},
                        {"checkpoints", result.checkpoints},
                        {"head_seq", head_seq},
                        {"head_hash", head_hash},
                        {"exported_at", format_timestamp(now_microseconds())},
                        {"keys", key_ids}}
             .dump(2)
      << "\n";
  tx.commit();
  return result;
}

}  // namespace fk::audit
