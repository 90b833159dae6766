#pragma once
// One parsed HTTP request, as the transport hands it to the pipeline.
// Header names are stored lower-cased; the transport has already enforced
// every size and time limit, so nothing downstream needs to re-check them.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fk::http {

struct Request {
  std::string method;  // upper-case token as sent, e.g. "GET"
  std::string target;  // raw request target, e.g. "/v1/tenant/settings?x=1"
  std::string path;    // target without query string, percent-decoding not applied
  std::string query;   // without the leading '?'
  int http_major = 1;
  int http_minor = 1;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  std::string remote_address;

  // First value of a header (name compared case-insensitively), if present.
  [[nodiscard]] std::optional<std::string_view> header(std::string_view name) const;
};

}  // namespace fk::http
