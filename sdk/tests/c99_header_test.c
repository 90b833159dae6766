/* The C header on its own: compiles as strict C99 (-std=c99 -pedantic
 * -Wpadded -Werror, see CMakeLists.txt) and, unchanged, as C++ -- and its
 * inline helpers behave as documented: fk_abi_check (every refusal and its
 * message), FK_HOST_HAS against an older host table, FK_PLUGIN_DEFINE,
 * the fk_str helpers and the status tables. */
#include <finkernel/fk_plugin.h>

#include <stdio.h>
#include <string.h>

static int failures = 0;

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      ++failures;                                                              \
    }                                                                          \
  } while (0)

#define CHECK_MSG(msg, expected)                                                              \
  do {                                                                                        \
    if (strcmp((msg), (expected)) != 0) {                                                     \
      fprintf(stderr, "%s:%d: message\n  got:      %s\n  expected: %s\n", __FILE__, __LINE__, \
              (msg), (expected));                                                             \
      ++failures;                                                                             \
    }                                                                                         \
  } while (0)

/* A minimal plugin in this very program: FK_PLUGIN_DEFINE must compile as C99. */
static fk_status test_init(const fk_init_args* args, void** out_state) {
  (void)args;
  *out_state = FK_NULL;
  return FK_OK;
}
static void test_shutdown(void* state) {
  (void)state;
}

static const fk_plugin_callbacks test_callbacks = {FK_CAST(uint32_t, sizeof(fk_plugin_callbacks)),
                                                   0u,
                                                   test_init,
                                                   FK_NULL,
                                                   test_shutdown,
                                                   FK_NULL,
                                                   FK_NULL,
                                                   FK_NULL,
                                                   FK_NULL};

FK_PLUGIN_DEFINE("c99-test", "1.2.3", &test_callbacks)

static fk_plugin_info make_info(const char* name, const char* version, uint32_t major,
                                uint32_t minor) {
  fk_plugin_info info;
  memset(&info, 0, sizeof info);
  info.struct_size = FK_CAST(uint32_t, sizeof(fk_plugin_info));
  info.magic = FK_PLUGIN_MAGIC;
  info.abi_major = major;
  info.abi_minor = minor;
  info.pointer_size = FK_CAST(uint32_t, sizeof(void*));
  info.sdk_version = FK_SDK_VERSION_NUM;
  info.name = fk_str_c(name);
  info.version = fk_str_c(version);
  info.callbacks = &test_callbacks;
  return info;
}

static void test_entry_symbol(void) {
  const fk_plugin_info* info = fk_plugin_entry_v1();
  CHECK(info != FK_NULL);
  CHECK(info == fk_plugin_entry_v1()); /* same pointer every call */
  CHECK(info->struct_size == sizeof(fk_plugin_info));
  CHECK(info->magic == FK_PLUGIN_MAGIC);
  CHECK(info->abi_major == FK_ABI_MAJOR);
  CHECK(info->abi_minor == FK_PLUGIN_REQUIRED_MINOR);
  CHECK(info->pointer_size == sizeof(void*));
  CHECK(info->sdk_version == 0x010200u); /* SDK 1.2.0 */
  CHECK(fk_str_eq(info->name, fk_str_c("c99-test")));
  CHECK(info->name.len == 8u);
  CHECK(fk_str_eq(info->version, fk_str_c("1.2.3")));
  CHECK(info->callbacks == &test_callbacks);
  CHECK(memcmp(&info->magic, "FKPL", 4) == 0 || memcmp(&info->magic, "LPKF", 4) == 0);
}

