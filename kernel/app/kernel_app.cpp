#include "app/kernel_app.hpp"

#include "api/routes/routes.hpp"
#include "audit/audit_log.hpp"
#include "auth/signing_key_file.hpp"
#include "events/event_routes.hpp"
#include "keys/master_key.hpp"
#include "log/json_log.hpp"
#include "plugins/plugin_routes.hpp"

#include <filesystem>
#include <thread>

namespace fk::app {
namespace {

std::unique_ptr<plugins::PluginHost> load_plugins(const config::KernelConfig& config,
                                                  db::ConnectionPool& pool,
                                                  const std::string& owner_url) {
  plugins::PluginHostOptions options;
  options.plugins_dir = config.plugins.dir;
  options.publishers_file = config.identity.policy_dir + "/plugin-publishers.yaml";
  options.require_signature = !config.dev_mode;
  options.owner_url = owner_url;
  options.deadline = config.plugins.deadline;
  options.workers = config.plugins.workers;
  options.enablement_ttl = config.tenancy.status_cache_ttl;
  auto host = std::make_unique<plugins::PluginHost>(options, pool, nullptr);
  host->load_all();
  return host;
}

// The master key, if one is configured: FINKERNEL_MASTER_KEY, else the key
// file when it exists. A file that exists but is unsafe (group/other
// readable, wrong size) stops the start; none at all only disables TOTP.
std::shared_ptr<keys::TenantKeyService> load_tenant_keys(const std::string& master_key_file) {
  auto master = keys::master_key_from_env();
  if (!master && std::filesystem::exists(master_key_file)) {
    master = keys::load_master_key_file(master_key_file);
  }
  if (!master) {
    log::warn(
        "no master key (identity.master_key_file, FINKERNEL_MASTER_KEY): second factors "
        "cannot be enrolled; create one with: finkernel keys init",
        {{"file", master_key_file}});
    return nullptr;
  }
  return std::make_shared<keys::TenantKeyService>(std::move(master));
}

}  // namespace

KernelApp::KernelApp(const config::KernelConfig& config, const std::string& runtime_url,
                     const std::string& owner_url)
    : config_(config),
      pool_(std::make_unique<db::ConnectionPool>(runtime_url, config.database.pool_size,
                                                 config.database.acquire_timeout)),
      tenants_(std::make_unique<tenancy::TenantDirectory>(*pool_, config.tenancy.status_cache_ttl)),
      plugins_(load_plugins(config, *pool_, owner_url)),
      rbac_(authz::RbacPolicy::load(config.identity.policy_dir + "/rbac.yaml",
                                    plugins_->permissions())),
      signing_keys_(auth::load_or_create_signing_keys(config.identity.signing_keys_file)),
      tenant_keys_(load_tenant_keys(config.identity.master_key_file)),
      auth_(std::make_unique<auth::AuthService>(
          *pool_, auth::AuthPolicy::load(config.identity.policy_dir + "/auth.yaml"), signing_keys_,
          tenant_keys_)),
      authenticator_(api::make_authenticator(auth_.get(), pool_.get(), config.dev_mode)),
      limits_(ratelimit::RateLimitPolicy::load(config.identity.policy_dir + "/ratelimits.yaml")),
      limiter_(ratelimit::make_in_process_limiter()),
      checkpoints_(owner_url, config.identity.audit_key_file,
                   std::chrono::seconds(config.audit.checkpoint_interval_s)) {
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
  plugins_->use_key_service(tenant_keys_.get());
  add(plugins_->routes());
  add(plugins::plugin_admin_routes(*plugins_, owner_url));
  add(events::event_admin_routes(events::EventAdmin{*pool_, owner_url}));
  add(api::platform_routes(
      {*auth_, owner_url, [this](const std::string& id) { tenants_->forget(id); },
       [this](const std::string& admin) { return reload_policies("platform_admin", admin); },
       config.identity.master_key_file, config.identity.audit_key_file}));
  pipeline_ =
      std::make_unique<api::Pipeline>(api::PipelineServices{*pool_, *tenants_, *authenticator_,
                                                            rbac_, *limiter_, limits_, metrics_},
                                      std::move(routes));

  events::DispatcherOptions dispatch;
  dispatch.poll_interval = config.events.poll_interval;
  dispatch.max_attempts = static_cast<int>(config.events.max_attempts);
  dispatch.base_backoff = config.events.retry_base;
  dispatch.max_backoff = config.events.retry_max;
  dispatcher_ = std::make_unique<events::Dispatcher>(*pool_, runtime_url, *plugins_, dispatch);

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
  dispatcher_->start();
  server_->start();
  checkpoints_.start();
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
  dispatcher_->stop();
  checkpoints_.stop();
  stopped_ = true;
  log::info("stopped serving");
}

std::string KernelApp::reload_policies(const std::string& actor_type, const std::string& actor_id) {
  audit::AuditRecord record;
  record.actor_type = actor_type;
  record.actor_id = actor_id;
  record.action = "policy.reload";
  record.resource = config_.identity.policy_dir;
  const auto audited = [&](std::string problem) {
    record.outcome = problem.empty() ? "success" : "failure";
    if (!problem.empty()) record.summary["problem"] = problem;
    try {
      audit::append_platform(*pool_, record);
    } catch (const std::exception& e) {
      log::error("policy reload not audited", {{"error", e.what()}});
    }
    return problem;
  };
  try {
    auto rbac = authz::RbacPolicy::load(config_.identity.policy_dir + "/rbac.yaml",
                                        plugins_->permissions());
    auto limits =
        ratelimit::RateLimitPolicy::load(config_.identity.policy_dir + "/ratelimits.yaml");
    if (auto problem = pipeline_->undeclared_permission(rbac); !problem.empty()) {
      throw std::runtime_error(problem);
    }
    rbac_.replace(std::move(rbac));
    limits_.replace(std::move(limits));
  } catch (const std::exception& e) {
    log::error("policy reload refused; the previous policies stay in force", {{"error", e.what()}});
    return audited(e.what());
  }
  log::info("policies reloaded", {{"dir", config_.identity.policy_dir}});
  return audited({});
}

}  // namespace fk::app
