#include "app/database_setup.hpp"
#include "cli/commands/commands.hpp"
#include "cli/commands/common_options.hpp"

#include <iostream>

namespace fk::cli {

int migrate_command(const std::vector<std::string>& args) {
  const auto arguments = parse_arguments(args, kDatabaseOptions, {"help"});
  if (arguments.has("help")) {
    std::cout << "usage: finkernel migrate [options]\n\n"
                 "Applies the kernel's pending migrations as the owner role and exits.\n"
                 "Stops with an error if an applied migration was changed or is missing.\n\n"
                 "options:\n"
              << kDatabaseOptionsHelp;
    return 0;
  }
  const auto config = load_effective_config(arguments);
  auto database = app::open_database(config);
  const auto applied = app::migrate_kernel(database.owner_url);
  std::cout << "migrations: " << applied << " applied, database is current\n";
  return 0;
}

}  // namespace fk::cli
