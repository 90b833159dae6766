#include "support/test_kernel.hpp"

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
  static const std::string keys = [] {
    char pattern[] = "/tmp/fk-keys-XXXXXX";
    return std::string(mkdtemp(pattern)) + "/signing-keys.json";
  }();
  config.identity.signing_keys_file = keys;
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
