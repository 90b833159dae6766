#pragma once
// Where the kernel's database is: the server named by database.url (and
// database.runtime_url), or, when none is configured, the private embedded
// cluster under embedded.data_dir, started here if it is not running.

#include "config/kernel_config.hpp"
#include "db/embedded_cluster.hpp"

#include <memory>
#include <string>

namespace fk::app {

struct Database {
  std::string owner_url;                         // migrations, platform administration
  std::string runtime_url;                       // serving requests
  std::unique_ptr<db::EmbeddedCluster> cluster;  // set in embedded mode
};

Database open_database(const config::KernelConfig& config);

// Applies the kernel's migrations; returns how many were applied now.
std::size_t migrate_kernel(const std::string& owner_url);

}  // namespace fk::app
