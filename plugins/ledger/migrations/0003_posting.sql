-- ledger 1.0.0: posting journal entries, idempotency, reversal.
--
-- Concurrency design: a posting locks the rows of every account it touches
-- with one SELECT ... ORDER BY id FOR UPDATE (PostgreSQL locks in sort
-- order), so any two postings lock their common accounts in the same order
-- and cannot deadlock each other. Every check that depends on balances
-- (no-negative rule, closed account) runs under those locks, and the lines,
-- the counters and the running balances are written under them: no lost
-- update, no read-then-write race, one round trip per posting.

-- One entry as the API shows it (NULL if there is no such entry).
-- plpgsql, not sql: its statements' plans are cached per session.
CREATE FUNCTION ledger_entry_json(p_id uuid) RETURNS jsonb
  LANGUAGE plpgsql STABLE
  AS $$
  DECLARE
    v_entry ledger_entries;
    v_reversed_by uuid;
    v_hold jsonb;
    v_lines jsonb;
  BEGIN
    SELECT * INTO v_entry FROM ledger_entries WHERE id = p_id;
    IF NOT FOUND THEN
      RETURN NULL;
    END IF;
    IF v_entry.kind <> 'reversal' THEN
      SELECT id INTO v_reversed_by FROM ledger_entries WHERE reverses_id = p_id;
    END IF;
    IF v_entry.kind = 'hold' THEN
      SELECT jsonb_build_object(
               'status', CASE WHEN h.status = 'pending' AND h.expires_at <= now()
                              THEN 'expired' ELSE h.status END,
               'expiresAt', ledger_ts(h.expires_at), 'resolvedAt', ledger_ts(h.resolved_at),
               'postedEntryId', h.posted_entry_id)
        INTO v_hold
      FROM ledger_holds h WHERE h.id = p_id;
    END IF;
    SELECT jsonb_agg(jsonb_build_object(
             'lineNo', l.line_no, 'accountId', l.account_id, 'accountCode', a.code,
             'amount', ledger_format_minor(l.amount, ledger_currency_exponent(l.currency)),
             'minor', l.amount, 'currency', l.currency, 'memo', l.memo,
             'pending', l.pending) ORDER BY l.line_no)
      INTO v_lines
    FROM ledger_lines l JOIN ledger_accounts a ON a.id = l.account_id
    WHERE l.entry_id = p_id;
    RETURN jsonb_build_object(
      'id', v_entry.id, 'kind', v_entry.kind, 'date', v_entry.entry_date,
      'description', v_entry.description, 'metadata', v_entry.metadata,
      'createdBy', v_entry.created_by, 'createdAt', ledger_ts(v_entry.created_at),
      'reversesId', v_entry.reverses_id, 'reversedById', v_reversed_by,
      'holdId', v_entry.hold_id, 'hold', v_hold, 'lines', v_lines);
  END $$;

-- Idempotency, first half: what to answer if `p_key` was used before.
--   NULL                  never used: go ahead (and call ledger_idempotency_store);
--   the stored response   with "replayed": true, when operation and request match;
--   IDEMPOTENCY_CONFLICT  (409) when the key was used for something else.
CREATE FUNCTION ledger_idempotency_lookup(p_key text, p_operation text, p_request jsonb)
  RETURNS jsonb
  LANGUAGE plpgsql STABLE
  AS $$
  DECLARE
    v_row ledger_idempotency;
  BEGIN
    IF p_key IS NULL THEN
      RETURN NULL;
    END IF;
    SELECT * INTO v_row FROM ledger_idempotency WHERE key = p_key;
    IF NOT FOUND THEN
      RETURN NULL;
    END IF;
    IF v_row.operation <> p_operation
       OR v_row.request_hash <> sha256(convert_to(p_operation || ' ' || p_request::text, 'UTF8')) THEN
      RETURN ledger_error(409, 'IDEMPOTENCY_CONFLICT',
        'this Idempotency-Key was already used with a different request',
        jsonb_build_object('idempotencyKey', p_key, 'firstUsedAt', ledger_ts(v_row.created_at)));
    END IF;
    RETURN v_row.response || '{"replayed": true}';
  END $$;

