/*
 * sdk/tests/abi_layout_expect.h -- the frozen LP64 layout of ABI 1.2
 * (1.0 plus the members marked "ABI 1.1" and "ABI 1.2", appended at the ends
 * of structs).
 *
 * One line per struct size, member offset and constant value. Included by
 * abi_layout_test.cpp (static_assert) and abi_layout_test.c (C11
 * _Static_assert); each defines FK_LAYOUT_SIZE, FK_LAYOUT_OFFSET and
 * FK_LAYOUT_CONST first. A layout change therefore fails the build.
 *
 * Maintainers: an OFFSET or CONST line never changes within major 1. When a
 * minor release appends a member, add its OFFSET line and raise the struct's
 * SIZE line -- nothing else may change. Sizes are written out (not computed)
 * on purpose: they were checked by hand against the layout rules L1-L3.
 */
/* clang-format off */

/* fk_str */
FK_LAYOUT_SIZE(fk_str, 16)
FK_LAYOUT_OFFSET(fk_str, data, 0)
FK_LAYOUT_OFFSET(fk_str, len, 8)

/* fk_bytes */
FK_LAYOUT_SIZE(fk_bytes, 16)
FK_LAYOUT_OFFSET(fk_bytes, data, 0)
FK_LAYOUT_OFFSET(fk_bytes, len, 8)

/* fk_error */
FK_LAYOUT_SIZE(fk_error, 40)
FK_LAYOUT_OFFSET(fk_error, struct_size, 0)
FK_LAYOUT_OFFSET(fk_error, code, 4)
FK_LAYOUT_OFFSET(fk_error, message, 8)
FK_LAYOUT_OFFSET(fk_error, subcode, 24)

/* fk_log_field */
FK_LAYOUT_SIZE(fk_log_field, 32)
FK_LAYOUT_OFFSET(fk_log_field, key, 0)
FK_LAYOUT_OFFSET(fk_log_field, value, 16)

/* fk_log_api */
FK_LAYOUT_SIZE(fk_log_api, 24)
FK_LAYOUT_OFFSET(fk_log_api, struct_size, 0)
FK_LAYOUT_OFFSET(fk_log_api, reserved0, 4)
FK_LAYOUT_OFFSET(fk_log_api, write, 8)
FK_LAYOUT_OFFSET(fk_log_api, enabled, 16)

/* fk_http_api */
FK_LAYOUT_SIZE(fk_http_api, 104)
FK_LAYOUT_OFFSET(fk_http_api, struct_size, 0)
FK_LAYOUT_OFFSET(fk_http_api, reserved0, 4)
FK_LAYOUT_OFFSET(fk_http_api, request_method, 8)
FK_LAYOUT_OFFSET(fk_http_api, request_path, 16)
FK_LAYOUT_OFFSET(fk_http_api, request_route, 24)
FK_LAYOUT_OFFSET(fk_http_api, request_path_param, 32)
FK_LAYOUT_OFFSET(fk_http_api, request_query_param, 40)
FK_LAYOUT_OFFSET(fk_http_api, request_header, 48)
FK_LAYOUT_OFFSET(fk_http_api, request_body, 56)
FK_LAYOUT_OFFSET(fk_http_api, response_set_status, 64)
FK_LAYOUT_OFFSET(fk_http_api, response_set_header, 72)
FK_LAYOUT_OFFSET(fk_http_api, response_write_json, 80)
FK_LAYOUT_OFFSET(fk_http_api, response_write_body, 88)
FK_LAYOUT_OFFSET(fk_http_api, response_set_error, 96)

/* fk_db_api */
FK_LAYOUT_SIZE(fk_db_api, 64)
FK_LAYOUT_OFFSET(fk_db_api, struct_size, 0)
FK_LAYOUT_OFFSET(fk_db_api, reserved0, 4)
FK_LAYOUT_OFFSET(fk_db_api, exec, 8)
FK_LAYOUT_OFFSET(fk_db_api, result_free, 16)
FK_LAYOUT_OFFSET(fk_db_api, result_row_count, 24)
FK_LAYOUT_OFFSET(fk_db_api, result_column_count, 32)
FK_LAYOUT_OFFSET(fk_db_api, result_column_name, 40)
FK_LAYOUT_OFFSET(fk_db_api, result_value, 48)
FK_LAYOUT_OFFSET(fk_db_api, result_affected_rows, 56)

