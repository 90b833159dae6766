#pragma once
// Which plugins a tenant has enabled, with its configuration values
// (fk_plugin_tenants, under row-level security). Read on the request path in
// the request's own transaction, cached per (tenant, plugin) for a short
// time (tenancy.status_cache_ttl_ms, like tenant status); written by
// platform administration through the owner role, always audited.

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

namespace fk::plugins {

struct TenantPlugin {
  bool enabled = false;
  nlohmann::json config = nlohmann::json::object();  // the tenant's own values only
  std::string installed_version;                     // of the last migrate callback run
};

class EnablementCache {
 public:
  explicit EnablementCache(std::chrono::milliseconds ttl) : ttl_(ttl) {}

  // `tx` must be a transaction of `tenant_id` (RLS scopes the read).
  TenantPlugin get(pqxx::transaction_base& tx, const std::string& tenant_id,
                   const std::string& plugin);
  void forget(const std::string& tenant_id, const std::string& plugin);

 private:
  struct Entry {
    TenantPlugin value;
    std::chrono::steady_clock::time_point expires;
  };
  std::chrono::milliseconds ttl_;
  std::mutex mutex_;
  std::map<std::pair<std::string, std::string>, Entry> entries_;
};

// Reads the row without the cache.
TenantPlugin read_tenant_plugin(pqxx::transaction_base& tx, const std::string& plugin);

// Administration (owner role; `tx` has fk.tenant_id set to the tenant).
void set_enabled(pqxx::transaction_base& tx, const std::string& tenant_id,
                 const std::string& plugin, bool enabled, const std::string& actor);
void set_tenant_config(pqxx::transaction_base& tx, const std::string& tenant_id,
                       const std::string& plugin, const nlohmann::json& values,
                       const std::string& actor);

// The migrate callback ran for this tenant (runtime role may update only this).
void record_installed_version(pqxx::transaction_base& tx, const std::string& plugin,
                              const std::string& version);

}  // namespace fk::plugins
