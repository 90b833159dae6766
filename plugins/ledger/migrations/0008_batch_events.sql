-- ledger 1.0.0, issue 6: a batch hands the plugin its events ready to publish.
--
-- A batch answered "entries" (every posted entry with its lines) only so that
-- the plugin could turn each into a ledger.entry.posted event: it parsed the
-- whole array (~250 kB for 500 entries), rebuilt each payload and serialized
-- it again, while the batch's account rows stayed locked until COMMIT. Now the
-- batch answers "events": one {"entryId", "payload"} per posted entry, in
-- batch order, where payload is exactly the single posting's event payload
-- (ledger_plugin.cpp, entry_summary):
--   {"entryId", "kind", "date", "description", "metadata",
--    "lines": [{"accountId", "accountCode", "amount", "minor", "currency"}]}
-- ledger_batch_events turns them into JSON Lines the plugin publishes as they
-- are, without parsing them. Like "entries" before, "events" is not part of
-- the HTTP answer nor of a stored idempotent result.

-- The event payload of a posted entry, from ledger_entry_json's shape (the
-- batch's entry-by-entry path).
CREATE FUNCTION ledger_entry_event(p_entry jsonb) RETURNS jsonb
  LANGUAGE sql IMMUTABLE
  AS $$
  SELECT jsonb_build_object(
           'entryId', p_entry->'id', 'kind', p_entry->'kind', 'date', p_entry->'date',
           'description', p_entry->'description', 'metadata', p_entry->'metadata',
           'lines', (SELECT jsonb_agg(jsonb_build_object(
                                        'accountId', l.v->'accountId',
                                        'accountCode', l.v->'accountCode',
                                        'amount', l.v->'amount', 'minor', l.v->'minor',
                                        'currency', l.v->'currency') ORDER BY l.o)
                       FROM jsonb_array_elements(p_entry->'lines') WITH ORDINALITY AS l(v, o)))
  $$;

-- A batch result's events as JSON Lines, one "<entryId><TAB><payload>" line
-- per event in batch order (NULL when there are none). jsonb's text output
-- escapes control characters inside strings, so neither a tab nor a newline
-- can occur in a payload.
CREATE FUNCTION ledger_batch_events(p_result jsonb) RETURNS text
  LANGUAGE sql IMMUTABLE
  AS $$
  SELECT string_agg((e.v->>'entryId') || E'\t' || (e.v->'payload')::text, E'\n' ORDER BY e.o)
  FROM jsonb_array_elements(coalesce(p_result->'events', '[]')) WITH ORDINALITY AS e(v, o)
  $$;

-- As in 0007, answering "events" instead of "entries" (written as text, see
-- 0007 for why).
CREATE OR REPLACE FUNCTION ledger_batch_response(p_e integer[], p_l integer[], p_ids uuid[],
    p_amounts bigint[], p_memos text[], p_entry_ids uuid[], p_dates date[],
    p_descriptions text[], p_metadata text[], p_line_counts integer[], p_bad integer[],
    p_errors jsonb[], p_acc_ids uuid[], p_acc_codes_json text[], p_acc_currencies_json text[],
    p_acc_exponents integer[], p_acc_scales bigint[])
  RETURNS jsonb
  LANGUAGE plpgsql STABLE
  AS $$
  DECLARE
    v_results text;
    v_events text;
  BEGIN
    SELECT string_agg(CASE WHEN b.p IS NULL
             THEN '{"index":' || (o - 1) || ',"status":"posted","entryId":"'
                  || p_entry_ids[o] || '"}'
             ELSE '{"index":' || (o - 1) || ',"status":"failed","error":'
                  || p_errors[b.p]::text || '}' END, ',' ORDER BY o)
      INTO v_results
    FROM generate_series(1, cardinality(p_entry_ids)) AS o
    CROSS JOIN LATERAL (SELECT array_position(p_bad, o) AS p) b;
    SELECT string_agg('{"entryId":"' || p_entry_ids[x.e] || '","payload":'
             || '{"entryId":"' || p_entry_ids[x.e] || '","kind":"standard","date":'
             || to_json(p_dates[x.e])::text || ',"description":' || p_descriptions[x.e]
             || ',"metadata":' || p_metadata[x.e] || ',"lines":[' || x.lines || ']}}',
             ',' ORDER BY x.e)
      INTO v_events
    FROM (SELECT t.e,
                 string_agg('{"accountId":"' || t.i || '","accountCode":' || acc.code
                            || ',"amount":"' || ledger_format_scaled(t.a, acc.exponent, acc.scale)
                            || '","minor":' || t.a || ',"currency":' || acc.currency || '}',
                            ',' ORDER BY t.k) AS lines
          FROM unnest(p_e, p_ids, p_amounts) WITH ORDINALITY AS t(e, i, a, k)
          JOIN unnest(p_acc_ids, p_acc_codes_json, p_acc_currencies_json, p_acc_exponents,
                      p_acc_scales) AS acc(i, code, currency, exponent, scale) ON acc.i = t.i
          WHERE t.e <> ALL (p_bad)
          GROUP BY t.e) x;
    RETURN ('{"results":[' || v_results || '],"posted":'
            || (cardinality(p_entry_ids) - cardinality(p_bad)) || ',"failed":'
            || cardinality(p_bad) || ',"replayed":false,"events":[' || coalesce(v_events, '')
            || ']}')::jsonb;
  END $$;

-- As in 0007, answering "events" instead of "entries".
CREATE OR REPLACE FUNCTION ledger_post_batch(p_entries jsonb, p_atomic boolean, p_actor text)
  RETURNS jsonb
  LANGUAGE plpgsql
  AS $$
  DECLARE
    v_results jsonb[] := '{}';  -- appended in place: O(1) per entry
    v_events jsonb[] := '{}';   -- the posted entries' events
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
            v_events := v_events || jsonb_build_object(
              'entryId', v_result->'entry'->'id',
              'payload', ledger_entry_event(v_result->'entry'));
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
                              'failed', v_failed, 'events', to_jsonb(v_events));
  END $$;

-- As in 0007; the stored result leaves out the events (they were published).
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
                                       v_result - 'events');
    END IF;
    RETURN v_result;
  END $$;
