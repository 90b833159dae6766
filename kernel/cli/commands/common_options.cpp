#include "cli/commands/common_options.hpp"

#include <filesystem>

namespace fk::cli {

const char* const kDatabaseOptionsHelp =
    "  --config FILE                 kernel configuration (default: ./kernel.yaml if present)\n"
    "  --database-url URL            owner-role URL of an existing PostgreSQL\n"
    "                                (default: the embedded cluster under embedded.data_dir)\n"
    "  --runtime-database-url URL    runtime-role URL, required with --database-url\n";

config::KernelConfig load_effective_config(const Arguments& arguments) {
  std::string path = arguments.get("config").value_or("");
  if (path.empty() && std::filesystem::exists("kernel.yaml")) path = "kernel.yaml";
  auto environment = config::process_environment();
  if (auto url = arguments.get("database-url")) environment["FINKERNEL_DATABASE_URL"] = *url;
  if (auto url = arguments.get("runtime-database-url")) {
    environment["FINKERNEL_DATABASE_RUNTIME_URL"] = *url;
  }
  return config::load_config(path, environment);
}

}  // namespace fk::cli
