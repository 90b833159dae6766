#pragma once
// Matches a method and path against route templates such as
// "/v1/tenant/settings" or "/v1/ledger/accounts/{id}". Knows nothing of what
// a route does: it returns the index the caller registered, so the pipeline
// keeps its route definitions and this stays a pure lookup.

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fk::http {

struct RouteMatch {
  std::size_t index = 0;
  std::string path_template;
  std::map<std::string, std::string, std::less<>> params;
};

struct RouteLookup {
  std::optional<RouteMatch> match;   // set when a route matched method and path
  std::vector<std::string> allowed;  // path matched but method did not: 405 with Allow
};

class Router {
 public:
  // Throws std::invalid_argument on a malformed template or a duplicate.
  void add(std::string method, std::string path_template, std::size_t index);
  [[nodiscard]] RouteLookup find(std::string_view method, std::string_view path) const;

 private:
  struct Entry {
    std::string method;
    std::string path_template;
    std::vector<std::string> segments;  // "{name}" marks a parameter
    std::size_t index;
  };
  std::vector<Entry> entries_;
};

}  // namespace fk::http
