CREATE TABLE peer_seen (
  tenant_id uuid NOT NULL,
  event_id  uuid NOT NULL,
  PRIMARY KEY (tenant_id, event_id)
);
ALTER TABLE peer_seen ENABLE ROW LEVEL SECURITY;
ALTER TABLE peer_seen FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON peer_seen
  USING (tenant_id = (SELECT fk_current_tenant()))
  WITH CHECK (tenant_id = (SELECT fk_current_tenant()));
GRANT SELECT, INSERT ON peer_seen TO fk_runtime;
