-- ledger 1.0.0: two-phase holds.
--
-- A hold is an entry of kind 'hold' whose lines reserve funds: they count in
-- the accounts' pending counters (and so against "available"), not in the
-- posted balance. It then ends exactly once:
--   posted   captured: a 'hold_post' entry with the same lines is posted;
--   voided   released by request;
--   expired  released because expires_at passed. Expiry is applied lazily:
--            a due hold stops reserving at once (balances and the
--            no-negative rule leave it out), is refused capture, and is
--            marked expired by ledger_expire_holds() (the explicit call).
-- Lock order is the posting engine's: the hold's accounts by id, then the
-- hold row.

-- One hold as the API shows it: the entry with its hold state.
CREATE FUNCTION ledger_hold_json(p_id uuid) RETURNS jsonb
  LANGUAGE sql STABLE
  AS $$ SELECT ledger_entry_json(p_id) $$;

-- Locks the accounts of hold p_id (id order), then the hold row; returns it.
CREATE FUNCTION ledger_lock_hold(p_id uuid) RETURNS ledger_holds
  LANGUAGE plpgsql
  AS $$
  DECLARE
    v_hold ledger_holds;
  BEGIN
    PERFORM 1 FROM ledger_accounts
    WHERE id IN (SELECT account_id FROM ledger_lines WHERE entry_id = p_id)
    ORDER BY id FOR UPDATE;
    SELECT * INTO v_hold FROM ledger_holds WHERE id = p_id FOR UPDATE;
    RETURN v_hold;
  END $$;

-- Releases the pending counters of hold p_id (its accounts are locked).
CREATE FUNCTION ledger_release_pending(p_id uuid) RETURNS void
  LANGUAGE sql
  AS $$
  UPDATE ledger_accounts acc
  SET pending_debits = acc.pending_debits - d.debits,
      pending_credits = acc.pending_credits - d.credits
  FROM (SELECT account_id, coalesce(sum(amount) FILTER (WHERE amount > 0), 0) AS debits,
               coalesce(-sum(amount) FILTER (WHERE amount < 0), 0) AS credits
        FROM ledger_lines WHERE entry_id = p_id GROUP BY account_id) d
  WHERE acc.id = d.account_id
  $$;

-- POST /v1/ledger/holds: reserves funds.
--   p_request: as for ledger_post_entry, plus "expiresAt"? (RFC 3339, future)
--              or "expiresInSeconds"? (from now); neither: the hold never expires
--   returns {"hold": <entry with "hold": {status, expiresAt...}>, "replayed"}
CREATE FUNCTION ledger_create_hold(p_request jsonb, p_idempotency_key text, p_actor text)
  RETURNS jsonb
  LANGUAGE plpgsql
  AS $$
  DECLARE
    v_result jsonb := ledger_idempotency_lookup(p_idempotency_key, 'holds.create', p_request);
    v_expires timestamptz;
    v_id uuid;
  BEGIN
    IF v_result IS NOT NULL THEN
      RETURN v_result;
    END IF;
    IF p_request->>'expiresAt' IS NOT NULL THEN
      BEGIN
        v_expires := (p_request->>'expiresAt')::timestamptz;
      EXCEPTION WHEN others THEN
        RETURN ledger_error(422, 'VALIDATION_FAILED', 'expiresAt must be an RFC 3339 timestamp',
          jsonb_build_object('field', 'expiresAt'));
      END;
    ELSIF p_request ? 'expiresInSeconds' THEN
      v_expires := now() + make_interval(secs => (p_request->>'expiresInSeconds')::integer);
    END IF;
    IF v_expires IS NOT NULL THEN
      IF v_expires <= now() THEN
        RETURN ledger_error(422, 'VALIDATION_FAILED', 'expiresAt must be in the future',
          jsonb_build_object('field', 'expiresAt'));
      END IF;
    END IF;
    v_result := ledger_apply_entry('hold', p_request - 'expiresAt' - 'expiresInSeconds', NULL, NULL,
                                   p_actor);
    IF v_result ? 'error' THEN
      RETURN v_result;
    END IF;
    v_id := (v_result->>'entryId')::uuid;
    INSERT INTO ledger_holds (tenant_id, id, expires_at) VALUES (ledger_tenant(), v_id, v_expires);
    v_result := jsonb_build_object('hold', ledger_hold_json(v_id), 'replayed', false);
    PERFORM ledger_idempotency_store(p_idempotency_key, 'holds.create', p_request, v_result);
    RETURN v_result;
  END $$;

-- Why a hold cannot be captured or voided now, or NULL when it can.
CREATE FUNCTION ledger_hold_refusal(p_id uuid, p_hold ledger_holds) RETURNS jsonb
  LANGUAGE sql STABLE
  AS $$
  SELECT CASE
    WHEN p_hold.id IS NULL THEN
      ledger_error(404, 'HOLD_NOT_FOUND', 'no such hold', jsonb_build_object('holdId', p_id))
    WHEN p_hold.status <> 'pending' THEN
      ledger_error(409, 'HOLD_NOT_PENDING', format('the hold is already %s', p_hold.status),
        jsonb_build_object('holdId', p_id, 'status', p_hold.status))
    WHEN p_hold.expires_at <= now() THEN
      ledger_error(409, 'HOLD_EXPIRED', 'the hold expired at ' || ledger_ts(p_hold.expires_at),
        jsonb_build_object('holdId', p_id, 'status', 'expired',
                           'expiresAt', ledger_ts(p_hold.expires_at)))
  END
  $$;

