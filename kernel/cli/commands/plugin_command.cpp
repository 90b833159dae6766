// finkernel plugin <subcommand>: thin wrappers over kernel/plugins. Each
// subcommand is one row of kSubcommands (name, usage line, handler).

#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <set>

#include "app/database_setup.hpp"
#include "cli/commands/arguments.hpp"
#include "cli/commands/commands.hpp"
#include "cli/commands/common_options.hpp"
#include "plugins/package/manifest.hpp"
#include "plugins/package/package_signature.hpp"
#include "plugins/package/publisher_keys.hpp"
#include "plugins/plugin_admin.hpp"
#include "plugins/plugin_enablement.hpp"
#include "tenancy/tenant_admin.hpp"

namespace fk::cli {

namespace {

struct Subcommand {
  const char* name;
  const char* usage;  // one or more help lines, each starting with the name
  int (*run)(const std::vector<std::string>& args);
};

std::string required(const Arguments& arguments, const std::string& option) {
  const auto value = arguments.get(option);
  if (!value || value->empty()) throw UsageError("--" + option + " is required");
  return *value;
}

std::string one_directory(const Arguments& arguments, const char* subcommand) {
  if (arguments.positional.size() != 1) {
    throw UsageError(std::string(subcommand) + " takes exactly one plugin directory");
  }
  return arguments.positional[0];
}

int keygen(const std::vector<std::string>& args) {
  const auto arguments = parse_arguments(args, {"out", "publisher"}, {});
  if (!arguments.positional.empty()) throw UsageError("keygen takes no positional arguments");
  const auto out = required(arguments, "out");
  const auto publisher = required(arguments, "publisher");
  if (!plugins::is_valid_publisher(publisher)) {
    throw UsageError("--publisher must be [A-Za-z0-9][A-Za-z0-9._-]* (e.g. a domain)");
  }
  const auto key = plugins::generate_signing_key_file(out);
  std::cout << "private key written to " << out
            << " (mode 0600): keep it secret and out of the package\n"
            << "public key: key_id " << key.key_id << "; a platform admin adds these lines under "
            << "`publishers:` in policies/" << plugins::kPublishersFileName << ":\n"
            << plugins::publishers_policy_entry(publisher, key);
  return 0;
}

int sign(const std::vector<std::string>& args) {
  const auto arguments = parse_arguments(args, {"key", "publisher", "key-id"}, {});
  const std::filesystem::path dir = one_directory(arguments, "sign");
  const auto key_file = required(arguments, "key");
  const auto publisher = required(arguments, "publisher");
  plugins::sign_package(dir, key_file, publisher, arguments.get("key-id").value_or(""));
  const auto manifest = plugins::load_manifest(dir);
  std::cout << "signed plugin " << manifest.name << " " << manifest.version << " as " << publisher
            << ": " << (dir / plugins::kSignatureFileName).string() << "\n";
  return 0;
}

int verify(const std::vector<std::string>& args) {
  auto valued = kDatabaseOptions;
  valued.insert("policy-dir");
  const auto arguments = parse_arguments(args, valued, {});
  const std::filesystem::path dir = one_directory(arguments, "verify");
  const auto explicit_policy_dir = arguments.get("policy-dir");
  const std::filesystem::path policy_dir =
      explicit_policy_dir ? *explicit_policy_dir
                          : load_effective_config(arguments).identity.policy_dir;
  const auto publishers_file = policy_dir / plugins::kPublishersFileName;
  try {
    const auto trusted = plugins::load_trusted_publishers(publishers_file);
    const auto package = plugins::read_verified_package(dir, trusted, true);
    std::cout << "OK plugin " << package.manifest.name << " " << package.manifest.version
              << " signed by " << package.publisher << " (key " << package.key_id << ", "
              << package.library_bytes.size() << " bytes of " << package.manifest.library << ", "
              << package.migrations.size() << " migrations)\n";
    return 0;
  } catch (const plugins::PackageError& e) {
    std::cout << "REFUSED " << e.what() << "\n";
  } catch (const plugins::ManifestError& e) {
    std::cout << "REFUSED invalid manifest: " << e.what() << "\n";
  }
  return 1;
}

// Package directories under plugins.dir, sorted.
std::vector<std::filesystem::path> packages(const config::KernelConfig& config) {
  std::vector<std::filesystem::path> dirs;
  if (config.plugins.dir.empty() || !std::filesystem::is_directory(config.plugins.dir)) return dirs;
  for (const auto& entry : std::filesystem::directory_iterator(config.plugins.dir)) {
    if (entry.is_directory()) dirs.push_back(entry.path());
  }
  std::sort(dirs.begin(), dirs.end());
  return dirs;
}

// What a kernel with this configuration would do with each package (before
// running any plugin code), and, with --tenant, whether the tenant has it on.
int list(const std::vector<std::string>& args) {
  auto valued = kDatabaseOptions;
  valued.insert("tenant");
  const auto arguments = parse_arguments(args, valued, {});
  if (!arguments.positional.empty()) throw UsageError("list takes no positional arguments");
  const auto config = load_effective_config(arguments);
  const auto trusted = plugins::load_trusted_publishers(
      std::filesystem::path(config.identity.policy_dir) / plugins::kPublishersFileName);
  std::map<std::string, bool> enabled;
  const auto tenant = arguments.get("tenant");
  std::optional<app::Database> database;
  std::string tenant_id;
  if (tenant) {
    database.emplace(app::open_database(config));
    tenant_id = tenancy::TenantAdmin(database->owner_url).show(*tenant).id;
  }
  for (const auto& dir : packages(config)) {
    std::string line = dir.filename().string() + "  ";
    try {
      // Signature problems are reported, not thrown, so the tenant state still shows.
      const auto package = plugins::read_verified_package(dir, trusted, false);
      line = package.manifest.name + " " + package.manifest.version + "  ";
      if (package.signed_ok) {
        line += "signed by " + package.publisher;
      } else if (config.dev_mode) {
        line += "UNSIGNED, loaded because dev_mode is on: " + package.unsigned_reason;
      } else {
        line += "REFUSED at load: " + package.unsigned_reason;
      }
      if (tenant) {
        pqxx::connection connection(database->owner_url);
        pqxx::work tx(connection);
        tx.exec_params("SELECT set_config('fk.tenant_id', $1, true)", tenant_id);
        const auto state = plugins::read_tenant_plugin(tx, package.manifest.name);
        line += state.enabled ? "  enabled for " + *tenant : "  disabled for " + *tenant;
      }
    } catch (const std::exception& e) {
      line += std::string("REFUSED ") + e.what();
    }
    std::cout << line << "\n";
  }
  return 0;
}

// What `enable`, `disable` and `configure` act on: one installed package,
// one tenant, the database, and who is acting (for the audit record).
struct TenantPluginChange {
  Arguments arguments;
  std::string tenant;
  plugins::PluginManifest manifest;
  app::Database database;
  plugins::PluginAdminActor actor;
};

TenantPluginChange tenant_plugin_change(const std::vector<std::string>& args,
                                        std::set<std::string> extra_options = {}) {
  auto valued = kDatabaseOptions;
  valued.insert("tenant");
  valued.insert(extra_options.begin(), extra_options.end());
  auto arguments = parse_arguments(args, valued, {});
  if (arguments.positional.size() != 1) throw UsageError("give exactly one plugin name");
  const auto tenant = required(arguments, "tenant");
  const auto config = load_effective_config(arguments);
  const auto dir = std::filesystem::path(config.plugins.dir) / arguments.positional[0];
  if (!std::filesystem::is_directory(dir)) {
    throw UsageError("no plugin package " + dir.string() + " (plugins.dir)");
  }
  auto manifest = plugins::load_manifest(dir);
  const auto* user = ::getpwuid(::geteuid());
  const std::string actor =
      "cli:" + (user != nullptr ? std::string(user->pw_name) : std::to_string(::geteuid()));
  return {std::move(arguments),
          tenant,
          std::move(manifest),
          app::open_database(config),
          {"system", actor, ""}};
}

int set_enabled(const std::vector<std::string>& args, bool enable) {
  const auto change = tenant_plugin_change(args);
  const auto tenant_id = plugins::set_plugin_enabled(change.database.owner_url, change.tenant,
                                                     change.manifest, enable, change.actor);
  std::cout << "plugin " << change.manifest.name << (enable ? " enabled" : " disabled")
            << " for tenant " << tenant_id
            << " (running kernels notice within tenancy.status_cache_ttl_ms)\n";
  return 0;
}

// The tenant's configuration values, validated against the manifest's schema.
int configure(const std::vector<std::string>& args) {
  const auto change = tenant_plugin_change(args, {"json"});
  const auto values = nlohmann::json::parse(required(change.arguments, "json"), nullptr, false);
  if (!values.is_object()) throw UsageError("--json must be a JSON object of settings");
  const auto tenant_id = plugins::set_plugin_config(change.database.owner_url, change.tenant,
                                                    change.manifest, values, change.actor);
  std::cout << "plugin " << change.manifest.name << " configured for tenant " << tenant_id << ": "
            << plugins::effective_config(change.manifest, nlohmann::json::object(), values).dump()
            << "\n";
  return 0;
}

int enable(const std::vector<std::string>& args) {
  return set_enabled(args, true);
}
int disable(const std::vector<std::string>& args) {
  return set_enabled(args, false);
}

// Adding a subcommand is one row here.
const Subcommand kSubcommands[] = {
    {"keygen",
     "keygen --out KEYFILE --publisher NAME\n"
     "      new Ed25519 signing key (PEM, mode 0600); prints the public-key\n"
     "      lines for policies/plugin-publishers.yaml",
     keygen},
    {"sign",
     "sign DIR --key KEYFILE --publisher NAME [--key-id ID]\n"
     "      writes DIR/plugin.sig over manifest.yaml, the library and the migrations\n"
     "      (key id default: the one keygen printed)",
     sign},
    {"verify",
     "verify DIR [--policy-dir DIR] [--config FILE]\n"
     "      checks the manifest and the signature against the trusted publishers\n"
     "      (default policy dir: identity.policy_dir); exit 1 when refused",
     verify},
    {"list",
     "list [--tenant TENANT] [--config FILE]\n"
     "      every package in plugins.dir: version, signature (or why it is refused) and,\n"
     "      with --tenant, whether that tenant has it enabled",
     list},
    {"enable",
     "enable NAME --tenant TENANT [--config FILE]\n"
     "      turn the plugin on for a tenant (audited in the tenant's chain)",
     enable},
    {"configure",
     "configure NAME --tenant TENANT --json '{\"key\": value}' [--config FILE]\n"
     "      set the tenant's values, checked against the manifest's schema (audited:\n"
     "      the keys, not the values)",
     configure},
    {"disable",
     "disable NAME --tenant TENANT [--config FILE]\n"
     "      turn it off: the tenant's requests to its routes get 404 (audited)",
     disable},
};

void print_usage(std::ostream& out) {
  out << "usage: finkernel plugin <subcommand> [options]\n\nsubcommands:\n";
  for (const auto& subcommand : kSubcommands) out << "  " << subcommand.usage << "\n";
  out << "\ndocs/sdk.md (Sign and ship) describes the signing flow.\n";
}

}  // namespace

int plugin_command(const std::vector<std::string>& args) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    print_usage(std::cout);
    return args.empty() ? 2 : 0;
  }
  for (const auto& subcommand : kSubcommands) {
    if (args[0] != subcommand.name) continue;
    const std::vector<std::string> rest(args.begin() + 1, args.end());
    if (!rest.empty() && (rest[0] == "--help" || rest[0] == "-h")) {
      std::cout << "usage: finkernel plugin " << subcommand.usage << "\n";
      return 0;
    }
    return subcommand.run(rest);
  }
  std::cerr << "finkernel plugin: unknown subcommand \"" << args[0] << "\"\n";
  print_usage(std::cerr);
  return 2;
}

}  // namespace fk::cli
