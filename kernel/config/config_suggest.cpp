#include "config/config_suggest.hpp"

#include "config/config_schema.hpp"

#include <algorithm>
#include <vector>

namespace fk::config {
namespace {

std::string_view parent_of(std::string_view path) {
  auto dot = path.rfind('.');
  return dot == std::string_view::npos ? std::string_view{} : path.substr(0, dot);
}

std::string_view leaf_of(std::string_view path) {
  auto dot = path.rfind('.');
  return dot == std::string_view::npos ? path : path.substr(dot + 1);
}

// Every key and every section, in schema order, so ties resolve the same way each run.
std::vector<std::string_view> all_names() {
  std::vector<std::string_view> names;
  for (const auto& key : config_keys()) {
    for (auto dot = key.path.find('.'); dot != std::string_view::npos;
         dot = key.path.find('.', dot + 1)) {
      names.push_back(key.path.substr(0, dot));
    }
    names.push_back(key.path);
  }
  std::vector<std::string_view> unique;
  for (auto name : names) {
    if (std::find(unique.begin(), unique.end(), name) == unique.end()) unique.push_back(name);
  }
  return unique;
}

}  // namespace

std::size_t edit_distance(std::string_view a, std::string_view b) {
  // Three rolling rows: transposition looks two rows back.
  std::vector<std::size_t> before(b.size() + 1), previous(b.size() + 1), current(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) previous[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    current[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      current[j] = std::min({previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        current[j] = std::min(current[j], before[j - 2] + 1);
      }
    }
    std::swap(before, previous);
    std::swap(previous, current);
  }
  return previous[b.size()];
}

std::optional<std::string> suggest_key(std::string_view unknown_path) {
  const auto parent = parent_of(unknown_path);
  const auto leaf = leaf_of(unknown_path);
  const auto names = all_names();

  // A typo among siblings is the common case; allow roughly one edit per three characters.
  const std::size_t limit = std::max<std::size_t>(1, leaf.size() / 3);
  std::optional<std::string_view> best;
  std::size_t best_distance = limit + 1;
  for (auto name : names) {
    if (parent_of(name) != parent) continue;
    const auto distance = edit_distance(leaf, leaf_of(name));
    if (distance < best_distance) {
      best = name;
      best_distance = distance;
    }
  }
  if (best) return std::string(*best);

  // Otherwise the right name may sit in the wrong section, e.g. `port` under `database:`.
  for (auto name : names) {
    if (leaf_of(name) == leaf) return std::string(name);
  }
  return std::nullopt;
}

}  // namespace fk::config
