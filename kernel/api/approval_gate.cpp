#include "api/approval_gate.hpp"

#include "approvals/decimal_amount.hpp"
#include "log/json_log.hpp"

#include <nlohmann/json.hpp>

namespace fk::api {

namespace {

bool body_field_exceeds(const authz::ApprovalRule& rule, const http::Request& request) {
  try {
    const auto body = nlohmann::json::parse(request.body);
    const auto value = body.at(rule.when_field);
    return !value.is_number_integer() || value.get<long long>() > rule.greater_than;
  } catch (const std::exception&) {
    return true;
  }
}

}  // namespace

bool exceeds_threshold(const std::map<std::string, std::string>& thresholds,
                       const Route::Amounts& amounts) {
  for (const auto& [currency, text] : amounts) {
    const auto threshold = thresholds.find(currency);
    if (threshold == thresholds.end()) continue;  // not a gated currency
    const auto amount = approvals::DecimalAmount::parse(text);
    if (!amount) return true;
    const auto limit = approvals::DecimalAmount::parse(threshold->second);
    if (!limit || *amount > *limit) return true;
  }
  return false;
}

bool approval_applies(const authz::ApprovalRule& rule, const Route& route,
                      RequestContext& context) {
  if (!rule.when_field.empty()) return body_field_exceeds(rule, context.request());
  if (rule.amount_greater_than.empty()) return true;
  if (!route.measure) {
    log::warn("approval threshold on a route that cannot be measured; the rule applies",
              {{"requestId", context.request_id()}, {"route", route.path}});
    return true;
  }
  const auto amounts = route.measure(context);
  if (!amounts) return true;
  return exceeds_threshold(rule.amount_greater_than, *amounts);
}

}  // namespace fk::api
