#include "api/route.hpp"
#include "http/api_error.hpp"

#include <stdexcept>

namespace fk::api {

const std::string& RequestContext::param(std::string_view name) const {
  const auto found = params_.find(name);
  if (found == params_.end()) {
    throw std::logic_error("route has no parameter named " + std::string(name));
  }
  return found->second;
}

pqxx::dbtransaction& RequestContext::db() {
  if (!transaction_) throw std::logic_error("db() called on a route without a tenant transaction");
  return transaction_->work();
}

nlohmann::json RequestContext::json_body() const {
  const auto content_type = request_.header("content-type");
  if (!content_type || content_type->substr(0, content_type->find(';')) != "application/json") {
    throw http::ApiError(415, "UNSUPPORTED_MEDIA_TYPE", "request body must be application/json");
  }
  if (request_.body.empty()) {
    throw http::ApiError(400, "INVALID_JSON", "request body is empty");
  }
  try {
    return nlohmann::json::parse(request_.body);
  } catch (const nlohmann::json::parse_error& e) {
    throw http::ApiError(400, "INVALID_JSON", "request body is not valid JSON",
                         {{"offset", e.byte}});
  }
}

}  // namespace fk::api
