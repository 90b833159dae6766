#include "keys/encrypted_columns.hpp"

namespace fk::keys {

std::string totp_secret_purpose(std::string_view user_id) {
  return "users.totp_secret:" + std::string(user_id);
}

const std::vector<EncryptedColumn>& encrypted_columns() {
  static const std::vector<EncryptedColumn> columns{
      {"users",
       "totp_secret",
       {"id"},
       [](const std::vector<std::string>& key) { return totp_secret_purpose(key.at(0)); }},
  };
  return columns;
}

}  // namespace fk::keys
