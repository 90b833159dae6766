#pragma once
// Appending to and reading the audit trail (docs/audit.md). Verification,
// checkpoints and export are in audit_verify.hpp, audit_checkpoint.hpp and
// audit_export.hpp.

#include "audit/audit_record.hpp"
#include "db/connection_pool.hpp"
#include "db/statement.hpp"

#include <pqxx/pqxx>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace fk::audit {

struct AppendResult {
  std::int64_t seq = 0;
  std::string hash;
  std::string occurred_at;  // RFC 3339, as hashed
};

// Appends `record` to the chain of the tenant set in `tx` (fk_current_tenant(),
// the nil UUID for the platform chain), inside the caller's transaction: the
// record commits or rolls back with the change it describes. Locks the
// tenant's chain head until `tx` ends, so call it late in the transaction.
// Needs READ COMMITTED (the default); throws std::invalid_argument for a
// record validate() refuses and std::logic_error when no tenant is set.
AppendResult append(pqxx::transaction_base& tx, const AuditRecord& record);
// The same for several records, in order, in one statement whatever their
// number (the chain head is locked once).
std::vector<AppendResult> append_all(pqxx::transaction_base& tx,
                                     const std::vector<AuditRecord>& records);
// That statement, to run later in the same transaction: a request's last
// records go with its COMMIT (TenantTransaction::commit). Validates the
// records now (std::invalid_argument); `records` must not be empty.
db::Statement append_statement(const std::vector<AuditRecord>& records);

// The same, in a transaction of its own that commits at once: for events
// whose request transaction rolls back or never existed (denials, failed
// logins). `tenant_id` must be a canonical UUID.
AppendResult append_standalone(db::ConnectionPool& pool, const std::string& tenant_id,
                               const AuditRecord& record);
AppendResult append_platform(db::ConnectionPool& pool, const AuditRecord& record);

struct ListFilter {
  std::optional<std::string> from;  // occurred_at >= from (RFC 3339)
  std::optional<std::string> to;    // occurred_at < to (RFC 3339)
  std::optional<std::string> actor_type;
  std::optional<std::string> actor_id;
  std::optional<std::string> action;  // exact match
};

struct ListPage {
  std::vector<StoredRecord> records;        // ascending seq
  std::optional<std::int64_t> next_cursor;  // pass back as `after_seq`; empty on the last page
};

// Records of the tenant set in `tx`, oldest first, after seq `after_seq`
// (keyset pagination: stable while new records are appended). `limit` is
// clamped to 1..1000.
ListPage list(pqxx::transaction_base& tx, const ListFilter& filter,
              std::optional<std::int64_t> after_seq, std::size_t limit);

// Reads one stored row (columns as selected by kRecordColumns).
StoredRecord read_record(const pqxx::row& row);
// The SELECT list read_record expects.
extern const char* const kRecordColumns;

}  // namespace fk::audit
