"""Deleted items (issue 15, "Trash"): a deleted client, document, filing or service request is
kept for 30 days in `desktop_trash`, so it can be restored with its ids and links.

- `desktop_trash`: one row per delete — the firm, what was deleted (entity type and id, a
  label, its client), who deleted it and when, and `payload`: the rows of every table the
  delete cascaded to, as `to_jsonb` of each row, in insertion order, with the links that the
  delete set to NULL outside the cascade. Written by the service in the delete's transaction.
  Desktop-only and additive; the web platform never sees it.
- Row-level security like the firm tables: a member sees and restores the firm's deleted items
  of the modules they may delete in (client → clients, document → documents, filing → filings,
  service request → services); they insert only as themselves; only administrators (the
  maintenance run's purge) delete rows.
- `desktop__trash_stamp` (BEFORE INSERT): the deleter is the connected user, never what the
  client sends; for a client, the ids of its audit rows (which the delete's foreign key sets to
  NULL) are read here, by the database, not taken from the payload.
- `desktop__trash_restored` (AFTER UPDATE of restoredAt): the audit row "restore" (staff may not
  write audit rows themselves), and for a client its audit rows linked back to it.

Revision ID: 0016_trash
Revises: 0015_schema_compat
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op

revision = "0016_trash"
down_revision = "0015_schema_compat"
branch_labels = None
depends_on = None

UPGRADE = r"""
CREATE TABLE desktop_trash (
    id serial PRIMARY KEY,
    "tenantId" integer NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    "entityType" text NOT NULL
        CHECK ("entityType" IN ('client', 'document', 'filing', 'service_request')),
    "entityId" integer NOT NULL,
    label text NOT NULL DEFAULT '',
    "clientId" integer,  -- no foreign key: the client may be in the trash itself
    "clientName" text,
    "deletedBy" text REFERENCES "user" (_id) ON DELETE SET NULL,
    "deletedByName" text,
    "deletedAt" timestamp(3) NOT NULL DEFAULT (now() AT TIME ZONE 'utc'),
    payload jsonb NOT NULL,
    "auditIds" integer[] NOT NULL DEFAULT '{}',
    "restoredAt" timestamp(3),
    "restoredBy" text REFERENCES "user" (_id) ON DELETE SET NULL
);
CREATE INDEX desktop_trash_tenant_deleted_idx ON desktop_trash ("tenantId", "deletedAt", id);
CREATE INDEX desktop_trash_client_idx ON desktop_trash ("tenantId", "clientId");
CREATE INDEX desktop_trash_deleted_idx ON desktop_trash ("deletedAt");

-- The permission module guarding an entity type's deleted items.
CREATE FUNCTION desktop__trash_module(p_entity text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE p_entity
        WHEN 'client' THEN 'clients'
        WHEN 'document' THEN 'documents'
        WHEN 'filing' THEN 'filings'
        WHEN 'service_request' THEN 'services'
    END
$$;

ALTER TABLE desktop_trash ENABLE ROW LEVEL SECURITY;
CREATE POLICY staff_select ON desktop_trash FOR SELECT TO gcmc_staff
    USING ("tenantId" = (SELECT gcmc_tenant())
           AND gcmc_has_permission(desktop__trash_module("entityType"), 'delete'));
CREATE POLICY staff_insert ON desktop_trash FOR INSERT TO gcmc_staff
    WITH CHECK ("tenantId" = (SELECT gcmc_tenant())
                AND "deletedBy" = gcmc_current_user_id()
                AND "restoredAt" IS NULL
                AND gcmc_has_permission(desktop__trash_module("entityType"), 'delete'));
CREATE POLICY staff_update ON desktop_trash FOR UPDATE TO gcmc_staff
    USING ("tenantId" = (SELECT gcmc_tenant()) AND "restoredAt" IS NULL
           AND gcmc_has_permission(desktop__trash_module("entityType"), 'delete'))
    WITH CHECK ("tenantId" = (SELECT gcmc_tenant())
                AND "restoredBy" = gcmc_current_user_id()
                AND gcmc_has_permission(desktop__trash_module("entityType"), 'delete'));

CREATE FUNCTION desktop__trash_stamp() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    IF gcmc_current_user_id() IS NOT NULL THEN
        NEW."deletedBy" := gcmc_current_user_id();
        NEW."deletedAt" := now() AT TIME ZONE 'utc';
        NEW."restoredAt" := NULL;
        NEW."restoredBy" := NULL;
        NEW."auditIds" := '{}';
    END IF;
    IF NEW."entityType" = 'client' THEN
        NEW."auditIds" := coalesce((SELECT array_agg(a.id ORDER BY a.id) FROM audit_logs a
                                    WHERE a."tenantId" = NEW."tenantId"
                                      AND a."clientId" = NEW."entityId"), '{}');
    END IF;
    RETURN NEW;
END $$;
REVOKE ALL ON FUNCTION desktop__trash_stamp() FROM PUBLIC;
CREATE TRIGGER desktop_trash_stamp BEFORE INSERT ON desktop_trash
    FOR EACH ROW EXECUTE FUNCTION desktop__trash_stamp();

CREATE FUNCTION desktop__trash_restored() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_client integer;
BEGIN
    -- The client, if it exists (again) in the row's own firm.
    SELECT c.id INTO v_client FROM clients c
    WHERE c.id = NEW."clientId" AND c."tenantId" = NEW."tenantId";
    IF NEW."entityType" = 'client' AND v_client IS NOT NULL THEN
        UPDATE audit_logs a SET "clientId" = v_client
        WHERE a."tenantId" = NEW."tenantId" AND a."clientId" IS NULL
          AND (a.id = ANY (NEW."auditIds")
               OR (a.action = 'delete'
                   AND ((a."entityType" = 'client' AND a."entityId" = v_client)
                        OR a.changes -> 'client_id' ->> 0 = v_client::text)));
    END IF;
    INSERT INTO audit_logs ("tenantId", "actorUserId", "clientId", "entityType", "entityId",
                            action, changes, "ipAddress", "userAgent")
    VALUES (NEW."tenantId", gcmc_current_user_id(), v_client, NEW."entityType", NEW."entityId",
            'restore',
            jsonb_build_object('label', jsonb_build_array(NULL, NEW.label),
                               'deleted_at', jsonb_build_array(NEW."deletedAt", NULL),
                               'deleted_by', jsonb_build_array(NEW."deletedBy", NULL)),
            left(nullif(current_setting('gcmc.ip_address', true), ''), 64),
            left(nullif(current_setting('gcmc.user_agent', true), ''), 300));
    RETURN NULL;
END $$;
REVOKE ALL ON FUNCTION desktop__trash_restored() FROM PUBLIC;
CREATE TRIGGER desktop_trash_restored AFTER UPDATE OF "restoredAt" ON desktop_trash
    FOR EACH ROW WHEN (OLD."restoredAt" IS NULL AND NEW."restoredAt" IS NOT NULL
                       AND gcmc_current_user_id() IS NOT NULL)
    EXECUTE FUNCTION desktop__trash_restored();

REVOKE ALL ON desktop_trash FROM PUBLIC;
GRANT SELECT, INSERT ON desktop_trash TO gcmc_staff;
GRANT UPDATE ("restoredAt", "restoredBy") ON desktop_trash TO gcmc_staff;
GRANT USAGE ON SEQUENCE desktop_trash_id_seq TO gcmc_staff;
"""

DOWNGRADE = """
DROP TABLE IF EXISTS desktop_trash;
DROP FUNCTION IF EXISTS desktop__trash_restored(), desktop__trash_stamp(),
    desktop__trash_module(text);
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
