#pragma once
// Maker-checker as a kernel service: any action can be submitted as pending,
// then decided by a different user. The store knows nothing of what an
// action does; the caller that decides supplies the executor, so routes
// today and plugin operations later use the same mechanism.

#include <nlohmann/json.hpp>

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace pqxx {
class transaction_base;
}

namespace fk::approvals {

struct PendingAction {
  std::string id;
  std::string action;      // the permission the action needs
  nlohmann::json request;  // what the executor needs to run it
  std::string maker_id;
  std::string status;  // pending | executed | rejected | expired | failed
  std::string created_at;
  std::string expires_at;
  std::string decided_by;
  nlohmann::json result;
};

// A decision that cannot be taken: status 403/404/409 and a stable code.
class DecisionError : public std::runtime_error {
 public:
  DecisionError(int status, std::string code, const std::string& message)
      : std::runtime_error(message), status_(status), code_(std::move(code)) {}
  [[nodiscard]] int status() const { return status_; }
  [[nodiscard]] const std::string& code() const { return code_; }

 private:
  int status_;
  std::string code_;
};

// All functions run in the caller's tenant transaction.
PendingAction submit(pqxx::transaction_base& tx, const std::string& action,
                     const nlohmann::json& request, const std::string& maker_id,
                     long long expires_seconds);
std::vector<PendingAction> list(pqxx::transaction_base& tx, const std::string& status_filter);
std::optional<PendingAction> find(pqxx::transaction_base& tx, const std::string& id);

// Locks the pending action for a decision by `checker_id`. Throws
// DecisionError: 404 APPROVAL_NOT_FOUND, 409 APPROVAL_NOT_PENDING,
// 409 APPROVAL_EXPIRED, 403 MAKER_CANNOT_DECIDE. (Expiry is computed from
// expires_at on every read, so no sweeper is needed for correctness.)
PendingAction claim(pqxx::transaction_base& tx, const std::string& id,
                    const std::string& checker_id);

// Records the decision: executed / failed (with result) or rejected.
void conclude(pqxx::transaction_base& tx, const std::string& id, const std::string& status,
              const std::string& checker_id, const nlohmann::json& result);

}  // namespace fk::approvals
