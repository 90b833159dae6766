#pragma once
// The stored form of an encrypted field (docs/keys.md, "Ciphertext format"):
//   fkc1.<key version>.<base64url(nonce, 12 bytes)>.<base64url(ciphertext || tag, 16 bytes)>
// Text, so it fits any text column and survives JSON. It names the key
// version but never the tenant: the tenant always comes from the caller.

#include <string>
#include <string_view>

namespace fk::keys {

struct Ciphertext {
  int version = 0;
  std::string nonce;   // 12 raw bytes
  std::string sealed;  // ciphertext || tag, raw bytes
};

std::string format_ciphertext(const Ciphertext& c);

// Throws MalformedCiphertext on anything but the exact format above.
Ciphertext parse_ciphertext(std::string_view text);

// "fkc1.<version>." — the prefix every ciphertext of `version` starts with
// (the re-encryption job selects rows by it).
std::string ciphertext_prefix(int version);

// The associated data bound into every field ciphertext: format, tenant,
// version and purpose, so a ciphertext moved to another tenant, row or
// column fails the tag check. The purpose comes last, so no separator
// inside it can make two different (tenant, purpose) pairs collide.
std::string field_aad(std::string_view tenant_id, int version, std::string_view purpose);

}  // namespace fk::keys
