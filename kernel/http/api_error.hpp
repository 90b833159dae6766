#pragma once
// The one way a handler or pipeline stage reports a client-visible failure.
// `code` is a stable upper-case identifier clients may switch on; `message`
// is for humans; `details` is structured (e.g. {"field": "timezone"}).
// Anything thrown that is not an ApiError becomes a generic 500.

#include <nlohmann/json.hpp>

#include <stdexcept>
#include <string>

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

 private:
  int status_;
  std::string code_;
  nlohmann::json details_;
};

}  // namespace fk::http
