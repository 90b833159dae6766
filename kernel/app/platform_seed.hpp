#pragma once
// The first platform administrator: created at the first start of a
// deployment that has none, with a generated password shown once and kept in
// <secrets_dir>/platform-admin.txt (mode 0600).

#include "auth/auth_policy.hpp"
#include "authz/rbac_policy.hpp"

#include <filesystem>
#include <string>

namespace fk::app {

struct SeededPlatformAdmin {
  std::string email;  // empty when an administrator already existed
  std::string password;
  std::filesystem::path secret_file;
};

SeededPlatformAdmin seed_platform_admin(const std::string& owner_url,
                                        const std::filesystem::path& secrets_dir,
                                        const auth::AuthPolicy& policy,
                                        const authz::RbacPolicy& rbac);

// Writes `content` to `file` atomically with mode 0600 (created with it, never wider).
void write_secret_file(const std::filesystem::path& file, const std::string& content);

}  // namespace fk::app
