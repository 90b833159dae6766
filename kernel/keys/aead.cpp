#include "keys/aead.hpp"

#include "keys/errors.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <limits>
#include <memory>

namespace fk::keys {

namespace {

using CipherContext = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

const unsigned char* bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

int length(std::string_view s) {
  if (s.size() > static_cast<std::size_t>(std::numeric_limits<int>::max()))
    throw KeyError("input too large for AES-GCM");
  return static_cast<int>(s.size());
}

CipherContext init(std::string_view key, std::string_view nonce, bool encrypt) {
  if (key.size() != kKeyBytes) throw KeyError("AES-256-GCM key must be 32 bytes");
  if (nonce.size() != kNonceBytes) throw KeyError("AES-GCM nonce must be 12 bytes");
  CipherContext ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
  if (!ctx) throw KeyError("EVP_CIPHER_CTX_new failed");
  // 12-byte nonces are GCM's default IV length, so no IVLEN control is needed.
  if (EVP_CipherInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, bytes(key), bytes(nonce),
                        encrypt ? 1 : 0) != 1) {
    throw KeyError("AES-GCM init failed");
  }
  return ctx;
}

void add_aad(EVP_CIPHER_CTX* ctx, std::string_view aad) {
  int ignored = 0;
  if (!aad.empty() && EVP_CipherUpdate(ctx, nullptr, &ignored, bytes(aad), length(aad)) != 1) {
    throw KeyError("AES-GCM AAD failed");
  }
}

}  // namespace

std::string gcm_seal(std::string_view key, std::string_view nonce, std::string_view aad,
                     std::string_view plaintext) {
  auto ctx = init(key, nonce, true);
  add_aad(ctx.get(), aad);
  std::string out(plaintext.size() + kTagBytes, '\0');
  auto* dst = reinterpret_cast<unsigned char*>(out.data());
  int written = 0;
  if (!plaintext.empty() &&
      EVP_EncryptUpdate(ctx.get(), dst, &written, bytes(plaintext), length(plaintext)) != 1) {
    throw KeyError("AES-GCM encrypt failed");
  }
  int final_written = 0;
  if (EVP_EncryptFinal_ex(ctx.get(), dst + written, &final_written) != 1) {
    throw KeyError("AES-GCM finalise failed");
  }
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kTagBytes),
                          dst + plaintext.size()) != 1) {
    throw KeyError("AES-GCM tag failed");
  }
  return out;
}

std::optional<std::string> gcm_open(std::string_view key, std::string_view nonce,
                                    std::string_view aad, std::string_view sealed) {
  if (sealed.size() < kTagBytes) return std::nullopt;
  const auto body = sealed.substr(0, sealed.size() - kTagBytes);
  std::string tag(sealed.substr(body.size()));
  auto ctx = init(key, nonce, false);
  add_aad(ctx.get(), aad);
  std::string out(body.size(), '\0');
  auto* dst = reinterpret_cast<unsigned char*>(out.data());
  int written = 0;
  if (!body.empty() &&
      EVP_DecryptUpdate(ctx.get(), dst, &written, bytes(body), length(body)) != 1) {
    wipe(out);
    return std::nullopt;
  }
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(kTagBytes),
                          tag.data()) != 1) {
    throw KeyError("AES-GCM set tag failed");
  }
  int final_written = 0;
  if (EVP_DecryptFinal_ex(ctx.get(), dst + written, &final_written) != 1) {
    wipe(out);  // the tag did not verify: the plaintext must not escape
    return std::nullopt;
  }
  return out;
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_length = 0;
  if (HMAC(EVP_sha256(), key.data(), length(key), bytes(data), data.size(), digest,
           &digest_length) == nullptr) {
    throw KeyError("HMAC-SHA256 failed");
  }
  return std::string(reinterpret_cast<const char*>(digest), digest_length);
}

void wipe(std::string& secret) noexcept {
  if (!secret.empty()) OPENSSL_cleanse(secret.data(), secret.size());
  secret.clear();
}

}  // namespace fk::keys
