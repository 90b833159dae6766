#include "identity/opaque_token.hpp"

#include <stdexcept>

#include "identity/secure_random.hpp"

namespace fk::identity {

namespace {

constexpr std::size_t kIdBytes = 12;      // 96 bits: collision-free lookup keys
constexpr std::size_t kSecretBytes = 32;  // 256 bits of CSPRNG output
constexpr std::size_t kIdChars = 16;      // base64url length of kIdBytes
constexpr std::size_t kSecretChars = 43;  // base64url length of kSecretBytes, unpadded

IssuedSecret issue(std::string_view prefix) {
  IssuedSecret out;
  out.lookup_id = base64url_encode(random_bytes(kIdBytes));
  const std::string secret = base64url_encode(random_bytes(kSecretBytes));
  out.hash = sha256_hex(secret);
  out.plaintext.reserve(prefix.size() + kIdChars + 1 + kSecretChars);
  out.plaintext.append(prefix).append(out.lookup_id).append(1, '.').append(secret);
  return out;
}

// Canonical base64url of exactly `bytes` bytes in exactly `chars` characters.
bool is_canonical_b64url(std::string_view text, std::size_t chars, std::size_t bytes) {
  if (text.size() != chars) return false;
  try {
    return base64url_decode(text).size() == bytes;
  } catch (const std::invalid_argument&) {
    return false;
  }
}

}  // namespace

IssuedSecret issue_refresh_token() {
  return issue(kRefreshTokenPrefix);
}

IssuedSecret issue_api_key() {
  return issue(kApiKeyPrefix);
}

std::optional<ParsedSecret> parse_secret(std::string_view presented, std::string_view prefix) {
  // Length is checked before anything else so oversized input costs nothing.
  if (prefix.empty() || presented.size() != prefix.size() + kIdChars + 1 + kSecretChars ||
      !presented.starts_with(prefix)) {
    return std::nullopt;
  }
  presented.remove_prefix(prefix.size());
  if (presented[kIdChars] != '.') return std::nullopt;
  const std::string_view id = presented.substr(0, kIdChars);
  const std::string_view secret = presented.substr(kIdChars + 1);
  if (!is_canonical_b64url(id, kIdChars, kIdBytes) ||
      !is_canonical_b64url(secret, kSecretChars, kSecretBytes)) {
    return std::nullopt;
  }
  return ParsedSecret{std::string(id), std::string(secret)};
}

bool secret_matches(const ParsedSecret& parsed, std::string_view stored_hash) {
  // Comparing digests, not secrets, already hides timing of the secret itself;
  // the constant-time compare also keeps the stored hash from leaking.
  return constant_time_equals(sha256_hex(parsed.secret), stored_hash);
}

}  // namespace fk::identity
