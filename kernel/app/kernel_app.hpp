#pragma once
// The serving kernel assembled from its parts: the runtime connection pool,
// the tenant directory, policies, signing keys, authentication, metrics, the pipeline with every
// route set mounted, and the HTTP transport. `finkernel run` and the integration tests both serve
// through this one class.

#include "api/authenticator.hpp"
#include "api/pipeline.hpp"
#include "auth/auth_service.hpp"
#include "authz/rbac_policy.hpp"
#include "authz/swappable.hpp"
#include "config/kernel_config.hpp"
#include "db/connection_pool.hpp"
#include "http/server.hpp"
#include "identity/signing_key_ring.hpp"
#include "ops/metrics.hpp"
#include "ratelimit/rate_limit_policy.hpp"
#include "ratelimit/rate_limiter.hpp"
#include "tenancy/tenant_directory.hpp"

#include <memory>
#include <string>

namespace fk::app {

class KernelApp {
 public:
  // `owner_url` serves platform administration (tenant lifecycle) only.
  KernelApp(const config::KernelConfig& config, const std::string& runtime_url,
            const std::string& owner_url);
  ~KernelApp();
  KernelApp(const KernelApp&) = delete;
  KernelApp& operator=(const KernelApp&) = delete;

  void start();
  [[nodiscard]] uint16_t port() const;

  // Stops taking new requests (503, /ready fails), waits for in-flight ones
  // up to http.drain_timeout, then stops the transport.
  void drain_and_stop();

  // Re-reads rbac.yaml and ratelimits.yaml; a file that fails validation, or
  // that no longer declares a mounted route's permission, is refused with the
  // problem named and the policies in force stay. Empty string on success.
  std::string reload_policies();

  tenancy::TenantDirectory& tenants() { return *tenants_; }
  db::ConnectionPool& pool() { return *pool_; }
  auth::AuthService& auth() { return *auth_; }
  const identity::SigningKeyRing& signing_keys() const { return signing_keys_; }
  std::shared_ptr<const authz::RbacPolicy> rbac() const { return rbac_.current(); }

 private:
  config::KernelConfig config_;
  std::unique_ptr<db::ConnectionPool> pool_;
  std::unique_ptr<tenancy::TenantDirectory> tenants_;
  authz::Swappable<authz::RbacPolicy> rbac_;
  identity::SigningKeyRing signing_keys_;
  std::unique_ptr<auth::AuthService> auth_;
  std::unique_ptr<api::Authenticator> authenticator_;
  authz::Swappable<ratelimit::RateLimitPolicy> limits_;
  std::unique_ptr<ratelimit::RateLimiter> limiter_;
  ops::Metrics metrics_;
  std::unique_ptr<api::Pipeline> pipeline_;
  std::unique_ptr<http::Server> server_;
  bool stopped_ = false;
};

}  // namespace fk::app
