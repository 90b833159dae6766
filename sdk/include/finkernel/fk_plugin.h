/*
 * finkernel/fk_plugin.h -- the FinKernel plugin ABI, major version 1.
 *
 * This header IS the binary contract between the FinKernel kernel (the host)
 * and a plugin (a shared object). It is plain C (C99 and C++ compatible),
 * includes only <stdint.h> and <stddef.h>, and every name starts with fk_ or
 * FK_. Nothing of C++ crosses it: no classes, exceptions, RTTI, std::string
 * or allocator ownership. The header-only C++ wrapper
 * <finkernel/fk_plugin.hpp> is built on top of it and is optional.
 *
 * Read it as the partner's manual, top to bottom:
 *
 *   1. Versions and rules ........ what may change between releases
 *   2. Basic types ............... fk_str, fk_bytes, fk_status, fk_error
 *   3. Handles ................... opaque, borrowed host objects
 *   4. Host tables ............... what the kernel offers (log, http, db, ...)
 *   5. Plugin callbacks .......... what the plugin offers
 *   6. Plugin info and entry ..... the one exported symbol
 *   7. Helpers ................... FK_HOST_HAS, fk_abi_check, ...
 *
 * ---------------------------------------------------------------------------
 * MEMORY RULES (apply to every type and function below unless it says otherwise)
 *
 *  M1 Whoever allocates frees. The host never frees plugin memory and the
 *     plugin never frees host memory with its own allocator. Host objects a
 *     plugin owns (fk_result) are released by the host function named for it.
 *  M2 Inputs are borrowed for the duration of the call only. The host copies
 *     whatever it keeps (SQL text, parameters, response bodies, log lines);
 *     the plugin may free or reuse its buffers as soon as the call returns.
 *  M3 Strings the host returns (fk_str out-parameters) point into host-owned
 *     memory. Each function states how long they stay valid; the default is
 *     "until the callback that received the handle returns". Copy to keep.
 *  M4 fk_error text is host-owned and valid until the same thread makes its
 *     next call on the same handle, or the handle's lifetime ends.
 *  M5 Handles (fk_request, fk_response, fk_tenant_ctx, fk_txn) are borrowed
 *     for one callback invocation: never store them, never use them after
 *     the callback returns, never use them from another thread.
 *  M6 fk_str is NOT NUL-terminated. {NULL, 0} is "absent" (SQL NULL for
 *     database parameters and values); {"", 0} is the empty string.
 *
 * THREADING RULES
 *
 *  T1 init, migrate and shutdown are called once per load (migrate once per
 *     tenant that needs it), serialized: never concurrently with each other
 *     or with any handler of the same plugin.
 *  T2 handle_request, handle_event, handle_call and (ABI 1.2) measure_request
 *     run concurrently on the kernel's worker threads, between init returning
 *     FK_OK and shutdown being called. Plugin state shared between them
 *     needs the plugin's own synchronization.
 *  T3 Every host function is thread-safe. Functions taking only the
 *     fk_plugin handle (log, config with a NULL tenant, crypto random/sha256)
 *     may also be called from threads the plugin created, between init and
 *     the return of shutdown.
 *  T4 A plugin that starts threads joins them before shutdown returns. The
 *     host unloads the shared object right after shutdown returns.
 *  T5 Callbacks must not block indefinitely: the kernel enforces request and
 *     statement timeouts and a blocked worker thread is a stalled request.
 * ---------------------------------------------------------------------------
 */
#ifndef FINKERNEL_FK_PLUGIN_H
#define FINKERNEL_FK_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

/* ===========================================================================
 * 1. Versions and rules
 * ===========================================================================
 *
 * The ABI has a MAJOR and a MINOR version.
 *
 *   MAJOR  changes only for a break (never expected). A host loads only
 *          plugins built for its own major; the entry symbol carries the
 *          major in its name (fk_plugin_entry_v1), so a future major-2 host
 *          can still look for v1 plugins and a plugin may export both.
 *   MINOR  grows when something is ADDED: a function appended at the end of
 *          a host table, a field appended at the end of a struct, a new
 *          status code, enum value or callback. A plugin declares the lowest
 *          minor it needs (fk_plugin_info.abi_minor); a host with a lower
 *          minor refuses it with a message naming both versions.
 *
 * Within a major, released versions NEVER: remove, reorder, rename-in-binary
 * or retype a field or function pointer; renumber a constant; shrink a
 * struct; change the meaning of an existing status code or argument.
 * Deprecated functions keep working (or return FK_ERR_UNSUPPORTED).
 *
 * STRUCT LAYOUT RULES (what keeps every struct padding-free)
 *
 *  L1 Every versioned struct starts with `uint32_t struct_size` (= sizeof the
 *     struct as its WRITER compiled it), followed by a uint32_t (a field or
 *     `reserved0`), so that what follows is 8-byte aligned on LP64.
 *  L2 Fields are only uint32_t (always in pairs), int64_t/uint64_t, size_t,
 *     pointers, function pointers, and fk_str/fk_bytes (two words). With
 *     these rules there is no implicit padding on LP64 or ILP32; the SDK's
 *     tests compile this header with -Wpadded -Werror to prove it.
 *  L3 New fields and functions are appended at the end only, in the same
 *     units (a pair of uint32_t, or one 8-byte member).
 *  L4 reservedN fields are written as 0 and ignored by readers.
 *  L5 A reader uses a member only if it lies entirely within the writer's
 *     struct_size (FK_HOST_HAS / FK_HAS_FIELD); missing members mean "not
 *     available" (host tables) or "zero/NULL" (plugin-provided structs).
 *     Small structs without struct_size (fk_str, fk_bytes, fk_log_field)
 *     are frozen forever.
 *
 * ENUMERATIONS (status codes, methods, log levels...) are uint32_t values
 * with #define'd unsigned constants, never C enum types, and every reader
 * must tolerate values it does not know (the fallback is documented for each).
 */

/** ABI major version this header describes. */
#define FK_ABI_MAJOR 1
/** ABI minor version this header describes (the newest minor it knows).
 *  History (each minor only appends):
 *    1.0  the initial ABI.
 *    1.1  events carry the full envelope: fk_event_spec and
 *         fk_events_api.publish_event; fk_event gains aggregate_type,
 *         aggregate_id, correlation_id, causation_id and version.
 *    1.2  a plugin can say how much money a request moves, before it runs:
 *         fk_plugin_callbacks.measure_request and fk_measure_args (the
 *         kernel's maker-checker thresholds per currency, docs/security.md). */
#define FK_ABI_MINOR 2

/** SDK release (headers, C++ wrapper, CMake package). Patch releases never
 *  change the ABI. */
#define FK_SDK_VERSION_MAJOR 1
#define FK_SDK_VERSION_MINOR 2
#define FK_SDK_VERSION_PATCH 0
#define FK_SDK_VERSION_STRING "1.2.0"
/** The SDK release packed as 0x00MMmmpp, recorded in fk_plugin_info. */
#define FK_SDK_VERSION_NUM                           \
  ((FK_CAST(uint32_t, FK_SDK_VERSION_MAJOR) << 16) | \
   (FK_CAST(uint32_t, FK_SDK_VERSION_MINOR) << 8) | FK_CAST(uint32_t, FK_SDK_VERSION_PATCH))

/** fk_plugin_info.magic: the bytes "FKPL" read as a little-endian uint32_t. */
#define FK_PLUGIN_MAGIC 0x4C504B46u

/** The one symbol a plugin exports, as a string for dlsym()/Boost.DLL. */
#define FK_PLUGIN_ENTRY_SYMBOL "fk_plugin_entry_v1"

