-- Tamper-evident audit trail (docs/audit.md). One hash chain per tenant;
-- platform events form their own chain under the nil UUID. Tenant rules as
-- in 0002, except that there is deliberately no foreign key to tenants: a
-- deleted tenant's audit trail must outlive it.
--
-- Append-only is enforced by the database, not by the kernel: the runtime
-- role is granted INSERT and SELECT only, the owner revokes UPDATE, DELETE
-- and TRUNCATE from itself, and triggers refuse those statements for anyone
-- whose privileges still allow them. A superuser can get past all of this;
-- the hash chain and signed checkpoints make that evident (verify).

CREATE FUNCTION fk_audit_refuse_change() RETURNS trigger
  LANGUAGE plpgsql
  SET search_path = public, pg_temp
  AS $$
  BEGIN
    RAISE EXCEPTION 'audit trail is append-only: % on % refused', TG_OP, TG_TABLE_NAME
      USING ERRCODE = 'insufficient_privilege';
  END $$;

CREATE TABLE audit_log (
  tenant_id      uuid NOT NULL,
  seq            bigint NOT NULL CHECK (seq >= 1),
  occurred_at    timestamptz NOT NULL,
  actor_type     text NOT NULL
                 CHECK (actor_type IN ('user', 'api_key', 'platform_admin', 'system', 'anonymous')),
  actor_id       text NOT NULL DEFAULT '',
  action         text NOT NULL CHECK (length(action) BETWEEN 1 AND 300),
  resource       text NOT NULL DEFAULT '',
  outcome        text NOT NULL CHECK (outcome IN ('success', 'denied', 'failure')),
  request_id     text NOT NULL DEFAULT '',
  client_address text NOT NULL DEFAULT '',
  summary        jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(summary) = 'object'),
  prev_hash      text NOT NULL CHECK (prev_hash ~ '^[0-9a-f]{64}$'),
  hash           text NOT NULL CHECK (hash ~ '^[0-9a-f]{64}$'),
  PRIMARY KEY (tenant_id, seq)
);
-- Reading by time window (list filters); seq order comes from the primary key.
CREATE INDEX audit_log_occurred_at ON audit_log (tenant_id, occurred_at);
ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_log FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON audit_log
  USING (tenant_id = (SELECT fk_current_tenant()))
  WITH CHECK (tenant_id = (SELECT fk_current_tenant()));
REVOKE ALL ON audit_log FROM PUBLIC;
REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM fk_owner;
GRANT SELECT, INSERT ON audit_log TO fk_runtime;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION fk_audit_refuse_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION fk_audit_refuse_change();

-- The head of each chain. Appending locks only this tenant's row, so chains
-- of different tenants grow in parallel. It is a cache of the newest record
-- (verify cross-checks it), which is why it alone may be updated.
CREATE TABLE audit_chain_heads (
  tenant_id uuid NOT NULL,
  seq       bigint NOT NULL CHECK (seq >= 0),
  hash      text NOT NULL CHECK (hash ~ '^[0-9a-f]{64}$'),
  PRIMARY KEY (tenant_id)
);
ALTER TABLE audit_chain_heads ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_chain_heads FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON audit_chain_heads
  USING (tenant_id = (SELECT fk_current_tenant()))
  WITH CHECK (tenant_id = (SELECT fk_current_tenant()));
REVOKE ALL ON audit_chain_heads FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE ON audit_chain_heads TO fk_runtime;

-- Ed25519 signatures by the platform audit key over a chain's head at a
-- moment; they pin the chain so that cutting its tail or rewriting it
-- wholesale is detected. Append-only like the log.
CREATE TABLE audit_checkpoints (
  tenant_id uuid NOT NULL,
  seq       bigint NOT NULL CHECK (seq >= 0),
  hash      text NOT NULL CHECK (hash ~ '^[0-9a-f]{64}$'),
  signed_at timestamptz NOT NULL,
  key_id    text NOT NULL,
  signature text NOT NULL,
  PRIMARY KEY (tenant_id, seq, key_id)
);
ALTER TABLE audit_checkpoints ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_checkpoints FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON audit_checkpoints
  USING (tenant_id = (SELECT fk_current_tenant()))
  WITH CHECK (tenant_id = (SELECT fk_current_tenant()));
REVOKE ALL ON audit_checkpoints FROM PUBLIC;
REVOKE UPDATE, DELETE, TRUNCATE ON audit_checkpoints FROM fk_owner;
GRANT SELECT, INSERT ON audit_checkpoints TO fk_runtime;
CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE OR DELETE ON audit_checkpoints
  FOR EACH ROW EXECUTE FUNCTION fk_audit_refuse_change();
CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints
  FOR EACH STATEMENT EXECUTE FUNCTION fk_audit_refuse_change();
