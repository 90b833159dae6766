-- Cheaper event publishing (docs/performance.md, "Ledger batches").
--
-- 1. fk_outbox_publish takes each payload as a JSON object ("payload"), not
--    as a string to parse again ("payloadText"): the kernel writes the
--    publisher's text into the array as it is (events/outbox.cpp, after
--    checking that it is one JSON object), so PostgreSQL parses every payload
--    once. Numbers keep their digits either way: jsonb stores them as numeric.
--
-- 2. fk_outbox no longer has a foreign key to tenants, like audit_log (0006).
--    Each inserted row cost a lookup of the tenant row and a KEY SHARE lock on
--    it -- with many transactions of one tenant, a multixact -- and a
--    500-entry ledger batch writes 500 events. The key guarded nothing the
--    policy does not: WITH CHECK admits only the transaction's tenant, which
--    the kernel sets after resolving an active tenant, and tenant rows are
--    never deleted (status 'deleted'; their keys are destroyed instead).
--    Events, like the audit trail, must outlive whatever happens to the row.
--

ALTER TABLE fk_outbox DROP CONSTRAINT fk_outbox_tenant_id_fkey;

-- 3. Event ids are time-ordered: RFC 9562's version 7 layout, the Unix time
--    in milliseconds in the first 48 bits, then 74 random bits. A random
--    (version 4) id sends every insert to a random page of the primary key,
--    so a busy outbox keeps its whole index hot and dirty; time-ordered ids
--    go to the pages of the last moments. (PostgreSQL 15 has no uuidv7().)
CREATE FUNCTION fk_time_ordered_uuid() RETURNS uuid
  LANGUAGE sql VOLATILE PARALLEL SAFE
  AS $$
  -- version nibble 0100 (4) becomes 0111 (7): bits 4 and 5 of byte 6
  SELECT encode(set_bit(set_bit(
           overlay(uuid_send(gen_random_uuid())
                   PLACING substring(int8send((extract(epoch FROM clock_timestamp()) * 1000)::bigint)
                                     FROM 3)
                   FROM 1 FOR 6),
           52, 1), 53, 1), 'hex')::uuid
  $$;
REVOKE ALL ON FUNCTION fk_time_ordered_uuid() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION fk_time_ordered_uuid() TO fk_runtime;
ALTER TABLE fk_outbox ALTER COLUMN event_id SET DEFAULT fk_time_ordered_uuid();

-- Each element: {type, source, aggregateType, aggregateId, payload (a JSON
-- object), version, principal, correlationId, causationId, subscribers}.
-- Otherwise as in 0010.
CREATE OR REPLACE FUNCTION fk_outbox_publish(p_tenant uuid, p_events jsonb) RETURNS SETOF uuid
  LANGUAGE plpgsql
  SET search_path = public, pg_temp
  AS $$
  DECLARE
    v_ids        uuid[];
    v_deliveries bigint;
    -- The transaction's time, formatted once for every event of the call.
    v_timestamp  text := to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"');
  BEGIN
    -- The common case, one event nobody subscribes to (a posting's), as one
    -- plain INSERT.
    IF jsonb_array_length(p_events) = 1
       AND jsonb_array_length(coalesce(p_events -> 0 -> 'subscribers', '[]')) = 0 THEN
      RETURN QUERY
        INSERT INTO fk_outbox (tenant_id, type, source, aggregate_type, aggregate_id, payload,
                               metadata, version)
        SELECT p_tenant, e ->> 'type', e ->> 'source', e ->> 'aggregateType', e ->> 'aggregateId',
               e -> 'payload',
               jsonb_build_object('userId', e ->> 'principal',
                                  'correlationId', e ->> 'correlationId',
                                  'causationId', e ->> 'causationId',
                                  'tenantId', p_tenant::text,
                                  'timestamp', v_timestamp),
               (e ->> 'version')::integer
          FROM (SELECT p_events -> 0 AS e) AS one
        RETURNING fk_outbox.event_id;
      RETURN;
    END IF;
    WITH input AS MATERIALIZED (
      SELECT fk_time_ordered_uuid() AS event_id, e.value AS event, e.ordinality AS position
        FROM jsonb_array_elements(p_events) WITH ORDINALITY AS e(value, ordinality)
    ), published AS (
      INSERT INTO fk_outbox (tenant_id, event_id, type, source, aggregate_type, aggregate_id,
                             payload, metadata, version)
      SELECT p_tenant, i.event_id, i.event ->> 'type', i.event ->> 'source',
             i.event ->> 'aggregateType', i.event ->> 'aggregateId',
             i.event -> 'payload',
             jsonb_build_object(
               'userId', i.event ->> 'principal',
               'correlationId', i.event ->> 'correlationId',
               'causationId', i.event ->> 'causationId',
               'tenantId', p_tenant::text,
               'timestamp', v_timestamp),
             (i.event ->> 'version')::integer
        FROM input i ORDER BY i.position
      RETURNING fk_outbox.event_id, fk_outbox.seq, fk_outbox.aggregate_type,
                fk_outbox.aggregate_id
    ), delivered AS (
      INSERT INTO fk_event_deliveries (tenant_id, event_id, subscriber, seq, aggregate_type,
                                       aggregate_id)
      SELECT p_tenant, p.event_id, s.subscriber, p.seq, p.aggregate_type, p.aggregate_id
        FROM published p
        JOIN input i ON i.event_id = p.event_id
        CROSS JOIN LATERAL jsonb_array_elements_text(i.event -> 'subscribers') AS s(subscriber)
      RETURNING 1
    )
    SELECT (SELECT array_agg(i.event_id ORDER BY i.position) FROM input i),
           (SELECT count(*) FROM delivered)
      INTO v_ids, v_deliveries;
    -- Folded with identical notifications of the same transaction.
    IF v_deliveries > 0 THEN
      PERFORM pg_notify('fk_events', p_tenant::text);
    END IF;
    RETURN QUERY SELECT unnest(v_ids);
  END $$;
