"""Offline review (issue 18): clients checked out to a laptop. Additive only.

- `desktop_checkouts`: one row per client a user has taken offline (id uuid, tenantId,
  clientId, userId, checkedOutAt, expiresAt, releasedAt, wipeRequestedAt). At most one open
  checkout per client. Row-level security by tenant: staff of the chosen firm read the firm's
  checkouts (the screens show who holds a client); a user inserts checkouts only for
  themselves, for a client of the chosen firm that they may view, expiring within 90 days; the
  holder releases their own; someone with users:edit may release anyone's or request a wipe.
  Only `releasedAt` and `wipeRequestedAt` can be updated; nothing is deleted by staff.
- `desktop_offline_applied`: (checkoutId, seq) of every offline change already replayed on the
  server, written in the same transaction as the change — an interrupted sync resumes without
  applying anything twice. RLS through the parent checkout: the holder's own only.
- The firm's policy `tenants.settings->>'offlineCheckoutPolicy'`: "read_only" | "flag"
  (default "flag"). Under "read_only" a BEFORE trigger on the client's rows refuses other
  users' writes while the client is checked out (not released, not expired), with a message
  naming the holder. The holder's own writes (the sync) pass.

Revision ID: 0022_offline
Revises: 0021_audit
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op

revision = "0022_offline"
down_revision = "0021_audit"
branch_labels = None
depends_on = None

STAFF = "gcmc_current_user_id() IS NOT NULL"

# Table -> where its client comes from (as the audit triggers spell it).
GUARDED: dict[str, str] = {
    "clients": "self",
    "client_businesses": "clientId",
    "client_tasks": "clientId",
    "conversations": "clientId",
    "documents": "clientId",
    "document_versions": "documents:documentId",
    "filings": "clientId",
    "filing_documents": "filings:filingId",
    "messages": "conversations:conversationId",
    "recurring_filings": "clientId",
    "service_requests": "clientId",
    "service_steps": "service_requests:serviceRequestId",
    "tasks": "clientId",
}

UPGRADE = r"""
CREATE TABLE desktop_checkouts (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    "tenantId" integer NOT NULL REFERENCES tenants (id) ON DELETE CASCADE ON UPDATE CASCADE,
    "clientId" integer NOT NULL REFERENCES clients (id) ON DELETE CASCADE ON UPDATE CASCADE,
    "userId" text NOT NULL REFERENCES "user" (_id) ON DELETE CASCADE ON UPDATE CASCADE,
    "checkedOutAt" timestamp(3) NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'),
    "expiresAt" timestamp(3) NOT NULL,
    "releasedAt" timestamp(3),
    "wipeRequestedAt" timestamp(3),
    CONSTRAINT desktop_checkouts_expiry CHECK ("expiresAt" > "checkedOutAt")
);
CREATE UNIQUE INDEX desktop_checkouts_open ON desktop_checkouts ("clientId")
    WHERE "releasedAt" IS NULL;
CREATE INDEX desktop_checkouts_tenant_user ON desktop_checkouts ("tenantId", "userId");

CREATE TABLE desktop_offline_applied (
    "checkoutId" uuid NOT NULL REFERENCES desktop_checkouts (id) ON DELETE CASCADE,
    seq integer NOT NULL,
    "appliedAt" timestamp(3) NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'),
    PRIMARY KEY ("checkoutId", seq)
);

ALTER TABLE desktop_checkouts ENABLE ROW LEVEL SECURITY;
CREATE POLICY staff_select ON desktop_checkouts FOR SELECT TO gcmc_staff
    USING ("tenantId" = gcmc_tenant());
CREATE POLICY staff_insert ON desktop_checkouts FOR INSERT TO gcmc_staff
    WITH CHECK ("tenantId" = gcmc_tenant()
                AND "userId" = gcmc_current_user_id()
                AND gcmc_has_permission('clients', 'view')
                AND "releasedAt" IS NULL AND "wipeRequestedAt" IS NULL
                AND "expiresAt" <= (now() AT TIME ZONE 'UTC') + interval '90 days'
                AND EXISTS (SELECT 1 FROM clients c
                            WHERE c.id = "clientId" AND c."tenantId" = gcmc_tenant()));
CREATE POLICY staff_update ON desktop_checkouts FOR UPDATE TO gcmc_staff
    USING ("tenantId" = gcmc_tenant()
           AND ("userId" = gcmc_current_user_id() OR gcmc_has_permission('users', 'edit')))
    WITH CHECK ("tenantId" = gcmc_tenant()
                AND ("userId" = gcmc_current_user_id() OR gcmc_has_permission('users', 'edit')));
