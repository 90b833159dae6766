#pragma once
// The ledger API's request bodies and query values -> the JSON the SQL
// functions take (migrations/*.sql). Pure C++ with nlohmann-json only (no
// SDK), so tests include it directly.
//
// What happens here: shape checks (types, unknown fields, sizes), and every
// amount converted to exact signed minor units with the ISO 4217 exponent of
// its line's currency (money.hpp). What happens in SQL: everything that
// depends on stored data (accounts exist, are open, share the line's
// currency; balances; idempotency).

#include "money.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace fk::ledger {

// A client error: HTTP status (4xx), UPPER_SNAKE code, message naming the
// field and the problem, details (a JSON object).
struct ApiError {
  uint32_t status = 422;
  std::string code = "VALIDATION_FAILED";
  std::string message;
  nlohmann::json details = nlohmann::json::object();
};

// A value for the SQL layer, or the error that refuses the request.
struct Parsed {
  nlohmann::json value;
  std::optional<ApiError> error;
};

inline ApiError field_error(const std::string& field, std::string message,
                            std::string code = "VALIDATION_FAILED") {
  ApiError e;
  e.code = std::move(code);
  e.message = std::move(message);
  e.details = {{"field", field}};
  return e;
}

inline Parsed fail(ApiError e) {
  Parsed p;
  p.error = std::move(e);
  return p;
}

inline bool is_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// 8-4-4-4-12 hexadecimal: what PostgreSQL's uuid accepts canonically.
inline bool is_uuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : !is_hex(s[i])) return false;
  }
  return true;
}

// A calendar date YYYY-MM-DD (years 0001-9999): 2026-02-30 is not one. Checked
// here so that the SQL layer's ::date cast never fails.
inline bool is_date(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (i == 4 || i == 7) continue;
    if (s[i] < '0' || s[i] > '9') return false;
  }
  auto number = [&](std::size_t from, std::size_t count) {
    int v = 0;
    for (std::size_t i = from; i < from + count; ++i) v = v * 10 + (s[i] - '0');
    return v;
  };
  const int year = number(0, 4);
  const int month = number(5, 2);
  const int day = number(8, 2);
  if (year < 1 || month < 1 || month > 12 || day < 1) return false;
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return day <= kDays[month - 1] + (month == 2 && leap ? 1 : 0);
}

// Refuses members of `body` not in `allowed` (no mass assignment).
inline std::optional<ApiError> only_fields(const nlohmann::json& body,
                                           std::initializer_list<std::string_view> allowed,
                                           const std::string& prefix = "") {
  for (const auto& item : body.items()) {
    bool known = false;
    for (std::string_view a : allowed) known = known || item.key() == a;
    if (!known) {
      return field_error(prefix + item.key(),
                         "\"" + prefix + item.key() + "\" is not accepted here");
    }
  }
  return std::nullopt;
}

inline Parsed parse_object(std::string_view body_text) {
  nlohmann::json body = nlohmann::json::parse(body_text, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    return fail(field_error("body", "the request body must be a JSON object"));
  }
  Parsed p;
  p.value = std::move(body);
  return p;
}

// Optional string member of at most `max_chars` bytes... counted as UTF-8
// code points.
inline std::optional<ApiError> check_string(const nlohmann::json& body, const std::string& key,
                                            std::size_t max_chars, const std::string& field,
                                            bool required = false) {
  const auto it = body.find(key);
  if (it == body.end()) {
    if (required) return field_error(field, field + " is required");
    return std::nullopt;
  }
  if (!it->is_string()) return field_error(field, field + " must be a string");
  std::size_t chars = 0;
  for (unsigned char c : it->get_ref<const std::string&>()) chars += (c & 0xC0) != 0x80 ? 1 : 0;
  if (chars > max_chars) {
    return field_error(field,
                       field + " must be at most " + std::to_string(max_chars) + " characters");
  }
  return std::nullopt;
}

inline std::optional<ApiError> check_metadata(const nlohmann::json& body,
                                              const std::string& field) {
  const auto it = body.find("metadata");
  if (it == body.end()) return std::nullopt;
  if (!it->is_object()) return field_error(field, field + " must be a JSON object");
  if (it->dump().size() > 16 * 1024) return field_error(field, field + " must be at most 16 KiB");
  return std::nullopt;
}

inline std::optional<ApiError> check_date(const nlohmann::json& body, const std::string& key) {
  const auto it = body.find(key);
  if (it == body.end()) return std::nullopt;
  if (!it->is_string() || !is_date(it->get_ref<const std::string&>())) {
    return field_error(key, key + " must be a date YYYY-MM-DD");
  }
  return std::nullopt;
}

