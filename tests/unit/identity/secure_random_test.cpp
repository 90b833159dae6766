#include "identity/secure_random.hpp"

#include <catch2/catch.hpp>

#include <set>

using namespace fk::identity;

TEST_CASE("base64url matches RFC 4648 test vectors without padding", "[identity]") {
  REQUIRE(base64url_encode("") == "");
  REQUIRE(base64url_encode("f") == "Zg");
  REQUIRE(base64url_encode("fo") == "Zm8");
  REQUIRE(base64url_encode("foo") == "Zm9v");
  REQUIRE(base64url_encode("foob") == "Zm9vYg");
  REQUIRE(base64url_encode("fooba") == "Zm9vYmE");
  REQUIRE(base64url_encode("foobar") == "Zm9vYmFy");
  REQUIRE(base64url_encode(std::string("\xfb\xff", 2)) == "-_8");
  for (const char* text : {"", "f", "fo", "foo", "foob", "fooba", "foobar"}) {
    REQUIRE(base64url_decode(base64url_encode(text)) == text);
  }
}

TEST_CASE("base64url refuses foreign characters and non-canonical tails", "[identity]") {
  REQUIRE_THROWS_AS(base64url_decode("Zm9v+A"), std::invalid_argument);
  REQUIRE_THROWS_AS(base64url_decode("Zm9v="), std::invalid_argument);
  REQUIRE_THROWS_AS(base64url_decode("Zh"), std::invalid_argument);  // "Zg" is canonical for "f"
  REQUIRE_THROWS_AS(base64url_decode("Z"), std::invalid_argument);
}

TEST_CASE("random bytes differ and have the requested size", "[identity]") {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) seen.insert(random_bytes(32));
  REQUIRE(seen.size() == 100);
  REQUIRE(random_bytes(0).empty());
  REQUIRE(random_bytes(7).size() == 7);
}

TEST_CASE("sha256 and constant-time comparison", "[identity]") {
  REQUIRE(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  REQUIRE(constant_time_equals("abc", "abc"));
  REQUIRE_FALSE(constant_time_equals("abc", "abd"));
  REQUIRE_FALSE(constant_time_equals("abc", "abcd"));
}
