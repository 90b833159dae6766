#pragma once
// Maker-checker, the decision: does an approval rule apply to this request?
// A rule without `when` always applies. `when: {field, greater_than}` reads an
// integer field of the JSON body. `when: {amount_greater_than: {...}}` asks the
// route's owner (a plugin's measure_request, ABI 1.2) how much money the
// request moves and applies when any currency's total exceeds its threshold.
// Whatever cannot be read or measured applies the rule: the safe side.

#include "api/route.hpp"
#include "authz/rbac_policy.hpp"

namespace fk::api {

bool approval_applies(const authz::ApprovalRule& rule, const Route& route, RequestContext& context);

// Whether `amounts` (currency -> decimal) exceed any of the rule's
// per-currency thresholds, exactly. A malformed amount counts as exceeding.
bool exceeds_threshold(const std::map<std::string, std::string>& thresholds,
                       const Route::Amounts& amounts);

}  // namespace fk::api
