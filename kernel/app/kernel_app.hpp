#pragma once
// The serving kernel assembled from its parts: the runtime connection pool,
// the tenant directory, policies, signing keys, authentication, metrics, the pipeline with every
// route set mounted, and the HTTP transport. `finkernel run` and the integration tests both serve
// through this one class.

#include "api/authenticator.hpp"
#include "api/pipeline.hpp"
#include "audit/checkpoint_scheduler.hpp"
#include "auth/auth_service.hpp"
#include "authz/rbac_policy.hpp"
#include "authz/swappable.hpp"
#include "config/kernel_config.hpp"
#include "db/connection_pool.hpp"
#include "events/dispatcher.hpp"
#include "http/server.hpp"
#include "identity/signing_key_ring.hpp"
#include "keys/tenant_keys.hpp"
#include "ops/metrics.hpp"
#include "plugins/plugin_host.hpp"
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
  // Either way the attempt is appended to the platform audit chain as
  // `policy.reload` by `actor_type`/`actor_id` (SIGHUP: "system"/"SIGHUP").
  std::string reload_policies(const std::string& actor_type = "system",
                              const std::string& actor_id = "");

  tenancy::TenantDirectory& tenants() { return *tenants_; }
  db::ConnectionPool& pool() { return *pool_; }
  auth::AuthService& auth() { return *auth_; }
  const identity::SigningKeyRing& signing_keys() const { return signing_keys_; }
  std::shared_ptr<const authz::RbacPolicy> rbac() const { return rbac_.current(); }
  plugins::PluginHost& plugins() { return *plugins_; }
  events::Dispatcher& dispatcher() { return *dispatcher_; }

 private:
  config::KernelConfig config_;
  std::unique_ptr<db::ConnectionPool> pool_;
  std::unique_ptr<tenancy::TenantDirectory> tenants_;
  // Before the policy (plugins declare permissions) and destroyed after
  // everything that can call into a plugin.
  std::unique_ptr<plugins::PluginHost> plugins_;
  authz::Swappable<authz::RbacPolicy> rbac_;
  identity::SigningKeyRing signing_keys_;
  // From identity.master_key_file or FINKERNEL_MASTER_KEY; nullptr without one.
  std::shared_ptr<keys::TenantKeyService> tenant_keys_;
  std::unique_ptr<auth::AuthService> auth_;
  std::unique_ptr<api::Authenticator> authenticator_;
  authz::Swappable<ratelimit::RateLimitPolicy> limits_;
  std::unique_ptr<ratelimit::RateLimiter> limiter_;
  ops::Metrics metrics_;
  std::unique_ptr<api::Pipeline> pipeline_;
  std::unique_ptr<events::Dispatcher> dispatcher_;
  std::unique_ptr<http::Server> server_;
  audit::CheckpointScheduler checkpoints_;  // audit.checkpoint_interval_s
  bool stopped_ = false;
};

}  // namespace fk::app