static void test_abi_check(void) {
  char msg[256];
  fk_plugin_info info = make_info("hello", "1.2.0", 1u, 0u);
  fk_plugin_callbacks no_init = test_callbacks;

  CHECK(fk_abi_check(&info, 1u, 0u, msg, sizeof msg) == FK_OK);
  CHECK_MSG(msg,
            "plugin 'hello' 1.2.0 (needs plugin ABI 1.0) is compatible with this kernel's "
            "plugin ABI 1.0");

  /* An older plugin on a newer host is fine. */
  info = make_info("hello", "1.2.0", 1u, 3u);
  CHECK(fk_abi_check(&info, 1u, 5u, msg, sizeof msg) == FK_OK);

  /* A plugin needing a newer minor is refused, naming both versions. */
  info = make_info("hello", "1.2.0", 1u, 5u);
  CHECK(fk_abi_check(&info, 1u, 3u, msg, sizeof msg) == FK_ERR_ABI_MISMATCH);
  CHECK_MSG(msg,
            "plugin 'hello' 1.2.0 requires plugin ABI 1.5 but this kernel provides plugin "
            "ABI 1.3; upgrade the kernel");

  /* Majors must match, in both directions. */
  info = make_info("hello", "2.0.0", 2u, 0u);
  CHECK(fk_abi_check(&info, 1u, 3u, msg, sizeof msg) == FK_ERR_ABI_MISMATCH);
  CHECK_MSG(msg,
            "plugin 'hello' 2.0.0 was built for plugin ABI 2.0 but this kernel provides "
            "plugin ABI 1.3 (major versions must match)");
  info = make_info("hello", "0.9.0", 0u, 7u);
  CHECK(fk_abi_check(&info, 1u, 0u, msg, sizeof msg) == FK_ERR_ABI_MISMATCH);

  /* Not an info block at all. */
  CHECK(fk_abi_check(FK_NULL, 1u, 0u, msg, sizeof msg) == FK_ERR_ABI_MISMATCH);
  CHECK(strstr(msg, "not a FinKernel plugin") != FK_NULL);
  info = make_info("hello", "1.0.0", 1u, 0u);
  info.magic = 0x12345678u;
  CHECK(fk_abi_check(&info, 1u, 0u, msg, sizeof msg) == FK_ERR_ABI_MISMATCH);
  CHECK(strstr(msg, "not a FinKernel plugin") != FK_NULL);

  /* Truncated block, other pointer size. */
  info = make_info("hello", "1.0.0", 1u, 0u);
  info.struct_size = 24u;
  CHECK(fk_abi_check(&info, 1u, 0u, msg, sizeof msg) == FK_ERR_ABI_MISMATCH);
  CHECK_MSG(msg, "plugin info block is truncated (24 bytes)");
  info = make_info("hello", "1.0.0", 1u, 0u);
  info.pointer_size = 4u;
  CHECK(fk_abi_check(&info, 1u, 0u, msg, sizeof msg) == FK_ERR_ABI_MISMATCH);
  CHECK_MSG(msg, "plugin was built for 32-bit pointers but this kernel uses 64-bit pointers");

  /* Malformed name or version; unprintable bytes are never echoed. */
  info = make_info("Hello", "1.0.0", 1u, 0u);
  CHECK(fk_abi_check(&info, 1u, 0u, msg, sizeof msg) == FK_ERR_INVALID_ARGUMENT);
  CHECK(strstr(msg, "plugin name 'Hello' is invalid") != FK_NULL);
  info = make_info("he\nllo", "1.0.0", 1u, 0u);
  CHECK(fk_abi_check(&info, 1u, 0u, msg, sizeof msg) == FK_ERR_INVALID_ARGUMENT);
  CHECK(strstr(msg, "'he?llo'") != FK_NULL);
  info = make_info("", "1.0.0", 1u, 0u);
  CHECK(fk_abi_check(&info, 1u, 0u, msg, sizeof msg) == FK_ERR_INVALID_ARGUMENT);
  info = make_info("a234567890123456789012345678901234567890123456789012345678901234x", "1.0.0", 1u,
                   0u); /* 65 bytes */
  CHECK(fk_abi_check(&info, 1u, 0u, msg, sizeof msg) == FK_ERR_INVALID_ARGUMENT);
  info = make_info("hello", "1.0 beta", 1u, 0u);
  CHECK(fk_abi_check(&info, 1u, 0u, msg, sizeof msg) == FK_ERR_INVALID_ARGUMENT);
  CHECK(strstr(msg, "invalid version") != FK_NULL);

  /* Callbacks: required, big enough, init and shutdown present. */
  info = make_info("hello", "1.0.0", 1u, 0u);
  info.callbacks = FK_NULL;
  CHECK(fk_abi_check(&info, 1u, 0u, msg, sizeof msg) == FK_ERR_INVALID_ARGUMENT);
  CHECK(strstr(msg, "no valid callbacks table") != FK_NULL);
  no_init.init = FK_NULL;
  info.callbacks = &no_init;
  CHECK(fk_abi_check(&info, 1u, 0u, msg, sizeof msg) == FK_ERR_INVALID_ARGUMENT);
  no_init = test_callbacks;
  no_init.struct_size = 16u;
  CHECK(fk_abi_check(&info, 1u, 0u, msg, sizeof msg) == FK_ERR_INVALID_ARGUMENT);

  /* The message buffer: truncated but terminated; NULL / 0 tolerated. */
  info = make_info("hello", "1.2.0", 1u, 5u);
  CHECK(fk_abi_check(&info, 1u, 3u, msg, 10u) == FK_ERR_ABI_MISMATCH);
  CHECK_MSG(msg, "plugin 'h");
  CHECK(fk_abi_check(&info, 1u, 3u, FK_NULL, 0u) == FK_ERR_ABI_MISMATCH);
  msg[0] = 'x';
  CHECK(fk_abi_check(&info, 1u, 3u, msg, 0u) == FK_ERR_ABI_MISMATCH);
  CHECK(msg[0] == 'x');
  CHECK(fk_abi_check(&info, 1u, 3u, msg, 1u) == FK_ERR_ABI_MISMATCH);
  CHECK(msg[0] == '\0');
}

