#include "api/routes/routes.hpp"
#include "auth/user_admin.hpp"
#include "http/api_error.hpp"
#include "tenancy/tenant.hpp"

#include <pqxx/pqxx>

#include <algorithm>

namespace fk::api {

namespace {

nlohmann::json to_json(const auth::UserRecord& user) {
  return {{"id", user.id},
          {"email", user.email},
          {"displayName", user.display_name},
          {"status", user.status},
          {"locked", user.locked},
          {"roles", user.roles},
          {"createdAt", user.created_at}};
}

// Another tenant's user id and a malformed id both read as "no such user":
// existence never leaks across tenants.
auth::UserRecord existing_user(RequestContext& context) {
  const auto& id = context.param("id");
  if (tenancy::is_uuid(id)) {
    if (auto user = auth::find_user(context.db(), id)) return *user;
  }
  throw http::ApiError(404, "USER_NOT_FOUND", "no such user");
}

std::vector<std::string> roles_field(const nlohmann::json& body) {
  const auto found = body.find("roles");
  if (found == body.end()) return {};
  if (!found->is_array()) {
    throw http::ApiError(422, "VALIDATION_FAILED", "roles must be an array of role names",
                         {{"field", "roles"}, {"reason", "INVALID_VALUE"}});
  }
  std::vector<std::string> roles;
  for (const auto& item : *found) {
    if (!item.is_string()) {
      throw http::ApiError(422, "VALIDATION_FAILED", "roles must be an array of role names",
                           {{"field", "roles"}, {"reason", "INVALID_VALUE"}});
    }
    roles.push_back(item.get<std::string>());
  }
  return roles;
}

// Only the named fields may appear; anything else (tenant_id, id, status...)
// is refused rather than silently applied or dropped.
void only_fields(const nlohmann::json& body, std::initializer_list<const char*> allowed) {
  if (!body.is_object()) {
    throw http::ApiError(422, "VALIDATION_FAILED", "request body must be a JSON object");
  }
  for (const auto& [key, value] : body.items()) {
    if (std::none_of(allowed.begin(), allowed.end(),
                     [&](const char* name) { return key == name; })) {
      throw http::ApiError(422, "VALIDATION_FAILED", "\"" + key + "\" is not accepted here",
                           {{"field", key}, {"reason", "UNKNOWN_FIELD"}});
    }
  }
}

std::string string_field(const nlohmann::json& body, const char* field, bool required) {
  const auto found = body.find(field);
  if (found == body.end() && !required) return {};
  if (found == body.end() || !found->is_string()) {
    throw http::ApiError(422, "VALIDATION_FAILED", std::string(field) + " must be a string",
                         {{"field", field}, {"reason", required ? "REQUIRED" : "INVALID_VALUE"}});
  }
  return found->get<std::string>();
}

Reply user_reply(int status, const auth::UserRecord& user) {
  return Reply{status, to_json(user), {}, {}};
}

}  // namespace

std::vector<Route> user_routes(const auth::AuthPolicy& policy,
                               const authz::Swappable<authz::RbacPolicy>& rbac) {
  std::vector<Route> routes;
  routes.push_back(
      {"GET", "/v1/users", Scope::tenant, "tenant:users.read", [](RequestContext& context) {
         nlohmann::json users = nlohmann::json::array();
         for (const auto& user : auth::list_users(context.db())) users.push_back(to_json(user));
         return Reply{200, users, {}, {}};
       }});
  routes.push_back(
      {"POST", "/v1/users", Scope::tenant, "tenant:users.write",
       [&policy, &rbac](RequestContext& context) {
         const auto body = context.json_body();
         only_fields(body, {"email", "displayName", "password", "roles"});
         try {
           return user_reply(
               201, auth::create_user(context.db(), policy, *rbac.current(),
                                      string_field(body, "email", true),
                                      string_field(body, "displayName", false),
                                      string_field(body, "password", true), roles_field(body)));
         } catch (const auth::UserInputError& e) {
           throw http::ApiError(422, "VALIDATION_FAILED", e.what(),
                                {{"field", e.field()}, {"reason", "INVALID_VALUE"}});
         } catch (const pqxx::unique_violation&) {
           throw http::ApiError(409, "USER_EXISTS", "a user with this email already exists",
                                {{"field", "email"}});
         }
       }});
  routes.push_back(
      {"GET", "/v1/users/{id}", Scope::tenant, "tenant:users.read",
       [](RequestContext& context) { return user_reply(200, existing_user(context)); }});
  routes.push_back({"PUT", "/v1/users/{id}/roles", Scope::tenant, "tenant:users.write",
                    [&rbac](RequestContext& context) {
                      const auto user = existing_user(context);
                      const auto body = context.json_body();
                      only_fields(body, {"roles"});
                      const auto roles = roles_field(body);
                      try {
                        auth::check_tenant_roles(context.db(), *rbac.current(), roles);
                      } catch (const auth::UserInputError& e) {
                        throw http::ApiError(422, "VALIDATION_FAILED", e.what(),
                                             {{"field", e.field()}, {"reason", "INVALID_VALUE"}});
                      }
                      auth::replace_roles(context.db(), user.id, roles);
                      return user_reply(200, *auth::find_user(context.db(), user.id));
                    }});
  const auto status_route = [](const char* action, const char* status) {
    return Route{"POST", std::string("/v1/users/{id}/") + action, Scope::tenant,
                 "tenant:users.write", [status](RequestContext& context) {
                   const auto user = existing_user(context);
                   auth::set_status(context.db(), user.id, status);
                   return user_reply(200, *auth::find_user(context.db(), user.id));
                 }};
  };
  routes.push_back(status_route("disable", "disabled"));
  routes.push_back(status_route("enable", "active"));
  routes.push_back({"POST", "/v1/users/{id}/unlock", Scope::tenant, "tenant:users.write",
                    [](RequestContext& context) {
                      const auto user = existing_user(context);
                      auth::unlock_user(context.db(), user.id);
                      return user_reply(200, *auth::find_user(context.db(), user.id));
                    }});
  return routes;
}

}  // namespace fk::api