// One amount member of a line -> signed minor units.
//   "amount": "-12.34" (decimal string, major units, signed) or -1234 (integer minor units)
//   "debit": "12.34" / 1234, "credit": "12.34" / 1234 (positive)
inline Parsed parse_line_amount(const nlohmann::json& line, const std::string& where, int exponent,
                                const std::string& currency) {
  int members = 0;
  std::string key;
  for (const char* k : {"amount", "debit", "credit"}) {
    if (line.contains(k)) {
      ++members;
      key = k;
    }
  }
  if (members != 1) {
    return fail(field_error(where + ".amount",
                            where + " needs exactly one of amount (signed), debit or credit"));
  }
  const std::string field = where + "." + key;
  const nlohmann::json& raw = line.at(key);
  int64_t minor = 0;
  if (raw.is_string()) {
    const ParsedAmount parsed = parse_decimal(raw.get_ref<const std::string&>(), exponent);
    if (!parsed.minor) {
      ApiError e = field_error(
          field,
          field + " \"" + raw.get<std::string>() + "\" " + parsed.error +
              (parsed.error.rfind("has ", 0) == 0
                   ? " (" + currency + " has " + std::to_string(exponent) + " decimal places)"
                   : ""),
          "INVALID_AMOUNT");
      e.details["currency"] = currency;
      e.details["exponent"] = exponent;
      return fail(std::move(e));
    }
    minor = *parsed.minor;
  } else if (raw.is_number_integer()) {
    // Integers are minor units already (1234 USD cents = 12.34 USD).
    if (raw.is_number_unsigned() && raw.get<uint64_t>() > static_cast<uint64_t>(kMaxAbsMinor)) {
      return fail(field_error(field, field + " is too large", "INVALID_AMOUNT"));
    }
    minor = raw.get<int64_t>();
    if (minor > kMaxAbsMinor || minor < -kMaxAbsMinor) {
      return fail(field_error(field, field + " is too large", "INVALID_AMOUNT"));
    }
  } else {
    return fail(field_error(field,
                            field + " must be a decimal string like \"12.34\" or an integer "
                                    "number of minor units",
                            "INVALID_AMOUNT"));
  }
  if (minor == 0) return fail(field_error(field, field + " must not be zero", "INVALID_AMOUNT"));
  if (key != "amount" && minor < 0) {
    return fail(field_error(field, field + " must be positive (use the other side instead)",
                            "INVALID_AMOUNT"));
  }
  Parsed p;
  p.value = key == "credit" ? -minor : minor;
  return p;
}

// An entry body (POST /entries, /holds, one item of /entries/batch) -> the
// SQL request. `extra` lists additional members the caller handles.
inline Parsed parse_entry(const nlohmann::json& body, std::size_t max_lines,
                          std::initializer_list<std::string_view> extra = {}) {
  for (const auto& item : body.items()) {
    bool known = item.key() == "date" || item.key() == "description" || item.key() == "metadata" ||
                 item.key() == "lines";
    for (std::string_view e : extra) known = known || item.key() == e;
    if (!known) return fail(field_error(item.key(), "\"" + item.key() + "\" is not accepted here"));
  }
  if (auto e = check_date(body, "date")) return fail(*e);
  if (auto e = check_string(body, "description", 1000, "description")) return fail(*e);
  if (auto e = check_metadata(body, "metadata")) return fail(*e);
  const auto lines = body.find("lines");
  if (lines == body.end() || !lines->is_array() || lines->size() < 2) {
    return fail(field_error("lines", "lines must be an array of at least two lines"));
  }
  if (lines->size() > max_lines) {
    return fail(
        field_error("lines", "an entry has at most " + std::to_string(max_lines) + " lines"));
  }
  nlohmann::json out_lines = nlohmann::json::array();
  for (std::size_t i = 0; i < lines->size(); ++i) {
    const nlohmann::json& line = (*lines)[i];
    const std::string where = "lines[" + std::to_string(i) + "]";
    if (!line.is_object()) return fail(field_error(where, where + " must be an object"));
    if (auto e = only_fields(
            line, {"accountId", "accountCode", "amount", "debit", "credit", "currency", "memo"},
            where + ".")) {
      return fail(*e);
    }
    nlohmann::json out = nlohmann::json::object();
    const bool has_id = line.contains("accountId");
    if (has_id == line.contains("accountCode")) {
      return fail(field_error(where + ".accountId",
                              where + " needs exactly one of accountId or accountCode"));
    }
    if (has_id) {
      const auto& id = line.at("accountId");
      if (!id.is_string() || !is_uuid(id.get_ref<const std::string&>())) {
        return fail(field_error(where + ".accountId", where + ".accountId must be a UUID"));
      }
      out["accountId"] = id;
    } else {
      const auto& code = line.at("accountCode");
      if (!code.is_string() || code.get_ref<const std::string&>().empty() ||
          code.get_ref<const std::string&>().size() > 64) {
        return fail(
            field_error(where + ".accountCode", where + ".accountCode must be a non-empty string"));
      }
      out["accountCode"] = code;
    }
    const auto currency = line.find("currency");
    if (currency == line.end() || !currency->is_string()) {
      return fail(field_error(where + ".currency",
                              where + ".currency is required (ISO 4217, e.g. \"USD\")"));
    }
    const std::string& code = currency->get_ref<const std::string&>();
    const std::optional<int> exponent = currency_exponent(code);
    if (!exponent) {
      ApiError e =
          field_error(where + ".currency",
                      where + ".currency \"" + code + "\" is not an ISO 4217 currency code",
                      "UNKNOWN_CURRENCY");
      return fail(std::move(e));
    }
    Parsed amount = parse_line_amount(line, where, *exponent, code);
    if (amount.error) return amount;
    if (auto e = check_string(line, "memo", 500, where + ".memo")) return fail(*e);
    out["amount"] = std::move(amount.value);
    out["currency"] = code;
    if (line.contains("memo")) out["memo"] = line.at("memo");
    out_lines.push_back(std::move(out));
  }
  nlohmann::json request = nlohmann::json::object();
  for (const char* key : {"date", "description", "metadata"}) {
    if (body.contains(key)) request[key] = body.at(key);
  }
  request["lines"] = std::move(out_lines);
  Parsed p;
  p.value = std::move(request);
  return p;
}

