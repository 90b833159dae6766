#include "plugins/package/manifest.hpp"

#include <algorithm>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "plugins/package/manifest_reader.hpp"
#include "plugins/package/publisher_keys.hpp"

namespace fk::plugins {

namespace {

using detail::YamlReader;

constexpr std::size_t kNameMax = 64;     // FK_PLUGIN_NAME_MAX in the SDK
constexpr std::size_t kVersionMax = 64;  // FK_PLUGIN_VERSION_MAX in the SDK

const std::vector<std::string> kTopLevelKeys = {
    "name",   "version", "abi",   "library", "description", "publisher", "permissions",
    "routes", "events",  "calls", "exports", "migrations",  "config",    "depends_on"};

const std::regex kNamePattern("^[a-z][a-z0-9_-]*$");
const std::regex kActionPattern("^[a-z][a-z0-9_-]*(\\.[a-z][a-z0-9_-]*)*$");
const std::regex kEventSuffixPattern("^[a-z0-9_-]+(\\.[a-z0-9_-]+)*$");
const std::regex kMethodNamePattern("^[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)*$");
const std::regex kAbiPattern("^([0-9]{1,4})\\.([0-9]{1,4})$");
const std::regex kLiteralSegment("^[A-Za-z0-9._~-]+$");
const std::regex kParamSegment("^\\{([a-z_][a-z0-9_]*)\\}$");
const std::set<std::string> kMethods = {"GET", "POST", "PUT", "PATCH", "DELETE"};

bool is_version(const std::string& version) {
  if (version.empty() || version.size() > kVersionMax) return false;
  return std::all_of(version.begin(), version.end(), [](char c) { return c >= 0x21 && c <= 0x7e; });
}

void check_plugin_name(const YamlReader& reader, const YAML::Node& node, const std::string& field,
                       const std::string& name) {
  if (name.size() > kNameMax || !std::regex_match(name, kNamePattern)) {
    reader.fail(node, field,
                "'" + name + "' is not a plugin name: expected [a-z][a-z0-9_-]*, at most 64 bytes");
  }
}

void read_identity(const YamlReader& reader, const YAML::Node& root, PluginManifest& out) {
  const auto name_node = root["name"];
  out.name = reader.member(root, "name", "");
  check_plugin_name(reader, name_node, "name", out.name);
  const auto& reserved = reserved_plugin_names();
  if (std::find(reserved.begin(), reserved.end(), out.name) != reserved.end()) {
    reader.fail(name_node, "name",
                "'" + out.name + "' is reserved for the kernel's own API and permissions");
  }

  const auto version_node = root["version"];
  out.version = reader.member(root, "version", "");
  if (!is_version(out.version)) {
    reader.fail(version_node, "version", "expected 1 to 64 printable ASCII bytes, no spaces");
  }

  const auto abi_node = root["abi"];
  const auto abi = reader.member(root, "abi", "");
  std::smatch parts;
  if (!std::regex_match(abi, parts, kAbiPattern)) {
    reader.fail(abi_node, "abi", "'" + abi + "' must be \"major.minor\", e.g. \"1.0\"");
  }
  out.abi_major = std::stoi(parts[1].str());
  out.abi_minor = std::stoi(parts[2].str());

  const auto library_node = root["library"];
  out.library = reader.member(root, "library", "");
  const auto& lib = out.library;
  if (lib.find('/') != std::string::npos || lib.find('\\') != std::string::npos ||
      lib.find("..") != std::string::npos || lib.front() == '.' || lib.size() <= 3 ||
      lib.compare(lib.size() - 3, 3, ".so") != 0 ||
      !std::all_of(lib.begin(), lib.end(), [](char c) { return c > 0x20 && c < 0x7f; })) {
    reader.fail(library_node, "library",
                "'" + lib + "' must be a plain file name ending in .so (no directories, no '..')");
  }

  if (root["description"]) out.description = reader.scalar(root["description"], "description");
  if (root["publisher"]) {
    out.publisher = reader.scalar(root["publisher"], "publisher");
    if (!is_valid_publisher(out.publisher)) {
      reader.fail(root["publisher"], "publisher",
                  "'" + out.publisher + "' must be [A-Za-z0-9][A-Za-z0-9._-]* (e.g. a domain)");
    }
  }
}

void read_permissions(const YamlReader& reader, const YAML::Node& node, PluginManifest& out) {
  for (const auto& [key, value] : reader.map_entries(node, "permissions", {})) {
    const std::string& permission = key.Scalar();
    const std::string field = "permissions." + permission;
    const std::string prefix = out.name + ":";
    if (permission.rfind(prefix, 0) != 0) {
      reader.fail(key, field, "must be in the plugin's own namespace '" + prefix + "'");
    }
    if (!std::regex_match(permission.substr(prefix.size()), kActionPattern)) {
      reader.fail(key, field,
                  "the action after '" + prefix +
                      "' must be dotted lower-case words "
                      "(e.g. '" +
                      prefix + "greetings.read')");
    }
    out.permissions[permission] = reader.scalar(value, field);
  }
}

void check_route_path(const YamlReader& reader, const YAML::Node& node, const std::string& field,
                      const std::string& name, const std::string& path) {
  const std::string root = "/v1/" + name;
  if (path != root && path.rfind(root + "/", 0) != 0) {
    reader.fail(node, field, "'" + path + "' must be " + root + " or start with " + root + "/");
  }
  std::set<std::string> params;
  std::size_t start = root.size();
  while (start < path.size()) {
    const auto end = std::min(path.find('/', start + 1), path.size());
    const std::string segment = path.substr(start + 1, end - start - 1);
    std::smatch param;
    if (std::regex_match(segment, param, kParamSegment)) {
      if (!params.insert(param[1].str()).second) {
        reader.fail(node, field, "'" + path + "' repeats the parameter {" + param[1].str() + "}");
      }
    } else if (!std::regex_match(segment, kLiteralSegment)) {
      reader.fail(node, field,
                  "'" + path + "': segment '" + segment +
                      "' must be a literal ([A-Za-z0-9._~-]) or a whole {param} segment");
    }
    start = end;
  }
}

void read_routes(const YamlReader& reader, const YAML::Node& node, PluginManifest& out) {
  std::set<std::pair<std::string, std::string>> seen;
  const auto items = reader.sequence(node, "routes");
  for (std::size_t i = 0; i < items.size(); ++i) {
    const std::string field = "routes[" + std::to_string(i) + "]";
    const auto& item = items[i];
    reader.map_entries(item, field, {"method", "path", "permission"});
    ManifestRoute route;
    route.method = reader.member(item, "method", field);
    if (!kMethods.count(route.method)) {
      reader.fail(item["method"], field + ".method",
                  "'" + route.method + "' must be one of GET POST PUT PATCH DELETE");
    }
    route.path = reader.member(item, "path", field);
    check_route_path(reader, item["path"], field + ".path", out.name, route.path);
    const std::string label = "route " + route.method + " " + route.path;
    if (!item["permission"] || item["permission"].IsNull()) {
      reader.fail(item, field, label + " declares no permission");
    }
    route.permission = reader.member(item, "permission", field);
    if (!out.permissions.count(route.permission)) {
      reader.fail(item["permission"], field + ".permission",
                  label + " uses permission '" + route.permission +
                      "', which is not declared under 'permissions'");
    }
    if (!seen.emplace(route.method, route.path).second) {
      reader.fail(item, field, label + " is declared twice");
    }
    out.routes.push_back(std::move(route));
  }
}

void read_events(const YamlReader& reader, const YAML::Node& node, PluginManifest& out) {
  reader.map_entries(node, "events", {"publishes", "subscribes"});
  if (!node || node.IsNull()) return;
  const auto publishes = reader.sequence(node["publishes"], "events.publishes");
  for (std::size_t i = 0; i < publishes.size(); ++i) {
    const std::string field = "events.publishes[" + std::to_string(i) + "]";
    const auto type = reader.scalar(publishes[i], field);
    const std::string prefix = out.name + ".";
    if (type.rfind(prefix, 0) != 0 ||
        !std::regex_match(type.substr(prefix.size()), kEventSuffixPattern)) {
      reader.fail(publishes[i], field,
                  "'" + type + "' must be '" + prefix + "<event>' (dotted lower-case words)");
    }
    out.publishes.push_back(type);
  }
  const auto subscribes = reader.sequence(node["subscribes"], "events.subscribes");
  for (std::size_t i = 0; i < subscribes.size(); ++i) {
    const std::string field = "events.subscribes[" + std::to_string(i) + "]";
    const auto type = reader.scalar(subscribes[i], field);
    const auto dot = type.find('.');
    if (dot == std::string::npos || !std::regex_match(type.substr(0, dot), kNamePattern) ||
        !std::regex_match(type.substr(dot + 1), kEventSuffixPattern)) {
      reader.fail(subscribes[i], field,
                  "'" + type + "' must be '<plugin>.<event>' (dotted lower-case words)");
    }
    out.subscribes.push_back(type);
  }
}

void read_calls(const YamlReader& reader, const YAML::Node& root, PluginManifest& out) {
  const auto calls = reader.sequence(root["calls"], "calls");
  for (std::size_t i = 0; i < calls.size(); ++i) {
    const std::string field = "calls[" + std::to_string(i) + "]";
    reader.map_entries(calls[i], field, {"plugin", "method"});
    PluginCall call;
    call.plugin = reader.member(calls[i], "plugin", field);
    check_plugin_name(reader, calls[i]["plugin"], field + ".plugin", call.plugin);
    call.method = reader.member(calls[i], "method", field);
    if (!std::regex_match(call.method, kMethodNamePattern)) {
      reader.fail(calls[i]["method"], field + ".method",
                  "'" + call.method + "' must be dotted lower-case words");
    }
    out.calls.push_back(std::move(call));
  }
  const auto exports = reader.sequence(root["exports"], "exports");
  for (std::size_t i = 0; i < exports.size(); ++i) {
    const std::string field = "exports[" + std::to_string(i) + "]";
    auto method = reader.scalar(exports[i], field);
    if (!std::regex_match(method, kMethodNamePattern)) {
      reader.fail(exports[i], field, "'" + method + "' must be dotted lower-case words");
    }
    if (std::find(out.exports.begin(), out.exports.end(), method) != out.exports.end()) {
      reader.fail(exports[i], field, "'" + method + "' is exported twice");
    }
    out.exports.push_back(std::move(method));
  }
}

void read_migrations(const YamlReader& reader, const YAML::Node& node, PluginManifest& out) {
  const auto items = reader.sequence(node, "migrations");
  for (std::size_t i = 0; i < items.size(); ++i) {
    const std::string field = "migrations[" + std::to_string(i) + "]";
    auto path = reader.scalar(items[i], field);
    const std::filesystem::path relative(path);
    const bool has_parent = std::any_of(relative.begin(), relative.end(),
                                        [](const auto& part) { return part == ".."; });
    const bool printable =
        std::all_of(path.begin(), path.end(), [](char c) { return c >= 0x20 && c != 0x7f; });
    if (relative.is_absolute() || has_parent || !printable ||
        path.find('\\') != std::string::npos) {
      reader.fail(items[i], field,
                  "'" + path + "' must be a path relative to the plugin directory, without '..'");
    }
    if (relative.extension() != ".sql")
      reader.fail(items[i], field, "'" + path + "' must end in .sql");
    if (std::find(out.migrations.begin(), out.migrations.end(), path) != out.migrations.end()) {
      reader.fail(items[i], field, "'" + path + "' is listed twice");
    }
    out.migrations.push_back(std::move(path));
  }
}

void read_dependencies(const YamlReader& reader, const YAML::Node& node, PluginManifest& out) {
  const auto items = reader.sequence(node, "depends_on");
  for (std::size_t i = 0; i < items.size(); ++i) {
    const std::string field = "depends_on[" + std::to_string(i) + "]";
    reader.map_entries(items[i], field, {"plugin", "min_version"});
    PluginDependency dependency;
    dependency.plugin = reader.member(items[i], "plugin", field);
    check_plugin_name(reader, items[i]["plugin"], field + ".plugin", dependency.plugin);
    if (dependency.plugin == out.name) {
      reader.fail(items[i]["plugin"], field + ".plugin", "a plugin cannot depend on itself");
    }
    if (items[i]["min_version"]) {
      dependency.min_version = reader.member(items[i], "min_version", field);
      if (!is_version(dependency.min_version)) {
        reader.fail(items[i]["min_version"], field + ".min_version",
                    "expected 1 to 64 printable ASCII bytes, no spaces");
      }
    }
    out.depends_on.push_back(std::move(dependency));
  }
}

bool is_regular_file_inside(const std::filesystem::path& dir, const std::filesystem::path& file) {
  std::error_code error;
  if (!std::filesystem::is_regular_file(file, error)) return false;
  // A symlink may not lead out of the package: signing covers only the package.
  const auto canonical_dir = std::filesystem::canonical(dir, error);
  const auto canonical_file = std::filesystem::canonical(file, error);
  if (error) return false;
  const auto relative = canonical_file.lexically_relative(canonical_dir);
  return !relative.empty() && *relative.begin() != "..";
}

}  // namespace

const std::vector<std::string>& reserved_plugin_names() {
  // The kernel's route prefixes (/v1/<x>) and permission namespaces (<x>:).
  static const std::vector<std::string> names = {
      "tenant",    "platform", "auth",   "audit", "users",   "roles",  "keys",
      "approvals", "api-keys", "health", "ready", "metrics", "account"};
  return names;
}

PluginManifest parse_manifest(std::string_view yaml_text, const std::string& source_name) {
  const YamlReader reader(source_name);
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml_text));
  } catch (const YAML::Exception& e) {
    const std::string at =
        e.mark.is_null() ? source_name : source_name + ":" + std::to_string(e.mark.line + 1);
    throw ManifestError(at + ": invalid YAML: " + e.msg);
  }
  if (!root.IsMap()) reader.fail(root, "manifest", "must be a map of keys (name, version, ...)");
  reader.map_entries(root, "", kTopLevelKeys);

  PluginManifest manifest;
  read_identity(reader, root, manifest);
  read_permissions(reader, root["permissions"], manifest);
  read_routes(reader, root["routes"], manifest);
  read_events(reader, root["events"], manifest);
  read_calls(reader, root, manifest);
  read_migrations(reader, root["migrations"], manifest);
  manifest.config = detail::parse_config_schema(reader, root["config"]);
  read_dependencies(reader, root["depends_on"], manifest);
  return manifest;
}

