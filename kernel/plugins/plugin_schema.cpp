#include "plugins/plugin_schema.hpp"

#include "db/migrator.hpp"

#include <memory>
#include <set>

namespace fk::plugins {
namespace {

// Ordinary and partitioned tables outside the system schemas, by oid.
std::set<std::string> user_tables(pqxx::transaction_base& tx) {
  std::set<std::string> oids;
  for (const auto& row :
       tx.exec("SELECT c.oid::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
               "WHERE c.relkind IN ('r', 'p') "
               "AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')")) {
    oids.insert(row[0].as<std::string>());
  }
  return oids;
}

}  // namespace

std::string tenancy_violation(pqxx::transaction_base& tx, const std::string& table) {
  const auto rows = tx.exec_params(
      "SELECT c.relrowsecurity, c.relforcerowsecurity,"
      "  EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'tenant_id'"
      "          AND a.atttypid = 'uuid'::regtype AND a.attnotnull AND NOT a.attisdropped),"
      "  EXISTS (SELECT 1 FROM pg_constraint k JOIN pg_attribute a"
      "            ON a.attrelid = k.conrelid AND a.attnum = k.conkey[1]"
      "          WHERE k.conrelid = c.oid AND k.contype = 'p' AND a.attname = 'tenant_id'),"
      "  EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid AND p.polcmd = '*'"
      "          AND p.polpermissive AND p.polqual IS NOT NULL AND p.polwithcheck IS NOT NULL"
      "          AND pg_get_expr(p.polqual, c.oid) LIKE '%fk_current_tenant()%'"
      "          AND pg_get_expr(p.polwithcheck, c.oid) LIKE '%fk_current_tenant()%'),"
      "  EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid AND p.polpermissive"
      "          AND (p.polqual IS NULL OR pg_get_expr(p.polqual, c.oid) NOT LIKE "
      "'%fk_current_tenant()%'))"
      " FROM pg_class c WHERE c.oid = $1::regclass",
      table);
  if (rows.empty()) return "table " + table + " does not exist";
  const auto& row = rows[0];
  if (!row[2].as<bool>()) return "table " + table + " has no NOT NULL uuid column tenant_id";
  if (!row[3].as<bool>()) return "table " + table + "'s primary key does not start with tenant_id";
  if (!row[0].as<bool>()) return "table " + table + " does not ENABLE ROW LEVEL SECURITY";
  if (!row[1].as<bool>()) return "table " + table + " does not FORCE ROW LEVEL SECURITY";
  if (!row[4].as<bool>()) {
    return "table " + table +
           " has no policy FOR ALL with USING and WITH CHECK on (SELECT fk_current_tenant())";
  }
  // Permissive policies are OR-ed: one that ignores the tenant opens the table.
  if (row[5].as<bool>()) {
    return "table " + table + " has a permissive policy that does not check fk_current_tenant()";
  }
  return {};
}

void migrate_plugin(const std::string& owner_url, const std::string& plugin,
                    const std::vector<db::MigrationSource>& migrations) {
  auto before = std::make_shared<std::set<std::string>>();
  db::MigrationHooks hooks;
  hooks.before = [before](pqxx::transaction_base& tx) { *before = user_tables(tx); };
  hooks.after = [before, plugin](pqxx::transaction_base& tx, const db::MigrationSource& source) {
    for (const auto& oid : user_tables(tx)) {
      if (before->count(oid) > 0) continue;
      const auto name = tx.exec_params1("SELECT $1::oid::regclass::text", oid)[0].as<std::string>();
      if (auto problem = tenancy_violation(tx, name); !problem.empty()) {
        throw db::MigrationError("plugin " + plugin + " refused: migration " + source.name + ": " +
                                 problem);
      }
      tx.exec_params(
          "INSERT INTO fk_plugin_tables (plugin, table_name, migration) VALUES ($1, $2, $3)",
          plugin, name, source.name);
    }
  };
  db::Migrator(owner_url, plugin, migrations, std::move(hooks)).migrate();

  pqxx::connection connection(owner_url);
  pqxx::read_transaction tx(connection);
  for (const auto& row :
       tx.exec_params("SELECT table_name FROM fk_plugin_tables WHERE plugin = $1", plugin)) {
    const auto name = row[0].as<std::string>();
    if (auto problem = tenancy_violation(tx, name); !problem.empty()) {
      throw db::MigrationError("plugin " + plugin + " refused: " + problem);
    }
  }
}

}  // namespace fk::plugins
