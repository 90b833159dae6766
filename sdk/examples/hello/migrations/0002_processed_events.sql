-- hello 1.0.0: the events this tenant's handler has processed.
--
-- Delivery is at least once, so the event handler records each event id
-- here (fk::sdk::first_delivery) in the same transaction as its effects; a
-- redelivered event finds its id and is skipped. Tenancy rules as in 0001.
CREATE TABLE hello_processed_events (
  tenant_id    uuid NOT NULL,
  event_id     uuid NOT NULL,
  processed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, event_id)
);

ALTER TABLE hello_processed_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE hello_processed_events FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON hello_processed_events
  USING (tenant_id = (SELECT fk_current_tenant()))
  WITH CHECK (tenant_id = (SELECT fk_current_tenant()));

GRANT SELECT, INSERT ON hello_processed_events TO fk_runtime;
