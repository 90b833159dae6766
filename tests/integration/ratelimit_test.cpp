// Rate limits: the token bucket itself, then 429s over HTTP with tight
// limits from a policy directory written for the test.

#include "ratelimit/rate_limiter.hpp"
#include "support/http_client.hpp"
#include "support/test_database.hpp"
#include "support/test_kernel.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

using fk::test::http_call;
using namespace std::chrono_literals;

TEST_CASE("token bucket: burst, refusal with retry-after, refill", "[ratelimit]") {
  auto limiter = fk::ratelimit::make_in_process_limiter();
  const fk::ratelimit::Limit limit{2.0, 3.0};  // 2 per second, bursts of 3
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 3; ++i) REQUIRE(limiter->take("k", limit, start).allowed);
  const auto denied = limiter->take("k", limit, start);
  REQUIRE_FALSE(denied.allowed);
  REQUIRE(denied.retry_after == 1s);
  REQUIRE(limiter->take("other", limit, start).allowed);      // keys are independent
  REQUIRE(limiter->take("k", limit, start + 500ms).allowed);  // one token back after 0.5 s
  REQUIRE_FALSE(limiter->take("k", limit, start + 500ms).allowed);
  REQUIRE(limiter->take("k", limit, start + 10s).allowed);  // refilled, capped at burst
}

namespace {

// A copy of the shipped policies with tight rate limits.
std::string tight_policy_dir() {
  char pattern[] = "/tmp/fk-policies-XXXXXX";
  const std::filesystem::path dir = mkdtemp(pattern);
  const std::filesystem::path shipped = std::string(FK_SOURCE_DIR) + "/policies";
  for (const auto* file : {"rbac.yaml", "auth.yaml", "common-passwords.txt"}) {
    std::filesystem::copy_file(shipped / file, dir / file);
  }
  std::ofstream(dir / "ratelimits.yaml") << R"(plans:
  tiny:
    tenant: { rate: 0.01, burst: 3 }
    principal: { rate: 0.01, burst: 3 }
default_plan: tiny
login_per_address: { rate: 0.01, burst: 2 }
)";
  return dir;
}

}  // namespace

TEST_CASE("a tenant over its limit gets 429 with Retry-After; others are unaffected",
          "[ratelimit]") {
  const auto noisy = fk::test::create_tenant("rl-noisy");
  const auto quiet = fk::test::create_tenant("rl-quiet");
  auto config = fk::test::test_config();
  config.identity.policy_dir = tight_policy_dir();
  fk::test::TestKernel kernel(config);

  for (int i = 0; i < 3; ++i) {
    REQUIRE(
        http_call(kernel.port(), "GET", "/v1/tenant/settings", {{"X-Tenant-Id", noisy}}).status ==
        200);
  }
  const auto limited =
      http_call(kernel.port(), "GET", "/v1/tenant/settings", {{"X-Tenant-Id", noisy}});
  REQUIRE(limited.status == 429);
  REQUIRE(limited.json()["error"]["code"] == "RATE_LIMITED");
  REQUIRE(std::stoi(limited.headers.at("retry-after")) >= 1);
  REQUIRE(http_call(kernel.port(), "GET", "/v1/tenant/settings", {{"X-Tenant-Id", quiet}}).status ==
          200);
  // Operational endpoints are not tenant traffic.
  REQUIRE(http_call(kernel.port(), "GET", "/health").status == 200);

  // Login attempts from one address are throttled before any password check.
  const auto attempt = [&] {
    return http_call(kernel.port(), "POST", "/v1/auth/login",
                     {{"Content-Type", "application/json"}},
                     R"({"tenant":"nope","email":"a@b.example","password":"whatever-it-is"})");
  };
  REQUIRE(attempt().status == 401);
  REQUIRE(attempt().status == 401);
  const auto throttled = attempt();
  REQUIRE(throttled.status == 429);
  REQUIRE(throttled.headers.count("retry-after") == 1);
  std::filesystem::remove_all(config.identity.policy_dir);
}
