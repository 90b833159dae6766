#pragma once
// Declarative tenants (tenants/*.yaml): each file names a tenant by slug,
// with a display name and initial settings. Seeding creates the tenants that
// do not exist yet and leaves existing ones untouched, so it is safe at
// every start and never overwrites what a tenant changed since.
//
//   slug: demo
//   display_name: Demo Bank
//   settings: { display_currency: EUR, timezone: Europe/Berlin }

#include <filesystem>
#include <string>
#include <vector>

namespace fk::app {

struct SeededTenant {
  std::string slug;
  std::string id;
  bool created = false;
};

// Throws std::runtime_error naming the file (and line) of a bad descriptor.
std::vector<SeededTenant> seed_tenants(const std::string& owner_url,
                                       const std::filesystem::path& directory);

}  // namespace fk::app
