// finkernel/fk_plugin.hpp -- header-only C++ wrapper over the C plugin ABI.
//
// Write plugins in modern C++ while the binary contract stays the C ABI of
// <finkernel/fk_plugin.h>. Nothing here is exported from your plugin: every
// function is inline (hidden with -fvisibility-inlines-hidden) and the only
// exported symbol is still fk_plugin_entry_v1, defined by FK_CPP_PLUGIN.
//
//   class Hello : public fk::sdk::Plugin {
//    public:
//     Hello() { route(fk::sdk::Method::Get, "/v1/hello/greetings", &Hello::list); }
//     fk::sdk::Result<void> list(fk::sdk::RequestContext& ctx) {
//       auto rows = ctx.tx().exec("SELECT message FROM hello_greetings").value();
//       ctx.response().json("[]");
//       return {};
//     }
//   };
//   FK_CPP_PLUGIN(Hello, "hello", "1.0.0")
//
// Rules the wrapper implements for you:
//   * Exceptions never cross the ABI. Every callback is a noexcept thunk that
//     catches everything your code throws and turns it into a status code
//     (and a log line); std::exception texts are logged, never sent to clients.
//   * Errors are values: host calls return Result<T> (value or Error);
//     Result::value() throws fk::sdk::Exception on error, which the thunk
//     turns back into the error's status, so `.value()` is "propagate".
//   * Host strings are std::string_view into host memory with the lifetimes
//     documented in fk_plugin.h (rule M3): copy what you keep past the call.
//   * RAII: query results (Rows) are freed by their destructor.
//   * Concurrency (rule T2): on_request/on_event/on_call run concurrently on
//     one Plugin object; guard mutable members yourself.
//
// Needs C++17 or newer.
#ifndef FINKERNEL_FK_PLUGIN_HPP
#define FINKERNEL_FK_PLUGIN_HPP

#include <finkernel/fk_plugin.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <initializer_list>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#if defined(_MSVC_LANG) ? (_MSVC_LANG < 201703L) : (__cplusplus < 201703L)
#error "finkernel/fk_plugin.hpp needs C++17 or newer"
#endif

