// finkernel: the kernel's one executable. Each subcommand is a thin layer
// over the kernel libraries (see cli/commands/).

#include "cli/commands/arguments.hpp"
#include "cli/commands/commands.hpp"
#include "config/kernel_config.hpp"
#include "db/migrator.hpp"

#include <iostream>
#include <string>
#include <vector>

namespace {

constexpr const char* kUsage =
    "usage: finkernel <command> [options]   (finkernel <command> --help for details)\n"
    "\n"
    "commands:\n"
    "  run        serve the API (embedded PostgreSQL unless a database URL is given)\n"
    "  migrate    apply pending database migrations and exit\n"
    "  config     validate a configuration file: finkernel config check FILE\n"
    "  tenant     create, list, show, suspend and resume tenants\n"
    "  user       create a tenant user, unlock an account, set a user's roles\n"
    "  role       define a tenant's own role (within the platform's ceiling)\n"
    "  policy     validate a policy file: finkernel policy check FILE\n"
    "  auth       rotate the access-token signing key\n"
    "  audit      verify, checkpoint and export a tenant's audit chain\n"
    "  keys       master key and per-tenant data keys: init, rotate, retire, status\n"
    "  plugin     sign, verify, list, enable and disable plugins\n"
    "  version    print the version\n";

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    std::cout << kUsage;
    return args.empty() ? 2 : 0;
  }
  const std::string command = args[0];
  args.erase(args.begin());
  try {
    if (command == "run") return fk::cli::run_command(args);
    if (command == "migrate") return fk::cli::migrate_command(args);
    if (command == "config") return fk::cli::config_command(args);
    if (command == "tenant") return fk::cli::tenant_command(args);
    if (command == "user") return fk::cli::user_command(args);
    if (command == "role") return fk::cli::role_command(args);
    if (command == "audit") return fk::cli::audit_command(args);
    if (command == "keys") return fk::cli::keys_command(args);
    if (command == "policy") return fk::cli::policy_command(args);
    if (command == "auth") return fk::cli::auth_command(args);
    if (command == "plugin") return fk::cli::plugin_command(args);
    if (command == "version" || command == "--version") {
      std::cout << "finkernel " << FK_VERSION << "\n";
      return 0;
    }
    std::cerr << "finkernel: unknown command \"" << command << "\"\n" << kUsage;
    return 2;
  } catch (const fk::cli::UsageError& e) {
    std::cerr << "finkernel " << command << ": " << e.what() << "\n";
    return 2;
  } catch (const fk::config::ConfigError& e) {
    std::cerr << "finkernel " << command << ": configuration error: " << e.what() << "\n";
    return 1;
  } catch (const fk::db::MigrationError& e) {
    std::cerr << "finkernel " << command << ": migration error: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "finkernel " << command << ": " << e.what() << "\n";
    return 1;
  }
}
