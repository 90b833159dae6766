-- Tenant settings: the first tenant-scoped table, and the pattern every
-- tenant table follows (docs/architecture.md, "Tenancy rules"):
--   * tenant_id NOT NULL, leading the primary key (Citus-ready);
--   * foreign keys include tenant_id;
--   * RLS ENABLEd and FORCEd (so even the owner is filtered);
--   * one policy with USING and WITH CHECK on (SELECT fk_current_tenant()).
CREATE TABLE tenant_settings (
  tenant_id  uuid NOT NULL REFERENCES tenants (id),
  key        text NOT NULL,
  value      jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, key)
);
ALTER TABLE tenant_settings ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenant_settings FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tenant_settings
  USING (tenant_id = (SELECT fk_current_tenant()))
  WITH CHECK (tenant_id = (SELECT fk_current_tenant()));
GRANT SELECT, INSERT, UPDATE, DELETE ON tenant_settings TO fk_runtime;
