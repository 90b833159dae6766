#pragma once
// Exports one chain for verification outside the kernel (docs/audit.md,
// "Export layout"; scripts/verify-audit-export.py checks it with nothing but
// python3 and the openssl CLI):
//
//   DIR/records.jsonl      {"hash":"<hex>","record":<canonical record>} per line, by seq
//   DIR/checkpoints.jsonl  one signed checkpoint per line
//   DIR/keys/<kid>.pem     the audit public keys (SubjectPublicKeyInfo PEM)
//   DIR/manifest.json      tenant, counts, head
//
// The chain is exported as stored, without verifying it first: a tampered
// chain exports as such and the outside verifier reports it.

#include "identity/signing_key_ring.hpp"

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace fk::audit {

struct ExportResult {
  std::int64_t records = 0;
  std::int64_t checkpoints = 0;
};

// Creates `out_dir` if needed and overwrites the files above. `keys` are the
// public keys to ship (only their public parts are written).
ExportResult export_chain(const std::string& url, const std::string& tenant_id,
                          const std::filesystem::path& out_dir,
                          const std::vector<identity::SigningKey>& keys);

}  // namespace fk::audit
