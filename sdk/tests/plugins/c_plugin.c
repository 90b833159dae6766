/* A plugin in plain C99 against the C header alone (no C++ runtime): the
 * ABI must be usable from C. Its state is malloc'ed in init and freed in
 * shutdown (whoever allocates frees); its query result is freed with
 * db.result_free; host strings are copied before the call returns. */
#include <finkernel/fk_plugin.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct c_state {
  const fk_host_api* host;
  fk_plugin* self;
  unsigned long requests;
} c_state;

static void c_log(const c_state* st, const fk_tenant_ctx* ctx, uint32_t level, const char* msg) {
  if (FK_HOST_HAS(st->host, log) && FK_HOST_HAS(st->host->log, write)) {
    (void)st->host->log->write(st->self, ctx, level, fk_str_c(msg), FK_NULL, 0u);
  }
}

static fk_status c_init(const fk_init_args* args, void** out_state) {
  c_state* st;
  if (!FK_HAS_FIELD(args, self) || !FK_HOST_HAS(args->host, db) || !FK_HOST_HAS(args->host, http)) {
    return FK_ERR_UNSUPPORTED;
  }
  st = (c_state*)malloc(sizeof *st);
  if (st == FK_NULL) return FK_ERR_INTERNAL;
  st->host = args->host;
  st->self = args->self;
  st->requests = 0;
  *out_state = st;
  c_log(st, FK_NULL, FK_LOG_INFO, "c plugin initialised");
  return FK_OK;
}

static void c_shutdown(void* state) {
  c_state* st = (c_state*)state;
  c_log(st, FK_NULL, FK_LOG_INFO, "c plugin shutdown");
  free(st);
}

static fk_status c_request(void* state, const fk_request_args* args) {
  c_state* st = (c_state*)state;
  const fk_db_api* db = st->host->db;
  const fk_http_api* http = st->host->http;
  fk_str route = {FK_NULL, 0};
  fk_str param = FK_STR_LIT("from-c");
  fk_str value = {FK_NULL, 0};
  fk_result* result = FK_NULL;
  fk_error err = FK_ERROR_INIT;
  fk_status status;
  char json[256];
  char echoed[64];

  ++st->requests; /* not synchronized: the test calls serially */
  status = http->request_route(args->request, &route);
  if (status != FK_OK) return status;
  if (!fk_str_eq(route, fk_str_c("/c/echo"))) {
    return http->response_set_error(args->response, 404u, fk_str_c("NO_ROUTE"),
                                    fk_str_c("no such route"), fk_str_c(FK_NULL)) == FK_OK
               ? FK_ERR_NOT_FOUND
               : FK_ERR_INTERNAL;
  }

  status = db->exec(args->txn, fk_str_c("SELECT $1"), &param, 1u, &result, &err);
  if (status != FK_OK) {
    c_log(st, args->tenant, FK_LOG_ERROR, "query failed");
    return status;
  }
  status = db->result_value(result, 0u, 0u, &value);
  if (status == FK_OK) {
    /* Copy out of the result before freeing it. */
    size_t n = value.len < sizeof echoed - 1u ? value.len : sizeof echoed - 1u;
    memcpy(echoed, value.data, n);
    echoed[n] = '\0';
  }
  (void)db->result_free(result);
  if (status != FK_OK) return status;

  (void)snprintf(json, sizeof json, "{\"plugin\":\"c\",\"echo\":\"%s\",\"requests\":%lu}", echoed,
                 st->requests);
  return http->response_write_json(args->response, fk_str_c(json));
}

static fk_status c_event(void* state, const fk_event_args* args) {
  c_state* st = (c_state*)state;
  if (FK_HAS_FIELD(args->event, type) && fk_str_eq(args->event->type, fk_str_c("c.poison"))) {
    return FK_ERR_VALIDATION;
  }
  c_log(st, args->tenant, FK_LOG_INFO, "c plugin event");
  return FK_OK;
}

static const fk_plugin_callbacks c_callbacks = {
    FK_CAST(uint32_t, sizeof(fk_plugin_callbacks)),
    0u,
    c_init,
    FK_NULL, /* migrate: nothing to do */
    c_shutdown,
    c_request,
    c_event,
    FK_NULL, /* handle_call: exports no methods */
    FK_NULL  /* measure_request (ABI 1.2): measures nothing */
};

FK_PLUGIN_DEFINE("c-plugin", "1.0.0", &c_callbacks)
