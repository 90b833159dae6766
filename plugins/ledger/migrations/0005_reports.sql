-- ledger 1.0.0: balances at a point in time, statements, trial balance,
-- batch posting.

-- GET /v1/ledger/accounts/{id}/balance[?asOf=YYYY-MM-DD]
-- Without p_as_of: the live counters (posted, pending, available). With it:
-- the posted balance from the account's lines dated on or before p_as_of
-- (pending holds are a present-tense notion and are not reported).
--   returns {"accountId", "code", "currency", "asOf", "balance": {...}} or NULL.
CREATE FUNCTION ledger_account_balance(p_id uuid, p_as_of date) RETURNS jsonb
  LANGUAGE plpgsql STABLE
  AS $$
  DECLARE
    v_account ledger_accounts;
    v_debits bigint;
    v_credits bigint;
  BEGIN
    SELECT * INTO v_account FROM ledger_accounts WHERE id = p_id;
    IF NOT FOUND THEN
      RETURN NULL;
    END IF;
    IF p_as_of IS NULL THEN
      RETURN jsonb_build_object('accountId', v_account.id, 'code', v_account.code,
        'currency', v_account.currency, 'asOf', NULL,
        'balance', ledger_account_json(v_account)->'balance');
    END IF;
    SELECT coalesce(sum(amount) FILTER (WHERE amount > 0), 0),
           coalesce(-sum(amount) FILTER (WHERE amount < 0), 0)
      INTO v_debits, v_credits
    FROM ledger_lines WHERE account_id = p_id AND entry_date <= p_as_of AND NOT pending;
    RETURN jsonb_build_object('accountId', v_account.id, 'code', v_account.code,
      'currency', v_account.currency, 'asOf', p_as_of,
      'balance', jsonb_build_object(
        'posted', ledger_money(v_debits - v_credits, v_account.currency),
        'postedDebits', ledger_money(v_debits, v_account.currency),
        'postedCredits', ledger_money(v_credits, v_account.currency)));
  END $$;

-- GET /v1/ledger/accounts/{id}/statement: the account's posted lines in
-- posting order with the running balance after each, keyset-paginated on
-- the account's line sequence (stable: lines are immutable).
--   p_filter: {"from"?, "to"? (entry dates, inclusive), "after"? (cursor), "limit"}
--   returns {"accountId", "code", "currency", "items": [{"seq", "entryId", "date",
--            "description", "lineNo", "amount", "balance", "memo", "createdAt"}],
--            "nextCursor"} or NULL for an unknown account.
CREATE FUNCTION ledger_statement(p_id uuid, p_filter jsonb) RETURNS jsonb
  LANGUAGE plpgsql STABLE
  AS $$
  DECLARE
    v_account ledger_accounts;
    v_limit integer := (p_filter->>'limit')::integer;
    v_after bigint := coalesce((p_filter->>'after')::bigint, 0);
    v_items jsonb;
    v_count integer;
    v_last bigint;
  BEGIN
    SELECT * INTO v_account FROM ledger_accounts WHERE id = p_id;
    IF NOT FOUND THEN
      RETURN NULL;
    END IF;
    SELECT coalesce(jsonb_agg(jsonb_build_object(
             'seq', s.account_seq, 'entryId', s.entry_id, 'kind', s.kind, 'date', s.entry_date,
             'description', s.description, 'lineNo', s.line_no,
             'amount', ledger_money(s.amount, v_account.currency),
             'balance', ledger_money(s.balance_after, v_account.currency),
             'memo', s.memo, 'createdAt', ledger_ts(s.created_at)) ORDER BY s.account_seq)
             FILTER (WHERE s.n <= v_limit), '[]'::jsonb),
           count(*), max(s.account_seq) FILTER (WHERE s.n = v_limit)
      INTO v_items, v_count, v_last
    FROM (
      SELECT l.account_seq, l.entry_id, l.entry_date, l.line_no, l.amount, l.balance_after, l.memo,
             e.kind, e.description, e.created_at,
             row_number() OVER (ORDER BY l.account_seq) AS n
      FROM ledger_lines l JOIN ledger_entries e ON e.id = l.entry_id
      WHERE l.account_id = p_id AND NOT l.pending AND l.account_seq > v_after
        AND (NOT p_filter ? 'from' OR l.entry_date >= (p_filter->>'from')::date)
        AND (NOT p_filter ? 'to' OR l.entry_date <= (p_filter->>'to')::date)
      ORDER BY l.account_seq
      LIMIT v_limit + 1) s;
    RETURN jsonb_build_object('accountId', v_account.id, 'code', v_account.code,
      'currency', v_account.currency, 'items', v_items,
      'nextCursor', CASE WHEN v_count > v_limit THEN v_last::text END);
  END $$;

