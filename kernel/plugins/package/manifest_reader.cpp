#include "plugins/package/manifest_reader.hpp"

#include <algorithm>
#include <map>

#include "config/config_suggest.hpp"

namespace fk::plugins::detail {

namespace {

// Two edits catch a typist's slip ("permisions", "rotues") without
// suggesting unrelated keys.
constexpr std::size_t kSuggestDistance = 2;

std::string closest(const std::string& unknown, const std::vector<std::string>& allowed) {
  std::string best;
  std::size_t best_distance = kSuggestDistance + 1;
  for (const auto& candidate : allowed) {
    const auto distance = config::edit_distance(unknown, candidate);
    if (distance < best_distance) {
      best = candidate;
      best_distance = distance;
    }
  }
  return best;
}

}  // namespace

void YamlReader::fail(const YAML::Node& node, const std::string& field,
                      const std::string& message) const {
  // A missing key is an invalid node whose Mark() throws: report no line then.
  const auto mark = node.IsDefined() ? node.Mark() : YAML::Mark::null_mark();
  const std::string at = mark.is_null() ? source_ : source_ + ":" + std::to_string(mark.line + 1);
  throw ManifestError(at + ": " + field + ": " + message);
}

void YamlReader::fail(const std::string& field, const std::string& message) const {
  throw ManifestError(source_ + ": " + field + ": " + message);
}

std::vector<std::pair<YAML::Node, YAML::Node>> YamlReader::map_entries(
    const YAML::Node& node, const std::string& field,
    const std::vector<std::string>& allowed) const {
  std::vector<std::pair<YAML::Node, YAML::Node>> entries;
  if (!node || node.IsNull()) return entries;
  if (!node.IsMap()) fail(node, field, "must be a map");
  std::map<std::string, int> seen;  // key -> 1-based line
  for (const auto& entry : node) {
    const YAML::Node key = entry.first;
    const YAML::Node value = entry.second;
    if (!key.IsScalar() || key.Scalar().empty()) fail(key, field, "keys must be plain names");
    const std::string& name = key.Scalar();
    const std::string path = field.empty() ? name : field + "." + name;
    if (auto [first, inserted] = seen.emplace(name, key.Mark().line + 1); !inserted) {
      fail(key, path, "duplicate key (first set on line " + std::to_string(first->second) + ")");
    }
    if (!allowed.empty() && std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
      std::string message = "unknown key";
      if (const auto hint = closest(name, allowed); !hint.empty()) {
        message += " (did you mean '" + hint + "'?)";
      }
      fail(key, path, message);
    }
    entries.emplace_back(key, value);
  }
  return entries;
}

std::string YamlReader::scalar(const YAML::Node& node, const std::string& field) const {
  if (!node || node.IsNull()) fail(node, field, "is required");
  if (!node.IsScalar()) fail(node, field, "must be a single value, not a list or map");
  return node.Scalar();
}

std::string YamlReader::member(const YAML::Node& map, const std::string& key,
                               const std::string& field) const {
  const std::string path = field.empty() ? key : field + "." + key;
  if (!map[key]) fail(map, path, "is required");
  return scalar(map[key], path);
}

std::vector<YAML::Node> YamlReader::sequence(const YAML::Node& node,
                                             const std::string& field) const {
  std::vector<YAML::Node> items;
  if (!node || node.IsNull()) return items;
  if (!node.IsSequence()) fail(node, field, "must be a list");
  for (const auto& item : node) items.push_back(item);
  return items;
}

std::vector<std::string> YamlReader::scalar_list(const YAML::Node& node,
                                                 const std::string& field) const {
  std::vector<std::string> values;
  const auto items = sequence(node, field);
  for (std::size_t i = 0; i < items.size(); ++i) {
    values.push_back(scalar(items[i], field + "[" + std::to_string(i) + "]"));
  }
  return values;
}

}  // namespace fk::plugins::detail
