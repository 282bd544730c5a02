"""Security: staff group role, row-level security, provisioning and login-support functions.

Additive: the web platform connects as the tables' owner, which row-level security does not
restrict, so it keeps working. Staff connect as their own login roles (members of gcmc_staff).

Cluster-wide roles (gcmc_staff, gcmc_login, per-user gcmc_u_*) survive a downgrade on purpose:
other databases on the same server may use them.

Revision ID: 0003_security
Revises: 0002_search_indexes
Create Date: 2026-11-27
"""

from alembic import op

revision = "0003_security"
down_revision = "0002_search_indexes"
branch_labels = None
depends_on = None

TENANT_TABLES = (
    "audit_logs",
    "client_businesses",
    "client_portal_access",
    "client_tasks",
    "clients",
    "compliance_rule_sets",
    "compliance_scores",
    "conversations",
    "document_types",
    "documents",
    "filing_types",
    "filings",
    "messages",
    "notifications",
    "recurring_filings",
    "requirement_bundles",
    "roles",
    "service_request_templates",
    "service_requests",
    "services",
    "subscriptions",
    "tasks",
    "tenant_users",
)
# Child tables without tenantId: visible when their parent row is (the parent is RLS-filtered).
CHILD_TABLES = {
    "document_versions": 'EXISTS (SELECT 1 FROM documents p WHERE p.id = "documentId")',
    "permissions": 'EXISTS (SELECT 1 FROM roles p WHERE p.id = "roleId")',
    "service_steps": 'EXISTS (SELECT 1 FROM service_requests p WHERE p.id = "serviceRequestId")',
    "filing_documents": 'EXISTS (SELECT 1 FROM filings p WHERE p.id = "filingId") '
    'AND EXISTS (SELECT 1 FROM documents d WHERE d.id = "documentId")',
    "compliance_rules": 'EXISTS (SELECT 1 FROM compliance_rule_sets p WHERE p.id = "ruleSetId")',
    "requirement_bundle_items": 'EXISTS (SELECT 1 FROM requirement_bundles p WHERE p.id = "bundleId")',
}
# Membership and role tables decide who may do what, so writing them needs the permission too.
GUARDED_WRITES = {
    "tenant_users": ("users", "edit"),
    "roles": ("settings", "edit"),
}

