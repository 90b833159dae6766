#include "audit/canonical.hpp"

#include "identity/secure_random.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <stdexcept>

namespace fk::audit {

namespace {

bool one_of(const std::string& value, std::initializer_list<const char*> allowed) {
  for (const char* candidate : allowed) {
    if (value == candidate) return true;
  }
  return false;
}

// Index loops rather than iterators: nlohmann iterators trip -Wnull-dereference.
void refuse_floats(const nlohmann::json& value) {
  if (value.is_number_float()) {
    throw std::invalid_argument("audit summary may not hold floating-point numbers");
  }
  if (value.is_array()) {
    for (std::size_t i = 0; i < value.size(); ++i) refuse_floats(value[i]);
  } else if (value.is_object()) {
    for (const auto& item : value.items()) refuse_floats(item.value());
  }
}

}  // namespace

std::string format_timestamp(std::int64_t microseconds_since_epoch) {
  std::int64_t seconds = microseconds_since_epoch / 1000000;
  std::int64_t micros = microseconds_since_epoch % 1000000;
  if (micros < 0) {  // floor division, for instants before 1970
    micros += 1000000;
    seconds -= 1;
  }
  const std::time_t time = static_cast<std::time_t>(seconds);
  std::tm utc{};
  // RFC 3339 has four-digit years only.
  if (!gmtime_r(&time, &utc) || utc.tm_year < -1900 || utc.tm_year > 9999 - 1900) {
    throw std::invalid_argument("timestamp out of range");
  }
  char text[96];  // room for any int the compiler cannot bound, not just valid dates
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                static_cast<long long>(micros));
  return text;
}

std::int64_t now_microseconds() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void validate(const AuditRecord& record) {
  if (!one_of(record.actor_type, {"user", "api_key", "platform_admin", "system", "anonymous"})) {
    throw std::invalid_argument("unknown audit actor type \"" + record.actor_type + "\"");
  }
  if (!one_of(record.outcome, {"success", "denied", "failure"})) {
    throw std::invalid_argument("unknown audit outcome \"" + record.outcome + "\"");
  }
  if (record.action.empty() || record.action.size() > 300) {
    throw std::invalid_argument("audit action must be 1 to 300 characters");
  }
  if (!record.summary.is_object()) throw std::invalid_argument("audit summary must be an object");
  refuse_floats(record.summary);
  // dump() throws on invalid UTF-8 anywhere in the strings it serializes.
  try {
    (void)nlohmann::json::array({record.actor_id, record.action, record.resource, record.request_id,
                                 record.client_address, record.summary})
        .dump();
  } catch (const nlohmann::json::exception&) {
    throw std::invalid_argument("audit record holds invalid UTF-8");
  }
}

std::string canonical_body(const AuditRecord& r, std::int64_t occurred_at_us) {
  // nlohmann objects keep keys sorted by byte order, and dump() is compact
  // with non-ASCII left as UTF-8: the rules docs/audit.md states.
  const auto text =
      nlohmann::json::array({format_timestamp(occurred_at_us), r.actor_type, r.actor_id, r.action,
                             r.resource, r.outcome, r.request_id, r.client_address, r.summary})
          .dump();
  return text.substr(1, text.size() - 2);
}

std::string canonical_format() {
  return nlohmann::json(kRecordFormat).dump();
}

// A compact JSON array is "[" + its elements' texts joined by "," + "]".
std::string canonical_record(const StoredRecord& stored) {
  return "[" + canonical_format() + "," + nlohmann::json(stored.tenant_id).dump() + "," +
         std::to_string(stored.seq) + "," + canonical_body(stored.record, stored.occurred_at_us) +
         "," + nlohmann::json(stored.prev_hash).dump() + "]";
}

std::string record_hash(const StoredRecord& record) {
  return identity::sha256_hex(canonical_record(record));
}

std::string checkpoint_message(const std::string& tenant_id, std::int64_t seq,
                               const std::string& hash, const std::string& signed_at,
                               const std::string& key_id) {
  return nlohmann::json::array({kCheckpointFormat, tenant_id, seq, hash, signed_at, key_id}).dump();
}

}  // namespace fk::audit
