#pragma once
// Tenant settings: a small typed key/value document per tenant (currency,
// time zone, locale, fiscal year, budget alert thresholds). Every key is
// declared in one schema; unknown keys and wrong types are refused, never
// stored. Runs inside the caller's tenant transaction, so row-level security
// scopes every statement; this code never names a tenant itself.

#include <nlohmann/json.hpp>

#include <stdexcept>
#include <string>

namespace pqxx {
class transaction_base;
}

namespace fk::settings {

// A client-correctable problem with one field.
class InvalidSetting : public std::runtime_error {
 public:
  InvalidSetting(std::string field, std::string reason, const std::string& message)
      : std::runtime_error(message), field_(std::move(field)), reason_(std::move(reason)) {}
  [[nodiscard]] const std::string& field() const { return field_; }
  [[nodiscard]] const std::string& reason() const {
    return reason_;
  }  // UNKNOWN_FIELD, INVALID_VALUE

 private:
  std::string field_;
  std::string reason_;
};

// Every declared key, stored values over defaults.
nlohmann::json read_settings(pqxx::transaction_base& tx);

// Validates every key of `changes` (a JSON object) before writing any, then
// upserts them; returns the resulting full document.
nlohmann::json update_settings(pqxx::transaction_base& tx, const nlohmann::json& changes);

// Validation alone (also used for tenant descriptors); throws InvalidSetting.
void validate_settings(const nlohmann::json& changes);

}  // namespace fk::settings
