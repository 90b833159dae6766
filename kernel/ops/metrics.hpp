#pragma once
// Process metrics in Prometheus text exposition format: requests by route
// template and status, a latency histogram, the database pool, build info.
// Route templates (not raw paths) are the label, so cardinality stays bounded.

#include "db/connection_pool.hpp"

#include <array>
#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <tuple>

namespace fk::ops {

class Metrics {
 public:
  static constexpr std::array<double, 12> kLatencyBucketsSeconds = {
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5};

  void observe_request(const std::string& method, const std::string& route, int status,
                       std::chrono::nanoseconds duration);

  // Renders everything; `pool` may be null when no database is attached.
  [[nodiscard]] std::string render(const db::PoolStats* pool) const;

 private:
  struct Histogram {
    std::array<std::uint64_t, kLatencyBucketsSeconds.size()> buckets{};
    std::uint64_t count = 0;
    double sum_seconds = 0;
  };
  mutable std::mutex mutex_;
  std::map<std::tuple<std::string, std::string, int>, std::uint64_t> requests_;
  std::map<std::string, Histogram> latency_by_route_;
};

}  // namespace fk::ops
