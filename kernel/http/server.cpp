// fk::http::Server: Pistache 0.0.5's listener, reactor and TCP transport for
// accepting and reading, with our own HTTP/1.x parsing, writing and
// deadlines (kernel/http/transport/) on top.

#include "http/server.hpp"

#include "http/transport/pistache_handler.hpp"
#include "http/transport/response_writer.hpp"
#include "http/transport/server_context.hpp"
#include "http/transport/sweeper.hpp"
#include "http/transport/write_poller.hpp"

#include <pistache/listener.h>
#include <pistache/net.h>

#include <algorithm>
#include <mutex>
#include <stdexcept>
#include <utility>

namespace fk::http {

namespace {

// Deadlines are enforced to within one period; short timeouts (tests) get
// a finer period so they still fire close to their configured value.
std::chrono::milliseconds sweep_period(const ServerOptions& options) {
  const auto shortest =
      std::min({options.header_timeout, options.body_timeout, options.idle_timeout});
  return std::clamp(shortest / 4, std::chrono::milliseconds{10}, std::chrono::milliseconds{100});
}

}  // namespace

struct Server::Impl {
  std::shared_ptr<transport::ServerContext> context = std::make_shared<transport::ServerContext>();
  std::unique_ptr<Pistache::Tcp::Listener> listener;
  uint16_t port = 0;

  std::mutex lifecycle;
  bool started = false;
  bool stopped = false;

  void shut_down() {
    // Order matters: no sweeper or poller action while peers are torn down;
    // reactor threads are joined by ~Listener (Listener::shutdown only
    // signals them); only then is it safe to close what Pistache left open.
    if (context->sweeper) context->sweeper->stop();
    if (context->poller) context->poller->stop();
    if (listener) {
      listener->shutdown();
      listener.reset();
    }
    if (context->sweeper) context->sweeper->close_all();
  }
};

Server::Server(ServerOptions options, RequestHandler handler, ProtocolErrorRenderer render_error)
    : impl_(std::make_unique<Impl>()) {
  auto& context = *impl_->context;
  context.options = std::move(options);
  context.handler = std::move(handler);
  context.render_error = std::move(render_error);
}

Server::~Server() {
  stop();
}

void Server::start() {
  std::lock_guard lock(impl_->lifecycle);
  if (impl_->started) throw std::logic_error("fk::http::Server::start called twice");
  impl_->started = true;

  auto context = impl_->context;
  const auto& options = context->options;
  try {
    context->poller = std::make_shared<transport::WritePoller>();
    // The sweeper renders its 408 itself, on its own thread.
    context->sweeper = std::make_shared<transport::Sweeper>(
        sweep_period(options), [weak = std::weak_ptr<transport::ServerContext>(context)] {
          std::string bytes;
          if (auto ctx = weak.lock()) {
            transport::append_response(
                bytes, ctx->render_error(408, "REQUEST_TIMEOUT", "request not received in time"),
                transport::Framing{false, false});
          }
          return bytes;
        });

    auto listener = std::make_unique<Pistache::Tcp::Listener>(
        Pistache::Address(options.address, Pistache::Port(options.port)));
    listener->init(std::max<std::size_t>(1, options.threads),
                   Pistache::Flags<Pistache::Tcp::Options>(Pistache::Tcp::Options::ReuseAddr));
    listener->setHandler(std::make_shared<transport::PistacheHandler>(context));
    listener->bind();
    // Listener::getPort() asks the kernel (getsockname), so port 0 works.
    impl_->port = static_cast<uint16_t>(listener->getPort());
    listener->runThreaded();
    impl_->listener = std::move(listener);
  } catch (...) {
    impl_->shut_down();
    impl_->stopped = true;
    throw;
  }
}

uint16_t Server::port() const {
  return impl_->port;
}

std::size_t Server::in_flight() const {
  return impl_->context->in_flight.load();
}

void Server::stop() {
  std::lock_guard lock(impl_->lifecycle);
  if (!impl_->started || impl_->stopped) return;
  impl_->stopped = true;
  impl_->shut_down();
}

}  // namespace fk::http
