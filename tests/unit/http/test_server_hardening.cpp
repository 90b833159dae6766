// Hostile or broken input: every case must end in the documented status,
// the connection closed, and the server still healthy for a new connection.
// Limits come from fk::test::test_options(): body 1024 bytes, head 2048.

#include "raw_client.hpp"
#include "test_server.hpp"

#include <catch2/catch.hpp>

#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <thread>

using namespace std::chrono_literals;
using fk::test::has_error_code;
using fk::test::RawClient;
using fk::test::TestServer;

namespace {

// The server must still answer a normal request on a fresh connection.
void require_healthy(uint16_t port) {
  RawClient client(port);
  client.send("GET /health HTTP/1.1\r\nHost: t\r\n\r\n");
  const auto response = client.read_response();
  REQUIRE(response.status == 200);
  REQUIRE(response.body == "GET /health");
}

// Sends `bytes`, expects one error response with `status`/`code`, then EOF.
void expect_refused(uint16_t port, const std::string& bytes, int status, std::string_view code) {
  RawClient client(port);
  client.send(bytes);
  const auto response = client.read_response();
  CHECK(response.status == status);
  CHECK(has_error_code(response.body, code));
  CHECK(response.header("connection") == "close");
  CHECK(response.header("content-type") == "application/json");
  CHECK(client.closed_within(3s));
  require_healthy(port);
}

class CountingServer {
 public:
  CountingServer()
      : server_(fk::test::test_options(), [this](fk::http::Request& request) {
          ++calls_;
          return fk::http::Response{200, {}, request.method + " " + request.target};
        }) {}
  [[nodiscard]] uint16_t port() const { return server_.port(); }
  [[nodiscard]] int calls() const { return calls_.load(); }

 private:
  std::atomic<int> calls_{0};
  TestServer server_;
};

}  // namespace

TEST_CASE("Content-Length above max_body_bytes gets 413 from the headers alone",
          "[http][transport][hardening]") {
  CountingServer server;
  // No body is sent at all: the decision must not wait for (or buffer) it.
  expect_refused(server.port(), "POST /big HTTP/1.1\r\nContent-Length: 1025\r\n\r\n", 413,
                 "PAYLOAD_TOO_LARGE");
  expect_refused(server.port(), "POST /big HTTP/1.1\r\nContent-Length: 1000000000000\r\n\r\n", 413,
                 "PAYLOAD_TOO_LARGE");
  CHECK(server.calls() == 2);  // only the two health checks reached the handler
}

TEST_CASE("A body exactly at max_body_bytes is accepted", "[http][transport][hardening]") {
  TestServer server;
  RawClient client(server.port());
  client.send("POST /limit HTTP/1.1\r\nContent-Length: 1024\r\n\r\n" + std::string(1024, 'x'));
  CHECK(client.read_response().status == 200);
}

TEST_CASE("A chunked body growing past max_body_bytes gets 413 while streaming",
          "[http][transport][hardening]") {
  SECTION("many small chunks") {
    TestServer server;
    RawClient client(server.port());
    client.send("POST /stream HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n");
    const std::string chunk = "200\r\n" + std::string(512, 'a') + "\r\n";  // 512 bytes
    client.send(chunk);
    client.send(chunk);
    client.send(chunk);  // 1536 > 1024
    const auto response = client.read_response();
    CHECK(response.status == 413);
    CHECK(has_error_code(response.body, "PAYLOAD_TOO_LARGE"));
    CHECK(client.closed_within(3s));
    require_healthy(server.port());
  }
  SECTION("one chunk announcing more than the limit") {
    TestServer server;
    expect_refused(server.port(),
                   "POST /stream HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFF\r\nab", 413,
                   "PAYLOAD_TOO_LARGE");
  }
}

