#include "app/database_setup.hpp"
#include "audit/audit_checkpoint.hpp"
#include "audit/audit_export.hpp"
#include "audit/audit_key_file.hpp"
#include "audit/audit_record.hpp"
#include "audit/audit_verify.hpp"
#include "cli/commands/commands.hpp"
#include "cli/commands/common_options.hpp"
#include "tenancy/tenant_admin.hpp"

#include <iostream>

namespace fk::cli {

namespace {

constexpr const char* kHelp =
    "usage: finkernel audit <action> [--tenant T] [options]\n"
    "\n"
    "actions:\n"
    "  verify --tenant T       recompute T's hash chain and checkpoints; exit 0 and the count\n"
    "                          if intact, else name the first altered, removed, inserted or\n"
    "                          reordered sequence number (or a truncated tail) and exit 1\n"
    "  checkpoint [--tenant T] sign the head of T's chain (every chain without --tenant)\n"
    "  export --tenant T --out DIR\n"
    "                          JSON Lines, checkpoints and the public key, verifiable outside\n"
    "                          the platform with scripts/verify-audit-export.py (docs/audit.md)\n"
    "\n"
    "T is a tenant slug or id, or 'platform' for the platform chain.\n";

std::string chain_id(const std::string& owner_url, const std::string& name) {
  if (name == "platform") return audit::kPlatformChain;
  return tenancy::TenantAdmin(owner_url).show(name).id;
}

}  // namespace

int audit_command(const std::vector<std::string>& args) {
  auto valued = kDatabaseOptions;
  valued.insert("tenant");
  valued.insert("out");
  const auto arguments = parse_arguments(args, valued, {"help"});
  if (arguments.has("help") || arguments.positional.size() != 1) {
    std::cout << kHelp << kDatabaseOptionsHelp;
    return arguments.has("help") ? 0 : 2;
  }
  const auto& action = arguments.positional[0];
  if (action != "verify" && action != "checkpoint" && action != "export") {
    throw UsageError("unknown audit action \"" + action + "\"");
  }
  const auto tenant = arguments.get("tenant");
  if (!tenant && action != "checkpoint") throw UsageError("--tenant is required");

  const auto config = load_effective_config(arguments);
  auto database = app::open_database(config);
  const auto key = audit::load_or_create_audit_key(config.identity.audit_key_file);

  if (action == "verify") {
    const auto report =
        audit::verify(database.owner_url, chain_id(database.owner_url, *tenant), {key});
    (report.ok() ? std::cout : std::cerr) << report.message << "\n";
    return report.ok() ? 0 : 1;
  }
  if (action == "export") {
    const auto out = arguments.get("out");
    if (!out) throw UsageError("--out DIR is required");
    audit::export_chain(database.owner_url, chain_id(database.owner_url, *tenant), *out, {key});
    std::cout << "exported to " << *out << "; verify with: python3 scripts/verify-audit-export.py "
              << *out << "\n";
    return 0;
  }
  std::vector<std::string> chains;
  if (tenant) {
    chains.push_back(chain_id(database.owner_url, *tenant));
  } else {
    chains.push_back(audit::kPlatformChain);
    for (const auto& each : tenancy::TenantAdmin(database.owner_url).list())
      chains.push_back(each.id);
  }
  int failures = 0;
  for (const auto& chain : chains) {
    try {
      const auto checkpoint = audit::sign_checkpoint(database.owner_url, chain, key);
      std::cout << chain << ": checkpoint at seq " << checkpoint.seq << "\n";
    } catch (const std::exception& e) {
      std::cerr << chain << ": refused: " << e.what() << "\n";
      ++failures;
    }
  }
  return failures == 0 ? 0 : 1;
}

}  // namespace fk::cli