/** Maximum lengths the kernel accepts for the plugin name and version. */
#define FK_PLUGIN_NAME_MAX 64u
#define FK_PLUGIN_VERSION_MAX 64u

/* Linkage, null and casts that are clean under strict C and C++ warnings
 * (-Wold-style-cast, -Wzero-as-null-pointer-constant). */
#ifdef __cplusplus
#define FK_EXTERN_C extern "C"
#define FK_NULL nullptr
#define FK_CAST(type, value) (static_cast<type>(value))
#define FK_PTR_CAST(type, value) (reinterpret_cast<type>(value))
#else
#define FK_EXTERN_C
#define FK_NULL ((void*)0)
#define FK_CAST(type, value) ((type)(value))
#define FK_PTR_CAST(type, value) ((type)(value))
#endif

#if defined(_WIN32) || defined(__CYGWIN__)
#define FK_PLUGIN_EXPORT __declspec(dllexport)
#elif defined(__GNUC__) || defined(__clang__)
#define FK_PLUGIN_EXPORT __attribute__((visibility("default")))
#else
#define FK_PLUGIN_EXPORT
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ===========================================================================
 * 2. Basic types
 * =========================================================================== */

/** A string: pointer + length, UTF-8, NOT NUL-terminated (rule M6).
 *  Ownership: stated by the function that produces or takes it.
 *  Layout frozen: 16 bytes on LP64. */
typedef struct fk_str {
  const char* data; /**< first byte, or NULL for "absent" */
  size_t len;       /**< number of bytes */
} fk_str;

/** Binary data: pointer + length. Ownership as for fk_str. Layout frozen. */
typedef struct fk_bytes {
  const uint8_t* data; /**< first byte, or NULL when len == 0 */
  size_t len;          /**< number of bytes */
} fk_bytes;

/** A boolean transported as uint32_t: 0 is false, anything else is true. */
typedef uint32_t fk_bool;
#define FK_FALSE 0u
#define FK_TRUE 1u

/** Result of every host call and of most plugin callbacks: FK_OK or one of
 *  the FK_ERR_* constants below. A value a reader does not know is a
 *  failure to be treated like FK_ERR_INTERNAL. */
typedef uint32_t fk_status;

/** Status codes (values of fk_status). The HTTP status the kernel answers
 *  when a request handler returns the code without having written an error
 *  response itself is given in brackets. Constants are unsigned literals,
 *  not a C enum (an enum's size is the compiler's choice, and C++ warns
 *  when enums and uint32_t mix). Append only; never renumber. */
/* clang-format off */
#define FK_OK 0u                    /**< success [2xx as set by the handler] */
#define FK_ERR_INVALID_ARGUMENT 1u  /**< malformed argument or input [400 INVALID_ARGUMENT] */
#define FK_ERR_NOT_FOUND 2u         /**< no such row, key, header, route... [404 NOT_FOUND] */
#define FK_ERR_PERMISSION_DENIED 3u /**< RBAC, manifest, refused SQL, RLS [403 FORBIDDEN] */
#define FK_ERR_CONFLICT 4u          /**< state conflict, e.g. duplicate key [409 CONFLICT] */
#define FK_ERR_UNAVAILABLE 5u       /**< transient: retry later [503 UNAVAILABLE] */
#define FK_ERR_INTERNAL 6u          /**< bug or unexpected failure [500 INTERNAL_ERROR] */
#define FK_ERR_UNSUPPORTED 7u       /**< not implemented by this host/plugin [501 NOT_IMPLEMENTED] */
#define FK_ERR_BUFFER_TOO_SMALL 8u  /**< caller's buffer too small; size needed reported [500] */
#define FK_ERR_DB 9u                /**< database error; SQLSTATE in fk_error.subcode [500] */
#define FK_ERR_VALIDATION 10u       /**< well-formed but invalid input [422 VALIDATION_FAILED] */
#define FK_ERR_ABI_MISMATCH 11u     /**< plugin/host ABI versions incompatible [500] */
#define FK_ERR_TIMEOUT 12u          /**< deadline or statement timeout hit [503 TIMEOUT] */
/* Next status value: 13. */
/* clang-format on */

/** Details of a failed host call. Caller-allocated (usually on the stack),
 *  initialised with FK_ERROR_INIT; the host fills it when a call that takes
 *  an `fk_error* err` fails. `err` may be NULL when details are not wanted.
 *  The host writes only members that fit in err->struct_size (rule L5).
 *  Ownership: the struct is the caller's; message and subcode point into
 *  host-owned memory valid per rule M4. On success the host leaves it
 *  untouched. */
typedef struct fk_error {
  uint32_t struct_size; /**< caller sets sizeof(fk_error) */
  fk_status code;       /**< same value the call returned */
  fk_str message;       /**< English, for logs; never secrets. Not for end users as-is. */
  fk_str subcode;       /**< machine-readable: SQLSTATE for FK_ERR_DB ("23505"),
                             otherwise an UPPER_SNAKE reason or empty */
} fk_error;

/** Initialiser for an fk_error: `fk_error err = FK_ERROR_INIT;` */
/* clang-format off */
#define FK_ERROR_INIT {FK_CAST(uint32_t, sizeof(fk_error)), 0u, {FK_NULL, 0u}, {FK_NULL, 0u}}
/* clang-format on */

/** HTTP methods (uint32_t). Unknown values: treat as "not handled" (405). */
#define FK_METHOD_UNKNOWN 0u
#define FK_METHOD_GET 1u
#define FK_METHOD_POST 2u
#define FK_METHOD_PUT 3u
#define FK_METHOD_PATCH 4u
#define FK_METHOD_DELETE 5u
#define FK_METHOD_HEAD 6u
#define FK_METHOD_OPTIONS 7u

/** Log levels (uint32_t). The host logs unknown levels as FK_LOG_INFO. */
#define FK_LOG_DEBUG 1u
#define FK_LOG_INFO 2u
#define FK_LOG_WARN 3u
#define FK_LOG_ERROR 4u

/** Audit outcomes (uint32_t). The host records unknown values as FAILURE. */
#define FK_AUDIT_SUCCESS 1u
#define FK_AUDIT_FAILURE 2u
#define FK_AUDIT_DENIED 3u

/* ===========================================================================
 * 3. Handles
 * ===========================================================================
 * Opaque host objects. A plugin only ever holds pointers to them and passes
 * them back to host functions. Lifetimes:
 *
 *   fk_plugin      this plugin as loaded by the host. Valid from init until
 *                  shutdown returns; may be used from any thread (rule T3).
 *   fk_request     the HTTP request being handled (read-only). One callback.
 *   fk_response    the response being built. One callback.
 *   fk_tenant_ctx  tenant, principal and request id of the current call;
 *                  the source of authorization answers. One callback.
 *   fk_txn         the tenant-scoped database transaction of the current
 *                  call (the only way to the database). One callback.
 *   fk_result      a query result. Owned by the plugin from db.exec until
 *                  db.result_free; never beyond the callback (the host
 *                  frees leftovers then, and logs a leak warning).
 */
typedef struct fk_plugin fk_plugin;
typedef struct fk_request fk_request;
typedef struct fk_response fk_response;
typedef struct fk_tenant_ctx fk_tenant_ctx;
typedef struct fk_txn fk_txn;
typedef struct fk_result fk_result;

/* ===========================================================================
 * 4. Host tables
 * ===========================================================================
 * The host passes one fk_host_api (section 4.10) to init. It and every
 * sub-table are host-owned, immutable and valid until shutdown returns.
 * Each starts with struct_size and only grows at the end: before calling a
 * function added after ABI 1.0, test it with FK_HOST_HAS(table, member).
 * Every function returns fk_status; out-parameters are written only on
 * FK_OK unless stated. A NULL required pointer argument yields
 * FK_ERR_INVALID_ARGUMENT.
 */

