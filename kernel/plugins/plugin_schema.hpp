#pragma once
// A plugin's SQL migrations, run as the owner role like the kernel's (with
// checksums and drift refusal, component = plugin name), and the tenancy
// rules every table they create must follow (docs/architecture.md): a
// tenant_id column leading the primary key, row-level security enabled and
// forced, a policy with USING and WITH CHECK. A migration whose tables break
// a rule is rolled back and the plugin refused, naming the table.

#include "db/embedded_migrations.hpp"

#include <pqxx/pqxx>

#include <string>
#include <vector>

namespace fk::plugins {

// Applies what is pending, recording the tables each migration created in
// fk_plugin_tables; then re-verifies every table the plugin ever created (a
// later migration may have weakened an earlier table). Throws
// db::MigrationError naming the plugin, the migration and the table.
void migrate_plugin(const std::string& owner_url, const std::string& plugin,
                    const std::vector<db::MigrationSource>& migrations);

// Empty if `table` follows the tenancy rules, else what it breaks.
std::string tenancy_violation(pqxx::transaction_base& tx, const std::string& table);

}  // namespace fk::plugins
