-- Per-tenant encryption keys (docs/keys.md). Plaintext keys never reach the
-- database: every key column holds a key wrapped (AES-256-GCM) by the master
-- key, which lives outside the database (key file or environment).
-- Both tables follow the tenancy rules of 0002_tenant_settings.sql.

-- One row per tenant: which data key version encrypts, the lowest version
-- that may still decrypt, and the tenant's blind-index key (never rotated
-- with the data keys, or equality lookups over old rows would break).
CREATE TABLE tenant_key_state (
  tenant_id           uuid NOT NULL REFERENCES tenants (id),
  current_version     integer NOT NULL CHECK (current_version >= 1),
  min_decrypt_version integer NOT NULL DEFAULT 1
                      CHECK (min_decrypt_version BETWEEN 1 AND current_version),
  wrapped_index_key   text NOT NULL,
  index_master_key_id text NOT NULL,
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id)
);
ALTER TABLE tenant_key_state ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenant_key_state FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tenant_key_state
  USING (tenant_id = (SELECT fk_current_tenant()))
  WITH CHECK (tenant_id = (SELECT fk_current_tenant()));

-- The tenant's data keys (DEKs), one per version. usage_count counts the
-- messages encrypted under the version, so the service rotates well before
-- the random-nonce limit of AES-GCM (NIST SP 800-38D, 2^32 messages).
CREATE TABLE tenant_data_keys (
  tenant_id     uuid NOT NULL REFERENCES tenants (id),
  version       integer NOT NULL CHECK (version >= 1),
  wrapped_key   text NOT NULL,
  master_key_id text NOT NULL,
  usage_count   bigint NOT NULL DEFAULT 0 CHECK (usage_count >= 0),
  created_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, version),
  FOREIGN KEY (tenant_id) REFERENCES tenant_key_state (tenant_id) ON DELETE CASCADE
);
ALTER TABLE tenant_data_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenant_data_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tenant_data_keys
  USING (tenant_id = (SELECT fk_current_tenant()))
  WITH CHECK (tenant_id = (SELECT fk_current_tenant()));

-- DELETE is granted because crypto-shredding runs in the tenant's own
-- transaction as the runtime role; RLS confines it to that tenant's rows.
GRANT SELECT, INSERT, UPDATE, DELETE ON tenant_key_state TO fk_runtime;
GRANT SELECT, INSERT, UPDATE, DELETE ON tenant_data_keys TO fk_runtime;
