#pragma once
// Comma-separated lists as they come from array_to_string() and from CLI
// options ("member,viewer"). An empty input is an empty list.

#include <string>
#include <string_view>
#include <vector>

namespace fk {

inline std::vector<std::string> split_commas(std::string_view joined) {
  std::vector<std::string> parts;
  for (std::size_t start = 0; start < joined.size();) {
    const auto comma = joined.find(',', start);
    parts.emplace_back(joined.substr(start, comma - start));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return parts;
}

}  // namespace fk
