#include "auth/auth_policy.hpp"
#include "auth/signing_key_file.hpp"
#include "cli/commands/commands.hpp"
#include "cli/commands/common_options.hpp"

#include <iostream>

namespace fk::cli {

int auth_command(const std::vector<std::string>& args) {
  const auto arguments = parse_arguments(args, {"config"}, {"help"});
  if (arguments.has("help") || arguments.positional.size() != 1 ||
      arguments.positional[0] != "rotate-signing-key") {
    std::cout << "usage: finkernel auth rotate-signing-key [--config FILE]\n\n"
                 "Adds a new Ed25519 access-token signing key to identity.signing_keys_file and\n"
                 "makes it current. The previous key keeps verifying tokens for\n"
                 "tokens.signing_key_overlap_seconds (policies/auth.yaml), so sessions survive\n"
                 "the rotation. Restart the kernels (rolling) to start signing with the new key.\n";
    return arguments.has("help") ? 0 : 2;
  }
  const auto config = load_effective_config(arguments);
  const auto policy = auth::AuthPolicy::load(config.identity.policy_dir + "/auth.yaml");
  const auto kid =
      auth::rotate_signing_key(config.identity.signing_keys_file, policy.signing_key_overlap);
  std::cout << "new signing key " << kid << " is current; the previous key verifies for another "
            << policy.signing_key_overlap.count() << " s\n";
  return 0;
}

}  // namespace fk::cli
