#pragma once
// A plugin's manifest.yaml: everything the kernel must know about a plugin
// before it opens the shared object (sdk/examples/hello/manifest.yaml is the
// format documented to partners). Parsing validates everything that can be
// checked without running plugin code, so a bad package is refused with the
// file, line and field at fault before any dlopen.

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace fk::plugins {

// A refused manifest or plugin configuration. The message names the file (or
// "plugin <name> config"), the line when yaml-cpp knows it, and the field.
class ManifestError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct ManifestRoute {
  std::string method;      // GET POST PUT PATCH DELETE
  std::string path;        // /v1/<name>[/literal|/{param}]...
  std::string permission;  // declared under `permissions`
};

struct ConfigSetting {
  std::string key;
  std::string type;  // "integer" | "string" | "boolean"
  nlohmann::json default_value;
  std::optional<std::int64_t> minimum, maximum;  // integer only
  std::optional<std::size_t> max_length;         // string only
  std::vector<std::string> allowed;              // string only (`enum:`); empty = any
  std::string description;
};

struct PluginCall {
  std::string plugin;
  std::string method;
};

struct PluginDependency {
  std::string plugin;
  std::string min_version;  // empty = any version
};

struct PluginManifest {
  std::string name, version, description, publisher, library;  // library: file name of the .so
  int abi_major = 0, abi_minor = 0;
  std::map<std::string, std::string> permissions;  // name -> description, all "<name>:..."
  std::vector<ManifestRoute> routes;
  std::vector<std::string> publishes, subscribes;  // event types; publishes start with "<name>."
  std::vector<PluginCall> calls;                   // what this plugin may call
  std::vector<std::string> exports;                // methods others may call
  std::vector<std::string> migrations;             // relative paths in the dir, in order
  std::vector<ConfigSetting> config;
  std::vector<PluginDependency> depends_on;
};

// Reads and validates `<plugin_dir>/manifest.yaml`; also checks that the
// library and every migration exist as regular files inside the directory.
PluginManifest load_manifest(const std::filesystem::path& plugin_dir);

// Validates manifest text without touching the disk. `source_name` prefixes
// every message (a path, or any label).
PluginManifest parse_manifest(std::string_view yaml_text, const std::string& source_name);

// Plugin names the kernel's own API and permissions use; a plugin may not take one.
const std::vector<std::string>& reserved_plugin_names();

// Validates a JSON object of config values against the manifest's schema:
// unknown keys, wrong types, out of range -> ManifestError naming the key.
// A null `values` is an empty object.
void validate_plugin_config(const PluginManifest& manifest, const nlohmann::json& values);

// defaults < platform < tenant; both layers are validated first.
nlohmann::json effective_config(const PluginManifest& manifest,
                                const nlohmann::json& platform_values,
                                const nlohmann::json& tenant_values);

}  // namespace fk::plugins
