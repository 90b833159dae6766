// Dead letters for platform administrators (declared in events/event_routes.hpp).
// Both routes resolve the tenant like the other platform routes (id or
// slug, through the owner role), then work in a tenant transaction of that
// tenant as the runtime role, so RLS scopes them like any tenant request.

#include "events/event_routes.hpp"

#include "audit/audit_log.hpp"
#include "audit/audit_record.hpp"
#include "db/tenant_transaction.hpp"
#include "events/dead_letters.hpp"
#include "http/api_error.hpp"
#include "http/query_string.hpp"
#include "tenancy/tenant_admin.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <optional>
#include <string_view>

namespace fk::events {

namespace {

using api::Reply;
using api::RequestContext;
using api::Route;
using api::Scope;

std::string resolve_tenant(const std::string& owner_url, const std::string& id_or_slug) {
  try {
    return tenancy::TenantAdmin(owner_url).show(id_or_slug).id;
  } catch (const tenancy::TenantAdminError& e) {
    if (e.code() == "TENANT_NOT_FOUND") throw http::ApiError(404, e.code(), e.what());
    throw http::ApiError(422, e.code(), e.what());
  }
}

long long parse_number(std::string_view text, const char* parameter) {
  long long value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < 0) {
    throw http::ApiError(400, "INVALID_ARGUMENT",
                         std::string("query parameter ") + parameter + " must be a number",
                         {{"parameter", parameter}});
  }
  return value;
}

// `after` is "<seq>:<subscriber>", the nextCursor of the previous page.
std::optional<DeadLetterCursor> parse_cursor(const std::optional<std::string>& text) {
  if (!text || text->empty()) return std::nullopt;
  const auto colon = text->find(':');
  if (colon == std::string::npos || colon + 1 == text->size()) {
    throw http::ApiError(400, "INVALID_ARGUMENT", "after must be <seq>:<subscriber>",
                         {{"parameter", "after"}});
  }
  return DeadLetterCursor{parse_number(text->substr(0, colon), "after"),
                          std::string(text->substr(colon + 1))};
}

nlohmann::json to_json(const DeadLetter& letter) {
  return {{"eventId", letter.event_id},
          {"subscriber", letter.subscriber},
          {"eventType", letter.type},
          {"source", letter.source},
          {"aggregateType", letter.aggregate_type},
          {"aggregateId", letter.aggregate_id},
          {"payload", nlohmann::json::parse(letter.payload_json, nullptr, false)},
          {"metadata", nlohmann::json::parse(letter.metadata_json, nullptr, false)},
          {"version", letter.version},
          {"seq", letter.seq},
          {"attempts", letter.attempts},
          {"replays", letter.replays},
          {"lastError", letter.last_error},
          {"occurredAt", letter.occurred_at},
          {"deadAt", letter.dead_at}};
}

audit::AuditRecord replay_record(const RequestContext& context, const std::string& tenant_id,
                                 const std::string& event_id, const std::string& subscriber) {
  audit::AuditRecord record;
  record.actor_type = "platform_admin";
  record.actor_id = context.user_id();
  record.action = "events.dead_letter.replayed";
  record.resource = "event/" + event_id + "/" + subscriber;
  record.request_id = context.request_id();
  record.client_address = context.request().remote_address;
  record.summary = {{"tenantId", tenant_id}, {"eventId", event_id}, {"subscriber", subscriber}};
  return record;
}

// A 200 reply (named members only: Reply grows over time).
Reply ok(nlohmann::json data) {
  Reply reply;
  reply.data = std::move(data);
  return reply;
}

}  // namespace

std::vector<Route> event_admin_routes(EventAdmin dependencies) {
  std::vector<Route> routes;
  routes.emplace_back(
      "GET", "/v1/platform/tenants/{id}/events/dead-letters", Scope::platform,
      "platform:events.read", [dependencies](RequestContext& context) {
        const auto tenant_id = resolve_tenant(dependencies.owner_url, context.param("id"));
        const auto& query = context.request().query;
        const auto limit_text = http::query_value(query, "limit");
        const auto limit =
            limit_text ? static_cast<std::size_t>(parse_number(*limit_text, "limit")) : 50;
        const auto after = parse_cursor(http::query_value(query, "after"));
        db::TenantTransaction tx(dependencies.pool, tenant_id);
        const auto letters = list_dead_letters(tx.work(), limit, after);
        tx.commit();
        nlohmann::json items = nlohmann::json::array();
        for (const auto& letter : letters) items.push_back(to_json(letter));
        nlohmann::json next = nullptr;
        if (!letters.empty() && letters.size() == std::clamp<std::size_t>(limit, 1, 500)) {
          next = std::to_string(letters.back().seq) + ":" + letters.back().subscriber;
        }
        return ok({{"tenantId", tenant_id}, {"items", items}, {"nextCursor", next}});
      });
  routes.emplace_back(
      "POST", "/v1/platform/tenants/{id}/events/dead-letters/{event_id}/{subscriber}/replay",
      Scope::platform, "platform:events.replay", [dependencies](RequestContext& context) {
        const auto tenant_id = resolve_tenant(dependencies.owner_url, context.param("id"));
        const auto& event_id = context.param("event_id");
        const auto& subscriber = context.param("subscriber");
        db::TenantTransaction tx(dependencies.pool, tenant_id);
        if (!replay(tx.work(), event_id, subscriber)) {
          throw http::ApiError(404, "DEAD_LETTER_NOT_FOUND",
                               "no dead letter for event " + event_id + " and subscriber " +
                                   subscriber + " in this tenant",
                               {{"eventId", event_id}, {"subscriber", subscriber}});
        }
        // The tenant's own chain records the replay with the change; the
        // platform chain records who did it across tenants.
        const auto record = replay_record(context, tenant_id, event_id, subscriber);
        audit::append(tx.work(), record);
        tx.commit();
        audit::append_platform(dependencies.pool, record);
        return ok({{"tenantId", tenant_id},
                   {"eventId", event_id},
                   {"subscriber", subscriber},
                   {"status", "pending"}});
      });
  return routes;
}

}  // namespace fk::events