/* ---- 4.1 Log --------------------------------------------------------------
 * Structured logging into the kernel's JSON-lines log. The host adds time,
 * plugin name and, when a tenant context is given, requestId and tenantId.
 */

/** One key/value log field. Borrowed for the call. Layout frozen. */
typedef struct fk_log_field {
  fk_str key;   /**< lowerCamelCase, [A-Za-z0-9_.] */
  fk_str value; /**< any UTF-8 text; the host escapes it */
} fk_log_field;

typedef struct fk_log_api {
  uint32_t struct_size;
  uint32_t reserved0;

  /** Writes one log line.
   *  self: this plugin. ctx: the current call's context or NULL.
   *  level: one of FK_LOG_*. message, fields[0..field_count): borrowed (M2).
   *  Never blocks on I/O for long; may drop lines under overload. */
  fk_status (*write)(fk_plugin* self, const fk_tenant_ctx* ctx, uint32_t level, fk_str message,
                     const fk_log_field* fields, size_t field_count);

  /** Sets *out_enabled to whether `level` would be written, so a plugin can
   *  skip building expensive messages. */
  fk_status (*enabled)(fk_plugin* self, uint32_t level, fk_bool* out_enabled);
} fk_log_api;

/* ---- 4.2 HTTP: the request and the response -------------------------------
 * Reading the request: every fk_str written stays valid until the request
 * callback returns (the request is immutable during the call).
 * Building the response: every input is copied by the host (M2); the
 * response is sent after the callback returns. The default response is
 * 200 with an empty JSON object as data.
 *
 * Commit rule: the kernel commits the request's transaction only if
 * handle_request returned FK_OK AND the response status is below 400;
 * otherwise it rolls back (audit records and published events included).
 */
typedef struct fk_http_api {
  uint32_t struct_size;
  uint32_t reserved0;

  /** *out_method = the request method (FK_METHOD_*). */
  fk_status (*request_method)(const fk_request* req, uint32_t* out_method);

  /** Decoded request path without the query string, e.g. "/v1/hello/greetings/42". */
  fk_status (*request_path)(const fk_request* req, fk_str* out_path);

  /** The manifest route template that matched, e.g. "/v1/hello/greetings/{id}".
   *  Dispatch on this rather than on the raw path. */
  fk_status (*request_route)(const fk_request* req, fk_str* out_route);

  /** Value of path parameter `name` ("id" for "{id}"), decoded.
   *  FK_ERR_NOT_FOUND if the route has no such parameter. */
  fk_status (*request_path_param)(const fk_request* req, fk_str name, fk_str* out_value);

  /** First value of query parameter `name`, percent-decoded.
   *  FK_ERR_NOT_FOUND if absent. */
  fk_status (*request_query_param)(const fk_request* req, fk_str name, fk_str* out_value);

  /** Value of header `name` (case-insensitive). FK_ERR_NOT_FOUND if absent.
   *  Credentials (Authorization, Cookie, X-Api-Key) are never visible to
   *  plugins and always answer FK_ERR_NOT_FOUND. */
  fk_status (*request_header)(const fk_request* req, fk_str name, fk_str* out_value);

  /** The request body (may be empty). Already size-limited by the kernel. */
  fk_status (*request_body)(const fk_request* req, fk_str* out_body);

  /** Sets the HTTP status (100..599, default 200). FK_ERR_INVALID_ARGUMENT
   *  otherwise. */
  fk_status (*response_set_status)(fk_response* resp, uint32_t http_status);

  /** Adds a response header. FK_ERR_INVALID_ARGUMENT for a name that is not
   *  an HTTP token or a value containing CR, LF or NUL; FK_ERR_PERMISSION_DENIED
   *  for headers the kernel owns (Content-Length, Content-Type,
   *  Transfer-Encoding, Connection, Set-Cookie, X-Request-Id, Strict-*,
   *  Access-Control-*). */
  fk_status (*response_set_header)(fk_response* resp, fk_str name, fk_str value);

  /** Sets (replaces) the response data: `json` must be one valid JSON value;
   *  the kernel sends it as {"data": <json>, "meta": {...}} with
   *  Content-Type application/json. FK_ERR_INVALID_ARGUMENT if not JSON. */
  fk_status (*response_write_json)(fk_response* resp, fk_str json);

  /** Sets (replaces) a raw body sent without the envelope (downloads, CSV).
   *  content_type e.g. "text/csv; charset=utf-8". */
  fk_status (*response_write_body)(fk_response* resp, fk_str content_type, fk_bytes body);

  /** Makes the response an error: status 400..599, the kernel's error
   *  envelope {"error": {code, message, details}, "meta": {...}}.
   *  code: UPPER_SNAKE machine code ("GREETING_TOO_LONG"); message: safe to
   *  show to the API client (no internals); details_json: a JSON object, or
   *  {NULL,0} for none. For 5xx the kernel replaces message with a generic
   *  one and logs the plugin's text instead. */
  fk_status (*response_set_error)(fk_response* resp, uint32_t http_status, fk_str code,
                                  fk_str message, fk_str details_json);
} fk_http_api;

/* ---- 4.3 Database ---------------------------------------------------------
 * The plugin never sees a connection, only the current call's transaction:
 * a pooled connection logged in as the runtime role (not superuser, not
 * BYPASSRLS, owns nothing) with fk.tenant_id set transaction-locally, so
 * row-level security confines every statement to the current tenant.
 *
 * Statements are parameterized: placeholders $1..$n, values passed as text
 * (PostgreSQL's text input format; cast in SQL: `$1::uuid`, `$2::numeric`).
 * The session uses DateStyle=ISO, TimeZone=UTC, IntervalStyle=iso_8601, so
 * text results are stable. Money is exact: use numeric or integer minor
 * units and read them as text; never floating point.
 *
 * The kernel refuses with FK_ERR_PERMISSION_DENIED, before executing:
 * more than one statement per call; transaction control (BEGIN, COMMIT,
 * ROLLBACK, SAVEPOINT, RELEASE, PREPARE TRANSACTION...); anything changing
 * roles or session state (SET, RESET, SET ROLE, SET SESSION AUTHORIZATION,
 * set_config(), DISCARD, LOAD, LISTEN/NOTIFY); DDL (CREATE, ALTER, DROP,
 * TRUNCATE: schema changes belong in migrations); GRANT/REVOKE; COPY; DO.
 * The database refuses the rest of what the runtime role may not do.
 *
 * Any failed statement aborts the transaction: further exec calls in the
 * same callback answer FK_ERR_DB (SQLSTATE 25P02) and the kernel rolls back.
 */
