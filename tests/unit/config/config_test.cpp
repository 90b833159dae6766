// load_config: values, environment overrides, and the exact location and key
// named by each class of error.

#include "config/kernel_config.hpp"
#include "config_test_support.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdlib>

using namespace fk::config;
using namespace fk::config::test;
using namespace std::chrono_literals;

TEST_CASE("no file and no environment give the documented defaults", "[config]") {
  const KernelConfig config = load_config("", {});
  REQUIRE(config == KernelConfig{});
  CHECK_FALSE(config.dev_mode);
  CHECK(config.http.address == "127.0.0.1");
  CHECK(config.http.port == 8080);
  CHECK(config.http.threads == 4);
  CHECK(config.http.max_body_bytes == 1048576);
  CHECK(config.http.max_header_bytes == 16384);
  CHECK(config.http.header_timeout == 10000ms);
  CHECK(config.http.body_timeout == 30000ms);
  CHECK(config.http.idle_timeout == 60000ms);
  CHECK(config.http.drain_timeout == 10000ms);
  CHECK(config.database.url.empty());
  CHECK(config.database.runtime_url.empty());
  CHECK(config.database.pool_size == 8);
  CHECK(config.database.acquire_timeout == 2000ms);
  CHECK(config.embedded.data_dir == "var/pg");
  CHECK(config.embedded.os_user == "finkernel");
  CHECK(config.tenancy.seed_dir == "tenants");
  CHECK(config.tenancy.status_cache_ttl == 1000ms);
  CHECK(config.log.level == "info");
}

TEST_CASE("the shipped kernel.yaml loads and equals the defaults", "[config]") {
  const KernelConfig config = load_config(FK_SOURCE_DIR "/kernel.yaml", {});
  CHECK(config == KernelConfig{});
  CHECK_FALSE(config.dev_mode);
}

TEST_CASE("an empty or comment-only file means all defaults", "[config]") {
  CHECK(load(TempYaml("")) == KernelConfig{});
  CHECK(load(TempYaml("# nothing here\n")) == KernelConfig{});
  CHECK(load(TempYaml("http:\n  # port: 1\n")) == KernelConfig{});
}

TEST_CASE("every key from the file lands in its field", "[config]") {
  const TempYaml file(R"(dev_mode: true
http:
  address: "::1"
  port: 9000
  threads: 16
  max_body_bytes: 2048
  max_header_bytes: 4096
  header_timeout_ms: 1
  body_timeout_ms: 2
  idle_timeout_ms: 3
  drain_timeout_ms: 3600000
database:
  url: postgresql://owner@db/fk
  runtime_url: postgresql://runtime@db/fk
  pool_size: 1024
  acquire_timeout_ms: 600000
embedded:
  data_dir: /srv/pg
  os_user: postgres
tenancy:
  seed_dir: ""
  status_cache_ttl_ms: 0
log:
  level: critical
)");
  const KernelConfig config = load(file);
  CHECK(config.dev_mode);
  CHECK(config.http.address == "::1");
  CHECK(config.http.port == 9000);
  CHECK(config.http.threads == 16);
  CHECK(config.http.max_body_bytes == 2048);
  CHECK(config.http.max_header_bytes == 4096);
  CHECK(config.http.header_timeout == 1ms);
  CHECK(config.http.body_timeout == 2ms);
  CHECK(config.http.idle_timeout == 3ms);
  CHECK(config.http.drain_timeout == 3600000ms);
  CHECK(config.database.url == "postgresql://owner@db/fk");
  CHECK(config.database.runtime_url == "postgresql://runtime@db/fk");
  CHECK(config.database.pool_size == 1024);
  CHECK(config.database.acquire_timeout == 600000ms);
  CHECK(config.embedded.data_dir == "/srv/pg");
  CHECK(config.embedded.os_user == "postgres");
  CHECK(config.tenancy.seed_dir.empty());
  CHECK(config.tenancy.status_cache_ttl == 0ms);
  CHECK(config.log.level == "critical");
}

TEST_CASE("durations are whole milliseconds under *_ms keys", "[config]") {
  CHECK(load(TempYaml("http:\n  header_timeout_ms: 250\n")).http.header_timeout == 250ms);
  CHECK(load(TempYaml("tenancy:\n  status_cache_ttl_ms: 0\n")).tenancy.status_cache_ttl == 0ms);

  const TempYaml zero("http:\n  header_timeout_ms: 0\n");
  CHECK(load_error(zero) == zero.at(2) +
                                "'http.header_timeout_ms' must be an integer number of "
                                "milliseconds between 1 and 3600000, got \"0\"");
  const TempYaml unit("http:\n  body_timeout_ms: 30s\n");
  CHECK(load_error(unit) == unit.at(2) +
                                "'http.body_timeout_ms' must be an integer number of "
                                "milliseconds between 1 and 3600000, got \"30s\"");
  const TempYaml no_suffix("http:\n  idle_timeout: 5000\n");
  CHECK(load_error(no_suffix) ==
        no_suffix.at(2) + "unknown key 'http.idle_timeout' (did you mean 'http.idle_timeout_ms'?)");
}

