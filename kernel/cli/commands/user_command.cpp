#include "app/database_setup.hpp"
#include "auth/auth_policy.hpp"
#include "auth/auth_service.hpp"
#include "auth/user_admin.hpp"
#include "authz/rbac_policy.hpp"
#include "cli/commands/commands.hpp"
#include "cli/commands/common_options.hpp"
#include "common/split.hpp"
#include "identity/secure_random.hpp"
#include "tenancy/tenant_admin.hpp"

#include <pqxx/pqxx>

#include <iostream>

namespace fk::cli {

namespace {

constexpr const char* kHelp =
    "usage: finkernel user <action> --tenant TENANT --email EMAIL [options]\n"
    "\n"
    "actions:\n"
    "  create   create a user; --role R (repeatable as a comma list), --name NAME;\n"
    "           the password is read from standard input with --password-stdin,\n"
    "           otherwise generated and printed once\n"
    "  unlock   clear a lockout after failed logins\n"
    "  roles    replace the user's roles with --role R1,R2 (shipped or tenant-defined);\n"
    "           the user's sessions end at their next request\n";

}  // namespace

int user_command(const std::vector<std::string>& args) {
  auto valued = kDatabaseOptions;
  for (const auto* option : {"tenant", "email", "role", "name"}) valued.insert(option);
  const auto arguments = parse_arguments(args, valued, {"password-stdin", "help"});
  if (arguments.has("help") || arguments.positional.size() != 1) {
    std::cout << kHelp << kDatabaseOptionsHelp;
    return arguments.has("help") ? 0 : 2;
  }
  const auto& action = arguments.positional[0];
  if (action != "create" && action != "unlock" && action != "roles") {
    throw UsageError("unknown user action \"" + action + "\"");
  }
  const auto tenant_name = arguments.get("tenant");
  const auto email = arguments.get("email");
  if (!tenant_name || !email) throw UsageError("--tenant and --email are required");

  const auto config = load_effective_config(arguments);
  auto database = app::open_database(config);
  const auto tenant = tenancy::TenantAdmin(database.owner_url).show(*tenant_name);
  const auto rbac = authz::RbacPolicy::load(config.identity.policy_dir + "/rbac.yaml");
  const auto policy = auth::AuthPolicy::load(config.identity.policy_dir + "/auth.yaml");

  // Platform administration acts as the owner role, under the tenant's RLS context.
  pqxx::connection connection(database.owner_url);
  pqxx::work tx(connection);
  tx.exec_params("SELECT set_config('fk.tenant_id', $1, true)", tenant.id);
  const auto role_list = [&] { return split_commas(arguments.get("role").value_or("")); };
  try {
    if (action == "roles") {
      const auto user = auth::find_user_by_email(tx, auth::normalize_email(*email), false);
      if (!user) {
        std::cerr << "finkernel user roles: no user " << *email << " in tenant " << tenant.slug
                  << "\n";
        return 1;
      }
      const auto roles = role_list();
      auth::check_tenant_roles(tx, rbac, roles);
      auth::replace_roles(tx, user->id, roles);
      tx.commit();
      std::cout << user->email << ": roles now " << arguments.get("role").value_or("(none)")
                << "\n";
      return 0;
    }
    if (action == "unlock") {
      const auto user = auth::find_user_by_email(tx, auth::normalize_email(*email), false);
      if (!user) {
        std::cerr << "finkernel user unlock: no user " << *email << " in tenant " << tenant.slug
                  << "\n";
        return 1;
      }
      auth::unlock_user(tx, user->id);
      tx.commit();
      std::cout << "unlocked " << user->email << "\n";
      return 0;
    }
    const auto roles = role_list();
    std::string password;
    const bool generated = !arguments.has("password-stdin");
    if (generated) {
      password = identity::base64url_encode(identity::random_bytes(18));
    } else {
      std::getline(std::cin, password);
    }
    const auto user = auth::create_user(tx, policy, rbac, *email,
                                        arguments.get("name").value_or(""), password, roles);
    tx.commit();
    std::cout << "created " << user.email << " (id " << user.id << ") in tenant " << tenant.slug
              << "\n";
    if (generated) std::cout << "password: " << password << "   (shown once)\n";
  } catch (const auth::UserInputError& e) {
    std::cerr << "finkernel user " << action << ": " << e.field() << ": " << e.what() << "\n";
    return 1;
  } catch (const pqxx::unique_violation&) {
    std::cerr << "finkernel user " << action << ": a user with this email already exists\n";
    return 1;
  }
  return 0;
}

}  // namespace fk::cli
