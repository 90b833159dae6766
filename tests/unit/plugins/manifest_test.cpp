#include "plugins/package/manifest.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <utility>
#include <vector>

#include "unit/plugins/package_fixture.hpp"

using Catch::Matchers::Contains;
using fk::plugins::load_manifest;
using fk::plugins::ManifestError;
using fk::plugins::parse_manifest;

namespace {

// Valid; each refusal case edits one thing.
const std::string kBase =
    "name: demo\n"
    "version: 1.2.3\n"
    "abi: \"1.0\"\n"
    "library: demo.so\n"
    "permissions:\n"
    "  demo:items.read: Read items\n"
    "routes:\n"
    "  - method: GET\n"
    "    path: /v1/demo/items/{id}\n"
    "    permission: demo:items.read\n";

std::string replaced(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

std::string refusal(const std::string& yaml) {
  try {
    parse_manifest(yaml, "demo/manifest.yaml");
  } catch (const ManifestError& e) {
    return e.what();
  }
  return "(accepted)";
}

}  // namespace

TEST_CASE("the documented example manifest parses completely", "[plugins][manifest]") {
  const auto manifest = parse_manifest(fk::test::hello_manifest_text(), "hello/manifest.yaml");
  CHECK(manifest.name == "hello");
  CHECK(manifest.version == "1.0.0");
  CHECK(manifest.abi_major == 1);
  CHECK(manifest.abi_minor == 0);
  CHECK(manifest.library == "hello.so");
  CHECK(manifest.publisher == "example.com");
  CHECK(manifest.description == "Greets the tenant's users and keeps the greetings.");
  CHECK(manifest.permissions.size() == 2);
  CHECK(manifest.permissions.at("hello:greetings.write") == "Create greetings");
  REQUIRE(manifest.routes.size() == 2);
  CHECK(manifest.routes[1].method == "POST");
  CHECK(manifest.routes[1].path == "/v1/hello/greetings");
  CHECK(manifest.routes[1].permission == "hello:greetings.write");
  CHECK(manifest.publishes == std::vector<std::string>{"hello.greeting.created"});
  CHECK(manifest.subscribes == std::vector<std::string>{"hello.greeting.created"});
  CHECK(manifest.calls.empty());
  CHECK(manifest.exports.empty());
  REQUIRE_FALSE(manifest.migrations.empty());
  CHECK(manifest.migrations[0] == "migrations/0001_greetings.sql");
  REQUIRE(manifest.config.size() == 2);
  CHECK(manifest.config[0].key == "default_page_size");
  CHECK(manifest.config[0].type == "integer");
  CHECK(manifest.config[0].default_value == 20);
  CHECK(manifest.config[0].minimum == 1);
  CHECK(manifest.config[0].maximum == 100);
  CHECK(manifest.config[1].maximum == 500);
  CHECK(manifest.depends_on.empty());
}

TEST_CASE("calls, exports, dependencies and string settings parse", "[plugins][manifest]") {
  const auto manifest = parse_manifest(kBase +
                                           "calls:\n"
                                           "  - plugin: ledger\n"
                                           "    method: balance.get\n"
                                           "exports: [items.get]\n"
                                           "depends_on:\n"
                                           "  - plugin: ledger\n"
                                           "    min_version: 2.1.0\n"
                                           "config:\n"
                                           "  mode:\n"
                                           "    type: string\n"
                                           "    default: fast\n"
                                           "    enum: [fast, safe]\n"
                                           "    max_length: 8\n"
                                           "  enabled:\n"
                                           "    type: boolean\n"
                                           "    default: false\n",
                                       "demo");
  REQUIRE(manifest.calls.size() == 1);
  CHECK(manifest.calls[0].plugin == "ledger");
  CHECK(manifest.calls[0].method == "balance.get");
  CHECK(manifest.exports == std::vector<std::string>{"items.get"});
  REQUIRE(manifest.depends_on.size() == 1);
  CHECK(manifest.depends_on[0].min_version == "2.1.0");
  REQUIRE(manifest.config.size() == 2);
  CHECK(manifest.config[0].allowed == std::vector<std::string>{"fast", "safe"});
  CHECK(manifest.config[0].max_length == 8u);
  CHECK(manifest.config[1].default_value == false);
}

TEST_CASE("every manifest refusal names the file, line and field", "[plugins][manifest]") {
  const std::string route_without_permission =
      "name: x\nversion: 1.0.0\nabi: \"1.0\"\nlibrary: x.so\n"
      "routes:\n  - method: GET\n    path: /v1/x/y\n";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {replaced(kBase, "name: demo", "name: Demo"),
       "demo/manifest.yaml:1: name: 'Demo' is not a plugin name"},
      {replaced(kBase, "name: demo", "name: " + std::string(65, 'a')), "at most 64 bytes"},
      {replaced(kBase, "name: demo", "name: tenant"),
       "name: 'tenant' is reserved for the kernel's own API"},
      {replaced(kBase, "name: demo", "name: api-keys"), "'api-keys' is reserved"},
      {replaced(kBase, "name: demo\n", ""), "demo/manifest.yaml:1: name: is required"},
      {replaced(kBase, "name: demo", "name: demo\npublisher: a b"),
       ":2: publisher: 'a b' must be [A-Za-z0-9][A-Za-z0-9._-]*"},
      {replaced(kBase, "version: 1.2.3", "version: 1.2 beta"),
       ":2: version: expected 1 to 64 printable ASCII bytes"},
      {replaced(kBase, "version: 1.2.3", "version: " + std::string(65, '1')), "version: expected"},
      {replaced(kBase, "abi: \"1.0\"", "abi: \"1\""), ":3: abi: '1' must be \"major.minor\""},
      {replaced(kBase, "abi: \"1.0\"", "abi: one.zero"), "abi: 'one.zero' must be"},
      {replaced(kBase, "library: demo.so", "library: lib/demo.so"),
       ":4: library: 'lib/demo.so' must be a plain file name ending in .so"},
      {replaced(kBase, "library: demo.so", "library: ../demo.so"), "must be a plain file name"},
      {replaced(kBase, "library: demo.so", "library: demo.dll"), "ending in .so"},
      {replaced(kBase, "library: demo.so", "library: .so"), "ending in .so"},
      {replaced(kBase, "permissions:\n  demo:items.read", "permissions:\n  other:items.read"),
       ":6: permissions.other:items.read: must be in the plugin's own namespace 'demo:'"},
      {replaced(kBase, "demo:items.read: Read", "demo:Items!: Read"),
       "permissions.demo:Items!: the action after 'demo:' must be dotted lower-case words"},
      {replaced(kBase, "method: GET", "method: FETCH"),
       ":8: routes[0].method: 'FETCH' must be one of GET POST PUT PATCH DELETE"},
      {replaced(kBase, "method: GET", "method: get"), "'get' must be one of"},
      {replaced(kBase, "/v1/demo/items/{id}", "/v1/other/items"),
       ":9: routes[0].path: '/v1/other/items' must be /v1/demo or start with /v1/demo/"},
      {replaced(kBase, "/v1/demo/items/{id}", "/v1/demox/items"), "must be /v1/demo or start"},
      {replaced(kBase, "/v1/demo/items/{id}", "/v1/demo/items{id}"),
       "segment 'items{id}' must be a literal ([A-Za-z0-9._~-]) or a whole {param} segment"},
      {replaced(kBase, "/v1/demo/items/{id}", "/v1/demo/items/"), "segment '' must be a literal"},
      {replaced(kBase, "/v1/demo/items/{id}", "/v1/demo//items"), "segment '' must be a literal"},
      {replaced(kBase, "/v1/demo/items/{id}", "/v1/demo/{id}/{id}"), "repeats the parameter {id}"},
      {replaced(kBase, "/v1/demo/items/{id}", "/v1/demo/items?x=1"), "must be a literal"},
      {route_without_permission, "routes[0]: route GET /v1/x/y declares no permission"},
      {replaced(kBase, "    permission: demo:items.read\n", "    permission:\n"),
       "route GET /v1/demo/items/{id} declares no permission"},
      {replaced(kBase, "    permission: demo:items.read", "    permission: demo:items.write"),
       ":10: routes[0].permission: route GET /v1/demo/items/{id} uses permission "
       "'demo:items.write', which is not declared under 'permissions'"},
      {kBase + "  - method: GET\n    path: /v1/demo/items/{id}\n    permission: demo:items.read\n",
       "routes[1]: route GET /v1/demo/items/{id} is declared twice"},
      {replaced(kBase, "    permission: demo:items.read",
                "    permission: demo:items.read\n"
                "    auth: none"),
       ":11: routes[0].auth: unknown key"},
      {kBase + "events:\n  publishes: [other.created]\n",
       ":12: events.publishes[0]: 'other.created' must be 'demo.<event>'"},
      {kBase + "events:\n  publishes: [demo.]\n", "'demo.' must be 'demo.<event>'"},
      {kBase + "events:\n  subscribes: [nodot]\n",
       "events.subscribes[0]: 'nodot' must be '<plugin>.<event>'"},
      {kBase + "events:\n  publish: [demo.x]\n",
       ":12: events.publish: unknown key (did you mean 'publishes'?)"},
      {kBase + "migrations: [/etc/evil.sql]\n",
       ":11: migrations[0]: '/etc/evil.sql' must be a path relative to the plugin directory"},
      {kBase + "migrations: [migrations/../../evil.sql]\n", "without '..'"},
      {kBase + "migrations: [migrations/0001.txt]\n", "'migrations/0001.txt' must end in .sql"},
      {kBase + "migrations: [a.sql, a.sql]\n", "migrations[1]: 'a.sql' is listed twice"},
      {kBase + "permisions: {}\n", ":11: permisions: unknown key (did you mean 'permissions'?)"},
      {kBase + "frobnicate: 1\n", ":11: frobnicate: unknown key"},
      {kBase + "name: again\n", ":11: name: duplicate key (first set on line 1)"},
      {kBase + "routes: [\n", "demo/manifest.yaml:12: invalid YAML"},
      {"- just a list\n", "manifest: must be a map"},
      {kBase + "calls:\n  - plugin: Ledger\n    method: x\n",
       "calls[0].plugin: 'Ledger' is not a plugin name"},
      {kBase + "calls:\n  - plugin: ledger\n", ":12: calls[0].method: is required"},
      {kBase + "exports: [a, a]\n", "exports[1]: 'a' is exported twice"},
      {kBase + "exports: [Bad-Name]\n", "exports[0]: 'Bad-Name' must be dotted lower-case words"},
      {kBase + "depends_on:\n  - plugin: demo\n",
       "depends_on[0].plugin: a plugin cannot depend on itself"},
      {kBase + "depends_on:\n  - plugin: ledger\n    min_version: 1 0\n",
       "depends_on[0].min_version: expected"},
      {kBase + "config:\n  size:\n    type: float\n    default: 1\n",
       ":13: config.size.type: 'float' must be integer, string or boolean"},
      {kBase + "config:\n  size:\n    type: integer\n", ":13: config.size.default: is required"},
      {kBase + "config:\n  size:\n    type: integer\n    default: 0\n    minimum: 1\n",
       ":14: config.size.default: the default 0 is below the minimum 1"},
      {kBase + "config:\n  size:\n    type: integer\n    default: 9\n    maximum: 5\n",
       "the default 9 is above the maximum 5"},
      {kBase + "config:\n  size:\n    type: integer\n    default: ten\n",
       "config.size.default: 'ten' is not an integer"},
      {kBase + "config:\n  size:\n    type: integer\n    default: 5\n    minimum: 6\n"
               "    maximum: 4\n",
       "config.size.minimum: is above maximum"},
      {kBase + "config:\n  name:\n    type: string\n    default: x\n    minimum: 1\n",
       "config.name.minimum: applies to integer settings only"},
      {kBase + "config:\n  size:\n    type: integer\n    default: 1\n    enum: [a]\n",
       "config.size.enum: applies to string settings only"},
      {kBase + "config:\n  mode:\n    type: string\n    default: slow\n    enum: [fast, safe]\n",
       "config.mode.default: the default \"slow\" is not one of: fast, safe"},
      {kBase + "config:\n  mode:\n    type: string\n    default: abcdef\n    max_length: 3\n",
       "the default is 6 bytes, longer than max_length 3"},
      {kBase + "config:\n  flag:\n    type: boolean\n    default: maybe\n",
       "config.flag.default: 'maybe' must be true or false"},
      {kBase + "config:\n  Bad:\n    type: boolean\n    default: true\n",
       "config.Bad: setting names are [a-z][a-z0-9_]*"},
      {kBase + "config:\n  size:\n    type: integer\n    default: 1\n    minimun: 0\n",
       "config.size.minimun: unknown key (did you mean 'minimum'?)"},
  };
  for (std::size_t i = 0; i < cases.size(); ++i) {
    DYNAMIC_SECTION("case " << i << ": " << cases[i].second) {
      INFO(cases[i].first);
      CHECK_THAT(refusal(cases[i].first), Contains(cases[i].second));
    }
  }
  CHECK(refusal(kBase) == "(accepted)");
}

