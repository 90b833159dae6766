#pragma once
// Versioned SQL migrations, applied in order as the owner role, each in its
// own transaction and recorded with its SHA-256. The set applied to a
// database must be a prefix of the set the binary carries, byte for byte:
// a changed or missing applied migration stops the start. A session-level
// advisory lock keeps two kernels starting at once from both migrating.

#include "db/embedded_migrations.hpp"

#include <functional>
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

// Runs inside each migration's transaction, before and after its SQL; a
// throw from `after` rolls the migration back (plugins: catalog checks).
struct MigrationHooks {
  std::function<void(pqxx::transaction_base&)> before;
  std::function<void(pqxx::transaction_base&, const MigrationSource&)> after;
};

class Migrator {
 public:
  // `component` namespaces the records ("kernel", or a plugin's name).
  Migrator(std::string owner_url, std::string component, std::vector<MigrationSource> migrations,
           MigrationHooks hooks = {});

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
  MigrationHooks hooks_;
};

}  // namespace fk::db
