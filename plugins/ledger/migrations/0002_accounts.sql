-- ledger 1.0.0: shared helpers and the chart of accounts.
--
-- Every ledger_* function is SECURITY INVOKER (the default): it runs as the
-- runtime role inside the request's tenant transaction, so row-level
-- security scopes every statement in it exactly as it scopes the plugin's.
-- Business-rule failures are returned as values, never raised:
--   {"error": {"status": 422, "code": "ACCOUNT_CLOSED", "message": "...", "details": {...}}}
-- and every function validates before it writes, so a failure leaves no
-- trace even if the caller were to commit. Only defects (and concurrent
-- reuse of one Idempotency-Key, SQLSTATE 23505) raise.

-- An error value as described above.
-- (STABLE like jsonb_build_object: a SQL function declared less volatile
-- than its body is never inlined, and then costs a parse and plan per call.)
CREATE FUNCTION ledger_error(p_status integer, p_code text, p_message text,
                             p_details jsonb DEFAULT '{}') RETURNS jsonb
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $$
  SELECT jsonb_build_object('error', jsonb_build_object(
    'status', p_status, 'code', p_code, 'message', p_message,
    'details', coalesce(p_details, '{}'::jsonb)))
  $$;

-- The request's tenant; raises when none is set (RLS would show nothing and
-- refuse every insert anyway; failing loudly names the defect).
CREATE FUNCTION ledger_tenant() RETURNS uuid
  LANGUAGE plpgsql STABLE
  AS $$
  DECLARE
    v_tenant uuid := fk_current_tenant();
  BEGIN
    IF v_tenant IS NULL THEN
      RAISE EXCEPTION 'ledger: no tenant is set for this transaction'
        USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN v_tenant;
  END $$;