typedef struct fk_db_api {
  uint32_t struct_size;
  uint32_t reserved0;

  /** Executes one parameterized statement in `txn`.
   *  sql, params[0..param_count): borrowed (M2); params[i].data == NULL
   *  passes SQL NULL. out_result: may be NULL if no result is wanted;
   *  otherwise on FK_OK *out_result is a result the plugin owns and must
   *  release with result_free (on failure it is set to NULL).
   *  Errors: FK_ERR_DB (subcode = SQLSTATE), FK_ERR_CONFLICT (unique or
   *  exclusion violation, subcode 23505/23P01), FK_ERR_PERMISSION_DENIED
   *  (refused statement or RLS WITH CHECK violation), FK_ERR_TIMEOUT
   *  (statement_timeout), FK_ERR_UNAVAILABLE (connection lost). */
  fk_status (*exec)(fk_txn* txn, fk_str sql, const fk_str* params, size_t param_count,
                    fk_result** out_result, fk_error* err);

  /** Releases a result from exec. NULL is allowed (no-op). The result and
   *  every fk_str read from it are invalid afterwards. */
  fk_status (*result_free)(fk_result* result);

  /** Number of rows returned. */
  fk_status (*result_row_count)(const fk_result* result, uint64_t* out_rows);

  /** Number of columns returned. */
  fk_status (*result_column_count)(const fk_result* result, uint32_t* out_columns);

  /** Name of column `column` (0-based). Valid until result_free.
   *  FK_ERR_INVALID_ARGUMENT if out of range. */
  fk_status (*result_column_name)(const fk_result* result, uint32_t column, fk_str* out_name);

  /** Value at (row, column), 0-based, in PostgreSQL text format; SQL NULL
   *  is {NULL, 0}. Valid until result_free. FK_ERR_INVALID_ARGUMENT if out
   *  of range. */
  fk_status (*result_value)(const fk_result* result, uint64_t row, uint32_t column,
                            fk_str* out_value);

  /** Rows inserted/updated/deleted by the statement (0 for SELECT). */
  fk_status (*result_affected_rows)(const fk_result* result, uint64_t* out_rows);
} fk_db_api;

/* ---- 4.4 Crypto -----------------------------------------------------------
 * Per-tenant encryption without ever handing keys to the plugin. Ciphertexts
 * are bound to tenant + plugin + purpose (AEAD associated data), so they
 * cannot be moved between tenants or purposes; deleting a tenant destroys
 * its keys (crypto-shredding). Output buffers are the caller's: on
 * FK_ERR_BUFFER_TOO_SMALL, *out_len is the exact size needed; call again.
 */
typedef struct fk_crypto_api {
  uint32_t struct_size;
  uint32_t reserved0;

  /** Fills out[0..len) from the kernel's CSPRNG. len <= 65536. */
  fk_status (*random_bytes)(fk_plugin* self, uint8_t* out, size_t len);

  /** SHA-256 of data into out_digest[0..32). */
  fk_status (*sha256)(fk_plugin* self, fk_bytes data, uint8_t* out_digest);

  /** Encrypts plaintext under the current tenant's data key.
   *  purpose: short stable label, e.g. "hello.note"; the same purpose is
   *  needed to decrypt. Writes the self-describing ciphertext (key version,
   *  nonce, tag included) to out[0..*out_len). */
  fk_status (*encrypt)(const fk_tenant_ctx* ctx, fk_str purpose, fk_bytes plaintext, uint8_t* out,
                       size_t out_cap, size_t* out_len, fk_error* err);

  /** Decrypts what encrypt produced for the same tenant and purpose.
   *  FK_ERR_VALIDATION if the ciphertext is not authentic (tampered,
   *  another tenant's, another purpose's). */
  fk_status (*decrypt)(const fk_tenant_ctx* ctx, fk_str purpose, fk_bytes ciphertext, uint8_t* out,
                       size_t out_cap, size_t* out_len, fk_error* err);

  /** HMAC-SHA-256 of data with a key derived from the tenant's key and
   *  purpose (blind indexes for searching encrypted columns), into
   *  out_mac[0..32). */
  fk_status (*hmac_sha256)(const fk_tenant_ctx* ctx, fk_str purpose, fk_bytes data,
                           uint8_t* out_mac, fk_error* err);
} fk_crypto_api;

/* ---- 4.5 Audit ------------------------------------------------------------
 * Tamper-evident, append-only, hash-chained per tenant. Every business
 * change a plugin makes needs its audit record, written in the same
 * transaction (it disappears with a rollback, and so does the change).
 */

/** One audit record. Plugin-allocated, borrowed for the call (M2); the
 *  host reads only members within struct_size. The host adds tenant,
 *  principal, request id, plugin name, time and the chain hash. */
typedef struct fk_audit_entry {
  uint32_t struct_size; /**< sizeof(fk_audit_entry) */
  uint32_t outcome;     /**< FK_AUDIT_SUCCESS, _FAILURE or _DENIED */
  fk_str action;        /**< "<plugin>.<noun>.<verb>", e.g. "hello.greeting.create" */
  fk_str resource_type; /**< e.g. "greeting" */
  fk_str resource_id;   /**< e.g. the row's id; may be empty */
  fk_str details_json;  /**< JSON object or {NULL,0}; no secrets, no card data */
} fk_audit_entry;

typedef struct fk_audit_api {
  uint32_t struct_size;
  uint32_t reserved0;

  /** Appends an audit record in `txn`. FK_ERR_INVALID_ARGUMENT if the
   *  action is not in the plugin's namespace or details are not a JSON object. */
  fk_status (*record)(fk_txn* txn, const fk_audit_entry* entry, fk_error* err);
} fk_audit_api;

/* ---- 4.6 Events -----------------------------------------------------------
 * Transactional outbox: an event published in a transaction is delivered
 * only if that transaction commits, at least once, to every plugin that
 * subscribes to its type, in the same tenant. Handlers must be idempotent
 * (deduplicate on fk_event.id; the C++ wrapper's fk::sdk::first_delivery
 * does it with one INSERT into a table of the plugin).
 *
 * Order: events of the same aggregate (aggregate_type + aggregate_id,
 * ABI 1.1) reach each subscriber in publication order; a later event waits
 * while an earlier one is being retried, until that one is delivered or
 * dead-lettered. Events without an aggregate_id have no order.
 * Retries: a handler returning non-FK_OK (its transaction is rolled back)
 * is retried with exponential backoff; after the kernel's maximum number of
 * attempts the delivery becomes a dead letter that a platform administrator
 * can inspect and replay.
 */

/** An event delivered to handle_event. Host-owned, valid until the callback
 *  returns. Read members only within struct_size. */
typedef struct fk_event {
  uint32_t struct_size;   /**< host's sizeof(fk_event) */
  uint32_t attempt;       /**< 1 on first delivery, 2.. on redelivery */
  fk_str id;              /**< UUID, stable across redeliveries */
  fk_str type;            /**< e.g. "hello.greeting.created" */
  fk_str source;          /**< publishing plugin's name, or "kernel" */
  fk_str payload_json;    /**< the JSON object published */
  int64_t occurred_at_ms; /**< publication time, Unix epoch milliseconds UTC */
  /* ABI 1.1: the rest of the envelope. A 1.1 host writes these; read them
   * only within struct_size (a 1.0 host's fk_event ends above). */
  fk_str aggregate_type; /**< ABI 1.1: e.g. "greeting"; empty if none was given */
  fk_str aggregate_id;   /**< ABI 1.1: the entity the event is about; empty = unordered */
  fk_str correlation_id; /**< ABI 1.1: the publishing request's id */
  fk_str causation_id;   /**< ABI 1.1: the event that caused this publication, if it was
                          *   published from handle_event; else empty */
  uint32_t version;      /**< ABI 1.1: payload schema version, >= 1 */
  uint32_t reserved1;
} fk_event;

/** ABI 1.1: what publish_event publishes. Plugin-owned, read during the
 *  call only (M2); the host reads members only within struct_size. */
typedef struct fk_event_spec {
  uint32_t struct_size;  /**< sizeof(fk_event_spec) as the plugin built it */
  uint32_t version;      /**< payload schema version, >= 1 (0 is refused) */
  fk_str type;           /**< must be listed under events.publishes in the manifest */
  fk_str aggregate_type; /**< e.g. "greeting"; may be empty */
  fk_str aggregate_id;   /**< the entity; events with the same aggregate are ordered */
  fk_str payload_json;   /**< a JSON object */
} fk_event_spec;

