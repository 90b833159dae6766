-- The writes a request makes last, each as ONE statement, so the kernel can
-- send them together with COMMIT in a single round trip (libpq pipeline
-- mode, db/tenant_transaction.cpp). Both run as the caller (SECURITY
-- INVOKER): the runtime role's grants and the tables' row-level security
-- apply exactly as to the statements they replace.

-- Appends records to the current tenant's audit chain (docs/audit.md).
-- The kernel sends each record's canonical middle part (`body`: occurred_at
-- through summary, serialized by audit/canonical.cpp); this function locks
-- the chain head and frames it exactly as canonical_record() does:
--   [<format>,"<tenant>",<seq>,<body>,"<prev_hash>"]
-- so the hash is the one the kernel's verifier recomputes. The head stays
-- locked until the transaction ends: one chain grows one append at a time.
CREATE FUNCTION fk_audit_append(p_format_json text, p_genesis_hash text, p_records jsonb)
  RETURNS TABLE (appended_seq bigint, appended_hash text)
  LANGUAGE plpgsql
  SET search_path = public, pg_temp
  AS $$
  DECLARE
    v_tenant uuid := fk_current_tenant();
    v_seq    bigint;
    v_hash   text;
    v_prev   text;
    v_record jsonb;
  BEGIN
    IF v_tenant IS NULL THEN
      RAISE EXCEPTION 'audit append outside a tenant transaction'
        USING ERRCODE = 'insufficient_privilege';
    END IF;
    SELECT h.seq, h.hash INTO v_seq, v_hash
      FROM audit_chain_heads h WHERE h.tenant_id = v_tenant FOR UPDATE;
    IF NOT FOUND THEN
      -- The chain's first append; ON CONFLICT makes concurrent firsts safe.
      INSERT INTO audit_chain_heads AS h (tenant_id, seq, hash)
        VALUES (v_tenant, 0, p_genesis_hash) ON CONFLICT (tenant_id) DO NOTHING;
      SELECT h.seq, h.hash INTO STRICT v_seq, v_hash
        FROM audit_chain_heads h WHERE h.tenant_id = v_tenant FOR UPDATE;
    END IF;

    FOR i IN 0 .. jsonb_array_length(p_records) - 1 LOOP
      v_record := p_records -> i;
      v_prev := v_hash;
      v_seq := v_seq + 1;
      v_hash := encode(sha256(convert_to(
                  '[' || p_format_json || ',"' || v_tenant::text || '",' || v_seq::text || ','
                      || (v_record ->> 'body') || ',"' || v_prev || '"]', 'UTF8')), 'hex');
      INSERT INTO audit_log (tenant_id, seq, occurred_at, actor_type, actor_id, action, resource,
                             outcome, request_id, client_address, summary, prev_hash, hash)
        VALUES (v_tenant, v_seq, (v_record ->> 'occurred_at')::timestamptz,
                v_record ->> 'actor_type', v_record ->> 'actor_id', v_record ->> 'action',
                v_record ->> 'resource', v_record ->> 'outcome', v_record ->> 'request_id',
                v_record ->> 'client_address', v_record -> 'summary', v_prev, v_hash);
      appended_seq := v_seq;
      appended_hash := v_hash;
      RETURN NEXT;
    END LOOP;

    UPDATE audit_chain_heads h SET seq = v_seq, hash = v_hash WHERE h.tenant_id = v_tenant;
  END $$;
REVOKE ALL ON FUNCTION fk_audit_append(text, text, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION fk_audit_append(text, text, jsonb) TO fk_runtime;

-- Publishes events through the outbox (events/outbox.hpp) for tenant
-- p_tenant, which row-level security requires to be the current tenant: one
-- fk_outbox row per event, in the given order (seq follows it), one pending
-- delivery per listed subscriber, and a notification PostgreSQL sends only
-- on commit. Each element: {type, source, aggregateType, aggregateId,
-- payloadText (the JSON object as text), version, principal, correlationId,
-- causationId, subscribers} — validated by the kernel first, and again by
-- the tables' checks.
-- Returns the new event ids in order.
CREATE FUNCTION fk_outbox_publish(p_tenant uuid, p_events jsonb) RETURNS SETOF uuid
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
    -- plain INSERT: a third of the set-based statement's cost.
    IF jsonb_array_length(p_events) = 1
       AND jsonb_array_length(coalesce(p_events -> 0 -> 'subscribers', '[]')) = 0 THEN
      RETURN QUERY
        INSERT INTO fk_outbox (tenant_id, type, source, aggregate_type, aggregate_id, payload,
                               metadata, version)
        SELECT p_tenant, e ->> 'type', e ->> 'source', e ->> 'aggregateType', e ->> 'aggregateId',
               (e ->> 'payloadText')::jsonb,
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
      SELECT gen_random_uuid() AS event_id, e.value AS event, e.ordinality AS position
        FROM jsonb_array_elements(p_events) WITH ORDINALITY AS e(value, ordinality)
    ), published AS (
      INSERT INTO fk_outbox (tenant_id, event_id, type, source, aggregate_type, aggregate_id,
                             payload, metadata, version)
      SELECT p_tenant, i.event_id, i.event ->> 'type', i.event ->> 'source',
             i.event ->> 'aggregateType', i.event ->> 'aggregateId',
             (i.event ->> 'payloadText')::jsonb,
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
REVOKE ALL ON FUNCTION fk_outbox_publish(uuid, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION fk_outbox_publish(uuid, jsonb) TO fk_runtime;
