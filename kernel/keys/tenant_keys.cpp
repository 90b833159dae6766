#include "keys/tenant_keys.hpp"

#include "identity/secure_random.hpp"
#include "keys/aead.hpp"
#include "keys/ciphertext.hpp"
#include "log/json_log.hpp"

#include <optional>
#include <vector>

namespace fk::keys {

namespace {

// Associated data of wrapped keys: a wrapped key copied to another tenant or
// version (or the index key passed off as a data key) does not unwrap.
std::string key_aad(const std::string& tenant_id, int version) {
  return version == 0 ? "fk.index-key|" + tenant_id
                      : "fk.dek|" + tenant_id + "|" + std::to_string(version);
}

// Key row columns, aliased the same way for data keys and the index key.
constexpr const char* kDataKeyColumns =
    "k.version, k.wrapped_key, k.master_key_id, k.created_at::text AS created_at";

}  // namespace

TenantKeyService::TenantKeyService(std::shared_ptr<MasterKeyProvider> master,
                                   std::int64_t rotate_after)
    : master_(std::move(master)), rotate_after_(rotate_after) {
  if (!master_) throw KeyError("TenantKeyService needs a master key provider");
  if (rotate_after_ < 1) throw KeyError("rotate_after must be positive");
}

TenantKeyService::~TenantKeyService() {
  for (auto& entry : cache_) wipe(entry.second.key);
}

void TenantKeyService::require_tenant_context(pqxx::transaction_base& tx,
                                              const std::string& tenant_id) const {
  const auto row =
      tx.exec_params1("SELECT coalesce(fk_current_tenant()::text = $1, false)", tenant_id);
  if (!row[0].as<bool>()) {
    throw KeyError("transaction is not scoped to tenant " + tenant_id +
                   " (set fk.tenant_id, e.g. through db::TenantTransaction, and pass the id as "
                   "a canonical lower-case UUID: it is bound into every ciphertext)");
  }
}

std::string TenantKeyService::insert_data_key(pqxx::transaction_base& tx,
                                              const std::string& tenant_id, int version) {
  auto key = identity::random_bytes(kKeyBytes);
  const auto wrapped = master_->wrap(key, key_aad(tenant_id, version));
  wipe(key);  // cached on first use, after the row exists
  tx.exec_params(
      "INSERT INTO tenant_data_keys (tenant_id, version, wrapped_key, master_key_id) "
      "VALUES ($1, $2, $3, $4)",
      tenant_id, version, wrapped, master_->key_id());
  return wrapped;
}

void TenantKeyService::ensure_keys(pqxx::transaction_base& tx, const std::string& tenant_id) {
  require_tenant_context(tx, tenant_id);
  if (!tx.exec_params("SELECT 1 FROM tenant_key_state WHERE tenant_id = $1", tenant_id).empty()) {
    return;
  }
  auto index_key = identity::random_bytes(kKeyBytes);
  const auto wrapped_index = master_->wrap(index_key, key_aad(tenant_id, 0));
  wipe(index_key);
  // ON CONFLICT: a concurrent first use created the keys; use theirs.
  const auto created = tx.exec_params(
      "INSERT INTO tenant_key_state (tenant_id, current_version, wrapped_index_key, "
      "index_master_key_id) VALUES ($1, 1, $2, $3) ON CONFLICT (tenant_id) DO NOTHING "
      "RETURNING 1",
      tenant_id, wrapped_index, master_->key_id());
  if (!created.empty()) insert_data_key(tx, tenant_id, 1);
}

std::string TenantKeyService::unwrap_cached(const std::string& tenant_id, int version,
                                            const pqxx::row& row) {
  const auto created_at = row["created_at"].as<std::string>();
  const auto cache_key = std::make_pair(tenant_id, version);
  {
    std::lock_guard lock(mutex_);
    const auto found = cache_.find(cache_key);
    if (found != cache_.end() && found->second.created_at == created_at) {
      return found->second.key;
    }
  }
  const auto master_key_id = row["master_key_id"].as<std::string>();
  if (master_key_id != master_->key_id()) {
    throw KeyError("key " + std::to_string(version) + " of tenant " + tenant_id +
                   " is wrapped by master key " + master_key_id + ", but the loaded one is " +
                   master_->key_id());
  }
  std::string key;
  try {
    key = master_->unwrap(row["wrapped_key"].as<std::string>(), key_aad(tenant_id, version));
  } catch (const TamperedCiphertext&) {
    // The key row itself was altered or copied from another tenant/version.
    log::warn("security: wrapped key failed authentication", {{"event", "tampered_wrapped_key"},
                                                              {"tenantId", tenant_id},
                                                              {"keyVersion", version},
                                                              {"masterKeyId", master_key_id}});
    throw;
  }
  std::lock_guard lock(mutex_);
  auto& slot = cache_[cache_key];
  wipe(slot.key);
  slot = CachedKey{created_at, key};
  return key;
}

std::string TenantKeyService::encrypt(pqxx::transaction_base& tx, const std::string& tenant_id,
                                      std::string_view purpose, std::string_view plaintext) {
  ensure_keys(tx, tenant_id);
  for (int attempt = 0;; ++attempt) {
    // Counting the message before using the key: a crash can only over-count.
    // The row lock this takes serialises encrypting transactions of one
    // tenant until they end (docs/keys.md, "Limits").
    const auto row = tx.exec_params1(
        std::string("UPDATE tenant_data_keys k SET usage_count = k.usage_count + 1 "
                    "FROM tenant_key_state s WHERE s.tenant_id = $1 AND k.tenant_id = s.tenant_id "
                    "AND k.version = s.current_version RETURNING k.usage_count, ") +
            kDataKeyColumns,
        tenant_id);
    if (row["usage_count"].as<std::int64_t>() > rotate_after_ && attempt == 0) {
      const int next = rotate(tx, tenant_id);
      log::info("data key rotated at its message limit",
                {{"tenantId", tenant_id}, {"version", next}});
      continue;
    }
    const int version = row["version"].as<int>();
    auto key = unwrap_cached(tenant_id, version, row);
    Ciphertext c;
    c.version = version;
    c.nonce = identity::random_bytes(kNonceBytes);
    c.sealed = gcm_seal(key, c.nonce, field_aad(tenant_id, version, purpose), plaintext);
    wipe(key);
    return format_ciphertext(c);
  }
}

std::string TenantKeyService::decrypt(pqxx::transaction_base& tx, const std::string& tenant_id,
                                      std::string_view purpose, std::string_view ciphertext) {
  const auto c = parse_ciphertext(ciphertext);
  require_tenant_context(tx, tenant_id);
  const auto rows =
      tx.exec_params(std::string("SELECT s.min_decrypt_version, ") + kDataKeyColumns +
                         " FROM tenant_key_state s LEFT JOIN tenant_data_keys k"
                         " ON k.tenant_id = s.tenant_id AND k.version = $2 WHERE s.tenant_id = $1",
                     tenant_id, c.version);
  if (rows.empty() || rows[0]["version"].is_null()) {
    throw KeyNotFound("tenant " + tenant_id + " has no key version " + std::to_string(c.version));
  }
  if (c.version < rows[0]["min_decrypt_version"].as<int>()) {
    throw RetiredKeyVersion("key version " + std::to_string(c.version) + " of tenant " + tenant_id +
                            " is retired");
  }
  auto key = unwrap_cached(tenant_id, c.version, rows[0]);
  auto plaintext = gcm_open(key, c.nonce, field_aad(tenant_id, c.version, purpose), c.sealed);
  wipe(key);
  if (!plaintext) {
    // Wrong tenant, row or column, or altered bytes: someone moved or edited
    // stored ciphertext. The plaintext and ciphertext are not logged.
    log::warn("security: ciphertext failed authentication", {{"event", "tampered_ciphertext"},
                                                             {"tenantId", tenant_id},
                                                             {"purpose", std::string(purpose)},
                                                             {"keyVersion", c.version}});
    throw TamperedCiphertext("ciphertext does not authenticate for this tenant and purpose");
  }
  return std::move(*plaintext);
}

std::string TenantKeyService::index_key(pqxx::transaction_base& tx, const std::string& tenant_id) {
  ensure_keys(tx, tenant_id);
  const auto row = tx.exec_params1(
      "SELECT wrapped_index_key AS wrapped_key, index_master_key_id AS master_key_id, "
      "created_at::text AS created_at FROM tenant_key_state WHERE tenant_id = $1",
      tenant_id);
  return unwrap_cached(tenant_id, 0, row);
}

std::string TenantKeyService::blind_index(pqxx::transaction_base& tx, const std::string& tenant_id,
                                          std::string_view purpose, std::string_view value) {
  auto key = index_key(tx, tenant_id);
  // Length-prefixed purpose: ("a", "bc") and ("ab", "c") never collide.
  std::string message = "fkbi1|" + std::to_string(purpose.size()) + "|";
  message.append(purpose).append(value);
  const auto mac = hmac_sha256(key, message);
  wipe(key);
  wipe(message);
  return identity::base64url_encode(mac);
}

int TenantKeyService::rotate(pqxx::transaction_base& tx, const std::string& tenant_id) {
  ensure_keys(tx, tenant_id);
  // FOR UPDATE: concurrent rotations queue instead of racing for one version.
  const int next = tx.exec_params1(
                         "SELECT current_version FROM tenant_key_state "
                         "WHERE tenant_id = $1 FOR UPDATE",
                         tenant_id)[0]
                       .as<int>() +
                   1;
  insert_data_key(tx, tenant_id, next);
  tx.exec_params(
      "UPDATE tenant_key_state SET current_version = $2, updated_at = now() WHERE tenant_id = $1",
      tenant_id, next);
  return next;
}

void TenantKeyService::retire_below(pqxx::transaction_base& tx, const std::string& tenant_id,
                                    int min_version) {
  ensure_keys(tx, tenant_id);
  const auto current = tx.exec_params1(
                             "SELECT current_version FROM tenant_key_state "
                             "WHERE tenant_id = $1 FOR UPDATE",
                             tenant_id)[0]
                           .as<int>();
  if (min_version < 1 || min_version > current) {
    throw KeyError("cannot retire below version " + std::to_string(min_version) +
                   ": the current version is " + std::to_string(current));
  }
  // GREATEST: retiring is one-way; a lower value never revives old keys.
  tx.exec_params(
      "UPDATE tenant_key_state SET min_decrypt_version = GREATEST(min_decrypt_version, $2), "
      "updated_at = now() WHERE tenant_id = $1",
      tenant_id, min_version);
}

KeyStatus TenantKeyService::status(pqxx::transaction_base& tx, const std::string& tenant_id) {
  require_tenant_context(tx, tenant_id);
  const auto rows = tx.exec_params(
      "SELECT s.current_version, s.min_decrypt_version, k.usage_count FROM tenant_key_state s "
      "JOIN tenant_data_keys k ON k.tenant_id = s.tenant_id AND k.version = s.current_version "
      "WHERE s.tenant_id = $1",
      tenant_id);
  KeyStatus result;
  if (rows.empty()) return result;
  result.current_version = rows[0][0].as<int>();
  result.min_decrypt_version = rows[0][1].as<int>();
  result.current_usage = rows[0][2].as<std::int64_t>();
  return result;
}

std::size_t TenantKeyService::rewrap(pqxx::transaction_base& tx, const std::string& tenant_id,
                                     const MasterKeyProvider& next) {
  require_tenant_context(tx, tenant_id);
  std::size_t count = 0;
  const auto rewrap_one = [&](int version, const std::string& wrapped,
                              const std::string& master_key_id) -> std::optional<std::string> {
    if (master_key_id == next.key_id()) return std::nullopt;  // done by an earlier run
    if (master_key_id != master_->key_id()) {
      throw KeyError("key " + std::to_string(version) + " of tenant " + tenant_id +
                     " is wrapped by unknown master key " + master_key_id);
    }
    auto key = master_->unwrap(wrapped, key_aad(tenant_id, version));
    auto rewrapped = next.wrap(key, key_aad(tenant_id, version));
    wipe(key);
    ++count;
    return rewrapped;
  };
  const auto state = tx.exec_params(
      "SELECT wrapped_index_key, index_master_key_id FROM tenant_key_state WHERE tenant_id = $1 "
      "FOR UPDATE",
      tenant_id);
  if (state.empty()) return 0;
  if (auto wrapped = rewrap_one(0, state[0][0].as<std::string>(), state[0][1].as<std::string>())) {
    tx.exec_params(
        "UPDATE tenant_key_state SET wrapped_index_key = $2, index_master_key_id = $3 "
        "WHERE tenant_id = $1",
        tenant_id, *wrapped, next.key_id());
  }
  for (const auto& row : tx.exec_params("SELECT version, wrapped_key, master_key_id FROM "
                                        "tenant_data_keys WHERE tenant_id = $1 FOR UPDATE",
                                        tenant_id)) {
    const int version = row[0].as<int>();
    if (auto wrapped = rewrap_one(version, row[1].as<std::string>(), row[2].as<std::string>())) {
      tx.exec_params(
          "UPDATE tenant_data_keys SET wrapped_key = $3, master_key_id = $4 "
          "WHERE tenant_id = $1 AND version = $2",
          tenant_id, version, *wrapped, next.key_id());
    }
  }
  return count;
}

TenantKeyService::RewrapReport TenantKeyService::rewrap_all(pqxx::connection& owner,
                                                            const MasterKeyProvider& next) {
  std::vector<std::string> tenants;
  {
    pqxx::read_transaction list(owner);
    for (const auto& row : list.exec("SELECT id::text FROM tenants ORDER BY id")) {
      tenants.push_back(row[0].as<std::string>());
    }
  }
  RewrapReport report;
  for (const auto& tenant_id : tenants) {
    ++report.tenants;
    try {
      pqxx::work tx(owner);
      tx.exec_params("SELECT set_config('fk.tenant_id', $1, true)", tenant_id);
      const auto count = rewrap(tx, tenant_id, next);
      tx.commit();  // per tenant: a later failure leaves earlier tenants done
      report.keys += count;
    } catch (const KeyError& e) {
      log::error("master key rewrap failed for tenant",
                 {{"tenantId", tenant_id}, {"error", e.what()}});
      report.failed.push_back(tenant_id);
    }
  }
  log::info("master key rewrap finished", {{"tenants", report.tenants},
                                           {"keys", report.keys},
                                           {"failed", report.failed.size()},
                                           {"masterKeyId", next.key_id()}});
  return report;
}

void shred_tenant_keys(pqxx::transaction_base& tx, const std::string& tenant_id) {
  tx.exec_params("DELETE FROM tenant_data_keys WHERE tenant_id = $1", tenant_id);
  tx.exec_params("DELETE FROM tenant_key_state WHERE tenant_id = $1", tenant_id);
  log::info("tenant keys shredded", {{"tenantId", tenant_id}});
}

void TenantKeyService::shred(pqxx::transaction_base& tx, const std::string& tenant_id) {
  require_tenant_context(tx, tenant_id);
  shred_tenant_keys(tx, tenant_id);
  forget(tenant_id);
}

std::size_t TenantKeyService::cached_keys(const std::string& tenant_id) {
  std::lock_guard lock(mutex_);
  std::size_t count = 0;
  for (const auto& entry : cache_) count += entry.first.first == tenant_id ? 1 : 0;
  return count;
}

void TenantKeyService::forget(const std::string& tenant_id) {
  std::lock_guard lock(mutex_);
  for (auto it = cache_.begin(); it != cache_.end();) {
    if (it->first.first == tenant_id) {
      wipe(it->second.key);
      it = cache_.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace fk::keys