-- GET /v1/ledger/trial-balance[?asOf=YYYY-MM-DD]: every account's posted
-- debit and credit totals, and per currency the totals, which are equal
-- (their difference is zero) because every entry balances per currency.
--   returns {"asOf", "accounts": [{"accountId", "code", "name", "type", "currency",
--            "debits", "credits", "balance"}], "currencies": [{"currency",
--            "debits", "credits", "difference"}], "balanced": true|false}
CREATE FUNCTION ledger_trial_balance(p_as_of date) RETURNS jsonb
  LANGUAGE sql STABLE
  AS $$
  WITH per_account AS (
    SELECT a.id, a.code, a.name, a.type, a.currency,
           CASE WHEN p_as_of IS NULL THEN a.posted_debits ELSE coalesce(l.debits, 0) END AS debits,
           CASE WHEN p_as_of IS NULL THEN a.posted_credits ELSE coalesce(l.credits, 0) END AS credits
    FROM ledger_accounts a
    LEFT JOIN LATERAL (
      SELECT coalesce(sum(amount) FILTER (WHERE amount > 0), 0)::bigint AS debits,
             coalesce(-sum(amount) FILTER (WHERE amount < 0), 0)::bigint AS credits
      FROM ledger_lines x
      WHERE p_as_of IS NOT NULL AND x.account_id = a.id AND x.entry_date <= p_as_of
        AND NOT x.pending) l ON true
  ), per_currency AS (
    SELECT currency, sum(debits)::bigint AS debits, sum(credits)::bigint AS credits
    FROM per_account GROUP BY currency
  )
  SELECT jsonb_build_object(
    'asOf', p_as_of,
    'accounts', coalesce((SELECT jsonb_agg(jsonb_build_object(
        'accountId', id, 'code', code, 'name', name, 'type', type, 'currency', currency,
        'debits', ledger_money(debits, currency), 'credits', ledger_money(credits, currency),
        'balance', ledger_money(debits - credits, currency)) ORDER BY code)
      FROM per_account WHERE debits <> 0 OR credits <> 0), '[]'::jsonb),
    'currencies', coalesce((SELECT jsonb_agg(jsonb_build_object(
        'currency', currency, 'debits', ledger_money(debits, currency),
        'credits', ledger_money(credits, currency),
        'difference', ledger_money(debits - credits, currency)) ORDER BY currency)
      FROM per_currency), '[]'::jsonb),
    'balanced', coalesce((SELECT bool_and(debits = credits) FROM per_currency), true))
  $$;

