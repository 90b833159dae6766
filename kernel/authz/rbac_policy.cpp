#include "authz/rbac_policy.hpp"

#include "approvals/decimal_amount.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <regex>
#include <sstream>

namespace fk::authz {

namespace {

const std::regex kPermissionPattern("^[a-z][a-z0-9-]*:[a-z][a-z0-9_-]*(\\.[a-z][a-z0-9_-]*)*$");
const std::regex kGrantPattern("^[a-z][a-z0-9-]*:([a-z][a-z0-9_.-]*)?\\*?$");
const std::regex kRoleNamePattern("^[a-z][a-z0-9-]{0,62}$");
const std::regex kCurrencyPattern("^[A-Z]{3}$");

std::string at(const std::string& source, const YAML::Node& node) {
  return source + ":" + std::to_string(node.Mark().line + 1);
}

std::string namespace_of(const std::string& name) {
  return name.substr(0, name.find(':'));
}

// `when` of an approval rule: {field, greater_than} (an integer body field) or
// {amount_greater_than: {CURRENCY: "decimal", ...}} (what the plugin measures).
void parse_when(const std::string& source, const YAML::Node& when, ApprovalRule& rule) {
  if (!when.IsMap()) {
    throw PolicyError(at(source, when) + ": 'when' of approval '" + rule.action +
                      "' must be a map");
  }
  for (const auto& field : when) {
    const auto key = field.first.as<std::string>();
    if (key != "field" && key != "greater_than" && key != "amount_greater_than") {
      throw PolicyError(at(source, field.first) + ": unknown key '" + key +
                        "' in 'when' of approval '" + rule.action +
                        "' (expected amount_greater_than, or field and greater_than)");
    }
  }
  const auto amounts = when["amount_greater_than"];
  if (!amounts) {
    if (!when["field"] || !when["greater_than"] ||
        !YAML::convert<long long>::decode(when["greater_than"], rule.greater_than)) {
      throw PolicyError(at(source, when) + ": 'when' needs field and an integer greater_than");
    }
    rule.when_field = when["field"].as<std::string>();
    return;
  }
  if (when["field"] || when["greater_than"]) {
    throw PolicyError(at(source, when) + ": 'when' of approval '" + rule.action +
                      "' takes amount_greater_than or field/greater_than, not both");
  }
  if (!amounts.IsMap() || amounts.size() == 0) {
    throw PolicyError(at(source, amounts) +
                      ": amount_greater_than must map currencies to amounts, e.g. "
                      "{USD: \"10000.00\"}");
  }
  for (const auto& item : amounts) {
    const auto currency = item.first.as<std::string>();
    if (!std::regex_match(currency, kCurrencyPattern)) {
      throw PolicyError(at(source, item.first) + ": amount_greater_than currency '" + currency +
                        "' must be an ISO 4217 code of three upper-case letters");
    }
    const auto text = item.second.IsScalar() ? item.second.as<std::string>() : std::string();
    const auto amount = approvals::DecimalAmount::parse(text);
    if (!amount) {
      throw PolicyError(at(source, item.second) + ": amount_greater_than " + currency + " '" +
                        text +
                        "' must be a non-negative decimal in major units, e.g. \"10000.00\"");
    }
    rule.amount_greater_than[currency] = amount->text();
  }
}

}  // namespace

bool grant_covers(const std::string& grant, const std::string& permission) {
  if (!grant.empty() && grant.back() == '*') {
    const std::string prefix = grant.substr(0, grant.size() - 1);
    return permission.compare(0, prefix.size(), prefix) == 0;
  }
  return grant == permission;
}

RbacPolicy RbacPolicy::load(const std::string& path, const PermissionMap& plugin_permissions) {
  std::ifstream in(path);
  if (!in) throw PolicyError(path + ": cannot read file");
  std::stringstream text;
  text << in.rdbuf();
  return parse(text.str(), path, plugin_permissions);
}

RbacPolicy RbacPolicy::parse(const std::string& yaml_text, const std::string& source,
                             const PermissionMap& plugin_permissions) {
  YAML::Node document;
  try {
    document = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    throw PolicyError(source + ":" + std::to_string(e.mark.line + 1) + ": invalid YAML: " + e.msg);
  }
  if (!document.IsMap())
    throw PolicyError(source + ": expected a map with 'permissions' and 'roles'");
  for (const auto& item : document) {
    const auto key = item.first.as<std::string>();
    if (key != "permissions" && key != "roles" && key != "tenant_role_ceiling" &&
        key != "approvals") {
      throw PolicyError(at(source, item.first) + ": unknown key '" + key + "'");
    }
  }
  RbacPolicy policy;
  const auto permissions = document["permissions"];
  if (!permissions || !permissions.IsMap()) {
    throw PolicyError(source + ": 'permissions' must be a map of permission: description");
  }
  for (const auto& item : permissions) {
    const auto name = item.first.as<std::string>();
    if (!std::regex_match(name, kPermissionPattern)) {
      throw PolicyError(at(source, item.first) + ": permission '" + name +
                        "' must look like 'area:action' (lower case, e.g. 'ledger:entries.post')");
    }
    if (!item.second.IsScalar()) {
      throw PolicyError(at(source, item.first) + ": permission '" + name + "' needs a description");
    }
    policy.permissions_[name] = item.second.as<std::string>();
  }
  // Plugins declare their permissions in their manifests (a namespace of
  // their own, checked at load); the roles below may grant them.
  for (const auto& [name, description] : plugin_permissions) {
    if (namespace_of(name) == "platform" || policy.permissions_.count(name) > 0) {
      throw PolicyError(source + ": plugin permission '" + name +
                        "' collides with a kernel permission");
    }
    policy.permissions_[name] = description;
  }

  const auto roles = document["roles"];
  if (!roles || !roles.IsMap())
    throw PolicyError(source + ": 'roles' must be a map of role: {realm, grants}");
  for (const auto& item : roles) {
    Role role;
    role.name = item.first.as<std::string>();
    const std::string where = at(source, item.first);
    if (!std::regex_match(role.name, kRoleNamePattern)) {
      throw PolicyError(where + ": role name '" + role.name +
                        "' must be lower-case letters, digits and '-'");
    }
    if (!item.second.IsMap()) throw PolicyError(where + ": role '" + role.name + "' must be a map");
    for (const auto& field : item.second) {
      const auto key = field.first.as<std::string>();
      if (key != "realm" && key != "grants") {
        throw PolicyError(at(source, field.first) + ": unknown key '" + key + "' in role '" +
                          role.name + "'");
      }
    }
    const auto realm = item.second["realm"] ? item.second["realm"].as<std::string>() : "";
    if (realm == "tenant")
      role.realm = Realm::tenant;
    else if (realm == "platform")
      role.realm = Realm::platform;
    else
      throw PolicyError(where + ": role '" + role.name + "' needs realm: tenant or platform");

    const auto grants = item.second["grants"];
    if (!grants || !grants.IsSequence()) {
      throw PolicyError(where + ": role '" + role.name + "' needs a 'grants' list");
    }
    for (const auto& grant_node : grants) {
      const auto grant = grant_node.as<std::string>();
      const std::string grant_where = at(source, grant_node);
      if (!std::regex_match(grant, kGrantPattern)) {
        throw PolicyError(grant_where + ": grant '" + grant + "' of role '" + role.name +
                          "' must be a permission or 'area:prefix*' within one namespace");
      }
      const bool covers_any = std::any_of(
          policy.permissions_.begin(), policy.permissions_.end(),
          [&](const auto& permission) { return grant_covers(grant, permission.first); });
      // A grant in a namespace nothing declares is for a plugin that is not
      // installed here: it grants nothing until the plugin declares it. In a
      // declared namespace a grant matching nothing is a typo.
      const bool declared_namespace = std::any_of(
          policy.permissions_.begin(), policy.permissions_.end(), [&](const auto& permission) {
            return namespace_of(permission.first) == namespace_of(grant);
          });
      if (!covers_any && declared_namespace) {
        throw PolicyError(grant_where + ": grant '" + grant + "' of role '" + role.name +
                          "' matches no declared permission");
      }
      const bool platform_permission = namespace_of(grant) == "platform";
      if (platform_permission != (role.realm == Realm::platform)) {
        throw PolicyError(grant_where + ": grant '" + grant + "' crosses realms: '" + role.name +
                          "' is a " + realm + " role");
      }
      role.grants.push_back(grant);
    }
    policy.roles_[role.name] = std::move(role);
  }

  if (const auto ceiling = document["tenant_role_ceiling"]) {
    if (!ceiling.IsSequence())
      throw PolicyError(at(source, ceiling) + ": 'tenant_role_ceiling' must be a list of grants");
    for (const auto& node : ceiling) {
      const auto grant = node.as<std::string>();
      if (!std::regex_match(grant, kGrantPattern) || namespace_of(grant) == "platform") {
        throw PolicyError(at(source, node) + ": ceiling grant '" + grant +
                          "' must be a tenant-realm permission or 'area:prefix*'");
      }
      policy.tenant_role_ceiling_.push_back(grant);
    }
  }

  if (const auto approvals = document["approvals"]) {
    if (!approvals.IsMap())
      throw PolicyError(at(source, approvals) + ": 'approvals' must be a map");
    for (const auto& item : approvals) {
      ApprovalRule rule;
      rule.action = item.first.as<std::string>();
      const std::string where = at(source, item.first);
      if (!policy.is_declared(rule.action)) {
        throw PolicyError(where + ": approval for undeclared permission '" + rule.action + "'");
      }
      for (const auto& field : item.second) {
        const auto key = field.first.as<std::string>();
        if (key != "checker" && key != "expires_seconds" && key != "when") {
          throw PolicyError(at(source, field.first) + ": unknown key '" + key + "' in approval '" +
                            rule.action + "'");
        }
      }
      rule.checker_permission =
          item.second["checker"] ? item.second["checker"].as<std::string>() : "";
      if (!policy.is_declared(rule.checker_permission)) {
        throw PolicyError(where + ": approval '" + rule.action +
                          "' needs 'checker', a declared permission");
      }
      if (rule.checker_permission == rule.action) {
        throw PolicyError(where + ": approval '" + rule.action +
                          "' cannot be checked by the same permission");
      }
      if (const auto expires = item.second["expires_seconds"]) {
        if (!YAML::convert<long long>::decode(expires, rule.expires_seconds) ||
            rule.expires_seconds <= 0) {
          throw PolicyError(at(source, expires) + ": expires_seconds must be a positive integer");
        }
      }
      if (const auto when = item.second["when"]) parse_when(source, when, rule);
      policy.approvals_[rule.action] = rule;
    }
  }
  return policy;
}

bool RbacPolicy::within_tenant_ceiling(const std::string& permission) const {
  return std::any_of(tenant_role_ceiling_.begin(), tenant_role_ceiling_.end(),
                     [&](const auto& grant) { return grant_covers(grant, permission); });
}

const ApprovalRule* RbacPolicy::approval_rule(const std::string& action) const {
  const auto found = approvals_.find(action);
  return found == approvals_.end() ? nullptr : &found->second;
}

bool RbacPolicy::is_declared(const std::string& permission) const {
  return permissions_.count(permission) > 0;
}

const Role* RbacPolicy::role(const std::string& name) const {
  const auto found = roles_.find(name);
  return found == roles_.end() ? nullptr : &found->second;
}

std::set<std::string> RbacPolicy::permissions_of(const std::vector<std::string>& roles) const {
  std::set<std::string> granted;
  for (const auto& name : roles) {
    const Role* found = role(name);
    if (!found) continue;
    for (const auto& grant : found->grants) {
      for (const auto& [permission, description] : permissions_) {
        if (grant_covers(grant, permission)) granted.insert(permission);
      }
    }
  }
  return granted;
}

bool RbacPolicy::allows(const std::vector<std::string>& roles,
                        const std::string& permission) const {
  for (const auto& name : roles) {
    const Role* found = role(name);
    if (!found) continue;
    for (const auto& grant : found->grants) {
      if (grant_covers(grant, permission)) return true;
    }
  }
  return false;
}

}  // namespace fk::authz