-- Idempotency, second half: remembers the response. A concurrent request
-- with the same key that got here first makes this INSERT fail with
-- unique_violation (SQLSTATE 23505): the kernel answers 409 and rolls back.
CREATE FUNCTION ledger_idempotency_store(p_key text, p_operation text, p_request jsonb,
                                         p_response jsonb) RETURNS void
  LANGUAGE sql
  AS $$
  INSERT INTO ledger_idempotency (tenant_id, key, operation, request_hash, response)
  SELECT ledger_tenant(), p_key, p_operation,
         sha256(convert_to(p_operation || ' ' || p_request::text, 'UTF8')), p_response
  WHERE p_key IS NOT NULL
  $$;

-- The posting engine shared by every operation that writes lines.
--   p_kind     standard | reversal | hold | hold_post
--   p_request  {"date"?: "YYYY-MM-DD", "description"?, "metadata"?,
--               "lines": [{"accountId" | "accountCode", "amount": <signed minor units,
--                          + debit, - credit>, "currency", "memo"?}, ...]}
--              (the date is a valid calendar date: the plugin checks it)
--   p_reverses the reversed entry (reversal), p_hold the captured hold (hold_post)
-- Returns {"entryId": uuid, "entry": <the entry as the API shows it>} or an
-- error value; writes nothing on error. Built for one round trip: every
-- statement below has a cached plan, the response is assembled from what
-- the function already holds instead of being read back.
CREATE FUNCTION ledger_apply_entry(p_kind text, p_request jsonb, p_reverses uuid, p_hold uuid,
                                   p_actor text) RETURNS jsonb
  LANGUAGE plpgsql
  AS $$
  DECLARE
    v_tenant uuid := ledger_tenant();
    v_pending boolean := p_kind = 'hold';
    v_date date := coalesce((p_request->>'date')::date, (now() AT TIME ZONE 'UTC')::date);
    v_description text := coalesce(p_request->>'description', '');
    v_metadata jsonb := coalesce(p_request->'metadata', '{}'::jsonb);
    v_ids uuid[];
    v_amounts bigint[];
    v_currencies text[];
    v_memos text[];
    v_codes text[];
    v_missing integer;
    v_bad record;
    v_account ledger_accounts;
    v_acc_ids uuid[] := '{}';       -- locked accounts, in id order, and per account:
    v_acc_codes text[] := '{}';     --   code
    v_acc_balance bigint[] := '{}'; --   posted balance before this entry
    v_acc_seq bigint[] := '{}';     --   line_seq before this entry
    v_acc_debits bigint[] := '{}';  --   this entry's debits
    v_acc_credits bigint[] := '{}'; --   this entry's credits
    v_acc_lines bigint[] := '{}';   --   this entry's lines
    v_distinct integer;
    v_debits bigint;
    v_credits bigint;
    v_n bigint;
    v_due_debits bigint;
    v_due_credits bigint;
    v_old bigint;
    v_new bigint;
    v_entry uuid := gen_random_uuid();
    v_created_at timestamptz := clock_timestamp();
    v_lines jsonb;
    k integer;
  BEGIN
    IF jsonb_typeof(p_request->'lines') IS DISTINCT FROM 'array'
       OR jsonb_array_length(p_request->'lines') < 2 THEN
      RETURN ledger_error(422, 'VALIDATION_FAILED', 'an entry needs at least two lines',
        jsonb_build_object('field', 'lines'));
    END IF;

    -- Lines in order, account codes resolved to ids (RLS: only this tenant's).
    SELECT array_agg(coalesce((x.l->>'accountId')::uuid, c.id) ORDER BY x.o),
           array_agg((x.l->>'amount')::bigint ORDER BY x.o),
           array_agg(x.l->>'currency' ORDER BY x.o),
           array_agg(coalesce(x.l->>'memo', '') ORDER BY x.o),
           array_agg(x.l->>'accountCode' ORDER BY x.o),
           min(x.o) FILTER (WHERE x.l->>'accountId' IS NULL AND c.id IS NULL),
           count(DISTINCT coalesce((x.l->>'accountId')::uuid, c.id))
      INTO v_ids, v_amounts, v_currencies, v_memos, v_codes, v_missing, v_distinct
    FROM jsonb_array_elements(p_request->'lines') WITH ORDINALITY AS x(l, o)
    LEFT JOIN ledger_accounts c ON x.l->>'accountId' IS NULL AND c.code = x.l->>'accountCode';
    IF v_missing IS NOT NULL THEN
      RETURN ledger_error(422, 'ACCOUNT_NOT_FOUND',
        format('line %s: no account with code %s', v_missing, coalesce(v_codes[v_missing], 'null')),
        jsonb_build_object('line', v_missing, 'accountCode', v_codes[v_missing]));
    END IF;
    IF 0 = ANY (v_amounts) OR array_position(v_amounts, NULL) IS NOT NULL THEN
      RETURN ledger_error(422, 'VALIDATION_FAILED', 'every line needs a non-zero amount',
        jsonb_build_object('field', 'lines'));
    END IF;

    -- Balanced per currency (before taking any lock).
    SELECT c AS currency, sum(a) AS total,
           sum(a) FILTER (WHERE a > 0) AS debits, -sum(a) FILTER (WHERE a < 0) AS credits
      INTO v_bad
    FROM unnest(v_currencies, v_amounts) AS t(c, a)
    GROUP BY c HAVING sum(a) <> 0 ORDER BY c LIMIT 1;
    IF FOUND THEN
      RETURN ledger_error(422, 'UNBALANCED_ENTRY',
        format('the entry does not balance in %s: debits %s, credits %s (difference %s)',
          v_bad.currency,
          ledger_format_minor(coalesce(v_bad.debits, 0)::bigint, ledger_currency_exponent(v_bad.currency)),
          ledger_format_minor(coalesce(v_bad.credits, 0)::bigint, ledger_currency_exponent(v_bad.currency)),
          ledger_format_minor(v_bad.total::bigint, ledger_currency_exponent(v_bad.currency))),
        jsonb_build_object('currency', v_bad.currency,
          'difference', ledger_money(v_bad.total::bigint, v_bad.currency)));
    END IF;

    -- Lock every touched account in id order, and check each under its lock.
    FOR v_account IN
      SELECT * FROM ledger_accounts WHERE id = ANY (v_ids) ORDER BY id FOR UPDATE
    LOOP
      IF v_account.status <> 'open' THEN
        RETURN ledger_error(422, 'ACCOUNT_CLOSED',
          format('account %s is closed and accepts no postings', v_account.code),
          jsonb_build_object('accountId', v_account.id, 'code', v_account.code));
      END IF;
      v_debits := 0;
      v_credits := 0;
      v_n := 0;
      FOR k IN 1 .. cardinality(v_ids) LOOP
        CONTINUE WHEN v_ids[k] <> v_account.id;
        IF v_currencies[k] <> v_account.currency THEN
          RETURN ledger_error(422, 'CURRENCY_MISMATCH',
            format('line %s is in %s but account %s is in %s', k, v_currencies[k],
                   v_account.code, v_account.currency),
            jsonb_build_object('line', k, 'accountId', v_account.id, 'code', v_account.code,
                               'currency', v_currencies[k], 'accountCurrency', v_account.currency));
        END IF;
        IF v_amounts[k] > 0 THEN
          v_debits := v_debits + v_amounts[k];
        ELSE
          v_credits := v_credits - v_amounts[k];
        END IF;
        v_n := v_n + 1;
      END LOOP;

      -- The no-negative rule, on the account's normal side, against the
      -- available balance (posted minus live pending reservations). A
      -- capture (hold_post) moves pending to posted and never lowers it.
      IF NOT v_account.allow_negative AND p_kind <> 'hold_post' THEN
        v_due_debits := 0;
        v_due_credits := 0;
        IF v_account.pending_debits > 0 OR v_account.pending_credits > 0 THEN
          SELECT d.debits, d.credits INTO v_due_debits, v_due_credits
          FROM ledger_due_pending(v_account.id) d;
        END IF;
        IF ledger_debit_normal(v_account.type) THEN
          v_old := v_account.posted_debits - v_account.posted_credits
                   - (v_account.pending_credits - v_due_credits);
          v_new := v_old + CASE WHEN v_pending THEN 0 ELSE v_debits END - v_credits;
        ELSE
          v_old := v_account.posted_credits - v_account.posted_debits
                   - (v_account.pending_debits - v_due_debits);
          v_new := v_old + CASE WHEN v_pending THEN 0 ELSE v_credits END - v_debits;
        END IF;
        IF v_new < 0 AND v_new < v_old THEN
          RETURN ledger_error(422, 'INSUFFICIENT_FUNDS',
            format('account %s may not go negative: available %s, this %s would leave %s',
              v_account.code, ledger_format_minor(v_old, ledger_currency_exponent(v_account.currency)),
              CASE WHEN v_pending THEN 'hold' ELSE 'entry' END,
              ledger_format_minor(v_new, ledger_currency_exponent(v_account.currency))),
            jsonb_build_object('accountId', v_account.id, 'code', v_account.code,
              'available', ledger_money(v_old, v_account.currency),
              'wouldBe', ledger_money(v_new, v_account.currency)));
        END IF;
      END IF;
      v_acc_ids := v_acc_ids || v_account.id;
      v_acc_codes := v_acc_codes || v_account.code;
      v_acc_balance := v_acc_balance || (v_account.posted_debits - v_account.posted_credits);
      v_acc_seq := v_acc_seq || v_account.line_seq;
      v_acc_debits := v_acc_debits || v_debits;
      v_acc_credits := v_acc_credits || v_credits;
      v_acc_lines := v_acc_lines || v_n;
    END LOOP;
    IF cardinality(v_acc_ids) <> v_distinct THEN
      SELECT min(o) AS line, min(i::text) AS id INTO v_bad
      FROM unnest(v_ids) WITH ORDINALITY AS t(i, o) WHERE i <> ALL (v_acc_ids);
      RETURN ledger_error(422, 'ACCOUNT_NOT_FOUND', format('line %s: no such account', v_bad.line),
        jsonb_build_object('line', v_bad.line, 'accountId', v_bad.id));
    END IF;

    -- Write: the entry, its lines (with per-account sequence and running
    -- balance for posted lines), then the counters, one primary-key update
    -- per account.
    INSERT INTO ledger_entries (tenant_id, id, kind, entry_date, description, metadata,
                                reverses_id, hold_id, created_by, created_at)
    VALUES (v_tenant, v_entry, p_kind, v_date, v_description, v_metadata, p_reverses, p_hold,
            coalesce(p_actor, ''), v_created_at);

    WITH numbered AS (
      SELECT t.i, t.a, t.c, t.m, t.o, array_position(v_acc_ids, t.i) AS p,
             row_number() OVER w AS nth, sum(t.a) OVER w AS running
      FROM unnest(v_ids, v_amounts, v_currencies, v_memos) WITH ORDINALITY AS t(i, a, c, m, o)
      WINDOW w AS (PARTITION BY t.i ORDER BY t.o)
    ), inserted AS (
      INSERT INTO ledger_lines (tenant_id, entry_id, line_no, account_id, amount, currency, memo,
                                entry_date, pending, account_seq, balance_after)
      SELECT v_tenant, v_entry, n.o, n.i, n.a, n.c, n.m, v_date, v_pending,
             CASE WHEN v_pending THEN NULL ELSE v_acc_seq[n.p] + n.nth END,
             CASE WHEN v_pending THEN NULL ELSE v_acc_balance[n.p] + n.running END
      FROM numbered n
    )
    SELECT jsonb_agg(jsonb_build_object(
             'lineNo', n.o, 'accountId', n.i, 'accountCode', v_acc_codes[n.p],
             'amount', ledger_format_minor(n.a, ledger_currency_exponent(n.c)),
             'minor', n.a, 'currency', n.c, 'memo', n.m, 'pending', v_pending) ORDER BY n.o)
      INTO v_lines
    FROM numbered n;

    FOR k IN 1 .. cardinality(v_acc_ids) LOOP
      IF v_pending THEN
        UPDATE ledger_accounts
        SET pending_debits = pending_debits + v_acc_debits[k],
            pending_credits = pending_credits + v_acc_credits[k]
        WHERE id = v_acc_ids[k];
      ELSE
        UPDATE ledger_accounts
        SET posted_debits = posted_debits + v_acc_debits[k],
            posted_credits = posted_credits + v_acc_credits[k],
            line_seq = line_seq + v_acc_lines[k]
        WHERE id = v_acc_ids[k];
      END IF;
    END LOOP;

    RETURN jsonb_build_object('entryId', v_entry, 'entry', jsonb_build_object(
      'id', v_entry, 'kind', p_kind, 'date', v_date, 'description', v_description,
      'metadata', v_metadata, 'createdBy', coalesce(p_actor, ''),
      'createdAt', ledger_ts(v_created_at), 'reversesId', p_reverses, 'reversedById', NULL,
      'holdId', p_hold, 'hold', NULL, 'lines', v_lines));
  END $$;

-- POST /v1/ledger/entries: posts one balanced entry.
--   p_request: as for ledger_apply_entry; p_idempotency_key: the header or NULL.
--   returns {"entry": {...}, "replayed": false|true} or an error value.
CREATE FUNCTION ledger_post_entry(p_request jsonb, p_idempotency_key text, p_actor text)
  RETURNS jsonb
  LANGUAGE plpgsql
  AS $$
  DECLARE
    v_result jsonb := ledger_idempotency_lookup(p_idempotency_key, 'entries.post', p_request);
  BEGIN
    IF v_result IS NOT NULL THEN
      RETURN v_result;
    END IF;
    v_result := ledger_apply_entry('standard', p_request, NULL, NULL, p_actor);
    IF v_result ? 'error' THEN
      RETURN v_result;
    END IF;
    v_result := jsonb_build_object('entry', v_result->'entry', 'replayed', false);
    IF p_idempotency_key IS NOT NULL THEN
      PERFORM ledger_idempotency_store(p_idempotency_key, 'entries.post', p_request, v_result);
    END IF;
    RETURN v_result;
  END $$;

-- POST /v1/ledger/entries/{id}/reverse: posts the mirror of an entry (every
-- line negated) and links both. An entry is reversed at most once; holds
-- are voided, not reversed; a reversal is not reversed again.
--   p_request: {"date"?, "description"?, "metadata"?}
--   returns {"entry": <the reversal>, "reversed": <the original>, "replayed"}
--   or ENTRY_NOT_FOUND 404, NOT_REVERSIBLE / ALREADY_REVERSED 409, or any
--   posting error (ACCOUNT_CLOSED, INSUFFICIENT_FUNDS...).
CREATE FUNCTION ledger_reverse_entry(p_id uuid, p_request jsonb, p_idempotency_key text,
                                     p_actor text) RETURNS jsonb
  LANGUAGE plpgsql
  AS $$
  DECLARE
    v_operation text := 'entries.reverse ' || p_id;
    v_result jsonb := ledger_idempotency_lookup(p_idempotency_key, v_operation, p_request);
    v_entry ledger_entries;
    v_reversal uuid;
    v_lines jsonb;
  BEGIN
    IF v_result IS NOT NULL THEN
      RETURN v_result;
    END IF;
    SELECT * INTO v_entry FROM ledger_entries WHERE id = p_id;
    IF NOT FOUND THEN
      RETURN ledger_error(404, 'ENTRY_NOT_FOUND', 'no such entry', jsonb_build_object('entryId', p_id));
    END IF;
    IF v_entry.kind IN ('hold', 'reversal') THEN
      RETURN ledger_error(409, 'NOT_REVERSIBLE',
        CASE v_entry.kind WHEN 'hold' THEN 'a hold is not reversed: void it, or reverse its capture'
             ELSE 'a reversal cannot itself be reversed: post a new entry' END,
        jsonb_build_object('entryId', p_id, 'kind', v_entry.kind));
    END IF;
    SELECT id INTO v_reversal FROM ledger_entries WHERE reverses_id = p_id;
    IF FOUND THEN
      RETURN ledger_error(409, 'ALREADY_REVERSED', 'this entry was already reversed',
        jsonb_build_object('entryId', p_id, 'reversedById', v_reversal));
    END IF;
    SELECT jsonb_agg(jsonb_build_object('accountId', l.account_id, 'amount', -l.amount,
                                        'currency', l.currency, 'memo', l.memo) ORDER BY l.line_no)
      INTO v_lines
    FROM ledger_lines l WHERE l.entry_id = p_id;
    v_result := ledger_apply_entry('reversal',
      jsonb_build_object(
        'date', p_request->'date',
        'description', coalesce(p_request->>'description', 'Reversal of ' || p_id),
        'metadata', coalesce(p_request->'metadata', '{}'::jsonb),
        'lines', v_lines),
      p_id, NULL, p_actor);
    IF v_result ? 'error' THEN
      RETURN v_result;
    END IF;
    v_result := jsonb_build_object('entry', v_result->'entry',
                                   'reversed', ledger_entry_json(p_id), 'replayed', false);
    PERFORM ledger_idempotency_store(p_idempotency_key, v_operation, p_request, v_result);
    RETURN v_result;
  END $$;

-- GET /v1/ledger/entries/{id}: the entry, or NULL.
CREATE FUNCTION ledger_get_entry(p_id uuid) RETURNS jsonb
  LANGUAGE sql STABLE
  AS $$ SELECT ledger_entry_json(p_id) $$;

-- GET /v1/ledger/entries: entries newest first, keyset-paginated.
--   p_filter: {"from"?, "to"? (entry dates, inclusive), "accountId"?,
--              "metadata"? (JSON object the entry's metadata contains),
--              "kind"?, "before"? (cursor from nextCursor), "limit"}
--   returns {"items": [...], "nextCursor": text | null}
CREATE FUNCTION ledger_list_entries(p_filter jsonb) RETURNS jsonb
  LANGUAGE plpgsql STABLE
  AS $$
  DECLARE
    v_limit integer := (p_filter->>'limit')::integer;
    v_cursor_at timestamptz;
    v_cursor_id uuid;
    v_ids uuid[];
    v_next text;
  BEGIN
    IF p_filter ? 'before' THEN
      BEGIN
        v_cursor_at := split_part(p_filter->>'before', '~', 1)::timestamptz;
        v_cursor_id := split_part(p_filter->>'before', '~', 2)::uuid;
      EXCEPTION WHEN others THEN
        RETURN ledger_error(422, 'VALIDATION_FAILED', 'cursor is not one this API returned',
          jsonb_build_object('field', 'cursor'));
      END;
    END IF;
    SELECT array_agg(id ORDER BY created_at DESC, id DESC) INTO v_ids FROM (
      SELECT e.id, e.created_at FROM ledger_entries e
      WHERE (NOT p_filter ? 'from' OR e.entry_date >= (p_filter->>'from')::date)
        AND (NOT p_filter ? 'to' OR e.entry_date <= (p_filter->>'to')::date)
        AND (NOT p_filter ? 'kind' OR e.kind = p_filter->>'kind')
        AND (NOT p_filter ? 'metadata' OR e.metadata @> (p_filter->'metadata'))
        AND (NOT p_filter ? 'accountId' OR EXISTS (
              SELECT 1 FROM ledger_lines l
              WHERE l.entry_id = e.id AND l.account_id = (p_filter->>'accountId')::uuid))
        AND (v_cursor_at IS NULL OR (e.created_at, e.id) < (v_cursor_at, v_cursor_id))
      ORDER BY e.created_at DESC, e.id DESC
      LIMIT v_limit + 1) page;
    v_ids := coalesce(v_ids, '{}');
    IF cardinality(v_ids) > v_limit THEN
      SELECT ledger_ts(created_at) || '~' || id INTO v_next
      FROM ledger_entries WHERE id = v_ids[v_limit];
    END IF;
    RETURN jsonb_build_object(
      'items', coalesce((SELECT jsonb_agg(ledger_entry_json(i) ORDER BY o)
                         FROM unnest(v_ids[1:v_limit]) WITH ORDINALITY AS t(i, o)), '[]'::jsonb),
      'nextCursor', v_next);
  END $$;
