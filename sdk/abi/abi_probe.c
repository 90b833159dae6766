/* ABI probe: a tiny shared library whose only purpose is to make every type
 * of <finkernel/fk_plugin.h> visible to libabigail. abidw records the types
 * reachable from exported functions, so each ABI type is the parameter of
 * one exported function here, and each family of constants (which are
 * #defines, invisible to DWARF) is mirrored as an enum whose enumerators
 * carry the constants' values -- renumbering a constant changes an
 * enumerator, which abidiff reports.
 *
 * Built by check_abi.sh (never installed, never linked into anything):
 *   cc -std=c99 -g -O0 -shared -fPIC -I sdk/include sdk/abi/abi_probe.c
 *
 * Maintainers: when a minor release adds a type or a constant, add it here
 * (append to the enums; a new function for a new struct), then regenerate
 * the baseline with `check_abi.sh --update BUILD_DIR` in the release commit. */
#include <finkernel/fk_plugin.h>

#define FK_PROBE_EXPORT __attribute__((visibility("default")))

/* Constants mirrored as enums (values must equal the header's). */
enum fk_probe_status {
  FK_PROBE_OK = FK_OK,
  FK_PROBE_ERR_INVALID_ARGUMENT = FK_ERR_INVALID_ARGUMENT,
  FK_PROBE_ERR_NOT_FOUND = FK_ERR_NOT_FOUND,
  FK_PROBE_ERR_PERMISSION_DENIED = FK_ERR_PERMISSION_DENIED,
  FK_PROBE_ERR_CONFLICT = FK_ERR_CONFLICT,
  FK_PROBE_ERR_UNAVAILABLE = FK_ERR_UNAVAILABLE,
  FK_PROBE_ERR_INTERNAL = FK_ERR_INTERNAL,
  FK_PROBE_ERR_UNSUPPORTED = FK_ERR_UNSUPPORTED,
  FK_PROBE_ERR_BUFFER_TOO_SMALL = FK_ERR_BUFFER_TOO_SMALL,
  FK_PROBE_ERR_DB = FK_ERR_DB,
  FK_PROBE_ERR_VALIDATION = FK_ERR_VALIDATION,
  FK_PROBE_ERR_ABI_MISMATCH = FK_ERR_ABI_MISMATCH,
  FK_PROBE_ERR_TIMEOUT = FK_ERR_TIMEOUT
};

enum fk_probe_method {
  FK_PROBE_METHOD_UNKNOWN = FK_METHOD_UNKNOWN,
  FK_PROBE_METHOD_GET = FK_METHOD_GET,
  FK_PROBE_METHOD_POST = FK_METHOD_POST,
  FK_PROBE_METHOD_PUT = FK_METHOD_PUT,
  FK_PROBE_METHOD_PATCH = FK_METHOD_PATCH,
  FK_PROBE_METHOD_DELETE = FK_METHOD_DELETE,
  FK_PROBE_METHOD_HEAD = FK_METHOD_HEAD,
  FK_PROBE_METHOD_OPTIONS = FK_METHOD_OPTIONS
};

enum fk_probe_log_level {
  FK_PROBE_LOG_DEBUG = FK_LOG_DEBUG,
  FK_PROBE_LOG_INFO = FK_LOG_INFO,
  FK_PROBE_LOG_WARN = FK_LOG_WARN,
  FK_PROBE_LOG_ERROR = FK_LOG_ERROR
};

enum fk_probe_audit_outcome {
  FK_PROBE_AUDIT_SUCCESS = FK_AUDIT_SUCCESS,
  FK_PROBE_AUDIT_FAILURE = FK_AUDIT_FAILURE,
  FK_PROBE_AUDIT_DENIED = FK_AUDIT_DENIED
};

/* Fixed identity values (the minor version is deliberately absent: it grows). */
enum fk_probe_identity {
  FK_PROBE_ABI_MAJOR = FK_ABI_MAJOR,
  FK_PROBE_PLUGIN_MAGIC = FK_PLUGIN_MAGIC,
  FK_PROBE_FALSE = FK_FALSE,
  FK_PROBE_TRUE = FK_TRUE
};

FK_PROBE_EXPORT void fk_probe_constants(enum fk_probe_status s, enum fk_probe_method m,
                                        enum fk_probe_log_level l, enum fk_probe_audit_outcome o,
                                        enum fk_probe_identity i);
void fk_probe_constants(enum fk_probe_status s, enum fk_probe_method m, enum fk_probe_log_level l,
                        enum fk_probe_audit_outcome o, enum fk_probe_identity i) {
  (void)s, (void)m, (void)l, (void)o, (void)i;
}

/* One function per ABI type. */
#define FK_PROBE_TYPE(name, type)             \
  FK_PROBE_EXPORT void fk_probe_##name(type); \
  void fk_probe_##name(type value) {          \
    (void)value;                              \
  }

FK_PROBE_TYPE(str, fk_str)
FK_PROBE_TYPE(bytes, fk_bytes)
FK_PROBE_TYPE(status, fk_status)
FK_PROBE_TYPE(bool, fk_bool)
FK_PROBE_TYPE(error, const fk_error*)
FK_PROBE_TYPE(log_field, const fk_log_field*)
FK_PROBE_TYPE(log_api, const fk_log_api*)
FK_PROBE_TYPE(http_api, const fk_http_api*)
FK_PROBE_TYPE(db_api, const fk_db_api*)
FK_PROBE_TYPE(crypto_api, const fk_crypto_api*)
FK_PROBE_TYPE(audit_entry, const fk_audit_entry*)
FK_PROBE_TYPE(audit_api, const fk_audit_api*)
FK_PROBE_TYPE(event, const fk_event*)
FK_PROBE_TYPE(events_api, const fk_events_api*)
FK_PROBE_TYPE(event_spec, const fk_event_spec*) /* ABI 1.1 */
FK_PROBE_TYPE(config_api, const fk_config_api*)
FK_PROBE_TYPE(authz_api, const fk_authz_api*)
FK_PROBE_TYPE(plugins_api, const fk_plugins_api*)
FK_PROBE_TYPE(host_api, const fk_host_api*)
FK_PROBE_TYPE(init_args, const fk_init_args*)
FK_PROBE_TYPE(migrate_args, const fk_migrate_args*)
FK_PROBE_TYPE(request_args, const fk_request_args*)
FK_PROBE_TYPE(event_args, const fk_event_args*)
FK_PROBE_TYPE(call_args, const fk_call_args*)
FK_PROBE_TYPE(measure_args, const fk_measure_args*) /* ABI 1.2 */
FK_PROBE_TYPE(plugin_callbacks, const fk_plugin_callbacks*)
FK_PROBE_TYPE(plugin_info, const fk_plugin_info*)
FK_PROBE_TYPE(plugin_entry_fn, fk_plugin_entry_fn)
