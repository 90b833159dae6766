#pragma once
// The registry of the kernel's encrypted columns: every column written with
// TenantKeyService::encrypt is listed here with its purpose builder, so
// `finkernel keys reencrypt --tenant T` (ReencryptJob per column) moves all
// of a tenant's ciphertexts to its newest key version before old versions
// are retired. Add a column here when you encrypt a new field.

#include "keys/encrypted_column.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace fk::keys {

// users.totp_secret, purpose "users.totp_secret:<user id>".
std::string totp_secret_purpose(std::string_view user_id);

const std::vector<EncryptedColumn>& encrypted_columns();

}  // namespace fk::keys