FUNCTIONS = r"""
CREATE TABLE desktop_login_attempts (
    id serial PRIMARY KEY,
    email text NOT NULL,
    "attemptedAt" timestamp(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    success boolean NOT NULL
);
CREATE INDEX desktop_login_attempts_email_idx ON desktop_login_attempts (email, "attemptedAt");

-- The application user behind this connection. session_user cannot be changed by SET ROLE
-- and stays the login role inside SECURITY DEFINER functions.
CREATE FUNCTION gcmc_current_user_id() RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN session_user::text LIKE 'gcmc\_u\_%' THEN substr(session_user::text, 8) END
$$;

CREATE FUNCTION gcmc_is_admin() RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT coalesce((SELECT rolsuper FROM pg_roles WHERE rolname = session_user), false)
        OR pg_has_role(session_user, (SELECT tableowner FROM pg_tables
                                      WHERE schemaname = current_schema() AND tablename = 'tenants'),
                       'MEMBER')
$$;

-- The tenant chosen for this session, if and only if the user is a member of it.
CREATE FUNCTION gcmc_tenant() RETURNS integer
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT tu."tenantId" FROM tenant_users tu
    WHERE tu."tenantId" = nullif(current_setting('gcmc.tenant_id', true), '')::integer
      AND tu."userId" = gcmc_current_user_id()
$$;

CREATE FUNCTION gcmc_my_tenant_ids() RETURNS integer[]
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT coalesce(array_agg("tenantId"), '{}') FROM tenant_users
    WHERE "userId" = gcmc_current_user_id()
$$;

CREATE FUNCTION gcmc_my_memberships()
RETURNS TABLE (tenant_id integer, tenant_name text, tenant_code text, role_id integer,
               role_name text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT t.id, t.name, t.code, r.id, r.name
    FROM tenant_users tu JOIN tenants t ON t.id = tu."tenantId" JOIN roles r ON r.id = tu."roleId"
    WHERE tu."userId" = gcmc_current_user_id()
    ORDER BY t.name
$$;

-- Effective permission (DOMAIN.md desktop convention): the role's permission rows when it has
-- any, else the built-in grants by role name (only SuperAdmin's "everything" is needed here).
CREATE FUNCTION gcmc_user_has_permission(p_user text, p_tenant integer, p_module text,
                                         p_action text) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT EXISTS (
        SELECT 1 FROM tenant_users tu JOIN roles r ON r.id = tu."roleId"
        WHERE tu."tenantId" = p_tenant AND tu."userId" = p_user
          AND CASE WHEN EXISTS (SELECT 1 FROM permissions p WHERE p."roleId" = r.id)
                   THEN EXISTS (SELECT 1 FROM permissions p
                                WHERE p."roleId" = r.id AND p.allowed
                                  AND p.module IN (p_module, '*') AND p.action IN (p_action, '*'))
                   ELSE r.name = 'SuperAdmin' END)
$$;

CREATE FUNCTION gcmc_has_permission(p_module text, p_action text) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT gcmc_user_has_permission(gcmc_current_user_id(), gcmc_tenant(), p_module, p_action)
$$;

CREATE FUNCTION gcmc_role_name(p_user text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$ SELECT 'gcmc_u_' || p_user $$;

CREATE FUNCTION gcmc__require_verifier(p_scram text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF p_scram IS NULL OR p_scram NOT LIKE 'SCRAM-SHA-256$%' THEN
        RAISE EXCEPTION 'a SCRAM-SHA-256 verifier is required, never a plain password'
            USING ERRCODE = '22023';
    END IF;
END $$;

CREATE FUNCTION gcmc__ensure_login_role(p_user text, p_scram text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_role text := gcmc_role_name(p_user);
BEGIN
    PERFORM gcmc__require_verifier(p_scram);
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = v_role) THEN
        EXECUTE format('ALTER ROLE %I WITH LOGIN PASSWORD %L', v_role, p_scram);
    ELSE
        EXECUTE format('CREATE ROLE %I WITH LOGIN PASSWORD %L IN ROLE gcmc_staff',
                       v_role, p_scram);
    END IF;
END $$;

CREATE FUNCTION gcmc__write_credential(p_user text, p_hash text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    IF p_hash IS NULL OR p_hash !~ '^[0-9a-f]{32}:[0-9a-f]{128}$' THEN
        RAISE EXCEPTION 'password hash is not in Better-Auth format' USING ERRCODE = '22023';
    END IF;
    UPDATE account SET password = p_hash, "updatedAt" = (now() AT TIME ZONE 'UTC')
    WHERE "userId" = p_user AND "providerId" = 'credential';
    IF NOT FOUND THEN
        INSERT INTO account (_id, "accountId", "providerId", "userId", password, "updatedAt")
        VALUES (replace(gen_random_uuid()::text, '-', ''), p_user, 'credential', p_user, p_hash,
                (now() AT TIME ZONE 'UTC'));
    END IF;
END $$;

-- Create a staff user (or add an existing one to the tenant) with their own login role.
CREATE FUNCTION gcmc_provision_user(p_tenant integer, p_email text, p_name text,
                                    p_role_id integer, p_scram text, p_hash text)
RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_user text;
    v_email text := lower(trim(p_email));
BEGIN
    IF NOT (gcmc_is_admin()
            OR gcmc_user_has_permission(gcmc_current_user_id(), p_tenant, 'users', 'create')) THEN
        RAISE EXCEPTION 'permission denied: users:create in tenant %', p_tenant
            USING ERRCODE = '42501';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM roles WHERE id = p_role_id AND "tenantId" = p_tenant) THEN
        RAISE EXCEPTION 'role % does not belong to tenant %', p_role_id, p_tenant
            USING ERRCODE = '22023';
    END IF;
    SELECT _id INTO v_user FROM "user" WHERE email = v_email;
    IF v_user IS NULL THEN
        PERFORM gcmc__require_verifier(p_scram);
        v_user := replace(gen_random_uuid()::text, '-', '');
        INSERT INTO "user" (_id, name, email, "emailVerified", "updatedAt")
        VALUES (v_user, p_name, v_email, false, (now() AT TIME ZONE 'UTC'));
        PERFORM gcmc__write_credential(v_user, p_hash);
        PERFORM gcmc__ensure_login_role(v_user, p_scram);
    ELSIF p_scram IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = gcmc_role_name(v_user)) THEN
        PERFORM gcmc__ensure_login_role(v_user, p_scram);
    END IF;
    INSERT INTO tenant_users ("tenantId", "userId", "roleId", "updatedAt")
    VALUES (p_tenant, v_user, p_role_id, (now() AT TIME ZONE 'UTC'))
    ON CONFLICT ("tenantId", "userId") DO UPDATE SET "roleId" = EXCLUDED."roleId",
                                                     "updatedAt" = (now() AT TIME ZONE 'UTC');
    RETURN v_user;
END $$;

CREATE FUNCTION gcmc__may_manage(p_user text, p_action text) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT gcmc_is_admin() OR EXISTS (
        SELECT 1 FROM tenant_users tu
        WHERE tu."userId" = p_user
          AND gcmc_user_has_permission(gcmc_current_user_id(), tu."tenantId", 'users', p_action))
$$;

-- Set a password: your own, or that of a member of a tenant where you hold users:edit.
CREATE FUNCTION gcmc_set_password(p_user text, p_scram text, p_hash text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    IF NOT (coalesce(p_user = gcmc_current_user_id(), false)
            OR gcmc__may_manage(p_user, 'edit')) THEN
        RAISE EXCEPTION 'permission denied: users:edit' USING ERRCODE = '42501';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM "user" WHERE _id = p_user) THEN
        RAISE EXCEPTION 'no such user' USING ERRCODE = '02000';
    END IF;
    PERFORM gcmc__write_credential(p_user, p_hash);
    PERFORM gcmc__ensure_login_role(p_user, p_scram);
END $$;

CREATE FUNCTION gcmc_disable_user(p_user text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    IF p_user IS NOT DISTINCT FROM gcmc_current_user_id() OR NOT gcmc__may_manage(p_user, 'edit') THEN
        RAISE EXCEPTION 'permission denied: users:edit' USING ERRCODE = '42501';
    END IF;
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = gcmc_role_name(p_user)) THEN
        EXECUTE format('ALTER ROLE %I NOLOGIN', gcmc_role_name(p_user));
    END IF;
    DELETE FROM session WHERE "userId" = p_user;
END $$;

-- Login support, callable before the user has a connection of their own (role gcmc_login).
CREATE FUNCTION gcmc_login_locked_until(p_email text) RETURNS timestamp
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT CASE WHEN count(*) >= 5 THEN max("attemptedAt") + interval '15 minutes' END
    FROM (SELECT "attemptedAt" FROM desktop_login_attempts
          WHERE email = lower(trim(p_email)) AND NOT success
            AND "attemptedAt" > now() AT TIME ZONE 'UTC' - interval '15 minutes'
            AND "attemptedAt" > coalesce((SELECT max("attemptedAt") FROM desktop_login_attempts
                                          WHERE email = lower(trim(p_email)) AND success),
                                         '-infinity')) recent
$$;

CREATE FUNCTION gcmc_record_login(p_email text, p_success boolean) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    INSERT INTO desktop_login_attempts (email, "attemptedAt", success)
    VALUES (lower(trim(p_email)), now() AT TIME ZONE 'UTC', p_success)
$$;

-- The login role of an e-mail, if it has one that may log in. NULL otherwise.
CREATE FUNCTION gcmc_login_role(p_email text) RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT r.rolname::text FROM "user" u JOIN pg_roles r ON r.rolname = gcmc_role_name(u._id)
    WHERE u.email = lower(trim(p_email)) AND r.rolcanlogin
$$;

-- The salt of a web-created credential (no desktop role yet). An unknown e-mail gets a
-- stable fake salt so the answer does not reveal which e-mails exist.
CREATE FUNCTION gcmc_credential_salt(p_email text) RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT coalesce(
        (SELECT split_part(a.password, ':', 1) FROM "user" u
         JOIN account a ON a."userId" = u._id AND a."providerId" = 'credential'
         WHERE u.email = lower(trim(p_email)) AND a.password LIKE '%:%'),
        substr(md5('gcmc-salt:' || lower(trim(p_email))), 1, 32))
$$;

-- Enable desktop access for a web-created user who proved their password: the caller sends
-- scrypt(password, salt) and a SCRAM verifier; the stored hash is never returned.
CREATE FUNCTION gcmc_enable_desktop(p_email text, p_key text, p_scram text) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_user text;
    v_hash text;
BEGIN
    IF gcmc_login_locked_until(p_email) IS NOT NULL THEN
        RETURN false;
    END IF;
    SELECT u._id, a.password INTO v_user, v_hash FROM "user" u
    JOIN account a ON a."userId" = u._id AND a."providerId" = 'credential'
    WHERE u.email = lower(trim(p_email));
    IF v_user IS NULL OR v_hash IS NULL OR split_part(v_hash, ':', 2) <> lower(p_key)
       OR EXISTS (SELECT 1 FROM pg_roles WHERE rolname = gcmc_role_name(v_user)) THEN
        PERFORM gcmc_record_login(p_email, false);
        RETURN false;
    END IF;
    PERFORM gcmc__ensure_login_role(v_user, p_scram);
    RETURN true;
END $$;

REVOKE ALL ON FUNCTION gcmc_is_admin(), gcmc_tenant(), gcmc_my_tenant_ids(),
    gcmc_my_memberships(), gcmc_user_has_permission(text, integer, text, text),
    gcmc_has_permission(text, text), gcmc__require_verifier(text),
    gcmc__ensure_login_role(text, text), gcmc__write_credential(text, text),
    gcmc_provision_user(integer, text, text, integer, text, text),
    gcmc__may_manage(text, text), gcmc_set_password(text, text, text),
    gcmc_disable_user(text), gcmc_login_locked_until(text), gcmc_record_login(text, boolean),
    gcmc_login_role(text), gcmc_credential_salt(text), gcmc_enable_desktop(text, text, text)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION gcmc_tenant(), gcmc_my_tenant_ids(), gcmc_my_memberships(),
    gcmc_user_has_permission(text, integer, text, text), gcmc_has_permission(text, text),
    gcmc_provision_user(integer, text, text, integer, text, text),
    gcmc_set_password(text, text, text), gcmc_disable_user(text), gcmc_is_admin()
    TO gcmc_staff;
GRANT EXECUTE ON FUNCTION gcmc_login_locked_until(text), gcmc_record_login(text, boolean),
    gcmc_login_role(text), gcmc_credential_salt(text), gcmc_enable_desktop(text, text, text)
    TO gcmc_login, gcmc_staff;
"""

