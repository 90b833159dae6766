#pragma once
// Declarative tenants (tenants/*.yaml): each file names a tenant by slug,
// with a display name and initial settings. Seeding creates the tenants that
// do not exist yet and leaves existing ones untouched, so it is safe at
// every start and never overwrites what a tenant changed since.
//
//   slug: demo
//   display_name: Demo Bank
//   settings: { display_currency: EUR, timezone: Europe/Berlin }
//   admin_email: admin@demo.example   # optional: a tenant-admin with a generated password
//
// A generated admin password is returned once (for the start-up banner) and
// kept in <secrets_dir>/<slug>-admin.txt with mode 0600.

#include "auth/auth_policy.hpp"
#include "authz/rbac_policy.hpp"

#include <filesystem>
#include <string>
#include <vector>

namespace fk::app {

struct SeededTenant {
  std::string slug;
  std::string id;
  bool created = false;
  std::string admin_email;     // empty if the descriptor names none
  std::string admin_password;  // set only when the admin was created by this call
  std::filesystem::path admin_secret_file;
};

// Throws std::runtime_error naming the file (and line) of a bad descriptor.
std::vector<SeededTenant> seed_tenants(const std::string& owner_url,
                                       const std::filesystem::path& directory,
                                       const std::filesystem::path& secrets_dir,
                                       const auth::AuthPolicy& auth_policy,
                                       const authz::RbacPolicy& rbac);

}  // namespace fk::app