namespace detail {

std::string read_file_bytes(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error(file.string() + ": cannot read");
  std::ostringstream text;
  text << in.rdbuf();
  if (!in.good() && !in.eof()) throw std::runtime_error(file.string() + ": read error");
  return text.str();
}

void check_package_files(const std::filesystem::path& plugin_dir, const PluginManifest& manifest,
                         const std::string& source) {
  if (!is_regular_file_inside(plugin_dir, plugin_dir / manifest.library)) {
    throw ManifestError(source + ": library: " + manifest.library + " not found in " +
                        plugin_dir.string());
  }
  for (std::size_t i = 0; i < manifest.migrations.size(); ++i) {
    if (!is_regular_file_inside(plugin_dir, plugin_dir / manifest.migrations[i])) {
      throw ManifestError(source + ": migrations[" + std::to_string(i) + "]: " +
                          manifest.migrations[i] + " is not a file inside " + plugin_dir.string());
    }
  }
}

}  // namespace detail

PluginManifest load_manifest(const std::filesystem::path& plugin_dir) {
  const auto file = plugin_dir / "manifest.yaml";
  std::string text;
  try {
    text = detail::read_file_bytes(file);
  } catch (const std::runtime_error&) {
    throw ManifestError(file.string() + ": cannot read the plugin manifest");
  }
  auto manifest = parse_manifest(text, file.string());
  detail::check_package_files(plugin_dir, manifest, file.string());
  return manifest;
}

}  // namespace fk::plugins
