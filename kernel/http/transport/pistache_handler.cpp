#include "http/transport/pistache_handler.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <utility>

namespace fk::http::transport {

namespace {
// How long a closing connection may stay half-open after our FIN while the
// client reads the final response (capped by idle_timeout).
constexpr std::chrono::milliseconds kLinger{2000};
}  // namespace

PistacheHandler::PistacheHandler(std::shared_ptr<ServerContext> context)
    : context_(std::move(context)) {}

// A fresh handler per reactor thread: sessions are never shared.
std::shared_ptr<Pistache::Tcp::Handler> PistacheHandler::clone() const {
  return std::make_shared<PistacheHandler>(context_);
}

void PistacheHandler::onConnection(const std::shared_ptr<Pistache::Tcp::Peer>& peer) {
  try {
    const auto& options = context_->options;
    auto watch = std::make_shared<ConnectionWatch>(
        peer->fd(), context_->poller,
        std::min<ConnectionWatch::Clock::duration>(kLinger, options.idle_timeout),
        ConnectionWatch::Clock::now() + options.idle_timeout);
    auto session = std::make_unique<Session>(context_, watch, peer->address().host());
    sessions_.emplace(peer.get(), std::move(session));
    context_->sweeper->add(std::move(watch));
  } catch (...) {
    // No session: onInput will refuse the peer. Exceptions must not reach
    // Pistache's reactor loop, which would end the thread.
    sessions_.erase(peer.get());
  }
}

void PistacheHandler::onInput(const char* buffer, size_t size,
                              const std::shared_ptr<Pistache::Tcp::Peer>& peer) {
  const auto it = sessions_.find(peer.get());
  if (it == sessions_.end()) {
    // Safe: we are on the peer's own reactor thread, before its teardown.
    ::shutdown(peer->fd(), SHUT_RDWR);
    return;
  }
  try {
    it->second->on_input(buffer, size);
  } catch (...) {
    it->second->watch().abort();
  }
}

void PistacheHandler::onDisconnection(const std::shared_ptr<Pistache::Tcp::Peer>& peer) {
  const auto it = sessions_.find(peer.get());
  if (it == sessions_.end()) return;
  // Pistache closes the fd right after this returns: fence the sweeper off
  // first, then free all per-connection state.
  auto& watch = it->second->watch();
  watch.mark_torn_down();
  context_->sweeper->remove(&watch);
  sessions_.erase(it);
}

}  // namespace fk::http::transport
