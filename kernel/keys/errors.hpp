#pragma once
// Errors of the key service. Callers tell them apart: a TamperedCiphertext is
// a security event (wrong tenant, row, column or flipped bits), the others are
// operational (malformed input, retired or missing keys).

#include <stdexcept>

namespace fk::keys {

class KeyError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The ciphertext is not in a format this kernel writes (see docs/keys.md).
class MalformedCiphertext : public KeyError {
 public:
  using KeyError::KeyError;
};

// The GCM tag did not verify: the ciphertext was altered or moved to another
// tenant or purpose. Logged as a security event by the service.
class TamperedCiphertext : public KeyError {
 public:
  using KeyError::KeyError;
};

// The key version is below the tenant's min_decrypt_version (retire_below).
class RetiredKeyVersion : public KeyError {
 public:
  using KeyError::KeyError;
};

// The tenant has no such key version (never created, or shredded).
class KeyNotFound : public KeyError {
 public:
  using KeyError::KeyError;
};

}  // namespace fk::keys
