#pragma once
// Ed25519 signing keys for access tokens, addressed by `kid`, with rotation:
// one current private key signs; earlier keys keep verifying (public part only)
// until their retirement time so tokens issued just before a rotation stay
// valid for their remaining lifetime (RFC 7517 §4.5 "kid"; RFC 8037 Ed25519).

#include <openssl/types.h>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>

namespace fk::identity {

struct EvpPkeyDeleter {
  void operator()(EVP_PKEY* key) const noexcept;
};
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, EvpPkeyDeleter>;

// True for `k-` followed by 1..64 base64url characters. Anything else (a path,
// a URL, an empty string) is refused before it is ever used for a lookup.
bool is_valid_kid(std::string_view kid);

// One key. `private_key` is null for verification-only keys. Copies share the
// underlying OpenSSL objects by reference count (they are never mutated).
struct SigningKey {
  std::string kid;
  EvpPkeyPtr private_key;
  EvpPkeyPtr public_key;
  // Verification stops at this instant; nullopt = no scheduled retirement.
  std::optional<std::chrono::system_clock::time_point> retire_after;

  SigningKey() = default;
  SigningKey(const SigningKey& other);
  SigningKey& operator=(const SigningKey& other);
  SigningKey(SigningKey&&) noexcept = default;
  SigningKey& operator=(SigningKey&&) noexcept = default;
  ~SigningKey() = default;

  // A verification-only key from a raw 32-byte Ed25519 public key (RFC 8032).
  static SigningKey from_public(std::string kid, std::string_view raw_public_key);
  // A signing key from a raw 32-byte Ed25519 private key (the RFC 8032 seed).
  static SigningKey from_private(std::string kid, std::string_view raw_seed);

  [[nodiscard]] std::string raw_public_key() const;
};

// Thread-safety: the ring is immutable after construction except through
// add(), rotate() and prune_retired(), which take the writer side of a
// std::shared_mutex; every other member takes the reader side, only for the
// lookup: current() and verify() work on reference-counted copies of the keys,
// so signing and verification run outside the lock. Moving a ring is not
// synchronised with other use of the moved-to ring.
class SigningKeyRing {
 public:
  using time_point = std::chrono::system_clock::time_point;

  SigningKeyRing() = default;
  SigningKeyRing(SigningKeyRing&& other) noexcept;
  SigningKeyRing& operator=(SigningKeyRing&& other) noexcept;
  SigningKeyRing(const SigningKeyRing&) = delete;
  SigningKeyRing& operator=(const SigningKeyRing&) = delete;
  ~SigningKeyRing() = default;

  // A fresh Ed25519 key with kid `k-<12 base64url chars>` (72 random bits).
  static SigningKey generate();

  // Throws std::invalid_argument for a bad or duplicate kid, or when
  // make_current is asked of a key without private part. The previous current
  // key, if any, becomes verification-only with its own retire_after (none by
  // default: prefer rotate(), which always bounds the window).
  void add(SigningKey key, bool make_current);

  // Generates a new current key; the old current key loses its private part
  // and keeps verifying until `accept_previous_until`. Returns the new kid.
  std::string rotate(time_point accept_previous_until);

  // Drops keys whose retirement time is at or before `now`. Invalidates
  // pointers returned by find_public for those keys.
  void prune_retired(time_point now);

  // A copy of the current signing key (shares the OpenSSL object, so it stays
  // usable even if the ring rotates meanwhile). Throws std::logic_error if empty.
  SigningKey current() const;

  // The public key for `kid` if known and not retired at `now`, else nullptr.
  // The pointer stays valid until prune_retired removes that key or the ring
  // is destroyed; prefer verify(), which holds the lock while it works.
  const EVP_PKEY* find_public(std::string_view kid, time_point now) const;

  enum class VerifyStatus { ok, unknown_key, bad_signature };
  // Ed25519 verification of `signature` over `data` by key `kid` at `now`.
  VerifyStatus verify(std::string_view kid, std::string_view data, std::string_view signature,
                      time_point now) const;

  // JSON with private keys as base64url seeds: a secret. The caller stores it
  // encrypted / mode 0600. from_json throws std::invalid_argument on bad input.
  std::string to_json() const;
  static SigningKeyRing from_json(std::string_view json);

  std::size_t size() const;

 private:
  const SigningKey* find_locked(std::string_view kid, time_point now) const;

  mutable std::shared_mutex mutex_;
  std::map<std::string, SigningKey, std::less<>> keys_;
  std::string current_kid_;
};

// Ed25519 signature (64 bytes) of `data`; throws std::runtime_error on failure.
std::string ed25519_sign(const EVP_PKEY* private_key, std::string_view data);
// True if `signature` is a valid Ed25519 signature of `data` by `public_key`.
bool ed25519_verify(const EVP_PKEY* public_key, std::string_view data,
                    std::string_view signature) noexcept;

}  // namespace fk::identity
