#include "plugins/plugin_routes.hpp"

#include "http/api_error.hpp"
#include "plugins/plugin_admin.hpp"
#include "tenancy/tenant_admin.hpp"

namespace fk::plugins {
namespace {

nlohmann::json to_json(const PluginStatus& status) {
  return {{"name", status.name},           {"version", status.version},
          {"state", status.state},         {"reason", status.reason},
          {"publisher", status.publisher}, {"signatureVerified", status.signature_verified}};
}

const LoadedPlugin& loaded(PluginHost& host, const std::string& name) {
  const LoadedPlugin* plugin = host.find(name);
  if (plugin == nullptr) {
    throw http::ApiError(404, "PLUGIN_NOT_FOUND", "no plugin named " + name + " is loaded");
  }
  return *plugin;
}

template <class Action>
std::string tenant_action(Action&& action) {
  try {
    return action();
  } catch (const tenancy::TenantAdminError& e) {
    throw http::ApiError(e.code() == "TENANT_NOT_FOUND" ? 404 : 422, e.code(), e.what());
  } catch (const ManifestError& e) {
    throw http::ApiError(422, "INVALID_PLUGIN_CONFIG", e.what());
  }
}

}  // namespace

std::vector<api::Route> plugin_admin_routes(PluginHost& host, std::string owner_url) {
  std::vector<api::Route> routes;
  routes.emplace_back("GET", "/v1/platform/plugins", api::Scope::platform, "platform:plugins.read",
                      [&host](api::RequestContext&) {
                        nlohmann::json items = nlohmann::json::array();
                        for (const auto& status : host.statuses()) items.push_back(to_json(status));
                        return api::Reply{200, {{"items", items}}, {}, {}};
                      });
  for (const bool enable : {true, false}) {
    routes.emplace_back(
        "POST",
        std::string("/v1/platform/tenants/{id}/plugins/{plugin}/") +
            (enable ? "enable" : "disable"),
        api::Scope::platform, "platform:plugins.manage",
        [&host, owner_url, enable](api::RequestContext& context) {
          const LoadedPlugin& plugin = loaded(host, context.param("plugin"));
          const std::string tenant_id = tenant_action([&] {
            return set_plugin_enabled(owner_url, context.param("id"), plugin.manifest(), enable,
                                      {"platform_admin", context.user_id(), context.request_id()});
          });
          host.enablement().forget(tenant_id, plugin.name());
          return api::Reply{
              200,
              {{"tenantId", tenant_id}, {"plugin", plugin.name()}, {"enabled", enable}},
              {},
              {}};
        });
  }
  routes.emplace_back(
      "PUT", "/v1/platform/tenants/{id}/plugins/{plugin}/config", api::Scope::platform,
      "platform:plugins.manage", [&host, owner_url](api::RequestContext& context) {
        const LoadedPlugin& plugin = loaded(host, context.param("plugin"));
        const auto body = context.json_body();
        if (!body.is_object()) {
          throw http::ApiError(422, "INVALID_PLUGIN_CONFIG", "the configuration must be an object");
        }
        const std::string tenant_id = tenant_action([&] {
          return set_plugin_config(owner_url, context.param("id"), plugin.manifest(), body,
                                   {"platform_admin", context.user_id(), context.request_id()});
        });
        host.enablement().forget(tenant_id, plugin.name());
        return api::Reply{
            200,
            {{"tenantId", tenant_id},
             {"plugin", plugin.name()},
             {"config", effective_config(plugin.manifest(), plugin.platform_config, body)}},
            {},
            {}};
      });
  routes.emplace_back("GET", "/v1/plugins", api::Scope::tenant, "tenant:settings.read",
                      [&host](api::RequestContext& context) {
                        nlohmann::json items = nlohmann::json::array();
                        for (const auto& status : host.statuses()) {
                          const LoadedPlugin* plugin = host.find(status.name);
                          if (plugin == nullptr) continue;
                          const auto state = read_tenant_plugin(context.db(), status.name);
                          if (!state.enabled) continue;
                          items.push_back({{"name", status.name}, {"version", status.version}});
                        }
                        return api::Reply{200, {{"items", items}}, {}, {}};
                      });
  return routes;
}

}  // namespace fk::plugins
