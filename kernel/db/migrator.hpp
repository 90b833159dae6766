#pragma once
// Versioned SQL migrations, applied in order as the owner role, each in its
// own transaction and recorded with its SHA-256. The set applied to a
// database must be a prefix of the set the binary carries, byte for byte:
// a changed or missing applied migration stops the start. A session-level
// advisory lock keeps two kernels starting at once from both migrating.

#include "db/embedded_migrations.hpp"

#include <stdexcept>
#include <string>
#include <vector>

namespace pqxx {
class transaction_base;
}

namespace fk::db {

class MigrationError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct MigrationReport {
  std::vector<std::string> applied;  // names applied by this run
  std::size_t already_applied = 0;
};

class Migrator {
 public:
  // `component` namespaces the records ("kernel"; later one per plugin).
  Migrator(std::string owner_url, std::string component, std::vector<MigrationSource> migrations);

  // Applies what is pending; throws MigrationError on drift or a failed script.
  MigrationReport migrate();

  // True when every migration is applied and unchanged (read-only check,
  // allowed to the runtime role). Throws on a database error.
  static bool is_current(pqxx::transaction_base& tx, const std::string& component,
                         const std::vector<MigrationSource>& migrations);

 private:
  std::string owner_url_;
  std::string component_;
  std::vector<MigrationSource> migrations_;
};

}  // namespace fk::db