/* fk_crypto_api */
FK_LAYOUT_SIZE(fk_crypto_api, 48)
FK_LAYOUT_OFFSET(fk_crypto_api, struct_size, 0)
FK_LAYOUT_OFFSET(fk_crypto_api, reserved0, 4)
FK_LAYOUT_OFFSET(fk_crypto_api, random_bytes, 8)
FK_LAYOUT_OFFSET(fk_crypto_api, sha256, 16)
FK_LAYOUT_OFFSET(fk_crypto_api, encrypt, 24)
FK_LAYOUT_OFFSET(fk_crypto_api, decrypt, 32)
FK_LAYOUT_OFFSET(fk_crypto_api, hmac_sha256, 40)

/* fk_audit_entry */
FK_LAYOUT_SIZE(fk_audit_entry, 72)
FK_LAYOUT_OFFSET(fk_audit_entry, struct_size, 0)
FK_LAYOUT_OFFSET(fk_audit_entry, outcome, 4)
FK_LAYOUT_OFFSET(fk_audit_entry, action, 8)
FK_LAYOUT_OFFSET(fk_audit_entry, resource_type, 24)
FK_LAYOUT_OFFSET(fk_audit_entry, resource_id, 40)
FK_LAYOUT_OFFSET(fk_audit_entry, details_json, 56)

/* fk_audit_api */
FK_LAYOUT_SIZE(fk_audit_api, 16)
FK_LAYOUT_OFFSET(fk_audit_api, struct_size, 0)
FK_LAYOUT_OFFSET(fk_audit_api, reserved0, 4)
FK_LAYOUT_OFFSET(fk_audit_api, record, 8)

/* fk_event (ABI 1.1 appended aggregate_type..reserved1: 80 -> 152) */
FK_LAYOUT_SIZE(fk_event, 152)
FK_LAYOUT_OFFSET(fk_event, struct_size, 0)
FK_LAYOUT_OFFSET(fk_event, attempt, 4)
FK_LAYOUT_OFFSET(fk_event, id, 8)
FK_LAYOUT_OFFSET(fk_event, type, 24)
FK_LAYOUT_OFFSET(fk_event, source, 40)
FK_LAYOUT_OFFSET(fk_event, payload_json, 56)
FK_LAYOUT_OFFSET(fk_event, occurred_at_ms, 72)
FK_LAYOUT_OFFSET(fk_event, aggregate_type, 80)
FK_LAYOUT_OFFSET(fk_event, aggregate_id, 96)
FK_LAYOUT_OFFSET(fk_event, correlation_id, 112)
FK_LAYOUT_OFFSET(fk_event, causation_id, 128)
FK_LAYOUT_OFFSET(fk_event, version, 144)
FK_LAYOUT_OFFSET(fk_event, reserved1, 148)

/* fk_event_spec (ABI 1.1) */
FK_LAYOUT_SIZE(fk_event_spec, 72)
FK_LAYOUT_OFFSET(fk_event_spec, struct_size, 0)
FK_LAYOUT_OFFSET(fk_event_spec, version, 4)
FK_LAYOUT_OFFSET(fk_event_spec, type, 8)
FK_LAYOUT_OFFSET(fk_event_spec, aggregate_type, 24)
FK_LAYOUT_OFFSET(fk_event_spec, aggregate_id, 40)
FK_LAYOUT_OFFSET(fk_event_spec, payload_json, 56)

/* fk_events_api (ABI 1.1 appended publish_event: 16 -> 24) */
FK_LAYOUT_SIZE(fk_events_api, 24)
FK_LAYOUT_OFFSET(fk_events_api, struct_size, 0)
FK_LAYOUT_OFFSET(fk_events_api, reserved0, 4)
FK_LAYOUT_OFFSET(fk_events_api, publish, 8)
FK_LAYOUT_OFFSET(fk_events_api, publish_event, 16)

/* fk_config_api */
FK_LAYOUT_SIZE(fk_config_api, 16)
FK_LAYOUT_OFFSET(fk_config_api, struct_size, 0)
FK_LAYOUT_OFFSET(fk_config_api, reserved0, 4)
FK_LAYOUT_OFFSET(fk_config_api, get, 8)

/* fk_authz_api */
FK_LAYOUT_SIZE(fk_authz_api, 40)
FK_LAYOUT_OFFSET(fk_authz_api, struct_size, 0)
FK_LAYOUT_OFFSET(fk_authz_api, reserved0, 4)
FK_LAYOUT_OFFSET(fk_authz_api, tenant_id, 8)
FK_LAYOUT_OFFSET(fk_authz_api, principal_id, 16)
FK_LAYOUT_OFFSET(fk_authz_api, request_id, 24)
FK_LAYOUT_OFFSET(fk_authz_api, has_permission, 32)

/* fk_plugins_api */
FK_LAYOUT_SIZE(fk_plugins_api, 16)
FK_LAYOUT_OFFSET(fk_plugins_api, struct_size, 0)
FK_LAYOUT_OFFSET(fk_plugins_api, reserved0, 4)
FK_LAYOUT_OFFSET(fk_plugins_api, call, 8)

