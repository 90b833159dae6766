#include "ops/metrics.hpp"

#include <sstream>

namespace fk::ops {

namespace {
// Prometheus label values escape backslash, double quote and newline.
std::string label(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}
}  // namespace

void Metrics::observe_request(const std::string& method, const std::string& route, int status,
                              std::chrono::nanoseconds duration) {
  const double seconds = std::chrono::duration<double>(duration).count();
  std::lock_guard lock(mutex_);
  ++requests_[{method, route, status}];
  auto& histogram = latency_by_route_[route];
  for (std::size_t i = 0; i < kLatencyBucketsSeconds.size(); ++i) {
    if (seconds <= kLatencyBucketsSeconds[i]) ++histogram.buckets[i];
  }
  ++histogram.count;
  histogram.sum_seconds += seconds;
}

std::string Metrics::render(const db::PoolStats* pool) const {
  std::ostringstream out;
  out << "# HELP finkernel_build_info Build information.\n"
      << "# TYPE finkernel_build_info gauge\n"
      << "finkernel_build_info{version=\"" << FK_VERSION << "\"} 1\n";
  {
    std::lock_guard lock(mutex_);
    out << "# HELP finkernel_http_requests_total HTTP requests by method, route template and "
           "status.\n"
        << "# TYPE finkernel_http_requests_total counter\n";
    for (const auto& [key, count] : requests_) {
      const auto& [method, route, status] = key;
      out << "finkernel_http_requests_total{method=\"" << label(method) << "\",route=\""
          << label(route) << "\",status=\"" << status << "\"} " << count << "\n";
    }
    out << "# HELP finkernel_http_request_duration_seconds Request latency by route template.\n"
        << "# TYPE finkernel_http_request_duration_seconds histogram\n";
    for (const auto& [route, histogram] : latency_by_route_) {
      for (std::size_t i = 0; i < kLatencyBucketsSeconds.size(); ++i) {
        out << "finkernel_http_request_duration_seconds_bucket{route=\"" << label(route)
            << "\",le=\"" << kLatencyBucketsSeconds[i] << "\"} " << histogram.buckets[i] << "\n";
      }
      out << "finkernel_http_request_duration_seconds_bucket{route=\"" << label(route)
          << "\",le=\"+Inf\"} " << histogram.count << "\n"
          << "finkernel_http_request_duration_seconds_sum{route=\"" << label(route) << "\"} "
          << histogram.sum_seconds << "\n"
          << "finkernel_http_request_duration_seconds_count{route=\"" << label(route) << "\"} "
          << histogram.count << "\n";
    }
  }
  if (pool) {
    out << "# HELP finkernel_db_pool_connections Database pool connections by state.\n"
        << "# TYPE finkernel_db_pool_connections gauge\n"
        << "finkernel_db_pool_connections{state=\"in_use\"} " << pool->in_use << "\n"
        << "finkernel_db_pool_connections{state=\"idle\"} " << pool->idle << "\n"
        << "# HELP finkernel_db_pool_size Configured maximum pool size.\n"
        << "# TYPE finkernel_db_pool_size gauge\n"
        << "finkernel_db_pool_size " << pool->size << "\n"
        << "# HELP finkernel_db_pool_waits_total Acquisitions that waited for a connection.\n"
        << "# TYPE finkernel_db_pool_waits_total counter\n"
        << "finkernel_db_pool_waits_total " << pool->waits << "\n"
        << "# HELP finkernel_db_pool_timeouts_total Acquisitions that timed out.\n"
        << "# TYPE finkernel_db_pool_timeouts_total counter\n"
        << "finkernel_db_pool_timeouts_total " << pool->timeouts << "\n"
        << "# HELP finkernel_db_pool_replaced_total Broken connections discarded.\n"
        << "# TYPE finkernel_db_pool_replaced_total counter\n"
        << "finkernel_db_pool_replaced_total " << pool->replaced << "\n";
  }
  return out.str();
}

}  // namespace fk::ops
