#pragma once
// Route sets, one file each. Each function returns the routes of one
// resource with their declared permissions; kernel_app.cpp mounts them.

#include "api/route.hpp"
#include "db/connection_pool.hpp"
#include "ops/metrics.hpp"

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

}  // namespace fk::api
