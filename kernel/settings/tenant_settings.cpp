#include "settings/tenant_settings.hpp"

#include <pqxx/pqxx>

#include <functional>
#include <regex>
#include <vector>

namespace fk::settings {

namespace {

struct SettingSpec {
  const char* key;
  nlohmann::json default_value;
  // Empty when valid; otherwise what is wrong, phrased to follow the key.
  std::function<std::string(const nlohmann::json&)> problem;
};

std::function<std::string(const nlohmann::json&)> matches(const char* pattern,
                                                          const char* expected) {
  return [re = std::regex(pattern), expected](const nlohmann::json& value) -> std::string {
    if (!value.is_string() || !std::regex_match(value.get_ref<const std::string&>(), re)) {
      return std::string("must be ") + expected;
    }
    return {};
  };
}

const std::vector<SettingSpec>& schema() {
  static const std::vector<SettingSpec> specs = {
      {"display_currency", "USD", matches("[A-Z]{3}", "an ISO 4217 currency code such as \"EUR\"")},
      {"timezone", "UTC",
       matches("[A-Za-z][A-Za-z0-9_+\\-]{0,31}(/[A-Za-z0-9_+\\-]{1,32}){0,2}",
               "an IANA time zone name such as \"Europe/Berlin\"")},
      {"locale", "en-US", matches("[a-z]{2,3}(-[A-Z]{2})?", "a locale such as \"en-US\"")},
      {"fiscal_year_start_month", 1,
       [](const nlohmann::json& value) -> std::string {
         if (!value.is_number_integer() || value.get<long long>() < 1 ||
             value.get<long long>() > 12) {
           return "must be an integer from 1 to 12";
         }
         return {};
       }},
      // Seed 004: budget alerts fire at 80 %, 100 % and 120 % of a budget by default.
      {"budget_alert_thresholds", nlohmann::json::array({80, 100, 120}),
       [](const nlohmann::json& value) -> std::string {
         const char* expected = "must be 1 to 10 ascending integer percentages between 1 and 1000";
         if (!value.is_array() || value.empty() || value.size() > 10) return expected;
         long long previous = 0;
         for (const auto& item : value) {
           if (!item.is_number_integer()) return expected;
           const long long percent = item.get<long long>();
           if (percent < 1 || percent > 1000 || percent <= previous) return expected;
           previous = percent;
         }
         return {};
       }},
  };
  return specs;
}

const SettingSpec* find_spec(const std::string& key) {
  for (const auto& spec : schema()) {
    if (key == spec.key) return &spec;
  }
  return nullptr;
}

}  // namespace

void validate_settings(const nlohmann::json& changes) {
  if (!changes.is_object()) {
    throw InvalidSetting("", "INVALID_VALUE", "settings must be a JSON object");
  }
  for (const auto& [key, value] : changes.items()) {
    const SettingSpec* spec = find_spec(key);
    if (!spec) {
      throw InvalidSetting(key, "UNKNOWN_FIELD", "\"" + key + "\" is not a tenant setting");
    }
    if (auto problem = spec->problem(value); !problem.empty()) {
      throw InvalidSetting(key, "INVALID_VALUE", "\"" + key + "\" " + problem);
    }
  }
}

nlohmann::json read_settings(pqxx::transaction_base& tx) {
  nlohmann::json document = nlohmann::json::object();
  for (const auto& spec : schema()) document[spec.key] = spec.default_value;
  for (const auto& row : tx.exec("SELECT key, value::text FROM tenant_settings")) {
    const auto key = row[0].as<std::string>();
    if (find_spec(key)) document[key] = nlohmann::json::parse(row[1].as<std::string>());
  }
  return document;
}

nlohmann::json update_settings(pqxx::transaction_base& tx, const nlohmann::json& changes) {
  validate_settings(changes);
  for (const auto& [key, value] : changes.items()) {
    // tenant_id comes from the transaction's setting; RLS's WITH CHECK
    // refuses any other value, so a caller cannot write into another tenant.
    tx.exec_params(
        "INSERT INTO tenant_settings (tenant_id, key, value) "
        "VALUES (fk_current_tenant(), $1, $2::jsonb) "
        "ON CONFLICT (tenant_id, key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()",
        key, value.dump());
  }
  return read_settings(tx);
}

}  // namespace fk::settings
