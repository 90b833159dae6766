-- pgbench reference for bench/ledger/run.sh: the statements the kernel's
-- request transaction runs for one POST /v1/ledger/entries around the
-- posting itself, minus the kernel's own reads and writes (user lookup,
-- audit records, outbox event; docs/performance.md, "Ledger posting").
-- run.sh replaces @TENANT@, @PREFIX@, @N@, @CASH_SET@ and @CASH_EXPR@; the actor
-- comes from `pgbench -D actor=user:<uuid>` (a ':' in the script would be
-- taken for a variable). The request JSON has the text shape the plugin
-- sends as $1 (amounts already in signed integer minor units).
\set acct random(1, @N@)
\set minor random(1, 100000)
@CASH_SET@
BEGIN;
SELECT set_config('fk.tenant_id', '@TENANT@', true);
SELECT ledger_post_entry(('{"lines": [{"amount": ' || :minor::text || ', "currency": "USD", "accountCode": "' || @CASH_EXPR@ || '"}, {"amount": -' || :minor::text || ', "currency": "USD", "accountCode": "@PREFIX@' || lpad(:acct::text, 2, '0') || '"}], "description": "bench sale"}')::jsonb, NULL, :actor);
COMMIT;
