"""The firm-wide audit page and the audit archive (issue 15, "Audit trail"). Additive only.

- `desktop_audit_archive`: old audit rows moved out of `audit_logs` by
  `gcmc maintenance audit-archive` — the same columns (ids kept, so a restore puts every row
  back as it was), the same foreign keys (a firm's deletion takes its archive along, a deleted
  client or user is forgotten as in `audit_logs`), indexed for the Audit page's keyset reads.
  Row-level security as `audit_logs`: staff read their chosen firm's rows and write nothing; only
  the administrator's maintenance command moves rows in and out.
- `desktop_audit_search(tenant, term, limit)`: the Audit page's search — the entries about a
  client whose name, e-mail, TIN or NIS number contains the term (through
  `desktop_client_search`, which checks `clients:view`) and the entries made by a user whose
  name or e-mail contains it, current and archived. An `ILIKE` over the joined names under the
  staff's row-level security could use no index (ARCHITECTURE.md, "Performance under row-level
  security"); the function applies the policy's check itself — the tenant must be the
  session's chosen firm, of which the user is a member (`gcmc_tenant()`), as the audit log
  needs no other permission — and then looks the entries up through the (clientId) and
  (tenantId, actorUserId) indexes. A foreign firm, NULL or an empty term returns nothing.

Revision ID: 0021_audit
Revises: 0020_admin
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op

revision = "0021_audit"
down_revision = "0020_admin"
branch_labels = None
depends_on = None

UPGRADE = r"""
CREATE TABLE desktop_audit_archive (
    id integer PRIMARY KEY,
    "tenantId" integer NOT NULL
        REFERENCES tenants (id) ON DELETE CASCADE ON UPDATE CASCADE,
    "actorUserId" text REFERENCES "user" (_id) ON DELETE SET NULL ON UPDATE CASCADE,
    "clientId" integer REFERENCES clients (id) ON DELETE SET NULL ON UPDATE CASCADE,
    "entityType" text NOT NULL,
    "entityId" integer NOT NULL,
    action text NOT NULL,
    changes jsonb,
    "createdAt" timestamp(3) NOT NULL,
    "ipAddress" text,
    "userAgent" text
);
CREATE INDEX desktop_audit_archive_tenant_created ON desktop_audit_archive ("tenantId", "createdAt");
CREATE INDEX desktop_audit_archive_tenant_actor ON desktop_audit_archive ("tenantId", "actorUserId");
CREATE INDEX desktop_audit_archive_tenant_entity ON desktop_audit_archive ("tenantId", "entityType");
CREATE INDEX desktop_audit_archive_client ON desktop_audit_archive ("clientId");

ALTER TABLE desktop_audit_archive ENABLE ROW LEVEL SECURITY;
CREATE POLICY staff_select ON desktop_audit_archive FOR SELECT TO gcmc_staff
    USING ("tenantId" = gcmc_tenant());
REVOKE ALL ON desktop_audit_archive FROM PUBLIC;
GRANT SELECT ON desktop_audit_archive TO gcmc_staff;

CREATE FUNCTION desktop_audit_search(p_tenant integer, p_term text, p_limit integer DEFAULT NULL)
RETURNS SETOF integer
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp ROWS 200 AS $$
DECLARE
    v_pattern text := desktop__contains_pattern(p_term);
BEGIN
    IF p_tenant IS NULL OR v_pattern IS NULL THEN
        RETURN;
    END IF;
    IF NOT gcmc_is_admin() AND p_tenant IS DISTINCT FROM gcmc_tenant() THEN
        RETURN;
    END IF;
    -- Per matching client / user an index read ((clientId), (tenantId, actorUserId)); UNION
    -- ALL, so that a LIMIT stops early (an id in both halves counts twice towards it).
    RETURN QUERY EXECUTE format(
        'WITH c AS MATERIALIZED (SELECT desktop_client_search(%1$s, %3$L) AS id), '
        'u AS MATERIALIZED (SELECT _id FROM "user" WHERE name ILIKE %2$L OR email ILIKE %2$L) '
        'SELECT x.id FROM ('
        'SELECT a.id FROM c CROSS JOIN LATERAL (SELECT a.id FROM audit_logs a '
        'WHERE a."clientId" = c.id AND a."tenantId" = %1$s) a '
        'UNION ALL SELECT a.id FROM u CROSS JOIN LATERAL (SELECT a.id FROM audit_logs a '
        'WHERE a."tenantId" = %1$s AND a."actorUserId" = u._id) a '
        'UNION ALL SELECT a.id FROM c CROSS JOIN LATERAL (SELECT a.id FROM desktop_audit_archive a '
        'WHERE a."clientId" = c.id AND a."tenantId" = %1$s) a '
        'UNION ALL SELECT a.id FROM u CROSS JOIN LATERAL (SELECT a.id FROM desktop_audit_archive a '
        'WHERE a."tenantId" = %1$s AND a."actorUserId" = u._id) a'
        ') x LIMIT %4$s',
        p_tenant, v_pattern, p_term, desktop__limit_clause(p_limit));
END $$;
REVOKE ALL ON FUNCTION desktop_audit_search(integer, text, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION desktop_audit_search(integer, text, integer) TO gcmc_staff;
"""

# Archived rows go back to audit_logs first: a downgrade loses no audit row.
DOWNGRADE = """
DROP FUNCTION IF EXISTS desktop_audit_search(integer, text, integer);
INSERT INTO audit_logs (id, "tenantId", "actorUserId", "clientId", "entityType", "entityId",
                        action, changes, "createdAt", "ipAddress", "userAgent")
SELECT id, "tenantId", "actorUserId", "clientId", "entityType", "entityId",
       action, changes, "createdAt", "ipAddress", "userAgent"
FROM desktop_audit_archive ON CONFLICT (id) DO NOTHING;
DROP TABLE IF EXISTS desktop_audit_archive;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
