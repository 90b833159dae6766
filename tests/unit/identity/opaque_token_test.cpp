#include "identity/opaque_token.hpp"

#include <catch2/catch.hpp>

#include <regex>
#include <set>

#include "identity/secure_random.hpp"

using namespace fk::identity;

TEST_CASE("issued secrets have the documented format", "[identity][opaque]") {
  const IssuedSecret refresh = issue_refresh_token();
  REQUIRE(
      std::regex_match(refresh.plaintext, std::regex("fkr_[A-Za-z0-9_-]{16}\\.[A-Za-z0-9_-]{43}")));
  REQUIRE(refresh.lookup_id.size() == 16);
  REQUIRE(refresh.plaintext.substr(4, 16) == refresh.lookup_id);
  REQUIRE(refresh.hash == sha256_hex(refresh.plaintext.substr(21)));
  REQUIRE(refresh.hash.size() == 64);

  const IssuedSecret key = issue_api_key();
  REQUIRE(std::regex_match(key.plaintext, std::regex("fk_[A-Za-z0-9_-]{16}\\.[A-Za-z0-9_-]{43}")));
  REQUIRE(key.plaintext.substr(3, 16) == key.lookup_id);
  // The plaintext never appears in what is stored.
  REQUIRE(key.hash.find(key.plaintext.substr(20)) == std::string::npos);
}

TEST_CASE("issued secrets are unique", "[identity][opaque]") {
  std::set<std::string> ids;
  std::set<std::string> plaintexts;
  std::set<std::string> hashes;
  for (int i = 0; i < 500; ++i) {
    for (const IssuedSecret& s : {issue_refresh_token(), issue_api_key()}) {
      ids.insert(s.lookup_id);
      plaintexts.insert(s.plaintext);
      hashes.insert(s.hash);
    }
  }
  REQUIRE(ids.size() == 1000);
  REQUIRE(plaintexts.size() == 1000);
  REQUIRE(hashes.size() == 1000);
}

TEST_CASE("parse and match", "[identity][opaque]") {
  const IssuedSecret refresh = issue_refresh_token();
  const auto parsed = parse_secret(refresh.plaintext, kRefreshTokenPrefix);
  REQUIRE(parsed);
  REQUIRE(parsed->lookup_id == refresh.lookup_id);
  REQUIRE(secret_matches(*parsed, refresh.hash));
  REQUIRE_FALSE(secret_matches(*parsed, issue_refresh_token().hash));
  REQUIRE_FALSE(secret_matches(*parsed, ""));
  REQUIRE_FALSE(secret_matches(*parsed, refresh.hash.substr(0, 63)));

  const IssuedSecret key = issue_api_key();
  const auto parsed_key = parse_secret(key.plaintext, kApiKeyPrefix);
  REQUIRE(parsed_key);
  REQUIRE(secret_matches(*parsed_key, key.hash));
  REQUIRE_FALSE(secret_matches(*parsed_key, refresh.hash));

  // Same id, different secret: the lookup succeeds, the match must not.
  ParsedSecret swapped = *parsed;
  swapped.secret = parsed_key->secret;
  REQUIRE_FALSE(secret_matches(swapped, refresh.hash));
}

TEST_CASE("parse rejects wrong prefix, garbage and wrong lengths", "[identity][opaque]") {
  const std::string refresh = issue_refresh_token().plaintext;
  const std::string key = issue_api_key().plaintext;
  REQUIRE_FALSE(parse_secret(refresh, kApiKeyPrefix));
  REQUIRE_FALSE(parse_secret(key, kRefreshTokenPrefix));
  REQUIRE_FALSE(parse_secret(refresh, ""));

  std::string non_canonical = refresh;
  // 43 characters carry 258 bits; the last character must leave 2 bits zero.
  non_canonical.back() = 'B';
  if (non_canonical == refresh) non_canonical.back() = 'C';

  const std::string inputs[] = {
      "",
      "fkr_",
      "fkr_.",
      "garbage",
      refresh + "A",
      refresh + " ",
      " " + refresh,
      refresh.substr(0, refresh.size() - 1),
      "FKR_" + refresh.substr(4),
      std::string(refresh).replace(20, 1, "_"),  // separator missing
      std::string(refresh).replace(5, 1, "+"),   // standard base64, not base64url
      std::string(refresh).replace(30, 1, "/"),
      std::string(refresh).replace(30, 1, "="),
      std::string(refresh).replace(30, 1, std::string(1, '\0')),
      std::string(refresh).replace(19, 2, ".A"),  // separator shifted
      "fkr_" + std::string(16, 'A') + "." + std::string(44, 'A'),
      "fkr_" + std::string(17, 'A') + "." + std::string(42, 'A'),
      refresh + refresh,
      std::string(1 << 20, 'A'),
      non_canonical,
  };
  for (const std::string& input : inputs) {
    INFO(input.substr(0, 80));
    std::optional<ParsedSecret> parsed;
    REQUIRE_NOTHROW(parsed = parse_secret(input, kRefreshTokenPrefix));
    REQUIRE_FALSE(parsed);
  }
}
