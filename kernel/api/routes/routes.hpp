#pragma once
// Route sets, one file each. Each function returns the routes of one
// resource with their declared permissions; kernel_app.cpp mounts them.

#include "api/route.hpp"
#include "auth/auth_policy.hpp"
#include "auth/auth_service.hpp"
#include "authz/rbac_policy.hpp"
#include "authz/swappable.hpp"
#include "db/connection_pool.hpp"
#include "ops/metrics.hpp"
#include "ratelimit/rate_limit_policy.hpp"
#include "ratelimit/rate_limiter.hpp"

#include <functional>
#include <vector>

namespace fk::api {

struct HealthDependencies {
  db::ConnectionPool& pool;
  ops::Metrics& metrics;
  std::function<bool()> draining;
};

// GET /health, GET /ready, GET /metrics
std::vector<Route> health_routes(HealthDependencies dependencies);

// GET /v1/tenant/settings, PUT /v1/tenant/settings
std::vector<Route> tenant_settings_routes();

// POST /v1/auth/login, /v1/auth/refresh, /v1/auth/logout
// Login is also limited per client address (ratelimits.yaml: login_per_address).
std::vector<Route> auth_routes(auth::AuthService& service, ratelimit::RateLimiter& limiter,
                               const authz::Swappable<ratelimit::RateLimitPolicy>& limits);

// /v1/users: list, create, show, roles, disable, enable, unlock
std::vector<Route> user_routes(const auth::AuthPolicy& policy,
                               const authz::Swappable<authz::RbacPolicy>& rbac);

// /v1/api-keys (create, list, revoke) and /v1/roles (tenant-defined roles)
std::vector<Route> access_routes(const authz::Swappable<authz::RbacPolicy>& rbac);

struct PlatformDependencies {
  auth::AuthService& auth;
  std::string owner_url;  // platform administration runs as the owner role
  std::function<void(const std::string& tenant_id)> tenant_changed;  // e.g. drop cached status
  // Reloads as the given platform admin id (audited); empty string = reloaded.
  std::function<std::string(const std::string& admin_id)> reload_policies;
  std::string master_key_file;  // tenant data keys (rotation)
  std::string audit_key_file;   // audit checkpoint key (verification)
};

// GET /v1/audit: the tenant's audit log (auditors, tenant admins)
std::vector<Route> audit_routes();
// GET /v1/platform/audit: the platform chain (platform auditors); mounted by platform_routes.
std::vector<Route> platform_audit_routes(const std::string& owner_url);

// /v1/platform: administrator login, tenant lifecycle, policy reload
std::vector<Route> platform_routes(PlatformDependencies dependencies);

}  // namespace fk::api
