#include "identity/totp.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <stdexcept>

#include "identity/secure_random.hpp"

namespace fk::identity {

namespace {

constexpr char kBase32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
constexpr int kMaxWindow = 10;

const EVP_MD* digest(TotpAlgorithm alg) {
  switch (alg) {
    case TotpAlgorithm::sha1:
      return EVP_sha1();
    case TotpAlgorithm::sha256:
      return EVP_sha256();
    case TotpAlgorithm::sha512:
      return EVP_sha512();
  }
  throw std::invalid_argument("unknown TOTP algorithm");
}

std::string_view algorithm_name(TotpAlgorithm alg) {
  switch (alg) {
    case TotpAlgorithm::sha1:
      return "SHA1";
    case TotpAlgorithm::sha256:
      return "SHA256";
    case TotpAlgorithm::sha512:
      return "SHA512";
  }
  throw std::invalid_argument("unknown TOTP algorithm");
}

void check_digits(int digits) {
  if (digits < 6 || digits > 10) throw std::invalid_argument("TOTP digits must be 6..10");
}

int base32_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a';
  if (c >= '2' && c <= '7') return c - '2' + 26;
  return -1;
}

// RFC 3986 §2.3 unreserved characters pass; every other byte becomes %XX.
std::string percent_encode(std::string_view text) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out += c;
    } else {
      out += '%';
      out += hex[u >> 4];
      out += hex[u & 15];
    }
  }
  return out;
}

}  // namespace

std::string hotp_code(std::string_view secret_bytes, uint64_t counter, int digits,
                      TotpAlgorithm alg) {
  check_digits(digits);
  // RFC 4226 §4 R6 wants 128+ bits; we only refuse the meaningless empty key
  // so that short legacy secrets (80-bit) still work.
  if (secret_bytes.empty()) throw std::invalid_argument("TOTP secret is empty");
  std::array<unsigned char, 8> message{};
  for (int i = 7; i >= 0; --i) {  // big-endian counter, RFC 4226 §5.2
    message[static_cast<std::size_t>(i)] = static_cast<unsigned char>(counter & 0xff);
    counter >>= 8;
  }
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int length = 0;
  if (HMAC(digest(alg), secret_bytes.data(), static_cast<int>(secret_bytes.size()), message.data(),
           message.size(), mac.data(), &length) == nullptr ||
      length < 20) {
    throw std::runtime_error("HMAC failed");
  }
  // Dynamic truncation, RFC 4226 §5.3: the low nibble of the last byte picks
  // four bytes; the top bit is masked to avoid signed/unsigned ambiguity.
  const unsigned offset = mac[length - 1] & 0x0f;
  const uint32_t binary = (static_cast<uint32_t>(mac[offset] & 0x7f) << 24) |
                          (static_cast<uint32_t>(mac[offset + 1]) << 16) |
                          (static_cast<uint32_t>(mac[offset + 2]) << 8) |
                          static_cast<uint32_t>(mac[offset + 3]);
  uint64_t modulus = 1;
  for (int i = 0; i < digits; ++i) modulus *= 10;
  std::string code = std::to_string(binary % modulus);
  code.insert(0, static_cast<std::size_t>(digits) - code.size(), '0');
  return code;
}

std::string totp_code(std::string_view secret_bytes, int64_t unix_time, int digits,
                      TotpAlgorithm alg, int period) {
  if (unix_time < 0 || period <= 0) throw std::invalid_argument("invalid TOTP time or period");
  return hotp_code(secret_bytes, static_cast<uint64_t>(unix_time / period), digits, alg);
}

bool totp_verify(std::string_view secret, std::string_view code, int64_t unix_time,
                 int window_steps, int digits, TotpAlgorithm alg, int period,
                 int64_t* matched_step) {
  if (unix_time < 0 || period <= 0 || window_steps < 0 || window_steps > kMaxWindow || digits < 6 ||
      digits > 10 || code.size() != static_cast<std::size_t>(digits)) {
    return false;
  }
  try {
    const int64_t current = unix_time / period;
    if (current > INT64_MAX - window_steps) return false;
    bool matched = false;
    int64_t step_found = 0;
    // No early exit: the work done does not reveal which step matched.
    for (int64_t step = current - window_steps; step <= current + window_steps; ++step) {
      if (step < 0) continue;
      const std::string expected = hotp_code(secret, static_cast<uint64_t>(step), digits, alg);
      if (constant_time_equals(expected, code)) {
        matched = true;
        step_found = step;
      }
    }
    if (matched && matched_step != nullptr) *matched_step = step_found;
    return matched;
  } catch (const std::exception&) {
    return false;
  }
}

std::string base32_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() * 8 + 4) / 5);
  unsigned buffer = 0;
  int bits = 0;
  for (char c : bytes) {
    buffer = (buffer << 8) | static_cast<unsigned char>(c);
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += kBase32[(buffer >> bits) & 31];
    }
    buffer &= (1U << bits) - 1;  // keep only the unread bits
  }
  if (bits > 0) out += kBase32[(buffer << (5 - bits)) & 31];
  return out;
}

std::string base32_decode(std::string_view text) {
  // Unpadded lengths mod 8 of 1, 3 and 6 cannot come from whole bytes.
  const std::size_t rest = text.size() % 8;
  if (rest == 1 || rest == 3 || rest == 6) throw std::invalid_argument("invalid base32 length");
  std::string out;
  out.reserve(text.size() * 5 / 8);
  unsigned buffer = 0;
  int bits = 0;
  for (char c : text) {
    const int value = base32_value(c);
    if (value < 0) throw std::invalid_argument("invalid base32 character");
    buffer = (buffer << 5) | static_cast<unsigned>(value);
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xff);
    }
    buffer &= (1U << bits) - 1;
  }
  if (buffer != 0) throw std::invalid_argument("non-canonical base32");
  return out;
}

std::string otpauth_uri(std::string_view issuer, std::string_view account,
                        std::string_view secret_bytes, int digits, TotpAlgorithm alg, int period) {
  check_digits(digits);
  if (period <= 0) throw std::invalid_argument("invalid TOTP period");
  const std::string encoded_issuer = percent_encode(issuer);
  std::string uri = "otpauth://totp/" + encoded_issuer + ':' + percent_encode(account);
  uri += "?secret=" + base32_encode(secret_bytes);
  uri += "&issuer=" + encoded_issuer;
  uri += "&algorithm=";
  uri += algorithm_name(alg);
  uri += "&digits=" + std::to_string(digits) + "&period=" + std::to_string(period);
  return uri;
}

}  // namespace fk::identity
