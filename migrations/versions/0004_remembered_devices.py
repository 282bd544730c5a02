"""Remembered devices: "remember me" without keeping the password.

A user who ticks "remember me" gets a second login role, `gcmc_r_<user id>`, whose password is a
random device secret kept in the workstation's OS keyring and which expires with the remembered
session (VALID UNTIL). It acts as the same user (gcmc_current_user_id knows both prefixes).
Remembering on another workstation replaces the secret; signing out or disabling the user ends it.

Revision ID: 0004_remembered_devices
Revises: 0003_security
Create Date: 2026-11-27
"""

from alembic import op

revision = "0004_remembered_devices"
down_revision = "0003_security"
branch_labels = None
depends_on = None

UPGRADE = r"""
CREATE OR REPLACE FUNCTION gcmc_current_user_id() RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN session_user::text LIKE 'gcmc\_u\_%' OR session_user::text LIKE 'gcmc\_r\_%'
                THEN substr(session_user::text, 8) END
$$;

CREATE FUNCTION gcmc_remember_device(p_scram text, p_until timestamp) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_user text := gcmc_current_user_id();
    v_role text;
BEGIN
    IF v_user IS NULL THEN
        RAISE EXCEPTION 'only a signed-in staff user can remember a device' USING ERRCODE = '42501';
    END IF;
    PERFORM gcmc__require_verifier(p_scram);
    v_role := 'gcmc_r_' || v_user;
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = v_role) THEN
        EXECUTE format('ALTER ROLE %I WITH LOGIN PASSWORD %L VALID UNTIL %L',
                       v_role, p_scram, p_until || '+00');
    ELSE
        EXECUTE format('CREATE ROLE %I WITH LOGIN PASSWORD %L VALID UNTIL %L IN ROLE gcmc_staff',
                       v_role, p_scram, p_until || '+00');
    END IF;
    RETURN v_role;
END $$;

CREATE FUNCTION gcmc_forget_device() RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_role text := 'gcmc_r_' || gcmc_current_user_id();
BEGIN
    IF v_role IS NOT NULL AND EXISTS (SELECT 1 FROM pg_roles WHERE rolname = v_role) THEN
        EXECUTE format('ALTER ROLE %I NOLOGIN', v_role);
    END IF;
END $$;

CREATE OR REPLACE FUNCTION gcmc_disable_user(p_user text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_role text;
BEGIN
    IF p_user IS NOT DISTINCT FROM gcmc_current_user_id() OR NOT gcmc__may_manage(p_user, 'edit') THEN
        RAISE EXCEPTION 'permission denied: users:edit' USING ERRCODE = '42501';
    END IF;
    FOREACH v_role IN ARRAY ARRAY[gcmc_role_name(p_user), 'gcmc_r_' || p_user] LOOP
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = v_role) THEN
            EXECUTE format('ALTER ROLE %I NOLOGIN', v_role);
        END IF;
    END LOOP;
    DELETE FROM session WHERE "userId" = p_user;
END $$;

REVOKE ALL ON FUNCTION gcmc_remember_device(text, timestamp), gcmc_forget_device() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION gcmc_remember_device(text, timestamp), gcmc_forget_device() TO gcmc_staff;
"""

DOWNGRADE = r"""
DROP FUNCTION IF EXISTS gcmc_remember_device(text, timestamp), gcmc_forget_device();
CREATE OR REPLACE FUNCTION gcmc_current_user_id() RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN session_user::text LIKE 'gcmc\_u\_%' THEN substr(session_user::text, 8) END
$$;
CREATE OR REPLACE FUNCTION gcmc_disable_user(p_user text) RETURNS void
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
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
