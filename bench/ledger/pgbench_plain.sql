-- pgbench reference for bench/ledger/run.sh: the posting function alone, one
-- autocommit statement per posting; the tenant comes from the session
-- (PGOPTIONS='-c fk.tenant_id=...'), so there is no BEGIN/set_config/COMMIT
-- round trip. Placeholders and the actor as in pgbench_framed.sql.
\set acct random(1, @N@)
\set minor random(1, 100000)
@CASH_SET@
SELECT ledger_post_entry(('{"lines": [{"amount": ' || :minor::text || ', "currency": "USD", "accountCode": "' || @CASH_EXPR@ || '"}, {"amount": -' || :minor::text || ', "currency": "USD", "accountCode": "@PREFIX@' || lpad(:acct::text, 2, '0') || '"}], "description": "bench sale"}')::jsonb, NULL, :actor);