TEST_CASE("port 0 is accepted so tests can let the OS pick", "[config]") {
  CHECK(load(TempYaml("http:\n  port: 0\n")).http.port == 0);
  CHECK(load_config("", {{"FINKERNEL_HTTP_PORT", "0"}}).http.port == 0);
  CHECK(load(TempYaml("http:\n  port: 65535\n")).http.port == 65535);
}

TEST_CASE("http.address must be an IP literal or localhost", "[config]") {
  for (const char* good : {"0.0.0.0", "127.0.0.1", "::", "::1", "fe80::1", "localhost"}) {
    INFO(good);
    CHECK(load_config("", {{"FINKERNEL_HTTP_ADDRESS", good}}).http.address == good);
  }
  const std::string expected =
      "'http.address' must be an IPv4 or IPv6 address or \"localhost\", got ";
  const TempYaml empty("dev_mode: false\nhttp:\n  address: \"\"\n");
  CHECK(load_error(empty) == empty.at(3) + expected + "\"\"");
  const TempYaml blank("http:\n  address:\n");
  CHECK(load_error(blank) == blank.at(2) + expected + "null");
  const TempYaml bad("http:\n  address: 10.0.0.256\n");
  CHECK(load_error(bad) == bad.at(2) + expected + "\"10.0.0.256\"");
  const TempYaml host("http:\n  address: example.com\n");
  CHECK(load_error(host) == host.at(2) + expected + "\"example.com\"");
}

TEST_CASE("unknown keys are rejected with a suggestion when one is close", "[config]") {
  const TempYaml typo("dev_mode: false\nhttp:\n  address: 127.0.0.1\n  prot: 8080\n");
  CHECK(load_error(typo) == typo.at(4) + "unknown key 'http.prot' (did you mean 'http.port'?)");

  const TempYaml section("htp:\n  port: 1\n");
  CHECK(load_error(section) == section.at(1) + "unknown key 'htp' (did you mean 'http'?)");

  const TempYaml misplaced("database:\n  port: 5432\n");
  CHECK(load_error(misplaced) ==
        misplaced.at(2) + "unknown key 'database.port' (did you mean 'http.port'?)");

  const TempYaml far("http:\n  frobnicate: 1\n");
  CHECK(load_error(far) == far.at(2) + "unknown key 'http.frobnicate'");
}

TEST_CASE("values of the wrong type name the key and the line", "[config]") {
  const std::string port = "'http.port' must be an integer between 0 and 65535, got ";
  struct Case {
    const char* yaml;
    int line;
    std::string message;
  };
  const Case cases[] = {
      {"http:\n  port: eighty\n", 2, port + "\"eighty\""},
      {"http:\n  port: 65536\n", 2, port + "\"65536\""},
      {"http:\n  port: -1\n", 2, port + "\"-1\""},
      {"http:\n  port: 80.5\n", 2, port + "\"80.5\""},
      {"http:\n  port: 0x50\n", 2, port + "\"0x50\""},
      {"http:\n  port: 99999999999999999999999\n", 2, port + "\"99999999999999999999999\""},
      {"http:\n  port:\n", 2, port + "null"},
      {"http:\n  port: [80, 81]\n", 2, port + "a sequence"},
      {"http:\n  port:\n    - 80\n", 2, port + "a sequence"},
      {"http:\n  port: {value: 80}\n", 2, port + "a map"},
      {"http:\n  threads: 0\n", 2,
       "'http.threads' must be an integer between 1 and 256, got \"0\""},
      {"http:\n  max_header_bytes: 1023\n", 2,
       "'http.max_header_bytes' must be an integer between 1024 and 1048576, got \"1023\""},
      {"database:\n  pool_size: 1025\n", 2,
       "'database.pool_size' must be an integer between 1 and 1024, got \"1025\""},
      {"dev_mode: yes\n", 1, "'dev_mode' must be true or false, got \"yes\""},
      {"dev_mode: True\n", 1, "'dev_mode' must be true or false, got \"True\""},
      {"dev_mode: 1\n", 1, "'dev_mode' must be true or false, got \"1\""},
      {"log:\n  level: verbose\n", 2,
       "'log.level' must be one of trace, debug, info, warn, error, critical, off, got "
       "\"verbose\""},
      {"embedded:\n  data_dir: \"\"\n", 2,
       "'embedded.data_dir' must be a non-empty string, got \"\""},
      {"embedded:\n  os_user:\n", 2, "'embedded.os_user' must be a non-empty string, got null"},
      {"database:\n  url: [a]\n", 2, "'database.url' must be a string, got a sequence"},
  };
  for (const auto& c : cases) {
    const TempYaml file(c.yaml);
    INFO(c.yaml);
    CHECK(load_error(file) == file.at(c.line) + c.message);
  }
}

