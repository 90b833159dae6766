// fk_bench_pistache_reference: the smallest useful Pistache 0.0.5 server, as a
// reference point for bench/run.sh. Every request, whatever its path, gets
// 200 with the bytes of BODY_FILE (a captured kernel GET /health body) as
// application/json, plus an X-Request-Id header of the kernel's length. No
// routing, no envelope, no logging, no metrics: what remains is Pistache's
// own parsing and writing cost, which the kernel's transport is built on.
//
//   fk_bench_pistache_reference PORT THREADS BODY_FILE
//
// Listens on 127.0.0.1 only; stops on SIGINT or SIGTERM. Pistache 0.0.5
// closes the connection unless the client sends "Connection: keep-alive",
// so drive it with `wrk -H 'Connection: keep-alive'`.

#include <pistache/endpoint.h>
#include <pistache/http.h>
#include <pistache/net.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

namespace {

// Pistache 0.0.5 does not write Header::Raw entries of a response, and
// CUSTOM_HEADER cannot name a header containing '-', so spell one out.
class XRequestId : public Pistache::Http::Header::Header {
 public:
  NAME("X-Request-Id")

  XRequestId() = default;
  explicit XRequestId(std::string value) : value_(std::move(value)) {}

  void parseRaw(const char* text, size_t length) final { value_.assign(text, length); }
  void write(std::ostream& os) const final { os << value_; }

 private:
  std::string value_;
};

class FixedBodyHandler : public Pistache::Http::Handler {
 public:
  HTTP_PROTOTYPE(FixedBodyHandler)

  explicit FixedBodyHandler(std::string body) : body_(std::move(body)) {}

  void onRequest(const Pistache::Http::Request&, Pistache::Http::ResponseWriter response) override {
    response.headers().add<XRequestId>("00000000-0000-4000-8000-000000000000");
    response.send(Pistache::Http::Code::Ok, body_, MIME(Application, Json));
  }

 private:
  std::string body_;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: fk_bench_pistache_reference PORT THREADS BODY_FILE\n";
    return 2;
  }
  const int port = std::atoi(argv[1]);
  const int threads = std::atoi(argv[2]);
  if (port <= 0 || port > 65535 || threads <= 0 || threads > 64) {
    std::cerr << "PORT must be 1..65535 and THREADS 1..64\n";
    return 2;
  }
  std::ifstream file(argv[3], std::ios::binary);
  if (!file) {
    std::cerr << "cannot read " << argv[3] << "\n";
    return 2;
  }
  std::ostringstream contents;
  contents << file.rdbuf();

  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  Pistache::Http::Endpoint endpoint(
      Pistache::Address(Pistache::Ipv4(127, 0, 0, 1), Pistache::Port(static_cast<uint16_t>(port))));
  endpoint.init(Pistache::Http::Endpoint::options().threads(threads).flags(
      Pistache::Tcp::Options::ReuseAddr));
  endpoint.setHandler(Pistache::Http::make_handler<FixedBodyHandler>(contents.str()));
  endpoint.serveThreaded();
  std::printf("pistache reference serving on http://127.0.0.1:%d (%d threads)\n", port, threads);
  std::fflush(stdout);

  int received = 0;
  sigwait(&stop_signals, &received);
  endpoint.shutdown();
  return 0;
}
