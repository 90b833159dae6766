#include "audit/audit_log.hpp"

#include "audit/canonical.hpp"
#include "db/prepared.hpp"
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

db::Statement append_statement(const std::vector<AuditRecord>& records) {
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& record : records) {
    validate(record);
    const auto occurred_at_us = now_microseconds();
    rows.push_back({{"occurred_at", format_timestamp(occurred_at_us)},
                    {"body", canonical_body(record, occurred_at_us)},
                    {"actor_type", record.actor_type},
                    {"actor_id", record.actor_id},
                    {"action", record.action},
                    {"resource", record.resource},
                    {"outcome", record.outcome},
                    {"request_id", record.request_id},
                    {"client_address", record.client_address},
                    {"summary", record.summary}});
  }
  // fk_audit_append (migration 0010) locks the chain head, chains the
  // hashes over the canonical text and moves the head: one statement.
  return db::Statement{"SELECT appended_seq, appended_hash FROM fk_audit_append($1, $2, $3::jsonb)",
                       {canonical_format(), kGenesisHash, rows.dump()}};
}

std::vector<AppendResult> append_all(pqxx::transaction_base& tx,
                                     const std::vector<AuditRecord>& records) {
  std::vector<AppendResult> results;
  if (records.empty()) return results;
  const db::Statement statement = append_statement(records);
  pqxx::result rows;
  try {
    rows = db::exec(tx, statement);
  } catch (const pqxx::insufficient_privilege&) {
    throw std::logic_error("audit append outside a tenant transaction");
  }
  const auto sent = nlohmann::json::parse(statement.params[2]);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto row = rows[static_cast<pqxx::result::size_type>(i)];
    results.push_back({row[0].as<std::int64_t>(), row[1].as<std::string>(),
                       sent[i].at("occurred_at").get<std::string>()});
  }
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
