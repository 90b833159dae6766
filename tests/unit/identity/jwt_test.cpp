#include "identity/jwt.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "identity/secure_random.hpp"
#include "identity/signing_key_ring.hpp"

using namespace fk::identity;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;
using std::chrono::system_clock;

namespace {

constexpr int64_t kT0 = 1'700'000'000;
constexpr system_clock::time_point kNow{seconds(kT0)};

SigningKeyRing make_ring() {
  SigningKeyRing ring;
  ring.add(SigningKeyRing::generate(), true);
  return ring;
}

AccessClaims claims() {
  AccessClaims c;
  c.iss = "https://fk.example";
  c.aud = "fk-api";
  c.sub = "user-42";
  c.tid = "tenant-7";
  c.jti = "jti-1";
  c.iat = kT0;
  c.nbf = kT0;
  c.exp = kT0 + 900;
  c.ver = 3;
  c.realm = "tenant";
  c.scopes = {"ledger:read", "ledger:write"};
  return c;
}

VerifyOptions options(system_clock::time_point now = kNow) {
  VerifyOptions o;
  o.issuer = "https://fk.example";
  o.audience = "fk-api";
  o.now = now;
  return o;
}

std::vector<std::string> split(const std::string& token) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = token.find('.', start);
    parts.push_back(token.substr(start, dot - start));
    if (dot == std::string::npos) return parts;
    start = dot + 1;
  }
}

std::string kid_of(const std::string& token) {
  return nlohmann::json::parse(base64url_decode(split(token)[0]))["kid"].get<std::string>();
}

// Signs arbitrary header/payload text with the ring's current key, so tests
// reach the checks that come after the signature.
std::string forge(const SigningKeyRing& ring, const std::string& header,
                  const std::string& payload) {
  const std::string input = base64url_encode(header) + "." + base64url_encode(payload);
  return input + "." + base64url_encode(ed25519_sign(ring.current().private_key.get(), input));
}

std::string header_for(const SigningKeyRing& ring) {
  return R"({"alg":"EdDSA","typ":"JWT","kid":")" + ring.current().kid + R"("})";
}

nlohmann::json payload_json() {
  return {{"iss", "https://fk.example"},
          {"aud", "fk-api"},
          {"sub", "u"},
          {"tid", "t"},
          {"jti", "j"},
          {"iat", kT0},
          {"exp", kT0 + 900}};
}

TokenError error_of(const SigningKeyRing& ring, std::string_view token,
                    const VerifyOptions& o = options()) {
  VerifyResult result;
  REQUIRE_NOTHROW(result = verify_access_token(ring, token, o));
  if (result.ok()) REQUIRE(result.claims);
  return result.error;
}

}  // namespace

TEST_CASE("access token round trip", "[identity][jwt]") {
  const SigningKeyRing ring = make_ring();
  const std::string token = sign_access_token(ring, claims());
  const auto parts = split(token);
  REQUIRE(parts.size() == 3);
  REQUIRE(base64url_decode(parts[0]) ==
          R"({"alg":"EdDSA","typ":"JWT","kid":")" + ring.current().kid + R"("})");
  REQUIRE(base64url_decode(parts[2]).size() == 64);

  const VerifyResult result = verify_access_token(ring, token, options());
  REQUIRE(result.ok());
  REQUIRE(result.error == TokenError::none);
  const AccessClaims& c = *result.claims;
  const AccessClaims expected = claims();
  REQUIRE(c.iss == expected.iss);
  REQUIRE(c.aud == expected.aud);
  REQUIRE(c.sub == expected.sub);
  REQUIRE(c.tid == expected.tid);
  REQUIRE(c.jti == expected.jti);
  REQUIRE(c.iat == expected.iat);
  REQUIRE(c.nbf == expected.nbf);
  REQUIRE(c.exp == expected.exp);
  REQUIRE(c.ver == 3);
  REQUIRE(c.realm == "tenant");
  REQUIRE(c.scopes == expected.scopes);
}

