#pragma once
// policies/ratelimits.yaml: plans of tenant and principal limits, the
// default plan, per-tenant plan assignments and the login limit per address.

#include "ratelimit/rate_limiter.hpp"

#include <map>
#include <string>

namespace fk::ratelimit {

struct Plan {
  Limit tenant;
  Limit principal;
};

struct RateLimitPolicy {
  std::map<std::string, Plan> plans;
  std::string default_plan;
  std::map<std::string, std::string> tenant_plans;  // tenant id -> plan name
  Limit login_per_address;

  // Throws std::runtime_error naming file:line and the key at fault.
  static RateLimitPolicy load(const std::string& path);
  [[nodiscard]] const Plan& plan_for(const std::string& tenant_id) const;
};

}  // namespace fk::ratelimit
