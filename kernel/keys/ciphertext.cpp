#include "keys/ciphertext.hpp"

#include "identity/secure_random.hpp"
#include "keys/aead.hpp"
#include "keys/errors.hpp"

#include <charconv>

namespace fk::keys {

namespace {

constexpr std::string_view kMagic = "fkc1";

}  // namespace

std::string ciphertext_prefix(int version) {
  return std::string(kMagic) + "." + std::to_string(version) + ".";
}

std::string format_ciphertext(const Ciphertext& c) {
  return ciphertext_prefix(c.version) + identity::base64url_encode(c.nonce) + "." +
         identity::base64url_encode(c.sealed);
}

Ciphertext parse_ciphertext(std::string_view text) {
  const auto first = text.find('.');
  const auto second = first == std::string_view::npos ? first : text.find('.', first + 1);
  const auto third = second == std::string_view::npos ? second : text.find('.', second + 1);
  if (third == std::string_view::npos || text.substr(0, first) != kMagic ||
      text.find('.', third + 1) != std::string_view::npos) {
    throw MalformedCiphertext("not an fkc1 ciphertext");
  }
  Ciphertext c;
  const auto version = text.substr(first + 1, second - first - 1);
  const auto [end, error] =
      std::from_chars(version.data(), version.data() + version.size(), c.version);
  if (error != std::errc() || end != version.data() + version.size() || c.version < 1 ||
      version.front() == '0') {
    throw MalformedCiphertext("bad key version in ciphertext");
  }
  try {
    c.nonce = identity::base64url_decode(text.substr(second + 1, third - second - 1));
    c.sealed = identity::base64url_decode(text.substr(third + 1));
  } catch (const std::exception&) {
    throw MalformedCiphertext("ciphertext is not base64url");
  }
  if (c.nonce.size() != kNonceBytes || c.sealed.size() < kTagBytes) {
    throw MalformedCiphertext("bad nonce or tag length in ciphertext");
  }
  return c;
}

std::string field_aad(std::string_view tenant_id, int version, std::string_view purpose) {
  std::string aad = "fkc1|";
  aad.append(tenant_id).append("|").append(std::to_string(version)).append("|");
  aad.append(purpose);
  return aad;
}

}  // namespace fk::keys
