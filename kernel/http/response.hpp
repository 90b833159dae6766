#pragma once
// A response before serialization. The transport adds framing headers
// (Content-Length, Connection, Date); handlers never set those.

#include <string>
#include <utility>
#include <vector>

namespace fk::http {

struct Response {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  void set_header(std::string name, std::string value);
};

// Canonical reason phrase for a status code ("Not Found"); "Unknown" otherwise.
const char* reason_phrase(int status);

}  // namespace fk::http