TEST_CASE("kids have the documented shape", "[identity][jwt]") {
  const SigningKey key = SigningKeyRing::generate();
  REQUIRE(key.kid.size() == 14);
  REQUIRE(key.kid.starts_with("k-"));
  REQUIRE(is_valid_kid(key.kid));
  REQUIRE(key.raw_public_key().size() == 32);
  REQUIRE_FALSE(is_valid_kid("k-"));
  REQUIRE_FALSE(is_valid_kid("../../etc/passwd"));
  REQUIRE_FALSE(is_valid_kid("k-../x"));
  REQUIRE_FALSE(is_valid_kid("k-" + std::string(65, 'a')));
  REQUIRE(is_valid_kid("k-" + std::string(64, 'a')));
  SigningKeyRing ring;
  SigningKey bad = SigningKeyRing::generate();
  bad.kid = "../../k";
  REQUIRE_THROWS_AS(ring.add(std::move(bad), true), std::invalid_argument);
  REQUIRE_THROWS_AS(ring.current(), std::logic_error);
  REQUIRE_THROWS_AS(sign_access_token(ring, claims()), std::logic_error);
}

TEST_CASE("the algorithm is pinned to EdDSA", "[identity][jwt]") {
  const SigningKeyRing ring = make_ring();
  const std::string kid = ring.current().kid;
  const std::string payload = payload_json().dump();

  SECTION("alg none and None, with and without a signature") {
    for (const char* alg : {"none", "None", "NONE", "nOnE"}) {
      const std::string header =
          std::string(R"({"alg":")") + alg + R"(","typ":"JWT","kid":")" + kid + R"("})";
      const std::string unsigned_token =
          base64url_encode(header) + "." + base64url_encode(payload) + ".";
      REQUIRE(error_of(ring, unsigned_token) == TokenError::bad_algorithm);
      REQUIRE(error_of(ring, forge(ring, header, payload)) == TokenError::bad_algorithm);
    }
  }

  SECTION("HS256 keyed with the public key (key confusion)") {
    const std::string header = R"({"alg":"HS256","typ":"JWT","kid":")" + kid + R"("})";
    const std::string input = base64url_encode(header) + "." + base64url_encode(payload);
    const std::string public_key = ring.current().raw_public_key();
    for (const std::string& secret : {public_key, base64url_encode(public_key)}) {
      unsigned char mac[EVP_MAX_MD_SIZE];
      unsigned int length = 0;
      REQUIRE(HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
                   reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac,
                   &length) != nullptr);
      const std::string token =
          input + "." + base64url_encode(std::string(reinterpret_cast<char*>(mac), length));
      REQUIRE(error_of(ring, token) == TokenError::bad_algorithm);
    }
  }

  SECTION("any other algorithm or a missing or mistyped alg") {
    for (const std::string alg_member :
         {R"("alg":"RS256",)", R"("alg":"ES256",)", R"("alg":"Ed25519",)", R"("alg":"eddsa",)",
          R"("alg":"EdDSA ",)", R"("alg":["EdDSA"],)", R"("alg":null,)", ""}) {
      std::string header = "{";
      header.append(alg_member).append(R"("typ":"JWT","kid":")").append(kid).append(R"("})");
      INFO(header);
      REQUIRE(error_of(ring, forge(ring, header, payload)) == TokenError::bad_algorithm);
    }
  }
}

TEST_CASE("unknown and path-like kids are refused", "[identity][jwt]") {
  const SigningKeyRing ring = make_ring();
  const std::string payload = payload_json().dump();
  for (const std::string kid_member :
       {R"("kid":"k-unknownkid0")", R"("kid":"../../k")", R"("kid":"../../etc/passwd")",
        R"("kid":"k-../../x")", R"("kid":"k-")", R"("kid":"")", R"("kid":42)", R"("kid":null)",
        R"("typ":"JWT")"}) {
    const std::string header = R"({"alg":"EdDSA",)" + kid_member + "}";
    INFO(header);
    REQUIRE(error_of(ring, forge(ring, header, payload)) == TokenError::unknown_key);
  }
  REQUIRE(ring.find_public("k-unknownkid0", kNow) == nullptr);
  REQUIRE(ring.find_public("../../k", kNow) == nullptr);
  REQUIRE(ring.find_public(ring.current().kid, kNow) != nullptr);
}

