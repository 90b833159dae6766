#pragma once
// Moves a tenant's ciphertexts in one encrypted column to the newest key
// version, in batches, so old versions can then be retired. The job keeps
// no state of its own: each batch picks rows whose ciphertext is not yet at
// the current version, so it can be stopped anywhere (each batch commits
// with the caller's transaction) and resumed by a new job object.

#include "keys/tenant_keys.hpp"

#include <pqxx/pqxx>

#include <cstddef>
#include <string>

namespace fk::keys {

class ReencryptJob {
 public:
  ReencryptJob(TenantKeyService& keys, EncryptedColumn column, std::string tenant_id);

  // Re-encrypts up to `batch_size` rows in `tx` (scoped to the tenant) and
  // reports progress as of the end of the batch. Rows are locked FOR UPDATE
  // SKIP LOCKED, so a concurrent writer or a second job never waits on or
  // overwrites them; a row written meanwhile at the new version is skipped.
  ReencryptProgress run_batch(pqxx::transaction_base& tx, std::size_t batch_size);

  // Progress without changing anything.
  ReencryptProgress progress(pqxx::transaction_base& tx);

 private:
  TenantKeyService& keys_;
  EncryptedColumn column_;
  std::string tenant_id_;
};

}  // namespace fk::keys
