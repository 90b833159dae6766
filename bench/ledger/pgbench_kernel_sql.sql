-- pgbench reference for bench/ledger/run.sh: ALL the statements the kernel
-- sends for one authenticated POST /v1/ledger/entries, in its order and with
-- its row locks (traced from the server log on 2026-11-26 05:04 UTC,
-- docs/performance.md "Ledger posting"), 7 round trips:
--   1 BEGIN (the kernel sends "BEGIN; SELECT set_config('fk.tenant_id', ...)"
--     as one simple query; pgbench -M prepared cannot, so the tenant comes
--     from PGOPTIONS as in pgbench_plain.sql and BEGIN stands for that trip)
--   2 the Bearer user's row and roles   3 the posting   4 the outbox event
--   5 audit chain-head upsert (locks the tenant's head to COMMIT)
--   6 both audit records (ledger.entry.post, http.POST ...) in one insert
--     + head update   7 COMMIT
-- Left out: the kernel's own work between them (HTTP, JWT, RBAC, JSON,
-- SHA-256 in C++; here the hashes are computed in SQL). Timestamps are
-- formatted without ':' (pgbench would take ":MI" for a variable).
-- run.sh replaces @TENANT@, @PREFIX@, @N@, @CASH_SET@, @CASH_EXPR@; `-D
-- actor=user:<uuid> -D user_id=<uuid>`. It writes audit records with made-up
-- hashes into the throw-away cluster's chain (which then no longer verifies).
\set acct random(1, @N@)
\set minor random(1, 100000)
@CASH_SET@
BEGIN;
SELECT u.id::text, u.email, u.display_name, u.password_hash, u.status, u.token_version, u.failed_logins, coalesce(u.locked_until > now(), false), coalesce((SELECT array_to_string(array_agg(r.role ORDER BY r.role), ',') FROM role_bindings r WHERE r.tenant_id = u.tenant_id AND r.user_id = u.id), ''), to_char(u.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'), u.totp_enabled, coalesce(u.totp_secret, ''), u.totp_last_step FROM users u WHERE u.id = :user_id::uuid;
SELECT ledger_post_entry(('{"lines": [{"amount": ' || :minor::text || ', "currency": "USD", "accountCode": "' || @CASH_EXPR@ || '"}, {"amount": -' || :minor::text || ', "currency": "USD", "accountCode": "@PREFIX@' || lpad(:acct::text, 2, '0') || '"}], "description": "bench sale"}')::jsonb, NULL, :actor);
INSERT INTO fk_outbox (tenant_id, type, source, aggregate_type, aggregate_id, payload, metadata, version) VALUES ('@TENANT@'::uuid, 'ledger.entry.posted', 'ledger', 'entry', gen_random_uuid()::text, ('{"date": "2026-11-26", "kind": "standard", "lines": [{"minor": ' || :minor::text || ', "amount": "2.50", "currency": "USD", "accountId": "5413db7f-fdeb-456f-b2a8-251db4f8de7a", "accountCode": "1001"}, {"minor": -' || :minor::text || ', "amount": "-2.50", "currency": "USD", "accountId": "92fbcb36-8ab4-4d36-8cfa-125979cb692c", "accountCode": "4002"}], "entryId": "981c3419-24f5-4612-b17b-401bdac6daa9", "metadata": {}, "description": "bench sale"}')::jsonb, jsonb_build_object('userId', :actor::text, 'correlationId', gen_random_uuid()::text, 'causationId', '', 'tenantId', '@TENANT@', 'timestamp', now()::text), 1) RETURNING event_id::text, seq;
INSERT INTO audit_chain_heads AS h (tenant_id, seq, hash) VALUES (fk_current_tenant(), 0, '0000000000000000000000000000000000000000000000000000000000000000') ON CONFLICT (tenant_id) DO UPDATE SET seq = h.seq RETURNING h.seq AS head_seq, h.hash AS head_hash
\gset
WITH r1 AS (SELECT :head_seq::bigint + 1 AS seq, :head_hash::text AS prev_hash, encode(sha256(convert_to(:head_hash::text || 'ledger.entry.post' || :minor::text, 'UTF8')), 'hex') AS hash), r2 AS (SELECT r1.seq + 1 AS seq, r1.hash AS prev_hash, encode(sha256(convert_to(r1.hash || 'http.POST' || :minor::text, 'UTF8')), 'hex') AS hash FROM r1), appended AS (INSERT INTO audit_log (tenant_id, seq, occurred_at, actor_type, actor_id, action, resource, outcome, request_id, client_address, summary, prev_hash, hash) SELECT '@TENANT@'::uuid, r.seq, clock_timestamp(), 'user', :user_id::text, r.action, r.resource, 'success', gen_random_uuid()::text, '127.0.0.1', r.summary, r.prev_hash, r.hash FROM (SELECT seq, prev_hash, hash, 'ledger.entry.post' AS action, 'entry/' || gen_random_uuid()::text AS resource, '{"lines": 2, "plugin": "ledger", "idempotencyKey": null}'::jsonb AS summary FROM r1 UNION ALL SELECT seq, prev_hash, hash, 'http.POST /v1/ledger/entries', '/v1/ledger/entries', '{"status": 201}'::jsonb FROM r2) r RETURNING seq, hash) UPDATE audit_chain_heads SET seq = (SELECT max(seq) FROM appended), hash = (SELECT hash FROM appended ORDER BY seq DESC LIMIT 1) WHERE tenant_id = '@TENANT@'::uuid;
COMMIT;
