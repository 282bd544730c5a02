"""The latest version's expiry of a firm's documents in one read, for the compliance engine.

The scoring engine (services/compliance_scoring.py) needs, for every document of the firm, the
expiry date of its latest version. Under the staff's row-level security each document_versions
row pays its policy's check of the parent document (a correlated probe of `documents` per row):
2.3 s of a 10,000-client recalculation went there. `desktop_document_expiries(tenant)` applies
the policies' checks once — the tenant must be the session's chosen firm and the user must hold
`documents:view` (`desktop__search_tenant`, migration 0008); administrators (no RLS) may read
any firm, as they may read its tables — and then returns (documentId, expiryDate) for the
firm's documents whose `latestVersionId` is one of their own versions. Additive only.

Revision ID: 0014_scoring
Revises: 0013_filing_search
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0014_scoring"
down_revision = "0013_filing_search"
branch_labels = None
depends_on = None

UPGRADE = r"""
CREATE FUNCTION desktop_document_expiries(p_tenant integer)
RETURNS TABLE ("documentId" integer, "expiryDate" timestamp)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp ROWS 100000 AS $$
DECLARE
    v_tenant integer := desktop__search_tenant(p_tenant, 'documents');
BEGIN
    IF v_tenant IS NULL THEN
        RETURN;
    END IF;
    RETURN QUERY
        SELECT d.id, v."expiryDate" FROM documents d
        JOIN document_versions v ON v.id = d."latestVersionId" AND v."documentId" = d.id
        WHERE d."tenantId" = v_tenant;
END $$;
REVOKE ALL ON FUNCTION desktop_document_expiries(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION desktop_document_expiries(integer) TO gcmc_staff;
"""

DOWNGRADE = """
DROP FUNCTION IF EXISTS desktop_document_expiries(integer);
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