REVOKE ALL ON desktop_checkouts FROM PUBLIC;
GRANT SELECT, INSERT ON desktop_checkouts TO gcmc_staff;
GRANT UPDATE ("releasedAt", "wipeRequestedAt") ON desktop_checkouts TO gcmc_staff;

ALTER TABLE desktop_offline_applied ENABLE ROW LEVEL SECURITY;
CREATE POLICY staff_own ON desktop_offline_applied FOR ALL TO gcmc_staff
    USING (EXISTS (SELECT 1 FROM desktop_checkouts c
                   WHERE c.id = "checkoutId" AND c."tenantId" = gcmc_tenant()
                     AND c."userId" = gcmc_current_user_id()))
    WITH CHECK (EXISTS (SELECT 1 FROM desktop_checkouts c
                        WHERE c.id = "checkoutId" AND c."tenantId" = gcmc_tenant()
                          AND c."userId" = gcmc_current_user_id()));
REVOKE ALL ON desktop_offline_applied FROM PUBLIC;
GRANT SELECT, INSERT ON desktop_offline_applied TO gcmc_staff;

-- Released checkouts cannot be reopened; the holder, client and expiry never change.
CREATE FUNCTION gcmc__checkout_update() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF OLD."releasedAt" IS NOT NULL AND NEW."releasedAt" IS DISTINCT FROM OLD."releasedAt" THEN
        RAISE EXCEPTION 'This checkout was already checked in.';
    END IF;
    IF OLD."wipeRequestedAt" IS NOT NULL
       AND NEW."wipeRequestedAt" IS DISTINCT FROM OLD."wipeRequestedAt" THEN
        RAISE EXCEPTION 'A wipe was already requested for this offline copy.';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER desktop_checkout_update BEFORE UPDATE ON desktop_checkouts
    FOR EACH ROW WHEN (gcmc_current_user_id() IS NOT NULL)
    EXECUTE FUNCTION gcmc__checkout_update();

-- Policy "read_only": other users' writes to a checked-out client's rows are refused.
-- TG_ARGV[0] = where the client comes from: 'self', a column, or 'table:column'.
CREATE FUNCTION gcmc__offline_guard() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_row jsonb;
    v_source text := TG_ARGV[0];
    v_client integer;
    v_holder text;
BEGIN
    -- Fast path: nobody has anything checked out.
    IF NOT EXISTS (SELECT 1 FROM desktop_checkouts WHERE "releasedAt" IS NULL) THEN
        RETURN coalesce(NEW, OLD);
    END IF;
    v_row := to_jsonb(CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END);
    IF v_source = 'self' THEN
        v_client := (v_row ->> 'id')::integer;
    ELSIF v_source LIKE '%:%' THEN
        EXECUTE format('SELECT "clientId" FROM %I WHERE id = $1', split_part(v_source, ':', 1))
        INTO v_client USING (v_row ->> split_part(v_source, ':', 2))::integer;
    ELSE
        v_client := (v_row ->> v_source)::integer;
    END IF;
    IF v_client IS NULL THEN
        RETURN coalesce(NEW, OLD);
    END IF;
    SELECT u.name INTO v_holder
    FROM desktop_checkouts k
    JOIN tenants t ON t.id = k."tenantId"
    JOIN "user" u ON u._id = k."userId"
    WHERE k."clientId" = v_client AND k."releasedAt" IS NULL
      AND k."expiresAt" > (now() AT TIME ZONE 'UTC')
      AND k."userId" IS DISTINCT FROM gcmc_current_user_id()
      AND coalesce(t.settings ->> 'offlineCheckoutPolicy', 'flag') = 'read_only';
    IF FOUND THEN
        RAISE EXCEPTION 'This client is checked out for offline work by %; it is read-only until they check it back in.',
            coalesce(v_holder, 'another user');
    END IF;
    RETURN coalesce(NEW, OLD);
END $$;
REVOKE ALL ON FUNCTION gcmc__offline_guard() FROM PUBLIC;
"""

DOWNGRADE = """
DROP TABLE IF EXISTS desktop_offline_applied;
DROP TABLE IF EXISTS desktop_checkouts;
DROP FUNCTION IF EXISTS gcmc__offline_guard();
DROP FUNCTION IF EXISTS gcmc__checkout_update();
"""


def upgrade() -> None:
    op.execute(UPGRADE)
    for table, source in GUARDED.items():
        op.execute(
            f'CREATE TRIGGER desktop_offline_guard BEFORE INSERT OR UPDATE OR DELETE ON "{table}" '
            f"FOR EACH ROW WHEN ({STAFF}) EXECUTE FUNCTION gcmc__offline_guard('{source}')"
        )


def downgrade() -> None:
    for table in GUARDED:
        op.execute(f'DROP TRIGGER IF EXISTS desktop_offline_guard ON "{table}"')
    op.execute(DOWNGRADE)
