-- ledger 1.0.0: the tables of a multi-tenant double-entry ledger.
--
-- Tenancy rules (docs/architecture.md), verified by the kernel after migrating:
--   * tenant_id NOT NULL leads every primary key and every foreign key;
--   * RLS ENABLEd and FORCEd, one policy USING + WITH CHECK on
--     (SELECT fk_current_tenant()), evaluated once per statement.
--
-- Money is exact: bigint minor units of the account's currency (exponent from
-- ledger_currency_exponent(), ISO 4217). A line's amount is signed: positive
-- is a debit, negative a credit; an entry balances when, per currency, its
-- lines sum to zero.
--
-- What the runtime role may change is deliberately small (see the GRANTs at
-- the end): entries and lines are insert-only (immutability is a privilege,
-- not a convention); an account's balance counters, status and descriptive
-- fields are updatable; a hold's status is updatable; an idempotency record's
-- response is written once. Nothing is ever deleted.

-- ISO 4217 minor-unit exponents. A function rather than a table: a platform
-- table without tenant_id would break the tenancy rules. Not STRICT, on purpose: only then
-- does the planner inline a SQL function into the calling query (a
-- non-inlined SQL function is parsed and planned again on every call). The
-- same holds for every small helper below. Kept identical to
-- plugins/ledger/src/money.hpp (a test compares the two).
CREATE FUNCTION ledger_currency_exponent(p_code text) RETURNS integer
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$
  SELECT CASE p_code
    -- exponent 0
    WHEN 'BIF' THEN 0 WHEN 'CLP' THEN 0 WHEN 'DJF' THEN 0 WHEN 'GNF' THEN 0
    WHEN 'ISK' THEN 0 WHEN 'JPY' THEN 0 WHEN 'KMF' THEN 0 WHEN 'KRW' THEN 0
    WHEN 'PYG' THEN 0 WHEN 'RWF' THEN 0 WHEN 'UGX' THEN 0 WHEN 'UYI' THEN 0
    WHEN 'VND' THEN 0 WHEN 'VUV' THEN 0 WHEN 'XAF' THEN 0 WHEN 'XOF' THEN 0
    WHEN 'XPF' THEN 0
    -- exponent 3
    WHEN 'BHD' THEN 3 WHEN 'IQD' THEN 3 WHEN 'JOD' THEN 3 WHEN 'KWD' THEN 3
    WHEN 'LYD' THEN 3 WHEN 'OMR' THEN 3 WHEN 'TND' THEN 3
    -- exponent 4
    WHEN 'CLF' THEN 4 WHEN 'UYW' THEN 4
    -- exponent 2
    WHEN 'AED' THEN 2 WHEN 'AFN' THEN 2 WHEN 'ALL' THEN 2 WHEN 'AMD' THEN 2
    WHEN 'ANG' THEN 2 WHEN 'AOA' THEN 2 WHEN 'ARS' THEN 2 WHEN 'AUD' THEN 2
    WHEN 'AWG' THEN 2 WHEN 'AZN' THEN 2 WHEN 'BAM' THEN 2 WHEN 'BBD' THEN 2
    WHEN 'BDT' THEN 2 WHEN 'BGN' THEN 2 WHEN 'BMD' THEN 2 WHEN 'BND' THEN 2
    WHEN 'BOB' THEN 2 WHEN 'BRL' THEN 2 WHEN 'BSD' THEN 2 WHEN 'BTN' THEN 2
    WHEN 'BWP' THEN 2 WHEN 'BYN' THEN 2 WHEN 'BZD' THEN 2 WHEN 'CAD' THEN 2
    WHEN 'CDF' THEN 2 WHEN 'CHF' THEN 2 WHEN 'CNY' THEN 2 WHEN 'COP' THEN 2
    WHEN 'CRC' THEN 2 WHEN 'CUP' THEN 2 WHEN 'CVE' THEN 2 WHEN 'CZK' THEN 2
    WHEN 'DKK' THEN 2 WHEN 'DOP' THEN 2 WHEN 'DZD' THEN 2 WHEN 'EGP' THEN 2
    WHEN 'ERN' THEN 2 WHEN 'ETB' THEN 2 WHEN 'EUR' THEN 2 WHEN 'FJD' THEN 2
    WHEN 'FKP' THEN 2 WHEN 'GBP' THEN 2 WHEN 'GEL' THEN 2 WHEN 'GHS' THEN 2
    WHEN 'GIP' THEN 2 WHEN 'GMD' THEN 2 WHEN 'GTQ' THEN 2 WHEN 'GYD' THEN 2
    WHEN 'HKD' THEN 2 WHEN 'HNL' THEN 2 WHEN 'HTG' THEN 2 WHEN 'HUF' THEN 2
    WHEN 'IDR' THEN 2 WHEN 'ILS' THEN 2 WHEN 'INR' THEN 2 WHEN 'IRR' THEN 2
    WHEN 'JMD' THEN 2 WHEN 'KES' THEN 2 WHEN 'KGS' THEN 2 WHEN 'KHR' THEN 2
    WHEN 'KPW' THEN 2 WHEN 'KYD' THEN 2 WHEN 'KZT' THEN 2 WHEN 'LAK' THEN 2
    WHEN 'LBP' THEN 2 WHEN 'LKR' THEN 2 WHEN 'LRD' THEN 2 WHEN 'LSL' THEN 2
    WHEN 'MAD' THEN 2 WHEN 'MDL' THEN 2 WHEN 'MGA' THEN 2 WHEN 'MKD' THEN 2
    WHEN 'MMK' THEN 2 WHEN 'MNT' THEN 2 WHEN 'MOP' THEN 2 WHEN 'MRU' THEN 2
    WHEN 'MUR' THEN 2 WHEN 'MVR' THEN 2 WHEN 'MWK' THEN 2 WHEN 'MXN' THEN 2
    WHEN 'MYR' THEN 2 WHEN 'MZN' THEN 2 WHEN 'NAD' THEN 2 WHEN 'NGN' THEN 2
    WHEN 'NIO' THEN 2 WHEN 'NOK' THEN 2 WHEN 'NPR' THEN 2 WHEN 'NZD' THEN 2
    WHEN 'PAB' THEN 2 WHEN 'PEN' THEN 2 WHEN 'PGK' THEN 2 WHEN 'PHP' THEN 2
    WHEN 'PKR' THEN 2 WHEN 'PLN' THEN 2 WHEN 'QAR' THEN 2 WHEN 'RON' THEN 2
    WHEN 'RSD' THEN 2 WHEN 'RUB' THEN 2 WHEN 'SAR' THEN 2 WHEN 'SBD' THEN 2
    WHEN 'SCR' THEN 2 WHEN 'SDG' THEN 2 WHEN 'SEK' THEN 2 WHEN 'SGD' THEN 2
    WHEN 'SHP' THEN 2 WHEN 'SLE' THEN 2 WHEN 'SOS' THEN 2 WHEN 'SRD' THEN 2
    WHEN 'SSP' THEN 2 WHEN 'STN' THEN 2 WHEN 'SVC' THEN 2 WHEN 'SYP' THEN 2
    WHEN 'SZL' THEN 2 WHEN 'THB' THEN 2 WHEN 'TJS' THEN 2 WHEN 'TMT' THEN 2
    WHEN 'TOP' THEN 2 WHEN 'TRY' THEN 2 WHEN 'TTD' THEN 2 WHEN 'TWD' THEN 2
    WHEN 'TZS' THEN 2 WHEN 'UAH' THEN 2 WHEN 'USD' THEN 2 WHEN 'UYU' THEN 2
    WHEN 'UZS' THEN 2 WHEN 'VES' THEN 2 WHEN 'WST' THEN 2 WHEN 'XCD' THEN 2
    WHEN 'YER' THEN 2 WHEN 'ZAR' THEN 2 WHEN 'ZMW' THEN 2 WHEN 'ZWL' THEN 2
    ELSE NULL
  END $$;

