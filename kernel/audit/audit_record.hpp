#pragma once
// What one audit record says, and the record as stored in a chain. Shared by
// appending, reading, verifying and exporting (docs/audit.md).

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

namespace fk::audit {

// The platform chain (events with no tenant: platform admin actions, failed
// platform logins) lives under the nil UUID, so RLS scopes it like a tenant.
inline constexpr const char* kPlatformChain = "00000000-0000-0000-0000-000000000000";
// prev_hash of every chain's first record.
inline constexpr const char* kGenesisHash =
    "0000000000000000000000000000000000000000000000000000000000000000";

struct AuditRecord {
  std::string actor_type = "system";  // user | api_key | platform_admin | system | anonymous
  std::string actor_id;               // the user, key or admin id; empty for system/anonymous
  std::string action;                 // e.g. "http.PUT /v1/tenant/settings", "auth.login.failed"
  std::string resource;               // what was acted on, e.g. "tenant_settings/timezone"
  std::string outcome = "success";    // success | denied | failure
  std::string request_id;
  std::string client_address;
  // A JSON object of non-secret facts. Strings, integers, booleans, null,
  // arrays and objects only: floating-point numbers are refused because their
  // text form differs between implementations, which would break outside
  // verification of the hash.
  nlohmann::json summary = nlohmann::json::object();
};

struct StoredRecord {
  std::string tenant_id;
  std::int64_t seq = 0;
  std::int64_t occurred_at_us = 0;  // microseconds since the Unix epoch, UTC
  AuditRecord record;
  std::string prev_hash;
  std::string hash;
};

}  // namespace fk::audit
