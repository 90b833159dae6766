CREATE TABLE probe_items (
  tenant_id  uuid NOT NULL,
  id         uuid NOT NULL DEFAULT gen_random_uuid(),
  name       text NOT NULL,
  deliveries int NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant_id, id)
);
ALTER TABLE probe_items ENABLE ROW LEVEL SECURITY;
ALTER TABLE probe_items FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON probe_items
  USING (tenant_id = (SELECT fk_current_tenant()))
  WITH CHECK (tenant_id = (SELECT fk_current_tenant()));
GRANT SELECT, INSERT, UPDATE ON probe_items TO fk_runtime;

CREATE TABLE probe_seen (
  tenant_id uuid NOT NULL,
  event_id  uuid NOT NULL,
  PRIMARY KEY (tenant_id, event_id)
);
ALTER TABLE probe_seen ENABLE ROW LEVEL SECURITY;
ALTER TABLE probe_seen FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON probe_seen
  USING (tenant_id = (SELECT fk_current_tenant()))
  WITH CHECK (tenant_id = (SELECT fk_current_tenant()));
GRANT SELECT, INSERT ON probe_seen TO fk_runtime;
