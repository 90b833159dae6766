#include "identity/totp.hpp"

#include <catch2/catch.hpp>

#include "identity/secure_random.hpp"

using namespace fk::identity;

namespace {
constexpr std::string_view kSeed1 = "12345678901234567890";
constexpr std::string_view kSeed256 = "12345678901234567890123456789012";
constexpr std::string_view kSeed512 =
    "1234567890123456789012345678901234567890123456789012345678901234";
}  // namespace

TEST_CASE("RFC 6238 Appendix B test vectors", "[identity][totp]") {
  struct Vector {
    int64_t time;
    const char* sha1;
    const char* sha256;
    const char* sha512;
  };
  const Vector vectors[] = {
      {59, "94287082", "46119246", "90693936"},
      {1111111109, "07081804", "68084774", "25091201"},
      {1111111111, "14050471", "67062674", "99943326"},
      {1234567890, "89005924", "91819424", "93441116"},
      {2000000000, "69279037", "90698825", "38618901"},
      {20000000000, "65353130", "77737706", "47863826"},
  };
  for (const Vector& v : vectors) {
    INFO(v.time);
    REQUIRE(totp_code(kSeed1, v.time, 8, TotpAlgorithm::sha1) == v.sha1);
    REQUIRE(totp_code(kSeed256, v.time, 8, TotpAlgorithm::sha256) == v.sha256);
    REQUIRE(totp_code(kSeed512, v.time, 8, TotpAlgorithm::sha512) == v.sha512);
    REQUIRE(totp_verify(kSeed1, v.sha1, v.time, 0, 8, TotpAlgorithm::sha1));
    REQUIRE(totp_verify(kSeed256, v.sha256, v.time, 0, 8, TotpAlgorithm::sha256));
    REQUIRE(totp_verify(kSeed512, v.sha512, v.time, 0, 8, TotpAlgorithm::sha512));
  }
}

TEST_CASE("RFC 4226 Appendix D HOTP values", "[identity][totp]") {
  const char* expected[] = {"755224", "287082", "359152", "969429", "338314",
                            "254676", "287922", "162583", "399871", "520489"};
  for (int counter = 0; counter < 10; ++counter) {
    INFO(counter);
    REQUIRE(hotp_code(kSeed1, static_cast<uint64_t>(counter)) == expected[counter]);
    REQUIRE(totp_code(kSeed1, int64_t{counter} * 30) == expected[counter]);
    REQUIRE(totp_code(kSeed1, int64_t{counter} * 30 + 29) == expected[counter]);
  }
}

TEST_CASE("verify accepts one step of drift and reports the step", "[identity][totp]") {
  const std::string secret = random_bytes(20);
  const int64_t t = 1'700'000'010;  // step 56666667
  const int64_t step = t / 30;
  const std::string code = totp_code(secret, t);
  int64_t matched = -1;
  REQUIRE(totp_verify(secret, code, t, 1, 6, TotpAlgorithm::sha1, 30, &matched));
  REQUIRE(matched == step);
  REQUIRE(totp_verify(secret, code, t + 30, 1, 6, TotpAlgorithm::sha1, 30, &matched));
  REQUIRE(matched == step);
  REQUIRE(totp_verify(secret, code, t - 30, 1, 6, TotpAlgorithm::sha1, 30, &matched));
  REQUIRE(matched == step);
  matched = -1;
  REQUIRE_FALSE(totp_verify(secret, code, t + 60, 1, 6, TotpAlgorithm::sha1, 30, &matched));
  REQUIRE_FALSE(totp_verify(secret, code, t - 60, 1, 6, TotpAlgorithm::sha1, 30, &matched));
  REQUIRE(matched == -1);  // untouched on failure
  REQUIRE(totp_verify(secret, code, t + 60, 2));
  REQUIRE_FALSE(totp_verify(secret, code, t + 30, 0));
  // Replay protection is the caller's: the same code yields the same step.
  int64_t first = 0;
  int64_t second = 0;
  REQUIRE(totp_verify(secret, code, t, 1, 6, TotpAlgorithm::sha1, 30, &first));
  REQUIRE(totp_verify(secret, code, t + 1, 1, 6, TotpAlgorithm::sha1, 30, &second));
  REQUIRE(first == second);
}