/* fk_host_api */
FK_LAYOUT_SIZE(fk_host_api, 104)
FK_LAYOUT_OFFSET(fk_host_api, struct_size, 0)
FK_LAYOUT_OFFSET(fk_host_api, abi_major, 4)
FK_LAYOUT_OFFSET(fk_host_api, abi_minor, 8)
FK_LAYOUT_OFFSET(fk_host_api, reserved0, 12)
FK_LAYOUT_OFFSET(fk_host_api, host_version, 16)
FK_LAYOUT_OFFSET(fk_host_api, log, 32)
FK_LAYOUT_OFFSET(fk_host_api, http, 40)
FK_LAYOUT_OFFSET(fk_host_api, db, 48)
FK_LAYOUT_OFFSET(fk_host_api, crypto, 56)
FK_LAYOUT_OFFSET(fk_host_api, audit, 64)
FK_LAYOUT_OFFSET(fk_host_api, events, 72)
FK_LAYOUT_OFFSET(fk_host_api, config, 80)
FK_LAYOUT_OFFSET(fk_host_api, authz, 88)
FK_LAYOUT_OFFSET(fk_host_api, plugins, 96)

/* fk_init_args */
FK_LAYOUT_SIZE(fk_init_args, 40)
FK_LAYOUT_OFFSET(fk_init_args, struct_size, 0)
FK_LAYOUT_OFFSET(fk_init_args, reserved0, 4)
FK_LAYOUT_OFFSET(fk_init_args, host, 8)
FK_LAYOUT_OFFSET(fk_init_args, self, 16)
FK_LAYOUT_OFFSET(fk_init_args, plugin_dir, 24)

/* fk_migrate_args */
FK_LAYOUT_SIZE(fk_migrate_args, 56)
FK_LAYOUT_OFFSET(fk_migrate_args, struct_size, 0)
FK_LAYOUT_OFFSET(fk_migrate_args, reserved0, 4)
FK_LAYOUT_OFFSET(fk_migrate_args, from_version, 8)
FK_LAYOUT_OFFSET(fk_migrate_args, to_version, 24)
FK_LAYOUT_OFFSET(fk_migrate_args, tenant, 40)
FK_LAYOUT_OFFSET(fk_migrate_args, txn, 48)

/* fk_request_args */
FK_LAYOUT_SIZE(fk_request_args, 40)
FK_LAYOUT_OFFSET(fk_request_args, struct_size, 0)
FK_LAYOUT_OFFSET(fk_request_args, reserved0, 4)
FK_LAYOUT_OFFSET(fk_request_args, request, 8)
FK_LAYOUT_OFFSET(fk_request_args, response, 16)
FK_LAYOUT_OFFSET(fk_request_args, tenant, 24)
FK_LAYOUT_OFFSET(fk_request_args, txn, 32)

/* fk_event_args */
FK_LAYOUT_SIZE(fk_event_args, 32)
FK_LAYOUT_OFFSET(fk_event_args, struct_size, 0)
FK_LAYOUT_OFFSET(fk_event_args, reserved0, 4)
FK_LAYOUT_OFFSET(fk_event_args, event, 8)
FK_LAYOUT_OFFSET(fk_event_args, tenant, 16)
FK_LAYOUT_OFFSET(fk_event_args, txn, 24)

/* fk_call_args */
FK_LAYOUT_SIZE(fk_call_args, 80)
FK_LAYOUT_OFFSET(fk_call_args, struct_size, 0)
FK_LAYOUT_OFFSET(fk_call_args, reserved0, 4)
FK_LAYOUT_OFFSET(fk_call_args, caller, 8)
FK_LAYOUT_OFFSET(fk_call_args, method, 24)
FK_LAYOUT_OFFSET(fk_call_args, request_json, 40)
FK_LAYOUT_OFFSET(fk_call_args, tenant, 56)
FK_LAYOUT_OFFSET(fk_call_args, txn, 64)
FK_LAYOUT_OFFSET(fk_call_args, reply, 72)

/* fk_measure_args (ABI 1.2) */
FK_LAYOUT_SIZE(fk_measure_args, 56)
FK_LAYOUT_OFFSET(fk_measure_args, struct_size, 0)
FK_LAYOUT_OFFSET(fk_measure_args, method, 4)
FK_LAYOUT_OFFSET(fk_measure_args, route, 8)
FK_LAYOUT_OFFSET(fk_measure_args, request, 24)
FK_LAYOUT_OFFSET(fk_measure_args, tenant, 32)
FK_LAYOUT_OFFSET(fk_measure_args, sink, 40)
FK_LAYOUT_OFFSET(fk_measure_args, add_amount, 48)

