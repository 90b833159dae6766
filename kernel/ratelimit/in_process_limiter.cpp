#include "ratelimit/rate_limiter.hpp"

#include <array>
#include <cmath>
#include <functional>
#include <mutex>
#include <unordered_map>

namespace fk::ratelimit {

namespace {

class InProcessLimiter final : public RateLimiter {
 public:
  explicit InProcessLimiter(std::size_t max_buckets) : max_buckets_(max_buckets) {}

  Decision take(const std::string& key, const Limit& limit,
                std::chrono::steady_clock::time_point now) override {
    auto& shard = shards_[std::hash<std::string>{}(key) % shards_.size()];
    std::lock_guard lock(shard.mutex);
    if (shard.buckets.size() >= max_buckets_) evict_full_buckets(shard, now);
    auto [found, inserted] = shard.buckets.try_emplace(key, Bucket{limit.burst, now});
    Bucket& bucket = found->second;
    if (!inserted) refill(bucket, limit, now);
    if (bucket.tokens >= 1.0) {
      bucket.tokens -= 1.0;
      return {true, std::chrono::seconds(0)};
    }
    const double wait =
        limit.rate_per_second > 0 ? (1.0 - bucket.tokens) / limit.rate_per_second : 3600;
    return {false,
            std::chrono::seconds(std::max<long long>(1, static_cast<long long>(std::ceil(wait))))};
  }

 private:
  struct Bucket {
    double tokens;
    std::chrono::steady_clock::time_point updated;
  };
  struct Shard {
    std::mutex mutex;
    std::unordered_map<std::string, Bucket> buckets;
  };

  static void refill(Bucket& bucket, const Limit& limit,
                     std::chrono::steady_clock::time_point now) {
    const double elapsed = std::chrono::duration<double>(now - bucket.updated).count();
    if (elapsed > 0) {
      bucket.tokens = std::min(limit.burst, bucket.tokens + elapsed * limit.rate_per_second);
      bucket.updated = now;
    }
  }

  // A bucket idle long enough to be full again carries no information.
  static void evict_full_buckets(Shard& shard, std::chrono::steady_clock::time_point now) {
    for (auto it = shard.buckets.begin(); it != shard.buckets.end();) {
      if (now - it->second.updated > std::chrono::minutes(10))
        it = shard.buckets.erase(it);
      else
        ++it;
    }
    if (shard.buckets.size() >= 65536 * 4) shard.buckets.clear();  // last resort under key flooding
  }

  std::size_t max_buckets_;
  std::array<Shard, 16> shards_;
};

}  // namespace

std::unique_ptr<RateLimiter> make_in_process_limiter(std::size_t max_buckets_per_shard) {
  return std::make_unique<InProcessLimiter>(max_buckets_per_shard);
}

}  // namespace fk::ratelimit
