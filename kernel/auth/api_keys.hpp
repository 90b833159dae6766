#pragma once
// API keys for machine clients: created by a user holding tenant:api-keys.write,
// shown once, stored as SHA-256 of the secret part, limited to a subset of the
// creator's permissions (checked at creation and again at every use, so a
// creator who loses a permission takes it from their keys too), expiring and
// revocable.

#include "db/connection_pool.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace pqxx {
class transaction_base;
}

namespace fk::auth {

struct ApiKeyRecord {
  std::string id;
  std::string name;
  std::string created_by;
  std::vector<std::string> permissions;
  std::string expires_at;
  bool revoked = false;
  std::string created_at;
};

struct CreatedApiKey {
  ApiKeyRecord record;
  std::string plaintext;  // shown once
};

// Who a presented key belongs to; nullopt for malformed, unknown, wrong,
// expired or revoked keys. Key text: fk_<tenant id as 32 hex>_<lookup id>.<secret>.
struct ApiKeyIdentity {
  std::string tenant_id;
  std::string key_id;
  std::string created_by;
  std::vector<std::string> permissions;
};
std::optional<ApiKeyIdentity> resolve_api_key(db::ConnectionPool& pool,
                                              const std::string& presented);

// `granted` is what the creator holds now; every requested permission must be in it.
// Throws UserInputError naming the field.
CreatedApiKey create_api_key(pqxx::transaction_base& tx, const std::string& creator_id,
                             const std::vector<std::string>& granted, const std::string& name,
                             const std::vector<std::string>& permissions, int expires_in_days);
std::vector<ApiKeyRecord> list_api_keys(pqxx::transaction_base& tx);
// False if no such key in this tenant.
bool revoke_api_key(pqxx::transaction_base& tx, const std::string& key_id);

}  // namespace fk::auth
