#pragma once
// Internal to plugins/package: typed, located access to a yaml-cpp tree, so
// every manifest refusal says "<file>:<line>: <field>: <what is wrong>".

#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

#include "plugins/package/manifest.hpp"

namespace fk::plugins::detail {

class YamlReader {
 public:
  explicit YamlReader(std::string source) : source_(std::move(source)) {}

  [[noreturn]] void fail(const YAML::Node& node, const std::string& field,
                         const std::string& message) const;
  [[noreturn]] void fail(const std::string& field, const std::string& message) const;

  // The entries of a map node, in file order. Refuses a non-map, duplicate
  // keys (yaml-cpp keeps both and lookups would silently pick one) and keys
  // outside `allowed` (with a did-you-mean when one is close). An empty
  // `allowed` accepts any key.
  std::vector<std::pair<YAML::Node, YAML::Node>> map_entries(
      const YAML::Node& node, const std::string& field,
      const std::vector<std::string>& allowed) const;

  // A scalar as text; refuses maps, sequences and null.
  std::string scalar(const YAML::Node& node, const std::string& field) const;
  // map[key] as text, `field` + "." + key in messages; a missing key is
  // reported at the map's line.
  std::string member(const YAML::Node& map, const std::string& key, const std::string& field) const;
  // A sequence of scalars; null means empty.
  std::vector<std::string> scalar_list(const YAML::Node& node, const std::string& field) const;
  // The items of a sequence; null means empty.
  std::vector<YAML::Node> sequence(const YAML::Node& node, const std::string& field) const;

  const std::string& source() const { return source_; }

 private:
  std::string source_;
};

// The `config:` section (plugin_config.cpp): setting name -> {type, default,
// minimum, maximum, max_length, enum, description}; every default must
// satisfy its own constraints.
std::vector<ConfigSetting> parse_config_schema(const YamlReader& reader, const YAML::Node& node);

// The whole file, or std::runtime_error naming it.
std::string read_file_bytes(const std::filesystem::path& file);

// The library and every migration are regular files inside the directory (a
// symlink may not lead out of it: the signature covers only the package).
void check_package_files(const std::filesystem::path& plugin_dir, const PluginManifest& manifest,
                         const std::string& source);

}  // namespace fk::plugins::detail
