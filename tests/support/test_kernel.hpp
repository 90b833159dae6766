#pragma once
// The kernel serving in-process on an OS-chosen port against the test
// database, through the same KernelApp `finkernel run` uses.

#include "app/kernel_app.hpp"
#include "config/kernel_config.hpp"

#include <memory>

namespace fk::test {

// dev_mode on (tenants from X-Tenant-Id), port 0, no tenant-status caching.
config::KernelConfig test_config();

class TestKernel {
 public:
  explicit TestKernel(const config::KernelConfig& config = test_config());
  ~TestKernel();
  [[nodiscard]] uint16_t port() const { return app_->port(); }
  app::KernelApp& app() { return *app_; }

 private:
  std::unique_ptr<app::KernelApp> app_;
};

}  // namespace fk::test
