// The single table of configuration keys. Defaults here must equal the struct
// initializers in kernel_config.hpp and the values in the shipped kernel.yaml;
// tests/unit/config checks all three agree.

#include "config/config_schema.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace fk::config {
namespace {

// A captureless lambda per row keeps "where it lands" next to the key it belongs to.
#define FK_FIELD(member) [](KernelConfig& c) -> FieldRef { return &c.member; }

constexpr std::array<std::string_view, 7> kLogLevels = {"trace", "debug",    "info", "warn",
                                                        "error", "critical", "off"};
constexpr std::int64_t kHour = 3600000;

using enum KeyType;

const std::array kKeys = {
    KeySpec{"dev_mode",
            Bool,
            0,
            0,
            {},
            "false",
            "Development mode for local work; keep false in production",
            FK_FIELD(dev_mode)},

    KeySpec{"http.address",
            Address,
            0,
            0,
            {},
            "127.0.0.1",
            "Listen address: IPv4/IPv6 literal or localhost",
            FK_FIELD(http.address)},
    KeySpec{"http.port",
            Integer,
            0,
            65535,
            {},
            "8080",
            "Listen port; 0 lets the OS pick one",
            FK_FIELD(http.port)},
    KeySpec{"http.threads",
            Integer,
            1,
            256,
            {},
            "4",
            "Worker threads serving requests",
            FK_FIELD(http.threads)},
    KeySpec{"http.max_body_bytes",
            Integer,
            1,
            1073741824,
            {},
            "1048576",
            "Largest request body accepted",
            FK_FIELD(http.max_body_bytes)},
    KeySpec{"http.max_header_bytes",
            Integer,
            1024,
            1048576,
            {},
            "16384",
            "Largest request line plus headers accepted",
            FK_FIELD(http.max_header_bytes)},
    KeySpec{"http.header_timeout_ms",
            DurationMs,
            1,
            kHour,
            {},
            "10000",
            "Time allowed to receive the request line and headers",
            FK_FIELD(http.header_timeout)},
    KeySpec{"http.body_timeout_ms",
            DurationMs,
            1,
            kHour,
            {},
            "30000",
            "Time allowed to receive the request body",
            FK_FIELD(http.body_timeout)},
    KeySpec{"http.idle_timeout_ms",
            DurationMs,
            1,
            kHour,
            {},
            "60000",
            "Idle keep-alive connections are closed after this",
            FK_FIELD(http.idle_timeout)},
    KeySpec{"http.drain_timeout_ms",
            DurationMs,
            1,
            kHour,
            {},
            "10000",
            "On shutdown, time given to in-flight requests to finish",
            FK_FIELD(http.drain_timeout)},

    KeySpec{"database.url",
            String,
            0,
            0,
            {},
            "",
            "Owner-role PostgreSQL URL (migrations, admin CLI); empty = embedded cluster",
            FK_FIELD(database.url)},
    KeySpec{"database.runtime_url",
            String,
            0,
            0,
            {},
            "",
            "Runtime-role PostgreSQL URL for serving requests; required when url is set",
            FK_FIELD(database.runtime_url)},
    KeySpec{"database.pool_size",
            Integer,
            1,
            1024,
            {},
            "8",
            "Connections in the runtime pool",
            FK_FIELD(database.pool_size)},
    KeySpec{"database.acquire_timeout_ms",
            DurationMs,
            1,
            600000,
            {},
            "2000",
            "Longest wait for a free pool connection before the request fails",
            FK_FIELD(database.acquire_timeout)},

    KeySpec{"embedded.data_dir",
            NonEmptyString,
            0,
            0,
            {},
            "var/pg",
            "Data directory of the embedded cluster (used when database.url is empty)",
            FK_FIELD(embedded.data_dir)},
    KeySpec{"embedded.os_user",
            NonEmptyString,
            0,
            0,
            {},
            "finkernel",
            "OS user the embedded cluster runs as when started by root",
            FK_FIELD(embedded.os_user)},

    KeySpec{"tenancy.seed_dir",
            String,
            0,
            0,
            {},
            "tenants",
            "Directory holding the tenant seed files",
            FK_FIELD(tenancy.seed_dir)},
    KeySpec{"tenancy.status_cache_ttl_ms",
            DurationMs,
            0,
            600000,
            {},
            "1000",
            "How long a tenant's active/suspended status is cached; 0 = no cache",
            FK_FIELD(tenancy.status_cache_ttl)},

    KeySpec{"plugins.dir",
            String,
            0,
            0,
            {},
            "var/plugins",
            "Directory of plugin packages (one subdirectory each); empty = no plugins",
            FK_FIELD(plugins.dir)},
    KeySpec{"plugins.deadline_ms",
            DurationMs,
            1,
            600000,
            {},
            "10000",
            "Time a plugin request, event delivery or call chain may take before it is abandoned",
            FK_FIELD(plugins.deadline)},
    KeySpec{"plugins.workers",
            Integer,
            0,
            1024,
            {},
            "16",
            "Threads running plugin callbacks; 0 = on the request thread, without a deadline",
            FK_FIELD(plugins.workers)},

    KeySpec{"events.poll_interval_ms",
            DurationMs,
            10,
            600000,
            {},
            "1000",
            "How often the event dispatcher sweeps for due deliveries (NOTIFY wakes it sooner)",
            FK_FIELD(events.poll_interval)},
    KeySpec{"events.max_attempts",
            Integer,
            1,
            100,
            {},
            "8",
            "Delivery attempts before an event delivery becomes a dead letter",
            FK_FIELD(events.max_attempts)},
    KeySpec{"events.retry_base_ms",
            DurationMs,
            1,
            600000,
            {},
            "200",
            "Delay before the first retry; doubles with each failed attempt",
            FK_FIELD(events.retry_base)},
    KeySpec{"events.retry_max_ms",
            DurationMs,
            1,
            86400000,
            {},
            "60000",
            "Longest delay between two attempts",
            FK_FIELD(events.retry_max)},

    KeySpec{"audit.checkpoint_interval_s",
            Integer,
            0,
            31622400,
            {},
            "3600",
            "Seconds between signed checkpoints of every audit chain whose head moved; 0 = off",
            FK_FIELD(audit.checkpoint_interval_s)},

    KeySpec{"identity.policy_dir",
            NonEmptyString,
            0,
            0,
            {},
            "policies",
            "Directory of rbac.yaml and auth.yaml",
            FK_FIELD(identity.policy_dir)},
    KeySpec{"identity.signing_keys_file",
            NonEmptyString,
            0,
            0,
            {},
            "var/keys/signing-keys.json",
            "Access-token signing keys (created 0600 when missing)",
            FK_FIELD(identity.signing_keys_file)},
    KeySpec{"identity.audit_key_file",
            NonEmptyString,
            0,
            0,
            {},
            "var/keys/audit-key.json",
            "Ed25519 key that signs audit checkpoints (created 0600 when missing)",
            FK_FIELD(identity.audit_key_file)},
    KeySpec{"identity.master_key_file",
            NonEmptyString,
            0,
            0,
            {},
            "var/keys/master.key",
            "Master key wrapping tenant data keys (finkernel keys init; 0600)",
            FK_FIELD(identity.master_key_file)},

    KeySpec{"log.level", Enum, 0, 0, kLogLevels, "info", "Minimum log level written",
            FK_FIELD(log.level)},
};

#undef FK_FIELD

}  // namespace

std::span<const KeySpec> config_keys() {
  return kKeys;
}

const KeySpec* find_key(std::string_view path) {
  const auto* it = std::find_if(kKeys.begin(), kKeys.end(),
                                [&](const KeySpec& key) { return key.path == path; });
  return it == kKeys.end() ? nullptr : &*it;
}

bool is_section(std::string_view path) {
  return std::any_of(kKeys.begin(), kKeys.end(), [&](const KeySpec& key) {
    return key.path.size() > path.size() && key.path.starts_with(path) &&
           key.path[path.size()] == '.';
  });
}

std::string environment_variable(const KeySpec& key) {
  std::string name = "FINKERNEL_";
  for (char c : key.path) {
    name += c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return name;
}

}  // namespace fk::config