-- RFC 3339 UTC text for timestamps in responses.
CREATE FUNCTION ledger_ts(p_at timestamptz) RETURNS text
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $$ SELECT to_char(p_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') $$;

-- A money value in responses: decimal string and exact minor units.
CREATE FUNCTION ledger_money(p_minor bigint, p_currency text) RETURNS jsonb
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $$
  SELECT jsonb_build_object(
    'amount', ledger_format_minor(p_minor, ledger_currency_exponent(p_currency)),
    'minor', p_minor, 'currency', p_currency)
  $$;

-- Balances of one account row as a JSON object. Amounts are debit-positive
-- (debits minus credits), like ledger-cli prints them; "available" is on
-- the account's normal side (credit-normal types flip the sign) and
-- excludes holds that are due but not yet marked expired.
--   p_due_debits / p_due_credits: pending amounts of due holds (see
--   ledger_due_pending).
CREATE FUNCTION ledger_balance_json(a ledger_accounts, p_due_debits bigint, p_due_credits bigint)
  RETURNS jsonb
  LANGUAGE sql STABLE
  AS $$
  SELECT jsonb_build_object(
    'posted', ledger_money(a.posted_debits - a.posted_credits, a.currency),
    'postedDebits', ledger_money(a.posted_debits, a.currency),
    'postedCredits', ledger_money(a.posted_credits, a.currency),
    'pendingDebits', ledger_money(a.pending_debits - p_due_debits, a.currency),
    'pendingCredits', ledger_money(a.pending_credits - p_due_credits, a.currency),
    'available', ledger_money(
      CASE WHEN ledger_debit_normal(a.type)
        THEN a.posted_debits - a.posted_credits - (a.pending_credits - p_due_credits)
        ELSE a.posted_credits - a.posted_debits - (a.pending_debits - p_due_debits) END,
      a.currency))
  $$;

-- Pending debits and credits of one account's holds that are past their
-- expiry but not yet marked expired (they no longer reserve anything).
-- (plpgsql: its plan is cached per session.)
CREATE FUNCTION ledger_due_pending(p_account uuid, OUT debits bigint, OUT credits bigint)
  LANGUAGE plpgsql STABLE
  AS $$
  BEGIN
    SELECT coalesce(sum(l.amount) FILTER (WHERE l.amount > 0), 0)::bigint,
           coalesce(-sum(l.amount) FILTER (WHERE l.amount < 0), 0)::bigint
      INTO debits, credits
    FROM ledger_holds h
    JOIN ledger_lines l ON l.tenant_id = h.tenant_id AND l.entry_id = h.id
    WHERE h.status = 'pending' AND h.expires_at <= now() AND l.account_id = p_account;
  END $$;

-- One account as the API shows it.
CREATE FUNCTION ledger_account_json(a ledger_accounts) RETURNS jsonb
  LANGUAGE plpgsql STABLE
  AS $$
  DECLARE
    v_due_debits bigint := 0;
    v_due_credits bigint := 0;
    v_parent_code text;
  BEGIN
    IF a.pending_debits > 0 OR a.pending_credits > 0 THEN
      SELECT d.debits, d.credits INTO v_due_debits, v_due_credits FROM ledger_due_pending(a.id) d;
    END IF;
    IF a.parent_id IS NOT NULL THEN
      SELECT p.code INTO v_parent_code FROM ledger_accounts p WHERE p.id = a.parent_id;
    END IF;
    RETURN jsonb_build_object(
      'id', a.id, 'code', a.code, 'name', a.name, 'type', a.type, 'currency', a.currency,
      'parentId', a.parent_id, 'parentCode', v_parent_code, 'status', a.status,
      'allowNegative', a.allow_negative, 'metadata', a.metadata,
      'createdAt', ledger_ts(a.created_at), 'closedAt', ledger_ts(a.closed_at),
      'balance', ledger_balance_json(a, v_due_debits, v_due_credits));
  END $$;

-- Creates an account.
--   p_request: {"code", "name", "type", "currency", "parentId"?, "parentCode"?,
--               "allowNegative"?, "metadata"?} (validated for shape by the plugin)
--   returns {"account": {...}} or an error (ACCOUNT_CODE_EXISTS 409,
--   UNKNOWN_CURRENCY / PARENT_NOT_FOUND / VALIDATION_FAILED 422).
CREATE FUNCTION ledger_create_account(p_request jsonb, p_actor text) RETURNS jsonb
  LANGUAGE plpgsql
  AS $$
  DECLARE
    v_tenant uuid := ledger_tenant();
    v_code text := p_request->>'code';
    v_currency text := p_request->>'currency';
    v_type text := p_request->>'type';
    v_parent ledger_accounts;
    v_account ledger_accounts;
  BEGIN
    IF v_code IS NULL OR v_code !~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' THEN
      RETURN ledger_error(422, 'VALIDATION_FAILED',
        'code must be 1 to 64 characters of letters, digits, ".", "_" or "-", starting with a letter or digit',
        jsonb_build_object('field', 'code'));
    END IF;
    IF coalesce(char_length(p_request->>'name'), 0) NOT BETWEEN 1 AND 200 THEN
      RETURN ledger_error(422, 'VALIDATION_FAILED', 'name must be 1 to 200 characters',
        jsonb_build_object('field', 'name'));
    END IF;
    IF v_type IS NULL OR v_type NOT IN ('asset', 'liability', 'equity', 'income', 'expense') THEN
      RETURN ledger_error(422, 'VALIDATION_FAILED',
        'type must be one of asset, liability, equity, income, expense',
        jsonb_build_object('field', 'type'));
    END IF;
    IF ledger_currency_exponent(v_currency) IS NULL THEN
      RETURN ledger_error(422, 'UNKNOWN_CURRENCY',
        format('currency %s is not an ISO 4217 code this ledger knows', coalesce(v_currency, 'null')),
        jsonb_build_object('field', 'currency', 'currency', v_currency));
    END IF;
    IF p_request ? 'parentId' OR p_request ? 'parentCode' THEN
      SELECT * INTO v_parent FROM ledger_accounts a
      WHERE (p_request ? 'parentId' AND a.id = (p_request->>'parentId')::uuid)
         OR (NOT p_request ? 'parentId' AND a.code = p_request->>'parentCode');
      IF NOT FOUND THEN
        RETURN ledger_error(422, 'PARENT_NOT_FOUND', 'the parent account does not exist',
          jsonb_build_object('field', CASE WHEN p_request ? 'parentId' THEN 'parentId' ELSE 'parentCode' END));
      END IF;
      IF v_parent.type <> v_type THEN
        RETURN ledger_error(422, 'VALIDATION_FAILED',
          format('a %s account cannot be the child of %s account %s', v_type, v_parent.type, v_parent.code),
          jsonb_build_object('field', 'type'));
      END IF;
    END IF;
    INSERT INTO ledger_accounts (tenant_id, code, name, type, currency, parent_id, allow_negative,
                                 metadata, created_by)
    VALUES (v_tenant, v_code, p_request->>'name', v_type, v_currency, v_parent.id,
            coalesce((p_request->>'allowNegative')::boolean, true),
            coalesce(p_request->'metadata', '{}'::jsonb), coalesce(p_actor, ''))
    ON CONFLICT (tenant_id, code) DO NOTHING
    RETURNING * INTO v_account;
    IF NOT FOUND THEN
      RETURN ledger_error(409, 'ACCOUNT_CODE_EXISTS',
        format('an account with code %s already exists', v_code),
        jsonb_build_object('field', 'code', 'code', v_code));
    END IF;
    RETURN jsonb_build_object('account', ledger_account_json(v_account));
  END $$;

-- One account by id, or NULL.
CREATE FUNCTION ledger_get_account(p_id uuid) RETURNS jsonb
  LANGUAGE sql STABLE
  AS $$ SELECT ledger_account_json(a) FROM ledger_accounts a WHERE a.id = p_id $$;

-- Accounts ordered by code, keyset-paginated.
--   p_filter: {"type"?, "currency"?, "status"?, "parentId"?, "after"? (a code), "limit"}
--   returns {"items": [...], "nextCursor": code | null}
CREATE FUNCTION ledger_list_accounts(p_filter jsonb) RETURNS jsonb
  LANGUAGE sql STABLE
  AS $$
  WITH page AS (
    SELECT a FROM ledger_accounts a
    WHERE (NOT p_filter ? 'type' OR a.type = p_filter->>'type')
      AND (NOT p_filter ? 'currency' OR a.currency = p_filter->>'currency')
      AND (NOT p_filter ? 'status' OR a.status = p_filter->>'status')
      AND (NOT p_filter ? 'parentId' OR a.parent_id = (p_filter->>'parentId')::uuid)
      AND (NOT p_filter ? 'after' OR a.code > p_filter->>'after')
    ORDER BY a.code
    LIMIT (p_filter->>'limit')::int + 1
  ), numbered AS (
    SELECT a, row_number() OVER (ORDER BY (a).code) AS n FROM page
  )
  SELECT jsonb_build_object(
    'items', coalesce(jsonb_agg(ledger_account_json(a) ORDER BY n)
                      FILTER (WHERE n <= (p_filter->>'limit')::int), '[]'::jsonb),
    'nextCursor', CASE WHEN count(*) > (p_filter->>'limit')::int
                       THEN (array_agg((a).code ORDER BY n))[(p_filter->>'limit')::int] END)
  FROM numbered
  $$;

-- Closes an account: it refuses postings afterwards. Only an empty account
-- (zero posted balance, no pending holds) can be closed, so no money is
-- stranded. Locks the account row, like postings do, so a close and a
-- posting never interleave.
--   returns {"account": {...}} or ACCOUNT_NOT_FOUND 404, ACCOUNT_CLOSED 409,
--   ACCOUNT_NOT_EMPTY 409.
CREATE FUNCTION ledger_close_account(p_id uuid, p_actor text) RETURNS jsonb
  LANGUAGE plpgsql
  AS $$
  DECLARE
    v_account ledger_accounts;
  BEGIN
    PERFORM ledger_tenant();
    SELECT * INTO v_account FROM ledger_accounts WHERE id = p_id FOR UPDATE;
    IF NOT FOUND THEN
      RETURN ledger_error(404, 'ACCOUNT_NOT_FOUND', 'no such account',
        jsonb_build_object('accountId', p_id));
    END IF;
    IF v_account.status = 'closed' THEN
      RETURN ledger_error(409, 'ACCOUNT_CLOSED', format('account %s is already closed', v_account.code),
        jsonb_build_object('accountId', p_id, 'code', v_account.code));
    END IF;
    IF v_account.posted_debits <> v_account.posted_credits
       OR v_account.pending_debits <> 0 OR v_account.pending_credits <> 0 THEN
      RETURN ledger_error(409, 'ACCOUNT_NOT_EMPTY',
        format('account %s has a non-zero balance or pending holds; move them first', v_account.code),
        jsonb_build_object('accountId', p_id, 'code', v_account.code,
          'balance', ledger_balance_json(v_account, 0, 0)));
    END IF;
    UPDATE ledger_accounts SET status = 'closed', closed_at = now()
    WHERE id = p_id RETURNING * INTO v_account;
    RETURN jsonb_build_object('account', ledger_account_json(v_account));
  END $$;
