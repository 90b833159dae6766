-- Tenancy foundation: the platform-scoped tenants table and the function
-- every row-level security policy uses to read the request's tenant.
--
-- Runs as the owner role (fk_owner). The runtime role (fk_runtime) gets only
-- the grants named here; it owns nothing and cannot bypass RLS.

-- The tenant of the current transaction, or NULL when none is set. The
-- pipeline sets fk.tenant_id with set_config(..., true), so it reverts at the
-- end of every transaction; an unset or reverted ('') setting yields NULL,
-- which matches no row. A malformed value raises an error rather than
-- matching anything. Policies call it as (SELECT fk_current_tenant()) so
-- PostgreSQL evaluates it once per statement (an InitPlan), not once per row.
CREATE FUNCTION fk_current_tenant() RETURNS uuid
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $$ SELECT nullif(current_setting('fk.tenant_id', true), '')::uuid $$;

CREATE TABLE tenants (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  slug         text NOT NULL UNIQUE
               CHECK (slug ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
  display_name text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 200),
  status       text NOT NULL DEFAULT 'active'
               CHECK (status IN ('active', 'suspended', 'deleted')),
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now()
);
-- The runtime role cannot read tenants; it asks the one function meant for it.
REVOKE ALL ON tenants FROM PUBLIC;

-- Status of one tenant by id (NULL if unknown), for the request pipeline's
-- tenant resolution. SECURITY DEFINER with a pinned search_path so it runs
-- as the owner without being hijackable through the caller's search_path.
CREATE FUNCTION fk_tenant_status(p_tenant_id uuid) RETURNS text
  LANGUAGE sql STABLE SECURITY DEFINER
  SET search_path = public, pg_temp
  AS $$ SELECT status FROM public.tenants WHERE id = p_tenant_id $$;
REVOKE ALL ON FUNCTION fk_tenant_status(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION fk_tenant_status(uuid) TO fk_runtime;
GRANT EXECUTE ON FUNCTION fk_current_tenant() TO fk_runtime;
