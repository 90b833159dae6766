#pragma once
// The platform API over plugins (docs/api.md, "Plugins"):
//   GET  /v1/platform/plugins                                   load status of every package
//   POST /v1/platform/tenants/{id}/plugins/{plugin}/enable       (audited in the tenant's chain)
//   POST /v1/platform/tenants/{id}/plugins/{plugin}/disable
//   PUT  /v1/platform/tenants/{id}/plugins/{plugin}/config       validated against the manifest
// and, for tenants, GET /v1/plugins: the plugins enabled for the caller's tenant.

#include "api/route.hpp"
#include "plugins/plugin_host.hpp"

#include <string>
#include <vector>

namespace fk::plugins {

std::vector<api::Route> plugin_admin_routes(PluginHost& host, std::string owner_url);

}  // namespace fk::plugins
