// load_config: reads kernel.yaml, walks it against the schema, applies the
// environment, checks cross-key rules. Every error carries a location the
// operator can go to: "file:line" or "environment variable NAME".

#include "config/config_schema.hpp"
#include "config/config_suggest.hpp"
#include "config/config_value.hpp"
#include "config/kernel_config.hpp"

#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cstdio>
#include <memory>
#include <system_error>
#include <vector>

namespace fk::config {
namespace {

[[noreturn]] void fail(const std::string& where, const std::string& problem) {
  throw ConfigError(where + ": " + problem);
}

std::string read_file(const std::string& path) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"),
                                                       &std::fclose);
  const auto cannot_read = [&] {
    fail(path, "cannot read file: " + std::error_code(errno, std::generic_category()).message());
  };
  if (!file) cannot_read();
  std::string text;
  char buffer[8192];
  std::size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, file.get())) > 0) text.append(buffer, n);
  // fopen succeeds on a directory on Linux; the read is what fails (EISDIR).
  if (std::ferror(file.get())) cannot_read();
  return text;
}

const char* node_kind(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Sequence:
      return "a sequence";
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Null:
      return "null";
    default:
      return "a scalar";
  }
}

// Where each key's effective value came from, for errors found after the walk.
using Origins = std::map<std::string, std::string>;

class FileWalker {
 public:
  FileWalker(const std::string& path, KernelConfig& config, Origins& origins)
      : path_(path), config_(config), origins_(origins) {}

  void walk_document(const YAML::Node& root) {
    if (root.IsNull()) return;  // an empty or all-comment file means "all defaults"
    if (!root.IsMap()) {
      fail(where(root), std::string("the top level must be a map of keys, got ") + node_kind(root));
    }
    walk_map(root, "");
  }

 private:
  std::string where(const YAML::Node& node) const {
    return path_ + ":" + std::to_string(node.Mark().line + 1);
  }

  void walk_map(const YAML::Node& map, const std::string& prefix) {
    std::map<std::string, int> seen;  // name -> 1-based line
    // Copies, not references: yaml-cpp's iterator hands out a temporary pair.
    for (const auto& entry : map) {
      const YAML::Node key = entry.first;
      const YAML::Node value = entry.second;
      // Errors cite the key's line: a null value's mark is on the following line.
      const auto at = where(key);
      if (!key.IsScalar() || key.Scalar().empty()) fail(at, "keys must be plain names");
      const std::string& name = key.Scalar();
      const std::string path = prefix.empty() ? name : prefix + "." + name;

      // yaml-cpp keeps duplicates and later lookups would silently pick one.
      if (auto [first, inserted] = seen.emplace(name, key.Mark().line + 1); !inserted) {
        fail(at, "duplicate key '" + path + "' (first set on line " +
                     std::to_string(first->second) + ")");
      }
      if (name.find('.') != std::string::npos && (find_key(path) || is_section(path))) {
        fail(at, "key '" + path + "' must be written nested, one map level per '.'");
      }

      if (const KeySpec* spec = find_key(path)) {
        assign(*spec, value, at);
      } else if (is_section(path)) {
        if (value.IsNull()) continue;  // every key of the section commented out
        if (!value.IsMap()) {
          fail(at, "'" + path + "' must be a map of keys, got " +
                       (value.IsScalar() ? quote_for_message(value.Scalar())
                                         : std::string(node_kind(value))));
        }
        walk_map(value, path);
      } else {
        auto hint = suggest_key(path);
        fail(at, "unknown key '" + path + "'" +
                     (hint ? " (did you mean '" + *hint + "'?)" : std::string()));
      }
    }
  }

  void assign(const KeySpec& spec, const YAML::Node& value, const std::string& at) {
    std::optional<std::string> problem;
    if (value.IsScalar()) {
      problem = assign_value(spec, value.Scalar(), config_);
    } else if (value.IsNull() && spec.type == KeyType::String) {
      problem = assign_value(spec, "", config_);  // `url:` left blank reads as "not set"
    } else {
      problem = type_error(spec, node_kind(value));
    }
    if (problem) fail(at, *problem);
    origins_[std::string(spec.path)] = at;
  }

  const std::string& path_;
  KernelConfig& config_;
  Origins& origins_;
};

void load_file(const std::string& path, KernelConfig& config, Origins& origins) {
  const std::string text = read_file(path);
  std::vector<YAML::Node> documents;
  try {
    documents = YAML::LoadAll(text);
  } catch (const YAML::Exception& e) {
    const std::string where =
        e.mark.is_null() ? path : path + ":" + std::to_string(e.mark.line + 1);
    fail(where, "invalid YAML: " + e.msg);
  }
  if (documents.size() > 1) {
    fail(path + ":" + std::to_string(documents[1].Mark().line + 1),
         "expected a single YAML document, found another");
  }
  if (!documents.empty()) FileWalker(path, config, origins).walk_document(documents.front());
}

// Unknown FINKERNEL_* variables are deliberately ignored, not rejected: other
// tools (scripts, the test harness, future plugins) share the prefix, and a
// kernel that refused to start because of them would be fragile to deploy.
void apply_environment(const std::map<std::string, std::string>& environment, KernelConfig& config,
                       Origins& origins) {
  for (const auto& spec : config_keys()) {
    const std::string variable = environment_variable(spec);
    const auto found = environment.find(variable);
    if (found == environment.end()) continue;
    const std::string at = "environment variable " + variable;
    if (auto problem = assign_value(spec, found->second, config)) fail(at, *problem);
    origins[std::string(spec.path)] = at;
  }
}

void check_cross_key_rules(const KernelConfig& config, const Origins& origins) {
  // Serving requests as the owner role would hand them the rights migrations
  // need, and no runtime role can be derived from the owner URL: demand both.
  if (!config.database.url.empty() && config.database.runtime_url.empty()) {
    auto origin = origins.find("database.runtime_url");  // set, but to ""
    if (origin == origins.end()) origin = origins.find("database.url");
    fail(origin == origins.end() ? std::string("configuration") : origin->second,
         "'database.runtime_url' is required when 'database.url' is set");
  }
}

}  // namespace

KernelConfig load_config(const std::string& path,
                         const std::map<std::string, std::string>& environment) {
  KernelConfig config;
  Origins origins;
  if (!path.empty()) load_file(path, config, origins);
  apply_environment(environment, config, origins);
  check_cross_key_rules(config, origins);
  return config;
}

}  // namespace fk::config