typedef struct fk_events_api {
  uint32_t struct_size;
  uint32_t reserved0;

  /** Publishes an event of `type` (which the manifest must list under
   *  events.publishes, else FK_ERR_PERMISSION_DENIED) with a JSON object
   *  payload (else FK_ERR_INVALID_ARGUMENT), in `txn`. */
  fk_status (*publish)(fk_txn* txn, fk_str type, fk_str payload_json, fk_error* err);

  /** ABI 1.1 (test with FK_HOST_HAS(events, publish_event)): publishes the
   *  full envelope in `txn`. Same rules as publish, which is this call with
   *  empty aggregate_type/aggregate_id and version 1. Version 0, a payload
   *  that is not a JSON object, or an unlisted type are refused as for
   *  publish. The host adds the event id, tenant, principal, correlation id
   *  (the request's id) and causation id (the event being handled, when
   *  called from handle_event). */
  fk_status (*publish_event)(fk_txn* txn, const fk_event_spec* spec, fk_error* err);
} fk_events_api;

/* ---- 4.7 Config -----------------------------------------------------------
 * Values of the keys declared in the manifest's config schema, as JSON
 * text: tenant override, else platform setting, else schema default.
 */
typedef struct fk_config_api {
  uint32_t struct_size;
  uint32_t reserved0;

  /** Copies the JSON value of `key` into buf[0..cap) (not NUL-terminated)
   *  and sets *out_len. ctx: a call's context for the tenant's effective
   *  value, or NULL for the platform value (e.g. during init).
   *  FK_ERR_NOT_FOUND: key not declared in the manifest.
   *  FK_ERR_BUFFER_TOO_SMALL: nothing copied, *out_len = bytes needed. */
  fk_status (*get)(fk_plugin* self, const fk_tenant_ctx* ctx, fk_str key, char* buf, size_t cap,
                   size_t* out_len);
} fk_config_api;

/* ---- 4.8 Authorization and call identity ------------------------------------
 * The kernel has already checked the route's declared permission before
 * handle_request runs; use has_permission for finer, data-dependent checks.
 * Strings written stay valid until the callback that received ctx returns.
 */
typedef struct fk_authz_api {
  uint32_t struct_size;
  uint32_t reserved0;

  /** Current tenant's id: canonical lowercase UUID text. */
  fk_status (*tenant_id)(const fk_tenant_ctx* ctx, fk_str* out_tenant_id);

  /** Who is acting: "user:<uuid>", "apikey:<id>", or "system" for events
   *  and migrations. */
  fk_status (*principal_id)(const fk_tenant_ctx* ctx, fk_str* out_principal);

  /** Request id (the X-Request-Id the client sees; for events, the id of
   *  the request that published the event). */
  fk_status (*request_id)(const fk_tenant_ctx* ctx, fk_str* out_request_id);

  /** *out_granted = whether the principal holds `permission`
   *  ("hello:greetings.write"). */
  fk_status (*has_permission)(const fk_tenant_ctx* ctx, fk_str permission, fk_bool* out_granted);
} fk_authz_api;

/* ---- 4.9 Plugin calls -----------------------------------------------------
 * Synchronous calls to another plugin's handle_call, in the same tenant and
 * the same transaction. The target and method must be listed under `calls`
 * in the caller's manifest and exported by the target's manifest.
 */
typedef struct fk_plugins_api {
  uint32_t struct_size;
  uint32_t reserved0;

  /** Calls `method` of plugin `plugin` with a JSON request. On FK_OK,
   *  *out_reply_json is the JSON the callee wrote (host-owned, valid until
   *  the callback that received txn returns). If the callee fails, its
   *  status is returned and err carries its error code and message. */
  fk_status (*call)(fk_txn* txn, fk_str plugin, fk_str method, fk_str request_json,
                    fk_str* out_reply_json, fk_error* err);
} fk_plugins_api;

/* ---- 4.10 The host table ------------------------------------------------- */

/** Everything the kernel offers, given to init. Host-owned, immutable,
 *  valid until shutdown returns. A sub-table pointer may be NULL when the
 *  service is disabled on this kernel; test with FK_HOST_HAS. */
typedef struct fk_host_api {
  uint32_t struct_size; /**< host's sizeof(fk_host_api) */
  uint32_t abi_major;   /**< FK_ABI_MAJOR of the host */
  uint32_t abi_minor;   /**< FK_ABI_MINOR of the host */
  uint32_t reserved0;
  fk_str host_version; /**< kernel release, e.g. "0.4.0"; static */
  const fk_log_api* log;
  const fk_http_api* http;
  const fk_db_api* db;
  const fk_crypto_api* crypto;
  const fk_audit_api* audit;
  const fk_events_api* events;
  const fk_config_api* config;
  const fk_authz_api* authz;
  const fk_plugins_api* plugins;
  /* ABI 1.1+ appends here. */
} fk_host_api;

/* ===========================================================================
 * 5. Plugin callbacks
 * ===========================================================================
 * Argument structs are host-owned and valid only during the callback; read
 * members only within struct_size. `state` is whatever init stored in
 * *out_state: the plugin allocates it and frees it in shutdown (M1).
 */

/** Arguments of init. */
typedef struct fk_init_args {
  uint32_t struct_size;
  uint32_t reserved0;
  const fk_host_api* host; /**< valid until shutdown returns: keep it */
  fk_plugin* self;         /**< valid until shutdown returns: keep it */
  fk_str plugin_dir;       /**< directory holding the manifest; valid during init */
} fk_init_args;

/** Arguments of migrate: a code migration for one tenant, after the
 *  plugin's SQL migrations were applied, when the tenant's recorded plugin
 *  version differs from the loaded one. */
typedef struct fk_migrate_args {
  uint32_t struct_size;
  uint32_t reserved0;
  fk_str from_version;         /**< version last run for this tenant; empty on first install */
  fk_str to_version;           /**< the loaded plugin's version */
  const fk_tenant_ctx* tenant; /**< principal is "system" */
  fk_txn* txn;                 /**< committed iff migrate returns FK_OK */
} fk_migrate_args;

/** Arguments of handle_request: one HTTP request on one of the plugin's
 *  manifest routes, already authenticated, rate-limited and authorized. */
typedef struct fk_request_args {
  uint32_t struct_size;
  uint32_t reserved0;
  const fk_request* request;
  fk_response* response;
  const fk_tenant_ctx* tenant;
  fk_txn* txn; /**< committed per the commit rule in 4.2 */
} fk_request_args;

/** Arguments of handle_event: one delivery of a subscribed event. */
typedef struct fk_event_args {
  uint32_t struct_size;
  uint32_t reserved0;
  const fk_event* event;
  const fk_tenant_ctx* tenant; /**< the event's tenant; principal "system" */
  fk_txn* txn;                 /**< committed iff handle_event returns FK_OK */
} fk_event_args;

/** Arguments of handle_call: another plugin calling one of this plugin's
 *  exported methods (4.9). Write the reply with http.response_write_json
 *  or http.response_set_error on `reply`. */
typedef struct fk_call_args {
  uint32_t struct_size;
  uint32_t reserved0;
  fk_str caller;       /**< calling plugin's name */
  fk_str method;       /**< method name */
  fk_str request_json; /**< the caller's JSON request */
  const fk_tenant_ctx* tenant;
  fk_txn* txn; /**< the caller's transaction */
  fk_response* reply;
} fk_call_args;

/** Where measure_request reports amounts (ABI 1.2). Opaque, host-owned,
 *  borrowed for one measure_request call (rule M5). */
