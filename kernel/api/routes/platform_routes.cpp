#include "api/routes/routes.hpp"
#include "audit/audit_key_file.hpp"
#include "audit/audit_log.hpp"
#include "audit/audit_record.hpp"
#include "audit/audit_verify.hpp"
#include "http/api_error.hpp"
#include "keys/master_key.hpp"
#include "keys/tenant_keys.hpp"
#include "tenancy/tenant_admin.hpp"

#include <pqxx/pqxx>

namespace fk::api {

namespace {

nlohmann::json to_json(const tenancy::Tenant& tenant) {
  return {{"id", tenant.id},
          {"slug", tenant.slug},
          {"displayName", tenant.display_name},
          {"status", tenancy::to_string(tenant.status)},
          {"createdAt", tenant.created_at},
          {"updatedAt", tenant.updated_at}};
}

http::ApiError admin_error(const tenancy::TenantAdminError& e) {
  const int status = e.code() == "TENANT_NOT_FOUND" ? 404
                     : (e.code() == "TENANT_EXISTS" || e.code().rfind("TENANT_STATE", 0) == 0)
                         ? 409
                         : 422;
  return http::ApiError(status, e.code(), e.what());
}

}  // namespace

std::vector<Route> platform_routes(PlatformDependencies dependencies) {
  std::vector<Route> routes;
  routes.emplace_back(
      "POST", "/v1/platform/auth/login", Scope::open, "public",
      [&auth = dependencies.auth](RequestContext& context) {
        const auto body = context.json_body();
        if (!body.is_object() || !body.contains("email") || !body["email"].is_string() ||
            !body.contains("password") || !body["password"].is_string()) {
          throw http::ApiError(422, "VALIDATION_FAILED", "email and password are required");
        }
        try {
          const auto tokens = auth.platform_login(
              body["email"], body["password"],
              auth::ClientInfo{context.request_id(), context.request().remote_address});
          return Reply{200,
                       {{"accessToken", tokens.access_token},
                        {"tokenType", "Bearer"},
                        {"expiresIn", tokens.access_expires_in}},
                       {},
                       {}};
        } catch (const auth::AuthError& e) {
          throw http::ApiError(e.status(), e.code(), e.what());
        }
      });
  routes.emplace_back("GET", "/v1/platform/tenants", Scope::platform, "platform:tenants.read",
                      [owner = dependencies.owner_url](RequestContext&) {
                        nlohmann::json tenants = nlohmann::json::array();
                        for (const auto& tenant : tenancy::TenantAdmin(owner).list())
                          tenants.push_back(to_json(tenant));
                        return Reply{200, tenants, {}, {}};
                      });
  routes.emplace_back(
      "POST", "/v1/platform/tenants", Scope::platform, "platform:tenants.write",
      [owner = dependencies.owner_url](RequestContext& context) {
        const auto body = context.json_body();
        if (!body.is_object() || !body.contains("slug") || !body["slug"].is_string() ||
            !body.contains("displayName") || !body["displayName"].is_string()) {
          throw http::ApiError(422, "VALIDATION_FAILED", "slug and displayName are required");
        }
        try {
          const auto tenant = tenancy::TenantAdmin(owner).create(body["slug"], body["displayName"]);
          return Reply{201, to_json(tenant), {}, {}};
        } catch (const tenancy::TenantAdminError& e) {
          throw admin_error(e);
        }
      });
  for (const auto* action : {"suspend", "resume"}) {
    routes.emplace_back("POST", std::string("/v1/platform/tenants/{id}/") + action, Scope::platform,
                        "platform:tenants.write",
                        [owner = dependencies.owner_url, on_change = dependencies.tenant_changed,
                         suspend = std::string(action) == "suspend"](RequestContext& context) {
                          try {
                            tenancy::TenantAdmin admin(owner);
                            const auto tenant = suspend ? admin.suspend(context.param("id"))
                                                        : admin.resume(context.param("id"));
                            on_change(tenant.id);
                            return Reply{200, to_json(tenant), {}, {}};
                          } catch (const tenancy::TenantAdminError& e) {
                            throw admin_error(e);
                          }
                        });
  }
  routes.emplace_back(
      "POST", "/v1/platform/tenants/{id}/delete", Scope::platform, "platform:tenants.write",
      [owner = dependencies.owner_url,
       on_change = dependencies.tenant_changed](RequestContext& context) {
        try {
          const auto tenant = tenancy::TenantAdmin(owner).remove(context.param("id"));
          on_change(tenant.id);
          return Reply{200, to_json(tenant), {}, {}};
        } catch (const tenancy::TenantAdminError& e) {
          throw admin_error(e);
        }
      });
  routes.emplace_back(
      "POST", "/v1/platform/policies/reload", Scope::platform, "platform:policies.reload",
      [reload = dependencies.reload_policies](RequestContext& context) {
        if (auto problem = reload(context.user_id()); !problem.empty()) {
          throw http::ApiError(422, "POLICY_INVALID",
                               "the new policy was refused; the previous policy stays in force",
                               {{"problem", problem}});
        }
        return Reply{200, {{"reloaded", true}}, {}, {}};
      });
  // Key rotation and audit verification for platform operators (the CLI's
  // `finkernel keys rotate` and `finkernel audit verify`, over the API).
  routes.emplace_back(
      "POST", "/v1/platform/tenants/{id}/keys/rotate", Scope::platform, "platform:keys.rotate",
      [owner = dependencies.owner_url,
       file = dependencies.master_key_file](RequestContext& context) {
        tenancy::Tenant tenant;
        try {
          tenant = tenancy::TenantAdmin(owner).show(context.param("id"));
        } catch (const tenancy::TenantAdminError& e) {
          throw admin_error(e);
        }
        std::shared_ptr<keys::MasterKeyProvider> master;
        try {
          master = keys::load_master_key(file);
        } catch (const std::exception& e) {
          throw http::ApiError(409, "MASTER_KEY_UNAVAILABLE",
                               "no usable master key; run finkernel keys init",
                               {{"problem", e.what()}});
        }
        keys::TenantKeyService service(master);
        pqxx::connection connection(owner);
        pqxx::work tx(connection);
        tx.exec_params("SELECT set_config('fk.tenant_id', $1, true)", tenant.id);
        const int version = service.rotate(tx, tenant.id);
        // Recorded in the tenant's own chain, committed with the rotation.
        audit::AuditRecord record;
        record.actor_type = "platform_admin";
        record.actor_id = context.user_id();
        record.action = "keys.rotate";
        record.resource = "tenant_keys/" + tenant.id;
        record.request_id = context.request_id();
        record.client_address = context.request().remote_address;
        record.summary = {{"currentVersion", version}};
        audit::append(tx, record);
        tx.commit();
        return Reply{200, {{"tenantId", tenant.id}, {"currentVersion", version}}, {}, {}};
      });
  routes.emplace_back(
      "GET", "/v1/platform/tenants/{id}/audit/verify", Scope::platform, "platform:audit.read",
      [owner = dependencies.owner_url,
       file = dependencies.audit_key_file](RequestContext& context) {
        const auto& name = context.param("id");
        std::string chain = audit::kPlatformChain;
        if (name != "platform") {
          try {
            chain = tenancy::TenantAdmin(owner).show(name).id;
          } catch (const tenancy::TenantAdminError& e) {
            throw admin_error(e);
          }
        }
        const auto report = audit::verify(owner, chain, {audit::load_or_create_audit_key(file)});
        return Reply{200,
                     {{"ok", report.ok()},
                      {"problem", audit::to_string(report.problem)},
                      {"count", report.count},
                      {"firstBadSeq", report.first_bad_seq},
                      {"checkpoints", report.checkpoints},
                      {"message", report.message}},
                     {},
                     {}};
      });
  for (auto& route : platform_audit_routes(dependencies.owner_url))
    routes.push_back(std::move(route));
  return routes;
}

}  // namespace fk::api