-- Minor units as a decimal string in the currency's exponent:
-- (-1234, 2) -> '-12.34', (5, 2) -> '0.05', (100, 0) -> '100'. Exact.
CREATE FUNCTION ledger_format_minor(p_minor bigint, p_exponent integer) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$
  SELECT CASE WHEN p_exponent = 0 THEN p_minor::text
    ELSE CASE WHEN p_minor < 0 THEN '-' ELSE '' END
         || div(abs(p_minor::numeric), 10::numeric ^ p_exponent)::bigint::text
         || '.'
         || lpad((abs(p_minor::numeric) % (10::numeric ^ p_exponent))::bigint::text,
                 p_exponent, '0')
  END $$;

-- Whether an account type's balance is normally a debit (asset, expense) or a
-- credit (liability, equity, income): the side "available" and the
-- no-negative rule are measured on.
CREATE FUNCTION ledger_debit_normal(p_type text) RETURNS boolean
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT p_type IN ('asset', 'expense') $$;

-- The chart of accounts, with each account's running balance counters.
-- Counters are the sums of the account's lines, kept by the posting
-- functions under the account's row lock (deterministic lock order: by id):
--   posted_debits / posted_credits   lines of posted entries (>= 0 each);
--   pending_debits / pending_credits lines of pending holds (>= 0 each);
--   line_seq                         number of posted lines so far (the
--                                    statement's cursor and running order).
CREATE TABLE ledger_accounts (
  tenant_id       uuid NOT NULL,
  id              uuid NOT NULL DEFAULT gen_random_uuid(),
  code            text NOT NULL CHECK (code ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
  name            text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
  type            text NOT NULL
                  CHECK (type IN ('asset', 'liability', 'equity', 'income', 'expense')),
  -- ISO 4217 membership is checked by a trigger on INSERT (below), not by a
  -- CHECK: a CHECK would re-expand the 158-way CASE on every balance update.
  currency        text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  parent_id       uuid,
  status          text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
  allow_negative  boolean NOT NULL DEFAULT true,
  metadata        jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(metadata) = 'object'),
  created_by      text NOT NULL DEFAULT '',
  created_at      timestamptz NOT NULL DEFAULT now(),
  closed_at       timestamptz,
  posted_debits   bigint NOT NULL DEFAULT 0 CHECK (posted_debits >= 0),
  posted_credits  bigint NOT NULL DEFAULT 0 CHECK (posted_credits >= 0),
  pending_debits  bigint NOT NULL DEFAULT 0 CHECK (pending_debits >= 0),
  pending_credits bigint NOT NULL DEFAULT 0 CHECK (pending_credits >= 0),
  line_seq        bigint NOT NULL DEFAULT 0 CHECK (line_seq >= 0),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, code),
  FOREIGN KEY (tenant_id, parent_id) REFERENCES ledger_accounts (tenant_id, id),
  CHECK (parent_id IS NULL OR parent_id <> id),
  CHECK ((status = 'closed') = (closed_at IS NOT NULL))
);
CREATE INDEX ledger_accounts_parent ON ledger_accounts (tenant_id, parent_id)
  WHERE parent_id IS NOT NULL;

