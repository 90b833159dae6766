-- ledger 1.0.0: export in ledger-cli's journal format (https://ledger-cli.org).
--
--   GET /v1/ledger/export[?from=YYYY-MM-DD&to=YYYY-MM-DD]
--
-- One transaction per posted entry (standard, reversal, hold capture; holds
-- still pending reserve money but have not moved it, so they are left out),
-- in accounting-date order:
--
--   2026-11-26 * (3f0c...) Coffee beans
--       ; kind: standard
--       Expenses:6000:6010                          12.50 USD
--       Assets:1000                                -12.50 USD
--
-- Account names are "<Type>:<code of each ancestor>:<code>", so ledger's
-- tree follows the chart of accounts. Amounts are printed with exactly the
-- currency's ISO 4217 exponent. With `from`, an "Opening balances"
-- transaction dated the day before carries every account's balance up to
-- then, so `ledger balance` over the export equals the API's balances as of
-- `to` (or now). `ledger -f export.journal balance` reconciles it.

-- The ledger-cli account name of every account of the tenant.
CREATE FUNCTION ledger_journal_account_names() RETURNS TABLE (account_id uuid, journal_name text)
  LANGUAGE sql STABLE
  AS $$
  WITH RECURSIVE tree AS (
    SELECT a.id, a.code::text AS path, a.type
    FROM ledger_accounts a WHERE a.parent_id IS NULL
    UNION ALL
    SELECT c.id, t.path || ':' || c.code, c.type
    FROM ledger_accounts c JOIN tree t ON c.parent_id = t.id
  )
  SELECT id, CASE type WHEN 'asset' THEN 'Assets' WHEN 'liability' THEN 'Liabilities'
                       WHEN 'equity' THEN 'Equity' WHEN 'income' THEN 'Income'
                       ELSE 'Expenses' END || ':' || path
  FROM tree
  $$;

-- A posting line: two spaces of indent, the account, the amount right-aligned.
CREATE FUNCTION ledger_journal_posting(p_account text, p_amount bigint, p_currency text)
  RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$
  SELECT '    ' || rpad(p_account, greatest(40, char_length(p_account) + 2)) || ' '
         || lpad(ledger_format_minor(p_amount, ledger_currency_exponent(p_currency)), 16)
         || ' ' || p_currency
  $$;

-- The journal text (empty ledger: header comment only).
CREATE FUNCTION ledger_export_journal(p_from date, p_to date) RETURNS text
  LANGUAGE sql STABLE
  AS $$
  WITH names AS (SELECT * FROM ledger_journal_account_names()),
  header AS (
    SELECT '; FinKernel ledger export' || E'\n'
           || '; from ' || coalesce(p_from::text, 'the beginning') || ' to '
           || coalesce(p_to::text, 'now') || E'\n'
           || coalesce((SELECT string_agg(DISTINCT 'commodity ' || currency, E'\n')
                        FROM ledger_accounts), '') || E'\n' AS text
  ),
  opening AS (
    SELECT l.account_id, l.currency, sum(l.amount)::bigint AS amount
    FROM ledger_lines l
    WHERE p_from IS NOT NULL AND NOT l.pending AND l.entry_date < p_from
    GROUP BY l.account_id, l.currency HAVING sum(l.amount) <> 0
  ),
  opening_text AS (
    SELECT CASE WHEN count(*) = 0 THEN '' ELSE
             E'\n' || (p_from - 1)::text || ' * Opening balances' || E'\n'
             || string_agg(ledger_journal_posting(n.journal_name, o.amount, o.currency), E'\n'
                           ORDER BY n.journal_name, o.currency) || E'\n'
           END AS text
    FROM opening o JOIN names n ON n.account_id = o.account_id
  ),
  entries AS (
    SELECT e.id, e.kind, e.entry_date, e.created_at, e.reverses_id, e.hold_id,
           -- ledger reads "(" after the date as a code and ";" as a comment:
           -- one line, no control characters, never empty.
           coalesce(nullif(btrim(regexp_replace(e.description, '[[:cntrl:]]+', ' ', 'g')), ''),
                    e.kind) AS payee
    FROM ledger_entries e
    WHERE e.kind <> 'hold'
      AND (p_from IS NULL OR e.entry_date >= p_from)
      AND (p_to IS NULL OR e.entry_date <= p_to)
  ),
  body AS (
    SELECT string_agg(
             E'\n' || e.entry_date::text || ' * (' || e.id || ') ' || e.payee || E'\n'
             || '    ; kind: ' || e.kind
             || coalesce(', reverses: ' || e.reverses_id, '')
             || coalesce(', hold: ' || e.hold_id, '') || E'\n'
             || (SELECT string_agg(ledger_journal_posting(n.journal_name, l.amount, l.currency),
                                   E'\n' ORDER BY l.line_no)
                 FROM ledger_lines l JOIN names n ON n.account_id = l.account_id
                 WHERE l.entry_id = e.id) || E'\n',
             '' ORDER BY e.entry_date, e.created_at, e.id) AS text
    FROM entries e
  )
  SELECT h.text || o.text || coalesce(b.text, '')
  FROM header h, opening_text o, body b
  $$;
