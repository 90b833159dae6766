#pragma once
// Turning a plugin on or off for a tenant and setting its configuration:
// one implementation for the admin API and the CLI. Runs as the owner role
// with the tenant set (row-level security still confines it), and records
// the change in the tenant's audit chain in the same transaction.

#include "plugins/package/manifest.hpp"

#include <nlohmann/json.hpp>

#include <string>

namespace fk::plugins {

struct PluginAdminActor {
  std::string type;  // an audit actor type: platform_admin, or system for the CLI
  std::string id;
  std::string request_id;
};

// `tenant` is a slug or id (tenancy::TenantAdmin resolves it; throws its
// TenantAdminError when unknown). Returns the tenant id.
std::string set_plugin_enabled(const std::string& owner_url, const std::string& tenant,
                               const PluginManifest& manifest, bool enabled,
                               const PluginAdminActor& actor);

// Validates `values` against the manifest's schema (ManifestError names the key).
std::string set_plugin_config(const std::string& owner_url, const std::string& tenant,
                              const PluginManifest& manifest, const nlohmann::json& values,
                              const PluginAdminActor& actor);

}  // namespace fk::plugins
