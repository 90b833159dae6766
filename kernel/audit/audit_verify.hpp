#pragma once
// Recomputes a tenant's chain from the database and checks it against its
// chain head and signed checkpoints. Reports the first problem found, by
// sequence number, so an investigator knows where to look.

#include "identity/signing_key_ring.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace fk::audit {

enum class Problem {
  none,
  altered,         // first_bad_seq's content no longer matches its hash
  removed,         // first_bad_seq is missing (a later record follows)
  broken_link,     // first_bad_seq does not chain to its predecessor: inserted or reordered
  truncated,       // records from first_bad_seq on were cut (checkpoint or head is ahead)
  rewritten,       // a checkpoint's hash differs from the chain at first_bad_seq
  head_mismatch,   // the chain head disagrees with the newest record (forged append)
  bad_checkpoint,  // a checkpoint at first_bad_seq has an unknown key or bad signature
};

const char* to_string(Problem problem);

struct VerifyReport {
  Problem problem = Problem::none;
  std::int64_t count = 0;          // records verified (all of them when ok)
  std::int64_t first_bad_seq = 0;  // 0 when ok
  std::int64_t checkpoints = 0;    // checkpoints whose signature and hash verified
  std::int64_t head_seq = 0;       // newest verified record (0 = empty chain)
  std::string head_hash;
  std::string message;  // one line for humans
  [[nodiscard]] bool ok() const { return problem == Problem::none; }
};

// `url` is a connection string of any role that can read the tenant's chain
// (owner or runtime under RLS, or a superuser). `keys` are the audit public
// keys checkpoints may be signed with.
VerifyReport verify(const std::string& url, const std::string& tenant_id,
                    const std::vector<identity::SigningKey>& keys);

}  // namespace fk::audit
