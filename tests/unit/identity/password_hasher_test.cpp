#include "identity/password_hasher.hpp"

#include <argon2.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <string>

using namespace fk::identity;

namespace {
const Argon2Params kWeak{4096, 1, 1};  // below the OWASP minimum

std::string argon2i_hash(std::string_view password) {
  const std::string salt = "0123456789abcdef";
  std::string encoded(256, '\0');
  REQUIRE(argon2i_hash_encoded(2, 19456, 1, password.data(), password.size(), salt.data(),
                               salt.size(), 32, encoded.data(), encoded.size()) == ARGON2_OK);
  encoded.erase(encoded.find('\0'));  // libargon2 writes a C string
  return encoded;
}
}  // namespace

TEST_CASE("password hash round trip and wrong password", "[identity][password]") {
  const std::string encoded = hash_password("correct horse battery staple", minimum_params());
  REQUIRE(verify_password("correct horse battery staple", encoded));
  REQUIRE_FALSE(verify_password("correct horse battery stapl", encoded));
  REQUIRE_FALSE(verify_password("", encoded));
  REQUIRE_FALSE(verify_password(std::string("correct horse battery staple\0x", 30), encoded));
}

TEST_CASE("password hash uses Argon2id v1.3 at the OWASP minimum", "[identity][password]") {
  const Argon2Params p = minimum_params();
  REQUIRE(p.memory_kib == 19456);
  REQUIRE(p.iterations == 2);
  REQUIRE(p.parallelism == 1);
  const std::string encoded = hash_password("pw", p);
  REQUIRE(encoded.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
  // 16-byte salt and 32-byte hash in unpadded standard base64: 22 and 43 chars.
  const std::string tail = encoded.substr(std::string("$argon2id$v=19$m=19456,t=2,p=1$").size());
  REQUIRE(tail.find('$') == 22);
  REQUIRE(tail.size() == 22 + 1 + 43);
  const auto parsed = parse_params(encoded);
  REQUIRE(parsed);
  REQUIRE(parsed->memory_kib == 19456);
  REQUIRE(parsed->iterations == 2);
  REQUIRE(parsed->parallelism == 1);
}

TEST_CASE("two hashes of the same password differ by salt", "[identity][password]") {
  const std::string a = hash_password("same", kWeak);
  const std::string b = hash_password("same", kWeak);
  REQUIRE(a != b);
  REQUIRE(verify_password("same", a));
  REQUIRE(verify_password("same", b));
}

TEST_CASE("needs_rehash upgrades weaker or older hashes", "[identity][password]") {
  const std::string weak = hash_password("pw", kWeak);
  REQUIRE(weak.starts_with("$argon2id$v=19$m=4096,t=1,p=1$"));
  REQUIRE(verify_password("pw", weak));
  REQUIRE(needs_rehash(weak, minimum_params()));

  const std::string legacy = argon2i_hash("pw");
  REQUIRE(legacy.starts_with("$argon2i$v=19$m=19456,t=2,p=1$"));
  REQUIRE(verify_password("pw", legacy));  // still verifies, so it can be upgraded
  REQUIRE_FALSE(verify_password("other", legacy));
  REQUIRE(needs_rehash(legacy, minimum_params()));

  const std::string current = hash_password("pw", minimum_params());
  REQUIRE_FALSE(needs_rehash(current, minimum_params()));
  REQUIRE_FALSE(needs_rehash(current, kWeak));
  REQUIRE(needs_rehash(current, Argon2Params{19456, 3, 1}));
  REQUIRE(needs_rehash(current, Argon2Params{19456, 2, 2}));
  REQUIRE(needs_rehash(current, Argon2Params{65536, 2, 1}));
  REQUIRE(needs_rehash("garbage", minimum_params()));
  // Version 0x10 (no v= field) is upgraded too.
  REQUIRE(needs_rehash("$argon2id$m=19456,t=2,p=1$c29tZXNhbHQ$aGFzaGhhc2g", minimum_params()));
}

TEST_CASE("malformed encodings are refused without throwing", "[identity][password]") {
  const std::string good = hash_password("pw", kWeak);
  std::string flipped = good;
  flipped[flipped.size() - 5] = flipped[flipped.size() - 5] == 'A' ? 'B' : 'A';
  const std::string inputs[] = {
      "",
      "$",
      "garbage",
      "$argon2id$",
      "$argon2id$v=19$",
      "$argon2id$v=19$m=4096,t=1,p=1$",
      "$argon2id$v=19$m=4096,t=1,p=1$$",
      "$argon2id$v=19$m=4096,t=1,p=1$c29tZXNhbHQ$",
      "$argon2id$v=19$m=4096,t=1,p=1$c29tZXNhbHQ$aGFzaA$extra",
      "$argon2id$v=19$m=4096,t=1,p=1$c29t=ZXNhbHQ$aGFzaGhhc2g",
      "$argon2id$v=19$m=4096,t=0,p=1$c29tZXNhbHQ$aGFzaGhhc2g",
      "$argon2id$v=19$m=4096,t=1,p=0$c29tZXNhbHQ$aGFzaGhhc2g",
      "$argon2id$v=19$m=04096,t=1,p=1$c29tZXNhbHQ$aGFzaGhhc2g",
      "$argon2id$v=19$m=-1,t=1,p=1$c29tZXNhbHQ$aGFzaGhhc2g",
      "$argon2id$v=19$m=99999999999,t=1,p=1$c29tZXNhbHQ$aGFzaGhhc2g",
      // Within uint32 but above the caps: must not try to allocate 4 TiB.
      "$argon2id$v=19$m=4294967295,t=1,p=1$c29tZXNhbHQ$aGFzaGhhc2g",
      "$argon2id$v=19$m=4096,t=4294967295,p=1$c29tZXNhbHQ$aGFzaGhhc2g",
      "$argon2id$v=19$m=4096,t=1,p=16777215$c29tZXNhbHQ$aGFzaGhhc2g",
      "$argon2id$v=19$m=4096,t=1,p=1$c2E$aGFzaGhhc2g",  // salt below libargon2's minimum
      "$argon2x$v=19$m=4096,t=1,p=1$c29tZXNhbHQ$aGFzaGhhc2g",
      "$scrypt$ln=16,r=8,p=1$c29tZXNhbHQ$aGFzaGhhc2g",
      good.substr(0, good.size() - 10),
      std::string(good).insert(10, 1, '\0'),
      flipped,
      good + "A",
      std::string(10000, '$'),
  };
  for (const std::string& encoded : inputs) {
    INFO(encoded.substr(0, 80));
    bool result = true;
    REQUIRE_NOTHROW(result = verify_password("pw", encoded));
    REQUIRE_FALSE(result);
  }
  REQUIRE_FALSE(parse_params("$argon2id$v=19$m=4096,t=1$c29tZXNhbHQ$aGFzaGhhc2g"));
  REQUIRE_FALSE(parse_params(""));
}

TEST_CASE("hash_password refuses costs verify_password would refuse", "[identity][password]") {
  REQUIRE_THROWS_AS(hash_password("pw", Argon2Params{4096, 0, 1}), std::invalid_argument);
  REQUIRE_THROWS_AS(hash_password("pw", Argon2Params{4, 1, 1}), std::invalid_argument);
  REQUIRE_THROWS_AS(hash_password("pw", Argon2Params{UINT32_MAX, 1, 1}), std::invalid_argument);
}

TEST_CASE("dummy hash is cached and costs like a real verification", "[identity][password]") {
  const std::string dummy = dummy_hash(minimum_params());
  REQUIRE(dummy == dummy_hash(minimum_params()));
  REQUIRE(dummy.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
  REQUIRE_FALSE(verify_password("", dummy));
  REQUIRE_FALSE(verify_password("anything", dummy));
  REQUIRE(dummy_hash(kWeak).starts_with("$argon2id$v=19$m=4096,t=1,p=1$"));

  // Unknown user (dummy) vs wrong password (real hash): same parameters, so the
  // same work. Timing is noisy on shared machines, so only a loose bound.
  const std::string real = hash_password("secret", minimum_params());
  using clock = std::chrono::steady_clock;
  auto time_it = [](const std::string& encoded) {
    const auto start = clock::now();
    for (int i = 0; i < 3; ++i) (void)verify_password("guess", encoded);
    return std::chrono::duration<double>(clock::now() - start).count();
  };
  const double dummy_time = time_it(dummy);
  const double real_time = time_it(real);
  REQUIRE(dummy_time > real_time / 10);
  REQUIRE(dummy_time < real_time * 10);
}