-- The set-based path of a batch: all entries checked and written with a
-- handful of statements instead of a function call per entry (what makes bulk
-- imports fast). It applies only to a clean batch -- every account known,
-- open and in the line's currency, every entry balanced, no per-entry
-- Idempotency-Key, no account under the no-negative rule (whose check depends
-- on the order of entries) -- and returns NULL otherwise, having written
-- nothing, so that ledger_post_batch falls back to posting entry by entry
-- (which also names the first problem precisely). The accounts are locked in
-- id order first, as everywhere.
CREATE FUNCTION ledger_post_batch_set(p_entries jsonb, p_actor text) RETURNS jsonb
  LANGUAGE plpgsql
  AS $$
  DECLARE
    v_tenant uuid := ledger_tenant();
    v_today date := (now() AT TIME ZONE 'UTC')::date;
    v_count integer := jsonb_array_length(p_entries);
    v_entry_ids uuid[];
    v_dates date[];
    v_e integer[];
    v_l integer[];
    v_ids uuid[];
    v_amounts bigint[];
    v_currencies text[];
    v_memos text[];
    v_accounts uuid[];
    v_clean boolean;
    v_results jsonb;
    v_entries jsonb;
  BEGIN
    IF v_count = 0 OR EXISTS (
         SELECT 1 FROM jsonb_array_elements(p_entries) e
         WHERE e ? 'idempotencyKey' OR jsonb_typeof(e->'lines') IS DISTINCT FROM 'array'
            OR jsonb_array_length(e->'lines') < 2) THEN
      RETURN NULL;
    END IF;
    SELECT array_agg(e.o::integer ORDER BY e.o, l.o), array_agg(l.o::integer ORDER BY e.o, l.o),
           array_agg(coalesce((l.v->>'accountId')::uuid, c.id) ORDER BY e.o, l.o),
           array_agg((l.v->>'amount')::bigint ORDER BY e.o, l.o),
           array_agg(l.v->>'currency' ORDER BY e.o, l.o),
           array_agg(coalesce(l.v->>'memo', '') ORDER BY e.o, l.o)
      INTO v_e, v_l, v_ids, v_amounts, v_currencies, v_memos
    FROM jsonb_array_elements(p_entries) WITH ORDINALITY AS e(v, o)
    CROSS JOIN LATERAL jsonb_array_elements(e.v->'lines') WITH ORDINALITY AS l(v, o)
    LEFT JOIN ledger_accounts c ON l.v->>'accountId' IS NULL AND c.code = l.v->>'accountCode';
    IF array_position(v_ids, NULL) IS NOT NULL OR array_position(v_amounts, NULL) IS NOT NULL
       OR 0 = ANY (v_amounts) THEN
      RETURN NULL;
    END IF;
    IF EXISTS (SELECT 1 FROM unnest(v_e, v_currencies, v_amounts) AS t(e, c, a)
               GROUP BY e, c HAVING sum(a) <> 0) THEN
      RETURN NULL;
    END IF;
    SELECT array_agg(DISTINCT i) INTO v_accounts FROM unnest(v_ids) i;
    PERFORM 1 FROM ledger_accounts WHERE id = ANY (v_accounts) ORDER BY id FOR UPDATE;
    SELECT count(*) = cardinality(v_accounts)
           AND bool_and(a.status = 'open' AND a.allow_negative)
      INTO v_clean
    FROM ledger_accounts a WHERE a.id = ANY (v_accounts);
    IF NOT v_clean OR EXISTS (
         SELECT 1 FROM unnest(v_ids, v_currencies) AS t(i, c)
         JOIN ledger_accounts a ON a.id = t.i WHERE a.currency <> t.c) THEN
      RETURN NULL;
    END IF;

    SELECT array_agg(gen_random_uuid() ORDER BY e.o),
           array_agg(coalesce((e.v->>'date')::date, v_today) ORDER BY e.o)
      INTO v_entry_ids, v_dates
    FROM jsonb_array_elements(p_entries) WITH ORDINALITY AS e(v, o);

    INSERT INTO ledger_entries (tenant_id, id, kind, entry_date, description, metadata,
                                created_by, created_at)
    SELECT v_tenant, v_entry_ids[e.o], 'standard', v_dates[e.o],
           coalesce(e.v->>'description', ''), coalesce(e.v->'metadata', '{}'::jsonb),
           coalesce(p_actor, ''), clock_timestamp()
    FROM jsonb_array_elements(p_entries) WITH ORDINALITY AS e(v, o)
    ORDER BY e.o;

    -- Lines in batch order; per account, sequence numbers and running
    -- balances continue from the locked counters.
    INSERT INTO ledger_lines (tenant_id, entry_id, line_no, account_id, amount, currency, memo,
                              entry_date, pending, account_seq, balance_after)
    SELECT v_tenant, v_entry_ids[t.e], t.l, t.i, t.a, t.c, t.m, v_dates[t.e], false,
           a.line_seq + row_number() OVER w,
           a.posted_debits - a.posted_credits + sum(t.a) OVER w
    FROM unnest(v_e, v_l, v_ids, v_amounts, v_currencies, v_memos) WITH ORDINALITY
           AS t(e, l, i, a, c, m, k)
    JOIN ledger_accounts a ON a.id = t.i
    WINDOW w AS (PARTITION BY t.i ORDER BY t.k);

    UPDATE ledger_accounts acc
    SET posted_debits = acc.posted_debits + d.debits,
        posted_credits = acc.posted_credits + d.credits,
        line_seq = acc.line_seq + d.n
    FROM (SELECT i, coalesce(sum(a) FILTER (WHERE a > 0), 0) AS debits,
                 coalesce(-sum(a) FILTER (WHERE a < 0), 0) AS credits, count(*) AS n
          FROM unnest(v_ids, v_amounts) AS t(i, a) GROUP BY i) d
    WHERE acc.id = d.i;

    SELECT jsonb_agg(jsonb_build_object('index', o - 1, 'status', 'posted',
                                        'entryId', v_entry_ids[o]) ORDER BY o)
      INTO v_results
    FROM generate_series(1, v_count) AS o;
    SELECT jsonb_agg(jsonb_build_object(
             'id', v_entry_ids[g.e], 'kind', 'standard', 'date', v_dates[g.e],
             'description', coalesce(p_entries->(g.e - 1)->>'description', ''),
             'metadata', coalesce(p_entries->(g.e - 1)->'metadata', '{}'::jsonb),
             'lines', g.lines) ORDER BY g.e)
      INTO v_entries
    FROM (SELECT t.e, jsonb_agg(jsonb_build_object(
                   'lineNo', t.l, 'accountId', t.i, 'accountCode', a.code,
                   'amount', ledger_format_minor(t.a, ledger_currency_exponent(t.c)),
                   'minor', t.a, 'currency', t.c, 'memo', t.m) ORDER BY t.l) AS lines
          FROM unnest(v_e, v_l, v_ids, v_amounts, v_currencies, v_memos) AS t(e, l, i, a, c, m)
          JOIN ledger_accounts a ON a.id = t.i
          GROUP BY t.e) g;
    RETURN jsonb_build_object('results', v_results, 'posted', v_count, 'failed', 0,
                              'entries', v_entries);
  END $$;

