#include "request_measure.hpp"

namespace fk::ledger {

namespace {

std::size_t limit(const fk::sdk::MeasureContext& ctx, std::string_view key, int64_t fallback) {
  return static_cast<std::size_t>(ctx.config().get_int(key).value_or(fallback));
}

// Reports each currency's debit total in major units, or refuses to measure
// (the error is the one the handler would answer; the kernel applies the rule).
fk::sdk::Result<void> report(fk::sdk::MeasureContext& ctx, const DebitTotals& totals) {
  if (totals.error) {
    return fk::sdk::Error(FK_ERR_VALIDATION, "not measured: " + totals.error->message);
  }
  for (const auto& [currency, minor] : totals.minor) {
    const std::optional<int> exponent = currency_exponent(currency);
    if (!exponent) return fk::sdk::Error::internal("no exponent for " + currency);
    ctx.add(currency, format_minor(minor, *exponent));
  }
  return {};
}

}  // namespace

fk::sdk::Result<void> measure_entry(fk::sdk::MeasureContext& ctx, int64_t default_max_lines) {
  return report(ctx, entry_debits(ctx.request().body(),
                                  limit(ctx, "max_entry_lines", default_max_lines), false));
}

fk::sdk::Result<void> measure_hold(fk::sdk::MeasureContext& ctx, int64_t default_max_lines) {
  return report(ctx, entry_debits(ctx.request().body(),
                                  limit(ctx, "max_entry_lines", default_max_lines), true));
}

fk::sdk::Result<void> measure_batch(fk::sdk::MeasureContext& ctx, int64_t default_max_entries,
                                    int64_t default_max_lines) {
  return report(
      ctx, batch_debits(ctx.request().body(), limit(ctx, "max_batch_entries", default_max_entries),
                        limit(ctx, "max_entry_lines", default_max_lines)));
}

}  // namespace fk::ledger
