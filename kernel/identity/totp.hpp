#pragma once
// Time-based one-time passwords: HOTP (RFC 4226) over a time counter (RFC 6238),
// plus the base32 and otpauth:// encodings authenticator apps expect.

#include <cstdint>
#include <string>
#include <string_view>

namespace fk::identity {

enum class TotpAlgorithm { sha1, sha256, sha512 };

// RFC 4226 §5.3: HMAC(secret, 8-byte big-endian counter), dynamic truncation,
// modulo 10^digits, zero-padded. `digits` must be 6..10 (RFC 4226 §5.3 asks
// for at least 6) else std::invalid_argument.
std::string hotp_code(std::string_view secret_bytes, uint64_t counter, int digits = 6,
                      TotpAlgorithm alg = TotpAlgorithm::sha1);

// RFC 6238 §4.2: counter = floor(unix_time / period). unix_time must be >= 0
// and period > 0, else std::invalid_argument.
std::string totp_code(std::string_view secret_bytes, int64_t unix_time, int digits = 6,
                      TotpAlgorithm alg = TotpAlgorithm::sha1, int period = 30);

// True if `code` matches any step within ±window_steps of unix_time (RFC 6238
// §5.2 allows a small window for clock drift; at most 10 here). Every step in
// the window is computed and compared in constant time regardless of where a
// match occurs. On success *matched_step receives the counter that matched:
// store it and refuse codes whose step is <= the last one used (RFC 6238 §5.2,
// one use per step). Returns false (never throws) on malformed input.
bool totp_verify(std::string_view secret, std::string_view code, int64_t unix_time,
                 int window_steps = 1, int digits = 6, TotpAlgorithm alg = TotpAlgorithm::sha1,
                 int period = 30, int64_t* matched_step = nullptr);

// RFC 4648 §6 base32 without padding. Decoding accepts either case, refuses
// '=', other characters, impossible lengths and non-zero trailing bits
// (std::invalid_argument), so one secret has one spelling.
std::string base32_encode(std::string_view bytes);
std::string base32_decode(std::string_view text);

// Key URI for authenticator apps (Google Authenticator "Key Uri Format"):
// otpauth://totp/Issuer:account?secret=BASE32&issuer=Issuer&algorithm=SHA1&digits=6&period=30
// with issuer and account percent-encoded (RFC 3986 unreserved characters kept).
std::string otpauth_uri(std::string_view issuer, std::string_view account,
                        std::string_view secret_bytes, int digits = 6,
                        TotpAlgorithm alg = TotpAlgorithm::sha1, int period = 30);

}  // namespace fk::identity
