#pragma once
// Access tokens: compact JWS (RFC 7515) JWTs (RFC 7519) signed with Ed25519
// ("EdDSA", RFC 8037), verified per the JWT Best Current Practices (RFC 8725):
// the algorithm is pinned by the verifier, never taken from the token.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "identity/signing_key_ring.hpp"

namespace fk::identity {

struct AccessClaims {
  std::string iss, aud, sub, tid, jti;
  int64_t iat = 0, nbf = 0, exp = 0;  // seconds since the Unix epoch
  uint64_t ver = 0;                   // the user's token version (bumped to revoke all tokens)
  std::string realm;                  // "tenant" or "platform"
  std::vector<std::string> scopes;    // serialized as the RFC 9068 §2.2.3 "scope" string
};

// Largest token we sign or accept; anything longer is refused unparsed.
inline constexpr std::size_t kMaxTokenBytes = std::size_t{8} * 1024;

// `base64url(header).base64url(payload).base64url(signature)` with header
// exactly {"alg":"EdDSA","typ":"JWT","kid":"<current kid>"}. Throws
// std::invalid_argument if a scope is not an RFC 6749 §3.3 scope-token or the
// token would exceed kMaxTokenBytes; std::logic_error if the ring is empty.
std::string sign_access_token(const SigningKeyRing& ring, const AccessClaims& claims);

struct VerifyOptions {
  std::string issuer, audience;     // required exact matches
  std::chrono::seconds leeway{30};  // clock skew tolerated on exp/nbf/iat
  std::chrono::system_clock::time_point now = std::chrono::system_clock::now();
};

enum class TokenError {
  none,
  malformed,
  bad_algorithm,
  unknown_key,
  bad_signature,
  expired,
  not_yet_valid,
  wrong_issuer,
  wrong_audience,
  missing_claim,  // also: present with the wrong JSON type
};

std::string_view to_string(TokenError error);

struct VerifyResult {
  std::optional<AccessClaims> claims;  // set only when error == none
  TokenError error = TokenError::none;
  std::string message;

  [[nodiscard]] bool ok() const { return error == TokenError::none; }
  explicit operator bool() const { return ok(); }
};

// Never throws on hostile input; every failure is reported in the result.
VerifyResult verify_access_token(const SigningKeyRing& ring, std::string_view token,
                                 const VerifyOptions& options);

}  // namespace fk::identity
