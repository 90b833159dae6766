/* The plugin side of bench/plugin_dispatch: a route handler that writes the
 * smallest response through the host, and a call handler that calls back
 * into the host `count` times (count = the request JSON's length, so the
 * benchmark chooses it without parsing). Plain C: what is measured is the
 * ABI, not a wrapper. */
#include <finkernel/fk_plugin.h>

static const fk_host_api* g_host;

static fk_status noop_init(const fk_init_args* args, void** out_state) {
  g_host = args->host;
  *out_state = FK_NULL;
  return FK_OK;
}

static void noop_shutdown(void* state) {
  (void)state;
}

static fk_status noop_request(void* state, const fk_request_args* args) {
  (void)state;
  return g_host->http->response_write_json(args->response, fk_str_c("{}"));
}

static fk_status noop_call(void* state, const fk_call_args* args) {
  size_t i;
  fk_str tenant = {FK_NULL, 0u};
  size_t total = 0u;
  (void)state;
  for (i = 0u; i < args->request_json.len; ++i) {
    if (g_host->authz->tenant_id(args->tenant, &tenant) != FK_OK) return FK_ERR_INTERNAL;
    total += tenant.len;
  }
  return total == args->request_json.len * 36u || args->request_json.len == 0u ? FK_OK
                                                                               : FK_ERR_INTERNAL;
}

static const fk_plugin_callbacks noop_callbacks = {FK_CAST(uint32_t, sizeof(fk_plugin_callbacks)),
                                                   0u,
                                                   noop_init,
                                                   FK_NULL,
                                                   noop_shutdown,
                                                   noop_request,
                                                   FK_NULL,
                                                   noop_call};

FK_PLUGIN_DEFINE("noop", "1.0.0", &noop_callbacks)
