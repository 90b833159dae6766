// The --help rendering of the schema table. Widths are computed, not fixed,
// so a new key with a long name cannot break the alignment.

#include "config/config_schema.hpp"
#include "config/kernel_config.hpp"

#include <algorithm>
#include <array>
#include <vector>

namespace fk::config {
namespace {

std::string short_type(const KeySpec& key) {
  const auto range = [&] { return std::to_string(key.min) + ".." + std::to_string(key.max); };
  switch (key.type) {
    case KeyType::Bool:
      return "bool";
    case KeyType::Integer:
      return "integer " + range();
    case KeyType::DurationMs:
      return "ms " + range();
    case KeyType::String:
      return "string";
    case KeyType::NonEmptyString:
      return "non-empty string";
    case KeyType::Address:
      return "IP or localhost";
    case KeyType::Enum:
      return "enum";
  }
  return "?";
}

// Choices go after the description: as a TYPE they would widen every row.
std::string description(const KeySpec& key) {
  std::string text(key.description);
  if (key.type == KeyType::Enum) {
    std::string list;
    for (auto choice : key.choices) list += (list.empty() ? "" : "|") + std::string(choice);
    text += " (" + list + ")";
  }
  return text;
}

}  // namespace

std::string describe_config_keys() {
  using Row = std::array<std::string, 4>;
  std::vector<Row> rows = {{"KEY", "TYPE", "DEFAULT", "DESCRIPTION"}};
  for (const auto& key : config_keys()) {
    rows.push_back({std::string(key.path), short_type(key),
                    key.default_value.empty() ? "\"\"" : std::string(key.default_value),
                    description(key)});
  }
  std::array<std::size_t, 3> width{};
  for (const auto& row : rows) {
    for (std::size_t c = 0; c < width.size(); ++c) width[c] = std::max(width[c], row[c].size());
  }
  std::string out;
  for (const auto& row : rows) {
    for (std::size_t c = 0; c < width.size(); ++c) {
      out += row[c] + std::string(width[c] - row[c].size() + 2, ' ');
    }
    out += row[3] + "\n";
  }
  out +=
      "\nEvery key can be overridden by an environment variable: FINKERNEL_ followed by the\n"
      "key upper-cased with '.' replaced by '_', e.g. FINKERNEL_HTTP_PORT=0.\n";
  return out;
}

}  // namespace fk::config