TEST_CASE("tampering with signature or payload breaks the signature", "[identity][jwt]") {
  const SigningKeyRing ring = make_ring();
  const std::string token = sign_access_token(ring, claims());
  auto parts = split(token);

  SECTION("one signature byte flipped") {
    for (std::size_t i : {0U, 31U, 63U}) {
      std::string signature = base64url_decode(parts[2]);
      signature[i] = static_cast<char>(signature[i] ^ 0x01);
      const std::string forged = parts[0] + "." + parts[1] + "." + base64url_encode(signature);
      REQUIRE(error_of(ring, forged) == TokenError::bad_signature);
    }
  }
  SECTION("one payload byte flipped") {
    std::string payload = base64url_decode(parts[1]);
    const std::size_t at = payload.find("user-42");
    payload[at + 5] = '3';  // user-43
    const std::string forged = parts[0] + "." + base64url_encode(payload) + "." + parts[2];
    REQUIRE(error_of(ring, forged) == TokenError::bad_signature);
  }
  SECTION("signature of the wrong length") {
    const std::string signature = base64url_decode(parts[2]);
    REQUIRE(error_of(ring,
                     parts[0] + "." + parts[1] + "." + base64url_encode(signature.substr(0, 63))) ==
            TokenError::bad_signature);
    REQUIRE(error_of(ring, parts[0] + "." + parts[1] + "." + base64url_encode(signature + "x")) ==
            TokenError::bad_signature);
    REQUIRE(error_of(ring, parts[0] + "." + parts[1] + ".") == TokenError::bad_signature);
  }
  SECTION("signature from another key with the same kid") {
    SigningKeyRing other;
    SigningKey key = SigningKeyRing::generate();
    key.kid = ring.current().kid;
    other.add(std::move(key), true);
    REQUIRE(error_of(ring, sign_access_token(other, claims())) == TokenError::bad_signature);
  }
  SECTION("every single-character change is refused") {
    std::mt19937 rng(12345);
    const std::string alphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ ";
    for (int i = 0; i < 500; ++i) {
      std::string mutated = token;
      const std::size_t at = rng() % mutated.size();
      const char c = alphabet[rng() % alphabet.size()];
      if (mutated[at] == c) continue;
      mutated[at] = c;
      REQUIRE_FALSE(verify_access_token(ring, mutated, options()).ok());
    }
  }
}

TEST_CASE("issuer, audience and time checks", "[identity][jwt]") {
  const SigningKeyRing ring = make_ring();
  const std::string token = sign_access_token(ring, claims());

  VerifyOptions o = options();
  o.issuer = "https://evil.example";
  REQUIRE(error_of(ring, token, o) == TokenError::wrong_issuer);
  o = options();
  o.audience = "other-api";
  REQUIRE(error_of(ring, token, o) == TokenError::wrong_audience);
  o = options();
  o.issuer.clear();  // a misconfigured verifier fails closed
  REQUIRE(error_of(ring, token, o) == TokenError::wrong_issuer);
  o = options();
  o.audience.clear();
  REQUIRE(error_of(ring, token, o) == TokenError::wrong_audience);

  const auto at = [](int64_t t) { return system_clock::time_point(seconds(t)); };
  // exp = kT0 + 900, leeway 30 s: valid strictly before exp + 30.
  REQUIRE(error_of(ring, token, options(at(kT0 + 929))) == TokenError::none);
  REQUIRE(error_of(ring, token, options(at(kT0 + 930))) == TokenError::expired);
  REQUIRE(error_of(ring, token, options(at(kT0 + 86400))) == TokenError::expired);
  o = options(at(kT0 + 900));
  o.leeway = seconds(0);
  REQUIRE(error_of(ring, token, o) == TokenError::expired);
  // iat = nbf = kT0: acceptable from kT0 - 30.
  REQUIRE(error_of(ring, token, options(at(kT0 - 30))) == TokenError::none);
  REQUIRE(error_of(ring, token, options(at(kT0 - 31))) == TokenError::not_yet_valid);

  AccessClaims later = claims();
  later.nbf = kT0 + 600;
  const std::string deferred = sign_access_token(ring, later);
  REQUIRE(error_of(ring, deferred, options(at(kT0 + 100))) == TokenError::not_yet_valid);
  REQUIRE(error_of(ring, deferred, options(at(kT0 + 600))) == TokenError::none);
}

