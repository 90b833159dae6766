-- hello 1.0.0: greetings, per tenant.
--
-- Follows the kernel's tenancy rules (docs/architecture.md), which the
-- kernel verifies after migrating and refuses to load the plugin otherwise:
--   * tenant_id NOT NULL, leading the primary key (Citus-ready);
--   * RLS ENABLEd and FORCEd, one policy with USING and WITH CHECK on
--     (SELECT fk_current_tenant()) -- evaluated once per statement;
--   * the runtime role gets only what the plugin needs: it can read and
--     add greetings, never change or delete them.
CREATE TABLE hello_greetings (
  tenant_id  uuid NOT NULL,
  id         uuid NOT NULL DEFAULT gen_random_uuid(),
  message    text NOT NULL CHECK (char_length(message) BETWEEN 1 AND 280),
  created_by text NOT NULL CHECK (char_length(created_by) BETWEEN 1 AND 200),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX hello_greetings_recent ON hello_greetings (tenant_id, created_at DESC, id);

ALTER TABLE hello_greetings ENABLE ROW LEVEL SECURITY;
ALTER TABLE hello_greetings FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON hello_greetings
  USING (tenant_id = (SELECT fk_current_tenant()))
  WITH CHECK (tenant_id = (SELECT fk_current_tenant()));

GRANT SELECT, INSERT ON hello_greetings TO fk_runtime;
