#pragma once
// The platform audit key: one Ed25519 key that signs chain checkpoints, kept
// in a JSON file {"kid": "k-...", "seed": "<base64url 32-byte seed>"} of mode
// 0600 (refused if group or others can access it), like the token signing
// keys of auth/signing_key_file.hpp. It is separate from them on purpose:
// rotating token keys must not invalidate years of audit checkpoints.

#include "identity/signing_key_ring.hpp"

#include <filesystem>
#include <string>

namespace fk::audit {

// Loads the key, creating the file with a fresh key if it does not exist.
identity::SigningKey load_or_create_audit_key(const std::filesystem::path& file);

// The public key as SubjectPublicKeyInfo PEM (what `openssl pkeyutl -pubin` reads).
std::string public_key_pem(const identity::SigningKey& key);

}  // namespace fk::audit
