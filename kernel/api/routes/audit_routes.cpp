#include "api/routes/routes.hpp"
#include "audit/audit_log.hpp"
#include "audit/audit_record.hpp"
#include "http/api_error.hpp"
#include "http/query_string.hpp"

#include <pqxx/pqxx>

#include <map>
#include <optional>

namespace fk::api {

namespace {

nlohmann::json to_json(const audit::StoredRecord& stored) {
  const auto& record = stored.record;
  return {{"seq", stored.seq},
          {"occurredAtMicros", stored.occurred_at_us},
          {"actor", {{"type", record.actor_type}, {"id", record.actor_id}}},
          {"action", record.action},
          {"resource", record.resource},
          {"outcome", record.outcome},
          {"requestId", record.request_id},
          {"clientAddress", record.client_address},
          {"summary", record.summary},
          {"prevHash", stored.prev_hash},
          {"hash", stored.hash}};
}

// One page of the chain `tx` is scoped to, filtered by the query string
// (from, to, actorType, actorId, action; after, limit).
Reply list_page(pqxx::transaction_base& tx, const RequestContext& context) {
  std::map<std::string, std::string> parameters;  // a repeated name: the last value counts
  for (auto& [name, value] : http::parse_query(context.request().query)) {
    parameters[name] = std::move(value);
  }
  const auto get = [&](const char* name) -> std::optional<std::string> {
    const auto found = parameters.find(name);
    if (found == parameters.end() || found->second.empty()) return std::nullopt;
    return found->second;
  };
  audit::ListFilter filter;
  filter.from = get("from");
  filter.to = get("to");
  filter.actor_type = get("actorType");
  filter.actor_id = get("actorId");
  filter.action = get("action");
  std::optional<std::int64_t> after;
  std::size_t limit = 100;
  try {
    if (auto value = get("after")) after = std::stoll(*value);
    if (auto value = get("limit")) limit = static_cast<std::size_t>(std::stoul(*value));
  } catch (const std::exception&) {
    throw http::ApiError(400, "INVALID_QUERY", "after and limit must be integers");
  }
  audit::ListPage page;
  try {
    page = audit::list(tx, filter, after, limit);
  } catch (const pqxx::data_exception&) {
    throw http::ApiError(400, "INVALID_QUERY", "from and to must be RFC 3339 timestamps");
  }
  nlohmann::json records = nlohmann::json::array();
  for (const auto& stored : page.records) records.push_back(to_json(stored));
  nlohmann::json data = {{"records", records}};
  data["nextCursor"] =
      page.next_cursor ? nlohmann::json(*page.next_cursor) : nlohmann::json(nullptr);
  return Reply{200, data, {}, {}};
}

}  // namespace

std::vector<Route> audit_routes() {
  std::vector<Route> routes;
  // The tenant's own chain, filtered and paginated (keyset on seq).
  routes.emplace_back("GET", "/v1/audit", Scope::tenant, "audit:log.read",
                      [](RequestContext& context) { return list_page(context.db(), context); });
  return routes;
}

std::vector<Route> platform_audit_routes(const std::string& owner_url) {
  std::vector<Route> routes;
  // The platform chain (platform admin actions, policy reloads, failed logins
  // of unknown tenants), same filters and pagination as GET /v1/audit.
  routes.emplace_back("GET", "/v1/platform/audit", Scope::platform, "platform:audit.read",
                      [owner_url](RequestContext& context) {
                        pqxx::connection connection(owner_url);
                        pqxx::read_transaction tx(connection);
                        tx.exec_params("SELECT set_config('fk.tenant_id', $1, true)",
                                       std::string(audit::kPlatformChain));
                        return list_page(tx, context);
                      });
  return routes;
}

}  // namespace fk::api
