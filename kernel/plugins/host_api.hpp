#pragma once
// The kernel's implementation of fk_host_api (fk_plugin.h, section 4): one
// immutable table, shared by every plugin. Every function is noexcept in
// effect: it catches everything and answers with a status code, because
// nothing may unwind through a plugin's C frames.

#include <finkernel/fk_plugin.h>

namespace fk::plugins {

const fk_host_api* host_api_table();

// Status -> HTTP status and error code, when a handler returns `status`
// without having written an error response itself (fk_plugin.h, 2).
int http_status_of(fk_status status);
const char* error_code_of(fk_status status);

}  // namespace fk::plugins
