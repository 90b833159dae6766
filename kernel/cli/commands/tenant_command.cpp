#include "app/database_setup.hpp"
#include "cli/commands/commands.hpp"
#include "cli/commands/common_options.hpp"
#include "tenancy/tenant_admin.hpp"

#include <nlohmann/json.hpp>

#include <iomanip>
#include <iostream>

namespace fk::cli {

namespace {

constexpr const char* kHelp =
    "usage: finkernel tenant <action> [options]\n"
    "\n"
    "actions:\n"
    "  create SLUG --name \"Display Name\"   create an active tenant\n"
    "  list                                list every tenant\n"
    "  show TENANT                         one tenant (TENANT is a slug or an id)\n"
    "  suspend TENANT                      its API requests get 403 TENANT_SUSPENDED\n"
    "  resume TENANT                       serve it again\n"
    "  delete TENANT                       mark deleted (404 from then on) and destroy its data\n"
    "                                      keys in the same transaction (crypto-shredding)\n"
    "\n"
    "options:\n"
    "  --json                              print JSON instead of a table\n";

nlohmann::json to_json(const tenancy::Tenant& tenant) {
  return {{"id", tenant.id},
          {"slug", tenant.slug},
          {"displayName", tenant.display_name},
          {"status", tenancy::to_string(tenant.status)},
          {"createdAt", tenant.created_at},
          {"updatedAt", tenant.updated_at}};
}

void print(const std::vector<tenancy::Tenant>& tenants, bool as_json) {
  if (as_json) {
    nlohmann::json array = nlohmann::json::array();
    for (const auto& tenant : tenants) array.push_back(to_json(tenant));
    std::cout << array.dump(2) << "\n";
    return;
  }
  std::cout << std::left << std::setw(38) << "ID" << std::setw(24) << "SLUG" << std::setw(11)
            << "STATUS"
            << "NAME\n";
  for (const auto& tenant : tenants) {
    std::cout << std::setw(38) << tenant.id << std::setw(24) << tenant.slug << std::setw(11)
              << tenancy::to_string(tenant.status) << tenant.display_name << "\n";
  }
}

}  // namespace

int tenant_command(const std::vector<std::string>& args) {
  auto valued = kDatabaseOptions;
  valued.insert("name");
  const auto arguments = parse_arguments(args, valued, {"json", "help"});
  if (arguments.has("help") || arguments.positional.empty()) {
    std::cout << kHelp << kDatabaseOptionsHelp;
    return arguments.has("help") ? 0 : 2;
  }
  const std::string& action = arguments.positional[0];
  const auto expect_operands = [&](std::size_t count) {
    if (arguments.positional.size() != count + 1) {
      throw UsageError("finkernel tenant " + action + ": expected " + std::to_string(count) +
                       " argument(s); see finkernel tenant --help");
    }
  };
  if (action != "create" && action != "list" && action != "show" && action != "suspend" &&
      action != "resume" && action != "delete") {
    throw UsageError("unknown tenant action \"" + action + "\"; see finkernel tenant --help");
  }

  const auto config = load_effective_config(arguments);
  auto database = app::open_database(config);
  tenancy::TenantAdmin admin(database.owner_url);
  const bool as_json = arguments.has("json");
  try {
    if (action == "list") {
      expect_operands(0);
      print(admin.list(), as_json);
    } else if (action == "create") {
      expect_operands(1);
      const auto name = arguments.get("name");
      if (!name) throw UsageError("finkernel tenant create SLUG --name \"Display Name\"");
      print({admin.create(arguments.positional[1], *name)}, as_json);
    } else {
      expect_operands(1);
      const auto& target = arguments.positional[1];
      if (action == "show") print({admin.show(target)}, as_json);
      if (action == "suspend") print({admin.suspend(target)}, as_json);
      if (action == "resume") print({admin.resume(target)}, as_json);
      if (action == "delete") print({admin.remove(target)}, as_json);
    }
  } catch (const tenancy::TenantAdminError& e) {
    std::cerr << "finkernel tenant " << action << ": " << e.what() << " (" << e.code() << ")\n";
    return 1;
  }
  return 0;
}

}  // namespace fk::cli
