-- Second factor, machine credentials, tenant-defined roles and maker-checker
-- approvals. Same tenancy rules as every tenant table (see 0002).

-- TOTP (RFC 6238). The secret is stored as the base32 text shown to the
-- user at enrolment; last_step refuses a code's reuse within its window.
ALTER TABLE users
  ADD COLUMN totp_secret text,
  ADD COLUMN totp_enabled boolean NOT NULL DEFAULT false,
  ADD COLUMN totp_last_step bigint;

-- API keys for machine clients: shown once, stored as SHA-256 of the secret,
-- scoped to a subset of the creator's permissions, expiring, revocable. The
-- key text names its tenant, so it is looked up under that tenant's RLS
-- context like every other row (no cross-tenant lookup function exists).
CREATE TABLE api_keys (
  tenant_id    uuid NOT NULL,
  id           text NOT NULL,      -- public lookup id (the key's first part)
  name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  secret_hash  text NOT NULL,
  created_by   uuid NOT NULL,
  permissions  text[] NOT NULL,
  expires_at   timestamptz NOT NULL,
  revoked_at   timestamptz,
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, created_by) REFERENCES users (tenant_id, id)
);
ALTER TABLE api_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE api_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON api_keys
  USING (tenant_id = (SELECT fk_current_tenant()))
  WITH CHECK (tenant_id = (SELECT fk_current_tenant()));
GRANT SELECT, INSERT, UPDATE ON api_keys TO fk_runtime;


-- Roles a tenant defines for itself, bounded by the platform's ceiling
-- (policies/rbac.yaml: tenant_role_ceiling), checked when they are written.
CREATE TABLE tenant_roles (
  tenant_id   uuid NOT NULL REFERENCES tenants (id),
  name        text NOT NULL CHECK (name ~ '^[a-z][a-z0-9-]{0,62}$'),
  permissions text[] NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, name)
);
ALTER TABLE tenant_roles ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenant_roles FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tenant_roles
  USING (tenant_id = (SELECT fk_current_tenant()))
  WITH CHECK (tenant_id = (SELECT fk_current_tenant()));
GRANT SELECT, INSERT, UPDATE, DELETE ON tenant_roles TO fk_runtime;

-- Maker-checker: an action a policy puts under approval is validated and
-- stored here, and runs only when a different user with the checker
-- permission approves it, exactly once, before it expires.
CREATE TABLE approvals (
  tenant_id    uuid NOT NULL,
  id           uuid NOT NULL DEFAULT gen_random_uuid(),
  action       text NOT NULL,          -- the permission the action needs
  request      jsonb NOT NULL,         -- what to execute on approval
  maker_id     uuid NOT NULL,
  status       text NOT NULL DEFAULT 'pending'
               CHECK (status IN ('pending', 'executed', 'rejected', 'expired', 'failed')),
  created_at   timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz NOT NULL,
  decided_by   uuid,
  decided_at   timestamptz,
  result       jsonb,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, maker_id) REFERENCES users (tenant_id, id)
);
ALTER TABLE approvals ENABLE ROW LEVEL SECURITY;
ALTER TABLE approvals FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON approvals
  USING (tenant_id = (SELECT fk_current_tenant()))
  WITH CHECK (tenant_id = (SELECT fk_current_tenant()));
GRANT SELECT, INSERT, UPDATE ON approvals TO fk_runtime;
