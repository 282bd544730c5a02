"""Administration: members' sign-in state, enabling a user again, plan usage, firms for SuperAdmin.

Additive only. Every function is SECURITY DEFINER with the checks the application makes:

- `desktop_member_last_sign_in(user)`: the latest successful desktop sign-in or web/desktop
  session start of a member of the chosen firm — only for a caller holding `users:view` there
  (staff cannot read `desktop_login_attempts` or other users' sessions themselves).
- `gcmc_enable_user(user)`: the mirror of `gcmc_disable_user` (0003/0006): the login role gets
  LOGIN back; never one's own, only with `users:edit` over a role within the caller's in every
  firm the user belongs to (`gcmc__may_manage`).
- `desktop_plan_usage(tenant, kind)`: members, clients or stored bytes of the chosen firm (what
  the plan limits count), for any member — a staff member without `documents:view` must not slip
  under the storage limit because they cannot see the versions.
- `desktop_tenants()` / `desktop_create_tenant(name, code)`: SuperAdmin (`tenants:view` /
  `tenants:create`, which only the `*` grant holds) lists every firm and creates one, with the
  nine standard roles (permission rows from `desktop_role_templates`) and the creator as its
  SuperAdmin member. Staff have no INSERT on tenants, and the membership / role guards (0006)
  would refuse the first member of a firm the creator is not yet in, so for exactly these
  inserts the function sets a transaction-local marker keyed with a server-side secret
  (`desktop_secrets`, unreadable by staff) that the guard triggers' WHEN clauses skip on.

Revision ID: 0020_admin
Revises: 0019_search
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op

revision = "0020_admin"
down_revision = "0019_search"
branch_labels = None
depends_on = None

STAFF = "gcmc_current_user_id() IS NOT NULL"
# (trigger, table, timing/events, function call) as migration 0006 created them.
GUARDS = (
    (
        "desktop_guard_membership",
        "tenant_users",
        "BEFORE INSERT OR UPDATE OR DELETE",
        "gcmc__guard_membership()",
    ),
    (
        "desktop_guard_own_role",
        "roles",
        "BEFORE INSERT OR UPDATE OR DELETE",
        "gcmc__guard_own_role('id')",
    ),
    (
        "desktop_guard_role_within",
        "roles",
        "AFTER INSERT OR UPDATE",
        "gcmc__guard_role_within('id')",
    ),
    (
        "desktop_guard_own_role",
        "permissions",
        "BEFORE INSERT OR UPDATE OR DELETE",
        "gcmc__guard_own_role('roleId')",
    ),
    (
        "desktop_guard_role_within",
        "permissions",
        "AFTER INSERT OR UPDATE OR DELETE",
        "gcmc__guard_role_within('roleId')",
    ),
)

UPGRADE = r"""
INSERT INTO desktop_secrets (name, value)
VALUES ('bootstrap_key', replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''))
ON CONFLICT (name) DO NOTHING;

-- Is this transaction inside desktop_create_tenant? Only that function knows the key.
CREATE FUNCTION desktop__bootstrapping() RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT coalesce(current_setting('gcmc.bootstrap', true), '') <> ''
       AND current_setting('gcmc.bootstrap', true)
           = (SELECT value FROM desktop_secrets WHERE name = 'bootstrap_key')
$$;

CREATE FUNCTION desktop_member_last_sign_in(p_user text) RETURNS timestamp
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT CASE WHEN p_user IS NOT NULL
                 AND (gcmc_is_admin() OR (
                      coalesce(gcmc_has_permission('users', 'view'), false)
                      AND EXISTS (SELECT 1 FROM tenant_users
                                  WHERE "userId" = p_user AND "tenantId" = gcmc_tenant())))
           THEN (SELECT max(t) FROM (
                    SELECT max(a."attemptedAt") AS t FROM desktop_login_attempts a
                    JOIN "user" u ON u.email = a.email
                    WHERE u._id = p_user AND a.success
                    UNION ALL
                    SELECT max(s."createdAt") FROM session s WHERE s."userId" = p_user) x)
      END
$$;

CREATE FUNCTION gcmc_enable_user(p_user text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    IF p_user IS NULL OR p_user IS NOT DISTINCT FROM gcmc_current_user_id()
       OR NOT gcmc__may_manage(p_user, 'edit') THEN
        RAISE EXCEPTION 'permission denied: users:edit' USING ERRCODE = '42501';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = gcmc_role_name(p_user)) THEN
        RAISE EXCEPTION 'this user has no desktop login yet: set a password for them first'
            USING ERRCODE = '22023';
    END IF;
    EXECUTE format('ALTER ROLE %I LOGIN', gcmc_role_name(p_user));
END $$;

-- One figure per call (`users`, `clients`, `storage` bytes): a create path counts only the
-- limit it is about, never the whole firm's document versions for a new client.
CREATE FUNCTION desktop_plan_usage(p_tenant integer, p_kind text) RETURNS bigint
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    IF p_tenant IS NULL OR NOT (gcmc_is_admin() OR p_tenant IS NOT DISTINCT FROM gcmc_tenant())
    THEN
        RAISE EXCEPTION 'permission denied: not a member of this firm' USING ERRCODE = '42501';
    END IF;
    IF p_kind = 'users' THEN
        RETURN (SELECT count(*) FROM tenant_users WHERE "tenantId" = p_tenant);
    ELSIF p_kind = 'clients' THEN
        RETURN (SELECT count(*) FROM clients WHERE "tenantId" = p_tenant);
    ELSIF p_kind = 'storage' THEN
        RETURN (SELECT coalesce(sum(v."fileSize"), 0)::bigint FROM document_versions v
                JOIN documents d ON d.id = v."documentId" WHERE d."tenantId" = p_tenant);
    END IF;
    RAISE EXCEPTION 'unknown usage %', p_kind USING ERRCODE = '22023';
