// fk_http_soak: sustained keep-alive load against an in-process
// fk::http::Server, to show that memory stays flat (no per-request leak,
// connection buffers reused). Raw-socket clients pipeline a few requests
// per write; RSS is sampled after a warm-up and at the end.
//
//   fk_http_soak [total_requests=1000000] [connections=8] [pipeline=8]
//                [server_threads=2] [warmup_requests=100000]
//                [requests_per_connection=0]
//
// requests_per_connection > 0 makes clients reconnect after that many
// requests, to show that per-connection state is freed on disconnect.
//
// Exits 1 if RSS grew more than 5 % between warm-up and end, or on any
// protocol error.

#include "http/envelope.hpp"
#include "http/server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

constexpr double kMaxGrowthPercent = 5.0;

struct Config {
  std::size_t total_requests = 1'000'000;
  std::size_t connections = 8;
  std::size_t pipeline = 8;
  std::size_t server_threads = 2;
  std::size_t warmup_requests = 100'000;
  std::size_t requests_per_connection = 0;  // 0: one connection per client thread
};

struct Shared {
  std::atomic<std::size_t> claimed{0};    // requests handed to client threads
  std::atomic<std::size_t> completed{0};  // responses read and verified
  std::atomic<bool> failed{false};
};

long rss_kib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  }
  return -1;
}

std::size_t parse_arg(int argc, char** argv, int index, std::size_t fallback) {
  if (argc <= index) return fallback;
  const long long value = std::atoll(argv[index]);
  return value > 0 ? static_cast<std::size_t>(value) : fallback;
}

int connect_to(uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

bool send_all(int fd, const std::string& bytes) {
  std::size_t offset = 0;
  while (offset < bytes.size()) {
    const auto sent = ::send(fd, bytes.data() + offset, bytes.size() - offset, MSG_NOSIGNAL);
    if (sent <= 0) return false;
    offset += static_cast<std::size_t>(sent);
  }
  return true;
}

// Reads `count` responses; each must be a 200 framed by Content-Length.
bool read_responses(int fd, std::size_t count, std::string& buffer) {
  char chunk[16 * 1024];
  std::size_t done = 0;
  while (done < count) {
    const auto head_end = buffer.find("\r\n\r\n");
    if (head_end != std::string::npos) {
      if (buffer.compare(0, 13, "HTTP/1.1 200 ") != 0) return false;
      const auto length_at = buffer.find("Content-Length: ");
      if (length_at == std::string::npos || length_at > head_end) return false;
      const auto length = std::strtoul(buffer.c_str() + length_at + 16, nullptr, 10);
      const auto total = head_end + 4 + length;
      if (buffer.size() >= total) {
        buffer.erase(0, total);
        ++done;
        continue;
      }
    }
    const auto received = ::recv(fd, chunk, sizeof chunk, 0);
    if (received <= 0) return false;
    buffer.append(chunk, static_cast<std::size_t>(received));
  }
  return true;
}

// A mixed batch: GETs with a query and POSTs with a small JSON body.
std::string make_batch(std::size_t pipeline) {
  std::string batch;
  for (std::size_t i = 0; i < pipeline; ++i) {
    if (i % 2 == 0) {
      batch += "GET /v1/tenants/acme/settings?page=" + std::to_string(i) +
               " HTTP/1.1\r\nHost: soak\r\nX-Tenant-ID: acme\r\n\r\n";
    } else {
      const std::string body = R"({"timezone":"Europe/Paris","locale":"fr-FR"})";
      batch +=
          "POST /v1/tenants/acme/settings HTTP/1.1\r\nHost: soak\r\n"
          "Content-Type: application/json\r\nContent-Length: " +
          std::to_string(body.size()) + "\r\n\r\n" + body;
    }
  }
  return batch;
}

void client_loop(uint16_t port, const Config& config, Shared& shared) {
  const std::string batch = make_batch(config.pipeline);
  std::string buffer;
  int fd = -1;
  std::size_t on_connection = 0;
  while (!shared.failed) {
    const auto first = shared.claimed.fetch_add(config.pipeline);
    if (first >= config.total_requests) break;
    if (fd >= 0 && config.requests_per_connection > 0 &&
        on_connection >= config.requests_per_connection) {
      ::close(fd);
      fd = -1;
    }
    if (fd < 0) {
      fd = connect_to(port);
      on_connection = 0;
      buffer.clear();
    }
    if (fd < 0 || !send_all(fd, batch) || !read_responses(fd, config.pipeline, buffer)) {
      shared.failed = true;
      break;
    }
    on_connection += config.pipeline;
    shared.completed += config.pipeline;
  }
  if (fd >= 0) ::close(fd);
}

}  // namespace

