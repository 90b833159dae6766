#pragma once
// Answers "may this tenant be served now?" for the request pipeline, through
// the runtime role's one permitted window onto the tenants table
// (fk_tenant_status). Answers are cached for a short TTL so a busy tenant
// costs no round trip per request; a suspension takes effect within the TTL.

#include "db/connection_pool.hpp"
#include "tenancy/tenant.hpp"

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace fk::tenancy {

class TenantDirectory {
 public:
  TenantDirectory(db::ConnectionPool& pool, std::chrono::milliseconds cache_ttl);

  // Status of the tenant with this canonical UUID, or nullopt if unknown.
  std::optional<TenantStatus> status(const std::string& tenant_id);
  void forget(const std::string& tenant_id);

 private:
  struct CacheEntry {
    std::optional<TenantStatus> status;
    std::chrono::steady_clock::time_point expires;
  };
  db::ConnectionPool& pool_;
  std::chrono::milliseconds cache_ttl_;
  std::mutex mutex_;
  std::unordered_map<std::string, CacheEntry> cache_;
};

}  // namespace fk::tenancy
