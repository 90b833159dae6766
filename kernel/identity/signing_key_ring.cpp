#include "identity/signing_key_ring.hpp"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include <algorithm>
#include <mutex>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "identity/secure_random.hpp"

namespace fk::identity {

namespace {

constexpr std::size_t kRawKeyBytes = 32;     // RFC 8032 §5.1.5: 32-byte keys
constexpr std::size_t kSignatureBytes = 64;  // RFC 8032 §5.1.6: 64-byte signatures
constexpr std::size_t kKidRandomBytes = 9;   // 12 base64url characters

struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* ctx) const noexcept { EVP_MD_CTX_free(ctx); }
};
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxDeleter>;

// OpenSSL 3.0 takes non-const EVP_PKEY* even for read-only use; the objects
// are internally locked and we never mutate them.
EVP_PKEY* mutable_key(const EVP_PKEY* key) {
  return const_cast<EVP_PKEY*>(key);
}

EvpPkeyPtr share(const EvpPkeyPtr& key) {
  if (!key) return nullptr;
  if (EVP_PKEY_up_ref(key.get()) != 1) throw std::runtime_error("EVP_PKEY_up_ref failed");
  return EvpPkeyPtr(key.get());
}

std::string raw_public(const EVP_PKEY* key) {
  std::string out(kRawKeyBytes, '\0');
  std::size_t length = out.size();
  if (EVP_PKEY_get_raw_public_key(key, reinterpret_cast<unsigned char*>(out.data()), &length) !=
          1 ||
      length != kRawKeyBytes) {
    throw std::runtime_error("cannot export Ed25519 public key");
  }
  return out;
}

std::string raw_private(const EVP_PKEY* key) {
  std::string out(kRawKeyBytes, '\0');
  std::size_t length = out.size();
  if (EVP_PKEY_get_raw_private_key(key, reinterpret_cast<unsigned char*>(out.data()), &length) !=
          1 ||
      length != kRawKeyBytes) {
    OPENSSL_cleanse(out.data(), out.size());
    throw std::runtime_error("cannot export Ed25519 private key");
  }
  return out;
}

EvpPkeyPtr public_only(const EVP_PKEY* key) {
  const std::string raw = raw_public(key);
  EvpPkeyPtr out(EVP_PKEY_new_raw_public_key(
      EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(raw.data()), raw.size()));
  if (!out) throw std::runtime_error("cannot create Ed25519 public key");
  return out;
}

