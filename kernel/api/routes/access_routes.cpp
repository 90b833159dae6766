#include "api/routes/routes.hpp"
#include "auth/api_keys.hpp"
#include "auth/tenant_roles.hpp"
#include "auth/user_admin.hpp"
#include "http/api_error.hpp"

#include <algorithm>

namespace fk::api {

namespace {

nlohmann::json to_json(const auth::ApiKeyRecord& key) {
  return {{"id", key.id},
          {"name", key.name},
          {"createdBy", key.created_by},
          {"permissions", key.permissions},
          {"expiresAt", key.expires_at},
          {"revoked", key.revoked},
          {"createdAt", key.created_at}};
}

std::vector<std::string> string_list(const nlohmann::json& body, const char* field) {
  const auto invalid = [field] {
    return http::ApiError(422, "VALIDATION_FAILED",
                          std::string(field) + " must be an array of strings",
                          {{"field", field}, {"reason", "INVALID_VALUE"}});
  };
  if (!body.is_object() || !body.contains(field) || !body[field].is_array()) throw invalid();
  std::vector<std::string> items;
  for (std::size_t i = 0; i < body[field].size(); ++i) {
    if (!body[field][i].is_string()) throw invalid();
    items.push_back(body[field][i].get<std::string>());
  }
  return items;
}

http::ApiError input_error(const auth::UserInputError& e) {
  return http::ApiError(422, "VALIDATION_FAILED", e.what(),
                        {{"field", e.field()}, {"reason", "INVALID_VALUE"}});
}

// Checks a role definition without writing it (also run before an approval is stored).
void validate_role(RequestContext& context, const authz::Swappable<authz::RbacPolicy>& policies) {
  const auto rbac = policies.current();
  const auto body = context.json_body();
  if (!body.is_object())
    throw http::ApiError(422, "VALIDATION_FAILED", "request body must be a JSON object");
  const auto permissions = string_list(body, "permissions");
  const auto& name = context.param("name");
  try {
    context.db().exec("SAVEPOINT fk_validate_role");
    auth::put_tenant_role(context.db(), *rbac, name, permissions);
    context.db().exec("ROLLBACK TO SAVEPOINT fk_validate_role");
  } catch (const auth::UserInputError& e) {
    context.db().exec("ROLLBACK TO SAVEPOINT fk_validate_role");
    throw input_error(e);
  }
}

}  // namespace

std::vector<Route> access_routes(const authz::Swappable<authz::RbacPolicy>& rbac) {
  std::vector<Route> routes;
  routes.emplace_back("GET", "/v1/api-keys", Scope::tenant, "tenant:api-keys.read",
                      [](RequestContext& context) {
                        nlohmann::json keys = nlohmann::json::array();
                        for (const auto& key : auth::list_api_keys(context.db()))
                          keys.push_back(to_json(key));
                        return Reply{200, keys, {}, {}};
                      });
  routes.emplace_back(
      "POST", "/v1/api-keys", Scope::tenant, "tenant:api-keys.write", [](RequestContext& context) {
        if (context.user_id().empty() || !context.api_key_id().empty()) {
          throw http::ApiError(403, "FORBIDDEN", "API keys are created by a logged-in user");
        }
        const auto body = context.json_body();
        if (!body.is_object())
          throw http::ApiError(422, "VALIDATION_FAILED", "request body must be a JSON object");
        const auto name = body.value("name", std::string());
        const auto days =
            body.contains("expiresInDays") && body["expiresInDays"].is_number_integer()
                ? body["expiresInDays"].get<int>()
                : (body.contains("expiresInDays") ? 0 : 90);
        const std::vector<std::string> granted(context.permissions().begin(),
                                               context.permissions().end());
        try {
          const auto created = auth::create_api_key(context.db(), context.user_id(), granted, name,
                                                    string_list(body, "permissions"), days);
          return Reply{
              201, {{"key", created.plaintext}, {"apiKey", to_json(created.record)}}, {}, {}};
        } catch (const auth::UserInputError& e) {
          throw input_error(e);
        }
      });
  routes.emplace_back("POST", "/v1/api-keys/{id}/revoke", Scope::tenant, "tenant:api-keys.write",
                      [](RequestContext& context) {
                        if (!auth::revoke_api_key(context.db(), context.param("id"))) {
                          throw http::ApiError(404, "API_KEY_NOT_FOUND", "no such API key");
                        }
                        return Reply{200, {{"revoked", true}}, {}, {}};
                      });

  routes.emplace_back(
      "GET", "/v1/roles", Scope::tenant, "tenant:roles.read", [](RequestContext& context) {
        nlohmann::json roles = nlohmann::json::array();
        for (const auto& role : auth::list_tenant_roles(context.db())) {
          roles.push_back(
              {{"name", role.name}, {"permissions", role.permissions}, {"definedBy", "tenant"}});
        }
        return Reply{200, roles, {}, {}};
      });
  routes.emplace_back(
      "PUT", "/v1/roles/{name}", Scope::tenant, "tenant:roles.write",
      [&rbac](RequestContext& context) {
        const auto permissions = string_list(context.json_body(), "permissions");
        try {
          const auto role = auth::put_tenant_role(context.db(), *rbac.current(),
                                                  context.param("name"), permissions);
          return Reply{
              200,
              {{"name", role.name}, {"permissions", role.permissions}, {"definedBy", "tenant"}},
              {},
              {}};
        } catch (const auth::UserInputError& e) {
          throw input_error(e);
        }
      },
      [&rbac](RequestContext& context) { validate_role(context, rbac); });
  return routes;
}

}  // namespace fk::api
