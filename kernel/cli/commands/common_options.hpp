#pragma once
// Options every database-using subcommand accepts, and how they combine with
// kernel.yaml and FINKERNEL_* variables: file < environment < command line.

#include "cli/commands/arguments.hpp"
#include "config/kernel_config.hpp"

#include <set>
#include <string>

namespace fk::cli {

inline const std::set<std::string> kDatabaseOptions = {"config", "database-url",
                                                       "runtime-database-url"};

extern const char* const kDatabaseOptionsHelp;

// Loads --config (or ./kernel.yaml when present), then applies the options.
config::KernelConfig load_effective_config(const Arguments& arguments);

}  // namespace fk::cli
