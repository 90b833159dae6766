#include "auth/api_keys.hpp"
#include "common/split.hpp"

#include "auth/user_admin.hpp"
#include "db/tenant_transaction.hpp"
#include "identity/opaque_token.hpp"

#include <pqxx/pqxx>

#include <algorithm>

namespace fk::auth {

namespace {

constexpr const char* kKeyColumns =
    "id, name, created_by::text, array_to_string(permissions, ','), "
    "to_char(expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), revoked_at IS NOT "
    "NULL, "
    "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')";

std::string to_array_literal(const std::vector<std::string>& items) {
  // Permission names are validated against the policy before they get here.
  std::string literal = "{";
  for (std::size_t i = 0; i < items.size(); ++i) literal += (i ? "," : "") + items[i];
  return literal + "}";
}

ApiKeyRecord from_row(const pqxx::row& row) {
  return ApiKeyRecord{row[0].as<std::string>(), row[1].as<std::string>(),
                      row[2].as<std::string>(), split_commas(row[3].as<std::string>()),
                      row[4].as<std::string>(), row[5].as<bool>(),
                      row[6].as<std::string>()};
}

}  // namespace

std::optional<ApiKeyIdentity> resolve_api_key(db::ConnectionPool& pool,
                                              const std::string& presented) {
  // fk_<tenant id, 32 hex>_<lookup id>.<secret>
  constexpr std::size_t kTenantHex = 32;
  if (presented.size() < 3 + kTenantHex + 1 || presented.compare(0, 3, "fk_") != 0 ||
      presented[3 + kTenantHex] != '_') {
    return std::nullopt;
  }
  const std::string hex = presented.substr(3, kTenantHex);
  if (hex.find_first_not_of("0123456789abcdef") != std::string::npos) return std::nullopt;
  const std::string tenant_id = hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" +
                                hex.substr(12, 4) + "-" + hex.substr(16, 4) + "-" + hex.substr(20);
  const auto parsed =
      identity::parse_secret("fk_" + presented.substr(3 + kTenantHex + 1), identity::kApiKeyPrefix);
  if (!parsed) return std::nullopt;

  db::TenantTransaction transaction(pool, tenant_id);
  const auto rows = transaction.work().exec_params(
      "SELECT secret_hash, created_by::text, array_to_string(permissions, ','), "
      "revoked_at IS NULL AND expires_at > now() FROM api_keys WHERE id = $1",
      parsed->lookup_id);
  if (rows.empty() || !rows[0][3].as<bool>() ||
      !identity::secret_matches(*parsed, rows[0][0].as<std::string>())) {
    return std::nullopt;
  }
  return ApiKeyIdentity{tenant_id, parsed->lookup_id, rows[0][1].as<std::string>(),
                        split_commas(rows[0][2].as<std::string>())};
}

CreatedApiKey create_api_key(pqxx::transaction_base& tx, const std::string& creator_id,
                             const std::vector<std::string>& granted, const std::string& name,
                             const std::vector<std::string>& permissions, int expires_in_days) {
  if (name.empty() || name.size() > 100)
    throw UserInputError("name", "name must be 1-100 characters");
  if (permissions.empty())
    throw UserInputError("permissions", "an API key needs at least one permission");
  for (const auto& permission : permissions) {
    if (std::find(granted.begin(), granted.end(), permission) == granted.end()) {
      throw UserInputError(
          "permissions", "you do not hold \"" + permission + "\", so you cannot give it to a key");
    }
  }
  if (expires_in_days < 1 || expires_in_days > 365) {
    throw UserInputError("expiresInDays", "expiresInDays must be between 1 and 365");
  }
  const auto issued = identity::issue_api_key();
  const auto tenant_hex =
      tx.exec("SELECT replace(fk_current_tenant()::text, '-', '')")[0][0].as<std::string>();
  const auto row = tx.exec_params1(
      std::string(
          "INSERT INTO api_keys (tenant_id, id, name, secret_hash, created_by, permissions, "
          "expires_at) VALUES (fk_current_tenant(), $1, $2, $3, $4::uuid, $5::text[], "
          "now() + make_interval(days => $6)) RETURNING ") +
          kKeyColumns,
      issued.lookup_id, name, issued.hash, creator_id, to_array_literal(permissions),
      expires_in_days);
  // The key names its tenant so it can be verified under that tenant's RLS context.
  return {from_row(row), "fk_" + tenant_hex + "_" + issued.plaintext.substr(3)};
}

std::vector<ApiKeyRecord> list_api_keys(pqxx::transaction_base& tx) {
  std::vector<ApiKeyRecord> keys;
  for (const auto& row :
       tx.exec(std::string("SELECT ") + kKeyColumns + " FROM api_keys ORDER BY created_at")) {
    keys.push_back(from_row(row));
  }
  return keys;
}

bool revoke_api_key(pqxx::transaction_base& tx, const std::string& key_id) {
  return tx.exec_params(
               "UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1", key_id)
             .affected_rows() == 1;
}

}  // namespace fk::auth
