#include "api/tenant_resolver.hpp"
#include "http/api_error.hpp"
#include "tenancy/tenant.hpp"

#include <algorithm>
#include <cctype>

namespace fk::api {

namespace {

class DevHeaderResolver final : public TenantResolver {
 public:
  explicit DevHeaderResolver(bool dev_mode) : dev_mode_(dev_mode) {}

  std::string resolve(const http::Request& request) override {
    if (!dev_mode_) {
      throw http::ApiError(401, "UNAUTHENTICATED",
                           "authentication required; no identity provider is configured");
    }
    const auto header = request.header("x-tenant-id");
    if (!header) {
      throw http::ApiError(401, "UNAUTHENTICATED", "missing X-Tenant-Id header (dev_mode)");
    }
    if (!tenancy::is_uuid(*header)) {
      throw http::ApiError(400, "INVALID_TENANT_ID", "X-Tenant-Id must be a UUID",
                           {{"header", "X-Tenant-Id"}});
    }
    std::string id(*header);
    std::transform(id.begin(), id.end(), id.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return id;
  }

 private:
  bool dev_mode_;
};

}  // namespace

std::unique_ptr<TenantResolver> make_dev_header_resolver(bool dev_mode) {
  return std::make_unique<DevHeaderResolver>(dev_mode);
}

}  // namespace fk::api
