#include "auth/auth_policy.hpp"
#include "authz/rbac_policy.hpp"
#include "cli/commands/arguments.hpp"
#include "cli/commands/commands.hpp"
#include "ratelimit/rate_limit_policy.hpp"

#include <filesystem>
#include <iostream>

namespace fk::cli {

int policy_command(const std::vector<std::string>& args) {
  const auto arguments = parse_arguments(args, {"kind"}, {"help"});
  if (arguments.has("help") || arguments.positional.size() != 2 ||
      arguments.positional[0] != "check") {
    std::cout << "usage: finkernel policy check FILE [--kind rbac|auth|ratelimits]\n\n"
                 "Validates a policy file as the kernel would load it. The kind is taken from\n"
                 "the file name (rbac.yaml, auth.yaml, ratelimits.yaml) unless --kind is given.\n"
                 "Exits 0 if valid; otherwise prints the problem with file and line, exits 1.\n"
                 "A running kernel reloads its policies on SIGHUP.\n";
    return arguments.has("help") ? 0 : 2;
  }
  const std::string& file = arguments.positional[1];
  std::string kind = arguments.get("kind").value_or("");
  if (kind.empty()) {
    const auto name = std::filesystem::path(file).filename().string();
    if (name.rfind("rbac", 0) == 0)
      kind = "rbac";
    else if (name.rfind("auth", 0) == 0)
      kind = "auth";
    else if (name.rfind("ratelimits", 0) == 0)
      kind = "ratelimits";
    else
      throw UsageError("cannot tell the policy kind of " + file +
                       "; pass --kind rbac|auth|ratelimits");
  }
  try {
    if (kind == "rbac")
      authz::RbacPolicy::load(file);
    else if (kind == "auth")
      auth::AuthPolicy::load(file);
    else if (kind == "ratelimits")
      ratelimit::RateLimitPolicy::load(file);
    else
      throw UsageError("unknown policy kind \"" + kind + "\"");
  } catch (const UsageError&) {
    throw;
  } catch (const std::exception& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
  std::cout << file << ": OK (" << kind << ")\n";
  return 0;
}

}  // namespace fk::cli
