#pragma once
// AES-256-GCM and HMAC-SHA256 over OpenSSL EVP, the only primitives the key
// hierarchy uses. Keys are 32 bytes, nonces 12 bytes, tags 16 bytes.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace fk::keys {

inline constexpr std::size_t kKeyBytes = 32;
inline constexpr std::size_t kNonceBytes = 12;
inline constexpr std::size_t kTagBytes = 16;

// Returns ciphertext || tag. Throws KeyError on a bad key/nonce size or an
// OpenSSL failure.
std::string gcm_seal(std::string_view key, std::string_view nonce, std::string_view aad,
                     std::string_view plaintext);

// Inverse of gcm_seal; nullopt when the tag does not verify (tampering, wrong
// key or wrong AAD). Never returns unauthenticated plaintext.
std::optional<std::string> gcm_open(std::string_view key, std::string_view nonce,
                                    std::string_view aad, std::string_view sealed);

// Raw 32-byte HMAC-SHA256(key, data).
std::string hmac_sha256(std::string_view key, std::string_view data);

// Overwrites a secret before its memory is released (OPENSSL_cleanse cannot
// be optimised away, unlike a plain memset).
void wipe(std::string& secret) noexcept;

}  // namespace fk::keys
