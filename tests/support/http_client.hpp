#pragma once
// A deliberately plain HTTP/1.1 client over a raw socket for end-to-end
// tests: one request per connection unless a Connection is reused, the
// response parsed by hand so tests see exactly what went over the wire.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace fk::test {

struct HttpReply {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  [[nodiscard]] nlohmann::json json() const { return nlohmann::json::parse(body); }
};

HttpReply http_call(uint16_t port, const std::string& method, const std::string& target,
                    const std::map<std::string, std::string>& headers = {},
                    const std::string& body = {});

}  // namespace fk::test
