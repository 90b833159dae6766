#pragma once
// What every connection of one Server shares: configuration, the pipeline's
// callbacks, the in-flight counter, the deadline sweeper and the write
// poller. Held by shared_ptr because Pistache clones the TCP handler once
// per reactor thread.

#include "http/server.hpp"
#include "http/transport/sweeper.hpp"
#include "http/transport/write_poller.hpp"

#include <atomic>
#include <cstddef>
#include <memory>

namespace fk::http::transport {

struct ServerContext {
  ServerOptions options;
  RequestHandler handler;
  ProtocolErrorRenderer render_error;
  std::atomic<std::size_t> in_flight{0};
  std::shared_ptr<Sweeper> sweeper;
  std::shared_ptr<WritePoller> poller;
};

}  // namespace fk::http::transport
