#pragma once
// Token-bucket rate limiting. The interface takes a key and a limit, so the
// in-process implementation here can be replaced by a shared store (several
// kernels behind one load balancer) without touching the pipeline.

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

namespace fk::ratelimit {

struct Limit {
  double rate_per_second = 0;  // refill rate
  double burst = 0;            // bucket size (most requests at once)
};

struct Decision {
  bool allowed = true;
  std::chrono::seconds retry_after{0};  // when denied: until one token is back (at least 1 s)
};

class RateLimiter {
 public:
  virtual ~RateLimiter() = default;
  virtual Decision take(const std::string& key, const Limit& limit,
                        std::chrono::steady_clock::time_point now) = 0;
};

// Buckets in sharded hash maps; idle buckets are dropped once a shard grows
// past `max_buckets_per_shard`, so hostile key churn cannot exhaust memory.
std::unique_ptr<RateLimiter> make_in_process_limiter(std::size_t max_buckets_per_shard = 65536);

}  // namespace fk::ratelimit
