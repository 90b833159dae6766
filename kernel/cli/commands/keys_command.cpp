#include "app/database_setup.hpp"
#include "cli/commands/commands.hpp"
#include "cli/commands/common_options.hpp"
#include "keys/master_key.hpp"
#include "keys/tenant_keys.hpp"
#include "tenancy/tenant_admin.hpp"

#include <pqxx/pqxx>

#include <iostream>

namespace fk::cli {

namespace {

constexpr const char* kHelp =
    "usage: finkernel keys <action> [options]\n"
    "\n"
    "actions:\n"
    "  init                          create the master key file (identity.master_key_file),\n"
    "                                mode 0600; refuses to overwrite an existing key\n"
    "  rotate --tenant T             new data-key version for T; older versions still decrypt\n"
    "  retire --tenant T --below N   refuse decryption with versions below N (re-encrypt first)\n"
    "  status --tenant T             current version, minimum decryption version, usage\n"
    "\n"
    "The master key can also come from FINKERNEL_MASTER_KEY (base64url). docs/keys.md\n"
    "describes the hierarchy, the ciphertext format and crypto-shredding.\n";

}  // namespace

int keys_command(const std::vector<std::string>& args) {
  auto valued = kDatabaseOptions;
  valued.insert("tenant");
  valued.insert("below");
  const auto arguments = parse_arguments(args, valued, {"help"});
  if (arguments.has("help") || arguments.positional.size() != 1) {
    std::cout << kHelp << kDatabaseOptionsHelp;
    return arguments.has("help") ? 0 : 2;
  }
  const auto& action = arguments.positional[0];
  const auto config = load_effective_config(arguments);
  if (action == "init") {
    keys::init_master_key_file(config.identity.master_key_file);
    std::cout << "master key created in " << config.identity.master_key_file
              << " (mode 0600); back it up offline: without it no tenant data can be decrypted\n";
    return 0;
  }
  if (action != "rotate" && action != "retire" && action != "status") {
    throw UsageError("unknown keys action \"" + action + "\"");
  }
  const auto tenant_name = arguments.get("tenant");
  if (!tenant_name) throw UsageError("--tenant is required");
  auto database = app::open_database(config);
  const auto tenant = tenancy::TenantAdmin(database.owner_url).show(*tenant_name);
  keys::TenantKeyService service(keys::load_master_key(config.identity.master_key_file));

  // Key operations run under the tenant's RLS context like any tenant data.
  pqxx::connection connection(database.owner_url);
  pqxx::work tx(connection);
  tx.exec_params("SELECT set_config('fk.tenant_id', $1, true)", tenant.id);
  if (action == "rotate") {
    const int version = service.rotate(tx, tenant.id);
    tx.commit();
    std::cout << tenant.slug << ": data key version " << version << " is current\n";
  } else if (action == "retire") {
    const auto below = arguments.get("below");
    if (!below) throw UsageError("--below N is required");
    service.retire_below(tx, tenant.id, std::stoi(*below));
    tx.commit();
    std::cout << tenant.slug << ": versions below " << *below << " are retired\n";
  } else {
    const auto status = service.status(tx, tenant.id);
    std::cout << tenant.slug << ": current version " << status.current_version
              << ", minimum decryption version " << status.min_decrypt_version << ", "
              << status.current_usage << " messages under the current version\n";
  }
  return 0;
}

}  // namespace fk::cli
