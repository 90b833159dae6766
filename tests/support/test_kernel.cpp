#include "support/test_kernel.hpp"

#include "keys/master_key.hpp"
#include "log/json_log.hpp"
#include "support/test_database.hpp"

#include <cstdlib>
#include <string>

namespace fk::test {

config::KernelConfig test_config() {
  config::KernelConfig config;
  config.dev_mode = true;
  config.http.port = 0;
  config.http.threads = 2;
  config.database.pool_size = 4;
  config.tenancy.status_cache_ttl = std::chrono::milliseconds(0);
  config.identity.policy_dir = std::string(FK_SOURCE_DIR) + "/policies";
  // One signing key file per test process, removed with the test cluster's directory.
  static const std::string dir = [] {
    char pattern[] = "/tmp/fk-keys-XXXXXX";
    return std::string(mkdtemp(pattern));
  }();
  config.identity.signing_keys_file = dir + "/signing-keys.json";
  // A master key (0600) so TOTP secrets can be encrypted per tenant.
  static const std::string master = [] {
    keys::init_master_key_file(dir + "/master.key");
    return dir + "/master.key";
  }();
  config.identity.master_key_file = master;
  return config;
}

TestKernel::TestKernel(const config::KernelConfig& config) {
  log::set_level(log::Level::warn);
  app_ = std::make_unique<app::KernelApp>(config, TestDatabase::instance().runtime_url(),
                                          TestDatabase::instance().owner_url());
  app_->start();
}

TestKernel::~TestKernel() {
  app_->drain_and_stop();
}

}  // namespace fk::test
