#include "plugins/plugin_admin.hpp"

#include "audit/audit_log.hpp"
#include "plugins/plugin_enablement.hpp"
#include "tenancy/tenant_admin.hpp"

#include <pqxx/pqxx>

namespace fk::plugins {
namespace {

template <class Change>
std::string in_tenant(const std::string& owner_url, const std::string& tenant,
                      const PluginAdminActor& actor, const std::string& action,
                      const std::string& plugin, nlohmann::json summary, Change&& change) {
  const auto resolved = tenancy::TenantAdmin(owner_url).show(tenant);
  pqxx::connection connection(owner_url);
  pqxx::work tx(connection);
  tx.exec_params("SELECT set_config('fk.tenant_id', $1, true)", resolved.id);
  change(tx, resolved.id);
  audit::AuditRecord record;
  record.actor_type = actor.type;
  record.actor_id = actor.id;
  record.action = action;
  record.resource = "plugins/" + plugin;
  record.request_id = actor.request_id;
  record.summary = std::move(summary);
  audit::append(tx, record);
  tx.commit();
  return resolved.id;
}

}  // namespace

std::string set_plugin_enabled(const std::string& owner_url, const std::string& tenant,
                               const PluginManifest& manifest, bool enabled,
                               const PluginAdminActor& actor) {
  return in_tenant(owner_url, tenant, actor, enabled ? "plugin.enable" : "plugin.disable",
                   manifest.name, {{"plugin", manifest.name}, {"version", manifest.version}},
                   [&](pqxx::work& tx, const std::string& tenant_id) {
                     set_enabled(tx, tenant_id, manifest.name, enabled,
                                 actor.type + ":" + actor.id);
                   });
}

std::string set_plugin_config(const std::string& owner_url, const std::string& tenant,
                              const PluginManifest& manifest, const nlohmann::json& values,
                              const PluginAdminActor& actor) {
  validate_plugin_config(manifest, values);
  // Which keys changed, not their values: configuration may hold secrets.
  nlohmann::json keys = nlohmann::json::array();
  for (auto it = values.begin(); it != values.end(); ++it) keys.push_back(it.key());
  return in_tenant(owner_url, tenant, actor, "plugin.configure", manifest.name,
                   {{"plugin", manifest.name}, {"keys", keys}},
                   [&](pqxx::work& tx, const std::string& tenant_id) {
                     set_tenant_config(tx, tenant_id, manifest.name, values,
                                       actor.type + ":" + actor.id);
                   });
}

}  // namespace fk::plugins
