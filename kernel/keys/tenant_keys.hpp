#pragma once
// Per-tenant encryption of fields (docs/keys.md). Each tenant has versioned
// data keys (DEKs) stored only wrapped by the master key in
// tenant_data_keys, under row-level security. Every call takes the caller's
// transaction, whose fk.tenant_id must be `tenant_id`: the tenant comes from
// the request context, never from a ciphertext.

#include "keys/encrypted_column.hpp"
#include "keys/errors.hpp"
#include "keys/master_key.hpp"

#include <pqxx/pqxx>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fk::keys {

// Random 96-bit nonces: NIST SP 800-38D caps one key at 2^32 messages; the
// service rotates at half that, leaving margin for counts lost to crashes.
inline constexpr std::int64_t kDefaultRotateAfter = std::int64_t{1} << 31;

struct KeyStatus {
  int current_version = 0;
  int min_decrypt_version = 0;
  std::int64_t current_usage = 0;  // messages encrypted under current_version
};

class TenantKeyService {
 public:
  explicit TenantKeyService(std::shared_ptr<MasterKeyProvider> master,
                            std::int64_t rotate_after = kDefaultRotateAfter);
  ~TenantKeyService();
  TenantKeyService(const TenantKeyService&) = delete;
  TenantKeyService& operator=(const TenantKeyService&) = delete;

  // Encrypts under the tenant's current version, creating the tenant's first
  // keys on first use and rotating first if the version reached rotate_after.
  // `purpose` names where the value lives, including the row's key, e.g.
  // "users.totp_secret:<user id>"; decrypt must be given the same purpose.
  std::string encrypt(pqxx::transaction_base& tx, const std::string& tenant_id,
                      std::string_view purpose, std::string_view plaintext);
  // Throws MalformedCiphertext, RetiredKeyVersion, KeyNotFound, or
  // TamperedCiphertext (also logged as a security event).
  std::string decrypt(pqxx::transaction_base& tx, const std::string& tenant_id,
                      std::string_view purpose, std::string_view ciphertext);

  // Deterministic base64url HMAC-SHA256 of `value` under the tenant's index
  // key, for equality lookups of encrypted fields. `purpose` names the column
  // (e.g. "users.email"), not the row, so equal values compare equal.
  std::string blind_index(pqxx::transaction_base& tx, const std::string& tenant_id,
                          std::string_view purpose, std::string_view value);

  // Adds a new current version; older versions still decrypt. Returns it.
  int rotate(pqxx::transaction_base& tx, const std::string& tenant_id);
  // Refuses decryption under versions below `min_version` from now on.
  // Re-encrypt first (ReencryptJob), or those fields become unreadable.
  void retire_below(pqxx::transaction_base& tx, const std::string& tenant_id, int min_version);
  // One batch of re-encryption of `column` to the current version (see
  // ReencryptJob, which this runs); call until the result is finished().
  ReencryptProgress reencrypt_batch(pqxx::transaction_base& tx, const std::string& tenant_id,
                                    const EncryptedColumn& column, std::size_t batch_size);
  [[nodiscard]] KeyStatus status(pqxx::transaction_base& tx, const std::string& tenant_id);

  // Master-key rotation for one tenant: unwraps every key of the tenant with
  // this service's master key and wraps it again with `next`. Data
  // ciphertexts are untouched. Rows already under `next` are skipped, so an
  // interrupted run resumes. Returns the number of keys rewrapped.
  std::size_t rewrap(pqxx::transaction_base& tx, const std::string& tenant_id,
                     const MasterKeyProvider& next);
  // Rewraps every tenant, one committed transaction per tenant, on a
  // connection of the owner role (which can list tenants; RLS still
  // confines each transaction to its tenant). A tenant that fails (e.g. keys
  // under an unknown master key) is rolled back, logged and listed in
  // `failed`; the others go on. Do not destroy the old master key while
  // `failed` is not empty.
  struct RewrapReport {
    std::size_t keys = 0;     // keys rewrapped
    std::size_t tenants = 0;  // tenants visited
    std::vector<std::string> failed;
  };
  RewrapReport rewrap_all(pqxx::connection& owner, const MasterKeyProvider& next);

  // Crypto-shredding: deletes the tenant's key rows and forgets cached keys,
  // so every ciphertext of the tenant becomes undecryptable (see
  // docs/keys.md for what holds against backups taken before).
  void shred(pqxx::transaction_base& tx, const std::string& tenant_id);

  // How many unwrapped keys of `tenant_id` this process holds (diagnostics
  // and tests: shredding must leave none).
  [[nodiscard]] std::size_t cached_keys(const std::string& tenant_id);

 private:
  void require_tenant_context(pqxx::transaction_base& tx, const std::string& tenant_id) const;
  void ensure_keys(pqxx::transaction_base& tx, const std::string& tenant_id);
  std::string insert_data_key(pqxx::transaction_base& tx, const std::string& tenant_id,
                              int version);
  // The plaintext key of a row, from the cache or by unwrapping.
  std::string unwrap_cached(const std::string& tenant_id, int version, const pqxx::row& row);
  std::string index_key(pqxx::transaction_base& tx, const std::string& tenant_id);
  void forget(const std::string& tenant_id);

  std::shared_ptr<MasterKeyProvider> master_;
  std::int64_t rotate_after_;
  std::mutex mutex_;
  // Unwrapped keys by (tenant, version); version 0 is the blind-index key.
  // Each entry remembers its row's created_at, so a key recreated after a
  // shred elsewhere (same tenant and version, new key) is never confused.
  struct CachedKey {
    std::string created_at;
    std::string key;
  };
  std::map<std::pair<std::string, int>, CachedKey> cache_;
};

// Crypto-shredding without a service instance (tenant deletion): deletes the
// tenant's wrapped keys in `tx`, which must carry that tenant's RLS context.
// Processes holding a TenantKeyService must also forget() their cached copy.
void shred_tenant_keys(pqxx::transaction_base& tx, const std::string& tenant_id);

}  // namespace fk::keys
