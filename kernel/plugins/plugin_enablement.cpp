#include "plugins/plugin_enablement.hpp"

namespace fk::plugins {

TenantPlugin read_tenant_plugin(pqxx::transaction_base& tx, const std::string& plugin) {
  TenantPlugin state;
  const auto rows = tx.exec_params(
      "SELECT enabled, config::text, coalesce(installed_version, '') FROM fk_plugin_tenants "
      "WHERE plugin = $1",
      plugin);
  if (rows.empty()) return state;
  state.enabled = rows[0][0].as<bool>();
  state.config = nlohmann::json::parse(rows[0][1].as<std::string>());
  state.installed_version = rows[0][2].as<std::string>();
  return state;
}

TenantPlugin EnablementCache::get(pqxx::transaction_base& tx, const std::string& tenant_id,
                                  const std::string& plugin) {
  const auto key = std::make_pair(tenant_id, plugin);
  const auto now = std::chrono::steady_clock::now();
  if (ttl_.count() > 0) {
    std::lock_guard lock(mutex_);
    const auto found = entries_.find(key);
    if (found != entries_.end() && found->second.expires > now) return found->second.value;
  }
  TenantPlugin state = read_tenant_plugin(tx, plugin);
  if (ttl_.count() > 0) {
    std::lock_guard lock(mutex_);
    entries_[key] = Entry{state, now + ttl_};
  }
  return state;
}

void EnablementCache::forget(const std::string& tenant_id, const std::string& plugin) {
  std::lock_guard lock(mutex_);
  entries_.erase(std::make_pair(tenant_id, plugin));
}

void set_enabled(pqxx::transaction_base& tx, const std::string& tenant_id,
                 const std::string& plugin, bool enabled, const std::string& actor) {
  tx.exec_params(
      "INSERT INTO fk_plugin_tenants (tenant_id, plugin, enabled, updated_by) "
      "VALUES ($1::uuid, $2, $3, $4) ON CONFLICT (tenant_id, plugin) DO UPDATE "
      "SET enabled = EXCLUDED.enabled, updated_by = EXCLUDED.updated_by, updated_at = now()",
      tenant_id, plugin, enabled, actor);
}

void set_tenant_config(pqxx::transaction_base& tx, const std::string& tenant_id,
                       const std::string& plugin, const nlohmann::json& values,
                       const std::string& actor) {
  tx.exec_params(
      "INSERT INTO fk_plugin_tenants (tenant_id, plugin, enabled, config, updated_by) "
      "VALUES ($1::uuid, $2, false, $3::jsonb, $4) ON CONFLICT (tenant_id, plugin) DO UPDATE "
      "SET config = EXCLUDED.config, updated_by = EXCLUDED.updated_by, updated_at = now()",
      tenant_id, plugin, values.dump(), actor);
}

void record_installed_version(pqxx::transaction_base& tx, const std::string& plugin,
                              const std::string& version) {
  tx.exec_params("UPDATE fk_plugin_tenants SET installed_version = $2 WHERE plugin = $1", plugin,
                 version);
}

}  // namespace fk::plugins