TEST_CASE("Invalid Content-Length values get 400", "[http][transport][hardening]") {
  CountingServer server;
  const auto request = [](const std::string& headers) {
    return "POST /cl HTTP/1.1\r\nHost: t\r\n" + headers + "\r\nbody";
  };
  SECTION("negative") {
    expect_refused(server.port(), request("Content-Length: -1\r\n"), 400, "INVALID_CONTENT_LENGTH");
  }
  SECTION("non-numeric") {
    expect_refused(server.port(), request("Content-Length: abc\r\n"), 400,
                   "INVALID_CONTENT_LENGTH");
  }
  SECTION("huge") {
    expect_refused(server.port(), request("Content-Length: 99999999999999999999999\r\n"), 400,
                   "INVALID_CONTENT_LENGTH");
  }
  SECTION("duplicated with conflicting values") {
    expect_refused(server.port(), request("Content-Length: 4\r\nContent-Length: 5\r\n"), 400,
                   "INVALID_CONTENT_LENGTH");
  }
  CHECK(server.calls() == 1);  // only the health check
}

TEST_CASE("Content-Length together with Transfer-Encoding gets 400 (smuggling guard)",
          "[http][transport][hardening]") {
  TestServer server;
  SECTION("length first") {
    expect_refused(server.port(),
                   "POST /s HTTP/1.1\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
                   "0\r\n\r\n",
                   400, "BAD_REQUEST");
  }
  SECTION("encoding first") {
    expect_refused(server.port(),
                   "POST /s HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n"
                   "0\r\n\r\n",
                   400, "BAD_REQUEST");
  }
}

TEST_CASE("A head larger than max_header_bytes gets 431", "[http][transport][hardening]") {
  TestServer server;
  SECTION("one huge header") {
    expect_refused(server.port(), "GET / HTTP/1.1\r\nX-Big: " + std::string(3000, 'h') + "\r\n\r\n",
                   431, "HEADERS_TOO_LARGE");
  }
  SECTION("many headers") {
    std::string head = "GET / HTTP/1.1\r\n";
    for (int i = 0; i < 200; ++i) head += "X-H" + std::to_string(i) + ": value\r\n";
    expect_refused(server.port(), head + "\r\n", 431, "HEADERS_TOO_LARGE");
  }
  SECTION("long request target") {
    expect_refused(server.port(), "GET /" + std::string(4000, 'p') + " HTTP/1.1\r\n\r\n", 431,
                   "HEADERS_TOO_LARGE");
  }
  SECTION("a head that never ends is refused once it passes the limit") {
    RawClient client(server.port());
    client.send("GET / HTTP/1.1\r\n");
    for (int i = 0; i < 40; ++i)
      client.send("X-Filler-" + std::to_string(i) + ": " + std::string(60, 'f') + "\r\n");
    const auto response = client.read_response();
    CHECK(response.status == 431);
    CHECK(client.closed_within(3s));
    require_healthy(server.port());
  }
}

TEST_CASE("Malformed request lines get 400 MALFORMED_REQUEST", "[http][transport][hardening]") {
  TestServer server;
  SECTION("garbage") {
    expect_refused(server.port(), "\x01\x02garbage\r\n\r\n", 400, "MALFORMED_REQUEST");
  }
  SECTION("unknown method") {
    expect_refused(server.port(), "FROB / HTTP/1.1\r\n\r\n", 400, "MALFORMED_REQUEST");
  }
  SECTION("bad version") {
    expect_refused(server.port(), "GET / HTTP/x.1\r\n\r\n", 400, "MALFORMED_REQUEST");
  }
  SECTION("bad header token") {
    expect_refused(server.port(), "GET / HTTP/1.1\r\nBad Header\x01: x\r\n\r\n", 400,
                   "MALFORMED_REQUEST");
  }
}

TEST_CASE("Unsupported HTTP versions are refused", "[http][transport][hardening]") {
  TestServer server;
  SECTION("HTTP/2.0 request line") {
    expect_refused(server.port(), "GET / HTTP/2.0\r\n\r\n", 505, "HTTP_VERSION_NOT_SUPPORTED");
  }
  SECTION("HTTP/1.2") {
    expect_refused(server.port(), "GET / HTTP/1.2\r\n\r\n", 505, "HTTP_VERSION_NOT_SUPPORTED");
  }
  SECTION("HTTP/2 connection preface") {
    RawClient client(server.port());
    client.send(std::string("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"));
    const auto response = client.read_response();
    CHECK((response.status == 400 || response.status == 505));
    CHECK(client.closed_within(3s));
    require_healthy(server.port());
  }
}