typedef struct fk_measure_sink fk_measure_sink;

/** Arguments of measure_request (ABI 1.2): "how much money would this
 *  request move?", asked BEFORE the request runs, for one of the plugin's
 *  manifest routes, already authenticated and authorized. The kernel asks
 *  only for routes whose permission has an amount threshold in its
 *  maker-checker policy; the answer decides whether the request runs now or
 *  waits for a second person's approval (docs/security.md).
 *
 *  There is no transaction: measuring reads the request and nothing else
 *  (no database, no side effects). It runs concurrently like
 *  handle_request (rule T2) and under the request's deadline. */
typedef struct fk_measure_args {
  uint32_t struct_size;
  uint32_t method;             /**< FK_METHOD_* of the request */
  fk_str route;                /**< the manifest route template that matched */
  const fk_request* request;   /**< read it with the http table, as in handle_request */
  const fk_tenant_ctx* tenant; /**< the caller: has_permission, config, ... */
  fk_measure_sink* sink;       /**< pass to add_amount */

  /** Reports money the request moves: `currency` an ISO 4217 code of three
   *  upper-case letters ("USD"), `amount` an exact non-negative decimal in
   *  MAJOR units ("25000.00", "10.5", "7"; no sign, exponent or separators;
   *  at most 18 integer and 18 fractional digits). Report gross amounts (for
   *  a ledger entry: the total of its debit lines). Several calls for one
   *  currency add up. Borrowed strings (M2). Returns FK_ERR_INVALID_ARGUMENT
   *  for a malformed pair: the kernel then treats the measure as failed. */
  fk_status (*add_amount)(fk_measure_sink* sink, fk_str currency, fk_str amount);
} fk_measure_args;

/** The plugin's callbacks. Plugin-owned, static, immutable; the host reads
 *  members only within struct_size (an older plugin has fewer). Handlers
 *  must not let exceptions, longjmp or thread cancellation escape. */
typedef struct fk_plugin_callbacks {
  uint32_t struct_size; /**< sizeof(fk_plugin_callbacks) as the plugin built it */
  uint32_t reserved0;

  /** Required. Called once after the ABI check, before anything else.
   *  Stores the plugin's state in *out_state (may be NULL). Non-FK_OK
   *  refuses the load (shutdown is not called; free what you allocated). */
  fk_status (*init)(const fk_init_args* args, void** out_state);

  /** Optional (NULL: nothing to do). See fk_migrate_args. Non-FK_OK rolls
   *  back and keeps the plugin disabled for that tenant. */
  fk_status (*migrate)(void* state, const fk_migrate_args* args);

  /** Required. Called once, after the last handler returned; free the
   *  state and join your threads (T4). */
  void (*shutdown)(void* state);

  /** Required if the manifest declares routes. See the commit rule (4.2). */
  fk_status (*handle_request)(void* state, const fk_request_args* args);

  /** Required if the manifest subscribes to events. Non-FK_OK rolls back
   *  and schedules a redelivery. */
  fk_status (*handle_event)(void* state, const fk_event_args* args);

  /** Optional (NULL: exports no methods). */
  fk_status (*handle_call)(void* state, const fk_call_args* args);

  /* ---- ABI 1.2 ---- */

  /** Optional (NULL, or a table from an older plugin: "cannot measure").
   *  See fk_measure_args. FK_OK: the amounts added are ALL the money the
   *  request moves (none: it moves no money). FK_ERR_UNSUPPORTED: this route
   *  is not measured. Any failure (e.g. a body that does not parse) means
   *  "unknown", and the kernel takes the safe side: the approval rule
   *  applies. A request measured below the thresholds still runs through
   *  handle_request, which must validate it as always. */
  fk_status (*measure_request)(void* state, const fk_measure_args* args);
  /* ABI 1.3+ appends here. */
} fk_plugin_callbacks;

/* ===========================================================================
 * 6. Plugin info and the entry symbol
 * ===========================================================================
 * A plugin exports exactly one symbol, fk_plugin_entry_v1 (use
 * FK_PLUGIN_DEFINE). It returns a pointer to a static, immutable info block.
 * The kernel loads the plugin like this:
 *
 *   1. verify the package signature and read manifest.yaml;
 *   2. dlopen the shared object (RTLD_NOW | RTLD_LOCAL);
 *   3. call fk_plugin_entry_v1() -- it must do nothing but return the block;
 *   4. fk_abi_check(info, FK_ABI_MAJOR, FK_ABI_MINOR, ...), then compare
 *      info->name and info->version with the manifest;
 *   5. apply the manifest's SQL migrations; refuse tables without RLS;
 *   6. init, then migrate per tenant, then serve; shutdown; dlclose.
 *
 * Static constructors in a plugin run at dlopen, before any check: keep
 * them trivial (no threads, no I/O).
 */

/** The info block. Plugin-owned static data, valid while the shared object
 *  is loaded. Layout (LP64): struct_size@0 magic@4 abi_major@8 abi_minor@12
 *  pointer_size@16 sdk_version@20 name@24 version@40 callbacks@56, size 64. */
typedef struct fk_plugin_info {
  uint32_t struct_size;  /**< sizeof(fk_plugin_info) as the plugin built it */
  uint32_t magic;        /**< FK_PLUGIN_MAGIC */
  uint32_t abi_major;    /**< FK_ABI_MAJOR the plugin was built for */
  uint32_t abi_minor;    /**< LOWEST host minor the plugin needs */
  uint32_t pointer_size; /**< sizeof(void*) of the plugin's build */
  uint32_t sdk_version;  /**< FK_SDK_VERSION_NUM of the headers used (informational) */
  fk_str name;           /**< [a-z][a-z0-9_-]*, at most FK_PLUGIN_NAME_MAX; = manifest name */
  fk_str version;        /**< printable ASCII, at most FK_PLUGIN_VERSION_MAX; = manifest version */
  const fk_plugin_callbacks* callbacks; /**< required */
  /* ABI 1.1+ appends here. */
} fk_plugin_info;

/** Type of the entry symbol, for the host's dlsym(). */
typedef const fk_plugin_info* (*fk_plugin_entry_fn)(void);

/** The entry symbol every plugin exports. Pure: no side effects; returns
 *  the same pointer on every call. Define it with FK_PLUGIN_DEFINE. */
FK_PLUGIN_EXPORT const fk_plugin_info* fk_plugin_entry_v1(void);

/** The lowest host ABI minor this plugin needs. Defaults to the minor of
 *  the headers it is compiled with (safe: it may use everything declared
 *  here). A plugin that tests newer functions with FK_HOST_HAS may
 *  #define FK_PLUGIN_REQUIRED_MINOR lower before including this header. */
#ifndef FK_PLUGIN_REQUIRED_MINOR
#define FK_PLUGIN_REQUIRED_MINOR FK_ABI_MINOR
#endif

/** An fk_str initializer from a string LITERAL (compile error otherwise). */
/* clang-format off */
#define FK_STR_LIT(literal) {"" literal "", sizeof("" literal "") - 1u}
/* clang-format on */

/** Defines fk_plugin_entry_v1 at file scope (outside any namespace).
 *    name_literal, version_literal: string literals matching the manifest.
 *    callbacks: address of a static const fk_plugin_callbacks.
 *  Example:
 *    static const fk_plugin_callbacks cbs = {sizeof(fk_plugin_callbacks), 0,
 *        my_init, NULL, my_shutdown, my_request, NULL, NULL, NULL};
 *    FK_PLUGIN_DEFINE("hello", "1.0.0", &cbs)
 */
