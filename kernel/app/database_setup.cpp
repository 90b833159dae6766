#include "app/database_setup.hpp"

#include "db/embedded_migrations.hpp"
#include "db/migrator.hpp"

namespace fk::app {

Database open_database(const config::KernelConfig& config) {
  Database database;
  if (!config.database.url.empty()) {
    database.owner_url = config.database.url;
    database.runtime_url = config.database.runtime_url;
    return database;
  }
  database.cluster = std::make_unique<db::EmbeddedCluster>(db::EmbeddedClusterOptions{
      config.embedded.data_dir, config.embedded.os_user, db::kDefaultPostgresBinDir, {}});
  database.cluster->start();
  database.owner_url = database.cluster->owner_url();
  database.runtime_url = database.cluster->runtime_url();
  return database;
}

std::size_t migrate_kernel(const std::string& owner_url) {
  db::Migrator migrator(owner_url, "kernel", db::embedded_migrations());
  return migrator.migrate().applied.size();
}

}  // namespace fk::app