DROP_FUNCTIONS = """
DROP FUNCTION IF EXISTS gcmc_enable_desktop(text, text, text), gcmc_credential_salt(text),
    gcmc_login_role(text), gcmc_record_login(text, boolean), gcmc_login_locked_until(text),
    gcmc_disable_user(text), gcmc_set_password(text, text, text), gcmc__may_manage(text, text),
    gcmc_provision_user(integer, text, text, integer, text, text),
    gcmc__write_credential(text, text), gcmc__ensure_login_role(text, text),
    gcmc__require_verifier(text), gcmc_role_name(text), gcmc_has_permission(text, text),
    gcmc_user_has_permission(text, integer, text, text), gcmc_my_memberships(),
    gcmc_my_tenant_ids(), gcmc_tenant(), gcmc_is_admin(), gcmc_current_user_id();
DROP TABLE IF EXISTS desktop_login_attempts;
"""


def _roles() -> None:
    op.execute(
        """
        DO $$ BEGIN
            IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'gcmc_staff') THEN
                CREATE ROLE gcmc_staff NOLOGIN NOCREATEROLE NOCREATEDB;
            END IF;
            IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'gcmc_login') THEN
                CREATE ROLE gcmc_login NOLOGIN NOCREATEROLE NOCREATEDB;
            END IF;
        END $$;
        """
    )