CREATE FUNCTION ledger_accounts_currency_guard() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
  BEGIN
    IF ledger_currency_exponent(NEW.currency) IS NULL THEN
      RAISE EXCEPTION 'currency % is not an ISO 4217 code this ledger knows', NEW.currency
        USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
  END $$;
CREATE TRIGGER ledger_accounts_currency BEFORE INSERT OR UPDATE OF currency ON ledger_accounts
  FOR EACH ROW EXECUTE FUNCTION ledger_accounts_currency_guard();

-- Journal entries. Immutable: the runtime role may only INSERT and SELECT.
--   kind standard   an ordinary posting;
--        reversal   the mirror of reverses_id (at most one per entry);
--        hold       a pending (two-phase) entry: its lines count against
--                   available balance only; its fate is in ledger_holds;
--        hold_post  the posting that captured the hold hold_id.
CREATE TABLE ledger_entries (
  tenant_id   uuid NOT NULL,
  id          uuid NOT NULL DEFAULT gen_random_uuid(),
  kind        text NOT NULL CHECK (kind IN ('standard', 'reversal', 'hold', 'hold_post')),
  entry_date  date NOT NULL,
  description text NOT NULL DEFAULT '' CHECK (char_length(description) <= 1000),
  metadata    jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(metadata) = 'object'),
  reverses_id uuid,
  hold_id     uuid,
  created_by  text NOT NULL DEFAULT '',
  created_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, reverses_id) REFERENCES ledger_entries (tenant_id, id),
  FOREIGN KEY (tenant_id, hold_id) REFERENCES ledger_entries (tenant_id, id),
  CHECK ((kind = 'reversal') = (reverses_id IS NOT NULL)),
  CHECK ((kind = 'hold_post') = (hold_id IS NOT NULL))
);
-- An entry is reversed at most once; a hold is captured at most once.
CREATE UNIQUE INDEX ledger_entries_one_reversal ON ledger_entries (tenant_id, reverses_id)
  WHERE reverses_id IS NOT NULL;