TEST_CASE("claims must be present and well typed", "[identity][jwt]") {
  const SigningKeyRing ring = make_ring();
  const std::string header = header_for(ring);
  REQUIRE(error_of(ring, forge(ring, header, payload_json().dump())) == TokenError::none);

  for (const char* claim : {"iss", "aud", "sub", "tid", "jti", "iat", "exp"}) {
    nlohmann::json p = payload_json();
    p.erase(claim);
    INFO(claim);
    REQUIRE(error_of(ring, forge(ring, header, p.dump())) == TokenError::missing_claim);
  }
  const std::pair<const char*, nlohmann::json> mistyped[] = {
      {"iss", 1},        {"aud", nlohmann::json::array({"fk-api"})},
      {"sub", nullptr},  {"exp", "1700000900"},
      {"exp", 1.7e9},    {"iat", true},
      {"nbf", "soon"},   {"ver", -1},
      {"ver", "3"},      {"realm", 1},
      {"scope", 7},      {"scope", "a  b"},
      {"scope", "a\"b"}, {"exp", nlohmann::json::parse("18446744073709551615")},
  };
  for (const auto& [claim, value] : mistyped) {
    nlohmann::json p = payload_json();
    p[claim] = value;
    INFO(p.dump());
    REQUIRE(error_of(ring, forge(ring, header, p.dump())) == TokenError::missing_claim);
  }
  nlohmann::json p = payload_json();
  p.erase("iat");
  p["iat"] = kT0;
  const VerifyResult result = verify_access_token(ring, forge(ring, header, p.dump()), options());
  REQUIRE(result.ok());
  REQUIRE(result.claims->nbf == kT0);  // nbf defaults to iat
  REQUIRE(result.claims->ver == 0);
  REQUIRE(result.claims->scopes.empty());
}

