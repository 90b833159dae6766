#pragma once
// Exact money for the ledger: ISO 4217 minor-unit exponents and decimal
// text <-> integer minor units. Pure C++ (no SDK, no I/O) so tests include
// it directly. Never floating point: "10.005" in USD is refused, not rounded.
//
// The exponent table must stay identical to ledger_currency_exponent() in
// migrations/0001_schema.sql; tests/integration/ledger_sql_test.cpp compares
// the two for every code.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace fk::ledger {

struct CurrencyExponent {
  std::string_view code;
  int exponent;
};

// Active ISO 4217 codes (list 1) with their minor-unit exponents; funds and
// precious metals (XAU, XDR...) are not ledger currencies here.
inline constexpr std::array<CurrencyExponent, 158> kCurrencies{{
    {"AED", 2}, {"AFN", 2}, {"ALL", 2}, {"AMD", 2}, {"ANG", 2}, {"AOA", 2}, {"ARS", 2}, {"AUD", 2},
    {"AWG", 2}, {"AZN", 2}, {"BAM", 2}, {"BBD", 2}, {"BDT", 2}, {"BGN", 2}, {"BHD", 3}, {"BIF", 0},
    {"BMD", 2}, {"BND", 2}, {"BOB", 2}, {"BRL", 2}, {"BSD", 2}, {"BTN", 2}, {"BWP", 2}, {"BYN", 2},
    {"BZD", 2}, {"CAD", 2}, {"CDF", 2}, {"CHF", 2}, {"CLF", 4}, {"CLP", 0}, {"CNY", 2}, {"COP", 2},
    {"CRC", 2}, {"CUP", 2}, {"CVE", 2}, {"CZK", 2}, {"DJF", 0}, {"DKK", 2}, {"DOP", 2}, {"DZD", 2},
    {"EGP", 2}, {"ERN", 2}, {"ETB", 2}, {"EUR", 2}, {"FJD", 2}, {"FKP", 2}, {"GBP", 2}, {"GEL", 2},
    {"GHS", 2}, {"GIP", 2}, {"GMD", 2}, {"GNF", 0}, {"GTQ", 2}, {"GYD", 2}, {"HKD", 2}, {"HNL", 2},
    {"HTG", 2}, {"HUF", 2}, {"IDR", 2}, {"ILS", 2}, {"INR", 2}, {"IQD", 3}, {"IRR", 2}, {"ISK", 0},
    {"JMD", 2}, {"JOD", 3}, {"JPY", 0}, {"KES", 2}, {"KGS", 2}, {"KHR", 2}, {"KMF", 0}, {"KPW", 2},
    {"KRW", 0}, {"KWD", 3}, {"KYD", 2}, {"KZT", 2}, {"LAK", 2}, {"LBP", 2}, {"LKR", 2}, {"LRD", 2},
    {"LSL", 2}, {"LYD", 3}, {"MAD", 2}, {"MDL", 2}, {"MGA", 2}, {"MKD", 2}, {"MMK", 2}, {"MNT", 2},
    {"MOP", 2}, {"MRU", 2}, {"MUR", 2}, {"MVR", 2}, {"MWK", 2}, {"MXN", 2}, {"MYR", 2}, {"MZN", 2},
    {"NAD", 2}, {"NGN", 2}, {"NIO", 2}, {"NOK", 2}, {"NPR", 2}, {"NZD", 2}, {"OMR", 3}, {"PAB", 2},
    {"PEN", 2}, {"PGK", 2}, {"PHP", 2}, {"PKR", 2}, {"PLN", 2}, {"PYG", 0}, {"QAR", 2}, {"RON", 2},
    {"RSD", 2}, {"RUB", 2}, {"RWF", 0}, {"SAR", 2}, {"SBD", 2}, {"SCR", 2}, {"SDG", 2}, {"SEK", 2},
    {"SGD", 2}, {"SHP", 2}, {"SLE", 2}, {"SOS", 2}, {"SRD", 2}, {"SSP", 2}, {"STN", 2}, {"SVC", 2},
    {"SYP", 2}, {"SZL", 2}, {"THB", 2}, {"TJS", 2}, {"TMT", 2}, {"TND", 3}, {"TOP", 2}, {"TRY", 2},
    {"TTD", 2}, {"TWD", 2}, {"TZS", 2}, {"UAH", 2}, {"UGX", 0}, {"USD", 2}, {"UYI", 0}, {"UYU", 2},
    {"UYW", 4}, {"UZS", 2}, {"VES", 2}, {"VND", 0}, {"VUV", 0}, {"WST", 2}, {"XAF", 0}, {"XCD", 2},
    {"XOF", 0}, {"XPF", 0}, {"YER", 2}, {"ZAR", 2}, {"ZMW", 2}, {"ZWL", 2},
}};

