#pragma once
// The two database roles every FinKernel deployment has (docs/architecture.md):
// the owner runs migrations and owns every table; the runtime role serves
// requests and is NOSUPERUSER, NOBYPASSRLS and owns nothing. Migrations grant
// to the runtime role by this name, so it is fixed rather than configurable.

namespace fk::db {

inline constexpr const char* kOwnerRole = "fk_owner";
inline constexpr const char* kRuntimeRole = "fk_runtime";
inline constexpr const char* kDatabaseName = "finkernel";

}  // namespace fk::db