#define FK_PLUGIN_DEFINE(name_literal, version_literal, callbacks)              \
  FK_EXTERN_C FK_PLUGIN_EXPORT const fk_plugin_info* fk_plugin_entry_v1(void) { \
    static const fk_plugin_info fk_plugin_info_block_ = {                       \
        FK_CAST(uint32_t, sizeof(fk_plugin_info)),                              \
        FK_PLUGIN_MAGIC,                                                        \
        FK_CAST(uint32_t, FK_ABI_MAJOR),                                        \
        FK_CAST(uint32_t, FK_PLUGIN_REQUIRED_MINOR),                            \
        FK_CAST(uint32_t, sizeof(void*)),                                       \
        FK_SDK_VERSION_NUM,                                                     \
        FK_STR_LIT(name_literal),                                               \
        FK_STR_LIT(version_literal),                                            \
        (callbacks)};                                                           \
    return &fk_plugin_info_block_;                                              \
  }

/* ===========================================================================
 * 7. Helpers (static inline: nothing here is exported or linked)
 * =========================================================================== */

/** Bytes from the start of `type` to the end of `member`. A struct whose
 *  struct_size is at least this value has `member`. */
#define FK_SIZE_THROUGH(type, member) \
  (offsetof(type, member) + sizeof(FK_CAST(type*, FK_NULL)->member))

/** Whether *ptr (a versioned struct with struct_size) contains `member`:
 *  ptr non-NULL and the member lies entirely within ptr->struct_size. */
#define FK_HAS_FIELD(ptr, member)                                                     \
  ((ptr) != FK_NULL && FK_CAST(size_t, (ptr)->struct_size) >=                         \
                           FK_CAST(size_t, FK_PTR_CAST(const char*, &(ptr)->member) - \
                                               FK_PTR_CAST(const char*, (ptr))) +     \
                               sizeof((ptr)->member))

/** Whether a host table offers a function or sub-table: the member is
 *  within the host's struct_size AND non-NULL. Use before calling anything
 *  added after the minor your plugin requires:
 *    if (FK_HOST_HAS(host, crypto) && FK_HOST_HAS(host->crypto, hmac_sha256)) ...  */
#define FK_HOST_HAS(table, member) (FK_HAS_FIELD(table, member) && (table)->member != FK_NULL)

/** An fk_str over a NUL-terminated C string (NULL gives {NULL, 0}). */
static inline fk_str fk_str_c(const char* cstr) {
  fk_str s;
  size_t n = 0;
  s.data = cstr;
  if (cstr != FK_NULL) {
    while (cstr[n] != '\0') ++n;
  }
  s.len = n;
  return s;
}

/** Byte-wise equality of two fk_str ({NULL,0} equals {"",0}). */
static inline fk_bool fk_str_eq(fk_str a, fk_str b) {
  size_t i;
  if (a.len != b.len) return FK_FALSE;
  for (i = 0; i < a.len; ++i) {
    if (a.data[i] != b.data[i]) return FK_FALSE;
  }
  return FK_TRUE;
}

/** Stable name of a status ("FK_ERR_NOT_FOUND"); "FK_ERR_UNKNOWN" for values
 *  this header does not know. Static storage. */
static inline const char* fk_status_name(fk_status status) {
  switch (status) {
    case FK_OK:
      return "FK_OK";
    case FK_ERR_INVALID_ARGUMENT:
      return "FK_ERR_INVALID_ARGUMENT";
    case FK_ERR_NOT_FOUND:
      return "FK_ERR_NOT_FOUND";
    case FK_ERR_PERMISSION_DENIED:
      return "FK_ERR_PERMISSION_DENIED";
    case FK_ERR_CONFLICT:
      return "FK_ERR_CONFLICT";
    case FK_ERR_UNAVAILABLE:
      return "FK_ERR_UNAVAILABLE";
    case FK_ERR_INTERNAL:
      return "FK_ERR_INTERNAL";
    case FK_ERR_UNSUPPORTED:
      return "FK_ERR_UNSUPPORTED";
    case FK_ERR_BUFFER_TOO_SMALL:
      return "FK_ERR_BUFFER_TOO_SMALL";
    case FK_ERR_DB:
      return "FK_ERR_DB";
    case FK_ERR_VALIDATION:
      return "FK_ERR_VALIDATION";
    case FK_ERR_ABI_MISMATCH:
      return "FK_ERR_ABI_MISMATCH";
    case FK_ERR_TIMEOUT:
      return "FK_ERR_TIMEOUT";
    default:
      return "FK_ERR_UNKNOWN";
  }
}

/** The HTTP status the kernel answers for a status a request handler
 *  returned without writing an error response (see the FK_ERR_* list). */
static inline uint32_t fk_status_http(fk_status status) {
  switch (status) {
    case FK_OK:
      return 200u;
    case FK_ERR_INVALID_ARGUMENT:
      return 400u;
    case FK_ERR_NOT_FOUND:
      return 404u;
    case FK_ERR_PERMISSION_DENIED:
      return 403u;
    case FK_ERR_CONFLICT:
      return 409u;
    case FK_ERR_UNAVAILABLE:
      return 503u;
    case FK_ERR_UNSUPPORTED:
      return 501u;
    case FK_ERR_VALIDATION:
      return 422u;
    case FK_ERR_TIMEOUT:
      return 503u;
    default:
      return 500u;
  }
}

/* -- fk_abi_check: internals (message building without <stdio.h>) -------- */

/** Appends NUL-terminated text to message (capacity cap) at *pos; always
 *  keeps message NUL-terminated; silently truncates. */
static inline void fk_abi_msg_put(char* message, size_t cap, size_t* pos, const char* text) {
  if (message == FK_NULL || cap == 0u) return;
  while (*text != '\0' && *pos + 1u < cap) message[(*pos)++] = *text++;
  message[*pos] = '\0';
}

/** Appends an fk_str, replacing bytes outside printable ASCII with '?'
 *  and cutting it at 64 bytes (the text comes from an untrusted binary). */
static inline void fk_abi_msg_put_str(char* message, size_t cap, size_t* pos, fk_str s) {
  size_t i;
  char one[2];
  one[1] = '\0';
  if (s.data == FK_NULL) return;
  for (i = 0; i < s.len && i < 64u; ++i) {
    char c = s.data[i];
    one[0] = (c >= 0x20 && c <= 0x7e) ? c : '?';
    fk_abi_msg_put(message, cap, pos, one);
  }
  if (s.len > 64u) fk_abi_msg_put(message, cap, pos, "...");
}

/** Appends a uint32_t in decimal. */
static inline void fk_abi_msg_put_u32(char* message, size_t cap, size_t* pos, uint32_t v) {
  char digits[11];
  size_t n = 0;
  char out[11];
  size_t i;
  do {
    digits[n++] = FK_CAST(char, '0' + FK_CAST(int, v % 10u));
    v /= 10u;
  } while (v != 0u && n < sizeof digits);
  for (i = 0; i < n; ++i) out[i] = digits[n - 1u - i];
  out[n] = '\0';
  fk_abi_msg_put(message, cap, pos, out);
}

/** Appends "plugin 'NAME' VERSION". */
static inline void fk_abi_msg_put_plugin(char* message, size_t cap, size_t* pos,
                                         const fk_plugin_info* info) {
  fk_abi_msg_put(message, cap, pos, "plugin '");
  fk_abi_msg_put_str(message, cap, pos, info->name);
  fk_abi_msg_put(message, cap, pos, "' ");
  fk_abi_msg_put_str(message, cap, pos, info->version);
}

