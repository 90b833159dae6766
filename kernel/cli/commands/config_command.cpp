#include "cli/commands/arguments.hpp"
#include "cli/commands/commands.hpp"
#include "config/kernel_config.hpp"

#include <iostream>

namespace fk::cli {

int config_command(const std::vector<std::string>& args) {
  const auto arguments = parse_arguments(args, {}, {"help"});
  if (arguments.has("help") || arguments.positional.empty()) {
    std::cout << "usage: finkernel config check FILE\n\n"
                 "Validates a kernel configuration file (and FINKERNEL_* overrides) without\n"
                 "starting anything. Exits 0 if valid; otherwise prints the first problem,\n"
                 "naming the key, the file and the line, and exits 1.\n\nkeys:\n"
              << config::describe_config_keys();
    return arguments.has("help") ? 0 : 2;
  }
  if (arguments.positional[0] != "check" || arguments.positional.size() != 2) {
    throw UsageError("usage: finkernel config check FILE");
  }
  const std::string& file = arguments.positional[1];
  try {
    config::load_config(file, config::process_environment());
  } catch (const config::ConfigError& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
  std::cout << file << ": OK\n";
  return 0;
}

}  // namespace fk::cli
