#include "identity/jwt.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>

#include "identity/secure_random.hpp"

namespace fk::identity {

namespace {

using json = nlohmann::json;

constexpr std::string_view kAlgorithm = "EdDSA";  // RFC 8037 §3.1
constexpr std::size_t kSignatureBytes = 64;       // RFC 8032 §5.1.6

VerifyResult fail(TokenError error, std::string message) {
  VerifyResult result;
  result.error = error;
  result.message = std::move(message);
  return result;
}

// Parses a JSON object, refusing duplicate top-level members: RFC 7515 §5.2
// and RFC 8725 §2.8 warn that parsers disagree on which duplicate wins, so a
// second "sub" or "alg" could mean different things to different components.
std::optional<json> parse_object(std::string_view text) {
  std::set<std::string> seen;
  bool duplicate = false;
  const json::parser_callback_t on_event = [&](int depth, json::parse_event_t event, json& parsed) {
    if (event == json::parse_event_t::key && depth == 1 && parsed.is_string()) {
      if (!seen.insert(parsed.get<std::string>()).second) duplicate = true;
    }
    return true;
  };
  json doc = json::parse(text, on_event, /*allow_exceptions=*/false);
  if (duplicate || !doc.is_object()) return std::nullopt;
  return doc;
}

const json* member(const json& object, const char* key) {
  const auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

bool read_string(const json& object, const char* key, std::string& out) {
  const json* value = member(object, key);
  if (value == nullptr || !value->is_string()) return false;
  out = value->get<std::string>();
  return true;
}

// Integers only: 1.5e9 or 9.3e18 (parsed as floating point) are refused.
bool read_int(const json& object, const char* key, int64_t& out) {
  const json* value = member(object, key);
  if (value == nullptr || !value->is_number_integer()) return false;
  if (value->is_number_unsigned() && value->get<uint64_t>() > INT64_MAX) return false;
  out = value->get<int64_t>();
  return true;
}

int64_t saturating_add(int64_t a, int64_t b) {
  int64_t sum = 0;
  if (__builtin_add_overflow(a, b, &sum)) return b > 0 ? INT64_MAX : INT64_MIN;
  return sum;
}

// RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ).
bool is_scope_token(std::string_view scope) {
  return !scope.empty() && std::ranges::all_of(scope, [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u >= 0x21 && u <= 0x7e && u != 0x22 && u != 0x5c;
  });
}

bool split_scopes(std::string_view text, std::vector<std::string>& out) {
  out.clear();
  if (text.empty()) return true;
  std::size_t start = 0;
  while (true) {
    const std::size_t space = text.find(' ', start);
    const std::string_view scope = text.substr(start, space - start);
    if (!is_scope_token(scope)) return false;
    out.emplace_back(scope);
    if (space == std::string_view::npos) return true;
    start = space + 1;
  }
}

// Reads the claims, or names the first one that is absent or mistyped.
std::optional<std::string> read_claims(const json& payload, AccessClaims& claims) {
  for (auto [key, field] :
       {std::pair{"iss", &claims.iss}, std::pair{"aud", &claims.aud}, std::pair{"sub", &claims.sub},
        std::pair{"tid", &claims.tid}, std::pair{"jti", &claims.jti}}) {
    if (!read_string(payload, key, *field)) return key;
  }
  if (!read_int(payload, "iat", claims.iat)) return "iat";
  if (!read_int(payload, "exp", claims.exp)) return "exp";
  claims.nbf = claims.iat;
  if (member(payload, "nbf") != nullptr && !read_int(payload, "nbf", claims.nbf)) return "nbf";
  if (const json* ver = member(payload, "ver")) {
    if (!ver->is_number_unsigned()) return "ver";
    claims.ver = ver->get<uint64_t>();
  }
  if (member(payload, "realm") != nullptr && !read_string(payload, "realm", claims.realm)) {
    return "realm";
  }
  if (member(payload, "scope") != nullptr) {
    std::string scope;
    if (!read_string(payload, "scope", scope) || !split_scopes(scope, claims.scopes)) {
      return "scope";
    }
  }
  return std::nullopt;
}

}  // namespace

std::string_view to_string(TokenError error) {
  switch (error) {
    case TokenError::none:
      return "none";
    case TokenError::malformed:
      return "malformed";
    case TokenError::bad_algorithm:
      return "bad_algorithm";
    case TokenError::unknown_key:
      return "unknown_key";
    case TokenError::bad_signature:
      return "bad_signature";
    case TokenError::expired:
      return "expired";
    case TokenError::not_yet_valid:
      return "not_yet_valid";
    case TokenError::wrong_issuer:
      return "wrong_issuer";
    case TokenError::wrong_audience:
      return "wrong_audience";
    case TokenError::missing_claim:
      return "missing_claim";
  }
  return "unknown";
}

std::string sign_access_token(const SigningKeyRing& ring, const AccessClaims& claims) {
  std::string scope;
  for (const std::string& s : claims.scopes) {
    if (!is_scope_token(s)) throw std::invalid_argument("invalid scope token");
    if (!scope.empty()) scope += ' ';
    scope += s;
  }
  // A copy of the current key: a concurrent rotate cannot pull it from under us.
  const SigningKey key = ring.current();
  // The kid passed is_valid_kid() when it entered the ring, so it needs no escaping.
  const std::string header = R"({"alg":"EdDSA","typ":"JWT","kid":")" + key.kid + R"("})";
  nlohmann::ordered_json payload{{"iss", claims.iss},    {"sub", claims.sub}, {"aud", claims.aud},
                                 {"tid", claims.tid},    {"iat", claims.iat}, {"nbf", claims.nbf},
                                 {"exp", claims.exp},    {"jti", claims.jti}, {"ver", claims.ver},
                                 {"realm", claims.realm}};
  if (!scope.empty()) payload["scope"] = scope;
  std::string payload_text;
  try {
    payload_text = payload.dump();
  } catch (const json::exception&) {  // invalid UTF-8 in a claim
    throw std::invalid_argument("access token claims must be valid UTF-8");
  }
  std::string token = base64url_encode(header) + '.' + base64url_encode(payload_text);
  const std::string signature = ed25519_sign(key.private_key.get(), token);
  token += '.';
  token += base64url_encode(signature);
  if (token.size() > kMaxTokenBytes) throw std::invalid_argument("access token too large");
  return token;
}

VerifyResult verify_access_token(const SigningKeyRing& ring, std::string_view token,
                                 const VerifyOptions& options) {
  try {
    // Size first: nothing below runs on an arbitrarily large input.
    if (token.size() > kMaxTokenBytes) return fail(TokenError::malformed, "token too large");
    const std::size_t first = token.find('.');
    const std::size_t second = first == std::string_view::npos ? first : token.find('.', first + 1);
    if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) {
      return fail(TokenError::malformed, "a compact JWS has exactly three parts");
    }
    std::string header_text;
    std::string payload_text;
    std::string signature;
    try {
      // The decoder refuses non-canonical text, so each token has one spelling.
      header_text = base64url_decode(token.substr(0, first));
      payload_text = base64url_decode(token.substr(first + 1, second - first - 1));
      signature = base64url_decode(token.substr(second + 1));
    } catch (const std::invalid_argument&) {
      return fail(TokenError::malformed, "token parts must be canonical base64url");
    }

    const std::optional<json> header = parse_object(header_text);
    if (!header) return fail(TokenError::malformed, "header is not a JSON object");
    // We implement no extensions, so any "crit" must be refused (RFC 7515 §4.1.11).
    if (member(*header, "crit") != nullptr) {
      return fail(TokenError::malformed, "critical header extensions are not supported");
    }
    // Pinned algorithm (RFC 8725 §3.1): "none", "HS256" (key confusion) and
    // every other value are refused before any key is looked at.
    const json* alg = member(*header, "alg");
    if (alg == nullptr || !alg->is_string() || alg->get<std::string>() != kAlgorithm) {
      return fail(TokenError::bad_algorithm, "only EdDSA tokens are accepted");
    }
    // Explicit typing (RFC 8725 §3.11): if present it must be ours.
    if (const json* typ = member(*header, "typ");
        typ != nullptr && (!typ->is_string() || typ->get<std::string>() != "JWT")) {
      return fail(TokenError::malformed, "unexpected typ header");
    }
    // Header keys such as jwk/jku/x5u are ignored: keys come only from the ring.
    std::string kid;
    if (!read_string(*header, "kid", kid) || !is_valid_kid(kid)) {
      return fail(TokenError::unknown_key, "missing or invalid kid");
    }
    if (signature.size() != kSignatureBytes) {
      return fail(TokenError::bad_signature, "signature must be 64 bytes");
    }
    // The signature covers the exact bytes received, not a re-encoding.
    switch (ring.verify(kid, token.substr(0, second), signature, options.now)) {
      case SigningKeyRing::VerifyStatus::ok:
        break;
      case SigningKeyRing::VerifyStatus::unknown_key:
        return fail(TokenError::unknown_key, "unknown or retired signing key");
      case SigningKeyRing::VerifyStatus::bad_signature:
        return fail(TokenError::bad_signature, "signature does not verify");
    }

    const std::optional<json> payload = parse_object(payload_text);
    if (!payload) return fail(TokenError::malformed, "payload is not a JSON object");
    AccessClaims claims;
    if (const std::optional<std::string> bad = read_claims(*payload, claims)) {
      return fail(TokenError::missing_claim, "missing or mistyped claim: " + *bad);
    }
    // An empty expectation is a misconfiguration; fail closed rather than match "".
    if (options.issuer.empty() || claims.iss != options.issuer) {
      return fail(TokenError::wrong_issuer, "unexpected issuer");
    }
    if (options.audience.empty() || claims.aud != options.audience) {
      return fail(TokenError::wrong_audience, "unexpected audience");
    }
    const int64_t now =
        std::chrono::duration_cast<std::chrono::seconds>(options.now.time_since_epoch()).count();
    const int64_t leeway = std::max<int64_t>(0, options.leeway.count());
    // RFC 7519 §4.1.4: the token must not be accepted on or after exp.
    if (now >= saturating_add(claims.exp, leeway)) {
      return fail(TokenError::expired, "token expired");
    }
    // RFC 7519 §4.1.5 (nbf); an iat in the future means a skewed or forged issuer.
    const int64_t latest = saturating_add(now, leeway);
    if (claims.nbf > latest || claims.iat > latest) {
      return fail(TokenError::not_yet_valid, "token not yet valid");
    }
    VerifyResult result;
    result.claims = std::move(claims);
    return result;
  } catch (const std::exception&) {  // e.g. bad_alloc; never let hostile input escape as a throw
    return fail(TokenError::malformed, "token could not be processed");
  }
}

}  // namespace fk::identity