TEST_CASE("header and payload structure", "[identity][jwt]") {
  const SigningKeyRing ring = make_ring();
  const std::string kid = ring.current().kid;
  const std::string payload = payload_json().dump();
  const std::string base = R"("alg":"EdDSA","kid":")" + kid + R"(")";

  REQUIRE(error_of(ring, forge(ring, "{" + base + "}", payload)) == TokenError::none);
  REQUIRE(error_of(ring, forge(ring, "{" + base + R"(,"crit":["exp"],"exp":1})", payload)) ==
          TokenError::malformed);
  REQUIRE(error_of(ring, forge(ring, "{" + base + R"(,"typ":"at+jwt"})", payload)) ==
          TokenError::malformed);
  // Duplicate members: which one a parser keeps differs between libraries.
  REQUIRE(error_of(ring, forge(ring, "{" + base + R"(,"alg":"none"})", payload)) ==
          TokenError::malformed);
  REQUIRE(error_of(ring, forge(ring, header_for(ring),
                               payload.substr(0, payload.size() - 1) + R"(,"sub":"admin"})")) ==
          TokenError::malformed);
  REQUIRE(error_of(ring, forge(ring, header_for(ring), "[1,2]")) == TokenError::malformed);
  REQUIRE(error_of(ring, forge(ring, header_for(ring), "not json")) == TokenError::malformed);
  REQUIRE(error_of(ring, forge(ring, "[" + base + "]", payload)) == TokenError::malformed);
  // Keys named in the header are never used.
  REQUIRE(error_of(ring, forge(ring, "{" + base + R"(,"jku":"https://evil/keys"})", payload)) ==
          TokenError::none);
}

TEST_CASE("garbage tokens are malformed, never thrown", "[identity][jwt]") {
  const SigningKeyRing ring = make_ring();
  const std::string valid = sign_access_token(ring, claims());
  const auto parts = split(valid);
  const std::string sig = base64url_encode(std::string(64, 'x'));
  const std::string inputs[] = {
      "",
      ".",
      "..",
      "...",
      "abc",
      parts[0] + "." + parts[1],
      valid + ".",
      valid + "." + parts[2],
      "!!!.@@@.###",
      parts[0] + "=." + parts[1] + "." + parts[2],
      parts[0] + "." + parts[1] + "." + parts[2] + "=",
      parts[0] + " ." + parts[1] + "." + parts[2],
      "Zh." + parts[1] + "." + parts[2],  // non-canonical base64url
      base64url_encode("not json") + "." + base64url_encode("{}") + "." + sig,
      base64url_encode(R"({"alg":"EdDSA")") + "." + parts[1] + "." + sig,
      base64url_encode("\xff\xfe{}") + "." + parts[1] + "." + sig,
      base64url_encode(R"({"alg":"EdDSA","kid":"k-\udc00"})") + "." + parts[1] + "." + sig,
      std::string(std::size_t{100} * 1024, 'A'),
      std::string(std::size_t{40} * 1024, 'A') + "." + std::string(std::size_t{40} * 1024, 'A') +
          "." + sig,
      valid + std::string(kMaxTokenBytes, 'A'),
      std::string("\0.\0.\0", 5),
  };
  for (const std::string& token : inputs) {
    INFO(token.substr(0, 100));
    REQUIRE(error_of(ring, token) == TokenError::malformed);
  }
  std::mt19937 rng(7);
  for (int i = 0; i < 2000; ++i) {
    std::string token(rng() % 200, '\0');
    for (char& c : token) c = static_cast<char>(rng() % 3 == 0 ? '.' : rng() % 256);
    REQUIRE_FALSE(verify_access_token(ring, token, options()).ok());
  }
}

TEST_CASE("signing refuses what verification would refuse", "[identity][jwt]") {
  const SigningKeyRing ring = make_ring();
  AccessClaims c = claims();
  c.scopes = {"has space"};
  REQUIRE_THROWS_AS(sign_access_token(ring, c), std::invalid_argument);
  c.scopes = {""};
  REQUIRE_THROWS_AS(sign_access_token(ring, c), std::invalid_argument);
  c = claims();
  c.sub = "\xff\xfe";
  REQUIRE_THROWS_AS(sign_access_token(ring, c), std::invalid_argument);
  c = claims();
  c.sub = std::string(kMaxTokenBytes, 'a');
  REQUIRE_THROWS_AS(sign_access_token(ring, c), std::invalid_argument);
  REQUIRE(to_string(TokenError::bad_algorithm) == "bad_algorithm");
}

TEST_CASE("key rotation keeps old tokens valid for the window only", "[identity][jwt]") {
  SigningKeyRing ring = make_ring();
  const std::string old_kid = ring.current().kid;
  AccessClaims c = claims();
  c.exp = kT0 + int64_t{3} * 3600;
  const std::string old_token = sign_access_token(ring, c);
  REQUIRE(kid_of(old_token) == old_kid);

  const system_clock::time_point window_end = kNow + hours(1);
  const std::string new_kid = ring.rotate(window_end);
  REQUIRE(new_kid != old_kid);
  REQUIRE(ring.current().kid == new_kid);
  REQUIRE(ring.size() == 2);
  const std::string new_token = sign_access_token(ring, c);
  REQUIRE(kid_of(new_token) == new_kid);

  REQUIRE(error_of(ring, old_token, options(kNow + minutes(30))) == TokenError::none);
  REQUIRE(error_of(ring, old_token, options(window_end - seconds(1))) == TokenError::none);
  REQUIRE(error_of(ring, old_token, options(window_end)) == TokenError::unknown_key);
  REQUIRE(error_of(ring, old_token, options(window_end + seconds(1))) == TokenError::unknown_key);
  REQUIRE(error_of(ring, new_token, options(window_end + seconds(1))) == TokenError::none);
  REQUIRE(ring.find_public(old_kid, kNow) != nullptr);
  REQUIRE(ring.find_public(old_kid, window_end) == nullptr);

  // The demoted key can no longer sign: only its public half is kept.
  REQUIRE(ring.current().private_key != nullptr);

  ring.prune_retired(window_end);
  REQUIRE(ring.size() == 1);
  REQUIRE(error_of(ring, old_token, options(kNow)) == TokenError::unknown_key);
  REQUIRE(error_of(ring, new_token, options(kNow)) == TokenError::none);
}

TEST_CASE("add() rules", "[identity][jwt]") {
  SigningKeyRing ring;
  const SigningKey first = SigningKeyRing::generate();
  ring.add(first, true);
  REQUIRE_THROWS_AS(ring.add(first, false), std::invalid_argument);  // duplicate kid
  const SigningKey public_only = SigningKey::from_public("k-verifyonly1", first.raw_public_key());
  REQUIRE_THROWS_AS(ring.add(public_only, true), std::invalid_argument);
  ring.add(public_only, false);
  const std::string token = sign_access_token(ring, claims());
  const SigningKey second = SigningKeyRing::generate();
  ring.add(second, true);
  REQUIRE(ring.current().kid == second.kid);
  REQUIRE(error_of(ring, token) == TokenError::none);  // demoted key still verifies
  REQUIRE(kid_of(sign_access_token(ring, claims())) == second.kid);
  REQUIRE_THROWS_AS(SigningKey::from_public("k-x", "short"), std::invalid_argument);
  REQUIRE_THROWS_AS(SigningKey::from_private("k-x", "short"), std::invalid_argument);
}

TEST_CASE("key ring JSON round trip preserves verification", "[identity][jwt]") {
  SigningKeyRing ring = make_ring();
  AccessClaims c = claims();
  c.exp = kT0 + int64_t{3} * 3600;
  const std::string old_token = sign_access_token(ring, c);
  const system_clock::time_point window_end = kNow + hours(1);
  ring.rotate(window_end);
  const std::string new_token = sign_access_token(ring, c);

  const std::string saved = ring.to_json();
  const nlohmann::json doc = nlohmann::json::parse(saved);
  REQUIRE(doc["version"] == 1);
  REQUIRE(doc["keys"].size() == 2);
  SigningKeyRing restored = SigningKeyRing::from_json(saved);
  REQUIRE(restored.current().kid == ring.current().kid);
  REQUIRE(restored.size() == 2);
  REQUIRE(error_of(restored, old_token) == TokenError::none);
  REQUIRE(error_of(restored, new_token) == TokenError::none);
  REQUIRE(error_of(restored, old_token, options(window_end)) == TokenError::unknown_key);
  // The restored ring signs with the same private key.
  REQUIRE(error_of(ring, sign_access_token(restored, c)) == TokenError::none);
  REQUIRE(restored.to_json() == saved);

  SigningKeyRing moved = std::move(restored);
  REQUIRE(error_of(moved, new_token) == TokenError::none);

  for (const std::string& bad :
       {std::string(), std::string("[]"), std::string("{}"), std::string(R"({"version":2})"),
        std::string(R"({"version":1,"current":"k-a","keys":[]})"),
        std::string(R"({"version":1,"current":"k-a","keys":[{"kid":"k-a"}]})"),
        std::string(R"({"version":1,"current":"k-a","keys":[{"kid":"k-a","private":"AAAA"}]})"),
        std::string(R"({"version":1,"current":"k-a","keys":[{"kid":"../x","private":")") +
            base64url_encode(std::string(32, 'k')) + R"("}]})",
        std::string(R"({"version":1,"current":"k-a","keys":[{"kid":"k-a","private":")") +
            base64url_encode(std::string(32, 'k')) + R"(","retire_after":1e300}]})",
        std::string(R"({"version":1,"current":"k-b","keys":[{"kid":"k-a","private":")") +
            base64url_encode(std::string(32, 'k')) + R"("}]})"}) {
    INFO(bad);
    REQUIRE_THROWS_AS(SigningKeyRing::from_json(bad), std::invalid_argument);
  }
}

TEST_CASE("verification runs concurrently with rotation", "[identity][jwt]") {
  SigningKeyRing ring = make_ring();
  AccessClaims c = claims();
  const std::string token = sign_access_token(ring, c);
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  std::vector<std::thread> readers;
  readers.reserve(2);
  for (int i = 0; i < 2; ++i) {
    readers.emplace_back([&] {
      while (!stop) {
        if (!verify_access_token(ring, token, options()).ok()) ++failures;
        if (!verify_access_token(ring, sign_access_token(ring, c), options()).ok()) ++failures;
      }
    });
  }
  for (int i = 0; i < 20; ++i) ring.rotate(kNow + hours(1));
  stop = true;
  for (auto& t : readers) t.join();
  REQUIRE(failures == 0);
  REQUIRE(ring.size() == 21);
}