CREATE UNIQUE INDEX ledger_entries_one_capture ON ledger_entries (tenant_id, hold_id)
  WHERE hold_id IS NOT NULL;
-- Listing by accounting date, and keyset pagination (created_at, id).
CREATE INDEX ledger_entries_by_date ON ledger_entries (tenant_id, entry_date, created_at, id);
CREATE INDEX ledger_entries_by_time ON ledger_entries (tenant_id, created_at, id);
CREATE INDEX ledger_entries_metadata ON ledger_entries USING gin (metadata jsonb_path_ops);

-- The lines of entries. Immutable like entries. Pending (hold) lines have no
-- account_seq/balance_after: they are not on the statement until captured.
-- currency and entry_date repeat the account's and entry's values so that
-- as_of balances and statements read one index.
CREATE TABLE ledger_lines (
  tenant_id     uuid NOT NULL,
  entry_id      uuid NOT NULL,
  line_no       integer NOT NULL CHECK (line_no >= 1),
  account_id    uuid NOT NULL,
  amount        bigint NOT NULL CHECK (amount <> 0),
  currency      text NOT NULL,
  memo          text NOT NULL DEFAULT '' CHECK (char_length(memo) <= 500),
  entry_date    date NOT NULL,
  pending       boolean NOT NULL,
  account_seq   bigint,
  balance_after bigint,
  PRIMARY KEY (tenant_id, entry_id, line_no),
  FOREIGN KEY (tenant_id, entry_id) REFERENCES ledger_entries (tenant_id, id),
  FOREIGN KEY (tenant_id, account_id) REFERENCES ledger_accounts (tenant_id, id),
  CHECK (pending = (account_seq IS NULL)),
  CHECK ((account_seq IS NULL) = (balance_after IS NULL))
);
-- The statement: an account's posted lines in posting order.
CREATE UNIQUE INDEX ledger_lines_statement ON ledger_lines (tenant_id, account_id, account_seq)
  WHERE NOT pending;
-- as_of balances and entry filters by account.
CREATE INDEX ledger_lines_by_account_date ON ledger_lines (tenant_id, account_id, entry_date);

-- Two-phase holds: the state of each kind='hold' entry (id = the entry's id).
-- pending -> posted (captured by entry posted_entry_id) | voided | expired.
CREATE TABLE ledger_holds (
  tenant_id       uuid NOT NULL,
  id              uuid NOT NULL,
  status          text NOT NULL DEFAULT 'pending'
                  CHECK (status IN ('pending', 'posted', 'voided', 'expired')),
  expires_at      timestamptz,
  resolved_at     timestamptz,
  resolved_by     text,
  posted_entry_id uuid,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, id) REFERENCES ledger_entries (tenant_id, id),
  FOREIGN KEY (tenant_id, posted_entry_id) REFERENCES ledger_entries (tenant_id, id),
  CHECK ((status = 'pending') = (resolved_at IS NULL)),
  CHECK ((status = 'posted') = (posted_entry_id IS NOT NULL))
);
CREATE INDEX ledger_holds_due ON ledger_holds (tenant_id, expires_at)
  WHERE status = 'pending' AND expires_at IS NOT NULL;

