#include "app/database_setup.hpp"
#include "audit/audit_log.hpp"
#include "cli/commands/commands.hpp"
#include "cli/commands/common_options.hpp"
#include "keys/encrypted_columns.hpp"
#include "keys/master_key.hpp"
#include "keys/reencrypt_job.hpp"
#include "keys/tenant_keys.hpp"
#include "tenancy/tenant_admin.hpp"

#include <pwd.h>
#include <unistd.h>
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
    "  reencrypt --tenant T [--batch N]\n"
    "                                move every encrypted column of T (users.totp_secret, ...)\n"
    "                                to the current version, N rows per transaction (500);\n"
    "                                resumable\n"
    "  rewrap --new-file PATH        master-key rotation: rewrap every tenant's data keys\n"
    "                                under the key in PATH (create it with keys init --file)\n"
    "\n"
    "rotate, retire and reencrypt are recorded in the tenant's audit chain, rewrap in\n"
    "the platform chain (actor: system \"cli\").\n"
    "The master key can also come from FINKERNEL_MASTER_KEY (base64url). docs/keys.md\n"
    "describes the hierarchy, the ciphertext format and crypto-shredding.\n";

// An admin action by the CLI, for the audit chain of the transaction's tenant.
audit::AuditRecord cli_record(const std::string& action, const std::string& resource,
                              nlohmann::json summary) {
  audit::AuditRecord record;
  record.actor_type = "system";
  record.actor_id = "cli";
  record.action = action;
  record.resource = resource;
  const auto* user = ::getpwuid(::geteuid());
  summary["osUser"] = user != nullptr ? std::string(user->pw_name) : std::to_string(::geteuid());
  record.summary = std::move(summary);
  return record;
}

void scope_to(pqxx::transaction_base& tx, const std::string& tenant_id) {
  tx.exec_params("SELECT set_config('fk.tenant_id', $1, true)", tenant_id);
}

}  // namespace

int keys_command(const std::vector<std::string>& args) {
  auto valued = kDatabaseOptions;
  valued.insert("tenant");
  valued.insert("below");
  valued.insert("batch");
  valued.insert("new-file");
  valued.insert("file");
  const auto arguments = parse_arguments(args, valued, {"help"});
  if (arguments.has("help") || arguments.positional.size() != 1) {
    std::cout << kHelp << kDatabaseOptionsHelp;
    return arguments.has("help") ? 0 : 2;
  }
  const auto& action = arguments.positional[0];
  const auto config = load_effective_config(arguments);
  if (action == "init") {
    // No tenant and possibly no database yet: not audited (docs/audit.md).
    const auto file = arguments.get("file").value_or(config.identity.master_key_file);
    keys::init_master_key_file(file);
    std::cout << "master key created in " << file
              << " (mode 0600); back it up offline: without it no tenant data can be decrypted\n";
    return 0;
  }
  if (action == "rewrap") {
    const auto next_file = arguments.get("new-file");
    if (!next_file) throw UsageError("--new-file PATH is required");
    auto database = app::open_database(config);
    keys::TenantKeyService service(keys::load_master_key(config.identity.master_key_file));
    const auto next = keys::load_master_key_file(*next_file);
    pqxx::connection owner(database.owner_url);
    const auto report = service.rewrap_all(owner, *next);
    pqxx::work tx(owner);
    scope_to(tx, audit::kPlatformChain);
    audit::append(tx, cli_record("keys.rewrap", "master_key/" + next->key_id(),
                                 {{"keys", report.keys},
                                  {"tenants", report.tenants},
                                  {"failedTenants", report.failed},
                                  {"newKeyId", next->key_id()}}));
    tx.commit();
    std::cout << report.keys << " keys of " << report.tenants << " tenants rewrapped under "
              << next->key_id() << "\n";
    for (const auto& failed : report.failed) std::cout << "FAILED: tenant " << failed << "\n";
    return report.failed.empty() ? 0 : 1;
  }
  if (action != "rotate" && action != "retire" && action != "status" && action != "reencrypt") {
    throw UsageError("unknown keys action \"" + action + "\"");
  }
  const auto tenant_name = arguments.get("tenant");
  if (!tenant_name) throw UsageError("--tenant is required");
  auto database = app::open_database(config);
  const auto tenant = tenancy::TenantAdmin(database.owner_url).show(*tenant_name);
  keys::TenantKeyService service(keys::load_master_key(config.identity.master_key_file));

  // Key operations run under the tenant's RLS context like any tenant data.
  pqxx::connection connection(database.owner_url);
  if (action == "reencrypt") {
    const auto batch = std::stoul(arguments.get("batch").value_or("500"));
    nlohmann::json columns = nlohmann::json::object();
    for (const auto& column : keys::encrypted_columns()) {
      keys::ReencryptJob job(service, column, tenant.id);
      keys::ReencryptProgress progress;
      do {  // one committed transaction per batch: stopping loses at most one batch
        pqxx::work tx(connection);
        scope_to(tx, tenant.id);
        progress = job.run_batch(tx, batch);
        tx.commit();
        std::cout << tenant.slug << ": " << column.table << "." << column.column << " "
                  << progress.done << "/" << progress.total << "\n";
      } while (!progress.finished());
      columns[column.table + "." + column.column] = progress.total;
    }
    pqxx::work tx(connection);
    scope_to(tx, tenant.id);
    const int version = service.status(tx, tenant.id).current_version;
    audit::append(tx, cli_record("keys.reencrypt", "tenant_keys/" + tenant.id,
                                 {{"currentVersion", version}, {"columns", columns}}));
    tx.commit();
    std::cout << tenant.slug << ": every encrypted column is at version " << version << "\n";
    return 0;
  }
  pqxx::work tx(connection);
  scope_to(tx, tenant.id);
  if (action == "rotate") {
    const int version = service.rotate(tx, tenant.id);
    audit::append(
        tx, cli_record("keys.rotate", "tenant_keys/" + tenant.id, {{"currentVersion", version}}));
    tx.commit();
    std::cout << tenant.slug << ": data key version " << version << " is current\n";
  } else if (action == "retire") {
    const auto below = arguments.get("below");
    if (!below) throw UsageError("--below N is required");
    service.retire_below(tx, tenant.id, std::stoi(*below));
    audit::append(tx, cli_record("keys.retire", "tenant_keys/" + tenant.id,
                                 {{"minDecryptVersion", std::stoi(*below)}}));
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