int main(int argc, char** argv) {
  Config config;
  config.total_requests = parse_arg(argc, argv, 1, config.total_requests);
  config.connections = parse_arg(argc, argv, 2, config.connections);
  config.pipeline = parse_arg(argc, argv, 3, config.pipeline);
  config.server_threads = parse_arg(argc, argv, 4, config.server_threads);
  config.warmup_requests = parse_arg(argc, argv, 5, config.warmup_requests);
  config.requests_per_connection = parse_arg(argc, argv, 6, config.requests_per_connection);

  fk::http::ServerOptions options;
  options.port = 0;
  options.threads = config.server_threads;
  fk::http::Server server(
      options,
      [](fk::http::Request& request) {
        fk::http::Response response;
        response.set_header("Content-Type", "application/json");
        response.body =
            R"({"data":{"ok":true,"bytes":)" + std::to_string(request.body.size()) + "}}";
        return response;
      },
      [](int status, std::string_view code, std::string_view message) {
        return fk::http::error_response(status, code, message, "soak");
      });
  server.start();

  std::printf(
      "fk_http_soak: %zu requests, %zu connections, pipeline %zu, %zu server threads, "
      "reconnect every %zu requests (0 = never)\n",
      config.total_requests, config.connections, config.pipeline, config.server_threads,
      config.requests_per_connection);

  Shared shared;
  const auto started = Clock::now();
  std::vector<std::thread> clients;
  clients.reserve(config.connections);
  for (std::size_t i = 0; i < config.connections; ++i) {
    clients.emplace_back(client_loop, server.port(), std::cref(config), std::ref(shared));
  }

  long rss_warm = -1;
  std::size_t warm_completed = 0;
  auto warm_time = started;
  while (rss_warm < 0) {
    const auto done = shared.completed.load();
    if (done >= config.warmup_requests || shared.failed || done >= config.total_requests) {
      rss_warm = rss_kib();
      warm_completed = done;
      warm_time = Clock::now();
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  for (auto& client : clients) client.join();
  const auto finished = Clock::now();
  const long rss_end = rss_kib();
  server.stop();

  const auto completed = shared.completed.load();
  const double seconds = std::chrono::duration<double>(finished - started).count();
  const double steady_seconds = std::chrono::duration<double>(finished - warm_time).count();
  const double growth =
      rss_warm > 0 ? 100.0 * static_cast<double>(rss_end - rss_warm) / static_cast<double>(rss_warm)
                   : 0.0;

  std::printf("completed:            %zu requests in %.2f s\n", completed, seconds);
  std::printf(
      "throughput:           %.0f requests/s (after warm-up: %.0f requests/s)\n",
      static_cast<double>(completed) / seconds,
      steady_seconds > 0 ? static_cast<double>(completed - warm_completed) / steady_seconds : 0.0);
  std::printf("RSS after warm-up:    %ld KiB (at %zu requests)\n", rss_warm, warm_completed);
  std::printf("RSS at end:           %ld KiB\n", rss_end);
  std::printf("RSS growth:           %+.2f %% (limit %.1f %%)\n", growth, kMaxGrowthPercent);

  if (shared.failed || completed < config.total_requests) {
    std::printf("FAIL: protocol error or connection lost\n");
    return 1;
  }
  if (growth > kMaxGrowthPercent) {
    std::printf("FAIL: memory grew under sustained load\n");
    return 1;
  }
  std::printf("PASS\n");
  return 0;
}