TEST_CASE("sections and the top level must be maps", "[config]") {
  const TempYaml scalar("dev_mode: false\nhttp: 8080\n");
  CHECK(load_error(scalar) == scalar.at(2) + "'http' must be a map of keys, got \"8080\"");
  const TempYaml sequence("log:\n  - level: info\n");
  CHECK(load_error(sequence) == sequence.at(1) + "'log' must be a map of keys, got a sequence");
  const TempYaml top("- http\n- log\n");
  CHECK(load_error(top) == top.at(1) + "the top level must be a map of keys, got a sequence");
  const TempYaml top_scalar("just text\n");
  CHECK(load_error(top_scalar) ==
        top_scalar.at(1) + "the top level must be a map of keys, got a scalar");
}

TEST_CASE("structural mistakes are caught with their line", "[config]") {
  const TempYaml duplicate("http:\n  port: 80\n  threads: 2\n  port: 81\n");
  CHECK(load_error(duplicate) ==
        duplicate.at(4) + "duplicate key 'http.port' (first set on line 2)");

  const TempYaml dotted("dev_mode: false\nhttp.port: 80\n");
  CHECK(load_error(dotted) ==
        dotted.at(2) + "key 'http.port' must be written nested, one map level per '.'");

  const TempYaml two_docs("http:\n  port: 80\n---\nhttp:\n  port: 81\n");
  CHECK(load_error(two_docs) == two_docs.at(4) + "expected a single YAML document, found another");

  const TempYaml complex_key("? [a, b]\n: 1\n");
  CHECK(load_error(complex_key) == complex_key.at(1) + "keys must be plain names");
}

TEST_CASE("malformed YAML reports the parser's line", "[config]") {
  const TempYaml unclosed("dev_mode: false\nhttp:\n  port: [80, 81\n");
  CHECK(load_error(unclosed) == unclosed.at(4) + "invalid YAML: end of sequence flow not found");
  const TempYaml indent("http:\n  port: 80\n    threads: 2\n");
  CHECK(load_error(indent) == indent.at(3) + "invalid YAML: illegal map value");
}

TEST_CASE("a file that cannot be read names the file and the reason", "[config]") {
  const TempYaml file("");
  const std::string missing = file.dir() + "/missing.yaml";
  CHECK(load_error(missing) == missing + ": cannot read file: No such file or directory");
  CHECK(load_error(file.dir()) == file.dir() + ": cannot read file: Is a directory");
}

TEST_CASE("the first error in document order is the one reported", "[config]") {
  const TempYaml file("http:\n  port: x\n  prot: 1\nlog:\n  level: loud\n");
  for (int run = 0; run < 3; ++run) {
    CHECK(load_error(file) ==
          file.at(2) + "'http.port' must be an integer between 0 and 65535, got \"x\"");
  }
  const TempYaml later_section("log:\n  level: loud\nhttp:\n  port: x\n");
  CHECK_THAT(load_error(later_section),
             Catch::StartsWith(later_section.at(2)) && Catch::Contains("'log.level'"));
  // File errors come before environment errors, whatever the environment says.
  CHECK(load_error(file, {{"FINKERNEL_HTTP_PORT", "80"}, {"FINKERNEL_LOG_LEVEL", "nope"}}) ==
        file.at(2) + "'http.port' must be an integer between 0 and 65535, got \"x\"");
}

