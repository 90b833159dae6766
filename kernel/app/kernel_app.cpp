#include "app/kernel_app.hpp"

#include "api/routes/routes.hpp"
#include "auth/signing_key_file.hpp"
#include "log/json_log.hpp"

#include <thread>

namespace fk::app {

KernelApp::KernelApp(const config::KernelConfig& config, const std::string& runtime_url,
                     const std::string& owner_url)
    : config_(config),
      pool_(std::make_unique<db::ConnectionPool>(runtime_url, config.database.pool_size,
                                                 config.database.acquire_timeout)),
      tenants_(std::make_unique<tenancy::TenantDirectory>(*pool_, config.tenancy.status_cache_ttl)),
      rbac_(authz::RbacPolicy::load(config.identity.policy_dir + "/rbac.yaml")),
      signing_keys_(auth::load_or_create_signing_keys(config.identity.signing_keys_file)),
      auth_(std::make_unique<auth::AuthService>(
          *pool_, auth::AuthPolicy::load(config.identity.policy_dir + "/auth.yaml"),
          signing_keys_)),
      authenticator_(api::make_authenticator(auth_.get(), pool_.get(), config.dev_mode)),
      limits_(ratelimit::RateLimitPolicy::load(config.identity.policy_dir + "/ratelimits.yaml")),
      limiter_(ratelimit::make_in_process_limiter()) {
  std::vector<api::Route> routes;
  auto add = [&routes](std::vector<api::Route> more) {
    for (auto& route : more) routes.push_back(std::move(route));
  };
  add(api::health_routes({*pool_, metrics_, [this] { return pipeline_->draining(); }}));
  add(api::tenant_settings_routes());
  add(api::auth_routes(*auth_, *limiter_, limits_));
  add(api::user_routes(auth_->policy(), rbac_));
  add(api::access_routes(rbac_));
  add(api::audit_routes());
  add(api::platform_routes({*auth_, owner_url,
                            [this](const std::string& id) { tenants_->forget(id); },
                            [this] { return reload_policies(); }, config.identity.master_key_file,
                            config.identity.audit_key_file}));
  pipeline_ =
      std::make_unique<api::Pipeline>(api::PipelineServices{*pool_, *tenants_, *authenticator_,
                                                            rbac_, *limiter_, limits_, metrics_},
                                      std::move(routes));

  http::ServerOptions options;
  options.address = config.http.address;
  options.port = config.http.port;
  options.threads = config.http.threads;
  options.max_body_bytes = config.http.max_body_bytes;
  options.max_header_bytes = config.http.max_header_bytes;
  options.header_timeout = config.http.header_timeout;
  options.body_timeout = config.http.body_timeout;
  options.idle_timeout = config.http.idle_timeout;
  server_ = std::make_unique<http::Server>(
      options, [this](http::Request& request) { return pipeline_->handle(request); },
      [this](int status, std::string_view code, std::string_view message) {
        return pipeline_->protocol_error(status, code, message);
      });
}

KernelApp::~KernelApp() {
  if (!stopped_) server_->stop();
}

void KernelApp::start() {
  if (config_.dev_mode) {
    log::warn(
        "dev_mode is on: tenants are taken from the X-Tenant-Id header without "
        "authentication. Never enable it on a reachable network.");
  }
  server_->start();
  log::info("serving", {{"address", config_.http.address}, {"port", server_->port()}});
}

uint16_t KernelApp::port() const {
  return server_->port();
}

void KernelApp::drain_and_stop() {
  if (stopped_) return;
  pipeline_->start_draining();
  const auto deadline = std::chrono::steady_clock::now() + config_.http.drain_timeout;
  while (server_->in_flight() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (server_->in_flight() > 0) {
    log::warn("drain timeout reached with requests in flight",
              {{"inFlight", server_->in_flight()}});
  }
  server_->stop();
  stopped_ = true;
  log::info("stopped serving");
}

std::string KernelApp::reload_policies() {
  try {
    auto rbac = authz::RbacPolicy::load(config_.identity.policy_dir + "/rbac.yaml");
    auto limits =
        ratelimit::RateLimitPolicy::load(config_.identity.policy_dir + "/ratelimits.yaml");
    if (auto problem = pipeline_->undeclared_permission(rbac); !problem.empty()) {
      throw std::runtime_error(problem);
    }
    rbac_.replace(std::move(rbac));
    limits_.replace(std::move(limits));
  } catch (const std::exception& e) {
    log::error("policy reload refused; the previous policies stay in force", {{"error", e.what()}});
    return e.what();
  }
  log::info("policies reloaded", {{"dir", config_.identity.policy_dir}});
  return {};
}

}  // namespace fk::app
