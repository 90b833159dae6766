#pragma once
// Exact non-negative decimal amounts in major units ("25000.00"), as
// maker-checker thresholds are written in policies/rbac.yaml and as plugins
// report the money a request moves (fk_measure_args.add_amount). Kept as
// digit strings, never floating point and never scaled by a currency's
// exponent: "10000", "10000.0" and "10000.00" are the same amount.

#include <optional>
#include <string>
#include <string_view>

namespace fk::approvals {

class DecimalAmount {
 public:
  // At most this many digits on each side of the point.
  static constexpr std::size_t kMaxDigits = 18;

  // "DIGITS" or "DIGITS.DIGITS" (no sign, exponent, spaces or separators),
  // else nullopt.
  static std::optional<DecimalAmount> parse(std::string_view text);

  // Exact sum (may grow by one integer digit beyond kMaxDigits).
  [[nodiscard]] DecimalAmount plus(const DecimalAmount& other) const;
  // -1, 0 or 1, like a three-way comparison of the two values.
  [[nodiscard]] int compare(const DecimalAmount& other) const;
  // Normalized text: no leading zeros, no trailing fractional zeros ("10000", "0.5").
  [[nodiscard]] std::string text() const;

  friend bool operator>(const DecimalAmount& a, const DecimalAmount& b) { return a.compare(b) > 0; }
  friend bool operator==(const DecimalAmount& a, const DecimalAmount& b) {
    return a.compare(b) == 0;
  }

 private:
  // Strips leading integer zeros and trailing fractional zeros.
  static DecimalAmount normalized(std::string_view integer, std::string_view fraction);

  std::string integer_ = "0";  // digits, no leading zeros ("0" for zero)
  std::string fraction_;       // digits, no trailing zeros (may be empty)
};

}  // namespace fk::approvals
