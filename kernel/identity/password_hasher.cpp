#include "identity/password_hasher.hpp"

#include <argon2.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <stdexcept>
#include <tuple>
#include <vector>

#include "identity/secure_random.hpp"

namespace fk::identity {

namespace {

constexpr std::size_t kSaltBytes = 16;  // RFC 9106 §3.1 recommends a 128-bit salt
constexpr std::size_t kHashBytes = 32;  // 256-bit tag, RFC 9106 §4

// Caps on costs read back from storage. A hash row is trusted less than code:
// m=4294967295 would make verify try to allocate 4 TiB (denial of service).
constexpr uint32_t kMaxMemoryKib = 1U << 20;  // 1 GiB
constexpr uint32_t kMaxIterations = 64;
constexpr uint32_t kMaxParallelism = 64;

struct Parsed {
  argon2_type type = Argon2_id;
  uint32_t version = ARGON2_VERSION_10;
  Argon2Params params;
};

// Consumes `prefix` from the front of `text`.
bool take(std::string_view& text, std::string_view prefix) {
  if (!text.starts_with(prefix)) return false;
  text.remove_prefix(prefix.size());
  return true;
}

// A decimal uint32 with no sign, no leading zeros (one text per value).
bool take_number(std::string_view& text, uint32_t& out) {
  std::size_t digits = 0;
  uint64_t value = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') {
    value = value * 10 + static_cast<uint64_t>(text[digits] - '0');
    if (value > UINT32_MAX) return false;
    ++digits;
  }
  if (digits == 0 || (digits > 1 && text[0] == '0')) return false;
  out = static_cast<uint32_t>(value);
  text.remove_prefix(digits);
  return true;
}

// The PHC fields use standard base64 without padding (PHC string format spec).
bool is_b64_segment(std::string_view text) {
  return !text.empty() && std::ranges::all_of(text, [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '/';
  });
}

// Structure of libargon2's encoding: $type[$v=N]$m=M,t=T,p=P$salt$hash.
std::optional<Parsed> parse(std::string_view text) {
  Parsed out;
  if (take(text, "$argon2id$")) {
    out.type = Argon2_id;
  } else if (take(text, "$argon2i$")) {
    out.type = Argon2_i;
  } else if (take(text, "$argon2d$")) {
    out.type = Argon2_d;
  } else {
    return std::nullopt;
  }
  if (take(text, "v=")) {
    if (!take_number(text, out.version) || !take(text, "$")) return std::nullopt;
  }
  if (!take(text, "m=") || !take_number(text, out.params.memory_kib) || !take(text, ",t=") ||
      !take_number(text, out.params.iterations) || !take(text, ",p=") ||
      !take_number(text, out.params.parallelism) || !take(text, "$")) {
    return std::nullopt;
  }
  const std::size_t dollar = text.find('$');
  if (dollar == std::string_view::npos || !is_b64_segment(text.substr(0, dollar)) ||
      !is_b64_segment(text.substr(dollar + 1))) {
    return std::nullopt;
  }
  return out;
}

bool within_caps(const Argon2Params& p) {
  return p.memory_kib <= kMaxMemoryKib && p.iterations <= kMaxIterations &&
         p.parallelism <= kMaxParallelism && p.iterations >= 1 && p.parallelism >= 1 &&
         p.memory_kib >= 8 * p.parallelism;  // libargon2's own lower bound
}

}  // namespace

Argon2Params minimum_params() {
  return Argon2Params{};
}

std::string hash_password(std::string_view password, const Argon2Params& params) {
  if (!within_caps(params)) throw std::invalid_argument("Argon2 parameters out of range");
  std::string salt = random_bytes(kSaltBytes);
  const std::size_t length =
      argon2_encodedlen(params.iterations, params.memory_kib, params.parallelism,
                        static_cast<uint32_t>(salt.size()), kHashBytes, Argon2_id);
  std::vector<char> encoded(length, '\0');
  const int rc = argon2id_hash_encoded(params.iterations, params.memory_kib, params.parallelism,
                                       password.data(), password.size(), salt.data(), salt.size(),
                                       kHashBytes, encoded.data(), encoded.size());
  if (rc != ARGON2_OK) {
    throw std::runtime_error(std::string("argon2id hashing failed: ") + argon2_error_message(rc));
  }
  return {encoded.data()};
}

bool verify_password(std::string_view password, std::string_view encoded) noexcept {
  const std::optional<Parsed> parsed = parse(encoded);
  if (!parsed || !within_caps(parsed->params)) return false;
  try {
    const std::string terminated(encoded);  // libargon2 wants a C string
    return argon2_verify(terminated.c_str(), password.data(), password.size(), parsed->type) ==
           ARGON2_OK;
  } catch (...) {  // allocation failure: refuse rather than crash the login path
    return false;
  }
}

std::optional<Argon2Params> parse_params(std::string_view encoded) {
  const std::optional<Parsed> parsed = parse(encoded);
  if (!parsed) return std::nullopt;
  return parsed->params;
}

bool needs_rehash(std::string_view encoded, const Argon2Params& policy) {
  const std::optional<Parsed> parsed = parse(encoded);
  if (!parsed) return true;
  // argon2i/argon2d and version 0x10 are upgraded to Argon2id v1.3 (RFC 9106 §4).
  if (parsed->type != Argon2_id || parsed->version != ARGON2_VERSION_13) return true;
  const Argon2Params& p = parsed->params;
  return p.memory_kib < policy.memory_kib || p.iterations < policy.iterations ||
         p.parallelism < policy.parallelism;
}

std::string dummy_hash(const Argon2Params& params) {
  // Stated global state: one cached hash per params, guarded by a mutex. The
  // password is random and discarded, so nothing can ever match it.
  static std::mutex mutex;
  static std::map<std::tuple<uint32_t, uint32_t, uint32_t>, std::string> cache;
  const auto key = std::make_tuple(params.memory_kib, params.iterations, params.parallelism);
  const std::lock_guard lock(mutex);
  auto it = cache.find(key);
  if (it == cache.end()) {
    it = cache.emplace(key, hash_password(base64url_encode(random_bytes(32)), params)).first;
  }
  return it->second;
}

}  // namespace fk::identity
