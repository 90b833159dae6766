#pragma once
// The request pipeline: every request passes the same stages, in the order
// DESIGN.md gives, each in one place:
//
//   request id -> route match (404/405) -> authenticate (tenant + principal)
//   -> tenant status (403 TENANT_SUSPENDED) -> rate limit (429, per tenant and principal)
//   -> tenant transaction (runtime role, fk.tenant_id set locally)
//   -> RBAC on the route's permission (inside the transaction: current roles)
//   -> handler -> commit -> envelope -> metrics + one log line
//
// The transport (http::Server) has already enforced sizes and timeouts.

#include "api/authenticator.hpp"
#include "api/route.hpp"
#include "authz/rbac_policy.hpp"
#include "authz/swappable.hpp"
#include "db/connection_pool.hpp"
#include "http/response.hpp"
#include "http/router.hpp"
#include "ops/metrics.hpp"
#include "ratelimit/rate_limit_policy.hpp"
#include "ratelimit/rate_limiter.hpp"
#include "tenancy/tenant_directory.hpp"

#include <atomic>
#include <string_view>
#include <vector>

namespace fk::api {

struct PipelineServices {
  db::ConnectionPool& pool;
  tenancy::TenantDirectory& tenants;
  Authenticator& authenticator;
  const authz::Swappable<authz::RbacPolicy>& policy;
  ratelimit::RateLimiter& limiter;
  const authz::Swappable<ratelimit::RateLimitPolicy>& limits;
  ops::Metrics& metrics;
};

class Pipeline {
 public:
  // Throws std::invalid_argument if a route is malformed, duplicated, or
  // declares no permission or one the RBAC policy does not declare (deny by
  // default: such a route never starts).
  Pipeline(PipelineServices services, std::vector<Route> routes);

  http::Response handle(http::Request& request);

  // Empty if every mounted route's permission is declared in `policy`, else
  // the first route that is not (a reload must not orphan a route).
  [[nodiscard]] std::string undeclared_permission(const authz::RbacPolicy& policy) const;
  http::Response protocol_error(int status, std::string_view code, std::string_view message);

  // While draining, new requests get 503 SHUTTING_DOWN and /ready fails.
  void start_draining() { draining_ = true; }
  [[nodiscard]] bool draining() const { return draining_; }

 private:
  // What the request turned out to be, filled in as the stages learn it, for
  // the log line, the metrics and the audit record of a denial.
  struct Labels {
    std::string route = "(unmatched)";
    std::string tenant;
    std::string actor_type = "anonymous";
    std::string actor_id;
  };
  http::Response dispatch(http::Request& request, const std::string& request_id, Labels& labels);
  // Maker-checker (approval_routes.cpp): store an approval-gated request, and
  // the routes that list, approve (execute exactly once) or reject them.
  Reply submit_for_approval(const Route& route, RequestContext& context,
                            const authz::ApprovalRule& rule);
  std::vector<Route> approval_routes();
  http::Response dispatch_platform(const Route& route, RequestContext& context,
                                   const Principal& principal);
  void record_denial(const http::Request& request, const std::string& request_id,
                     const Labels& labels, const std::string& code) noexcept;
  Reply decide(RequestContext& context, bool approve);

  PipelineServices services_;
  std::vector<Route> routes_;
  http::Router router_;
  std::atomic<bool> draining_{false};
};

// Throws ApiError 429 RATE_LIMITED with Retry-After when `decision` denies.
void enforce(const ratelimit::Decision& decision, const char* scope);

// The X-Request-Id to use: the client's when it is sane (1-128 of
// [A-Za-z0-9._:-]), else a fresh random UUID.
std::string choose_request_id(const http::Request& request);

}  // namespace fk::api
