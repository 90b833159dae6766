-- Events: the transactional outbox and its deliveries (docs/architecture.md,
-- "Events"). Tenant rules as in 0002: tenant_id leads every primary key, RLS
-- is enabled and forced, and the policy scopes reads and writes alike.
--
-- Publishing inserts an fk_outbox row and one fk_event_deliveries row per
-- subscriber in the publisher's own transaction, so a rollback publishes
-- nothing. The dispatcher delivers each pending delivery in a tenant
-- transaction that also marks it delivered. A delivery that keeps failing
-- ends in status 'dead': the dead letters an administrator lists and replays.
--
-- The runtime role may read and add events but never change or remove one;
-- it may only move deliveries through their states. Nothing is deleted.

-- One published event, in the envelope of shared/seeds/004 (eventId,
-- eventType, aggregateId, aggregateType, payload, metadata, version).
-- seq orders events of one tenant (per aggregate, per subscriber).
CREATE TABLE fk_outbox (
  tenant_id      uuid NOT NULL REFERENCES tenants (id),
  event_id       uuid NOT NULL DEFAULT gen_random_uuid(),
  seq            bigint GENERATED ALWAYS AS IDENTITY,
  type           text NOT NULL CHECK (length(type) BETWEEN 1 AND 200),
  source         text NOT NULL CHECK (length(source) BETWEEN 1 AND 64),
  aggregate_type text NOT NULL DEFAULT '' CHECK (length(aggregate_type) <= 200),
  aggregate_id   text NOT NULL DEFAULT '' CHECK (length(aggregate_id) <= 200),
  payload        jsonb NOT NULL CHECK (jsonb_typeof(payload) = 'object'),
  -- {userId, timestamp, correlationId, causationId, tenantId}
  metadata       jsonb NOT NULL CHECK (jsonb_typeof(metadata) = 'object'),
  version        integer NOT NULL DEFAULT 1 CHECK (version >= 1),
  occurred_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, event_id),
  UNIQUE (tenant_id, seq)
);
ALTER TABLE fk_outbox ENABLE ROW LEVEL SECURITY;
ALTER TABLE fk_outbox FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON fk_outbox
  USING (tenant_id = (SELECT fk_current_tenant()))
  WITH CHECK (tenant_id = (SELECT fk_current_tenant()));

-- One event for one subscriber. seq and the aggregate are copied from the
-- event so the dispatcher's "is an earlier event of this aggregate still
-- pending for this subscriber?" test is one index probe.
CREATE TABLE fk_event_deliveries (
  tenant_id       uuid NOT NULL,
  event_id        uuid NOT NULL,
  subscriber      text NOT NULL CHECK (length(subscriber) BETWEEN 1 AND 64),
  seq             bigint NOT NULL,
  aggregate_type  text NOT NULL DEFAULT '',
  aggregate_id    text NOT NULL DEFAULT '',
  status          text NOT NULL DEFAULT 'pending'
                  CHECK (status IN ('pending', 'delivered', 'dead')),
  attempts        integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  last_error      text NOT NULL DEFAULT '',
  replays         integer NOT NULL DEFAULT 0 CHECK (replays >= 0),
  created_at      timestamptz NOT NULL DEFAULT now(),
  delivered_at    timestamptz,
  dead_at         timestamptz,
  PRIMARY KEY (tenant_id, event_id, subscriber),
  FOREIGN KEY (tenant_id, event_id) REFERENCES fk_outbox (tenant_id, event_id),
  CHECK ((status = 'delivered') = (delivered_at IS NOT NULL)),
  CHECK ((status = 'dead') = (dead_at IS NOT NULL))
);
-- What is due, oldest first; and the per-aggregate ordering probe.
CREATE INDEX fk_event_deliveries_pending ON fk_event_deliveries (tenant_id, seq)
  WHERE status = 'pending';
CREATE INDEX fk_event_deliveries_aggregate
  ON fk_event_deliveries (tenant_id, subscriber, aggregate_type, aggregate_id, seq)
  WHERE status = 'pending' AND aggregate_id <> '';
-- The dead letters, newest failure last.
CREATE INDEX fk_event_deliveries_dead ON fk_event_deliveries (tenant_id, seq, subscriber)
  WHERE status = 'dead';
ALTER TABLE fk_event_deliveries ENABLE ROW LEVEL SECURITY;
ALTER TABLE fk_event_deliveries FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON fk_event_deliveries
  USING (tenant_id = (SELECT fk_current_tenant()))
  WITH CHECK (tenant_id = (SELECT fk_current_tenant()));

GRANT SELECT, INSERT ON fk_outbox TO fk_runtime;
GRANT SELECT, INSERT, UPDATE ON fk_event_deliveries TO fk_runtime;

-- The active tenants with deliverable pending deliveries, and how long until
-- the earliest of them is due (0 when due now), for the dispatcher's sweep. The
-- runtime role cannot read `tenants` and, under forced RLS, nobody sees
-- deliveries without a tenant set, so this owner function visits each active
-- tenant with fk.tenant_id set to it and restores the caller's setting
-- afterwards. It reveals tenant ids and a delay, nothing of the events.
CREATE FUNCTION fk_event_tenants_pending()
  RETURNS TABLE (tenant_id uuid, due_in_ms bigint)
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = public, pg_temp
  AS $$
  DECLARE
    previous text := current_setting('fk.tenant_id', true);
    candidate uuid;
    earliest timestamptz;
  BEGIN
    FOR candidate IN SELECT t.id FROM public.tenants t WHERE t.status = 'active' ORDER BY t.id LOOP
      PERFORM set_config('fk.tenant_id', candidate::text, true);
      -- Only deliveries no earlier pending event of their aggregate blocks
      -- (same test as the dispatcher's), so a blocked one never looks due.
      SELECT min(d.next_attempt_at) INTO earliest FROM public.fk_event_deliveries d
        WHERE d.tenant_id = candidate AND d.status = 'pending'
          AND NOT (d.aggregate_id <> '' AND EXISTS (
            SELECT 1 FROM public.fk_event_deliveries e
            WHERE e.tenant_id = d.tenant_id AND e.subscriber = d.subscriber
              AND e.status = 'pending' AND e.aggregate_id <> ''
              AND e.aggregate_type = d.aggregate_type AND e.aggregate_id = d.aggregate_id
              AND e.seq < d.seq));
      IF earliest IS NOT NULL THEN
        tenant_id := candidate;
        due_in_ms := greatest(0, ceil(extract(epoch FROM earliest - clock_timestamp()) * 1000))::bigint;
        RETURN NEXT;
      END IF;
    END LOOP;
    PERFORM set_config('fk.tenant_id', coalesce(previous, ''), true);
    RETURN;
  END $$;
REVOKE ALL ON FUNCTION fk_event_tenants_pending() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION fk_event_tenants_pending() TO fk_runtime;
