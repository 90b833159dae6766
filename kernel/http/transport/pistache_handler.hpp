#pragma once
// Glue between Pistache's TCP layer and our sessions. Pistache clones this
// handler once per reactor thread, and a peer's callbacks always run on the
// thread that owns it, so `sessions_` needs no lock.
//
// Of Pistache, only the listener, reactor and TCP transport are used
// (accept, read, peer teardown): not its Http layer (http_connection.hpp
// says why) nor its write queue (write_poller.hpp says why).

#include "http/transport/server_context.hpp"
#include "http/transport/session.hpp"

#include <pistache/peer.h>
#include <pistache/tcp.h>

#include <memory>
#include <unordered_map>

namespace fk::http::transport {

class PistacheHandler final : public Pistache::Tcp::Handler {
 public:
  explicit PistacheHandler(std::shared_ptr<ServerContext> context);

  std::shared_ptr<Pistache::Tcp::Handler> clone() const override;

  void onConnection(const std::shared_ptr<Pistache::Tcp::Peer>& peer) override;
  void onInput(const char* buffer, size_t size,
               const std::shared_ptr<Pistache::Tcp::Peer>& peer) override;
  void onDisconnection(const std::shared_ptr<Pistache::Tcp::Peer>& peer) override;

 private:
  std::shared_ptr<ServerContext> context_;
  std::unordered_map<const Pistache::Tcp::Peer*, std::unique_ptr<Session>> sessions_;
};

}  // namespace fk::http::transport