// POST /holds: an entry plus "expiresAt" (RFC 3339) or "expiresInSeconds".
inline Parsed parse_hold(const nlohmann::json& body, std::size_t max_lines) {
  Parsed p = parse_entry(body, max_lines, {"expiresAt", "expiresInSeconds"});
  if (p.error) return p;
  if (body.contains("expiresAt") && body.contains("expiresInSeconds")) {
    return fail(field_error("expiresAt", "give expiresAt or expiresInSeconds, not both"));
  }
  if (body.contains("expiresAt")) {
    if (!body.at("expiresAt").is_string()) {
      return fail(field_error("expiresAt", "expiresAt must be an RFC 3339 timestamp string"));
    }
    p.value["expiresAt"] = body.at("expiresAt");
  }
  if (body.contains("expiresInSeconds")) {
    const auto& s = body.at("expiresInSeconds");
    if (!s.is_number_integer() || s.get<int64_t>() < 1 || s.get<int64_t>() > 366LL * 24 * 3600) {
      return fail(field_error("expiresInSeconds",
                              "expiresInSeconds must be an integer from 1 to 31622400"));
    }
    p.value["expiresInSeconds"] = s;
  }
  return p;
}

// POST /entries/{id}/reverse and /holds/{id}/post: optional date,
// description, metadata (an empty body is fine).
inline Parsed parse_annotation(std::string_view body_text) {
  if (body_text.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    Parsed p;
    p.value = nlohmann::json::object();
    return p;
  }
  Parsed p = parse_object(body_text);
  if (p.error) return p;
  if (auto e = only_fields(p.value, {"date", "description", "metadata"})) return fail(*e);
  if (auto e = check_date(p.value, "date")) return fail(*e);
  if (auto e = check_string(p.value, "description", 1000, "description")) return fail(*e);
  if (auto e = check_metadata(p.value, "metadata")) return fail(*e);
  return p;
}

// POST /accounts -> the SQL request (values are checked by SQL too).
inline Parsed parse_account(std::string_view body_text) {
  Parsed p = parse_object(body_text);
  if (p.error) return p;
  const nlohmann::json& body = p.value;
  if (auto e = only_fields(body, {"code", "name", "type", "currency", "parentId", "parentCode",
                                  "allowNegative", "metadata"})) {
    return fail(*e);
  }
  if (auto e = check_string(body, "code", 64, "code", true)) return fail(*e);
  if (auto e = check_string(body, "name", 200, "name", true)) return fail(*e);
  if (auto e = check_string(body, "type", 20, "type", true)) return fail(*e);
  if (auto e = check_string(body, "currency", 3, "currency", true)) return fail(*e);
  if (!currency_exponent(body.at("currency").get<std::string>())) {
    return fail(field_error("currency",
                            "currency \"" + body.at("currency").get<std::string>() +
                                "\" is not an ISO 4217 currency code",
                            "UNKNOWN_CURRENCY"));
  }
  if (body.contains("parentId") && body.contains("parentCode")) {
    return fail(field_error("parentId", "give parentId or parentCode, not both"));
  }
  if (body.contains("parentId") &&
      (!body.at("parentId").is_string() || !is_uuid(body.at("parentId").get<std::string>()))) {
    return fail(field_error("parentId", "parentId must be a UUID"));
  }
  if (auto e = check_string(body, "parentCode", 64, "parentCode")) return fail(*e);
  if (body.contains("allowNegative") && !body.at("allowNegative").is_boolean()) {
    return fail(field_error("allowNegative", "allowNegative must be true or false"));
  }
  if (auto e = check_metadata(body, "metadata")) return fail(*e);
  return p;
}

