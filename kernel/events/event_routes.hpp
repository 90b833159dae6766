#pragma once
// The administrator's view of events: dead letters per tenant, and replay.
//   GET  /v1/platform/tenants/{id}/events/dead-letters?limit=&after=<seq>:<subscriber>
//        (platform:events.read)
//   POST /v1/platform/tenants/{id}/events/dead-letters/{event_id}/{subscriber}/replay
//        (platform:events.replay; audited in the tenant's and the platform chain)
// {id} is a tenant id or slug. Implemented in api/routes/event_routes.cpp.

#include "api/route.hpp"
#include "db/connection_pool.hpp"

#include <string>
#include <vector>

namespace fk::events {

struct EventAdmin {
  db::ConnectionPool& pool;  // runtime role: the tenant transactions
  std::string owner_url;     // resolving the tenant id or slug (as platform routes do)
};

std::vector<api::Route> event_admin_routes(EventAdmin dependencies);

}  // namespace fk::events