-- POST /v1/ledger/holds/{id}/post: captures a pending hold in full.
--   p_request: {"date"?, "description"?, "metadata"?}
--   returns {"entry": <the hold_post entry>, "hold": <the hold>, "replayed"}
--   or HOLD_NOT_FOUND 404, HOLD_NOT_PENDING / HOLD_EXPIRED 409.
CREATE FUNCTION ledger_post_hold(p_id uuid, p_request jsonb, p_idempotency_key text,
                                 p_actor text) RETURNS jsonb
  LANGUAGE plpgsql
  AS $$
  DECLARE
    v_operation text := 'holds.post ' || p_id;
    v_result jsonb := ledger_idempotency_lookup(p_idempotency_key, v_operation, p_request);
    v_hold ledger_holds;
    v_entry ledger_entries;
    v_lines jsonb;
    v_posted uuid;
  BEGIN
    IF v_result IS NOT NULL THEN
      RETURN v_result;
    END IF;
    v_hold := ledger_lock_hold(p_id);
    v_result := ledger_hold_refusal(p_id, v_hold);
    IF v_result IS NOT NULL THEN
      RETURN v_result;
    END IF;
    SELECT * INTO v_entry FROM ledger_entries WHERE id = p_id;
    SELECT jsonb_agg(jsonb_build_object('accountId', l.account_id, 'amount', l.amount,
                                        'currency', l.currency, 'memo', l.memo) ORDER BY l.line_no)
      INTO v_lines
    FROM ledger_lines l WHERE l.entry_id = p_id;
    v_result := ledger_apply_entry('hold_post',
      jsonb_build_object('date', p_request->'date',
        'description', coalesce(p_request->>'description', v_entry.description),
        'metadata', v_entry.metadata || coalesce(p_request->'metadata', '{}'::jsonb),
        'lines', v_lines),
      NULL, p_id, p_actor);
    IF v_result ? 'error' THEN
      RETURN v_result;
    END IF;
    v_posted := (v_result->>'entryId')::uuid;
    PERFORM ledger_release_pending(p_id);
    UPDATE ledger_holds SET status = 'posted', resolved_at = now(), resolved_by = p_actor,
                            posted_entry_id = v_posted
    WHERE id = p_id;
    v_result := jsonb_build_object('entry', v_result->'entry',
                                   'hold', ledger_hold_json(p_id), 'replayed', false);
    PERFORM ledger_idempotency_store(p_idempotency_key, v_operation, p_request, v_result);
    RETURN v_result;
  END $$;

-- POST /v1/ledger/holds/{id}/void: releases a pending hold.
--   returns {"hold": <the hold>} or HOLD_NOT_FOUND 404, HOLD_NOT_PENDING /
--   HOLD_EXPIRED 409. Voiding twice answers HOLD_NOT_PENDING (status voided).
CREATE FUNCTION ledger_void_hold(p_id uuid, p_actor text) RETURNS jsonb
  LANGUAGE plpgsql
  AS $$
  DECLARE
    v_hold ledger_holds;
    v_refusal jsonb;
  BEGIN
    PERFORM ledger_tenant();
    v_hold := ledger_lock_hold(p_id);
    v_refusal := ledger_hold_refusal(p_id, v_hold);
    IF v_refusal IS NOT NULL THEN
      RETURN v_refusal;
    END IF;
    PERFORM ledger_release_pending(p_id);
    UPDATE ledger_holds SET status = 'voided', resolved_at = now(), resolved_by = p_actor
    WHERE id = p_id;
    RETURN jsonb_build_object('hold', ledger_hold_json(p_id));
  END $$;

-- POST /v1/ledger/holds/expire: marks up to p_limit due holds expired and
-- releases what they reserved. All their accounts are locked at once, in id
-- order, before any hold row (the posting engine's order).
--   returns {"expired": [hold ids], "count": n}
CREATE FUNCTION ledger_expire_holds(p_limit integer, p_actor text) RETURNS jsonb
  LANGUAGE plpgsql
  AS $$
  DECLARE
    v_due uuid[];
    v_done uuid[] := '{}';
    v_hold ledger_holds;
  BEGIN
    PERFORM ledger_tenant();
    SELECT array_agg(id ORDER BY expires_at, id) INTO v_due FROM (
      SELECT id, expires_at FROM ledger_holds
      WHERE status = 'pending' AND expires_at <= now()
      ORDER BY expires_at, id LIMIT p_limit) due;
    IF v_due IS NULL THEN
      RETURN jsonb_build_object('expired', '[]'::jsonb, 'count', 0);
    END IF;
    PERFORM 1 FROM ledger_accounts
    WHERE id IN (SELECT account_id FROM ledger_lines WHERE entry_id = ANY (v_due))
    ORDER BY id FOR UPDATE;
    FOR v_hold IN SELECT * FROM ledger_holds WHERE id = ANY (v_due) ORDER BY id FOR UPDATE LOOP
      CONTINUE WHEN v_hold.status <> 'pending';  -- resolved meanwhile
      PERFORM ledger_release_pending(v_hold.id);
      UPDATE ledger_holds SET status = 'expired', resolved_at = now(), resolved_by = p_actor
      WHERE id = v_hold.id;
      v_done := v_done || v_hold.id;
    END LOOP;
    RETURN jsonb_build_object('expired', to_jsonb(v_done), 'count', cardinality(v_done));
  END $$;

-- GET /v1/ledger/holds/{id}: the hold, or NULL.
CREATE FUNCTION ledger_get_hold(p_id uuid) RETURNS jsonb
  LANGUAGE sql STABLE
  AS $$ SELECT ledger_hold_json(e.id) FROM ledger_entries e WHERE e.id = p_id AND e.kind = 'hold' $$;
