-- ledger 1.0.0, issue 6: batch posting at bulk speed.
--
-- POST /v1/ledger/batches used to take ~55-80 ms of database time per 500
-- two-line entries even on its set-based path (ledger_post_batch_set), held
-- the accounts' row locks for nearly all of it, and fell back to one
-- ledger_apply_entry call per entry (~1-2 ms each) as soon as one entry of an
-- independent batch was refused. ledger_post_batch_rows below posts a batch
-- with a fixed number of statements whatever its size, and keeps every rule
-- of ledger_apply_entry:
--   * before any lock: the lines read once into arrays, account codes
--     resolved, and the checks that need no account row -- at least two
--     lines, no unknown code, no missing or zero amount, balanced per
--     currency -- and the answer built (see ledger_batch_response);
--   * one lock pass: every touched account row, FOR UPDATE in id order (the
--     order every posting uses, so batches and single postings cannot
--     deadlock); the counters used afterwards are the ones that pass returned;
--   * under the locks: every account known and open, each line in its
--     account's currency, the no-negative rule in entry order, then one
--     INSERT for the entries, one for the lines (per-account sequence and
--     running balance continue from the locked counters) and one UPDATE of
--     the counters (one row per account, aggregated).
-- Refused entries get exactly the error ledger_apply_entry gives them: it is
-- called for each of them, inside a subtransaction that is always rolled
-- back, so whatever it does cannot remain. Where the sequential order decides
-- the outcome -- a refused entry in a batch touching a no-negative account, an
-- entry the no-negative rule would refuse, per-entry Idempotency-Keys --
-- ledger_post_batch_rows answers NULL having written nothing and
-- ledger_post_batch posts entry by entry as before (under the locks already
-- taken, which is the same id order).
--
-- Every function stays SECURITY INVOKER: row-level security scopes each
-- statement to the request's tenant.

-- Minor units as the API's decimal string, given the exponent and 10^exponent.
-- The same text as ledger_format_minor(p_minor, p_exponent), in bigint
-- arithmetic (no numeric, no power per call; exact for every bigint: the
-- quotient and remainder are taken before abs). Inlined by the planner (SQL,
-- IMMUTABLE, not STRICT, each argument a plain column in our callers).
CREATE FUNCTION ledger_format_scaled(p_minor bigint, p_exponent integer, p_scale bigint)
  RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$
  SELECT CASE WHEN p_exponent = 0 THEN p_minor::text
    ELSE CASE WHEN p_minor < 0 THEN '-' ELSE '' END
         || abs(p_minor / p_scale)::text || '.'
         || lpad(abs(p_minor % p_scale)::text, p_exponent, '0')
  END $$;

