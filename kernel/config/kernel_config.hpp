#pragma once
// The kernel's configuration: kernel.yaml, then FINKERNEL_* environment
// overrides, validated in one pass so that a bad deployment fails at start-up
// with a message pointing at the exact line or variable, never later at first
// use. Every key, its type, range, default and description are declared once,
// in config_schema.cpp; `finkernel config --help` prints that table.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>

namespace fk::config {

struct HttpConfig {
  std::string address = "127.0.0.1";
  std::uint16_t port = 8080;  // 0 lets the OS pick (tests rely on it)
  std::size_t threads = 4;
  std::size_t max_body_bytes = 1048576;
  std::size_t max_header_bytes = 16384;
  std::chrono::milliseconds header_timeout{10000};
  std::chrono::milliseconds body_timeout{30000};
  std::chrono::milliseconds idle_timeout{60000};
  std::chrono::milliseconds drain_timeout{10000};

  bool operator==(const HttpConfig&) const = default;
};

struct DatabaseConfig {
  std::string url;          // owner-role URL (migrations, admin CLI); empty = embedded cluster
  std::string runtime_url;  // runtime-role URL (serving requests); required when url is set
  std::size_t pool_size = 8;
  std::chrono::milliseconds acquire_timeout{2000};

  bool operator==(const DatabaseConfig&) const = default;
};

struct EmbeddedConfig {
  std::string data_dir = "var/pg";
  std::string os_user = "finkernel";

  bool operator==(const EmbeddedConfig&) const = default;
};

struct TenancyConfig {
  std::string seed_dir = "tenants";
  std::chrono::milliseconds status_cache_ttl{1000};

  bool operator==(const TenancyConfig&) const = default;
};

struct IdentityConfig {
  std::string policy_dir = "policies";
  std::string signing_keys_file = "var/keys/signing-keys.json";
  std::string audit_key_file = "var/keys/audit-key.json";
  std::string master_key_file = "var/keys/master.key";

  bool operator==(const IdentityConfig&) const = default;
};

struct PluginsConfig {
  std::string dir = "var/plugins";  // one package directory per plugin
  std::chrono::milliseconds deadline{10000};
  std::size_t workers = 16;

  bool operator==(const PluginsConfig&) const = default;
};

struct EventsConfig {
  std::chrono::milliseconds poll_interval{1000};  // sweep for due deliveries
  std::size_t max_attempts = 8;                   // then the delivery is a dead letter
  std::chrono::milliseconds retry_base{200};      // first retry delay, doubling
  std::chrono::milliseconds retry_max{60000};     // cap of the retry delay

  bool operator==(const EventsConfig&) const = default;
};

struct AuditConfig {
  std::size_t checkpoint_interval_s = 3600;  // sign every moved chain head this often; 0 = off

  bool operator==(const AuditConfig&) const = default;
};

struct LogConfig {
  std::string level = "info";  // trace|debug|info|warn|error|critical|off

  bool operator==(const LogConfig&) const = default;
};

struct KernelConfig {
  bool dev_mode = false;
  HttpConfig http;
  DatabaseConfig database;
  EmbeddedConfig embedded;
  TenancyConfig tenancy;
  IdentityConfig identity;
  AuditConfig audit;
  PluginsConfig plugins;
  EventsConfig events;
  LogConfig log;

  bool operator==(const KernelConfig&) const = default;
};

// what() is the complete, user-facing message, e.g.
//   kernel.yaml:7: unknown key 'http.prot' (did you mean 'http.port'?)
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Loads `path` (empty = defaults only), applies overrides from `environment`
// (FINKERNEL_ + dotted key upper-cased with '.' -> '_', e.g. FINKERNEL_HTTP_PORT),
// then checks cross-key rules. Throws ConfigError for the first problem found,
// in this order: the file in document order, then the environment in schema
// order, then cross-key rules — so the same inputs always give the same error.
KernelConfig load_config(const std::string& path,
                         const std::map<std::string, std::string>& environment);

// The process environment (environ) as name -> value.
std::map<std::string, std::string> process_environment();

// Every key with its type, default and description, for `finkernel config --help`.
std::string describe_config_keys();

}  // namespace fk::config
