// Maker-checker in the pipeline: requests to approval-gated routes are
// validated and stored; a different user with the rule's checker permission
// approves them, which replays the stored request through the route's own
// handler, exactly once, inside the checker's transaction.

#include "api/pipeline.hpp"
#include "approvals/approval_store.hpp"
#include "http/api_error.hpp"
#include "tenancy/tenant.hpp"

#include <pqxx/pqxx>

namespace fk::api {

namespace {

nlohmann::json to_json(const approvals::PendingAction& action) {
  return {{"id", action.id},
          {"action", action.action},
          {"status", action.status},
          {"makerId", action.maker_id},
          {"createdAt", action.created_at},
          {"expiresAt", action.expires_at},
          {"decidedBy",
           action.decided_by.empty() ? nlohmann::json(nullptr) : nlohmann::json(action.decided_by)},
          {"request", {{"method", action.request["method"]}, {"path", action.request["path"]}}},
          {"result", action.result}};
}

std::string approval_id(RequestContext& context) {
  const auto& id = context.param("id");
  if (!tenancy::is_uuid(id)) throw http::ApiError(404, "APPROVAL_NOT_FOUND", "no such approval");
  return id;
}

}  // namespace

Reply Pipeline::submit_for_approval(const Route& route, RequestContext& context,
                                    const authz::ApprovalRule& rule) {
  if (context.user_id().empty()) {
    throw http::ApiError(403, "APPROVAL_NEEDS_USER",
                         "this action needs a user who can be held to it");
  }
  if (route.validate) route.validate(context);
  nlohmann::json params = nlohmann::json::object();
  for (const auto& [name, value] : context.params_) params[name] = value;
  const nlohmann::json stored = {{"method", route.method},
                                 {"path", route.path},
                                 {"params", params},
                                 {"body", context.request().body}};
  const auto pending = approvals::submit(context.db(), route.permission, stored, context.user_id(),
                                         rule.expires_seconds);
  return Reply{202, {{"approval", to_json(pending)}}, {}, {}};
}

Reply Pipeline::decide(RequestContext& context, bool approve) {
  if (context.user_id().empty() || !context.api_key_id().empty()) {
    throw http::ApiError(403, "FORBIDDEN", "approvals are decided by a logged-in user");
  }
  auto& tx = context.db();
  approvals::PendingAction action;
  try {
    action = approvals::claim(tx, approval_id(context), context.user_id());
  } catch (const approvals::DecisionError& e) {
    throw http::ApiError(e.status(), e.code(), e.what());
  }
  const auto policy = services_.policy.current();
  const auto* rule = policy->approval_rule(action.action);
  const std::string checker_permission =
      rule ? rule->checker_permission : "tenant:approvals.decide";
  if (!context.permissions().count(checker_permission)) {
    throw http::ApiError(403, "FORBIDDEN", "missing permission " + checker_permission,
                         {{"permission", checker_permission}});
  }
  if (!approve) {
    approvals::conclude(tx, action.id, "rejected", context.user_id(), nullptr);
    action.status = "rejected";
    action.decided_by = context.user_id();
    return Reply{200, {{"approval", to_json(action)}}, {}, {}};
  }

  const Route* target = nullptr;
  for (const auto& route : routes_) {
    if (route.method == action.request["method"] && route.path == action.request["path"])
      target = &route;
  }
  // Replay the maker's request through the route's own handler. A savepoint
  // keeps a failing action's writes out while its failure is recorded.
  http::Request replay;
  replay.method = action.request["method"];
  replay.path = action.request["path"];
  replay.body = action.request["body"];
  replay.headers = {{"content-type", "application/json"}};
  std::map<std::string, std::string, std::less<>> params;
  for (const auto& [name, value] : action.request["params"].items()) params[name] = value;
  RequestContext inner(replay, context.request_id(), params);
  inner.tenant_id_ = context.tenant_id();
  inner.user_id_ = action.maker_id;
  inner.transaction_ = context.transaction_;

  nlohmann::json outcome;
  std::string status = "executed";
  tx.exec("SAVEPOINT fk_approval");
  try {
    if (!target) throw http::ApiError(410, "ACTION_GONE", "the approved action no longer exists");
    const Reply reply = target->handler(inner);
    tx.exec("RELEASE SAVEPOINT fk_approval");
    for (auto& record : inner.deferred_audit_) context.deferred_audit_.push_back(std::move(record));
    for (auto& event : inner.deferred_events_) context.deferred_events_.push_back(std::move(event));
    outcome = {{"status", reply.status}, {"data", reply.data}};
  } catch (const http::ApiError& e) {
    tx.exec("ROLLBACK TO SAVEPOINT fk_approval");
    status = "failed";
    outcome = {{"status", e.status()}, {"error", {{"code", e.code()}, {"message", e.what()}}}};
  }
  approvals::conclude(tx, action.id, status, context.user_id(), outcome);
  action.status = status;
  action.decided_by = context.user_id();
  action.result = outcome;
  return Reply{200, {{"approval", to_json(action)}}, {}, {}};
}

std::vector<Route> Pipeline::approval_routes() {
  std::vector<Route> routes;
  routes.emplace_back(
      "GET", "/v1/approvals", Scope::tenant, "tenant:approvals.read", [](RequestContext& context) {
        const auto status = context.request().query.find("status=pending") != std::string::npos
                                ? std::string("pending")
                                : std::string();
        nlohmann::json items = nlohmann::json::array();
        for (const auto& action : approvals::list(context.db(), status)) {
          items.push_back(to_json(action));
        }
        return Reply{200, items, {}, {}};
      });
  routes.emplace_back("GET", "/v1/approvals/{id}", Scope::tenant, "tenant:approvals.read",
                      [](RequestContext& context) {
                        const auto action = approvals::find(context.db(), approval_id(context));
                        if (!action)
                          throw http::ApiError(404, "APPROVAL_NOT_FOUND", "no such approval");
                        return Reply{200, to_json(*action), {}, {}};
                      });
  routes.emplace_back("POST", "/v1/approvals/{id}/approve", Scope::tenant,
                      "tenant:approvals.decide",
                      [this](RequestContext& context) { return decide(context, true); });
  routes.emplace_back("POST", "/v1/approvals/{id}/reject", Scope::tenant, "tenant:approvals.decide",
                      [this](RequestContext& context) { return decide(context, false); });
  return routes;
}

}  // namespace fk::api
