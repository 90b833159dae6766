#pragma once
// Internal to fk_config (tests use it too): the table of every configuration
// key. Loader, environment overrides, --help text and the consistency tests
// all read this one table, so adding a key means one struct field plus one row.

#include "config/kernel_config.hpp"

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>

namespace fk::config {

enum class KeyType {
  Bool,        // exactly "true" or "false": YAML 1.1's yes/on/y are too easy to write by accident
  Integer,     // decimal, within [min, max]
  DurationMs,  // integer milliseconds within [min, max]; the YAML key ends in _ms
  String,      // anything, including empty
  NonEmptyString,
  Address,  // IPv4/IPv6 literal or "localhost": a host name would need DNS at bind time
  Enum,     // one of `choices`
};

// Where a key's value lands in KernelConfig; the pointee type must suit the KeyType
// (checked by the schema tests, and by assign_value at run time).
using FieldRef =
    std::variant<bool*, std::uint16_t*, std::size_t*, std::chrono::milliseconds*, std::string*>;

struct KeySpec {
  std::string_view path;  // dotted, exactly as nested in kernel.yaml
  KeyType type;
  std::int64_t min = 0;  // Integer / DurationMs only
  std::int64_t max = 0;
  std::span<const std::string_view> choices;  // Enum only
  std::string_view default_value;             // as it would be written in kernel.yaml
  std::string_view description;
  FieldRef (*field)(KernelConfig&);
};

std::span<const KeySpec> config_keys();

// nullptr when `path` is not a key.
const KeySpec* find_key(std::string_view path);

// True when some key lies under `path` (e.g. "http"), i.e. `path` is a map in kernel.yaml.
bool is_section(std::string_view path);

// FINKERNEL_HTTP_PORT for "http.port".
std::string environment_variable(const KeySpec& key);

}  // namespace fk::config