/** Whether name is [a-z][a-z0-9_-]* of 1..FK_PLUGIN_NAME_MAX bytes. */
static inline int fk_abi_name_ok(fk_str name) {
  size_t i;
  if (name.data == FK_NULL || name.len == 0u || name.len > FK_PLUGIN_NAME_MAX) return 0;
  if (name.data[0] < 'a' || name.data[0] > 'z') return 0;
  for (i = 1; i < name.len; ++i) {
    char c = name.data[i];
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) return 0;
  }
  return 1;
}

/** Whether version is 1..FK_PLUGIN_VERSION_MAX printable ASCII bytes. */
static inline int fk_abi_version_ok(fk_str version) {
  size_t i;
  if (version.data == FK_NULL || version.len == 0u || version.len > FK_PLUGIN_VERSION_MAX) {
    return 0;
  }
  for (i = 0; i < version.len; ++i) {
    if (version.data[i] < 0x21 || version.data[i] > 0x7e) return 0;
  }
  return 1;
}

/** The kernel's load-time check of a plugin's info block, shared here so
 *  kernel and plugin authors run the identical algorithm. Checks, in order:
 *
 *   1. info != NULL and info->magic == FK_PLUGIN_MAGIC
 *   2. info->struct_size >= size of the ABI 1.0 info block
 *   3. info->pointer_size == sizeof(void*)
 *   4. info->abi_major == host_major
 *   5. info->abi_minor <= host_minor
 *   6. name and version well-formed (see fk_plugin_info)
 *   7. callbacks non-NULL, callbacks->struct_size >= the ABI 1.0 size,
 *      init and shutdown non-NULL
 *
 *  Returns FK_OK, FK_ERR_ABI_MISMATCH (checks 1-5) or FK_ERR_INVALID_ARGUMENT
 *  (6-7). Writes a one-line English explanation into message[0..cap)
 *  (always NUL-terminated when cap > 0; truncated if needed; NULL allowed),
 *  e.g. "plugin 'hello' 1.2.0 requires plugin ABI 1.5 but this kernel
 *  provides plugin ABI 1.3". Pure: reads info, writes only message. */
static inline fk_status fk_abi_check(const fk_plugin_info* info, uint32_t host_major,
                                     uint32_t host_minor, char* message, size_t message_cap) {
  size_t pos = 0;
  const fk_plugin_callbacks* cb;
  if (message != FK_NULL && message_cap > 0u) message[0] = '\0';

  if (info == FK_NULL || info->magic != FK_PLUGIN_MAGIC) {
    fk_abi_msg_put(message, message_cap, &pos,
                   "not a FinKernel plugin: fk_plugin_entry_v1 returned no valid info block");
    return FK_ERR_ABI_MISMATCH;
  }
  if (info->struct_size < FK_SIZE_THROUGH(fk_plugin_info, callbacks)) {
    fk_abi_msg_put(message, message_cap, &pos, "plugin info block is truncated (");
    fk_abi_msg_put_u32(message, message_cap, &pos, info->struct_size);
    fk_abi_msg_put(message, message_cap, &pos, " bytes)");
    return FK_ERR_ABI_MISMATCH;
  }
  if (info->pointer_size != FK_CAST(uint32_t, sizeof(void*))) {
    fk_abi_msg_put(message, message_cap, &pos, "plugin was built for ");
    fk_abi_msg_put_u32(message, message_cap, &pos, info->pointer_size * 8u);
    fk_abi_msg_put(message, message_cap, &pos, "-bit pointers but this kernel uses ");
    fk_abi_msg_put_u32(message, message_cap, &pos, FK_CAST(uint32_t, sizeof(void*)) * 8u);
    fk_abi_msg_put(message, message_cap, &pos, "-bit pointers");
    return FK_ERR_ABI_MISMATCH;
  }
  if (info->abi_major != host_major) {
    fk_abi_msg_put_plugin(message, message_cap, &pos, info);
    fk_abi_msg_put(message, message_cap, &pos, " was built for plugin ABI ");
    fk_abi_msg_put_u32(message, message_cap, &pos, info->abi_major);
    fk_abi_msg_put(message, message_cap, &pos, ".");
    fk_abi_msg_put_u32(message, message_cap, &pos, info->abi_minor);
    fk_abi_msg_put(message, message_cap, &pos, " but this kernel provides plugin ABI ");
    fk_abi_msg_put_u32(message, message_cap, &pos, host_major);
    fk_abi_msg_put(message, message_cap, &pos, ".");
    fk_abi_msg_put_u32(message, message_cap, &pos, host_minor);
    fk_abi_msg_put(message, message_cap, &pos, " (major versions must match)");
    return FK_ERR_ABI_MISMATCH;
  }
  if (info->abi_minor > host_minor) {
    fk_abi_msg_put_plugin(message, message_cap, &pos, info);
    fk_abi_msg_put(message, message_cap, &pos, " requires plugin ABI ");
    fk_abi_msg_put_u32(message, message_cap, &pos, info->abi_major);
    fk_abi_msg_put(message, message_cap, &pos, ".");
    fk_abi_msg_put_u32(message, message_cap, &pos, info->abi_minor);
    fk_abi_msg_put(message, message_cap, &pos, " but this kernel provides plugin ABI ");
    fk_abi_msg_put_u32(message, message_cap, &pos, host_major);
    fk_abi_msg_put(message, message_cap, &pos, ".");
    fk_abi_msg_put_u32(message, message_cap, &pos, host_minor);
    fk_abi_msg_put(message, message_cap, &pos, "; upgrade the kernel");
    return FK_ERR_ABI_MISMATCH;
  }
  if (!fk_abi_name_ok(info->name)) {
    fk_abi_msg_put(message, message_cap, &pos, "plugin name '");
    fk_abi_msg_put_str(message, message_cap, &pos, info->name);
    fk_abi_msg_put(message, message_cap, &pos,
                   "' is invalid: expected [a-z][a-z0-9_-]*, 1 to 64 bytes");
    return FK_ERR_INVALID_ARGUMENT;
  }
  if (!fk_abi_version_ok(info->version)) {
    fk_abi_msg_put(message, message_cap, &pos, "plugin '");
    fk_abi_msg_put_str(message, message_cap, &pos, info->name);
    fk_abi_msg_put(message, message_cap, &pos,
                   "' has an invalid version: expected 1 to 64 printable ASCII bytes");
    return FK_ERR_INVALID_ARGUMENT;
  }
  cb = info->callbacks;
  if (cb == FK_NULL || cb->struct_size < FK_SIZE_THROUGH(fk_plugin_callbacks, handle_call) ||
      cb->init == FK_NULL || cb->shutdown == FK_NULL) {
    fk_abi_msg_put_plugin(message, message_cap, &pos, info);
    fk_abi_msg_put(message, message_cap, &pos,
                   " has no valid callbacks table (init and shutdown are required)");
    return FK_ERR_INVALID_ARGUMENT;
  }
  fk_abi_msg_put_plugin(message, message_cap, &pos, info);
  fk_abi_msg_put(message, message_cap, &pos, " (needs plugin ABI ");
  fk_abi_msg_put_u32(message, message_cap, &pos, info->abi_major);
  fk_abi_msg_put(message, message_cap, &pos, ".");
  fk_abi_msg_put_u32(message, message_cap, &pos, info->abi_minor);
  fk_abi_msg_put(message, message_cap, &pos, ") is compatible with this kernel's plugin ABI ");
  fk_abi_msg_put_u32(message, message_cap, &pos, host_major);
  fk_abi_msg_put(message, message_cap, &pos, ".");
  fk_abi_msg_put_u32(message, message_cap, &pos, host_minor);
  return FK_OK;
}

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* FINKERNEL_FK_PLUGIN_H */
