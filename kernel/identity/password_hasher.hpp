#pragma once
// Password hashing with Argon2id (RFC 9106), stored as PHC strings so that the
// algorithm and cost travel with each hash and can be raised over time.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace fk::identity {

// Defaults are the OWASP Password Storage Cheat Sheet minimum for Argon2id:
// m = 19 MiB, t = 2, p = 1. Deployments may raise them; never lower them.
struct Argon2Params {
  uint32_t memory_kib = 19456;
  uint32_t iterations = 2;
  uint32_t parallelism = 1;
};

Argon2Params minimum_params();

// `$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>` with a fresh 16-byte salt and
// a 32-byte hash. Throws std::invalid_argument for costs outside what
// verify_password accepts, std::runtime_error if libargon2 fails.
std::string hash_password(std::string_view password, const Argon2Params& params);

// True only if `password` matches `encoded`. Never throws: a malformed or
// unsupported encoding, or one whose cost exceeds the safety caps (a tampered
// row must not make a login allocate gigabytes), simply returns false.
// Legacy argon2i/argon2d hashes still verify so that needs_rehash can upgrade them.
bool verify_password(std::string_view password, std::string_view encoded) noexcept;

// The m/t/p of any well-formed Argon2 PHC string, or nullopt.
std::optional<Argon2Params> parse_params(std::string_view encoded);

// True if `encoded` is not Argon2id v=19 or any cost is below `policy`; call
// after a successful login and store a fresh hash_password() result.
bool needs_rehash(std::string_view encoded, const Argon2Params& policy);

// A hash of a random password at `params`, computed once per distinct params
// and cached (the only global state here). Verify against it when the account
// does not exist so "unknown user" costs the same as "wrong password"
// (OWASP Authentication Cheat Sheet: avoid user enumeration by timing).
std::string dummy_hash(const Argon2Params& params);

}  // namespace fk::identity
