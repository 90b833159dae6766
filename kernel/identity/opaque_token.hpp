#pragma once
// Opaque bearer secrets: refresh tokens and API keys.
//
// Shape: <prefix><id>.<secret>, e.g. fkr_AbCd....<43 chars>. The id (12 random
// bytes) is stored in clear and used to find the row; only SHA-256(secret) is
// stored. A fast hash suffices because the secret carries 256 bits of CSPRNG
// entropy: brute force is infeasible without key stretching, which only
// low-entropy, human-chosen passwords need (OWASP Password Storage Cheat
// Sheet; NIST SP 800-63B §5.1.1.2 vs. §5.1.2). The prefix makes leaked
// secrets recognisable to secret scanners and to people.

#include <optional>
#include <string>
#include <string_view>

namespace fk::identity {

inline constexpr std::string_view kRefreshTokenPrefix = "fkr_";
inline constexpr std::string_view kApiKeyPrefix = "fk_";

struct IssuedSecret {
  std::string plaintext;  // shown to the client once, never stored
  std::string lookup_id;  // 16 base64url characters, stored in clear (indexed)
  std::string hash;       // sha256_hex(secret part), stored
};

struct ParsedSecret {
  std::string lookup_id;
  std::string secret;  // the 43-character base64url secret part
};

IssuedSecret issue_refresh_token();
IssuedSecret issue_api_key();

// Splits `presented` into id and secret if it is exactly
// <prefix><16 base64url>.<43 canonical base64url>; anything else (other
// prefix, other lengths, stray characters) is nullopt. Never throws.
std::optional<ParsedSecret> parse_secret(std::string_view presented, std::string_view prefix);

// Constant-time comparison of SHA-256(parsed.secret) with `stored_hash`.
bool secret_matches(const ParsedSecret& parsed, std::string_view stored_hash);

}  // namespace fk::identity
