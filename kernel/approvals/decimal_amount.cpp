#include "approvals/decimal_amount.hpp"

#include <algorithm>

namespace fk::approvals {

namespace {

bool all_digits(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

std::optional<DecimalAmount> DecimalAmount::parse(std::string_view text) {
  const auto point = text.find('.');
  const std::string_view integer = text.substr(0, point);
  const std::string_view fraction =
      point == std::string_view::npos ? std::string_view() : text.substr(point + 1);
  if (integer.empty() || integer.size() > kMaxDigits || !all_digits(integer)) return std::nullopt;
  if (point != std::string_view::npos &&
      (fraction.empty() || fraction.size() > kMaxDigits || !all_digits(fraction))) {
    return std::nullopt;
  }
  return normalized(integer, fraction);
}

DecimalAmount DecimalAmount::normalized(std::string_view integer, std::string_view fraction) {
  DecimalAmount amount;
  const auto first = integer.find_first_not_of('0');
  amount.integer_ = first == std::string_view::npos ? "0" : std::string(integer.substr(first));
  const auto last = fraction.find_last_not_of('0');
  amount.fraction_ =
      last == std::string_view::npos ? "" : std::string(fraction.substr(0, last + 1));
  return amount;
}

DecimalAmount DecimalAmount::plus(const DecimalAmount& other) const {
  // Align both on the longer fraction and integer, then add digit by digit
  // from the right, as on paper.
  const std::size_t frac = std::max(fraction_.size(), other.fraction_.size());
  const std::size_t whole = std::max(integer_.size(), other.integer_.size());
  auto aligned = [&](const DecimalAmount& a) {
    return std::string(whole - a.integer_.size(), '0') + a.integer_ + a.fraction_ +
           std::string(frac - a.fraction_.size(), '0');
  };
  const std::string left = aligned(*this);
  const std::string right = aligned(other);
  std::string digits(left.size(), '0');
  int carry = 0;
  for (std::size_t i = left.size(); i-- > 0;) {
    const int sum = (left[i] - '0') + (right[i] - '0') + carry;
    digits[i] = static_cast<char>('0' + sum % 10);
    carry = sum / 10;
  }
  if (carry != 0) digits.insert(digits.begin(), '1');
  const std::size_t integer_digits = digits.size() - frac;
  return normalized(digits.substr(0, integer_digits), digits.substr(integer_digits));
}

int DecimalAmount::compare(const DecimalAmount& other) const {
  // Normalized integers: more digits is larger; same length compares as text.
  if (integer_.size() != other.integer_.size()) {
    return integer_.size() < other.integer_.size() ? -1 : 1;
  }
  if (const int c = integer_.compare(other.integer_); c != 0) return c < 0 ? -1 : 1;
  const std::size_t frac = std::max(fraction_.size(), other.fraction_.size());
  const std::string left = fraction_ + std::string(frac - fraction_.size(), '0');
  const std::string right = other.fraction_ + std::string(frac - other.fraction_.size(), '0');
  const int c = left.compare(right);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

std::string DecimalAmount::text() const {
  return fraction_.empty() ? integer_ : integer_ + "." + fraction_;
}

}  // namespace fk::approvals