TEST_CASE("verify refuses malformed input without throwing", "[identity][totp]") {
  const std::string secret = random_bytes(20);
  const int64_t t = 1'700'000'000;
  const std::string code = totp_code(secret, t);
  REQUIRE_FALSE(totp_verify(secret, "", t));
  REQUIRE_FALSE(totp_verify(secret, code.substr(0, 5), t));
  REQUIRE_FALSE(totp_verify(secret, code + "0", t));
  REQUIRE_FALSE(totp_verify(secret, "abcdef", t));
  REQUIRE_FALSE(totp_verify(secret, code, -1));
  REQUIRE_FALSE(totp_verify(secret, code, t, -1));
  REQUIRE_FALSE(totp_verify(secret, code, t, 1000));
  REQUIRE_FALSE(totp_verify(secret, code, t, 1, 5));
  REQUIRE_FALSE(totp_verify(secret, code, t, 1, 6, TotpAlgorithm::sha1, 0));
  REQUIRE_FALSE(totp_verify("", code, t));
  REQUIRE_FALSE(totp_verify(secret, code, INT64_MAX));
  REQUIRE_NOTHROW(totp_verify(secret, "000000", 0));  // window below step 0
  REQUIRE_THROWS_AS(totp_code(secret, t, 5), std::invalid_argument);
  REQUIRE_THROWS_AS(totp_code(secret, t, 11), std::invalid_argument);
  REQUIRE_THROWS_AS(totp_code(secret, -1), std::invalid_argument);
  REQUIRE_THROWS_AS(totp_code("", t), std::invalid_argument);
  REQUIRE(totp_code(secret, t, 10).size() == 10);
}

TEST_CASE("base32 follows RFC 4648 without padding", "[identity][totp]") {
  const std::pair<const char*, const char*> vectors[] = {
      {"", ""},
      {"f", "MY"},
      {"fo", "MZXQ"},
      {"foo", "MZXW6"},
      {"foob", "MZXW6YQ"},
      {"fooba", "MZXW6YTB"},
      {"foobar", "MZXW6YTBOI"},
  };
  for (const auto& [plain, encoded] : vectors) {
    REQUIRE(base32_encode(plain) == encoded);
    REQUIRE(base32_decode(encoded) == plain);
  }
  REQUIRE(base32_decode("mzxw6ytboi") == "foobar");
  REQUIRE(base32_decode("MzXw6YtBoI") == "foobar");
  REQUIRE(base32_encode(kSeed1) == "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
  for (int i = 0; i < 50; ++i) {
    const std::string bytes = random_bytes(static_cast<std::size_t>(i));
    REQUIRE(base32_decode(base32_encode(bytes)) == bytes);
  }
  for (const char* bad : {"MY======", "MY=", "M", "MZX", "MZXW6Y", "MZ", "MY1", "MY0", "MY8", "MY ",
                          "MZXW6YTBO!", "\xc3\x89Y"}) {
    INFO(bad);
    REQUIRE_THROWS_AS(base32_decode(bad), std::invalid_argument);
  }
}

TEST_CASE("otpauth URI", "[identity][totp]") {
  REQUIRE(otpauth_uri("FinKernel", "alice", kSeed1) ==
          "otpauth://totp/FinKernel:alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
          "&issuer=FinKernel&algorithm=SHA1&digits=6&period=30");
  REQUIRE(otpauth_uri("Fin Kernel & Co", "alice@example.com", kSeed1) ==
          "otpauth://totp/Fin%20Kernel%20%26%20Co:alice%40example.com"
          "?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Fin%20Kernel%20%26%20Co"
          "&algorithm=SHA1&digits=6&period=30");
  REQUIRE(otpauth_uri("A:B", "c?d", "f", 8, TotpAlgorithm::sha256, 60) ==
          "otpauth://totp/A%3AB:c%3Fd?secret=MY&issuer=A%3AB&algorithm=SHA256&digits=8"
          "&period=60");
  REQUIRE(otpauth_uri("\xc3\xa9", "x", "f").starts_with("otpauth://totp/%C3%A9:x?"));
}
