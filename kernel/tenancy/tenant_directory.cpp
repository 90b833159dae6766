#include "tenancy/tenant_directory.hpp"

#include <pqxx/pqxx>

namespace fk::tenancy {

namespace {
// Bounds memory if clients send many distinct (mostly unknown) tenant ids.
constexpr std::size_t kMaxCachedTenants = 100'000;
}  // namespace

TenantDirectory::TenantDirectory(db::ConnectionPool& pool, std::chrono::milliseconds cache_ttl)
    : pool_(pool), cache_ttl_(cache_ttl) {}

std::optional<TenantStatus> TenantDirectory::status(const std::string& tenant_id) {
  const auto now = std::chrono::steady_clock::now();
  if (cache_ttl_.count() > 0) {
    std::lock_guard lock(mutex_);
    if (auto found = cache_.find(tenant_id); found != cache_.end() && found->second.expires > now) {
      return found->second.status;
    }
  }
  auto connection = pool_.acquire();
  std::optional<TenantStatus> status;
  try {
    pqxx::nontransaction tx(connection.get());
    auto rows = tx.exec_params("SELECT fk_tenant_status($1::uuid)", tenant_id);
    if (!rows.empty() && !rows[0][0].is_null()) status = parse_status(rows[0][0].as<std::string>());
  } catch (const pqxx::broken_connection&) {
    connection.mark_broken();
    throw;
  }
  if (cache_ttl_.count() > 0) {
    std::lock_guard lock(mutex_);
    if (cache_.size() >= kMaxCachedTenants) cache_.clear();
    cache_[tenant_id] = CacheEntry{status, now + cache_ttl_};
  }
  return status;
}

void TenantDirectory::forget(const std::string& tenant_id) {
  std::lock_guard lock(mutex_);
  cache_.erase(tenant_id);
}

}  // namespace fk::tenancy
