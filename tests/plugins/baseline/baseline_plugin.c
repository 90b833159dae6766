/* A plugin compiled against the ABI 1.0 headers as released
 * (tests/plugins/baseline-abi-1.0/include), kept as a fixture: every later
 * kernel must load it and serve its route unchanged. */
#include <finkernel/fk_plugin.h>

#include <stdio.h>

typedef struct baseline_state {
  const fk_host_api* host;
} baseline_state;

static baseline_state g_state;

static fk_status baseline_init(const fk_init_args* args, void** out_state) {
  g_state.host = args->host;
  *out_state = &g_state;
  return FK_OK;
}

static void baseline_shutdown(void* state) {
  (void)state;
}

static fk_status baseline_request(void* state, const fk_request_args* args) {
  const baseline_state* st = (const baseline_state*)state;
  fk_str sql = FK_STR_LIT("SELECT count(*) FROM fk_plugin_tenants WHERE plugin = 'baseline'");
  fk_result* result = FK_NULL;
  fk_error err = FK_ERROR_INIT;
  fk_str value = {FK_NULL, 0u};
  char json[160];
  fk_status status = st->host->db->exec(args->txn, sql, FK_NULL, 0u, &result, &err);
  if (status != FK_OK) return status;
  status = st->host->db->result_value(result, 0u, 0u, &value);
  if (status == FK_OK) {
    (void)snprintf(json, sizeof json, "{\"abi\":\"1.0\",\"hostMinor\":%u,\"rows\":\"%.*s\"}",
                   st->host->abi_minor, (int)value.len, value.data);
  }
  (void)st->host->db->result_free(result);
  if (status != FK_OK) return status;
  return st->host->http->response_write_json(args->response, fk_str_c(json));
}

static const fk_plugin_callbacks baseline_callbacks = {
    FK_CAST(uint32_t, sizeof(fk_plugin_callbacks)),
    0u,
    baseline_init,
    FK_NULL,
    baseline_shutdown,
    baseline_request,
    FK_NULL,
    FK_NULL};

FK_PLUGIN_DEFINE("baseline", "1.0.0", &baseline_callbacks)
