#pragma once
// Minimal argument handling shared by the subcommands: positional words and
// "--name value" / "--flag" options, with unknown options refused by name.

#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace fk::cli {

class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Arguments {
  std::vector<std::string> positional;
  std::map<std::string, std::string> options;  // "--x value" -> {"x", "value"}; flags -> "true"
  [[nodiscard]] bool has(const std::string& name) const { return options.count(name) > 0; }
  [[nodiscard]] std::optional<std::string> get(const std::string& name) const;
};

// `valued` options take a value; `flags` do not. Anything else is a UsageError.
Arguments parse_arguments(const std::vector<std::string>& words,
                          const std::set<std::string>& valued, const std::set<std::string>& flags);

}  // namespace fk::cli
