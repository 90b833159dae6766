#include "keys/reencrypt_job.hpp"

#include "keys/aead.hpp"
#include "keys/ciphertext.hpp"

namespace fk::keys {

ReencryptJob::ReencryptJob(TenantKeyService& keys, EncryptedColumn column, std::string tenant_id)
    : keys_(keys), column_(std::move(column)), tenant_id_(std::move(tenant_id)) {
  if (column_.table.empty() || column_.column.empty() || !column_.purpose) {
    throw KeyError("re-encryption needs a table, a column and a purpose builder");
  }
}

ReencryptProgress ReencryptJob::progress(pqxx::transaction_base& tx) {
  const auto current = keys_.status(tx, tenant_id_).current_version;
  const auto column = tx.quote_name(column_.column);
  // Identifiers are quoted; values are parameters. RLS scopes the rows.
  const auto row = tx.exec_params1("SELECT count(" + column + "), count(*) FILTER (WHERE " +
                                       column + " LIKE $1) FROM " + tx.quote_name(column_.table),
                                   ciphertext_prefix(current) + "%");
  ReencryptProgress result;
  result.total = row[0].as<std::size_t>();
  result.done = row[1].as<std::size_t>();
  return result;
}

ReencryptProgress ReencryptJob::run_batch(pqxx::transaction_base& tx, std::size_t batch_size) {
  const auto current = keys_.status(tx, tenant_id_).current_version;
  const auto column = tx.quote_name(column_.column);
  const auto table = tx.quote_name(column_.table);
  std::string select = "SELECT ctid::text, " + column;
  for (const auto& key : column_.key_columns) select += ", " + tx.quote_name(key) + "::text";
  select += " FROM " + table + " WHERE " + column + " IS NOT NULL AND " + column +
            " NOT LIKE $1 ORDER BY ctid LIMIT $2 FOR UPDATE SKIP LOCKED";
  const auto rows = tx.exec_params(select, ciphertext_prefix(current) + "%", batch_size);
  for (const auto& row : rows) {
    std::vector<std::string> key_values;
    for (std::size_t i = 0; i < column_.key_columns.size(); ++i) {
      key_values.push_back(row[static_cast<int>(i + 2)].as<std::string>());
    }
    const auto purpose = column_.purpose(key_values);
    auto plaintext = keys_.decrypt(tx, tenant_id_, purpose, row[1].as<std::string>());
    const auto fresh = keys_.encrypt(tx, tenant_id_, purpose, plaintext);
    wipe(plaintext);
    // ctid is stable while the row is locked by this transaction.
    tx.exec_params("UPDATE " + table + " SET " + column + " = $1 WHERE ctid = $2::tid", fresh,
                   row[0].as<std::string>());
  }
  return progress(tx);
}

ReencryptProgress TenantKeyService::reencrypt_batch(pqxx::transaction_base& tx,
                                                    const std::string& tenant_id,
                                                    const EncryptedColumn& column,
                                                    std::size_t batch_size) {
  return ReencryptJob(*this, column, tenant_id).run_batch(tx, batch_size);
}

}  // namespace fk::keys