static fk_status dummy_call(fk_txn* txn, fk_str plugin, fk_str method, fk_str request_json,
                            fk_str* out_reply_json, fk_error* err) {
  (void)txn, (void)plugin, (void)method, (void)request_json, (void)out_reply_json, (void)err;
  return FK_OK;
}

static void test_host_has(void) {
  /* A host built against an older minor: its table ends after `authz`.
   * The plugin's newer view has `plugins` beyond that; whatever bytes lie
   * there must not count. */
  fk_plugins_api plugins_api;
  fk_host_api host;
  memset(&host, 0, sizeof host);
  memset(&plugins_api, 0, sizeof plugins_api);
  plugins_api.struct_size = FK_CAST(uint32_t, sizeof plugins_api);
  plugins_api.call = dummy_call;
  host.struct_size = FK_CAST(uint32_t, FK_SIZE_THROUGH(fk_host_api, authz));
  host.plugins = &plugins_api; /* garbage from the plugin's point of view */
  host.crypto = FK_NULL;       /* service disabled */
  host.authz = FK_PTR_CAST(const fk_authz_api*, &plugins_api); /* any non-NULL */

  {
    /* An ABI 1.0 events table ends after publish: publish_event is absent
     * even if the bytes beyond struct_size are not NULL. */
    fk_events_api events_api;
    memset(&events_api, 0xAB, sizeof events_api);
    events_api.struct_size = FK_CAST(uint32_t, FK_SIZE_THROUGH(fk_events_api, publish));
    CHECK(!FK_HOST_HAS(&events_api, publish_event));
    events_api.struct_size = FK_CAST(uint32_t, sizeof events_api);
    events_api.publish_event = FK_NULL;
    CHECK(!FK_HOST_HAS(&events_api, publish_event));
  }
  CHECK(FK_HOST_HAS(&host, authz));
  CHECK(!FK_HOST_HAS(&host, plugins));
  CHECK(!FK_HOST_HAS(&host, crypto));
  CHECK(FK_HAS_FIELD(&host, crypto));
  CHECK(FK_HAS_FIELD(&host, host_version));
  host.struct_size = FK_CAST(uint32_t, sizeof host);
  CHECK(FK_HOST_HAS(&host, plugins));
  CHECK(FK_HOST_HAS(host.plugins, call));
  plugins_api.struct_size = 8u; /* a sub-table without functions */
  CHECK(!FK_HOST_HAS(host.plugins, call));
  {
    const fk_host_api* none = FK_NULL;
    CHECK(!FK_HOST_HAS(none, log));
  }
  CHECK(FK_SIZE_THROUGH(fk_host_api, struct_size) == 4u);
}

static void test_strings_and_status(void) {
  fk_str empty = fk_str_c("");
  fk_str absent = fk_str_c(FK_NULL);
  fk_str lit = FK_STR_LIT("abc");
  fk_error err = FK_ERROR_INIT;

  CHECK(empty.data != FK_NULL && empty.len == 0u);
  CHECK(absent.data == FK_NULL && absent.len == 0u);
  CHECK(fk_str_eq(empty, absent));
  CHECK(lit.len == 3u && fk_str_eq(lit, fk_str_c("abc")));
  CHECK(!fk_str_eq(lit, fk_str_c("abd")));
  CHECK(!fk_str_eq(lit, fk_str_c("ab")));

  CHECK(err.struct_size == sizeof(fk_error) && err.code == FK_OK);
  CHECK(err.message.data == FK_NULL && err.subcode.len == 0u);

  CHECK(strcmp(fk_status_name(FK_OK), "FK_OK") == 0);
  CHECK(strcmp(fk_status_name(FK_ERR_NOT_FOUND), "FK_ERR_NOT_FOUND") == 0);
  CHECK(strcmp(fk_status_name(FK_ERR_TIMEOUT), "FK_ERR_TIMEOUT") == 0);
  CHECK(strcmp(fk_status_name(4242u), "FK_ERR_UNKNOWN") == 0); /* unknown tolerated */
  CHECK(fk_status_http(FK_OK) == 200u);
  CHECK(fk_status_http(FK_ERR_INVALID_ARGUMENT) == 400u);
  CHECK(fk_status_http(FK_ERR_VALIDATION) == 422u);
  CHECK(fk_status_http(FK_ERR_PERMISSION_DENIED) == 403u);
  CHECK(fk_status_http(FK_ERR_NOT_FOUND) == 404u);
  CHECK(fk_status_http(FK_ERR_CONFLICT) == 409u);
  CHECK(fk_status_http(FK_ERR_DB) == 500u);
  CHECK(fk_status_http(4242u) == 500u);
}

int main(void) {
  test_entry_symbol();
  test_abi_check();
  test_host_has();
  test_strings_and_status();
  if (failures != 0) {
    fprintf(stderr, "c99 header test: %d check(s) failed\n", failures);
    return 1;
  }
#ifdef __cplusplus
  puts("header test (compiled as C++): all checks passed");
#else
  puts("header test (compiled as C99): all checks passed");
#endif
  return 0;
}
