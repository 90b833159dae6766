#include "http/router.hpp"

#include <stdexcept>

namespace fk::http {

namespace {

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> segments;
  std::size_t start = 1;  // paths start with '/'
  while (start <= path.size()) {
    const std::size_t end = path.find('/', start);
    const std::size_t stop = end == std::string_view::npos ? path.size() : end;
    segments.push_back(path.substr(start, stop - start));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return segments;
}

bool is_parameter(std::string_view segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

}  // namespace

void Router::add(std::string method, std::string path_template, std::size_t index) {
  if (path_template.empty() || path_template.front() != '/') {
    throw std::invalid_argument("route template \"" + path_template + "\" must start with '/'");
  }
  for (const auto& entry : entries_) {
    if (entry.method == method && entry.path_template == path_template) {
      throw std::invalid_argument("route " + method + " " + path_template + " is declared twice");
    }
  }
  Entry entry{std::move(method), path_template, {}, index};
  for (auto segment : split_path(path_template)) {
    if (segment.empty()) {
      throw std::invalid_argument("route template \"" + path_template + "\" has an empty segment");
    }
    entry.segments.emplace_back(segment);
  }
  entries_.push_back(std::move(entry));
}

RouteLookup Router::find(std::string_view method, std::string_view path) const {
  RouteLookup lookup;
  if (path.empty() || path.front() != '/') return lookup;
  const auto segments = split_path(path);
  for (const auto& entry : entries_) {
    if (entry.segments.size() != segments.size()) continue;
    std::map<std::string, std::string, std::less<>> params;
    bool matched = true;
    for (std::size_t i = 0; i < segments.size() && matched; ++i) {
      if (is_parameter(entry.segments[i])) {
        if (segments[i].empty())
          matched = false;
        else
          params.emplace(entry.segments[i].substr(1, entry.segments[i].size() - 2), segments[i]);
      } else {
        matched = entry.segments[i] == segments[i];
      }
    }
    if (!matched) continue;
    if (entry.method == method || (method == "HEAD" && entry.method == "GET")) {
      lookup.match = RouteMatch{entry.index, entry.path_template, std::move(params)};
      return lookup;
    }
    lookup.allowed.push_back(entry.method);
  }
  return lookup;
}

}  // namespace fk::http
