#pragma once
// What the re-encryption job works on (ReencryptJob,
// TenantKeyService::reencrypt_batch): kept apart so the service header does
// not depend on the job.

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace fk::keys {

// A registered encrypted column: where it lives and how its rows' purpose
// strings are built (the same purpose the writer passed to encrypt).
struct EncryptedColumn {
  std::string table;
  std::string column;
  // Read from each row and handed to `purpose`, in this order.
  std::vector<std::string> key_columns;
  std::function<std::string(const std::vector<std::string>& key_values)> purpose;
};

struct ReencryptProgress {
  std::size_t done = 0;   // non-null values at the current version
  std::size_t total = 0;  // non-null values
  [[nodiscard]] bool finished() const { return done == total; }
};

}  // namespace fk::keys
