#include "tenancy/tenant_admin.hpp"

#include "audit/audit_log.hpp"
#include "keys/tenant_keys.hpp"

#include <pqxx/pqxx>

#include <regex>

namespace fk::tenancy {

namespace {

constexpr const char* kTenantColumns =
    "id::text, slug, display_name, status, "
    "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), "
    "to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')";

Tenant from_row(const pqxx::row& row) {
  Tenant tenant;
  tenant.id = row[0].as<std::string>();
  tenant.slug = row[1].as<std::string>();
  tenant.display_name = row[2].as<std::string>();
  tenant.status = parse_status(row[3].as<std::string>()).value_or(TenantStatus::active);
  tenant.created_at = row[4].as<std::string>();
  tenant.updated_at = row[5].as<std::string>();
  return tenant;
}

// Tenant lifecycle is recorded in the platform audit chain, in the same
// transaction as the change.
void record(pqxx::transaction_base& tx, const std::string& action, const Tenant& tenant) {
  tx.exec_params("SELECT set_config('fk.tenant_id', $1, true)", std::string(audit::kPlatformChain));
  audit::AuditRecord entry;
  entry.actor_type = "system";
  entry.action = action;
  entry.resource = "tenants/" + tenant.id;
  entry.summary = {{"slug", tenant.slug}, {"status", std::string(to_string(tenant.status))}};
  audit::append(tx, entry);
}

std::string lookup_clause(const std::string& slug_or_id) {
  return is_uuid(slug_or_id) ? "id = $1::uuid" : "slug = $1";
}

}  // namespace

std::string slug_problem(const std::string& slug) {
  static const std::regex pattern("^[a-z0-9][a-z0-9-]{1,62}$");
  if (!std::regex_match(slug, pattern)) {
    return "slug must be 2-63 characters of a-z, 0-9 and '-', starting with a letter or digit";
  }
  return {};
}

TenantAdmin::TenantAdmin(std::string owner_url) : owner_url_(std::move(owner_url)) {}

Tenant TenantAdmin::create(const std::string& slug, const std::string& display_name) {
  if (auto problem = slug_problem(slug); !problem.empty()) {
    throw TenantAdminError("INVALID_SLUG", "invalid slug \"" + slug + "\": " + problem);
  }
  if (display_name.empty() || display_name.size() > 200) {
    throw TenantAdminError("INVALID_DISPLAY_NAME", "display name must be 1-200 characters");
  }
  pqxx::connection connection(owner_url_);
  pqxx::work tx(connection);
  try {
    auto row =
        tx.exec_params1(std::string("INSERT INTO tenants (slug, display_name) VALUES ($1, $2) "
                                    "RETURNING ") +
                            kTenantColumns,
                        slug, display_name);
    const auto tenant = from_row(row);
    record(tx, "tenant.created", tenant);
    tx.commit();
    return tenant;
  } catch (const pqxx::unique_violation&) {
    throw TenantAdminError("TENANT_EXISTS", "a tenant with slug \"" + slug + "\" already exists");
  }
}

std::vector<Tenant> TenantAdmin::list() {
  pqxx::connection connection(owner_url_);
  pqxx::read_transaction tx(connection);
  std::vector<Tenant> tenants;
  for (const auto& row :
       tx.exec(std::string("SELECT ") + kTenantColumns + " FROM tenants ORDER BY slug")) {
    tenants.push_back(from_row(row));
  }
  return tenants;
}

Tenant TenantAdmin::show(const std::string& slug_or_id) {
  pqxx::connection connection(owner_url_);
  pqxx::read_transaction tx(connection);
  auto rows = tx.exec_params(
      std::string("SELECT ") + kTenantColumns + " FROM tenants WHERE " + lookup_clause(slug_or_id),
      slug_or_id);
  if (rows.empty()) {
    throw TenantAdminError("TENANT_NOT_FOUND", "no tenant \"" + slug_or_id + "\"");
  }
  return from_row(rows[0]);
}

Tenant TenantAdmin::suspend(const std::string& slug_or_id) {
  return set_status(slug_or_id, TenantStatus::active, TenantStatus::suspended);
}

Tenant TenantAdmin::resume(const std::string& slug_or_id) {
  return set_status(slug_or_id, TenantStatus::suspended, TenantStatus::active);
}

Tenant TenantAdmin::remove(const std::string& slug_or_id) {
  pqxx::connection connection(owner_url_);
  pqxx::work tx(connection);
  auto current = tx.exec_params(
      std::string("SELECT status FROM tenants WHERE ") + lookup_clause(slug_or_id) + " FOR UPDATE",
      slug_or_id);
  if (current.empty())
    throw TenantAdminError("TENANT_NOT_FOUND", "no tenant \"" + slug_or_id + "\"");
  if (current[0][0].as<std::string>() == "deleted") {
    throw TenantAdminError("TENANT_STATE_UNCHANGED",
                           "tenant \"" + slug_or_id + "\" is already deleted");
  }
  auto row = tx.exec_params1(
      std::string("UPDATE tenants SET status = 'deleted', updated_at = now() WHERE ") +
          lookup_clause(slug_or_id) + " RETURNING " + kTenantColumns,
      slug_or_id);
  const auto tenant = from_row(row);
  tx.exec_params("SELECT set_config('fk.tenant_id', $1, true)", tenant.id);
  keys::shred_tenant_keys(tx, tenant.id);
  record(tx, "tenant.deleted", tenant);
  tx.commit();
  return tenant;
}

Tenant TenantAdmin::set_status(const std::string& slug_or_id, TenantStatus from, TenantStatus to) {
  pqxx::connection connection(owner_url_);
  pqxx::work tx(connection);
  auto current = tx.exec_params(
      std::string("SELECT status FROM tenants WHERE ") + lookup_clause(slug_or_id) + " FOR UPDATE",
      slug_or_id);
  if (current.empty()) {
    throw TenantAdminError("TENANT_NOT_FOUND", "no tenant \"" + slug_or_id + "\"");
  }
  const auto status = current[0][0].as<std::string>();
  if (status == to_string(to)) {
    throw TenantAdminError("TENANT_STATE_UNCHANGED",
                           "tenant \"" + slug_or_id + "\" is already " + status);
  }
  if (status != to_string(from)) {
    throw TenantAdminError("TENANT_STATE_CONFLICT", "tenant \"" + slug_or_id + "\" is " + status +
                                                        ", expected " +
                                                        std::string(to_string(from)));
  }
  auto row =
      tx.exec_params1(std::string("UPDATE tenants SET status = $2, updated_at = now() WHERE ") +
                          lookup_clause(slug_or_id) + " RETURNING " + kTenantColumns,
                      slug_or_id, std::string(to_string(to)));
  const auto tenant = from_row(row);
  record(tx, to == TenantStatus::suspended ? "tenant.suspended" : "tenant.resumed", tenant);
  tx.commit();
  return tenant;
}

}  // namespace fk::tenancy
