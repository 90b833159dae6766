#include "tenancy/tenant.hpp"

#include <cctype>

namespace fk::tenancy {

std::string_view to_string(TenantStatus status) {
  switch (status) {
    case TenantStatus::active:
      return "active";
    case TenantStatus::suspended:
      return "suspended";
    case TenantStatus::deleted:
      return "deleted";
  }
  return "active";
}

std::optional<TenantStatus> parse_status(std::string_view text) {
  if (text == "active") return TenantStatus::active;
  if (text == "suspended") return TenantStatus::suspended;
  if (text == "deleted") return TenantStatus::deleted;
  return std::nullopt;
}

bool is_uuid(std::string_view text) {
  if (text.size() != 36) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const bool dash_position = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash_position ? text[i] != '-' : !std::isxdigit(static_cast<unsigned char>(text[i]))) {
      return false;
    }
  }
  return true;
}

}  // namespace fk::tenancy
