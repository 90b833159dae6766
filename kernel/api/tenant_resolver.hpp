#pragma once
// Decides which tenant a request acts for. The pipeline depends only on this
// interface, so identity (JWT / API keys) replaces the development header
// resolver without any handler changing.

#include "http/request.hpp"

#include <memory>
#include <string>

namespace fk::api {

class TenantResolver {
 public:
  virtual ~TenantResolver() = default;
  // The canonical UUID of the request's tenant. Throws http::ApiError
  // (401 UNAUTHENTICATED / 400) when the request carries no usable identity.
  virtual std::string resolve(const http::Request& request) = 0;
};

// Development only (dev_mode: true): trusts an `X-Tenant-Id: <uuid>` header.
// With dev_mode off it refuses every request, so it can never be a back door.
std::unique_ptr<TenantResolver> make_dev_header_resolver(bool dev_mode);

}  // namespace fk::api
