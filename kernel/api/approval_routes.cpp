// Maker-checker in the pipeline: requests to approval-gated routes are
// validated and stored; a different user with the rule's checker permission
// approves them, which replays the stored request through the route's own
// handler, exactly once, inside the checker's transaction.

#include "api/pipeline.hpp"
#include "approvals/approval_store.hpp"
#include "auth/tenant_roles.hpp"
#include "auth/user_store.hpp"
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

// The maker's authority NOW, for executing their approved action: the roles
// they hold at execution (a role change or disable since submission counts),
// for an API key at most what the key carried at submission. Throws 403
// MAKER_NOT_AUTHORIZED when the maker may no longer do `permission`, so an
// approval never runs an action its maker has lost the right to.
void act_as_maker(pqxx::transaction_base& tx, const authz::RbacPolicy& policy,
                  const approvals::PendingAction& action, const std::string& permission,
                  std::vector<std::string>& roles, std::set<std::string>& permissions,
                  std::string& api_key_id) {
  const auto maker = auth::find_user(tx, action.maker_id);
  if (!maker || maker->status != "active") {
    throw http::ApiError(403, "MAKER_NOT_AUTHORIZED",
                         "the maker of this action is no longer active");
  }
  permissions = auth::effective_permissions(tx, policy, maker->roles);
  roles = maker->roles;
  if (const auto key = action.request.find("makerApiKeyId"); key != action.request.end()) {
    api_key_id = key->get<std::string>();
    std::set<std::string> carried;
    for (const auto& granted :
         action.request.value("makerKeyPermissions", nlohmann::json::array())) {
      if (permissions.count(granted.get<std::string>())) carried.insert(granted.get<std::string>());
    }
    permissions = std::move(carried);
  }
  if (!permissions.count(permission)) {
    throw http::ApiError(403, "MAKER_NOT_AUTHORIZED",
                         "the maker no longer holds permission " + permission,
                         {{"permission", permission}});
  }
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
  nlohmann::json stored = {{"method", route.method},
                           {"path", route.path},
                           {"params", params},
                           {"body", context.request().body}};
  if (const auto key = context.request().header("idempotency-key")) {
    // Kept for the execution: the same request submitted twice (a client's
    // retry) and approved twice still changes state once.
    stored["headers"] = {{"idempotency-key", std::string(*key)}};
  }
  if (!context.api_key_id().empty()) {
    // An API key acts with at most its share; the execution keeps to it.
    stored["makerApiKeyId"] = context.api_key_id();
    stored["makerKeyPermissions"] = context.permissions();
  }
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
  const nlohmann::json stored_headers = action.request.value("headers", nlohmann::json::object());
  for (const auto& [name, value] : stored_headers.items()) {
    replay.headers.emplace_back(name, value.get<std::string>());
  }
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
    // The handler (a plugin's has_permission too) sees the maker as they are now.
    act_as_maker(tx, *policy, action, target->permission, inner.roles_, inner.permissions_,
                 inner.api_key_id_);
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
