-- Plugins (docs/plugins.md): which tenant has which plugin enabled, with
-- what configuration, and the tables each plugin's migrations created (so
-- the kernel re-verifies their row-level security at every load).

-- Per-tenant enablement and configuration. Written by platform
-- administration (owner role, tenant set like any tenant transaction);
-- the runtime role reads it on the request path and records which plugin
-- version last ran its code migration for the tenant.
CREATE TABLE fk_plugin_tenants (
  tenant_id         uuid NOT NULL REFERENCES tenants (id),
  plugin            text NOT NULL CHECK (plugin ~ '^[a-z][a-z0-9_-]{0,63}$'),
  enabled           boolean NOT NULL,
  config            jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(config) = 'object'),
  installed_version text,
  updated_by        text NOT NULL,
  updated_at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, plugin)
);
ALTER TABLE fk_plugin_tenants ENABLE ROW LEVEL SECURITY;
ALTER TABLE fk_plugin_tenants FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON fk_plugin_tenants
  USING (tenant_id = (SELECT fk_current_tenant()))
  WITH CHECK (tenant_id = (SELECT fk_current_tenant()));
GRANT SELECT ON fk_plugin_tenants TO fk_runtime;
GRANT UPDATE (installed_version) ON fk_plugin_tenants TO fk_runtime;

-- Platform-wide plugin configuration (below a tenant's own values).
CREATE TABLE fk_plugin_settings (
  plugin     text PRIMARY KEY CHECK (plugin ~ '^[a-z][a-z0-9_-]{0,63}$'),
  config     jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(config) = 'object'),
  updated_by text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
GRANT SELECT ON fk_plugin_settings TO fk_runtime;

-- Tables a plugin's migrations created, found by comparing the catalog
-- before and after each migration in the migration's own transaction.
CREATE TABLE fk_plugin_tables (
  plugin     text NOT NULL,
  table_name text NOT NULL,
  migration  text NOT NULL,
  PRIMARY KEY (plugin, table_name)
);
