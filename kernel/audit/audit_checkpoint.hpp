#pragma once
// Signed checkpoints: the platform audit key's Ed25519 signature over a
// chain's (seq, hash) at a moment. The chain alone shows that a record was
// changed; a checkpoint also shows that the tail was cut or the whole chain
// recomputed by someone holding the database but not the key.

#include "identity/signing_key_ring.hpp"

#include <pqxx/pqxx>

#include <cstdint>
#include <string>
#include <vector>

namespace fk::audit {

struct Checkpoint {
  std::string tenant_id;
  std::int64_t seq = 0;  // 0 = the empty chain (hash is the genesis hash)
  std::string hash;
  std::string signed_at;  // RFC 3339, as signed
  std::string key_id;
  std::string signature;  // base64url of the 64-byte Ed25519 signature
};

// Verifies the tenant's chain with `key` (refusing to bless a broken chain,
// std::runtime_error naming the problem), then signs and stores its head.
// `url` is a connection string of a role that may read the chain and insert
// checkpoints (owner or runtime); `tenant_id` may be kPlatformChain.
Checkpoint sign_checkpoint(const std::string& url, const std::string& tenant_id,
                           const identity::SigningKey& key);

// The tenant's checkpoints, oldest first. Filters by tenant_id explicitly, so
// it is also correct in a superuser's transaction, which RLS does not scope.
std::vector<Checkpoint> read_checkpoints(pqxx::transaction_base& tx, const std::string& tenant_id);

// True if the checkpoint's signature verifies with `key` (matching key_id).
bool checkpoint_signature_valid(const Checkpoint& checkpoint, const identity::SigningKey& key);

}  // namespace fk::audit
