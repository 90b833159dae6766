#include "ratelimit/rate_limit_policy.hpp"

#include <yaml-cpp/yaml.h>

#include <stdexcept>

namespace fk::ratelimit {

namespace {

std::string at(const std::string& path, const YAML::Node& node) {
  return path + ":" + std::to_string(node.Mark().line + 1);
}

Limit parse_limit(const YAML::Node& node, const std::string& path, const std::string& name) {
  if (!node || !node.IsMap())
    throw std::runtime_error(path + ": '" + name + "' must be {rate, burst}");
  Limit limit;
  for (const auto& item : node) {
    const auto key = item.first.as<std::string>();
    double value = 0;
    if ((key != "rate" && key != "burst")) {
      throw std::runtime_error(at(path, item.first) + ": unknown key '" + name + "." + key + "'");
    }
    if (!YAML::convert<double>::decode(item.second, value) || value <= 0) {
      throw std::runtime_error(at(path, item.first) + ": '" + name + "." + key +
                               "' must be a positive number");
    }
    (key == "rate" ? limit.rate_per_second : limit.burst) = value;
  }
  if (limit.rate_per_second <= 0 || limit.burst < 1) {
    throw std::runtime_error(at(path, node) + ": '" + name + "' needs rate > 0 and burst >= 1");
  }
  return limit;
}

}  // namespace

RateLimitPolicy RateLimitPolicy::load(const std::string& path) {
  YAML::Node document;
  try {
    document = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    throw std::runtime_error(path + ": cannot read file");
  } catch (const YAML::Exception& e) {
    throw std::runtime_error(path + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  RateLimitPolicy policy;
  for (const auto& item : document) {
    const auto key = item.first.as<std::string>();
    if (key != "plans" && key != "default_plan" && key != "tenant_plans" &&
        key != "login_per_address") {
      throw std::runtime_error(at(path, item.first) + ": unknown key '" + key + "'");
    }
  }
  if (!document["plans"] || !document["plans"].IsMap())
    throw std::runtime_error(path + ": 'plans' is required");
  for (const auto& item : document["plans"]) {
    const auto name = item.first.as<std::string>();
    policy.plans[name] =
        Plan{parse_limit(item.second["tenant"], path, "plans." + name + ".tenant"),
             parse_limit(item.second["principal"], path, "plans." + name + ".principal")};
  }
  policy.default_plan = document["default_plan"] ? document["default_plan"].as<std::string>() : "";
  if (!policy.plans.count(policy.default_plan)) {
    throw std::runtime_error(path + ": default_plan '" + policy.default_plan + "' is not a plan");
  }
  if (const auto assignments = document["tenant_plans"]) {
    for (const auto& item : assignments) {
      const auto plan = item.second.as<std::string>();
      if (!policy.plans.count(plan)) {
        throw std::runtime_error(at(path, item.first) + ": plan '" + plan + "' does not exist");
      }
      policy.tenant_plans[item.first.as<std::string>()] = plan;
    }
  }
  policy.login_per_address = parse_limit(document["login_per_address"], path, "login_per_address");
  return policy;
}

const Plan& RateLimitPolicy::plan_for(const std::string& tenant_id) const {
  const auto assigned = tenant_plans.find(tenant_id);
  return plans.at(assigned == tenant_plans.end() ? default_plan : assigned->second);
}

}  // namespace fk::ratelimit
