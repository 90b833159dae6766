// Unit tests of the header-only C++ wrapper's pure parts: Result, Error,
// Param, string helpers, JSON string parsing. Compiled twice, as C++17 and
// C++20, with strict warnings (see CMakeLists.txt). The wrapper's calls into
// a host are exercised by the harness tests (harness/fk_sdk_harness.cpp).
#include <finkernel/fk_plugin.hpp>

#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <type_traits>

namespace {

int failures = 0;

#define CHECK(cond)                                                                 \
  do {                                                                              \
    if (!(cond)) {                                                                  \
      std::fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      ++failures;                                                                   \
    }                                                                               \
  } while (0)

using fk::sdk::Error;
using fk::sdk::Param;
using fk::sdk::Result;

// Money is exact: floating point cannot become a statement parameter.
static_assert(!std::is_constructible_v<Param, double>);
static_assert(!std::is_constructible_v<Param, float>);
static_assert(std::is_constructible_v<Param, int64_t>);
static_assert(std::is_constructible_v<Param, std::optional<std::string>>);
// Rows own a host result: movable, never copyable.
static_assert(!std::is_copy_constructible_v<fk::sdk::Rows>);
static_assert(std::is_nothrow_move_constructible_v<fk::sdk::Rows>);
// The callbacks table of a C++ plugin is a compile-time constant.
struct Empty : fk::sdk::Plugin {};
constexpr fk_plugin_callbacks kEmptyCallbacks = fk::sdk::detail::make_callbacks<Empty>();
static_assert(kEmptyCallbacks.struct_size == sizeof(fk_plugin_callbacks));
static_assert(kEmptyCallbacks.reserved0 == 0);

std::string str_of(fk_str s) {
  return std::string(fk::sdk::view(s));
}

void test_result() {
  Result<int> ok = 42;
  CHECK(ok.has_value() && static_cast<bool>(ok) && *ok == 42 && ok.value() == 42);
  Result<int> bad = Error::not_found("no such thing");
  CHECK(!bad && bad.error().code == FK_ERR_NOT_FOUND && bad.value_or(7) == 7);
  bool threw = false;
  try {
    (void)bad.value();
  } catch (const fk::sdk::Exception& e) {
    threw = e.error().code == FK_ERR_NOT_FOUND && std::strstr(e.what(), "no such thing");
  }
  CHECK(threw);

  Result<void> v;
  CHECK(v.has_value());
  Result<void> verr = Error::conflict("taken");
  CHECK(!verr && verr.error().code == FK_ERR_CONFLICT);

  Result<std::string> moved = std::string("abc");
  std::string taken = std::move(moved).value();
  CHECK(taken == "abc");

  // An Error can never claim success.
  Error e(FK_OK, "oops");
  CHECK(e.code == FK_ERR_INTERNAL);
}

void test_error_mapping() {
  CHECK(Error::validation("x").effective_http_status() == 422);
  CHECK(Error::invalid_argument("x").effective_http_status() == 400);
  CHECK(Error::permission_denied("x").effective_http_status() == 403);
  CHECK(Error::internal("x").effective_http_status() == 500);
  Error custom = Error::conflict("exists").with_api_code("GREETING_EXISTS").with_http_status(409);
  CHECK(custom.api_code == "GREETING_EXISTS" && custom.effective_http_status() == 409);
  Error db(FK_ERR_DB, "SQL failed");
  db.subcode = "23505";
  CHECK(db.describe() == "FK_ERR_DB: SQL failed [23505]");
  CHECK(std::string(fk::sdk::detail::Bridge::default_api_code(FK_ERR_VALIDATION)) ==
        "VALIDATION_FAILED");
  CHECK(std::string(fk::sdk::detail::Bridge::default_api_code(9999)) == "INTERNAL_ERROR");
}

void test_params() {
  CHECK(Param(nullptr).abi().data == nullptr);
  CHECK(Param(std::nullopt).is_null());
  CHECK(Param(static_cast<const char*>(nullptr)).is_null());
  const fk_str empty = Param("").abi();
  CHECK(empty.data != nullptr && empty.len == 0);  // "" is not NULL
  CHECK(str_of(Param(std::string_view()).abi()).empty() && Param(std::string_view()).abi().data);
  CHECK(str_of(Param(-42).abi()) == "-42");
  CHECK(str_of(Param(uint64_t{18446744073709551615u}).abi()) == "18446744073709551615");
  CHECK(str_of(Param(true).abi()) == "true");
  std::optional<int> none;
  std::optional<int> some = 5;
  CHECK(Param(none).is_null());
  CHECK(str_of(Param(some).abi()) == "5");
  std::string s = "hello";
  Param ps(s);
  CHECK(ps.abi().data == s.data());  // borrowed, not copied
  // An owned value survives moves (small-string buffers move with the Param).
  std::vector<Param> params;
  for (int i = 0; i < 20; ++i) params.emplace_back(i);
  CHECK(str_of(params[19].abi()) == "19");
}

void test_strings() {
  CHECK(fk::sdk::view(fk_str{nullptr, 0}).empty());
  CHECK(fk::sdk::str(std::string_view()).data != nullptr);
  CHECK(fk::sdk::json_quote("a\"b\\c\n\x01") == "\"a\\\"b\\\\c\\n\\u0001\"");
  CHECK(fk::sdk::json_quote("") == "\"\"");
  CHECK(fk::sdk::json_quote("grüße") == "\"grüße\"");

  using fk::sdk::Config;
  CHECK(Config::parse_json_string("\"plain\"") == std::optional<std::string>("plain"));
  CHECK(Config::parse_json_string("\"a\\\"b\\\\c\\/d\\n\"") ==
        std::optional<std::string>("a\"b\\c/d\n"));
  CHECK(Config::parse_json_string("\"\\u00fc\"") == std::optional<std::string>("\xc3\xbc"));
  CHECK(Config::parse_json_string("\"\\ud83d\\ude00\"") ==
        std::optional<std::string>("\xf0\x9f\x98\x80"));
  CHECK(!Config::parse_json_string("plain"));
  CHECK(!Config::parse_json_string("\"unterminated"));
  CHECK(!Config::parse_json_string("\"bad\\\""));
  CHECK(!Config::parse_json_string("\"\\ud83d\""));  // lone surrogate
  CHECK(!Config::parse_json_string("\"\\x\""));
  CHECK(!Config::parse_json_string("\"a\"b\""));
}

void test_events() {
  using fk::sdk::is_sql_identifier;
  CHECK(is_sql_identifier("hello_processed_events"));
  CHECK(is_sql_identifier("_t1"));
  CHECK(!is_sql_identifier(""));
  CHECK(!is_sql_identifier("1table"));
  CHECK(!is_sql_identifier("t; DROP TABLE x"));
  CHECK(!is_sql_identifier("public.t"));  // one identifier, no schema
  CHECK(!is_sql_identifier("\"quoted\""));
  CHECK(!is_sql_identifier(std::string(64, 'a')));
  CHECK(is_sql_identifier(std::string(63, 'a')));

  // A bad table name is refused before anything reaches the host.
  const fk::sdk::Transaction tx(nullptr, nullptr);
  const Result<bool> refused = fk::sdk::first_delivery(tx, "x y", "id");
  CHECK(!refused && refused.error().code == FK_ERR_INVALID_ARGUMENT);

  // Members a 1.0 host did not send read as empty, however the bytes beyond
  // its struct_size look.
  fk_event event;
  std::memset(&event, 0xAB, sizeof event);
  event.struct_size = static_cast<uint32_t>(FK_SIZE_THROUGH(fk_event, occurred_at_ms));
  event.attempt = 2;
  event.id = fk::sdk::str("e-1");
  event.type = fk::sdk::str("t");
  event.source = fk::sdk::str("s");
  event.payload_json = fk::sdk::str("{}");
  event.occurred_at_ms = 7;
  fk_event_args args{};
  args.struct_size = sizeof args;
  args.event = &event;
  {
    const fk::sdk::EventContext old(nullptr, nullptr, args);
    CHECK(old.event().id == "e-1" && old.event().attempt == 2 && old.event().occurred_at_ms == 7);
    CHECK(old.event().aggregate_id.empty() && old.event().correlation_id.empty());
    CHECK(old.event().version == 1);
  }
  event.struct_size = sizeof event;
  event.aggregate_type = fk::sdk::str("greeting");
  event.aggregate_id = fk::sdk::str("g-1");
  event.correlation_id = fk::sdk::str("req-1");
  event.causation_id = fk::sdk::str("e-0");
  event.version = 3;
  const fk::sdk::EventContext current(nullptr, nullptr, args);
  CHECK(current.event().aggregate_type == "greeting" && current.event().aggregate_id == "g-1");
  CHECK(current.event().correlation_id == "req-1" && current.event().causation_id == "e-0");
  CHECK(current.event().version == 3);

  // EventSpec defaults to schema version 1.
  const fk::sdk::EventSpec spec{"t", "", "", "{}"};
  CHECK(spec.version == 1);
}

// ABI 1.2 measure hook: a fake host that knows one request (POST /v1/pay) and
// collects what add_amount reports.
struct FakeSink {
  std::string reported;
};
fk_status fake_method(const fk_request*, uint32_t* out) {
  *out = FK_METHOD_POST;
  return FK_OK;
}
const char kRoute[] = "/v1/pay";
fk_status fake_route(const fk_request*, fk_str* out) {
  *out = fk_str{kRoute, sizeof kRoute - 1};
  return FK_OK;
}
fk_status fake_add(fk_measure_sink* sink, fk_str currency, fk_str amount) {
  FakeSink* collected = reinterpret_cast<FakeSink*>(sink);
  if (str_of(amount) == "bad") return FK_ERR_INVALID_ARGUMENT;
  collected->reported += str_of(currency) + "=" + str_of(amount) + ";";
  return FK_OK;
}

struct Payments : fk::sdk::Plugin {
  Payments() {
    measure(fk::sdk::Method::Post, "/v1/pay", [](fk::sdk::MeasureContext& ctx) {
      ctx.add("USD", "25000.00");
      ctx.add("EUR", "1");
      return Result<void>{};
    });
    measure(fk::sdk::Method::Get, "/v1/pay", [](fk::sdk::MeasureContext& ctx) {
      ctx.add("USD", "bad");  // refused by the host: throws, the thunk reports it
      return Result<void>{};
    });
  }
};
struct Unmeasured : fk::sdk::Plugin {};

void test_measure() {
  fk_http_api http{};
  http.struct_size = sizeof http;
  http.request_method = &fake_method;
  http.request_route = &fake_route;
  fk_host_api host{};
  host.struct_size = sizeof host;
  host.http = &http;
  fk_init_args init{};
  init.struct_size = sizeof init;
  init.host = &host;
  FakeSink sink;
  fk_measure_args args{};
  args.struct_size = sizeof args;
  args.method = FK_METHOD_POST;
  args.route = fk::sdk::str("/v1/pay");
  args.sink = reinterpret_cast<fk_measure_sink*>(&sink);
  args.add_amount = &fake_add;

  constexpr fk_plugin_callbacks payments = fk::sdk::detail::make_callbacks<Payments>();
  void* state = nullptr;
  CHECK(payments.init(&init, &state) == FK_OK && state != nullptr);
  CHECK(payments.measure_request(state, &args) == FK_OK);
  CHECK(sink.reported == "USD=25000.00;EUR=1;");
  // A table from before 1.2 (shorter args) is refused, never read past its end.
  fk_measure_args short_args = args;
  short_args.struct_size = static_cast<uint32_t>(FK_SIZE_THROUGH(fk_measure_args, sink));
  CHECK(payments.measure_request(state, &short_args) == FK_ERR_INVALID_ARGUMENT);
  payments.shutdown(state);

  // GET is registered but its report is refused: the measure fails.
  fk_status (*get_method)(const fk_request*, uint32_t*) = [](const fk_request*, uint32_t* out) {
    *out = FK_METHOD_GET;
    return FK_OK;
  };
  http.request_method = get_method;
  state = nullptr;
  CHECK(payments.init(&init, &state) == FK_OK);
  CHECK(payments.measure_request(state, &args) == FK_ERR_INVALID_ARGUMENT);
  payments.shutdown(state);

  // Nothing registered: "not measured".
  constexpr fk_plugin_callbacks none = fk::sdk::detail::make_callbacks<Unmeasured>();
  CHECK(none.measure_request == &fk::sdk::detail::Bridge::measure);  // always installed
  state = nullptr;
  CHECK(none.init(&init, &state) == FK_OK);
  CHECK(none.measure_request(state, &args) == FK_ERR_UNSUPPORTED);
  none.shutdown(state);
}

}  // namespace

int main() {
  test_result();
  test_error_mapping();
  test_params();
  test_strings();
  test_events();
  test_measure();
  if (failures != 0) {
    std::fprintf(stderr, "wrapper test: %d check(s) failed\n", failures);
    return 1;
  }
  std::printf("wrapper test (C++%ld): all checks passed\n", (__cplusplus / 100) % 100);
  return 0;
}
