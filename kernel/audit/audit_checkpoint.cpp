#include "audit/audit_checkpoint.hpp"

#include "audit/audit_verify.hpp"
#include "audit/canonical.hpp"
#include "identity/secure_random.hpp"

#include <stdexcept>

namespace fk::audit {

std::vector<Checkpoint> read_checkpoints(pqxx::transaction_base& tx, const std::string& tenant_id) {
  std::vector<Checkpoint> checkpoints;
  const auto rows = tx.exec_params(
      "SELECT seq, hash, (extract(epoch FROM signed_at) * 1000000)::bigint, key_id, signature "
      "FROM audit_checkpoints WHERE tenant_id = $1::uuid ORDER BY seq, signed_at, key_id",
      tenant_id);
  for (const auto& row : rows) {
    checkpoints.push_back({tenant_id, row[0].as<std::int64_t>(), row[1].as<std::string>(),
                           format_timestamp(row[2].as<std::int64_t>()), row[3].as<std::string>(),
                           row[4].as<std::string>()});
  }
  return checkpoints;
}

bool checkpoint_signature_valid(const Checkpoint& checkpoint, const identity::SigningKey& key) {
  if (checkpoint.key_id != key.kid || !key.public_key) return false;
  std::string signature;
  try {
    signature = identity::base64url_decode(checkpoint.signature);
  } catch (const std::exception&) {
    return false;
  }
  return identity::ed25519_verify(
      key.public_key.get(),
      checkpoint_message(checkpoint.tenant_id, checkpoint.seq, checkpoint.hash,
                         checkpoint.signed_at, checkpoint.key_id),
      signature);
}

Checkpoint sign_checkpoint(const std::string& url, const std::string& tenant_id,
                           const identity::SigningKey& key) {
  if (!key.private_key) throw std::invalid_argument("the audit key has no private part");
  // Sign what was verified, not whatever the head is by the time we insert.
  const auto report = verify(url, tenant_id, {key});
  if (!report.ok()) {
    throw std::runtime_error("audit chain of " + tenant_id +
                             " does not verify; not signing it: " + report.message);
  }
  Checkpoint checkpoint{tenant_id,        report.head_seq,
                        report.head_hash, format_timestamp(now_microseconds()),
                        key.kid,          {}};
  checkpoint.signature = identity::base64url_encode(identity::ed25519_sign(
      key.private_key.get(), checkpoint_message(tenant_id, checkpoint.seq, checkpoint.hash,
                                                checkpoint.signed_at, checkpoint.key_id)));

  pqxx::connection connection(url);
  pqxx::work tx(connection);
  tx.exec_params("SELECT set_config('fk.tenant_id', $1, true)", tenant_id);
  // Signing an unchanged head twice keeps (and returns) the first signature.
  const auto inserted = tx.exec_params(
      "INSERT INTO audit_checkpoints (tenant_id, seq, hash, signed_at, key_id, signature) "
      "VALUES ($1::uuid, $2, $3, $4::timestamptz, $5, $6) ON CONFLICT DO NOTHING RETURNING 1",
      tenant_id, checkpoint.seq, checkpoint.hash, checkpoint.signed_at, checkpoint.key_id,
      checkpoint.signature);
  if (inserted.empty()) {
    for (auto& existing : read_checkpoints(tx, tenant_id)) {
      if (existing.seq == checkpoint.seq && existing.key_id == checkpoint.key_id) {
        checkpoint = std::move(existing);
      }
    }
  }
  tx.commit();
  return checkpoint;
}

}  // namespace fk::audit
