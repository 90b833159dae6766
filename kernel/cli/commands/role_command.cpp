#include "app/database_setup.hpp"
#include "auth/tenant_roles.hpp"
#include "auth/user_admin.hpp"
#include "authz/rbac_policy.hpp"
#include "cli/commands/commands.hpp"
#include "cli/commands/common_options.hpp"
#include "common/split.hpp"
#include "tenancy/tenant_admin.hpp"

#include <pqxx/pqxx>

#include <iostream>

namespace fk::cli {

int role_command(const std::vector<std::string>& args) {
  auto valued = kDatabaseOptions;
  for (const auto* option : {"tenant", "name", "permissions"}) valued.insert(option);
  const auto arguments = parse_arguments(args, valued, {"help"});
  if (arguments.has("help") || arguments.positional.size() != 1 ||
      (arguments.positional[0] != "put" && arguments.positional[0] != "list")) {
    std::cout << "usage: finkernel role put --tenant T --name NAME --permissions P1,P2\n"
                 "       finkernel role list --tenant T\n\n"
                 "Defines (or replaces) a tenant's own role, within tenant_role_ceiling of\n"
                 "policies/rbac.yaml. This is a platform operator's action: it does not go\n"
                 "through the tenant's maker-checker approval (the API does).\n"
              << kDatabaseOptionsHelp;
    return arguments.has("help") ? 0 : 2;
  }
  const auto tenant_name = arguments.get("tenant");
  if (!tenant_name) throw UsageError("--tenant is required");
  const auto config = load_effective_config(arguments);
  auto database = app::open_database(config);
  const auto tenant = tenancy::TenantAdmin(database.owner_url).show(*tenant_name);
  const auto rbac = authz::RbacPolicy::load(config.identity.policy_dir + "/rbac.yaml");
  pqxx::connection connection(database.owner_url);
  pqxx::work tx(connection);
  tx.exec_params("SELECT set_config('fk.tenant_id', $1, true)", tenant.id);
  if (arguments.positional[0] == "list") {
    for (const auto& role : auth::list_tenant_roles(tx)) {
      std::cout << role.name << ":";
      for (const auto& permission : role.permissions) std::cout << " " << permission;
      std::cout << "\n";
    }
    return 0;
  }
  const auto name = arguments.get("name");
  const auto list = arguments.get("permissions");
  if (!name || !list) throw UsageError("--name and --permissions are required");
  const auto permissions = split_commas(*list);
  try {
    auth::put_tenant_role(tx, rbac, *name, permissions);
  } catch (const auth::UserInputError& e) {
    std::cerr << "finkernel role put: " << e.field() << ": " << e.what() << "\n";
    return 1;
  }
  tx.commit();
  std::cout << "role " << *name << " defined in tenant " << tenant.slug << "\n";
  return 0;
}

}  // namespace fk::cli
