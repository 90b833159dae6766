#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace fk::tenancy {

enum class TenantStatus { active, suspended, deleted };

std::string_view to_string(TenantStatus status);
std::optional<TenantStatus> parse_status(std::string_view text);

struct Tenant {
  std::string id;  // canonical lower-case UUID
  std::string slug;
  std::string display_name;
  TenantStatus status = TenantStatus::active;
  std::string created_at;  // RFC 3339
  std::string updated_at;
};

// True for a canonical 8-4-4-4-12 hex UUID (either case).
bool is_uuid(std::string_view text);

}  // namespace fk::tenancy
