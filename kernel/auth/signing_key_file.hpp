#pragma once
// The access-token signing keys live in one JSON file (mode 0600, refused if
// readable by group or others). Several kernels share it to verify each
// other's tokens. Issue 4 replaces the file with keys wrapped by the master key.

#include "identity/signing_key_ring.hpp"

#include <chrono>
#include <filesystem>

namespace fk::auth {

// Loads the ring, creating the file with one fresh key if it does not exist.
identity::SigningKeyRing load_or_create_signing_keys(const std::filesystem::path& file);

// Adds a new current key (the previous one verifies for `overlap`), saves
// atomically, and returns the new kid.
std::string rotate_signing_key(const std::filesystem::path& file, std::chrono::seconds overlap);

}  // namespace fk::auth
