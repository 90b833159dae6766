#include "api/routes/routes.hpp"
#include "http/api_error.hpp"
#include "settings/tenant_settings.hpp"

namespace fk::api {

std::vector<Route> tenant_settings_routes() {
  std::vector<Route> routes;
  routes.push_back({"GET", "/v1/tenant/settings", Scope::tenant, "tenant:settings.read",
                    [](RequestContext& context) {
                      return Reply{200, settings::read_settings(context.db()), {}, {}};
                    }});
  routes.push_back({"PUT", "/v1/tenant/settings", Scope::tenant, "tenant:settings.write",
                    [](RequestContext& context) {
                      const auto body = context.json_body();
                      if (!body.is_object()) {
                        throw http::ApiError(422, "VALIDATION_FAILED",
                                             "request body must be a JSON object of settings");
                      }
                      try {
                        return Reply{200, settings::update_settings(context.db(), body), {}, {}};
                      } catch (const settings::InvalidSetting& e) {
                        throw http::ApiError(422, "VALIDATION_FAILED", e.what(),
                                             {{"field", e.field()}, {"reason", e.reason()}});
                      }
                    }});
  return routes;
}

}  // namespace fk::api
