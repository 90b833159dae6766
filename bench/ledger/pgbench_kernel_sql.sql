-- pgbench reference for bench/ledger/run.sh: ALL the statements the kernel
-- sends for one authenticated POST /v1/ledger/entries, in its order, with
-- its row locks and its round trips (docs/performance.md "Ledger posting"),
-- 4 round trips:
--   1 BEGIN (the kernel sends "BEGIN; SELECT set_config('fk.tenant_id', ...)"
--     as one simple query; pgbench -M prepared cannot, so the tenant comes
--     from PGOPTIONS as in pgbench_plain.sql and BEGIN stands for that trip)
--   2 the Bearer user's row and roles   3 the posting
--   4 one pipeline: the outbox event (fk_outbox_publish), both audit records
--     (fk_audit_append: ledger.entry.post and http.POST ...) and COMMIT
-- Left out: the kernel's own work between them (HTTP, JWT, RBAC, JSON).
-- No ':' directly before a letter or digit inside literals (pgbench would
-- read a variable), hence the timestamps without seconds separators.
-- run.sh replaces @TENANT@, @PREFIX@, @N@, @CASH_SET@, @CASH_EXPR@; `-D
-- actor=user:<uuid> -D user_id=<uuid>`. The audit bodies are stand-ins, so
-- the throw-away cluster's chain no longer verifies afterwards.
\set acct random(1, @N@)
\set minor random(1, 100000)
@CASH_SET@
BEGIN;
SELECT u.id::text, u.email, u.display_name, u.password_hash, u.status, u.token_version, u.failed_logins, coalesce(u.locked_until > now(), false), coalesce((SELECT array_to_string(array_agg(r.role ORDER BY r.role), ',') FROM role_bindings r WHERE r.tenant_id = u.tenant_id AND r.user_id = u.id), ''), to_char(u.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'), u.totp_enabled, coalesce(u.totp_secret, ''), u.totp_last_step FROM users u WHERE u.id = :user_id::uuid;
SELECT ledger_post_entry(('{"lines": [{"amount": ' || :minor::text || ', "currency": "USD", "accountCode": "' || @CASH_EXPR@ || '"}, {"amount": -' || :minor::text || ', "currency": "USD", "accountCode": "@PREFIX@' || lpad(:acct::text, 2, '0') || '"}], "description": "bench sale"}')::jsonb, NULL, :actor);
\startpipeline
SELECT fk_outbox_publish('@TENANT@'::uuid, ('[{"type": "ledger.entry.posted", "source": "ledger", "aggregateType": "entry", "aggregateId": "' || gen_random_uuid()::text || '", "version": 1, "principal": "' || :actor::text || '", "correlationId": "' || gen_random_uuid()::text || '", "causationId": "", "subscribers": [], "payload": {"date": "2026-11-26", "kind": "standard", "lines": [{"minor": ' || :minor::text || ', "amount": "2.50", "currency": "USD", "accountId": "5413db7f-fdeb-456f-b2a8-251db4f8de7a", "accountCode": "1001"}, {"minor": -' || :minor::text || ', "amount": "-2.50", "currency": "USD", "accountId": "92fbcb36-8ab4-4d36-8cfa-125979cb692c", "accountCode": "4002"}], "entryId": "981c3419-24f5-4612-b17b-401bdac6daa9", "metadata": {}, "description": "bench sale"}}]')::jsonb)::text;
SELECT appended_seq, appended_hash FROM fk_audit_append('"fk-audit-v1"', '0000000000000000000000000000000000000000000000000000000000000000', ('[{"occurred_at": "' || clock_timestamp()::text || '", "body": "\"2026-11-26T061500.123456Z\",\"user\",\"' || :user_id::text || '\",\"ledger.entry.post\",\"entry/981c3419-24f5-4612-b17b-401bdac6daa9\",\"success\",\"' || gen_random_uuid()::text || '\",\"127.0.0.1\",{\"idempotencyKey\": null, \"lines\": 2, \"plugin\": \"ledger\"}", "actor_type": "user", "actor_id": "' || :user_id::text || '", "action": "ledger.entry.post", "resource": "entry/981c3419-24f5-4612-b17b-401bdac6daa9", "outcome": "success", "request_id": "r", "client_address": "127.0.0.1", "summary": {"lines": 2, "plugin": "ledger", "idempotencyKey": null}}, {"occurred_at": "' || clock_timestamp()::text || '", "body": "\"2026-11-26T061500.123456Z\",\"user\",\"' || :user_id::text || '\",\"http.POST /v1/ledger/entries\",\"/v1/ledger/entries\",\"success\",\"r\",\"127.0.0.1\",{\"status\": 201}", "actor_type": "user", "actor_id": "' || :user_id::text || '", "action": "http.POST /v1/ledger/entries", "resource": "/v1/ledger/entries", "outcome": "success", "request_id": "r", "client_address": "127.0.0.1", "summary": {"status": 201}}]')::jsonb);
COMMIT;
\endpipeline