// The minor-unit exponent of an ISO 4217 code ("USD" -> 2), or nullopt.
// Codes are upper case exactly; "usd" is not a currency code.
inline std::optional<int> currency_exponent(std::string_view code) {
  std::size_t lo = 0;
  std::size_t hi = kCurrencies.size();
  while (lo < hi) {  // the table is sorted by code
    const std::size_t mid = lo + (hi - lo) / 2;
    if (kCurrencies[mid].code < code) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  if (lo < kCurrencies.size() && kCurrencies[lo].code == code) return kCurrencies[lo].exponent;
  return std::nullopt;
}

// Largest magnitude of one amount, in minor units: 10^15. Keeps every sum
// the database forms (balances, counters) far from int64 overflow.
inline constexpr int64_t kMaxAbsMinor = 1'000'000'000'000'000;

// An amount, or why the text is not one. `error` reads as the end of the
// sentence "amount ...", e.g. "has 3 decimal places but USD allows 2".
struct ParsedAmount {
  std::optional<int64_t> minor;
  std::string error;
};

// Decimal text in major units -> exact minor units, for a currency of
// `exponent` decimals. Grammar: -?DIGITS(.DIGITS)? with no sign "+", no
// exponent, no spaces, no thousands separators. More decimals than the
// currency has are refused unless they are zeros ("10.050" is 10.05 USD,
// "10.005" is an error): the value is never rounded.
inline ParsedAmount parse_decimal(std::string_view text, int exponent) {
  ParsedAmount out;
  std::size_t i = 0;
  const bool negative = !text.empty() && text[0] == '-';
  if (negative) i = 1;
  const std::size_t int_start = i;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
  const std::string_view int_digits = text.substr(int_start, i - int_start);
  std::string_view frac_digits;
  if (i < text.size() && text[i] == '.') {
    const std::size_t frac_start = ++i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
    frac_digits = text.substr(frac_start, i - frac_start);
    if (frac_digits.empty()) {
      out.error = "must have digits after the decimal point";
      return out;
    }
  }
  if (int_digits.empty() || i != text.size()) {
    out.error = "is not a decimal number (expected e.g. \"12.34\")";
    return out;
  }
  const auto allowed = static_cast<std::size_t>(exponent);
  for (std::size_t k = allowed; k < frac_digits.size(); ++k) {
    if (frac_digits[k] != '0') {
      out.error = "has " + std::to_string(frac_digits.size()) +
                  " decimal places but the currency allows " + std::to_string(exponent);
      return out;
    }
  }
  // Accumulate with a bound check on every step: no overflow, ever.
  constexpr int64_t kLimit = kMaxAbsMinor;
  int64_t value = 0;
  auto push = [&](char digit) {
    if (value > (kLimit - (digit - '0')) / 10) return false;
    value = value * 10 + (digit - '0');
    return true;
  };
  std::size_t leading = 0;
  while (leading + 1 < int_digits.size() && int_digits[leading] == '0') ++leading;
  for (std::size_t k = leading; k < int_digits.size(); ++k) {
    if (!push(int_digits[k])) {
      out.error = "is too large";
      return out;
    }
  }
  for (std::size_t k = 0; k < allowed; ++k) {
    if (!push(k < frac_digits.size() ? frac_digits[k] : '0')) {
      out.error = "is too large";
      return out;
    }
  }
  out.minor = negative ? -value : value;
  return out;
}

// Minor units -> decimal text with exactly `exponent` decimals:
// (-1234, 2) -> "-12.34", (5, 2) -> "0.05", (100, 0) -> "100".
inline std::string format_minor(int64_t minor, int exponent) {
  // Work on the unsigned magnitude so INT64_MIN formats too.
  const bool negative = minor < 0;
  uint64_t magnitude = negative ? 0u - static_cast<uint64_t>(minor) : static_cast<uint64_t>(minor);
  std::string digits = std::to_string(magnitude);
  const auto width = static_cast<std::size_t>(exponent);
  if (width > 0) {
    if (digits.size() <= width) digits.insert(0, width + 1 - digits.size(), '0');
    digits.insert(digits.size() - width, 1, '.');
  }
  return negative ? "-" + digits : digits;
}

}  // namespace fk::ledger