END $$;

CREATE FUNCTION desktop_tenants()
RETURNS TABLE (id integer, code text, name text, members bigint, plan text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    IF NOT (gcmc_is_admin() OR coalesce(gcmc_has_permission('tenants', 'view'), false)) THEN
        RAISE EXCEPTION 'permission denied: tenants:view' USING ERRCODE = '42501';
    END IF;
    RETURN QUERY
        SELECT t.id, t.code, t.name,
               (SELECT count(*) FROM tenant_users tu WHERE tu."tenantId" = t.id),
               (SELECT p.name FROM subscriptions s JOIN plans p ON p.id = s."planId"
                WHERE s."tenantId" = t.id ORDER BY s."startDate" DESC, s.id DESC LIMIT 1)
        FROM tenants t ORDER BY lower(t.name), t.id;
END $$;

CREATE FUNCTION desktop_create_tenant(p_name text, p_code text) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_me text := gcmc_current_user_id();
    v_name text := btrim(coalesce(p_name, ''));
    v_code text := coalesce(p_code, '');
    v_tenant integer;
    v_role integer;
    v_super integer;
    r record;
BEGIN
    IF v_me IS NULL OR NOT coalesce(gcmc_has_permission('tenants', 'create'), false) THEN
        RAISE EXCEPTION 'permission denied: tenants:create' USING ERRCODE = '42501';
    END IF;
    IF v_name = '' OR length(v_name) > 200 THEN
        RAISE EXCEPTION 'enter the firm''s name (at most 200 characters)' USING ERRCODE = '22023';
    END IF;
    IF v_code !~ '^[a-z0-9-]{1,50}$' THEN
        RAISE EXCEPTION 'the code takes 1 to 50 lower-case letters, digits or hyphens'
            USING ERRCODE = '22023';
    END IF;
    INSERT INTO tenants (name, code, "contactInfo", settings, "updatedAt")
    VALUES (v_name, v_code, '{}'::jsonb,
            '{"timezone": "America/Guyana", "dateFormat": "DD/MM/YYYY"}'::jsonb,
            now() AT TIME ZONE 'UTC')
    RETURNING id INTO v_tenant;
    PERFORM set_config('gcmc.bootstrap',
                       (SELECT value FROM desktop_secrets WHERE name = 'bootstrap_key'), true);
    FOR r IN SELECT DISTINCT role_name FROM desktop_role_templates ORDER BY role_name LOOP
        INSERT INTO roles ("tenantId", name, "updatedAt")
        VALUES (v_tenant, r.role_name, now() AT TIME ZONE 'UTC') RETURNING id INTO v_role;
        INSERT INTO permissions ("roleId", module, action, allowed, "updatedAt")
        SELECT v_role, t.module, t.action, true, now() AT TIME ZONE 'UTC'
        FROM desktop_role_templates t WHERE t.role_name = r.role_name;
        IF r.role_name = 'SuperAdmin' THEN
            v_super := v_role;
        END IF;
    END LOOP;
    IF v_super IS NOT NULL THEN
        INSERT INTO tenant_users ("tenantId", "userId", "roleId", "updatedAt")
        VALUES (v_tenant, v_me, v_super, now() AT TIME ZONE 'UTC');
    END IF;
    PERFORM set_config('gcmc.bootstrap', '', true);
    RETURN v_tenant;
EXCEPTION WHEN OTHERS THEN
    PERFORM set_config('gcmc.bootstrap', '', true);
    RAISE;
END $$;

REVOKE ALL ON FUNCTION desktop__bootstrapping(), desktop_member_last_sign_in(text),
    gcmc_enable_user(text), desktop_plan_usage(integer, text), desktop_tenants(),
    desktop_create_tenant(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION desktop__bootstrapping(), desktop_member_last_sign_in(text),
    gcmc_enable_user(text), desktop_plan_usage(integer, text), desktop_tenants(),
    desktop_create_tenant(text, text) TO gcmc_staff;
"""

DOWNGRADE = """
DROP FUNCTION IF EXISTS desktop_create_tenant(text, text), desktop_tenants(),
    desktop_plan_usage(integer, text), gcmc_enable_user(text), desktop_member_last_sign_in(text);
"""


def _guards(when: str) -> None:
    for trigger, table, events, call in GUARDS:
        op.execute(f'DROP TRIGGER IF EXISTS {trigger} ON "{table}"')
        op.execute(
            f'CREATE TRIGGER {trigger} {events} ON "{table}" '
            f"FOR EACH ROW WHEN ({when}) EXECUTE FUNCTION {call}"
        )


def upgrade() -> None:
    op.execute(UPGRADE)
    _guards(f"{STAFF} AND NOT desktop__bootstrapping()")


def downgrade() -> None:
    _guards(STAFF)
    op.execute(DOWNGRADE)
    op.execute("DROP FUNCTION IF EXISTS desktop__bootstrapping()")
    op.execute("DELETE FROM desktop_secrets WHERE name = 'bootstrap_key'")
