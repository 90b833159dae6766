#pragma once
// The RBAC policy (policies/rbac.yaml): declared permissions and the roles
// that grant them. Immutable once loaded; a reload builds a new one and
// swaps it in whole, so a bad file never leaves a half-applied policy.

#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace fk::authz {

class PolicyError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;  // message names file:line and the problem
};

enum class Realm { tenant, platform };

struct Role {
  std::string name;
  Realm realm = Realm::tenant;
  std::vector<std::string> grants;  // exact permissions or "area:prefix*"
};

// Maker-checker: an action (a route's permission) that runs only after a
// different user holding `checker_permission` approves it.
struct ApprovalRule {
  std::string action;
  std::string checker_permission;
  long long expires_seconds = 86400;
  // Optional constraint: only when the JSON body's integer `field` exceeds `greater_than`.
  std::string when_field;
  long long greater_than = 0;
  // Optional constraint (`when: {amount_greater_than: {USD: "10000.00"}}`): only
  // when the money the request moves, as its plugin measures it, exceeds the
  // threshold of one of its currencies. Currency -> normalized exact decimal
  // in major units; a currency not listed never triggers the rule.
  std::map<std::string, std::string> amount_greater_than;
};

class RbacPolicy {
 public:
  using PermissionMap = std::map<std::string, std::string>;  // name -> description

  // Parses and validates; throws PolicyError naming the file, line and problem.
  // `plugin_permissions` are the loaded plugins' declared permissions.
  static RbacPolicy load(const std::string& path, const PermissionMap& plugin_permissions = {});
  static RbacPolicy parse(const std::string& yaml_text, const std::string& source_name,
                          const PermissionMap& plugin_permissions = {});

  [[nodiscard]] bool is_declared(const std::string& permission) const;
  [[nodiscard]] const Role* role(const std::string& name) const;
  // Every declared permission the roles grant (unknown roles grant nothing).
  [[nodiscard]] std::set<std::string> permissions_of(const std::vector<std::string>& roles) const;
  [[nodiscard]] bool allows(const std::vector<std::string>& roles,
                            const std::string& permission) const;
  [[nodiscard]] const std::map<std::string, std::string>& permissions() const {
    return permissions_;
  }
  // Whether tenant-defined roles may grant `permission` (tenant_role_ceiling).
  [[nodiscard]] bool within_tenant_ceiling(const std::string& permission) const;
  [[nodiscard]] const ApprovalRule* approval_rule(const std::string& action) const;

 private:
  std::map<std::string, std::string> permissions_;  // name -> description
  std::map<std::string, Role> roles_;
  std::vector<std::string> tenant_role_ceiling_;
  std::map<std::string, ApprovalRule> approvals_;
};

// Whether `grant` ("ledger:*", "ledger:entries.post") covers `permission`.
bool grant_covers(const std::string& grant, const std::string& permission);

}  // namespace fk::authz
