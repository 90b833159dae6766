#pragma once
// SQL shared by the dispatcher's selection and locking statements: the
// per-aggregate ordering rule, written once. fk_event_tenants_pending()
// (migrations/0009_events.sql) repeats it in PL/pgSQL; keep them in step.

namespace fk::events::sql {

// True for a pending delivery `d` that no earlier pending delivery of the
// same aggregate for the same subscriber holds back. Dead or delivered
// predecessors do not block; an empty aggregate_id never blocks.
inline constexpr const char* kNotBlocked =
    "NOT (d.aggregate_id <> '' AND EXISTS (SELECT 1 FROM fk_event_deliveries e "
    "WHERE e.tenant_id = d.tenant_id AND e.subscriber = d.subscriber AND e.status = 'pending' "
    "AND e.aggregate_id <> '' AND e.aggregate_type = d.aggregate_type "
    "AND e.aggregate_id = d.aggregate_id AND e.seq < d.seq))";

// RFC 3339 in UTC with microseconds, as PostgreSQL's to_char pattern.
inline constexpr const char* kRfc3339 = "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'";

}  // namespace fk::events::sql
