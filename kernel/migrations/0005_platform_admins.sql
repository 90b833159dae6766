-- Platform administrators: a realm of their own, with no tenant. The table
-- is platform-scoped (no tenant_id) and readable by no one but its owner;
-- the runtime role reaches it only through the three functions below, each
-- doing one thing the login and request paths need.
CREATE TABLE platform_admins (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  email           text NOT NULL UNIQUE CHECK (email = lower(email) AND length(email) BETWEEN 3 AND 254),
  display_name    text NOT NULL DEFAULT '',
  password_hash   text NOT NULL,
  roles           text[] NOT NULL DEFAULT '{}',
  status          text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
  token_version   bigint NOT NULL DEFAULT 1,
  failed_logins   integer NOT NULL DEFAULT 0,
  first_failed_at timestamptz,
  locked_until    timestamptz,
  created_at      timestamptz NOT NULL DEFAULT now()
);
REVOKE ALL ON platform_admins FROM PUBLIC;

CREATE FUNCTION fk_platform_admin_for_login(p_email text)
  RETURNS TABLE (id uuid, password_hash text, token_version bigint, active boolean, locked boolean)
  LANGUAGE sql STABLE SECURITY DEFINER
  SET search_path = public, pg_temp
  AS $$ SELECT a.id, a.password_hash, a.token_version, a.status = 'active',
               coalesce(a.locked_until > now(), false)
          FROM public.platform_admins a WHERE a.email = p_email $$;

-- Records a login outcome: success resets the counters (and may upgrade the
-- hash); failure counts within the window and locks at the limit.
CREATE FUNCTION fk_platform_admin_login_outcome(p_id uuid, p_success boolean, p_new_hash text,
                                                p_max_failures int, p_window_seconds int,
                                                p_lock_seconds int)
  RETURNS void
  LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = public, pg_temp
  AS $$
  BEGIN
    IF p_success THEN
      UPDATE public.platform_admins
         SET failed_logins = 0, first_failed_at = NULL, locked_until = NULL,
             password_hash = coalesce(p_new_hash, password_hash)
       WHERE id = p_id;
    ELSE
      UPDATE public.platform_admins
         SET failed_logins = CASE WHEN first_failed_at IS NULL
                                    OR first_failed_at < now() - make_interval(secs => p_window_seconds)
                                  THEN 1 ELSE failed_logins + 1 END,
             first_failed_at = CASE WHEN first_failed_at IS NULL
                                      OR first_failed_at < now() - make_interval(secs => p_window_seconds)
                                    THEN now() ELSE first_failed_at END
       WHERE id = p_id;
      UPDATE public.platform_admins
         SET locked_until = now() + make_interval(secs => p_lock_seconds),
             failed_logins = 0, first_failed_at = NULL
       WHERE id = p_id AND failed_logins >= p_max_failures;
    END IF;
  END $$;

-- What the request path needs to authorize a platform token: is the admin
-- still active at this token version, and with which roles.
CREATE FUNCTION fk_platform_admin_principal(p_id uuid)
  RETURNS TABLE (active boolean, token_version bigint, roles text)
  LANGUAGE sql STABLE SECURITY DEFINER
  SET search_path = public, pg_temp
  AS $$ SELECT a.status = 'active', a.token_version, array_to_string(a.roles, ',')
          FROM public.platform_admins a WHERE a.id = p_id $$;

REVOKE ALL ON FUNCTION fk_platform_admin_for_login(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION fk_platform_admin_login_outcome(uuid, boolean, text, int, int, int) FROM PUBLIC;
REVOKE ALL ON FUNCTION fk_platform_admin_principal(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION fk_platform_admin_for_login(text) TO fk_runtime;
GRANT EXECUTE ON FUNCTION fk_platform_admin_login_outcome(uuid, boolean, text, int, int, int) TO fk_runtime;
GRANT EXECUTE ON FUNCTION fk_platform_admin_principal(uuid) TO fk_runtime;
