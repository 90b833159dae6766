#pragma once
// The JSON envelope every response uses (DESIGN.md):
//   success: {"data": ..., "meta": {"requestId": ..., "timestamp": ...}}
//   failure: {"error": {"code", "message", "details"}, "meta": {...}}

#include "http/response.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace fk::http {

Response success_response(int status, const nlohmann::json& data, std::string_view request_id);

Response error_response(int status, std::string_view code, std::string_view message,
                        std::string_view request_id,
                        const nlohmann::json& details = nlohmann::json::object());

// RFC 3339 UTC timestamp with millisecond precision, e.g. 2026-11-26T01:02:03.456Z.
std::string utc_timestamp_now();

}  // namespace fk::http
