#pragma once
// The canonical serialization a record's hash is computed over, and the
// message a checkpoint signature covers. Both are compact JSON arrays with
// fields in a fixed order (docs/audit.md, "Canonical form"); the export and
// scripts/verify-audit-export.py reproduce them byte for byte, so any change
// here is a format change (bump the version tag).

#include "audit/audit_record.hpp"

#include <cstdint>
#include <string>

namespace fk::audit {

inline constexpr const char* kRecordFormat = "fk-audit-v1";
inline constexpr const char* kCheckpointFormat = "fk-audit-checkpoint-v1";

// RFC 3339 in UTC with exactly six fractional digits: 2026-11-26T02:15:39.123456Z.
// Formatted by the kernel so the hash never depends on PostgreSQL's text output.
std::string format_timestamp(std::int64_t microseconds_since_epoch);
// Now, truncated to the microsecond precision PostgreSQL stores.
std::int64_t now_microseconds();

// Throws std::invalid_argument when the record cannot be serialized
// canonically: unknown actor type or outcome, empty action, a summary that is
// not an object or holds a floating-point number, or invalid UTF-8.
void validate(const AuditRecord& record);

// The exact bytes hashed: ["fk-audit-v1",tenant,seq,occurred_at,actor_type,
// actor_id,action,resource,outcome,request_id,client_address,summary,prev_hash].
std::string canonical_record(const StoredRecord& record);
// The middle of it, occurred_at through summary without brackets: what is
// known before the chain head is locked. The database frames it with the
// format, tenant, seq and prev_hash when it appends (fk_audit_append).
std::string canonical_body(const AuditRecord& record, std::int64_t occurred_at_us);
// The format tag as it appears in the canonical text (a JSON string).
std::string canonical_format();
// Lower-case hex SHA-256 of canonical_record(record).
std::string record_hash(const StoredRecord& record);

// The bytes a checkpoint signature covers:
// ["fk-audit-checkpoint-v1",tenant,seq,hash,signed_at,key_id].
std::string checkpoint_message(const std::string& tenant_id, std::int64_t seq,
                               const std::string& hash, const std::string& signed_at,
                               const std::string& key_id);

}  // namespace fk::audit
