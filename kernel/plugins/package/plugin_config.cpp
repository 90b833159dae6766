// The manifest's `config:` schema, and the values platform admins and tenants
// set against it. One checker serves both the schema's own defaults and the
// values set later, so a default can never be something an admin could not set.

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <optional>
#include <regex>

#include "plugins/package/manifest.hpp"
#include "plugins/package/manifest_reader.hpp"

namespace fk::plugins {

namespace {

const std::regex kSettingName("^[a-z][a-z0-9_]{0,63}$");

std::optional<std::int64_t> parse_int64(const std::string& text) {
  std::int64_t value = 0;
  const auto* end = text.data() + text.size();
  const auto [stop, error] = std::from_chars(text.data(), end, value);
  if (text.empty() || error != std::errc() || stop != end) return std::nullopt;
  return value;
}

// Why `value` is not acceptable for `setting`, or nothing when it is.
std::optional<std::string> problem_with(const ConfigSetting& setting, const nlohmann::json& value) {
  if (setting.type == "integer") {
    // nlohmann keeps booleans and floats apart from integers, so 1.5 and true are refused.
    if (!value.is_number_integer()) return "must be an integer, got " + value.dump();
    const auto number = value.is_number_unsigned() && value.get<std::uint64_t>() > INT64_MAX
                            ? std::optional<std::int64_t>()
                            : std::optional<std::int64_t>(value.get<std::int64_t>());
    if (!number) return "must be an integer, got " + value.dump() + " (out of range)";
    if (setting.minimum && *number < *setting.minimum) {
      return value.dump() + " is below the minimum " + std::to_string(*setting.minimum);
    }
    if (setting.maximum && *number > *setting.maximum) {
      return value.dump() + " is above the maximum " + std::to_string(*setting.maximum);
    }
    return std::nullopt;
  }
  if (setting.type == "boolean") {
    if (!value.is_boolean()) return "must be true or false, got " + value.dump();
    return std::nullopt;
  }
  if (!value.is_string()) return "must be a string, got " + value.dump();
  const auto& text = value.get_ref<const std::string&>();
  if (setting.max_length && text.size() > *setting.max_length) {
    return "is " + std::to_string(text.size()) + " bytes, longer than max_length " +
           std::to_string(*setting.max_length);
  }
  if (!setting.allowed.empty() &&
      std::find(setting.allowed.begin(), setting.allowed.end(), text) == setting.allowed.end()) {
    std::string list;
    for (const auto& allowed : setting.allowed) list += (list.empty() ? "" : ", ") + allowed;
    return value.dump() + " is not one of: " + list;
  }
  return std::nullopt;
}

const ConfigSetting* find_setting(const PluginManifest& manifest, const std::string& key) {
  for (const auto& setting : manifest.config) {
    if (setting.key == key) return &setting;
  }
  return nullptr;
}

}  // namespace

namespace detail {

std::vector<ConfigSetting> parse_config_schema(const YamlReader& reader, const YAML::Node& node) {
  std::vector<ConfigSetting> settings;
  for (const auto& [key, spec] : reader.map_entries(node, "config", {})) {
    ConfigSetting setting;
    setting.key = key.Scalar();
    const std::string field = "config." + setting.key;
    if (!std::regex_match(setting.key, kSettingName)) {
      reader.fail(key, field, "setting names are [a-z][a-z0-9_]*, at most 64 bytes");
    }
    reader.map_entries(
        spec, field,
        {"type", "default", "minimum", "maximum", "max_length", "enum", "description"});
    if (!spec.IsMap()) reader.fail(key, field, "must be a map with at least type and default");
    setting.type = reader.member(spec, "type", field);
    if (setting.type != "integer" && setting.type != "string" && setting.type != "boolean") {
      reader.fail(spec["type"], field + ".type",
                  "'" + setting.type + "' must be integer, string or boolean");
    }
    const bool integer = setting.type == "integer";
    const bool string = setting.type == "string";
    for (const char* bound : {"minimum", "maximum"}) {
      if (!spec[bound]) continue;
      if (!integer)
        reader.fail(spec[bound], field + "." + bound, "applies to integer settings only");
      const auto value = parse_int64(reader.scalar(spec[bound], field + "." + bound));
      if (!value) reader.fail(spec[bound], field + "." + bound, "must be a 64-bit integer");
      (std::string(bound) == "minimum" ? setting.minimum : setting.maximum) = value;
    }
    if (setting.minimum && setting.maximum && *setting.minimum > *setting.maximum) {
      reader.fail(spec["minimum"], field + ".minimum", "is above maximum");
    }
    if (spec["max_length"]) {
      if (!string)
        reader.fail(spec["max_length"], field + ".max_length", "applies to string settings only");
      const auto value = parse_int64(reader.member(spec, "max_length", field));
      if (!value || *value < 0) {
        reader.fail(spec["max_length"], field + ".max_length", "must be a non-negative integer");
      }
      setting.max_length = static_cast<std::size_t>(*value);
    }
    if (spec["enum"]) {
      if (!string) reader.fail(spec["enum"], field + ".enum", "applies to string settings only");
      setting.allowed = reader.scalar_list(spec["enum"], field + ".enum");
      if (setting.allowed.empty()) reader.fail(spec["enum"], field + ".enum", "must not be empty");
    }
    if (spec["description"]) {
      setting.description = reader.member(spec, "description", field);
    }

    const auto default_node = spec["default"];
    const auto text = reader.member(spec, "default", field);
    if (integer) {
      const auto value = parse_int64(text);
      if (!value) reader.fail(default_node, field + ".default", "'" + text + "' is not an integer");
      setting.default_value = *value;
    } else if (setting.type == "boolean") {
      if (text != "true" && text != "false") {
        reader.fail(default_node, field + ".default", "'" + text + "' must be true or false");
      }
      setting.default_value = text == "true";
    } else {
      setting.default_value = text;
    }
    if (const auto problem = problem_with(setting, setting.default_value)) {
      reader.fail(default_node, field + ".default", "the default " + *problem);
    }
    settings.push_back(std::move(setting));
  }
  return settings;
}

}  // namespace detail

void validate_plugin_config(const PluginManifest& manifest, const nlohmann::json& values) {
  const std::string source = "plugin " + manifest.name + " config";
  if (values.is_null()) return;
  if (!values.is_object()) throw ManifestError(source + ": must be a JSON object of settings");
  for (const auto& item : values.items()) {
    const auto* setting = find_setting(manifest, item.key());
    if (!setting) {
      std::string known;
      for (const auto& candidate : manifest.config)
        known += (known.empty() ? "" : ", ") + candidate.key;
      throw ManifestError(source + ": " + item.key() +
                          ": unknown setting (known: " + (known.empty() ? "none" : known) + ")");
    }
    if (const auto problem = problem_with(*setting, item.value())) {
      throw ManifestError(source + ": " + item.key() + ": " + *problem);
    }
  }
}

nlohmann::json effective_config(const PluginManifest& manifest,
                                const nlohmann::json& platform_values,
                                const nlohmann::json& tenant_values) {
  validate_plugin_config(manifest, platform_values);
  validate_plugin_config(manifest, tenant_values);
  auto effective = nlohmann::json::object();
  for (const auto& setting : manifest.config) effective[setting.key] = setting.default_value;
  for (const auto* layer : {&platform_values, &tenant_values}) {
    if (layer->is_null()) continue;
    for (const auto& item : layer->items()) effective[item.key()] = item.value();
  }
  return effective;
}

}  // namespace fk::plugins