TEST_CASE("route paths accept the plugin root and whole-segment templates", "[plugins][manifest]") {
  for (const auto* path : {"/v1/demo", "/v1/demo/items", "/v1/demo/{id}",
                           "/v1/demo/items/{item_id}/notes/{note_id}", "/v1/demo/a.b-c_d~e"}) {
    INFO(path);
    CHECK(refusal(replaced(kBase, "/v1/demo/items/{id}", path)) == "(accepted)");
  }
}

TEST_CASE("loading from a directory checks the files the manifest names", "[plugins][manifest]") {
  const fk::test::TempDir temp;
  const auto dir = fk::test::make_hello_package(temp.path());
  CHECK(load_manifest(dir).name == "hello");

  SECTION("a missing migration is refused before anything is opened") {
    std::filesystem::remove(dir / "migrations/0001_greetings.sql");
    CHECK_THROWS_WITH(load_manifest(dir),
                      Contains("manifest.yaml: migrations[0]: migrations/0001_greetings.sql is "
                               "not a file inside"));
  }
  SECTION("a missing library is refused") {
    std::filesystem::remove(dir / "hello.so");
    CHECK_THROWS_WITH(load_manifest(dir), Contains("library: hello.so not found in"));
  }
  SECTION("a symlink out of the package is refused") {
    fk::test::write_text(temp.path() / "outside.sql", "SELECT 1;");
    std::filesystem::remove(dir / "migrations/0001_greetings.sql");
    std::filesystem::create_symlink(temp.path() / "outside.sql",
                                    dir / "migrations/0001_greetings.sql");
    CHECK_THROWS_WITH(load_manifest(dir), Contains("is not a file inside"));
  }
  SECTION("no manifest at all") {
    std::filesystem::remove(dir / "manifest.yaml");
    CHECK_THROWS_WITH(load_manifest(dir),
                      Contains("manifest.yaml: cannot read the plugin manifest"));
  }
}
