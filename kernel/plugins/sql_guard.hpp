#pragma once
// What plugin SQL may be (fk_plugin.h, section 4.3): one data statement per
// call. Checked before anything reaches PostgreSQL, on the statement's
// tokens (comments, string literals, dollar quotes and quoted identifiers
// skipped), so a keyword inside a literal is not a false refusal and a
// second statement hidden after a comment is not missed. What the runtime
// role may do is still the database's decision; this closes what the role
// alone cannot: leaving the transaction, changing the session, or the tenant.

#include <optional>
#include <string>
#include <string_view>

namespace fk::plugins {

// Empty when `sql` is allowed, else why it is refused (for the plugin's log).
std::optional<std::string> refuse_plugin_sql(std::string_view sql);

}  // namespace fk::plugins