namespace fk::sdk {

// ===========================================================================
// Strings
// ===========================================================================

/// A view of a host string ({NULL,0} becomes an empty view).
inline std::string_view view(fk_str s) noexcept {
  return s.data != nullptr ? std::string_view(s.data, s.len) : std::string_view();
}

/// An fk_str over a view; never {NULL,0} (so never SQL NULL), even for "".
inline fk_str str(std::string_view s) noexcept {
  return fk_str{s.data() != nullptr ? s.data() : "", s.size()};
}

/// The absent string {NULL, 0} (SQL NULL as a parameter).
inline fk_str null_str() noexcept {
  return fk_str{nullptr, 0};
}

/// fk_bytes over the bytes of a view.
inline fk_bytes bytes(std::string_view s) noexcept {
  return fk_bytes{reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

/// `s` as a quoted JSON string literal, escaped ("a\"b" -> "\"a\\\"b\"").
inline std::string json_quote(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(s.size() + 2);
  out.push_back('"');
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (u < 0x20) {
          out += "\\u00";
          out.push_back(kHex[u >> 4]);
          out.push_back(kHex[u & 0x0f]);
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
  return out;
}

// ===========================================================================
// Errors and Result<T>
// ===========================================================================

/// An error: a status code plus text. Owns its strings (copied from host
/// memory at once, so it outlives the call that produced it).
struct Error {
  fk_status code = FK_ERR_INTERNAL;
  std::string message;       ///< for logs; for 4xx also shown to the API client
  std::string subcode;       ///< SQLSTATE for FK_ERR_DB, else a reason or empty
  std::string api_code;      ///< client-facing UPPER_SNAKE code; empty: derived from code
  std::string details_json;  ///< JSON object for the client's error.details; may be empty
  uint32_t http_status = 0;  ///< 0: fk_status_http(code)

  Error() = default;
  Error(fk_status status, std::string text) : code(status), message(std::move(text)) {
    if (code == FK_OK) code = FK_ERR_INTERNAL;
  }

  static Error invalid_argument(std::string m) { return {FK_ERR_INVALID_ARGUMENT, std::move(m)}; }
  static Error validation(std::string m) { return {FK_ERR_VALIDATION, std::move(m)}; }
  static Error not_found(std::string m) { return {FK_ERR_NOT_FOUND, std::move(m)}; }
  static Error permission_denied(std::string m) { return {FK_ERR_PERMISSION_DENIED, std::move(m)}; }
  static Error conflict(std::string m) { return {FK_ERR_CONFLICT, std::move(m)}; }
  static Error unavailable(std::string m) { return {FK_ERR_UNAVAILABLE, std::move(m)}; }
  static Error internal(std::string m) { return {FK_ERR_INTERNAL, std::move(m)}; }
  static Error unsupported(std::string m) { return {FK_ERR_UNSUPPORTED, std::move(m)}; }

  /// Sets the client-facing code, e.g. Error::conflict("...").with_api_code("GREETING_EXISTS").
  Error with_api_code(std::string c) && {
    api_code = std::move(c);
    return std::move(*this);
  }
  /// Sets error.details (a JSON object).
  Error with_details(std::string json_object) && {
    details_json = std::move(json_object);
    return std::move(*this);
  }
  /// Overrides the HTTP status (default: fk_status_http(code)).
  Error with_http_status(uint32_t status) && {
    http_status = status;
    return std::move(*this);
  }

  /// The HTTP status a request handler failing with this error answers.
  uint32_t effective_http_status() const noexcept {
    return http_status != 0 ? http_status : fk_status_http(code);
  }
  /// "FK_ERR_NOT_FOUND: no such greeting (SQLSTATE-like subcode)".
  std::string describe() const {
    std::string s = fk_status_name(code);
    if (!message.empty()) s += ": " + message;
    if (!subcode.empty()) s += " [" + subcode + "]";
    return s;
  }
};

/// Exception carrying an Error. Thrown by Result::value() on error and by
/// wrapper calls that have no Result; the thunks turn it into error.code.
class Exception : public std::exception {
 public:
  explicit Exception(Error error) : error_(std::move(error)), what_(error_.describe()) {}
  const Error& error() const noexcept { return error_; }
  const char* what() const noexcept override { return what_.c_str(); }

 private:
  Error error_;
  std::string what_;
};

/// A value or an Error (std::expected-like; g++ 12 has no std::expected).
template <class T>
class [[nodiscard]] Result {
  static_assert(!std::is_same_v<std::decay_t<T>, Error>, "Result<Error> is not meaningful");

 public:
  using value_type = T;
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool has_value() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }

  /// The value; throws Exception(error()) if there is none.
  T& value() & {
    check();
    return std::get<0>(v_);
  }
  const T& value() const& {
    check();
    return std::get<0>(v_);
  }
  T&& value() && {
    check();
    return std::get<0>(std::move(v_));
  }
  /// The value, or `fallback` on error.
  template <class U>
  T value_or(U&& fallback) const& {
    return has_value() ? std::get<0>(v_) : static_cast<T>(std::forward<U>(fallback));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  /// The error. Precondition: !has_value().
  const Error& error() const& { return std::get<1>(v_); }
  Error&& error() && { return std::get<1>(std::move(v_)); }

 private:
  void check() const {
    if (!has_value()) throw Exception(std::get<1>(v_));
  }
  std::variant<T, Error> v_;
};

/// Success without a value, or an Error. `return {};` is success.
template <>
class [[nodiscard]] Result<void> {
 public:
  using value_type = void;
  Result() = default;
  Result(Error error) : error_(std::move(error)) {}  // NOLINT: implicit by design

  bool has_value() const noexcept { return !error_.has_value(); }
  explicit operator bool() const noexcept { return has_value(); }
  /// Throws Exception(error()) on error.
  void value() const {
    if (error_) throw Exception(*error_);
  }
  const Error& error() const& { return *error_; }
  Error&& error() && { return std::move(*error_); }

 private:
  std::optional<Error> error_;
};

namespace detail {

/// Error from a failed host call and the fk_error it filled.
inline Error host_error(fk_status status, const fk_error& err, std::string_view what) {
  Error e(status, std::string());
  const fk_error* filled = &err;
  std::string_view msg = FK_HAS_FIELD(filled, message) ? view(err.message) : std::string_view();
  e.message = std::string(what);
  if (!msg.empty()) {
    e.message += ": ";
    e.message.append(msg.data(), msg.size());
  }
  if (FK_HAS_FIELD(filled, subcode)) e.subcode = std::string(view(err.subcode));
  return e;
}

inline Error host_error(fk_status status, std::string_view what) {
  return Error(status, std::string(what) + ": " + fk_status_name(status));
}

/// UNSUPPORTED: this host does not offer `what` (an older or restricted kernel).
inline Error unsupported(const char* what) {
  return Error::unsupported(std::string("this kernel does not offer ") + what);
}

/// Throws Exception(unsupported(what)) unless `offered`.
inline void require(bool offered, const char* what) {
  if (!offered) throw Exception(unsupported(what));
}

}  // namespace detail

/// The sub-table `member` of host table `host` if the host offers it (within
/// its struct_size and non-NULL), else nullptr. Never reads past struct_size.
#define FK_SDK_TABLE(host, member) (FK_HOST_HAS(host, member) ? (host)->member : nullptr)

/// In a function returning Result<T>: return Error(FK_ERR_UNSUPPORTED) unless
/// `table` offers function `fn` (FK_HOST_HAS).
#define FK_SDK_RETURN_UNLESS(table, fn)                                      \
  do {                                                                       \
    if (!FK_HOST_HAS(table, fn)) return ::fk::sdk::detail::unsupported(#fn); \
  } while (0)

// ===========================================================================
// Logging
// ===========================================================================

enum class LogLevel : uint32_t {
  Debug = FK_LOG_DEBUG,
  Info = FK_LOG_INFO,
  Warn = FK_LOG_WARN,
  Error = FK_LOG_ERROR
};

/// One structured log field; views must stay valid for the call only.
struct Field {
  std::string_view key;
  std::string_view value;
};

/// Writes structured log lines. Never throws; a failing log call is dropped.
class Logger {
 public:
  Logger() = default;
  Logger(const fk_host_api* host, fk_plugin* self, const fk_tenant_ctx* ctx) noexcept
      : host_(host), self_(self), ctx_(ctx) {}

  void debug(std::string_view msg, std::initializer_list<Field> fields = {}) const noexcept {
    write(LogLevel::Debug, msg, fields);
  }
  void info(std::string_view msg, std::initializer_list<Field> fields = {}) const noexcept {
    write(LogLevel::Info, msg, fields);
  }
  void warn(std::string_view msg, std::initializer_list<Field> fields = {}) const noexcept {
    write(LogLevel::Warn, msg, fields);
  }
  void error(std::string_view msg, std::initializer_list<Field> fields = {}) const noexcept {
    write(LogLevel::Error, msg, fields);
  }

  /// Whether `level` is written (to skip building expensive messages).
  bool enabled(LogLevel level) const noexcept {
    const fk_log_api* log_api = FK_SDK_TABLE(host_, log);
    if (!FK_HOST_HAS(log_api, enabled)) return true;
    fk_bool on = FK_TRUE;
    return log_api->enabled(self_, static_cast<uint32_t>(level), &on) != FK_OK || on != 0;
  }

  void write(LogLevel level, std::string_view msg,
             std::initializer_list<Field> fields) const noexcept {
    const fk_log_api* log_api = FK_SDK_TABLE(host_, log);
    if (!FK_HOST_HAS(log_api, write)) return;
    constexpr std::size_t kMaxFields = 32;
    std::array<fk_log_field, kMaxFields> out{};
    std::size_t n = 0;
    for (const Field& f : fields) {
      if (n == kMaxFields) break;
      out[n++] = fk_log_field{str(f.key), str(f.value)};
    }
    (void)log_api->write(self_, ctx_, static_cast<uint32_t>(level), str(msg), out.data(), n);
  }

 private:
  const fk_host_api* host_ = nullptr;
  fk_plugin* self_ = nullptr;
  const fk_tenant_ctx* ctx_ = nullptr;
};

// ===========================================================================
// HTTP request and response
// ===========================================================================

enum class Method : uint32_t {
  Unknown = FK_METHOD_UNKNOWN,
  Get = FK_METHOD_GET,
  Post = FK_METHOD_POST,
  Put = FK_METHOD_PUT,
  Patch = FK_METHOD_PATCH,
  Delete = FK_METHOD_DELETE,
  Head = FK_METHOD_HEAD,
  Options = FK_METHOD_OPTIONS
};

/// The request being handled (read-only). Views stay valid until the
/// request callback returns.
class Request {
 public:
  Request(const fk_http_api* http, const fk_request* req) noexcept : http_(http), req_(req) {}

  Method method() const {
    uint32_t m = FK_METHOD_UNKNOWN;
    detail::require(api()->request_method != nullptr, "request_method");
    check(api()->request_method(req_, &m), "request_method");
    switch (m) {
      case FK_METHOD_GET:
      case FK_METHOD_POST:
      case FK_METHOD_PUT:
      case FK_METHOD_PATCH:
      case FK_METHOD_DELETE:
      case FK_METHOD_HEAD:
      case FK_METHOD_OPTIONS:
        return static_cast<Method>(m);
      default:
        return Method::Unknown;  // tolerate values newer than this SDK
    }
  }
  std::string_view path() const { return get(api()->request_path, "request_path"); }
  /// The manifest route template that matched ("/v1/hello/greetings/{id}").
  std::string_view route() const { return get(api()->request_route, "request_route"); }
  std::string_view body() const { return get(api()->request_body, "request_body"); }

  std::optional<std::string_view> path_param(std::string_view name) const {
    return lookup(api()->request_path_param, name, "request_path_param");
  }
  std::optional<std::string_view> query(std::string_view name) const {
    return lookup(api()->request_query_param, name, "request_query_param");
  }
  std::optional<std::string_view> header(std::string_view name) const {
    return lookup(api()->request_header, name, "request_header");
  }

 private:
  using Getter = fk_status (*)(const fk_request*, fk_str*);
  using Lookup = fk_status (*)(const fk_request*, fk_str, fk_str*);

  const fk_http_api* api() const {
    detail::require(http_ != nullptr, "the http service");
    return http_;
  }
  static void check(fk_status s, const char* what) {
    if (s != FK_OK) throw Exception(detail::host_error(s, what));
  }
  std::string_view get(Getter fn, const char* what) const {
    detail::require(fn != nullptr, what);
    fk_str out{nullptr, 0};
    check(fn(req_, &out), what);
    return view(out);
  }
  std::optional<std::string_view> lookup(Lookup fn, std::string_view name, const char* what) const {
    detail::require(fn != nullptr, what);
    fk_str out{nullptr, 0};
    const fk_status s = fn(req_, str(name), &out);
    if (s == FK_ERR_NOT_FOUND) return std::nullopt;
    check(s, what);
    return view(out);
  }

  const fk_http_api* http_;
  const fk_request* req_;
};

/// The response being built. Setters copy their input into the host and
/// throw Exception if the host refuses it (e.g. invalid JSON).
class Response {
 public:
  Response(const fk_http_api* http, fk_response* resp) noexcept : http_(http), resp_(resp) {}

  Response& status(uint32_t http_status) {
    detail::require(api()->response_set_status != nullptr, "response_set_status");
    check(api()->response_set_status(resp_, http_status), "response_set_status");
    return *this;
  }
  Response& header(std::string_view name, std::string_view value) {
    detail::require(api()->response_set_header != nullptr, "response_set_header");
    check(api()->response_set_header(resp_, str(name), str(value)), "response_set_header");
    return *this;
  }
  /// Sets the envelope's data to `json` (one JSON value).
  Response& json(std::string_view json) {
    detail::require(api()->response_write_json != nullptr, "response_write_json");
    check(api()->response_write_json(resp_, str(json)), "response_write_json");
    return *this;
  }
  /// Sets a raw body (no envelope).
  Response& body(std::string_view content_type, std::string_view data) {
    detail::require(api()->response_write_body != nullptr, "response_write_body");
    check(api()->response_write_body(resp_, str(content_type), bytes(data)), "response_write_body");
    return *this;
  }
  /// Makes this an error response (envelope {"error": {...}}).
  Response& error(uint32_t http_status, std::string_view code, std::string_view message,
                  std::string_view details_json = {}) {
    detail::require(api()->response_set_error != nullptr, "response_set_error");
    check(api()->response_set_error(resp_, http_status, str(code), str(message),
                                    details_json.empty() ? null_str() : str(details_json)),
          "response_set_error");
    return *this;
  }

  fk_response* handle() const noexcept { return resp_; }

 private:
  const fk_http_api* api() const {
    detail::require(http_ != nullptr, "the http service");
    return http_;
  }
  static void check(fk_status s, const char* what) {
    if (s != FK_OK) throw Exception(detail::host_error(s, what));
  }
  const fk_http_api* http_;
  fk_response* resp_;
};

// ===========================================================================
// Database
// ===========================================================================

/// One statement parameter, sent as PostgreSQL text. Implicit from strings,
/// integers, bool, nullptr / std::nullopt (SQL NULL) and std::optional.
/// Floating point is deliberately refused: money is exact (pass numeric
/// values as strings and cast in SQL, `$1::numeric`).
class Param {
 public:
  Param(std::nullptr_t) noexcept : null_(true) {}   // NOLINT: implicit by design
  Param(std::nullopt_t) noexcept : null_(true) {}   // NOLINT
  Param(std::string_view s) noexcept : view_(s) {}  // NOLINT
  Param(const char* s) noexcept : null_(s == nullptr), view_(s ? s : "") {}  // NOLINT
  Param(const std::string& s) noexcept : view_(s) {}                         // NOLINT
  Param(bool b) noexcept : view_(b ? "true" : "false") {}                    // NOLINT
  template <class Int, std::enable_if_t<std::is_integral_v<Int> && !std::is_same_v<Int, bool> &&
                                            !std::is_same_v<Int, char>,
                                        int> = 0>
  Param(Int v) : owned_(std::to_string(v)), is_owned_(true) {}  // NOLINT
  template <class T>
  Param(const std::optional<T>& v) : Param(v ? Param(*v) : Param(nullptr)) {}  // NOLINT
  Param(float) = delete;
  Param(double) = delete;
  Param(long double) = delete;

  bool is_null() const noexcept { return null_; }
  /// The parameter as the ABI passes it ({NULL,0} for SQL NULL).
  fk_str abi() const noexcept {
    if (null_) return null_str();
    return is_owned_ ? str(owned_) : str(view_);
  }

 private:
  bool null_ = false;
  std::string_view view_;
  std::string owned_;
  bool is_owned_ = false;
};

/// A query result, owned: freed by the destructor (rule M1). Move-only.
/// Views into it stay valid until it is destroyed.
class Rows {
 public:
  Rows() = default;
  Rows(const fk_db_api* db, fk_result* result) noexcept : db_(db), result_(result) {}
  Rows(const Rows&) = delete;
  Rows& operator=(const Rows&) = delete;
  Rows(Rows&& other) noexcept
      : db_(std::exchange(other.db_, nullptr)), result_(std::exchange(other.result_, nullptr)) {}
  Rows& operator=(Rows&& other) noexcept {
    if (this != &other) {
      reset();
      db_ = std::exchange(other.db_, nullptr);
      result_ = std::exchange(other.result_, nullptr);
    }
    return *this;
  }
  ~Rows() { reset(); }

  /// Number of rows.
  uint64_t size() const {
    uint64_t n = 0;
    if (result_ != nullptr) check(db_->result_row_count(result_, &n), "result_row_count");
    return n;
  }
  bool empty() const { return size() == 0; }
  uint32_t columns() const {
    uint32_t n = 0;
    if (result_ != nullptr) check(db_->result_column_count(result_, &n), "result_column_count");
    return n;
  }
  std::string_view column_name(uint32_t column) const {
    fk_str out{nullptr, 0};
    check(db_->result_column_name(handle_or_throw(), column, &out), "result_column_name");
    return view(out);
  }
  /// Index of the column called `name`, if any.
  std::optional<uint32_t> column_index(std::string_view name) const {
    const uint32_t n = columns();
    for (uint32_t i = 0; i < n; ++i) {
      if (column_name(i) == name) return i;
    }
    return std::nullopt;
  }
  /// Value at (row, column); std::nullopt for SQL NULL.
  std::optional<std::string_view> get(uint64_t row, uint32_t column) const {
    fk_str out{nullptr, 0};
    check(db_->result_value(handle_or_throw(), row, column, &out), "result_value");
    if (out.data == nullptr) return std::nullopt;
    return view(out);
  }
  /// Value at (row, column name); throws if there is no such column.
  std::optional<std::string_view> get(uint64_t row, std::string_view column) const {
    const auto index = column_index(column);
    if (!index) {
      throw Exception(Error::internal("no column named '" + std::string(column) + "'"));
    }
    return get(row, *index);
  }
  /// Rows inserted/updated/deleted.
  uint64_t affected() const {
    uint64_t n = 0;
    if (result_ != nullptr) check(db_->result_affected_rows(result_, &n), "result_affected_rows");
    return n;
  }

  /// A row view for range-for: `for (auto row : rows) row.get(0)`.
  class Row {
   public:
    Row(const Rows* rows, uint64_t index) noexcept : rows_(rows), index_(index) {}
    std::optional<std::string_view> get(uint32_t column) const {
      return rows_->get(index_, column);
    }
    std::optional<std::string_view> get(std::string_view column) const {
      return rows_->get(index_, column);
    }
    uint64_t index() const noexcept { return index_; }

   private:
    const Rows* rows_;
    uint64_t index_;
  };
  class iterator {
   public:
    iterator(const Rows* rows, uint64_t index) noexcept : rows_(rows), index_(index) {}
    Row operator*() const noexcept { return Row(rows_, index_); }
    iterator& operator++() noexcept {
      ++index_;
      return *this;
    }
    bool operator!=(const iterator& other) const noexcept { return index_ != other.index_; }
    bool operator==(const iterator& other) const noexcept { return index_ == other.index_; }

   private:
    const Rows* rows_;
    uint64_t index_;
  };
  iterator begin() const { return iterator(this, 0); }
  iterator end() const { return iterator(this, size()); }

  fk_result* handle() const noexcept { return result_; }

 private:
  static void check(fk_status s, const char* what) {
    if (s != FK_OK) throw Exception(detail::host_error(s, what));
  }
  fk_result* handle_or_throw() const {
    if (result_ == nullptr) throw Exception(Error::internal("empty Rows"));
    return result_;
  }
  void reset() noexcept {
    if (result_ != nullptr && db_ != nullptr) (void)db_->result_free(result_);
    result_ = nullptr;
  }

  const fk_db_api* db_ = nullptr;
  fk_result* result_ = nullptr;
};

/// One audit record (see fk_audit_entry).
struct Audit {
  std::string_view action;         ///< "<plugin>.<noun>.<verb>"
  std::string_view resource_type;  ///< e.g. "greeting"
  std::string_view resource_id;    ///< may be empty
  std::string_view details_json;   ///< JSON object or empty
  uint32_t outcome = FK_AUDIT_SUCCESS;
};

/// An event to publish with its full envelope (see fk_event_spec, ABI 1.1).
struct EventSpec {
  std::string_view type;            ///< listed under events.publishes in the manifest
  std::string_view aggregate_type;  ///< e.g. "greeting"; may be empty
  std::string_view aggregate_id;    ///< same aggregate = delivered in publication order
  std::string_view payload_json;    ///< a JSON object
  uint32_t version = 1;             ///< payload schema version, >= 1
};

/// The current call's tenant-scoped transaction: database, audit, events
/// and plugin calls, all atomic with the request (see the commit rule).
class Transaction {
 public:
  Transaction(const fk_host_api* host, fk_txn* txn) noexcept : host_(host), txn_(txn) {}

  /// Executes one parameterized statement: exec("... WHERE id = $1::uuid", id).
  template <class... Args>
  Result<Rows> exec(std::string_view sql, const Args&... args) const {
    const std::array<Param, sizeof...(Args)> params{Param(args)...};
    std::array<fk_str, sizeof...(Args)> abi{};
    for (std::size_t i = 0; i < params.size(); ++i) abi[i] = params[i].abi();
    return exec_abi(sql, abi.data(), abi.size());
  }

  /// Same as exec() with a run-time list of parameters.
  Result<Rows> exec_params(std::string_view sql, const std::vector<Param>& params) const {
    std::vector<fk_str> abi;
    abi.reserve(params.size());
    for (const Param& p : params) abi.push_back(p.abi());
    return exec_abi(sql, abi.data(), abi.size());
  }

  /// Publishes an event (delivered after commit).
  Result<void> publish(std::string_view type, std::string_view payload_json) const {
    const fk_events_api* events = FK_SDK_TABLE(host_, events);
    FK_SDK_RETURN_UNLESS(events, publish);
    fk_error err = FK_ERROR_INIT;
    const fk_status s = events->publish(txn_, str(type), str(payload_json), &err);
    if (s != FK_OK) return detail::host_error(s, err, "publishing " + std::string(type));
    return {};
  }

  /// Publishes an event with aggregate and schema version (delivered after
  /// commit). Uses publish_event on ABI 1.1 hosts; on a 1.0 host it falls
  /// back to publish, which knows only type and payload: the aggregate and
  /// version are then dropped (no per-aggregate ordering), so a plugin that
  /// relies on them should require ABI 1.1 in its manifest.
  Result<void> publish(const EventSpec& spec) const {
    const fk_events_api* events = FK_SDK_TABLE(host_, events);
    if (!FK_HOST_HAS(events, publish_event)) return publish(spec.type, spec.payload_json);
    fk_event_spec abi{};
    abi.struct_size = static_cast<uint32_t>(sizeof(fk_event_spec));
    abi.version = spec.version;
    abi.type = str(spec.type);
    abi.aggregate_type = str(spec.aggregate_type);
    abi.aggregate_id = str(spec.aggregate_id);
    abi.payload_json = str(spec.payload_json);
    fk_error err = FK_ERROR_INIT;
    const fk_status s = events->publish_event(txn_, &abi, &err);
    if (s != FK_OK) return detail::host_error(s, err, "publishing " + std::string(spec.type));
    return {};
  }

  /// Appends an audit record in this transaction.
  Result<void> audit(const Audit& a) const {
    const fk_audit_api* audit_api = FK_SDK_TABLE(host_, audit);
    FK_SDK_RETURN_UNLESS(audit_api, record);
    fk_audit_entry entry{};
    entry.struct_size = static_cast<uint32_t>(sizeof(fk_audit_entry));
    entry.outcome = a.outcome;
    entry.action = str(a.action);
    entry.resource_type = str(a.resource_type);
    entry.resource_id = str(a.resource_id);
    entry.details_json = a.details_json.empty() ? null_str() : str(a.details_json);
    fk_error err = FK_ERROR_INIT;
    const fk_status s = audit_api->record(txn_, &entry, &err);
    if (s != FK_OK) return detail::host_error(s, err, "audit record " + std::string(a.action));
    return {};
  }

  /// Calls another plugin's method; returns its JSON reply (copied).
  Result<std::string> call(std::string_view plugin, std::string_view method,
                           std::string_view request_json) const {
    const fk_plugins_api* plugins = FK_SDK_TABLE(host_, plugins);
    FK_SDK_RETURN_UNLESS(plugins, call);
    fk_str reply{nullptr, 0};
    fk_error err = FK_ERROR_INIT;
    const fk_status s =
        plugins->call(txn_, str(plugin), str(method), str(request_json), &reply, &err);
    if (s != FK_OK) {
      return detail::host_error(s, err,
                                "calling " + std::string(plugin) + "." + std::string(method));
    }
    return std::string(view(reply));
  }

  fk_txn* handle() const noexcept { return txn_; }

 private:
  Result<Rows> exec_abi(std::string_view sql, const fk_str* params, std::size_t count) const {
    const fk_db_api* db = FK_SDK_TABLE(host_, db);
    FK_SDK_RETURN_UNLESS(db, exec);
    fk_result* result = nullptr;
    fk_error err = FK_ERROR_INIT;
    const fk_status s = db->exec(txn_, str(sql), params, count, &result, &err);
    if (s != FK_OK) {
      if (result != nullptr) (void)db->result_free(result);  // defensive: never leak
      return detail::host_error(s, err, "SQL statement failed");
    }
    return Rows(db, result);
  }

  const fk_host_api* host_;
  fk_txn* txn_;
};

// ===========================================================================
// Idempotent consumers
// ===========================================================================

/// Whether `name` is a plain SQL identifier: [A-Za-z_][A-Za-z0-9_]*, at most
/// 63 bytes (PostgreSQL's limit), so it can be spliced into SQL unquoted.
inline bool is_sql_identifier(std::string_view name) noexcept {
  if (name.empty() || name.size() > 63) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    const bool digit = c >= '0' && c <= '9';
    if (!(letter || (i > 0 && digit))) return false;
  }
  return true;
}

/// The idempotent-consumer check for event handlers: records `event_id` in
/// the plugin's table `table` and says whether this is its first delivery.
/// Delivery is at least once, so a handler starts with
///   if (!first_delivery(ctx.tx(), "hello_processed_events", ctx.event().id).value())
///     return {};  // already handled: the earlier delivery's effects committed
/// The record commits or rolls back with the handler's own writes, so an
/// event counts as processed exactly when its effects are committed.
/// `table` needs columns (tenant_id uuid, event_id uuid) with a primary or
/// unique key on them, under the usual RLS rules and with INSERT granted to
/// the runtime role (see sdk/examples/hello/migrations/0002_processed_events.sql).
/// Errors: FK_ERR_INVALID_ARGUMENT for a table name that is not a plain
/// identifier; the host's error if the INSERT fails.
inline Result<bool> first_delivery(const Transaction& tx, std::string_view table,
                                   std::string_view event_id) {
  if (!is_sql_identifier(table)) {
    return Error::invalid_argument("first_delivery: table name '" + std::string(table) +
                                   "' is not a plain SQL identifier");
  }
  const std::string sql = "INSERT INTO " + std::string(table) +
                          " (tenant_id, event_id) VALUES ((SELECT fk_current_tenant()), $1::uuid)"
                          " ON CONFLICT DO NOTHING";
  Result<Rows> rows = tx.exec(sql, event_id);
  if (!rows) return std::move(rows).error();
  return rows->affected() == 1;
}

// ===========================================================================
// Tenant, config, crypto
// ===========================================================================

/// Who and for which tenant the current call runs. Views stay valid until
/// the callback returns.
class Tenant {
 public:
  Tenant(const fk_host_api* host, const fk_tenant_ctx* ctx) noexcept : host_(host), ctx_(ctx) {}

  std::string_view id() const { return get(&fk_authz_api::tenant_id, "tenant_id"); }
  std::string_view principal() const { return get(&fk_authz_api::principal_id, "principal_id"); }
  std::string_view request_id() const { return get(&fk_authz_api::request_id, "request_id"); }

  /// Whether the principal holds `permission` ("hello:greetings.write").
  bool has_permission(std::string_view permission) const {
    const fk_authz_api* authz = FK_SDK_TABLE(host_, authz);
    detail::require(FK_HOST_HAS(authz, has_permission), "has_permission");
    fk_bool granted = FK_FALSE;
    const fk_status s = authz->has_permission(ctx_, str(permission), &granted);
    if (s != FK_OK) throw Exception(detail::host_error(s, "has_permission"));
    return granted != 0;
  }

  const fk_tenant_ctx* handle() const noexcept { return ctx_; }

 private:
  using Getter = fk_status (*)(const fk_tenant_ctx*, fk_str*);
  std::string_view get(Getter fk_authz_api::*member, const char* what) const {
    const fk_authz_api* authz = FK_SDK_TABLE(host_, authz);
    detail::require(authz != nullptr, "the authz service");
    const Getter fn = authz->*member;
    detail::require(fn != nullptr, what);
    fk_str out{nullptr, 0};
    const fk_status s = fn(ctx_, &out);
    if (s != FK_OK) throw Exception(detail::host_error(s, what));
    return view(out);
  }

  const fk_host_api* host_;
  const fk_tenant_ctx* ctx_;
};

/// The plugin's configuration (manifest config schema), as JSON values.
class Config {
 public:
  Config(const fk_host_api* host, fk_plugin* self, const fk_tenant_ctx* ctx) noexcept
      : host_(host), self_(self), ctx_(ctx) {}

  /// The raw JSON value of `key` (copied).
  Result<std::string> get(std::string_view key) const {
    const fk_config_api* config = FK_SDK_TABLE(host_, config);
    FK_SDK_RETURN_UNLESS(config, get);
    std::string buf(256, '\0');
    for (int attempt = 0; attempt < 4; ++attempt) {
      std::size_t len = 0;
      const fk_status s = config->get(self_, ctx_, str(key), buf.data(), buf.size(), &len);
      if (s == FK_OK) {
        buf.resize(len);
        return buf;
      }
      if (s != FK_ERR_BUFFER_TOO_SMALL || len <= buf.size()) {
        return detail::host_error(s, "config key " + std::string(key));
      }
      buf.assign(len, '\0');  // the value may change between calls: retry a few times
    }
    return Error::unavailable("config key " + std::string(key) + " keeps changing size");
  }

  /// An integer value (JSON number without fraction).
  Result<int64_t> get_int(std::string_view key) const {
    auto raw = get(key);
    if (!raw) return std::move(raw).error();
    const std::string& s = *raw;
    std::size_t i = 0;
    const bool negative = !s.empty() && s[0] == '-';
    if (negative) i = 1;
    if (i == s.size())
      return Error::validation("config key " + std::string(key) + " is not an integer");
    uint64_t v = 0;
    for (; i < s.size(); ++i) {
      if (s[i] < '0' || s[i] > '9' || v > (UINT64_MAX - 9) / 10) {
        return Error::validation("config key " + std::string(key) + " is not an integer");
      }
      v = v * 10 + static_cast<uint64_t>(s[i] - '0');
    }
    if (v > static_cast<uint64_t>(INT64_MAX) + (negative ? 1u : 0u)) {
      return Error::validation("config key " + std::string(key) + " is out of range");
    }
    if (negative)
      return v == static_cast<uint64_t>(INT64_MAX) + 1u ? INT64_MIN : -static_cast<int64_t>(v);
    return static_cast<int64_t>(v);
  }

  /// A boolean value.
  Result<bool> get_bool(std::string_view key) const {
    auto raw = get(key);
    if (!raw) return std::move(raw).error();
    if (*raw == "true") return true;
    if (*raw == "false") return false;
    return Error::validation("config key " + std::string(key) + " is not a boolean");
  }

  /// A string value (JSON string, unescaped to UTF-8).
  Result<std::string> get_string(std::string_view key) const {
    auto raw = get(key);
    if (!raw) return std::move(raw).error();
    auto parsed = parse_json_string(*raw);
    if (!parsed) return Error::validation("config key " + std::string(key) + " is not a string");
    return std::move(*parsed);
  }

  /// Parses one JSON string literal ("..." with escapes) to UTF-8.
  static std::optional<std::string> parse_json_string(std::string_view s) {
    if (s.size() < 2 || s.front() != '"' || s.back() != '"') return std::nullopt;
    std::string out;
    for (std::size_t i = 1; i + 1 < s.size(); ++i) {
      const char c = s[i];
      if (c == '"' || static_cast<unsigned char>(c) < 0x20) return std::nullopt;
      if (c != '\\') {
        out.push_back(c);
        continue;
      }
      ++i;  // the escaped character; the closing quote cannot be escaped
      if (i >= s.size() - 1) return std::nullopt;
      switch (s[i]) {
        case '"':
          out.push_back('"');
          break;
        case '\\':
          out.push_back('\\');
          break;
        case '/':
          out.push_back('/');
          break;
        case 'b':
          out.push_back('\b');
          break;
        case 'f':
          out.push_back('\f');
          break;
        case 'n':
          out.push_back('\n');
          break;
        case 'r':
          out.push_back('\r');
          break;
        case 't':
          out.push_back('\t');
          break;
        case 'u': {
          auto hex4 = [&](std::size_t at) -> std::optional<uint32_t> {
            if (at + 4 > s.size() - 1) return std::nullopt;
            uint32_t v = 0;
            for (std::size_t k = at; k < at + 4; ++k) {
              const char h = s[k];
              v <<= 4;
              if (h >= '0' && h <= '9')
                v |= static_cast<uint32_t>(h - '0');
              else if (h >= 'a' && h <= 'f')
                v |= static_cast<uint32_t>(h - 'a' + 10);
              else if (h >= 'A' && h <= 'F')
                v |= static_cast<uint32_t>(h - 'A' + 10);
              else
                return std::nullopt;
            }
            return v;
          };
          auto cp = hex4(i + 1);
          if (!cp) return std::nullopt;
          i += 4;
          uint32_t code = *cp;
          if (code >= 0xD800 && code <= 0xDBFF) {  // surrogate pair
            if (i + 2 >= s.size() - 1 || s[i + 1] != '\\' || s[i + 2] != 'u') return std::nullopt;
            auto low = hex4(i + 3);
            if (!low || *low < 0xDC00 || *low > 0xDFFF) return std::nullopt;
            i += 6;
            code = 0x10000 + ((code - 0xD800) << 10) + (*low - 0xDC00);
          } else if (code >= 0xDC00 && code <= 0xDFFF) {
            return std::nullopt;
          }
          append_utf8(out, code);
          break;
        }
        default:
          return std::nullopt;
      }
    }
    return out;
  }

 private:
  static void append_utf8(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
      out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }

  const fk_host_api* host_;
  fk_plugin* self_;
  const fk_tenant_ctx* ctx_;
};

using Digest = std::array<uint8_t, 32>;

/// Hashing, randomness and per-tenant encryption (keys never leave the host).
class Crypto {
 public:
  Crypto(const fk_host_api* host, fk_plugin* self, const fk_tenant_ctx* ctx) noexcept
      : host_(host), self_(self), ctx_(ctx) {}

  Result<std::vector<uint8_t>> random(std::size_t n) const {
    const fk_crypto_api* c = FK_SDK_TABLE(host_, crypto);
    FK_SDK_RETURN_UNLESS(c, random_bytes);
    std::vector<uint8_t> out(n);
    const fk_status s = c->random_bytes(self_, out.data(), out.size());
    if (s != FK_OK) return detail::host_error(s, "random_bytes");
    return out;
  }

  Result<Digest> sha256(std::string_view data) const {
    const fk_crypto_api* c = FK_SDK_TABLE(host_, crypto);
    FK_SDK_RETURN_UNLESS(c, sha256);
    Digest d{};
    const fk_status s = c->sha256(self_, bytes(data), d.data());
    if (s != FK_OK) return detail::host_error(s, "sha256");
    return d;
  }

  /// Encrypts under the current tenant's key, bound to `purpose`.
  Result<std::string> encrypt(std::string_view purpose, std::string_view plaintext) const {
    const fk_crypto_api* c = FK_SDK_TABLE(host_, crypto);
    FK_SDK_RETURN_UNLESS(c, encrypt);
    return sized_call(c->encrypt, purpose, plaintext, plaintext.size() + 64, "encrypt");
  }

  /// Decrypts what encrypt() produced for the same tenant and purpose.
  Result<std::string> decrypt(std::string_view purpose, std::string_view ciphertext) const {
    const fk_crypto_api* c = FK_SDK_TABLE(host_, crypto);
    FK_SDK_RETURN_UNLESS(c, decrypt);
    return sized_call(c->decrypt, purpose, ciphertext, ciphertext.size(), "decrypt");
  }

  /// Keyed hash for blind indexes, bound to the tenant and `purpose`.
  Result<Digest> hmac_sha256(std::string_view purpose, std::string_view data) const {
    const fk_crypto_api* c = FK_SDK_TABLE(host_, crypto);
    FK_SDK_RETURN_UNLESS(c, hmac_sha256);
    Digest d{};
    fk_error err = FK_ERROR_INIT;
    const fk_status s = c->hmac_sha256(ctx_, str(purpose), bytes(data), d.data(), &err);
    if (s != FK_OK) return detail::host_error(s, err, "hmac_sha256");
    return d;
  }

 private:
  using Sized = fk_status (*)(const fk_tenant_ctx*, fk_str, fk_bytes, uint8_t*, std::size_t,
                              std::size_t*, fk_error*);
  Result<std::string> sized_call(Sized fn, std::string_view purpose, std::string_view input,
                                 std::size_t guess, const char* what) const {
    std::string out(guess == 0 ? 1 : guess, '\0');
    for (int attempt = 0; attempt < 2; ++attempt) {
      std::size_t len = 0;
      fk_error err = FK_ERROR_INIT;
      const fk_status s = fn(ctx_, str(purpose), bytes(input),
                             reinterpret_cast<uint8_t*>(out.data()), out.size(), &len, &err);
      if (s == FK_OK) {
        out.resize(len);
        return out;
      }
      if (s != FK_ERR_BUFFER_TOO_SMALL || len <= out.size())
        return detail::host_error(s, err, what);
      out.assign(len, '\0');
    }
    return Error::internal(std::string(what) + ": output size kept growing");
  }

  const fk_host_api* host_;
  fk_plugin* self_;
  const fk_tenant_ctx* ctx_;
};

// ===========================================================================
// Callback contexts
// ===========================================================================

/// What every per-call context offers.
class CallScope {
 public:
  CallScope(const fk_host_api* host, fk_plugin* self, const fk_tenant_ctx* tenant,
            fk_txn* txn) noexcept
      : host_(host), self_(self), tenant_(host, tenant), tx_(host, txn) {}

  /// The tenant, principal and request id.
  const Tenant& tenant() const noexcept { return tenant_; }
  /// The tenant-scoped transaction.
  const Transaction& tx() const noexcept { return tx_; }
  /// A logger that adds requestId and tenantId.
  Logger log() const noexcept { return Logger(host_, self_, tenant_.handle()); }
  /// The tenant's effective configuration.
  Config config() const noexcept { return Config(host_, self_, tenant_.handle()); }
  /// Crypto with the tenant's keys.
  Crypto crypto() const noexcept { return Crypto(host_, self_, tenant_.handle()); }
  /// The raw C host table, for FK_HOST_HAS checks and direct calls.
  const fk_host_api* host_api() const noexcept { return host_; }

 private:
  const fk_host_api* host_;
  fk_plugin* self_;
  Tenant tenant_;
  Transaction tx_;
};

/// Context of on_request.
class RequestContext : public CallScope {
 public:
  RequestContext(const fk_host_api* host, fk_plugin* self, const fk_request_args& args) noexcept
      : CallScope(host, self, args.tenant, args.txn),
        request_(FK_SDK_TABLE(host, http), args.request),
        response_(FK_SDK_TABLE(host, http), args.response) {}
  const Request& request() const noexcept { return request_; }
  Response& response() noexcept { return response_; }

 private:
  Request request_;
  Response response_;
};

/// Context of on_measure (ABI 1.2): how much money the request would move,
/// asked before it runs (fk_measure_args). No transaction: read the request,
/// report amounts with add(), touch nothing else.
class MeasureContext {
 public:
  MeasureContext(const fk_host_api* host, fk_plugin* self, const fk_measure_args& args) noexcept
      : host_(host),
        self_(self),
        args_(args),
        tenant_(host, args.tenant),
        request_(FK_SDK_TABLE(host, http), args.request) {}
  const Request& request() const noexcept { return request_; }
  const Tenant& tenant() const noexcept { return tenant_; }
  Logger log() const noexcept { return Logger(host_, self_, tenant_.handle()); }
  Config config() const noexcept { return Config(host_, self_, tenant_.handle()); }

  /// Reports money the request moves: an ISO 4217 code ("USD") and an exact
  /// non-negative decimal in major units ("25000.00"). Several calls for one
  /// currency add up. Throws Exception if the host refuses the pair.
  void add(std::string_view currency, std::string_view amount) const {
    detail::require(args_.add_amount != nullptr, "add_amount");
    const fk_status s = args_.add_amount(args_.sink, str(currency), str(amount));
    if (s != FK_OK) throw Exception(detail::host_error(s, "add_amount"));
  }

 private:
  const fk_host_api* host_;
  fk_plugin* self_;
  const fk_measure_args& args_;
  Tenant tenant_;
  Request request_;
};

/// An event delivery (views valid until the callback returns).
/// Members a 1.0 host does not send stay empty (version: 1).
struct Event {
  std::string_view id;
  std::string_view type;
  std::string_view source;
  std::string_view payload_json;
  int64_t occurred_at_ms = 0;
  uint32_t attempt = 1;
  std::string_view aggregate_type;  ///< ABI 1.1
  std::string_view aggregate_id;    ///< ABI 1.1
  std::string_view correlation_id;  ///< ABI 1.1: the publishing request's id
  std::string_view causation_id;    ///< ABI 1.1: the event that caused this one, if any
  uint32_t version = 1;             ///< ABI 1.1: payload schema version
};

/// Context of on_event.
class EventContext : public CallScope {
 public:
  EventContext(const fk_host_api* host, fk_plugin* self, const fk_event_args& args) noexcept
      : CallScope(host, self, args.tenant, args.txn) {
    const fk_event* e = args.event;
    if (FK_HAS_FIELD(e, attempt)) event_.attempt = e->attempt;
    if (FK_HAS_FIELD(e, id)) event_.id = view(e->id);
    if (FK_HAS_FIELD(e, type)) event_.type = view(e->type);
    if (FK_HAS_FIELD(e, source)) event_.source = view(e->source);
    if (FK_HAS_FIELD(e, payload_json)) event_.payload_json = view(e->payload_json);
    if (FK_HAS_FIELD(e, occurred_at_ms)) event_.occurred_at_ms = e->occurred_at_ms;
    if (FK_HAS_FIELD(e, aggregate_type)) event_.aggregate_type = view(e->aggregate_type);
    if (FK_HAS_FIELD(e, aggregate_id)) event_.aggregate_id = view(e->aggregate_id);
    if (FK_HAS_FIELD(e, correlation_id)) event_.correlation_id = view(e->correlation_id);
    if (FK_HAS_FIELD(e, causation_id)) event_.causation_id = view(e->causation_id);
    if (FK_HAS_FIELD(e, version) && e->version != 0) event_.version = e->version;
  }
  const Event& event() const noexcept { return event_; }

 private:
  Event event_;
};

/// Context of on_migrate (one tenant, principal "system").
class MigrateContext : public CallScope {
 public:
  MigrateContext(const fk_host_api* host, fk_plugin* self, const fk_migrate_args& args) noexcept
      : CallScope(host, self, args.tenant, args.txn),
        from_(view(args.from_version)),
        to_(view(args.to_version)) {}
  /// Version last migrated for this tenant; empty on first install.
  std::string_view from_version() const noexcept { return from_; }
  std::string_view to_version() const noexcept { return to_; }

 private:
  std::string_view from_;
  std::string_view to_;
};

/// Context of on_call (another plugin calling this one).
class CallContext : public CallScope {
 public:
  CallContext(const fk_host_api* host, fk_plugin* self, const fk_call_args& args) noexcept
      : CallScope(host, self, args.tenant, args.txn),
        caller_(view(args.caller)),
        method_(view(args.method)),
        request_json_(view(args.request_json)),
        reply_(FK_SDK_TABLE(host, http), args.reply) {}
  std::string_view caller() const noexcept { return caller_; }
  std::string_view method() const noexcept { return method_; }
  std::string_view request_json() const noexcept { return request_json_; }
  /// Write the reply with json() or error().
  Response& reply() noexcept { return reply_; }

 private:
  std::string_view caller_;
  std::string_view method_;
  std::string_view request_json_;
  Response reply_;
};

/// Context of on_init.
class InitContext {
 public:
  InitContext(const fk_host_api* host, fk_plugin* self, std::string_view plugin_dir) noexcept
      : host_(host), self_(self), plugin_dir_(plugin_dir) {}
  Logger log() const noexcept { return Logger(host_, self_, nullptr); }
  /// Platform-level configuration (no tenant).
  Config config() const noexcept { return Config(host_, self_, nullptr); }
  /// Directory holding the manifest (valid during init only).
  std::string_view plugin_dir() const noexcept { return plugin_dir_; }
  const fk_host_api* host_api() const noexcept { return host_; }

 private:
  const fk_host_api* host_;
  fk_plugin* self_;
  std::string_view plugin_dir_;
};

// ===========================================================================
// Plugin base class
// ===========================================================================

namespace detail {
struct Bridge;
}

/// Derive from Plugin, override what you need, register with FK_CPP_PLUGIN.
/// One object serves the whole load: constructed before on_init, destroyed
/// after on_shutdown. Handlers run concurrently (rule T2).
class Plugin {
 public:
  Plugin() = default;
  Plugin(const Plugin&) = delete;
  Plugin& operator=(const Plugin&) = delete;
  virtual ~Plugin() = default;

  /// Once, before any handler. An error refuses the load.
  virtual Result<void> on_init(InitContext& /*ctx*/) { return {}; }
  /// Code migration for one tenant (see fk_migrate_args).
  virtual Result<void> on_migrate(MigrateContext& /*ctx*/) { return {}; }
  /// One HTTP request. Default: dispatch to the handler registered with
  /// route() for the request's method and manifest route template.
  virtual Result<void> on_request(RequestContext& ctx) { return dispatch(ctx); }
  /// One event delivery. Default: ignore.
  virtual Result<void> on_event(EventContext& /*ctx*/) { return {}; }
  /// A call from another plugin. Default: unsupported.
  virtual Result<void> on_call(CallContext& ctx) {
    return Error::unsupported("method " + std::string(ctx.method()) + " is not exported");
  }
  /// ABI 1.2: the money a request would move (see MeasureContext). Default:
  /// the measurer registered with measure() for the request's method and
  /// route, or unsupported (the kernel then takes the safe side).
  virtual Result<void> on_measure(MeasureContext& ctx) { return dispatch_measure(ctx); }
  /// Once, after the last handler returned. Join your threads here.
  virtual void on_shutdown() {}

 protected:
  using Handler = std::function<Result<void>(RequestContext&)>;

  /// Registers a handler for a manifest route (call from the constructor).
  void route(Method method, std::string route_template, Handler handler) {
    routes_.push_back(RouteEntry{method, std::move(route_template), std::move(handler)});
  }
  /// Registers a member function: route(Method::Get, "/v1/x", &MyPlugin::list).
  template <class Self>
  void route(Method method, std::string route_template, Result<void> (Self::*fn)(RequestContext&)) {
    static_assert(std::is_base_of_v<Plugin, Self>, "handler must be a member of the plugin");
    Self* self = static_cast<Self*>(this);
    route(method, std::move(route_template),
          [self, fn](RequestContext& ctx) { return (self->*fn)(ctx); });
  }

  using Measurer = std::function<Result<void>(MeasureContext&)>;

  /// Registers how to measure a manifest route's requests (ABI 1.2; call
  /// from the constructor). Optional: on a 1.0/1.1 kernel it is never called.
  void measure(Method method, std::string route_template, Measurer measurer) {
    measurers_.push_back(MeasurerEntry{method, std::move(route_template), std::move(measurer)});
  }
  /// Registers a member function: measure(Method::Post, "/v1/x", &MyPlugin::measure_x).
  template <class Self>
  void measure(Method method, std::string route_template,
               Result<void> (Self::*fn)(MeasureContext&)) {
    static_assert(std::is_base_of_v<Plugin, Self>, "measurer must be a member of the plugin");
    Self* self = static_cast<Self*>(this);
    measure(method, std::move(route_template),
            [self, fn](MeasureContext& ctx) { return (self->*fn)(ctx); });
  }

  /// Default on_measure: the registered measurer, or unsupported.
  Result<void> dispatch_measure(MeasureContext& ctx) {
    const Method method = ctx.request().method();
    const std::string_view tpl = ctx.request().route();
    for (const MeasurerEntry& m : measurers_) {
      if (m.route_template == tpl && m.method == method) return m.measurer(ctx);
    }
    return Error::unsupported("requests to " + std::string(tpl) + " are not measured");
  }

  /// Default on_request: find the registered handler or answer 404.
  Result<void> dispatch(RequestContext& ctx) {
    const Method method = ctx.request().method();
    const std::string_view tpl = ctx.request().route();
    bool path_known = false;
    for (const RouteEntry& r : routes_) {
      if (r.route_template != tpl) continue;
      path_known = true;
      if (r.method == method) return r.handler(ctx);
    }
    if (path_known) {
      return Error(FK_ERR_UNSUPPORTED, "method not allowed on this route")
          .with_http_status(405)
          .with_api_code("METHOD_NOT_ALLOWED");
    }
    return Error::not_found("no handler for route " + std::string(tpl));
  }

  /// Plugin-level logger (no tenant context); usable from your own threads.
  Logger log() const noexcept { return Logger(host_, self_, nullptr); }
  /// Platform-level configuration.
  Config config() const noexcept { return Config(host_, self_, nullptr); }
  /// The raw C host table (valid after construction, until shutdown).
  const fk_host_api* host_api() const noexcept { return host_; }
  fk_plugin* self_handle() const noexcept { return self_; }

 private:
  friend struct detail::Bridge;
  struct RouteEntry {
    Method method;
    std::string route_template;
    Handler handler;
  };
  std::vector<RouteEntry> routes_;
  struct MeasurerEntry {
    Method method;
    std::string route_template;
    Measurer measurer;
  };
  std::vector<MeasurerEntry> measurers_;
  const fk_host_api* host_ = nullptr;
  fk_plugin* self_ = nullptr;
};

// ===========================================================================
// The noexcept thunks (the only code the host calls)
// ===========================================================================

namespace detail {

struct Bridge {
  /// Converts the in-flight exception to a status and logs it. noexcept.
  static fk_status from_exception(const fk_host_api* host, fk_plugin* self,
                                  const fk_tenant_ctx* ctx, const char* where) noexcept {
    Logger log(host, self, ctx);
    try {
      throw;
    } catch (const Exception& e) {
      log.error("plugin error", {{"callback", where}, {"error", e.what()}});
      return e.error().code == FK_OK ? FK_ERR_INTERNAL : e.error().code;
    } catch (const std::bad_alloc&) {
      log.error("plugin ran out of memory", {{"callback", where}});
      return FK_ERR_INTERNAL;
    } catch (const std::exception& e) {
      log.error("plugin threw an exception", {{"callback", where}, {"exception", e.what()}});
      return FK_ERR_INTERNAL;
    } catch (...) {
      log.error("plugin threw a non-standard exception", {{"callback", where}});
      return FK_ERR_INTERNAL;
    }
  }

  /// Logs a returned Error and yields its status.
  static fk_status from_error(const Logger& log, const Error& e, const char* where) noexcept {
    try {
      const std::string text = e.describe();
      // A refused request or call is routine (info); any other failure is not.
      const std::string_view cb(where);
      const bool routine =
          e.effective_http_status() < 500 && (cb == "request" || cb == "call" || cb == "measure");
      if (!routine) {
        log.error("plugin callback failed", {{"callback", where}, {"error", text}});
      } else {
        log.info("plugin callback refused", {{"callback", where}, {"error", text}});
      }
    } catch (...) {
    }
    return e.code == FK_OK ? FK_ERR_INTERNAL : e.code;
  }

  /// For request/call handlers: a 4xx Error becomes the error response
  /// (its message is meant for the client); a 5xx one is left to the
  /// kernel, which answers a generic message (internals never leak).
  static fk_status finish(Response& resp, const Logger& log, const Error& e,
                          const char* where) noexcept {
    const fk_status code = from_error(log, e, where);
    const uint32_t http = e.effective_http_status();
    if (http >= 400 && http < 500) {
      try {
        const std::string api_code = !e.api_code.empty() ? e.api_code : default_api_code(code);
        resp.error(http, api_code, e.message, e.details_json);
      } catch (...) {
        // The kernel still answers from the status.
      }
    }
    return code;
  }

  static const char* default_api_code(fk_status code) noexcept {
    switch (code) {
      case FK_ERR_INVALID_ARGUMENT:
        return "INVALID_ARGUMENT";
      case FK_ERR_NOT_FOUND:
        return "NOT_FOUND";
      case FK_ERR_PERMISSION_DENIED:
        return "FORBIDDEN";
      case FK_ERR_CONFLICT:
        return "CONFLICT";
      case FK_ERR_VALIDATION:
        return "VALIDATION_FAILED";
      case FK_ERR_UNSUPPORTED:
        return "NOT_IMPLEMENTED";
      case FK_ERR_UNAVAILABLE:
        return "UNAVAILABLE";
      case FK_ERR_TIMEOUT:
        return "TIMEOUT";
      default:
        return "INTERNAL_ERROR";
    }
  }

  /// Runs a plugin handler; an Exception (e.g. from Result::value()) is
  /// treated exactly like the Error it carries. Other exceptions propagate
  /// to the thunk's catch-all.
  template <class F>
  static Result<void> invoke(F&& handler) {
    try {
      return handler();
    } catch (const Exception& e) {
      return e.error();
    }
  }

  template <class T>
  static fk_status init(const fk_init_args* args, void** out_state) noexcept {
    if (args == nullptr || out_state == nullptr || !FK_HAS_FIELD(args, self)) {
      return FK_ERR_INVALID_ARGUMENT;
    }
    *out_state = nullptr;
    const fk_host_api* host = args->host;
    fk_plugin* self = args->self;
    try {
      std::unique_ptr<T> plugin(new T());
      Plugin& base = *plugin;
      base.host_ = host;
      base.self_ = self;
      const std::string_view dir = FK_HAS_FIELD(args, plugin_dir) ? view(args->plugin_dir) : "";
      InitContext ctx(host, self, dir);
      Result<void> r = invoke([&] { return base.on_init(ctx); });
      if (!r) return from_error(ctx.log(), r.error(), "init");  // unique_ptr frees the plugin
      *out_state = static_cast<Plugin*>(plugin.release());
      return FK_OK;
    } catch (...) {
      return from_exception(host, self, nullptr, "init");
    }
  }

  static fk_status migrate(void* state, const fk_migrate_args* args) noexcept {
    Plugin* p = static_cast<Plugin*>(state);
    if (p == nullptr || args == nullptr || !FK_HAS_FIELD(args, txn)) return FK_ERR_INVALID_ARGUMENT;
    try {
      MigrateContext ctx(p->host_, p->self_, *args);
      Result<void> r = invoke([&] { return p->on_migrate(ctx); });
      return r ? FK_OK : from_error(ctx.log(), r.error(), "migrate");
    } catch (...) {
      return from_exception(p->host_, p->self_, args->tenant, "migrate");
    }
  }

  static void shutdown(void* state) noexcept {
    Plugin* p = static_cast<Plugin*>(state);
    if (p == nullptr) return;
    const fk_host_api* host = p->host_;
    fk_plugin* self = p->self_;
    try {
      p->on_shutdown();
    } catch (...) {
      (void)from_exception(host, self, nullptr, "shutdown");
    }
    delete p;  // virtual destructor; destructors do not throw
  }

  static fk_status request(void* state, const fk_request_args* args) noexcept {
    Plugin* p = static_cast<Plugin*>(state);
    if (p == nullptr || args == nullptr || !FK_HAS_FIELD(args, txn)) return FK_ERR_INVALID_ARGUMENT;
    try {
      RequestContext ctx(p->host_, p->self_, *args);
      Result<void> r = invoke([&] { return p->on_request(ctx); });
      return r ? FK_OK : finish(ctx.response(), ctx.log(), r.error(), "request");
    } catch (...) {
      return from_exception(p->host_, p->self_, args->tenant, "request");
    }
  }

  static fk_status measure(void* state, const fk_measure_args* args) noexcept {
    Plugin* p = static_cast<Plugin*>(state);
    if (p == nullptr || args == nullptr || !FK_HAS_FIELD(args, add_amount)) {
      return FK_ERR_INVALID_ARGUMENT;
    }
    try {
      MeasureContext ctx(p->host_, p->self_, *args);
      Result<void> r = invoke([&] { return p->on_measure(ctx); });
      return r ? FK_OK : from_error(ctx.log(), r.error(), "measure");
    } catch (...) {
      return from_exception(p->host_, p->self_, args->tenant, "measure");
    }
  }

  static fk_status event(void* state, const fk_event_args* args) noexcept {
    Plugin* p = static_cast<Plugin*>(state);
    if (p == nullptr || args == nullptr || !FK_HAS_FIELD(args, txn) || args->event == nullptr) {
      return FK_ERR_INVALID_ARGUMENT;
    }
    try {
      EventContext ctx(p->host_, p->self_, *args);
      Result<void> r = invoke([&] { return p->on_event(ctx); });
      return r ? FK_OK : from_error(ctx.log(), r.error(), "event");
    } catch (...) {
      return from_exception(p->host_, p->self_, args->tenant, "event");
    }
  }

  static fk_status call(void* state, const fk_call_args* args) noexcept {
    Plugin* p = static_cast<Plugin*>(state);
    if (p == nullptr || args == nullptr || !FK_HAS_FIELD(args, reply))
      return FK_ERR_INVALID_ARGUMENT;
    try {
      CallContext ctx(p->host_, p->self_, *args);
      Result<void> r = invoke([&] { return p->on_call(ctx); });
      return r ? FK_OK : finish(ctx.reply(), ctx.log(), r.error(), "call");
    } catch (...) {
      return from_exception(p->host_, p->self_, args->tenant, "call");
    }
  }
};

/// The callbacks table for plugin class T (used by FK_CPP_PLUGIN).
template <class T>
constexpr fk_plugin_callbacks make_callbacks() noexcept {
  static_assert(std::is_base_of_v<Plugin, T>,
                "FK_CPP_PLUGIN: class must derive from fk::sdk::Plugin");
  static_assert(std::is_default_constructible_v<T>,
                "FK_CPP_PLUGIN: class must be default-constructible");
  return fk_plugin_callbacks{static_cast<uint32_t>(sizeof(fk_plugin_callbacks)),
                             0u,
                             &Bridge::init<T>,
                             &Bridge::migrate,
                             &Bridge::shutdown,
                             &Bridge::request,
                             &Bridge::event,
                             &Bridge::call,
                             &Bridge::measure};
}

}  // namespace detail
}  // namespace fk::sdk

/// Defines the plugin's entry symbol for a C++ plugin class. Use once, at
/// file scope (outside any namespace), with string literals that match the
/// manifest's name and version:   FK_CPP_PLUGIN(HelloPlugin, "hello", "1.0.0")
#define FK_CPP_PLUGIN(ClassName, name_literal, version_literal)   \
  static constexpr fk_plugin_callbacks fk_cpp_plugin_callbacks_ = \
      ::fk::sdk::detail::make_callbacks<ClassName>();             \
  FK_PLUGIN_DEFINE(name_literal, version_literal, &fk_cpp_plugin_callbacks_)

#endif  // FINKERNEL_FK_PLUGIN_HPP