-- The batch engine. p_entries as for ledger_post_batch (already an array).
-- Returns the batch result ({"results", "posted", "failed", "replayed": false,
-- "entries"}), BATCH_REJECTED for an atomic batch with a refused entry, or
-- NULL (nothing written) when the batch must be posted entry by entry (see
-- above). The answer is built before the accounts are locked, on the
-- assumption that every entry posts (account codes and currencies never
-- change, entry ids are chosen here), so the rows stay locked only for the
-- checks and the writes; it is built again in the rare case that some entry
-- is refused.
CREATE FUNCTION ledger_post_batch_rows(p_entries jsonb, p_atomic boolean, p_actor text)
  RETURNS jsonb
  LANGUAGE plpgsql
  AS $$
  DECLARE
    v_tenant uuid := ledger_tenant();
    v_today date := (now() AT TIME ZONE 'UTC')::date;
    v_actor text := coalesce(p_actor, '');
    v_count integer := jsonb_array_length(p_entries);
    -- per line, in batch order (entry, then line):
    v_e integer[];            -- entry index (1-based)
    v_l integer[];            -- line number in its entry
    v_ids uuid[];             -- account (NULL: unknown code)
    v_amounts bigint[];
    v_currencies text[];
    v_memos text[];
    -- per account, in id order:
    v_accounts uuid[];
    v_acc_ids uuid[];
    v_acc_codes_json text[];  -- code and currency as JSON strings
    v_acc_currencies_json text[];
    v_acc_exponents integer[];
    v_acc_scales bigint[];    -- 10 ^ exponent
    -- per account, from the lock pass, in id order:
    v_locked_ids uuid[];
    v_acc_balances bigint[];  -- posted debits - credits before the batch
    v_acc_seqs bigint[];      -- line_seq before the batch
    v_acc_open boolean[];
    v_acc_currencies text[];
    v_noneg integer[];        -- positions of accounts under the no-negative rule
    -- per entry:
    v_entry_ids uuid[];
    v_dates date[];
    v_descriptions text[];    -- as JSON strings
    v_metadata text[];        -- as JSON text
    v_line_counts integer[];
    v_bad integer[];          -- refused entries (1-based), ascending
    v_errors jsonb[] := '{}'; -- their errors, same order
    v_response jsonb;
    v_result jsonb;
    k integer;
  BEGIN
    IF v_count = 0 OR jsonb_path_exists(p_entries, '$[*].idempotencyKey') THEN
      RETURN NULL;
    END IF;

    -- Every line, account codes resolved (RLS: this tenant's accounts only).
    SELECT array_agg(e.o::integer ORDER BY e.o, l.o), array_agg(l.o::integer ORDER BY e.o, l.o),
           array_agg(coalesce((l.v->>'accountId')::uuid, c.id) ORDER BY e.o, l.o),
           array_agg((l.v->>'amount')::bigint ORDER BY e.o, l.o),
           array_agg(l.v->>'currency' ORDER BY e.o, l.o),
           array_agg(coalesce(l.v->>'memo', '') ORDER BY e.o, l.o)
      INTO v_e, v_l, v_ids, v_amounts, v_currencies, v_memos
    FROM jsonb_array_elements(p_entries) WITH ORDINALITY AS e(v, o)
    CROSS JOIN LATERAL jsonb_array_elements(
      CASE WHEN jsonb_typeof(e.v->'lines') = 'array' THEN e.v->'lines' ELSE '[]' END)
      WITH ORDINALITY AS l(v, o)
    LEFT JOIN ledger_accounts c ON l.v->>'accountId' IS NULL AND c.code = l.v->>'accountCode';
    v_e := coalesce(v_e, '{}');
    SELECT array_agg(DISTINCT i) INTO v_accounts FROM unnest(v_ids) AS i WHERE i IS NOT NULL;

    -- What the answer needs of the accounts (immutable fields, no lock yet).
    SELECT array_agg(a.id ORDER BY a.id), array_agg(to_json(a.code)::text ORDER BY a.id),
           array_agg(to_json(a.currency)::text ORDER BY a.id),
           array_agg(ledger_currency_exponent(a.currency) ORDER BY a.id),
           array_agg((10::numeric ^ ledger_currency_exponent(a.currency))::bigint ORDER BY a.id)
      INTO v_acc_ids, v_acc_codes_json, v_acc_currencies_json, v_acc_exponents, v_acc_scales
    FROM ledger_accounts a WHERE a.id = ANY (v_accounts);
    SELECT array_agg(gen_random_uuid() ORDER BY e.o),
           array_agg(coalesce((e.v->>'date')::date, v_today) ORDER BY e.o),
           array_agg(to_json(coalesce(e.v->>'description', ''))::text ORDER BY e.o),
           array_agg(coalesce(e.v->'metadata', '{}'::jsonb)::text ORDER BY e.o),
           array_agg(CASE WHEN jsonb_typeof(e.v->'lines') = 'array'
                          THEN jsonb_array_length(e.v->'lines') ELSE 0 END ORDER BY e.o)
      INTO v_entry_ids, v_dates, v_descriptions, v_metadata, v_line_counts
    FROM jsonb_array_elements(p_entries) WITH ORDINALITY AS e(v, o);

    -- Entries refused whatever the accounts say (checked before locking
    -- anything): fewer than two lines, an unknown account code, a missing or
    -- zero amount, unbalanced in some currency.
    SELECT coalesce(array_agg(DISTINCT b.e ORDER BY b.e), '{}') INTO v_bad FROM (
      SELECT c.e::integer AS e FROM unnest(v_line_counts) WITH ORDINALITY AS c(n, e) WHERE c.n < 2
      UNION ALL
      SELECT t.e FROM unnest(v_e, v_ids, v_amounts) AS t(e, i, a)
      WHERE t.i IS NULL OR t.a IS NULL OR t.a = 0
      UNION ALL
      SELECT t.e FROM unnest(v_e, v_currencies, v_amounts) AS t(e, c, a)
      GROUP BY t.e, t.c HAVING sum(t.a) <> 0) b;
    IF cardinality(v_bad) = 0 AND cardinality(v_acc_ids) = cardinality(v_accounts) THEN
      -- (Otherwise some entry is refused for sure: answer after the checks.)
      v_response := ledger_batch_response(v_e, v_l, v_ids, v_amounts, v_memos, v_entry_ids,
        v_dates, v_descriptions, v_metadata, v_line_counts, '{}', '{}', v_acc_ids,
        v_acc_codes_json, v_acc_currencies_json, v_acc_exponents, v_acc_scales);
    END IF;

    -- The one lock pass, in id order; what it returns is current (the row
    -- versions it locked), so nothing below reads the accounts again.
    SELECT array_agg(a.id ORDER BY a.id), array_agg(a.posted_debits - a.posted_credits ORDER BY a.id),
           array_agg(a.line_seq ORDER BY a.id), array_agg(a.status = 'open' ORDER BY a.id),
           array_agg(a.currency ORDER BY a.id),
           array_agg(a.n ORDER BY a.id) FILTER (WHERE NOT a.allow_negative)
      INTO v_locked_ids, v_acc_balances, v_acc_seqs, v_acc_open, v_acc_currencies, v_noneg
    FROM (SELECT x.*, row_number() OVER (ORDER BY x.id) AS n
          FROM (SELECT * FROM ledger_accounts WHERE id = ANY (v_accounts)
                ORDER BY id FOR UPDATE) x) a;
    IF v_locked_ids IS DISTINCT FROM v_acc_ids THEN
      RETURN NULL;  -- cannot happen (accounts are never deleted); go entry by entry
    END IF;

    -- ... and those refused for what the locked rows say: an unknown or
    -- closed account, or a line in another currency than its account's.
    SELECT coalesce(array_agg(DISTINCT b.e ORDER BY b.e), '{}') INTO v_bad FROM (
      SELECT unnest(v_bad) AS e
      UNION ALL
      SELECT t.e FROM unnest(v_e, v_ids, v_currencies) AS t(e, i, c)
      LEFT JOIN unnest(v_acc_ids, v_acc_open, v_acc_currencies) AS a(id, open, currency)
        ON a.id = t.i
      WHERE a.id IS NULL OR NOT a.open OR a.currency IS DISTINCT FROM t.c) b;

    IF v_noneg IS NOT NULL THEN
      -- The no-negative rule depends on the order of entries: only a batch
      -- that passes it as a whole (and has no refused entry) is posted here.
      IF cardinality(v_bad) > 0 OR NOT ledger_batch_keeps_available(v_e, v_ids, v_amounts,
                                                                     v_noneg, v_acc_ids) THEN
        RETURN NULL;
      END IF;
    END IF;

    IF cardinality(v_bad) > 0 THEN
      -- The refused entries' errors, from the posting engine itself, in a
      -- subtransaction that is always undone. (The lock pass holds every row
      -- it locks; re-locking them is a no-op.)
      FOREACH k IN ARRAY v_bad LOOP
        BEGIN
          v_result := ledger_apply_entry('standard', p_entries->(k - 1), NULL, NULL, p_actor);
          RAISE EXCEPTION USING ERRCODE = 'LDG02';
        EXCEPTION WHEN SQLSTATE 'LDG02' THEN
          NULL;
        END;
        IF NOT v_result ? 'error' THEN
          RETURN NULL;  -- the world changed since the lock pass (a new account): go entry by entry
        END IF;
        IF p_atomic THEN
          RETURN ledger_error(422, 'BATCH_REJECTED',
            format('entry %s of the batch was refused: %s', k - 1, v_result->'error'->>'message'),
            jsonb_build_object('index', k - 1, 'error', v_result->'error'));
        END IF;
        v_errors := v_errors || (v_result->'error');
      END LOOP;
    END IF;
    IF v_response IS NULL OR cardinality(v_bad) > 0 THEN
      v_response := ledger_batch_response(v_e, v_l, v_ids, v_amounts, v_memos, v_entry_ids,
        v_dates, v_descriptions, v_metadata, v_line_counts, v_bad, v_errors, v_acc_ids,
        v_acc_codes_json, v_acc_currencies_json, v_acc_exponents, v_acc_scales);
    END IF;
    IF cardinality(v_bad) = v_count THEN
      RETURN v_response;
    END IF;

    INSERT INTO ledger_entries (tenant_id, id, kind, entry_date, description, metadata,
                                created_by, created_at)
    SELECT v_tenant, v_entry_ids[e.o], 'standard', v_dates[e.o],
           coalesce(e.v->>'description', ''), coalesce(e.v->'metadata', '{}'::jsonb),
           v_actor, clock_timestamp()
    FROM jsonb_array_elements(p_entries) WITH ORDINALITY AS e(v, o)
    WHERE e.o <> ALL (v_bad)
    ORDER BY e.o;

    -- Lines in batch order; per account, sequence numbers and running
    -- balances continue from the locked counters.
    INSERT INTO ledger_lines (tenant_id, entry_id, line_no, account_id, amount, currency, memo,
                              entry_date, pending, account_seq, balance_after)
    SELECT v_tenant, v_entry_ids[t.e], t.l, t.i, t.a, t.c, t.m, v_dates[t.e], false,
           acc.seq + row_number() OVER w, acc.balance + sum(t.a) OVER w
    FROM unnest(v_e, v_l, v_ids, v_amounts, v_currencies, v_memos) WITH ORDINALITY
           AS t(e, l, i, a, c, m, k)
    JOIN unnest(v_acc_ids, v_acc_seqs, v_acc_balances) AS acc(i, seq, balance) ON acc.i = t.i
    WHERE t.e <> ALL (v_bad)
    WINDOW w AS (PARTITION BY t.i ORDER BY t.k);

    -- The counters, one row per account.
    UPDATE ledger_accounts acc
    SET posted_debits = acc.posted_debits + d.debits,
        posted_credits = acc.posted_credits + d.credits,
        line_seq = acc.line_seq + d.n
    FROM (SELECT t.i, coalesce(sum(t.a) FILTER (WHERE t.a > 0), 0) AS debits,
                 coalesce(-sum(t.a) FILTER (WHERE t.a < 0), 0) AS credits, count(*) AS n
          FROM unnest(v_e, v_ids, v_amounts) AS t(e, i, a)
          WHERE t.e <> ALL (v_bad)
          GROUP BY t.i) d
    WHERE acc.id = d.i;
    RETURN v_response;
  END $$;

-- The batch answer, written as JSON text and parsed once: building it as
-- jsonb values (one per line, then per entry) costs several times more, and
-- ledger_format_minor per line more still. Every piece is a number, a uuid,
-- a date through to_json (ISO whatever DateStyle says), text through to_json,
-- or jsonb's own output. The entries are written in one ordered pass over the
-- lines (an entry opens at its first line and closes at its last) rather
-- than grouped. "replayed" is included so that ledger_post_batch_request need
-- not copy the whole value to add it.
--   lines (batch order): p_e entry index, p_l line number, p_ids account,
--     p_amounts, p_memos;
--   entries: p_entry_ids, p_dates, p_descriptions (JSON strings),
--     p_metadata (JSON text), p_line_counts; p_bad refused ones (ascending)
--     with p_errors;
--   accounts (any order): p_acc_ids with their code and currency as JSON
--     strings, exponent and 10^exponent.
CREATE FUNCTION ledger_batch_response(p_e integer[], p_l integer[], p_ids uuid[],
    p_amounts bigint[], p_memos text[], p_entry_ids uuid[], p_dates date[],
    p_descriptions text[], p_metadata text[], p_line_counts integer[], p_bad integer[],
    p_errors jsonb[], p_acc_ids uuid[], p_acc_codes_json text[], p_acc_currencies_json text[],
    p_acc_exponents integer[], p_acc_scales bigint[])
  RETURNS jsonb
  LANGUAGE plpgsql STABLE
  AS $$
  DECLARE
    v_results text;
    v_entries text;
  BEGIN
    SELECT string_agg(CASE WHEN b.p IS NULL
             THEN '{"index":' || (o - 1) || ',"status":"posted","entryId":"'
                  || p_entry_ids[o] || '"}'
             ELSE '{"index":' || (o - 1) || ',"status":"failed","error":'
                  || p_errors[b.p]::text || '}' END, ',' ORDER BY o)
      INTO v_results
    FROM generate_series(1, cardinality(p_entry_ids)) AS o
    CROSS JOIN LATERAL (SELECT array_position(p_bad, o) AS p) b;
    SELECT string_agg(
             CASE WHEN t.l = 1
               THEN '{"id":"' || p_entry_ids[t.e] || '","kind":"standard","date":'
                    || to_json(p_dates[t.e])::text || ',"description":' || p_descriptions[t.e]
                    || ',"metadata":' || p_metadata[t.e] || ',"lines":['
               ELSE '' END
             || '{"lineNo":' || t.l || ',"accountId":"' || t.i
             || '","accountCode":' || acc.code
             || ',"amount":"' || ledger_format_scaled(t.a, acc.exponent, acc.scale)
             || '","minor":' || t.a || ',"currency":' || acc.currency
             || ',"memo":' || CASE WHEN t.m = '' THEN '""' ELSE to_json(t.m)::text END || '}'
             || CASE WHEN t.l = p_line_counts[t.e] THEN ']}' ELSE '' END,
             ',' ORDER BY t.k)
      INTO v_entries
    FROM unnest(p_e, p_l, p_ids, p_amounts, p_memos) WITH ORDINALITY AS t(e, l, i, a, m, k)
    JOIN unnest(p_acc_ids, p_acc_codes_json, p_acc_currencies_json, p_acc_exponents,
                p_acc_scales) AS acc(i, code, currency, exponent, scale) ON acc.i = t.i
    WHERE t.e <> ALL (p_bad);
    RETURN ('{"results":[' || v_results || '],"posted":'
            || (cardinality(p_entry_ids) - cardinality(p_bad)) || ',"failed":'
            || cardinality(p_bad) || ',"replayed":false,"entries":[' || coalesce(v_entries, '')
            || ']}')::jsonb;
  END $$;

-- Whether posting the batch's lines in entry order keeps every no-negative
-- account within the rule of ledger_apply_entry: an entry may not leave the
-- account's available balance (on its normal side, net of live holds) below
-- zero unless it raises it. p_noneg: positions in p_acc_ids (locked, in id
-- order) of the accounts under the rule.
CREATE FUNCTION ledger_batch_keeps_available(p_e integer[], p_ids uuid[], p_amounts bigint[],
                                             p_noneg integer[], p_acc_ids uuid[])
  RETURNS boolean
  LANGUAGE plpgsql
  AS $$
  DECLARE
    v_available bigint[] := '{}';
    v_sign bigint[] := '{}';
    v_account ledger_accounts;
    v_due_debits bigint;
    v_due_credits bigint;
    v_step record;
    p integer;
  BEGIN
    FOREACH p IN ARRAY p_noneg LOOP
      SELECT * INTO v_account FROM ledger_accounts WHERE id = p_acc_ids[p];
      v_due_debits := 0;
      v_due_credits := 0;
      IF v_account.pending_debits > 0 OR v_account.pending_credits > 0 THEN
        SELECT d.debits, d.credits INTO v_due_debits, v_due_credits
        FROM ledger_due_pending(v_account.id) d;
      END IF;
      IF ledger_debit_normal(v_account.type) THEN
        v_available[p] := v_account.posted_debits - v_account.posted_credits
                          - (v_account.pending_credits - v_due_credits);
        v_sign[p] := 1;
      ELSE
        v_available[p] := v_account.posted_credits - v_account.posted_debits
                          - (v_account.pending_debits - v_due_debits);
        v_sign[p] := -1;
      END IF;
    END LOOP;
    -- Each entry's net effect on each such account, in entry order.
    FOR v_step IN
      SELECT array_position(p_acc_ids, t.i) AS p, sum(t.a)::bigint AS net
      FROM unnest(p_e, p_ids, p_amounts) AS t(e, i, a)
      WHERE t.i = ANY (SELECT p_acc_ids[n] FROM unnest(p_noneg) AS n)
      GROUP BY t.e, t.i ORDER BY t.e
    LOOP
      IF v_step.net * v_sign[v_step.p] < 0
         AND v_available[v_step.p] + v_step.net * v_sign[v_step.p] < 0 THEN
        RETURN false;
      END IF;
      v_available[v_step.p] := v_available[v_step.p] + v_step.net * v_sign[v_step.p];
    END LOOP;
    RETURN true;
  END $$;

-- Kept for its contract (a clean batch posted set-based, else NULL having
-- written nothing); the engine is now ledger_post_batch_rows.
CREATE OR REPLACE FUNCTION ledger_post_batch_set(p_entries jsonb, p_actor text) RETURNS jsonb
  LANGUAGE plpgsql
  AS $$
  DECLARE
    v_result jsonb := ledger_post_batch_rows(p_entries, true, p_actor);
  BEGIN
    IF v_result ? 'error' THEN
      RETURN NULL;
    END IF;
    RETURN v_result;
  END $$;

-- As in 0005, with ledger_post_batch_rows as the fast path: the loop below
-- now runs only for batches it hands back (see the top of this file).
CREATE OR REPLACE FUNCTION ledger_post_batch(p_entries jsonb, p_atomic boolean, p_actor text)
  RETURNS jsonb
  LANGUAGE plpgsql
  AS $$
  DECLARE
    v_results jsonb[] := '{}';  -- appended in place: O(1) per entry
    v_entries jsonb[] := '{}';  -- the posted entries, for the plugin's events
    v_posted integer := 0;
    v_failed integer := 0;
    v_item jsonb;
    v_index integer;
    v_result jsonb;
    v_key text;
    v_request jsonb;
    v_failure jsonb;
  BEGIN
    PERFORM ledger_tenant();
    IF jsonb_typeof(p_entries) IS DISTINCT FROM 'array' THEN
      RETURN ledger_error(422, 'VALIDATION_FAILED', 'entries must be an array',
        jsonb_build_object('field', 'entries'));
    END IF;
    v_result := ledger_post_batch_rows(p_entries, p_atomic, p_actor);
    IF v_result IS NOT NULL THEN
      RETURN v_result;
    END IF;
    BEGIN
      FOR v_item, v_index IN
        SELECT x.e, (x.o - 1)::integer FROM jsonb_array_elements(p_entries) WITH ORDINALITY AS x(e, o)
      LOOP
        v_key := v_item->>'idempotencyKey';
        v_request := v_item - 'idempotencyKey';
        v_result := ledger_idempotency_lookup(v_key, 'entries.post', v_request);
        IF v_result IS NULL THEN
          v_result := ledger_apply_entry('standard', v_request, NULL, NULL, p_actor);
          IF NOT v_result ? 'error' THEN
            v_entries := v_entries || (v_result->'entry');
            IF v_key IS NOT NULL THEN
              PERFORM ledger_idempotency_store(v_key, 'entries.post', v_request,
                jsonb_build_object('entry', v_result->'entry', 'replayed', false));
            END IF;
          END IF;
        ELSIF NOT v_result ? 'error' THEN
          v_result := jsonb_build_object('entryId', v_result->'entry'->'id', 'replayed', true);
        END IF;
        IF v_result ? 'error' THEN
          v_failed := v_failed + 1;
          IF p_atomic THEN
            v_failure := ledger_error(422, 'BATCH_REJECTED',
              format('entry %s of the batch was refused: %s', v_index,
                     v_result->'error'->>'message'),
              jsonb_build_object('index', v_index, 'error', v_result->'error'));
            RAISE EXCEPTION USING ERRCODE = 'LDG01';  -- undo the entries before it
          END IF;
          v_results := v_results || jsonb_build_object('index', v_index, 'status', 'failed',
                                                       'error', v_result->'error');
        ELSE
          v_posted := v_posted + 1;
          v_results := v_results || jsonb_build_object('index', v_index,
            'status', CASE WHEN v_result ? 'replayed' THEN 'replayed' ELSE 'posted' END,
            'entryId', v_result->'entryId');
        END IF;
      END LOOP;
    EXCEPTION WHEN SQLSTATE 'LDG01' THEN
      RETURN v_failure;
    END;
    RETURN jsonb_build_object('results', to_jsonb(v_results), 'posted', v_posted,
                              'failed', v_failed, 'entries', to_jsonb(v_entries));
  END $$;

-- As in 0005; the request's fingerprint is built only when there is an
-- Idempotency-Key to check or store.
CREATE OR REPLACE FUNCTION ledger_post_batch_request(p_entries jsonb, p_atomic boolean,
                                                     p_idempotency_key text, p_actor text)
  RETURNS jsonb
  LANGUAGE plpgsql
  AS $$
  DECLARE
    v_request jsonb;
    v_result jsonb;
  BEGIN
    IF p_idempotency_key IS NOT NULL THEN
      v_request := jsonb_build_object('atomic', p_atomic, 'entries', p_entries);
      v_result := ledger_idempotency_lookup(p_idempotency_key, 'batches.post', v_request);
      IF v_result IS NOT NULL THEN
        RETURN v_result;
      END IF;
    END IF;
    v_result := ledger_post_batch(p_entries, p_atomic, p_actor);
    IF v_result ? 'error' THEN
      RETURN v_result;
    END IF;
    IF NOT v_result ? 'replayed' THEN  -- (ledger_post_batch_rows answers with it)
      v_result := v_result || jsonb_build_object('replayed', false);
    END IF;
    IF p_idempotency_key IS NOT NULL THEN
      PERFORM ledger_idempotency_store(p_idempotency_key, 'batches.post', v_request,
                                       v_result - 'entries');
    END IF;
    RETURN v_result;
  END $$;
