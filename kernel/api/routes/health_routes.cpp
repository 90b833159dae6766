#include "api/routes/routes.hpp"
#include "db/embedded_migrations.hpp"
#include "db/migrator.hpp"
#include "http/api_error.hpp"
#include "log/json_log.hpp"

#include <pqxx/pqxx>

namespace fk::api {

namespace {

// Database reachable as the runtime role and every kernel migration applied
// unchanged. Any failure reads as "not ready"; the reason goes to the log.
nlohmann::json database_check(db::ConnectionPool& pool) {
  try {
    auto connection = pool.acquire();
    try {
      pqxx::read_transaction tx(connection.get());
      const bool current = db::Migrator::is_current(tx, "kernel", db::embedded_migrations());
      return {{"database", "ok"}, {"migrations", current ? "current" : "pending"}};
    } catch (const pqxx::broken_connection&) {
      connection.mark_broken();
      throw;
    }
  } catch (const std::exception& e) {
    log::warn("readiness check failed", {{"error", e.what()}});
    return {{"database", "unavailable"}, {"migrations", "unknown"}};
  }
}

}  // namespace

std::vector<Route> health_routes(HealthDependencies dependencies) {
  std::vector<Route> routes;
  routes.push_back({"GET", "/health", Scope::open, "public", [](RequestContext&) {
                      return Reply{200, {{"status", "ok"}}, {}, {}};
                    }});
  routes.push_back(
      {"GET", "/ready", Scope::open, "public", [dependencies](RequestContext&) {
         nlohmann::json checks = database_check(dependencies.pool);
         checks["accepting"] = !dependencies.draining();
         const bool ready = checks["database"] == "ok" && checks["migrations"] == "current" &&
                            checks["accepting"] == true;
         if (!ready) {
           throw http::ApiError(503, "NOT_READY", "the kernel is not ready", {{"checks", checks}});
         }
         return Reply{200, {{"status", "ready"}, {"checks", checks}}, {}, {}};
       }});
  routes.push_back({"GET", "/metrics", Scope::open, "public", [dependencies](RequestContext&) {
                      const auto pool = dependencies.pool.stats();
                      return Reply{200, nullptr, "text/plain; version=0.0.4; charset=utf-8",
                                   dependencies.metrics.render(&pool)};
                    }});
  return routes;
}

}  // namespace fk::api