/* fk_plugin_callbacks (ABI 1.2 appended measure_request: 56 -> 64) */
FK_LAYOUT_SIZE(fk_plugin_callbacks, 64)
FK_LAYOUT_OFFSET(fk_plugin_callbacks, struct_size, 0)
FK_LAYOUT_OFFSET(fk_plugin_callbacks, reserved0, 4)
FK_LAYOUT_OFFSET(fk_plugin_callbacks, init, 8)
FK_LAYOUT_OFFSET(fk_plugin_callbacks, migrate, 16)
FK_LAYOUT_OFFSET(fk_plugin_callbacks, shutdown, 24)
FK_LAYOUT_OFFSET(fk_plugin_callbacks, handle_request, 32)
FK_LAYOUT_OFFSET(fk_plugin_callbacks, handle_event, 40)
FK_LAYOUT_OFFSET(fk_plugin_callbacks, handle_call, 48)
FK_LAYOUT_OFFSET(fk_plugin_callbacks, measure_request, 56)

/* fk_plugin_info */
FK_LAYOUT_SIZE(fk_plugin_info, 64)
FK_LAYOUT_OFFSET(fk_plugin_info, struct_size, 0)
FK_LAYOUT_OFFSET(fk_plugin_info, magic, 4)
FK_LAYOUT_OFFSET(fk_plugin_info, abi_major, 8)
FK_LAYOUT_OFFSET(fk_plugin_info, abi_minor, 12)
FK_LAYOUT_OFFSET(fk_plugin_info, pointer_size, 16)
FK_LAYOUT_OFFSET(fk_plugin_info, sdk_version, 20)
FK_LAYOUT_OFFSET(fk_plugin_info, name, 24)
FK_LAYOUT_OFFSET(fk_plugin_info, version, 40)
FK_LAYOUT_OFFSET(fk_plugin_info, callbacks, 56)

/* Constants (append-only; never renumbered). */
FK_LAYOUT_CONST(FK_ABI_MAJOR, 1)
FK_LAYOUT_CONST(FK_PLUGIN_MAGIC, 0x4C504B46u)
FK_LAYOUT_CONST(FK_FALSE, 0)
FK_LAYOUT_CONST(FK_TRUE, 1)
FK_LAYOUT_CONST(FK_OK, 0)
FK_LAYOUT_CONST(FK_ERR_INVALID_ARGUMENT, 1)
FK_LAYOUT_CONST(FK_ERR_NOT_FOUND, 2)
FK_LAYOUT_CONST(FK_ERR_PERMISSION_DENIED, 3)
FK_LAYOUT_CONST(FK_ERR_CONFLICT, 4)
FK_LAYOUT_CONST(FK_ERR_UNAVAILABLE, 5)
FK_LAYOUT_CONST(FK_ERR_INTERNAL, 6)
FK_LAYOUT_CONST(FK_ERR_UNSUPPORTED, 7)
FK_LAYOUT_CONST(FK_ERR_BUFFER_TOO_SMALL, 8)
FK_LAYOUT_CONST(FK_ERR_DB, 9)
FK_LAYOUT_CONST(FK_ERR_VALIDATION, 10)
FK_LAYOUT_CONST(FK_ERR_ABI_MISMATCH, 11)
FK_LAYOUT_CONST(FK_ERR_TIMEOUT, 12)
FK_LAYOUT_CONST(FK_METHOD_UNKNOWN, 0)
FK_LAYOUT_CONST(FK_METHOD_GET, 1)
FK_LAYOUT_CONST(FK_METHOD_POST, 2)
FK_LAYOUT_CONST(FK_METHOD_PUT, 3)
FK_LAYOUT_CONST(FK_METHOD_PATCH, 4)
FK_LAYOUT_CONST(FK_METHOD_DELETE, 5)
FK_LAYOUT_CONST(FK_METHOD_HEAD, 6)
FK_LAYOUT_CONST(FK_METHOD_OPTIONS, 7)
FK_LAYOUT_CONST(FK_LOG_DEBUG, 1)
FK_LAYOUT_CONST(FK_LOG_INFO, 2)
FK_LAYOUT_CONST(FK_LOG_WARN, 3)
FK_LAYOUT_CONST(FK_LOG_ERROR, 4)
FK_LAYOUT_CONST(FK_AUDIT_SUCCESS, 1)
FK_LAYOUT_CONST(FK_AUDIT_FAILURE, 2)
FK_LAYOUT_CONST(FK_AUDIT_DENIED, 3)
/* clang-format on */
