#pragma once
// Randomness and encodings shared by every identity primitive. All secrets
// (refresh tokens, API keys, TOTP seeds) come from OpenSSL's CSPRNG here.

#include <cstddef>
#include <string>
#include <string_view>

namespace fk::identity {

// `count` bytes from the CSPRNG; throws std::runtime_error if it fails.
std::string random_bytes(std::size_t count);

// RFC 4648 base64url without padding, and its inverse (nullopt-like: throws
// std::invalid_argument on a character outside the alphabet).
std::string base64url_encode(std::string_view bytes);
std::string base64url_decode(std::string_view text);

// Lower-case hex of SHA-256(data).
std::string sha256_hex(std::string_view data);

// Compares in time that depends only on the lengths, not on where they differ.
bool constant_time_equals(std::string_view a, std::string_view b);

}  // namespace fk::identity
