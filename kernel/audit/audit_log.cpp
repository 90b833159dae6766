#include "audit/audit_log.hpp"

#include "audit/canonical.hpp"
#include "db/tenant_transaction.hpp"

#include <algorithm>
#include <stdexcept>

namespace fk::audit {

// occurred_at leaves the database as integer microseconds (extract returns
// numeric, so the conversion is exact) and is formatted by the kernel.
const char* const kRecordColumns =
    "tenant_id::text, seq, (extract(epoch FROM occurred_at) * 1000000)::bigint, actor_type, "
    "actor_id, action, resource, outcome, request_id, client_address, summary::text, prev_hash, "
    "hash";

StoredRecord read_record(const pqxx::row& row) {
  StoredRecord stored;
  stored.tenant_id = row[0].as<std::string>();
  stored.seq = row[1].as<std::int64_t>();
  stored.occurred_at_us = row[2].as<std::int64_t>();
  stored.record.actor_type = row[3].as<std::string>();
  stored.record.actor_id = row[4].as<std::string>();
  stored.record.action = row[5].as<std::string>();
  stored.record.resource = row[6].as<std::string>();
  stored.record.outcome = row[7].as<std::string>();
  stored.record.request_id = row[8].as<std::string>();
  stored.record.client_address = row[9].as<std::string>();
  stored.record.summary = nlohmann::json::parse(row[10].as<std::string>());
  stored.prev_hash = row[11].as<std::string>();
  stored.hash = row[12].as<std::string>();
  return stored;
}

std::vector<AppendResult> append_all(pqxx::transaction_base& tx,
                                     const std::vector<AuditRecord>& records) {
  std::vector<AppendResult> results;
  if (records.empty()) return results;
  for (const auto& record : records) validate(record);
  // Two round trips for any number of records. First, lock this chain's
  // head and read it; the lock is held until the transaction ends, so
  // appends serialize per chain only. (A plain SELECT ... FOR UPDATE: an
  // upsert would write a second row version of the head on every append.)
  const auto lock_head = [&tx] {
    return tx.exec(
        "SELECT tenant_id::text, seq, hash FROM audit_chain_heads "
        "WHERE tenant_id = fk_current_tenant() FOR UPDATE");
  };
  pqxx::result head = lock_head();
  if (head.empty()) {
    // The chain's first append (ON CONFLICT makes concurrent first appends
    // safe), or no tenant is set, which the row-level check refuses.
    try {
      tx.exec_params(
          "INSERT INTO audit_chain_heads (tenant_id, seq, hash) "
          "VALUES (fk_current_tenant(), 0, $1) ON CONFLICT (tenant_id) DO NOTHING",
          kGenesisHash);
    } catch (const pqxx::insufficient_privilege&) {
      throw std::logic_error("audit append outside a tenant transaction");
    } catch (const pqxx::not_null_violation&) {
      throw std::logic_error("audit append outside a tenant transaction");
    }
    head = lock_head();
  }

  StoredRecord stored;
  stored.tenant_id = head[0][0].as<std::string>();
  stored.seq = head[0][1].as<std::int64_t>();
  stored.hash = head[0][2].as<std::string>();
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& record : records) {
    stored.record = record;
    stored.seq += 1;
    stored.prev_hash = stored.hash;
    stored.occurred_at_us = now_microseconds();
    stored.hash = record_hash(stored);
    const auto occurred_at = format_timestamp(stored.occurred_at_us);
    rows.push_back({{"seq", stored.seq},
                    {"occurred_at", occurred_at},
                    {"actor_type", record.actor_type},
                    {"actor_id", record.actor_id},
                    {"action", record.action},
                    {"resource", record.resource},
                    {"outcome", record.outcome},
                    {"request_id", record.request_id},
                    {"client_address", record.client_address},
                    {"summary", record.summary},
                    {"prev_hash", stored.prev_hash},
                    {"hash", stored.hash}});
    results.push_back({stored.seq, stored.hash, occurred_at});
  }

  // Second, the records and the new head in one statement.
  tx.exec_params(
      "WITH appended AS (INSERT INTO audit_log (tenant_id, seq, occurred_at, actor_type, "
      "actor_id, action, resource, outcome, request_id, client_address, summary, prev_hash, hash) "
      "SELECT $1::uuid, r.seq, r.occurred_at, r.actor_type, r.actor_id, r.action, r.resource, "
      "r.outcome, r.request_id, r.client_address, r.summary, r.prev_hash, r.hash "
      "FROM jsonb_to_recordset($2::jsonb) AS r(seq bigint, occurred_at timestamptz, "
      "actor_type text, actor_id text, action text, resource text, outcome text, "
      "request_id text, client_address text, summary jsonb, prev_hash text, hash text) "
      "RETURNING seq) "
      "UPDATE audit_chain_heads SET seq = $3, hash = $4 "
      "WHERE tenant_id = $1::uuid AND (SELECT count(*) FROM appended) = $5",
      stored.tenant_id, rows.dump(), stored.seq, stored.hash, records.size());
  return results;
}

AppendResult append(pqxx::transaction_base& tx, const AuditRecord& record) {
  return append_all(tx, {record}).front();
}

AppendResult append_standalone(db::ConnectionPool& pool, const std::string& tenant_id,
                               const AuditRecord& record) {
  db::TenantTransaction transaction(pool, tenant_id);
  auto result = append(transaction.work(), record);
  transaction.commit();
  return result;
}

AppendResult append_platform(db::ConnectionPool& pool, const AuditRecord& record) {
  return append_standalone(pool, kPlatformChain, record);
}

ListPage list(pqxx::transaction_base& tx, const ListFilter& filter,
              std::optional<std::int64_t> after_seq, std::size_t limit) {
  limit = std::clamp<std::size_t>(limit, 1, 1000);
  // Absent filters are passed as '' and switched off in SQL, so one statement
  // serves every combination. nullif() keeps '' from ever reaching a cast.
  const auto rows = tx.exec_params(
      std::string("SELECT ") + kRecordColumns +
          " FROM audit_log WHERE tenant_id = (SELECT fk_current_tenant()) AND seq > $1"
          " AND (nullif($2, '') IS NULL OR occurred_at >= nullif($2, '')::timestamptz)"
          " AND (nullif($3, '') IS NULL OR occurred_at < nullif($3, '')::timestamptz)"
          " AND (nullif($4, '') IS NULL OR actor_type = $4)"
          " AND (nullif($5, '') IS NULL OR actor_id = $5)"
          " AND (nullif($6, '') IS NULL OR action = $6)"
          " ORDER BY seq LIMIT $7",
      after_seq.value_or(0), filter.from.value_or(""), filter.to.value_or(""),
      filter.actor_type.value_or(""), filter.actor_id.value_or(""), filter.action.value_or(""),
      static_cast<long long>(limit + 1));
  ListPage page;
  for (std::size_t i = 0; i < rows.size() && i < limit; ++i) {
    page.records.push_back(read_record(rows[static_cast<pqxx::result::size_type>(i)]));
  }
  if (rows.size() > limit) page.next_cursor = page.records.back().seq;
  return page;
}

}  // namespace fk::audit