TEST_CASE("environment variables override the file", "[config]") {
  const TempYaml file("dev_mode: false\nhttp:\n  port: 9000\n  header_timeout_ms: 100\n");
  const KernelConfig config = load(file, {{"FINKERNEL_HTTP_PORT", "9100"},
                                          {"FINKERNEL_DEV_MODE", "true"},
                                          {"FINKERNEL_HTTP_HEADER_TIMEOUT_MS", "700"},
                                          {"FINKERNEL_DATABASE_POOL_SIZE", "3"},
                                          {"FINKERNEL_EMBEDDED_DATA_DIR", "/data"},
                                          {"FINKERNEL_TENANCY_SEED_DIR", ""},
                                          {"FINKERNEL_LOG_LEVEL", "debug"}});
  CHECK(config.http.port == 9100);
  CHECK(config.dev_mode);
  CHECK(config.http.header_timeout == 700ms);
  CHECK(config.database.pool_size == 3);
  CHECK(config.embedded.data_dir == "/data");
  CHECK(config.tenancy.seed_dir.empty());
  CHECK(config.log.level == "debug");
  // Untouched keys keep the file's or the default value.
  CHECK(config.http.threads == 4);
}

TEST_CASE("a bad environment value names the variable", "[config]") {
  CHECK(load_error("", {{"FINKERNEL_HTTP_PORT", "x"}}) ==
        "environment variable FINKERNEL_HTTP_PORT: 'http.port' must be an integer between 0 "
        "and 65535, got \"x\"");
  CHECK(load_error("", {{"FINKERNEL_DEV_MODE", "1"}}) ==
        "environment variable FINKERNEL_DEV_MODE: 'dev_mode' must be true or false, got \"1\"");
  CHECK(load_error("", {{"FINKERNEL_HTTP_PORT", " 80"}}) ==
        "environment variable FINKERNEL_HTTP_PORT: 'http.port' must be an integer between 0 "
        "and 65535, got \" 80\"");
  CHECK(load_error("", {{"FINKERNEL_HTTP_ADDRESS", "bad\nvalue"}}) ==
        "environment variable FINKERNEL_HTTP_ADDRESS: 'http.address' must be an IPv4 or IPv6 "
        "address or \"localhost\", got \"bad\\x0avalue\"");
}

TEST_CASE("unknown FINKERNEL_ and unrelated variables are ignored", "[config]") {
  const KernelConfig config = load_config("", {{"FINKERNEL_HTTP_PROT", "1"},
                                               {"FINKERNEL_SOMETHING_ELSE", "x"},
                                               {"FINKERNEL_", ""},
                                               {"HTTP_PORT", "1"},
                                               {"finkernel_http_port", "1"}});
  CHECK(config == KernelConfig{});
}

TEST_CASE("database.runtime_url is required when database.url is set", "[config]") {
  const std::string problem = "'database.runtime_url' is required when 'database.url' is set";

  const TempYaml url_only("http:\n  port: 80\ndatabase:\n  url: postgresql://owner@db/fk\n");
  CHECK(load_error(url_only) == url_only.at(4) + problem);

  const TempYaml blank_runtime("database:\n  url: postgresql://owner@db/fk\n  runtime_url: \"\"\n");
  CHECK(load_error(blank_runtime) == blank_runtime.at(3) + problem);

  CHECK(load_error("", {{"FINKERNEL_DATABASE_URL", "postgresql://owner@db/fk"}}) ==
        "environment variable FINKERNEL_DATABASE_URL: " + problem);

  // The environment can supply the missing half, or clear the URL back to embedded.
  CHECK(load(url_only, {{"FINKERNEL_DATABASE_RUNTIME_URL", "postgresql://rt@db/fk"}})
            .database.runtime_url == "postgresql://rt@db/fk");
  CHECK(load(url_only, {{"FINKERNEL_DATABASE_URL", ""}}).database.url.empty());

  const TempYaml both(
      "database:\n  url: postgresql://owner@db/fk\n  runtime_url: postgresql://rt@db/fk\n");
  CHECK(load(both).database.url == "postgresql://owner@db/fk");
  // A runtime URL alone is harmless: the embedded cluster is used.
  CHECK(load_config("", {{"FINKERNEL_DATABASE_RUNTIME_URL", "postgresql://rt@db/fk"}})
            .database.url.empty());
}

TEST_CASE("a blank string key reads as empty", "[config]") {
  const TempYaml file("database:\n  url:\n  runtime_url: ~\ntenancy:\n  seed_dir:\n");
  const KernelConfig config = load(file);
  CHECK(config.database.url.empty());
  CHECK(config.database.runtime_url.empty());
  CHECK(config.tenancy.seed_dir.empty());
}

TEST_CASE("process_environment reads the real environment", "[config]") {
  REQUIRE(::setenv("FK_CONFIG_TEST_VARIABLE", "a=b", 1) == 0);
  const auto environment = process_environment();
  ::unsetenv("FK_CONFIG_TEST_VARIABLE");
  const auto found = environment.find("FK_CONFIG_TEST_VARIABLE");
  REQUIRE(found != environment.end());
  CHECK(found->second == "a=b");
}
