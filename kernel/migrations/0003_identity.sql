-- Identity: tenant users, their role bindings and refresh-token families.
-- All tenant-scoped under the rules of 0002 (tenant_id leads every key,
-- RLS enabled and forced, one policy with USING and WITH CHECK).

-- Login names a tenant by slug before any tenant context exists; this is
-- the one window from the runtime role onto slugs. Only active tenants.
CREATE FUNCTION fk_active_tenant_id(p_slug text) RETURNS uuid
  LANGUAGE sql STABLE SECURITY DEFINER
  SET search_path = public, pg_temp
  AS $$ SELECT id FROM public.tenants WHERE slug = p_slug AND status = 'active' $$;
REVOKE ALL ON FUNCTION fk_active_tenant_id(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION fk_active_tenant_id(text) TO fk_runtime;

CREATE TABLE users (
  tenant_id        uuid NOT NULL REFERENCES tenants (id),
  id               uuid NOT NULL DEFAULT gen_random_uuid(),
  email            text NOT NULL CHECK (email = lower(email) AND length(email) BETWEEN 3 AND 254),
  display_name     text NOT NULL DEFAULT '' CHECK (length(display_name) <= 200),
  password_hash    text NOT NULL,
  status           text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
  -- Bumped on any change that must end existing sessions at their next
  -- request (roles, disable, password): access tokens carry the version.
  token_version    bigint NOT NULL DEFAULT 1,
  failed_logins    integer NOT NULL DEFAULT 0,
  first_failed_at  timestamptz,
  locked_until     timestamptz,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, email)
);
ALTER TABLE users ENABLE ROW LEVEL SECURITY;
ALTER TABLE users FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON users
  USING (tenant_id = (SELECT fk_current_tenant()))
  WITH CHECK (tenant_id = (SELECT fk_current_tenant()));
GRANT SELECT, INSERT, UPDATE ON users TO fk_runtime;

CREATE TABLE role_bindings (
  tenant_id  uuid NOT NULL,
  user_id    uuid NOT NULL,
  role       text NOT NULL CHECK (role ~ '^[a-z][a-z0-9-]{0,62}$'),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, user_id, role),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
ALTER TABLE role_bindings ENABLE ROW LEVEL SECURITY;
ALTER TABLE role_bindings FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON role_bindings
  USING (tenant_id = (SELECT fk_current_tenant()))
  WITH CHECK (tenant_id = (SELECT fk_current_tenant()));
GRANT SELECT, INSERT, DELETE ON role_bindings TO fk_runtime;

-- One row per refresh token ever issued. A login starts a family; each
-- refresh spends one token and issues its successor in the same family.
-- Presenting a spent token again revokes the whole family (reuse detection).
CREATE TABLE refresh_tokens (
  tenant_id   uuid NOT NULL,
  id          text NOT NULL,            -- public lookup id (the token's first part)
  family_id   uuid NOT NULL,
  user_id     uuid NOT NULL,
  secret_hash text NOT NULL,            -- SHA-256 of the secret part; the token itself is never stored
  issued_at   timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL,
  spent_at    timestamptz,
  revoked_at  timestamptz,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (tenant_id, family_id);
ALTER TABLE refresh_tokens ENABLE ROW LEVEL SECURITY;
ALTER TABLE refresh_tokens FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON refresh_tokens
  USING (tenant_id = (SELECT fk_current_tenant()))
  WITH CHECK (tenant_id = (SELECT fk_current_tenant()));
GRANT SELECT, INSERT, UPDATE ON refresh_tokens TO fk_runtime;