-- A hold leaves 'pending' once and never comes back (the database says so,
-- not only the functions).
CREATE FUNCTION ledger_holds_guard() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
  BEGIN
    IF OLD.status <> 'pending' THEN
      RAISE EXCEPTION 'hold % is already %', OLD.id, OLD.status
        USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.id <> OLD.id OR NEW.tenant_id <> OLD.tenant_id
       OR NEW.expires_at IS DISTINCT FROM OLD.expires_at THEN
      RAISE EXCEPTION 'a hold''s identity and expiry are immutable'
        USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
  END $$;
CREATE TRIGGER ledger_holds_transition BEFORE UPDATE ON ledger_holds
  FOR EACH ROW EXECUTE FUNCTION ledger_holds_guard();

-- Idempotency-Key records: the first request's hash and response. The same
-- key with the same request replays the response; with another request (or
-- another operation) it is a conflict.
CREATE TABLE ledger_idempotency (
  tenant_id    uuid NOT NULL,
  key          text NOT NULL CHECK (char_length(key) BETWEEN 1 AND 255),
  operation    text NOT NULL,
  request_hash bytea NOT NULL,
  response     jsonb NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, key)
);

ALTER TABLE ledger_accounts ENABLE ROW LEVEL SECURITY;
ALTER TABLE ledger_accounts FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON ledger_accounts
  USING (tenant_id = (SELECT fk_current_tenant()))
  WITH CHECK (tenant_id = (SELECT fk_current_tenant()));

ALTER TABLE ledger_entries ENABLE ROW LEVEL SECURITY;
ALTER TABLE ledger_entries FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON ledger_entries
  USING (tenant_id = (SELECT fk_current_tenant()))
  WITH CHECK (tenant_id = (SELECT fk_current_tenant()));

ALTER TABLE ledger_lines ENABLE ROW LEVEL SECURITY;
ALTER TABLE ledger_lines FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON ledger_lines
  USING (tenant_id = (SELECT fk_current_tenant()))
  WITH CHECK (tenant_id = (SELECT fk_current_tenant()));

ALTER TABLE ledger_holds ENABLE ROW LEVEL SECURITY;
ALTER TABLE ledger_holds FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON ledger_holds
  USING (tenant_id = (SELECT fk_current_tenant()))
  WITH CHECK (tenant_id = (SELECT fk_current_tenant()));

ALTER TABLE ledger_idempotency ENABLE ROW LEVEL SECURITY;
ALTER TABLE ledger_idempotency FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON ledger_idempotency
  USING (tenant_id = (SELECT fk_current_tenant()))
  WITH CHECK (tenant_id = (SELECT fk_current_tenant()));

-- Least privilege for the runtime role. No DELETE or TRUNCATE anywhere.
REVOKE ALL ON ledger_accounts, ledger_entries, ledger_lines, ledger_holds, ledger_idempotency
  FROM PUBLIC;
GRANT SELECT, INSERT ON ledger_accounts TO fk_runtime;
GRANT UPDATE (name, status, closed_at, allow_negative, metadata, posted_debits, posted_credits,
              pending_debits, pending_credits, line_seq)
  ON ledger_accounts TO fk_runtime;
GRANT SELECT, INSERT ON ledger_entries, ledger_lines, ledger_idempotency TO fk_runtime;
GRANT SELECT, INSERT ON ledger_holds TO fk_runtime;
GRANT UPDATE (status, resolved_at, resolved_by, posted_entry_id) ON ledger_holds TO fk_runtime;
