#pragma once
// How much money a ledger request moves, for the kernel's maker-checker
// amount thresholds (SDK ABI 1.2 measure hook; docs/ledger.md, "Large
// postings under approval"): the total of the DEBIT lines per currency, in
// exact major units ("25000.00"). A batch adds up all its entries.
//
// The same parser as the handlers (requests.hpp), so a request is measured
// exactly as it would be posted; a request that does not parse is not
// measured (the kernel then applies the rule: the safe side).

#include "money.hpp"
#include "requests.hpp"

#include <finkernel/fk_plugin.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace fk::ledger {

// Debit totals per currency, in minor units, or why they cannot be given.
struct DebitTotals {
  std::map<std::string, int64_t> minor;
  std::optional<ApiError> error;
};

// Adds the debit lines of parsed entries (the SQL requests parse_entry
// builds: lines with signed minor "amount" and "currency"). Sums are checked:
// a total beyond int64 is an error, never a wrapped number.
inline DebitTotals add_debits(DebitTotals totals, const nlohmann::json& entry) {
  if (totals.error) return totals;
  for (const auto& line : entry.at("lines")) {
    const int64_t amount = line.at("amount").get<int64_t>();
    if (amount <= 0) continue;  // a credit line
    int64_t& total = totals.minor[line.at("currency").get<std::string>()];
    if (__builtin_add_overflow(total, amount, &total)) {
      totals.error = field_error("lines", "the debit total is too large to measure");
      return totals;
    }
  }
  return totals;
}

// POST /v1/ledger/entries and /v1/ledger/holds (hold = true).
inline DebitTotals entry_debits(std::string_view body_text, std::size_t max_lines, bool hold) {
  DebitTotals totals;
  const Parsed body = parse_object(body_text);
  if (body.error) {
    totals.error = body.error;
    return totals;
  }
  const Parsed entry =
      hold ? parse_hold(body.value, max_lines) : parse_entry(body.value, max_lines);
  if (entry.error) {
    totals.error = entry.error;
    return totals;
  }
  return add_debits(std::move(totals), entry.value);
}

// POST /v1/ledger/batches: all entries together.
inline DebitTotals batch_debits(std::string_view body_text, std::size_t max_entries,
                                std::size_t max_lines) {
  DebitTotals totals;
  const Parsed batch = parse_batch(body_text, max_entries, max_lines);
  if (batch.error) {
    totals.error = batch.error;
    return totals;
  }
  for (const auto& entry : batch.value.at("entries")) totals = add_debits(std::move(totals), entry);
  return totals;
}

// The measure hooks the plugin registers (request_measure.cpp). The limits
// are the plugin's defaults, overridden by the tenant's configuration under
// the same keys the handlers read (max_entry_lines, max_batch_entries).
fk::sdk::Result<void> measure_entry(fk::sdk::MeasureContext& ctx, int64_t default_max_lines);
fk::sdk::Result<void> measure_hold(fk::sdk::MeasureContext& ctx, int64_t default_max_lines);
fk::sdk::Result<void> measure_batch(fk::sdk::MeasureContext& ctx, int64_t default_max_entries,
                                    int64_t default_max_lines);

}  // namespace fk::ledger
