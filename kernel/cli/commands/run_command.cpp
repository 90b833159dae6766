#include "app/database_setup.hpp"
#include "app/kernel_app.hpp"
#include "app/platform_seed.hpp"
#include "app/tenant_seed.hpp"
#include "cli/commands/commands.hpp"
#include "cli/commands/common_options.hpp"
#include "keys/master_key.hpp"
#include "log/json_log.hpp"

#include <csignal>
#include <filesystem>
#include <iostream>

namespace fk::cli {

namespace {

constexpr const char* kHelp =
    "usage: finkernel run [options]\n"
    "\n"
    "Serves the API until SIGINT or SIGTERM, then drains in-flight requests and\n"
    "stops. SIGHUP reloads policies/rbac.yaml and ratelimits.yaml (a bad file is\n"
    "refused and logged; the policies in force stay). With no database configured\n"
    "it starts the embedded PostgreSQL cluster\n"
    "(and stops it again on exit), applies migrations and provisions the tenants\n"
    "described in tenancy.seed_dir. An embedded first start also creates the master\n"
    "key file (identity.master_key_file, mode 0600, like `finkernel keys init`)\n"
    "when neither it nor FINKERNEL_MASTER_KEY exists.\n"
    "\n"
    "options:\n"
    "  --port N                      listen port (overrides http.port)\n"
    "  --dev-mode                    accept X-Tenant-Id without authentication (never in "
    "production)\n";

void print_banner(const config::KernelConfig& config, uint16_t port,
                  const std::vector<app::SeededTenant>& tenants,
                  const app::SeededPlatformAdmin& platform_admin) {
  const std::string base = "http://" + config.http.address + ":" + std::to_string(port);
  std::cout << "\nFinKernel " << FK_VERSION << " is serving on " << base << "\n"
            << "  health:  " << base << "/health   readiness: " << base
            << "/ready   metrics: " << base << "/metrics\n";
  for (const auto& tenant : tenants) {
    std::cout << "  tenant:  " << tenant.slug << " (id " << tenant.id << ")\n";
    if (tenant.admin_email.empty()) continue;
    std::cout << "  login:   " << tenant.admin_email << " / ";
    if (!tenant.admin_password.empty()) {
      std::cout << tenant.admin_password << "   (shown once; also in "
                << tenant.admin_secret_file.string() << ", mode 0600)\n";
    } else {
      std::cout << "password in " << tenant.admin_secret_file.string() << "\n";
    }
    std::cout << "  try:     curl -s -X POST " << base
              << "/v1/auth/login -H 'Content-Type: application/json' \\\n"
              << "             -d '{\"tenant\":\"" << tenant.slug << "\",\"email\":\""
              << tenant.admin_email << "\",\"password\":\"...\"}'\n"
              << "           then: curl -s -H 'Authorization: Bearer <accessToken>' " << base
              << "/v1/tenant/settings\n";
  }
  if (!platform_admin.email.empty()) {
    std::cout << "  platform admin: " << platform_admin.email << " / " << platform_admin.password
              << "   (shown once; also in " << platform_admin.secret_file.string() << ")\n"
              << "           POST " << base << "/v1/platform/auth/login {\"email\",\"password\"}\n";
  }
  if (config.dev_mode) {
    std::cout << "  dev:     dev_mode is on: X-Tenant-Id: <tenant id> also works, without login\n";
  }
  std::cout << "Press Ctrl-C to stop.\n" << std::endl;
}

}  // namespace

int run_command(const std::vector<std::string>& args) {
  auto options = kDatabaseOptions;
  options.insert("port");
  const auto arguments = parse_arguments(args, options, {"dev-mode", "help"});
  if (arguments.has("help")) {
    std::cout << kHelp << kDatabaseOptionsHelp;
    return 0;
  }
  if (!arguments.positional.empty())
    throw UsageError("unexpected argument " + arguments.positional[0]);

  auto config = load_effective_config(arguments);
  if (arguments.has("dev-mode")) config.dev_mode = true;
  if (auto port = arguments.get("port")) {
    try {
      const int value = std::stoi(*port);
      if (value < 0 || value > 65535) throw std::out_of_range("port");
      config.http.port = static_cast<uint16_t>(value);
    } catch (const std::logic_error&) {
      throw UsageError("--port must be an integer between 0 and 65535, got \"" + *port + "\"");
    }
  }
  log::set_level(log::parse_level(config.log.level));

  // Block the stop signals in every thread; the main thread waits for them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  auto database = app::open_database(config);
  if (database.cluster && !keys::master_key_from_env() &&
      !std::filesystem::exists(config.identity.master_key_file)) {
    // Embedded first start: the README's first command must just work, TOTP
    // included. With a configured database the operator creates the key.
    keys::init_master_key_file(config.identity.master_key_file);
    log::warn(
        "created the master key file; back it up offline, without it no tenant secret "
        "can be decrypted",
        {{"file", config.identity.master_key_file}});
  }
  app::migrate_kernel(database.owner_url);
  app::KernelApp kernel(config, database.runtime_url, database.owner_url);
  const auto secrets_dir = std::filesystem::path(config.identity.signing_keys_file).parent_path();
  const auto tenants = app::seed_tenants(database.owner_url, config.tenancy.seed_dir, secrets_dir,
                                         kernel.auth().policy(), *kernel.rbac());
  const auto platform_admin = app::seed_platform_admin(database.owner_url, secrets_dir,
                                                       kernel.auth().policy(), *kernel.rbac());
  kernel.start();
  print_banner(config, kernel.port(), tenants, platform_admin);

  int received = 0;
  for (;;) {
    sigwait(&stop_signals, &received);
    if (received != SIGHUP) break;
    // Logs and audits the outcome; a bad file leaves the old policies in force.
    kernel.reload_policies("system", "SIGHUP");
  }
  log::info("stop signal received", {{"signal", received == SIGINT ? "SIGINT" : "SIGTERM"}});
  kernel.drain_and_stop();
  // `database` stops the embedded cluster, if we started it, as it goes out of scope.
  return 0;
}

}  // namespace fk::cli
