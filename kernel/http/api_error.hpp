#pragma once
// The one way a handler or pipeline stage reports a client-visible failure.
// `code` is a stable upper-case identifier clients may switch on; `message`
// is for humans; `details` is structured (e.g. {"field": "timezone"}).
// Anything thrown that is not an ApiError becomes a generic 500.

#include <nlohmann/json.hpp>

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace fk::http {

class ApiError : public std::runtime_error {
 public:
  ApiError(int status, std::string code, std::string message,
           nlohmann::json details = nlohmann::json::object())
      : std::runtime_error(message),
        status_(status),
        code_(std::move(code)),
        details_(std::move(details)) {}

  [[nodiscard]] int status() const { return status_; }
  [[nodiscard]] const std::string& code() const { return code_; }
  [[nodiscard]] const nlohmann::json& details() const { return details_; }
  // Extra response headers this error must carry (e.g. Retry-After on 429).
  [[nodiscard]] const std::vector<std::pair<std::string, std::string>>& headers() const {
    return headers_;
  }
  ApiError&& with_header(std::string name, std::string value) && {
    headers_.emplace_back(std::move(name), std::move(value));
    return std::move(*this);
  }

 private:
  int status_;
  std::string code_;
  nlohmann::json details_;
  std::vector<std::pair<std::string, std::string>> headers_;
};

}  // namespace fk::http