TEST_CASE("An error after valid pipelined requests answers those first, then closes",
          "[http][transport][hardening]") {
  TestServer server;
  RawClient client(server.port());
  client.send(
      "GET /one HTTP/1.1\r\n\r\nGET /two HTTP/1.1\r\n\r\nBOGUS\r\n\r\nGET /never HTTP/1.1\r\n\r\n");
  CHECK(client.read_response().body == "GET /one");
  CHECK(client.read_response().body == "GET /two");
  const auto refused = client.read_response();
  CHECK(refused.status == 400);
  CHECK(client.closed_within(3s));
  CHECK(client.unread().empty());
  require_healthy(server.port());
}

TEST_CASE("A client that keeps sending after a 413 still receives it",
          "[http][transport][hardening]") {
  // Lingering close: the server drains the rejected body instead of closing
  // with unread bytes, which would reset the connection under the response.
  TestServer server;
  RawClient client(server.port());
  client.send("POST /big HTTP/1.1\r\nContent-Length: 65536\r\n\r\n");
  client.send(std::string(65536, 'z'));
  const auto response = client.read_response();
  CHECK(response.status == 413);
  CHECK(client.closed_within(3s));
  require_healthy(server.port());
}

TEST_CASE("A client that pipelines without reading is dropped before memory runs away",
          "[http][transport][hardening]") {
  constexpr std::size_t kBody = std::size_t{64} * 1024;
  constexpr int kRequests = 1500;  // ~94 MiB of responses if all were kept
  std::atomic<int> calls{0};
  TestServer server(fk::test::test_options(), [&](fk::http::Request& request) {
    if (request.path == "/health") return TestServer::default_handler()(request);
    ++calls;
    return fk::http::Response{200, {}, std::string(kBody, 'r')};
  });
  RawClient client(server.port());
  std::string batch;
  for (int i = 0; i < 50; ++i) batch += "GET /big HTTP/1.1\r\n\r\n";
  try {
    for (int i = 0; i < kRequests / 50; ++i) client.send(batch);
  } catch (const std::exception&) {
    // The server may already have dropped us: that is the expected outcome.
  }
  // Do not read until the server is done: it either dropped us (the handler
  // stops being called) or parked everything (all requests answered).
  int last = -1;
  int stable_polls = 0;
  const auto give_up = std::chrono::steady_clock::now() + 20s;
  while (stable_polls < 5 && calls.load() < kRequests &&
         std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(100ms);
    const int now = calls.load();
    stable_polls = now == last ? stable_polls + 1 : 0;
    last = now;
  }
  CHECK(calls.load() < kRequests);
  CHECK(client.closed_within(10s));
  CHECK(client.unread().size() < kRequests * kBody / 2);
  require_healthy(server.port());
}

TEST_CASE("A client that stops reading neither spins nor stalls its reactor thread",
          "[http][transport][hardening]") {
  // Regression for Pistache 0.0.5's write queue, which retries EAGAIN in a
  // busy loop: with one reactor thread, every other client was starved.
  auto options = fk::test::test_options();
  options.threads = 1;
  TestServer server(options, [](fk::http::Request& request) {
    if (request.path == "/health") return TestServer::default_handler()(request);
    return fk::http::Response{200, {}, std::string(std::size_t{1024} * 1024, 'r')};
  });
  RawClient stalled(server.port());
  std::string batch;
  for (int i = 0; i < 7; ++i) batch += "GET /big HTTP/1.1\r\n\r\n";  // 7 MiB, never read
  stalled.send(batch);
  std::this_thread::sleep_for(200ms);

  const auto cpu_seconds = [] {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
           static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
  };
  const double cpu_before = cpu_seconds();
  require_healthy(server.port());  // same (only) reactor thread
  std::this_thread::sleep_for(1s);
  CHECK(cpu_seconds() - cpu_before < 0.5);  // a spinning thread would burn ~1 s
}
