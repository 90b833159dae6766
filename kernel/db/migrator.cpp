#include "db/migrator.hpp"

#include "db/roles.hpp"
#include "identity/secure_random.hpp"
#include "log/json_log.hpp"

#include <pqxx/pqxx>

#include <algorithm>

namespace fk::db {

namespace {

// Any constant works as long as every kernel uses the same one.
constexpr long long kMigrationLockKey = 0x464b4d4947524154;  // "FKMIGRAT"

struct AppliedMigration {
  std::string name;
  std::string checksum;
};

std::vector<AppliedMigration> read_applied(pqxx::transaction_base& tx,
                                           const std::string& component) {
  std::vector<AppliedMigration> applied;
  for (const auto& row : tx.exec_params(
           "SELECT name, checksum FROM fk_schema_migrations WHERE component = $1 ORDER BY name",
           component)) {
    applied.push_back({row[0].as<std::string>(), row[1].as<std::string>()});
  }
  return applied;
}

// Throws unless `applied` is a byte-identical prefix of `carried`.
void check_no_drift(const std::string& component, const std::vector<AppliedMigration>& applied,
                    const std::vector<MigrationSource>& carried) {
  for (const auto& record : applied) {
    const auto match = std::find_if(carried.begin(), carried.end(),
                                    [&](const auto& m) { return m.name == record.name; });
    if (match == carried.end()) {
      throw MigrationError("migration \"" + record.name + "\" of component \"" + component +
                           "\" is applied in the database but missing from this kernel. Hint: "
                           "the database was migrated by a newer or different build; run that "
                           "build, or restore a matching backup");
    }
    const std::string actual = identity::sha256_hex(match->sql);
    if (actual != record.checksum) {
      throw MigrationError("migration \"" + record.name + "\" of component \"" + component +
                           "\" was changed after it was applied (recorded sha256 " +
                           record.checksum + ", this build has " + actual +
                           "). Hint: never edit an applied migration; add a new one");
    }
  }
}

}  // namespace

Migrator::Migrator(std::string owner_url, std::string component,
                   std::vector<MigrationSource> migrations, MigrationHooks hooks)
    : owner_url_(std::move(owner_url)),
      component_(std::move(component)),
      migrations_(std::move(migrations)),
      hooks_(std::move(hooks)) {
  std::sort(migrations_.begin(), migrations_.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
}

MigrationReport Migrator::migrate() {
  pqxx::connection connection(owner_url_);
  {
    pqxx::nontransaction session(connection);
    if (session.exec_params("SELECT 1 FROM pg_roles WHERE rolname = $1", kRuntimeRole).empty()) {
      throw MigrationError(std::string("database role \"") + kRuntimeRole +
                           "\" does not exist. Hint: create it as described in "
                           "docs/operations.md before the first start");
    }
    // Held until this connection closes, even if we throw.
    session.exec_params("SELECT pg_advisory_lock($1)", kMigrationLockKey);
    session.exec(
        "CREATE TABLE IF NOT EXISTS fk_schema_migrations ("
        " component text NOT NULL, name text NOT NULL, checksum text NOT NULL,"
        " applied_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (component, name))");
    session.exec(std::string("GRANT SELECT ON fk_schema_migrations TO ") + kRuntimeRole);
  }

  MigrationReport report;
  std::vector<AppliedMigration> applied;
  {
    pqxx::read_transaction tx(connection);
    applied = read_applied(tx, component_);
  }
  check_no_drift(component_, applied, migrations_);
  report.already_applied = applied.size();

  for (const auto& migration : migrations_) {
    const bool done = std::any_of(applied.begin(), applied.end(),
                                  [&](const auto& a) { return a.name == migration.name; });
    if (done) continue;
    try {
      pqxx::work tx(connection);
      if (hooks_.before) hooks_.before(tx);
      tx.exec(migration.sql);
      if (hooks_.after) hooks_.after(tx, migration);
      tx.exec_params(
          "INSERT INTO fk_schema_migrations (component, name, checksum) VALUES ($1, $2, $3)",
          component_, migration.name, identity::sha256_hex(migration.sql));
      tx.commit();
    } catch (const pqxx::sql_error& e) {
      throw MigrationError("migration \"" + migration.name + "\" of component \"" + component_ +
                           "\" failed and was rolled back: " + e.what());
    }
    log::info("migration applied", {{"component", component_}, {"migration", migration.name}});
    report.applied.push_back(migration.name);
  }
  pqxx::nontransaction(connection).exec_params("SELECT pg_advisory_unlock($1)", kMigrationLockKey);
  return report;
}

bool Migrator::is_current(pqxx::transaction_base& tx, const std::string& component,
                          const std::vector<MigrationSource>& migrations) {
  if (tx.exec("SELECT to_regclass('fk_schema_migrations') IS NOT NULL")[0][0].as<bool>() == false) {
    return false;
  }
  const auto applied = read_applied(tx, component);
  if (applied.size() != migrations.size()) return false;
  try {
    check_no_drift(component, applied, migrations);
  } catch (const MigrationError&) {
    return false;
  }
  return true;
}

}  // namespace fk::db