// POST /entries/batch: {"mode": "atomic"|"independent", "entries": [...]}.
// Each entry may carry its own "idempotencyKey". Returns
// {"atomic": bool, "entries": [<SQL entry request + idempotencyKey?>]};
// an invalid entry refuses the whole request, naming its index.
inline Parsed parse_batch(std::string_view body_text, std::size_t max_entries,
                          std::size_t max_lines) {
  Parsed p = parse_object(body_text);
  if (p.error) return p;
  const nlohmann::json& body = p.value;
  if (auto e = only_fields(body, {"mode", "entries"})) return fail(*e);
  bool atomic = true;
  if (body.contains("mode")) {
    const auto& mode = body.at("mode");
    if (!mode.is_string() || (mode != "atomic" && mode != "independent")) {
      return fail(field_error("mode", "mode must be \"atomic\" or \"independent\""));
    }
    atomic = mode == "atomic";
  }
  const auto entries = body.find("entries");
  if (entries == body.end() || !entries->is_array() || entries->empty()) {
    return fail(field_error("entries", "entries must be a non-empty array"));
  }
  if (entries->size() > max_entries) {
    return fail(
        field_error("entries", "a batch has at most " + std::to_string(max_entries) + " entries"));
  }
  nlohmann::json out = nlohmann::json::array();
  for (std::size_t i = 0; i < entries->size(); ++i) {
    const nlohmann::json& entry = (*entries)[i];
    const std::string where = "entries[" + std::to_string(i) + "]";
    if (!entry.is_object()) return fail(field_error(where, where + " must be an object"));
    Parsed one = parse_entry(entry, max_lines, {"idempotencyKey"});
    if (one.error) {
      one.error->message = where + ": " + one.error->message;
      one.error->details["index"] = i;
      return one;
    }
    if (entry.contains("idempotencyKey")) {
      const auto& key = entry.at("idempotencyKey");
      if (!key.is_string() || key.get_ref<const std::string&>().empty() ||
          key.get_ref<const std::string&>().size() > 255) {
        return fail(field_error(where + ".idempotencyKey",
                                where + ".idempotencyKey must be 1 to 255 characters"));
      }
      one.value["idempotencyKey"] = key;
    }
    out.push_back(std::move(one.value));
  }
  Parsed result;
  result.value = {{"atomic", atomic}, {"entries", std::move(out)}};
  return result;
}

// An Idempotency-Key header value: 1..255 printable ASCII characters.
inline std::optional<ApiError> check_idempotency_key(std::string_view key) {
  if (key.empty() || key.size() > 255) {
    return field_error("Idempotency-Key", "the Idempotency-Key header must be 1 to 255 characters");
  }
  for (char c : key) {
    if (c < 0x21 || c > 0x7e) {
      return field_error("Idempotency-Key",
                         "the Idempotency-Key header must be printable ASCII without spaces");
    }
  }
  return std::nullopt;
}

// ?limit=N: 1..max, default `fallback`.
inline Parsed parse_limit(std::optional<std::string_view> raw, int64_t fallback, int64_t max) {
  Parsed p;
  p.value = fallback;
  if (!raw) return p;
  int64_t v = 0;
  if (raw->empty() || raw->size() > 6) {
    return fail(field_error("limit", "limit must be an integer from 1 to " + std::to_string(max)));
  }
  for (char c : *raw) {
    if (c < '0' || c > '9') {
      return fail(
          field_error("limit", "limit must be an integer from 1 to " + std::to_string(max)));
    }
    v = v * 10 + (c - '0');
  }
  if (v < 1 || v > max) {
    return fail(field_error("limit", "limit must be an integer from 1 to " + std::to_string(max)));
  }
  p.value = v;
  return p;
}

}  // namespace fk::ledger
