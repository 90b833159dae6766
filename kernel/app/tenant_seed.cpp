#include "app/tenant_seed.hpp"

#include "app/platform_seed.hpp"
#include "auth/auth_service.hpp"
#include "auth/user_admin.hpp"
#include "identity/secure_random.hpp"
#include "settings/tenant_settings.hpp"
#include "tenancy/tenant_admin.hpp"

#include <yaml-cpp/yaml.h>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include <algorithm>
#include <fstream>
#include <stdexcept>

namespace fk::app {

namespace {

nlohmann::json to_json(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      nlohmann::json object = nlohmann::json::object();
      for (const auto& item : node) object[item.first.as<std::string>()] = to_json(item.second);
      return object;
    }
    case YAML::NodeType::Sequence: {
      nlohmann::json array = nlohmann::json::array();
      for (const auto& item : node) array.push_back(to_json(item));
      return array;
    }
    case YAML::NodeType::Scalar: {
      // Plain integers stay integers (fiscal_year_start_month: 4); quoted text stays text.
      if (node.Tag() != "!") {
        long long integer = 0;
        if (YAML::convert<long long>::decode(node, integer)) return integer;
        bool boolean = false;
        if (YAML::convert<bool>::decode(node, boolean)) return boolean;
      }
      return node.Scalar();
    }
    default:
      return nullptr;
  }
}

std::string where(const std::filesystem::path& file, const YAML::Node& node) {
  return file.string() + ":" + std::to_string(node.Mark().line + 1);
}

// Creates the descriptor's admin if no user has that email yet.
void seed_admin(const std::string& owner_url, SeededTenant& tenant,
                const std::filesystem::path& secrets_dir, const auth::AuthPolicy& auth_policy,
                const authz::RbacPolicy& rbac) {
  pqxx::connection connection(owner_url);
  pqxx::work tx(connection);
  tx.exec_params("SELECT set_config('fk.tenant_id', $1, true)", tenant.id);
  tenant.admin_secret_file = secrets_dir / (tenant.slug + "-admin.txt");
  if (auth::find_user_by_email(tx, tenant.admin_email, false)) return;
  // 144 random bits, URL-safe: long enough for any policy, easy to paste.
  const auto password = identity::base64url_encode(identity::random_bytes(18));
  auth::create_user(tx, auth_policy, rbac, tenant.admin_email, "Administrator", password,
                    {"tenant-admin"});
  write_secret_file(tenant.admin_secret_file, "tenant: " + tenant.slug +
                                                  "\nemail: " + tenant.admin_email +
                                                  "\npassword: " + password + "\n");
  tx.commit();
  tenant.admin_password = password;
}

}  // namespace

std::vector<SeededTenant> seed_tenants(const std::string& owner_url,
                                       const std::filesystem::path& directory,
                                       const std::filesystem::path& secrets_dir,
                                       const auth::AuthPolicy& auth_policy,
                                       const authz::RbacPolicy& rbac) {
  std::vector<std::filesystem::path> files;
  if (std::filesystem::is_directory(directory)) {
    for (const auto& entry : std::filesystem::directory_iterator(directory)) {
      if (entry.path().extension() == ".yaml") files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());

  std::vector<SeededTenant> seeded;
  tenancy::TenantAdmin admin(owner_url);
  for (const auto& file : files) {
    YAML::Node document;
    try {
      document = YAML::LoadFile(file.string());
    } catch (const YAML::Exception& e) {
      throw std::runtime_error(file.string() + ":" + std::to_string(e.mark.line + 1) + ": " +
                               e.msg);
    }
    for (const auto& item : document) {
      const auto key = item.first.as<std::string>();
      if (key != "slug" && key != "display_name" && key != "settings" && key != "admin_email") {
        throw std::runtime_error(where(file, item.first) + ": unknown key '" + key + "'");
      }
    }
    if (!document["slug"] || !document["display_name"]) {
      throw std::runtime_error(file.string() + ": 'slug' and 'display_name' are required");
    }
    const auto slug = document["slug"].as<std::string>();
    const nlohmann::json settings =
        document["settings"] ? to_json(document["settings"]) : nlohmann::json::object();
    try {
      settings::validate_settings(settings);
    } catch (const settings::InvalidSetting& e) {
      throw std::runtime_error(where(file, document["settings"]) + ": " + e.what());
    }

    SeededTenant result;
    result.slug = slug;
    try {
      result.id = admin.show(slug).id;
    } catch (const tenancy::TenantAdminError&) {
      result.id = admin.create(slug, document["display_name"].as<std::string>()).id;
      result.created = true;
      // Settings are tenant data: written under the tenant's own RLS context.
      pqxx::connection connection(owner_url);
      pqxx::work tx(connection);
      tx.exec_params("SELECT set_config('fk.tenant_id', $1, true)", result.id);
      settings::update_settings(tx, settings);
      tx.commit();
    }
    if (document["admin_email"]) {
      result.admin_email = auth::normalize_email(document["admin_email"].as<std::string>());
      if (result.admin_email.empty()) {
        throw std::runtime_error(where(file, document["admin_email"]) +
                                 ": admin_email is not a valid address");
      }
      seed_admin(owner_url, result, secrets_dir, auth_policy, rbac);
    }
    seeded.push_back(result);
  }
  return seeded;
}

}  // namespace fk::app