int64_t to_unix(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

std::chrono::system_clock::time_point from_unix(int64_t seconds) {
  return std::chrono::system_clock::time_point(std::chrono::seconds(seconds));
}

// The member `key` of `object`, or nullptr (const operator[] on a missing key
// is undefined behaviour in nlohmann::json).
const nlohmann::json* member(const nlohmann::json& object, const char* key) {
  if (!object.is_object()) return nullptr;
  const auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

// Wipes a string holding key material on scope exit.
class Cleanse {
 public:
  explicit Cleanse(std::string& text) : text_(text) {}
  Cleanse(const Cleanse&) = delete;
  Cleanse& operator=(const Cleanse&) = delete;
  ~Cleanse() { OPENSSL_cleanse(text_.data(), text_.size()); }

 private:
  std::string& text_;
};

}  // namespace

void EvpPkeyDeleter::operator()(EVP_PKEY* key) const noexcept {
  EVP_PKEY_free(key);
}

bool is_valid_kid(std::string_view kid) {
  if (!kid.starts_with("k-")) return false;
  const std::string_view rest = kid.substr(2);
  if (rest.empty() || rest.size() > 64) return false;
  return std::ranges::all_of(rest, [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
  });
}

SigningKey::SigningKey(const SigningKey& other)
    : kid(other.kid),
      private_key(share(other.private_key)),
      public_key(share(other.public_key)),
      retire_after(other.retire_after) {}

SigningKey& SigningKey::operator=(const SigningKey& other) {
  if (this != &other) {
    SigningKey copy(other);
    *this = std::move(copy);
  }
  return *this;
}

SigningKey SigningKey::from_public(std::string kid, std::string_view raw_public_key) {
  if (raw_public_key.size() != kRawKeyBytes) {
    throw std::invalid_argument("Ed25519 public key must be 32 bytes");
  }
  SigningKey key;
  key.kid = std::move(kid);
  key.public_key.reset(EVP_PKEY_new_raw_public_key(
      EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(raw_public_key.data()),
      raw_public_key.size()));
  if (!key.public_key) throw std::invalid_argument("invalid Ed25519 public key");
  return key;
}

SigningKey SigningKey::from_private(std::string kid, std::string_view raw_seed) {
  if (raw_seed.size() != kRawKeyBytes) {
    throw std::invalid_argument("Ed25519 private key must be 32 bytes");
  }
  SigningKey key;
  key.kid = std::move(kid);
  key.private_key.reset(EVP_PKEY_new_raw_private_key(
      EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(raw_seed.data()),
      raw_seed.size()));
  if (!key.private_key) throw std::invalid_argument("invalid Ed25519 private key");
  key.public_key = public_only(key.private_key.get());
  return key;
}

std::string SigningKey::raw_public_key() const {
  if (!public_key) throw std::logic_error("signing key has no public key");
  return raw_public(public_key.get());
}

SigningKeyRing::SigningKeyRing(SigningKeyRing&& other) noexcept {
  const std::unique_lock lock(other.mutex_);
  keys_ = std::move(other.keys_);
  current_kid_ = std::move(other.current_kid_);
  other.keys_.clear();
  other.current_kid_.clear();
}

SigningKeyRing& SigningKeyRing::operator=(SigningKeyRing&& other) noexcept {
  if (this != &other) {
    const std::scoped_lock lock(mutex_, other.mutex_);
    keys_ = std::move(other.keys_);
    current_kid_ = std::move(other.current_kid_);
    other.keys_.clear();
    other.current_kid_.clear();
  }
  return *this;
}

SigningKey SigningKeyRing::generate() {
  std::string seed = random_bytes(kRawKeyBytes);
  const Cleanse wipe(seed);
  return SigningKey::from_private("k-" + base64url_encode(random_bytes(kKidRandomBytes)), seed);
}

void SigningKeyRing::add(SigningKey key, bool make_current) {
  if (!is_valid_kid(key.kid)) throw std::invalid_argument("invalid kid");
  if (!key.public_key) {
    if (!key.private_key) throw std::invalid_argument("signing key has no key material");
    key.public_key = public_only(key.private_key.get());
  }
  if (make_current && !key.private_key) {
    throw std::invalid_argument("the current key needs a private key");
  }
  const std::unique_lock lock(mutex_);
  if (keys_.contains(key.kid)) throw std::invalid_argument("duplicate kid");
  std::string kid = key.kid;
  if (make_current && !current_kid_.empty()) {
    // Only one key may sign at a time: the demoted key keeps its public half.
    keys_.at(current_kid_).private_key.reset();
  }
  keys_.emplace(kid, std::move(key));
  if (make_current) current_kid_ = std::move(kid);
}

std::string SigningKeyRing::rotate(time_point accept_previous_until) {
  SigningKey fresh = generate();  // outside the lock: key generation is the slow part
  std::string kid = fresh.kid;
  const std::unique_lock lock(mutex_);
  while (keys_.contains(kid)) {  // 72 random bits: practically never, but never silently
    fresh = generate();
    kid = fresh.kid;
  }
  if (!current_kid_.empty()) {
    SigningKey& previous = keys_.at(current_kid_);
    previous.private_key.reset();
    previous.retire_after = accept_previous_until;
  }
  keys_.emplace(kid, std::move(fresh));
  current_kid_ = kid;
  return kid;
}

void SigningKeyRing::prune_retired(time_point now) {
  const std::unique_lock lock(mutex_);
  std::erase_if(keys_, [&](const auto& entry) {
    return entry.first != current_kid_ && entry.second.retire_after &&
           *entry.second.retire_after <= now;
  });
}

SigningKey SigningKeyRing::current() const {
  const std::shared_lock lock(mutex_);
  if (current_kid_.empty()) throw std::logic_error("the signing key ring has no current key");
  return keys_.at(current_kid_);
}

const SigningKey* SigningKeyRing::find_locked(std::string_view kid, time_point now) const {
  if (!is_valid_kid(kid)) return nullptr;
  const auto it = keys_.find(kid);
  if (it == keys_.end()) return nullptr;
  if (it->second.retire_after && now >= *it->second.retire_after) return nullptr;
  return &it->second;
}

const EVP_PKEY* SigningKeyRing::find_public(std::string_view kid, time_point now) const {
  const std::shared_lock lock(mutex_);
  const SigningKey* key = find_locked(kid, now);
  return key != nullptr ? key->public_key.get() : nullptr;
}

SigningKeyRing::VerifyStatus SigningKeyRing::verify(std::string_view kid, std::string_view data,
                                                    std::string_view signature,
                                                    time_point now) const {
  EvpPkeyPtr public_key;
  {
    // Hold the reader lock only for the lookup: glibc's rwlock prefers
    // readers, so long read sections could starve rotate() under load.
    const std::shared_lock lock(mutex_);
    const SigningKey* key = find_locked(kid, now);
    if (key == nullptr) return VerifyStatus::unknown_key;
    public_key = share(key->public_key);
  }
  return ed25519_verify(public_key.get(), data, signature) ? VerifyStatus::ok
                                                           : VerifyStatus::bad_signature;
}

std::string SigningKeyRing::to_json() const {
  const std::shared_lock lock(mutex_);
  nlohmann::json keys = nlohmann::json::array();
  for (const auto& [kid, key] : keys_) {
    nlohmann::json entry{{"kid", kid}};
    if (key.private_key) {
      std::string seed = raw_private(key.private_key.get());
      const Cleanse wipe(seed);
      entry["private"] = base64url_encode(seed);
    } else {
      entry["public"] = base64url_encode(raw_public(key.public_key.get()));
    }
    if (key.retire_after) entry["retire_after"] = to_unix(*key.retire_after);
    keys.push_back(std::move(entry));
  }
  return nlohmann::json{{"version", 1}, {"current", current_kid_}, {"keys", std::move(keys)}}
      .dump();
}

SigningKeyRing SigningKeyRing::from_json(std::string_view json) {
  const nlohmann::json doc = nlohmann::json::parse(json, nullptr, false);
  const nlohmann::json* version = member(doc, "version");
  const nlohmann::json* current = member(doc, "current");
  const nlohmann::json* keys = member(doc, "keys");
  if (version == nullptr || *version != 1 || current == nullptr || !current->is_string() ||
      keys == nullptr || !keys->is_array()) {
    throw std::invalid_argument("signing key ring: not a version 1 key ring document");
  }
  SigningKeyRing ring;
  for (const nlohmann::json& entry : *keys) {
    const nlohmann::json* kid = member(entry, "kid");
    const nlohmann::json* seed_text = member(entry, "private");
    const nlohmann::json* public_text = member(entry, "public");
    const nlohmann::json* retire = member(entry, "retire_after");
    if (kid == nullptr || !kid->is_string()) {
      throw std::invalid_argument("signing key ring: key without kid");
    }
    SigningKey key;
    if (seed_text != nullptr && seed_text->is_string()) {
      std::string seed = base64url_decode(seed_text->get<std::string>());
      const Cleanse wipe(seed);
      key = SigningKey::from_private(kid->get<std::string>(), seed);
    } else if (public_text != nullptr && public_text->is_string()) {
      key = SigningKey::from_public(kid->get<std::string>(),
                                    base64url_decode(public_text->get<std::string>()));
    } else {
      throw std::invalid_argument("signing key ring: key without key material");
    }
    if (retire != nullptr) {
      // Bounded so the conversion to system_clock's nanoseconds cannot overflow.
      constexpr int64_t kLatest =
          std::chrono::duration_cast<std::chrono::seconds>(
              std::chrono::system_clock::time_point::max().time_since_epoch())
              .count();
      if (!retire->is_number_integer() || retire->get<double>() < 0 ||
          retire->get<double>() >= static_cast<double>(kLatest)) {
        throw std::invalid_argument("signing key ring: retire_after out of range");
      }
      key.retire_after = from_unix(retire->get<int64_t>());
    }
    // Only the current key may keep its private half (see add()).
    const bool is_current = *kid == *current;
    if (!is_current) key.private_key.reset();
    ring.add(std::move(key), is_current);
  }
  if (ring.current_kid_.empty()) throw std::invalid_argument("signing key ring: no current key");
  return ring;
}

std::size_t SigningKeyRing::size() const {
  const std::shared_lock lock(mutex_);
  return keys_.size();
}

std::string ed25519_sign(const EVP_PKEY* private_key, std::string_view data) {
  const MdCtxPtr ctx(EVP_MD_CTX_new());
  std::string signature(kSignatureBytes, '\0');
  std::size_t length = signature.size();
  // Ed25519 is a "pure" signature: no separate digest, hence the NULL md.
  if (!ctx ||
      EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, mutable_key(private_key)) != 1 ||
      EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &length,
                     reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1 ||
      length != kSignatureBytes) {
    throw std::runtime_error("Ed25519 signing failed");
  }
  return signature;
}

bool ed25519_verify(const EVP_PKEY* public_key, std::string_view data,
                    std::string_view signature) noexcept {
  if (public_key == nullptr || signature.size() != kSignatureBytes) return false;
  const MdCtxPtr ctx(EVP_MD_CTX_new());
  const bool ok =
      ctx &&
      EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, mutable_key(public_key)) == 1 &&
      EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                       signature.size(), reinterpret_cast<const unsigned char*>(data.data()),
                       data.size()) == 1;
  if (!ok) ERR_clear_error();  // a forged token must not leave errors for the next caller
  return ok;
}

}  // namespace fk::identity
