#pragma once
// The `finkernel` subcommands. Each is a thin layer over the kernel's
// libraries (the same code the HTTP API runs), returns the process exit
// code, and prints its own --help.

#include <string>
#include <vector>

namespace fk::cli {

int run_command(const std::vector<std::string>& args);      // finkernel run
int migrate_command(const std::vector<std::string>& args);  // finkernel migrate
int config_command(const std::vector<std::string>& args);   // finkernel config check FILE
int tenant_command(const std::vector<std::string>& args);   // finkernel tenant ...
int user_command(const std::vector<std::string>& args);     // finkernel user create|unlock|roles
int role_command(const std::vector<std::string>& args);     // finkernel role put|list
int policy_command(const std::vector<std::string>& args);   // finkernel policy check FILE
int auth_command(const std::vector<std::string>& args);
int audit_command(const std::vector<std::string>& args);
int plugin_command(const std::vector<std::string>& args);  // finkernel plugin keygen|sign|verify
int keys_command(const std::vector<std::string>&
                     args);  // finkernel keys init|rotate|retire|status    // finkernel audit
                             // verify|checkpoint|export     // finkernel auth rotate-signing-key

}  // namespace fk::cli