-- POST /v1/ledger/entries/batch: many entries in one request.
--   p_entries: [<entry request as for ledger_post_entry, plus "idempotencyKey"?>, ...]
--   p_atomic:  true  all-or-nothing: the first failing entry fails the batch
--                    (BATCH_REJECTED 422, details.index and details.error) and
--                    nothing of it remains;
--              false independent: each entry is posted or refused on its own.
--   returns {"results": [{"index", "status": "posted"|"replayed"|"failed",
--            "entryId"?, "error"?}], "posted": n, "failed": n,
--            "entries": [<each newly posted entry as the API shows it>]}
-- Entries are validated before they write (see ledger_apply_entry), so an
-- independent batch needs no subtransaction per entry; the all-or-nothing
-- batch undoes earlier entries with one exception block.
CREATE FUNCTION ledger_post_batch(p_entries jsonb, p_atomic boolean, p_actor text) RETURNS jsonb
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
    v_result := ledger_post_batch_set(p_entries, p_actor);
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

-- The batch route: ledger_post_batch under the request's Idempotency-Key,
-- plus "entries" (each posted entry as the API shows it, for the plugin's
-- events; not stored for replays).
CREATE FUNCTION ledger_post_batch_request(p_entries jsonb, p_atomic boolean,
                                          p_idempotency_key text, p_actor text) RETURNS jsonb
  LANGUAGE plpgsql
  AS $$
  DECLARE
    v_request jsonb := jsonb_build_object('atomic', p_atomic, 'entries', p_entries);
    v_result jsonb := ledger_idempotency_lookup(p_idempotency_key, 'batches.post', v_request);
  BEGIN
    IF v_result IS NOT NULL THEN
      RETURN v_result;
    END IF;
    v_result := ledger_post_batch(p_entries, p_atomic, p_actor);
    IF v_result ? 'error' THEN
      RETURN v_result;
    END IF;
    v_result := v_result || jsonb_build_object('replayed', false);
    IF p_idempotency_key IS NOT NULL THEN
      PERFORM ledger_idempotency_store(p_idempotency_key, 'batches.post', v_request,
                                       v_result - 'entries');
    END IF;
    RETURN v_result;
  END $$;