def _grants() -> None:
    op.execute("GRANT USAGE ON SCHEMA public TO gcmc_staff, gcmc_login")
    business = (*TENANT_TABLES, *CHILD_TABLES, "tenants")
    for table in business:
        privileges = "SELECT, INSERT" if table == "audit_logs" else "SELECT, INSERT, UPDATE, DELETE"
        if table == "tenants":
            privileges = "SELECT, UPDATE"
        op.execute(f'GRANT {privileges} ON "{table}" TO gcmc_staff')
    op.execute("GRANT SELECT ON plans TO gcmc_staff")
    op.execute('GRANT SELECT ON "user" TO gcmc_staff')
    op.execute(
        'GRANT UPDATE (name, phone, image, "avatarUrl", "updatedAt") ON "user" TO gcmc_staff'
    )
    op.execute("GRANT SELECT, INSERT, UPDATE, DELETE ON session TO gcmc_staff")
    op.execute("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO gcmc_staff")


def _policies() -> None:
    for table in TENANT_TABLES:
        op.execute(f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY')
        scope = '"tenantId" = gcmc_tenant()'
        if table in GUARDED_WRITES:
            module, action = GUARDED_WRITES[table]
            guard = f"{scope} AND gcmc_has_permission('{module}', '{action}')"
            op.execute(
                f'CREATE POLICY staff_read ON "{table}" FOR SELECT TO gcmc_staff USING ({scope})'
            )
            for verb in ("INSERT", "UPDATE", "DELETE"):
                clause = f"WITH CHECK ({guard})" if verb == "INSERT" else f"USING ({guard})"
                if verb == "UPDATE":
                    clause += f" WITH CHECK ({guard})"
                op.execute(
                    f'CREATE POLICY staff_{verb.lower()} ON "{table}" FOR {verb} TO gcmc_staff {clause}'
                )
        elif table == "audit_logs":
            op.execute(
                f'CREATE POLICY staff_read ON "{table}" FOR SELECT TO gcmc_staff USING ({scope})'
            )
            op.execute(
                f'CREATE POLICY staff_insert ON "{table}" FOR INSERT TO gcmc_staff '
                f'WITH CHECK ({scope} AND "actorUserId" IS NOT DISTINCT FROM gcmc_current_user_id())'
            )
        else:
            op.execute(
                f'CREATE POLICY staff_tenant ON "{table}" FOR ALL TO gcmc_staff '
                f"USING ({scope}) WITH CHECK ({scope})"
            )
    for table, parent in CHILD_TABLES.items():
        op.execute(f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY')
        if table == "permissions":
            guard = f"{parent} AND gcmc_has_permission('settings', 'edit')"
            op.execute(
                f'CREATE POLICY staff_read ON "{table}" FOR SELECT TO gcmc_staff USING ({parent})'
            )
            op.execute(
                f'CREATE POLICY staff_write ON "{table}" FOR ALL TO gcmc_staff '
                f"USING ({guard}) WITH CHECK ({guard})"
            )
        else:
            op.execute(
                f'CREATE POLICY staff_parent ON "{table}" FOR ALL TO gcmc_staff '
                f"USING ({parent}) WITH CHECK ({parent})"
            )
    op.execute("ALTER TABLE tenants ENABLE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY staff_read ON tenants FOR SELECT TO gcmc_staff "
        "USING (id = ANY (gcmc_my_tenant_ids()))"
    )
    op.execute(
        "CREATE POLICY staff_update ON tenants FOR UPDATE TO gcmc_staff "
        "USING (id = gcmc_tenant() AND gcmc_has_permission('settings', 'edit')) "
        "WITH CHECK (id = gcmc_tenant())"
    )
    op.execute('ALTER TABLE "user" ENABLE ROW LEVEL SECURITY')
    op.execute(
        'CREATE POLICY staff_read ON "user" FOR SELECT TO gcmc_staff USING ('
        "_id = gcmc_current_user_id() OR EXISTS (SELECT 1 FROM tenant_users tu "
        'WHERE tu."userId" = "user"._id))'
    )
    op.execute(
        'CREATE POLICY staff_update ON "user" FOR UPDATE TO gcmc_staff '
        "USING (_id = gcmc_current_user_id() OR gcmc_has_permission('users', 'edit')) "
        'WITH CHECK (EXISTS (SELECT 1 FROM tenant_users tu WHERE tu."userId" = "user"._id) '
        "OR _id = gcmc_current_user_id())"
    )
    op.execute("ALTER TABLE session ENABLE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY staff_own ON session FOR ALL TO gcmc_staff "
        'USING ("userId" = gcmc_current_user_id()) WITH CHECK ("userId" = gcmc_current_user_id())'
    )


ALL_RLS_TABLES = (*TENANT_TABLES, *CHILD_TABLES, "tenants", "user", "session")


def upgrade() -> None:
    _roles()
    op.execute(FUNCTIONS)
    _grants()
    _policies()


def downgrade() -> None:
    for table in ALL_RLS_TABLES:
        op.execute(f'ALTER TABLE "{table}" DISABLE ROW LEVEL SECURITY')
        op.execute(
            f"""
            DO $$ DECLARE p record; BEGIN
                FOR p IN SELECT policyname FROM pg_policies
                         WHERE schemaname = current_schema() AND tablename = '{table}' LOOP
                    EXECUTE format('DROP POLICY %I ON %I', p.policyname, '{table}');
                END LOOP;
            END $$;
            """
        )
    op.execute("REVOKE ALL ON ALL TABLES IN SCHEMA public FROM gcmc_staff, gcmc_login")
    op.execute("REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM gcmc_staff, gcmc_login")
    op.execute("REVOKE ALL ON SCHEMA public FROM gcmc_staff, gcmc_login")
    op.execute(DROP_FUNCTIONS)
