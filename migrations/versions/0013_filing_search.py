"""The filings list's search for staff through the indexes (issue 12: fast at 1,000,000 filings).

The list searches client name, reference number and period label. As an `ILIKE` under the
staff's row-level security it could use no index (PostgreSQL applies a non-leakproof operator
only after the policies), so a search read every filing of the firm: 1.2 s at 1,000,000. As the
clients and documents lists do (migration 0008), `desktop_filing_search(tenant, term, limit)`
applies the policies' checks itself — the tenant must be the session's chosen firm and the user
must hold `filings:view` — and then searches through trigram indexes on the reference number
and the period label, and through `desktop_client_search` (which checks `clients:view` in turn)
for the client: its name, e-mail, TIN or NIS number. Administrators (no RLS) may search any
firm, as they may read it. Additive only.

Revision ID: 0013_filing_search
Revises: 0012_requests
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

from gcmc_desktop.db.online import create_index_concurrently

revision = "0013_filing_search"
down_revision = "0012_requests"
branch_labels = None
depends_on = None

UPGRADE = r"""
CREATE FUNCTION desktop_filing_search(p_tenant integer, p_term text, p_limit integer DEFAULT NULL)
RETURNS SETOF integer
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp ROWS 200 AS $$
DECLARE
    v_tenant integer := desktop__search_tenant(p_tenant, 'filings');
    v_pattern text := desktop__contains_pattern(p_term);
BEGIN
    IF v_tenant IS NULL OR v_pattern IS NULL THEN
        RETURN;
    END IF;
    RETURN QUERY EXECUTE format(
        'SELECT f.id FROM filings f WHERE f."tenantId" = %1$s '
        'AND (f."referenceNumber" ILIKE %2$L OR f."periodLabel" ILIKE %2$L) '
        'UNION '
        'SELECT f.id FROM filings f WHERE f."tenantId" = %1$s '
        'AND f."clientId" IN (SELECT desktop_client_search(%1$s, %3$L)) LIMIT %4$s',
        v_tenant, v_pattern, p_term, desktop__limit_clause(p_limit));
END $$;
REVOKE ALL ON FUNCTION desktop_filing_search(integer, text, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION desktop_filing_search(integer, text, integer) TO gcmc_staff;
"""

DOWNGRADE = """
DROP FUNCTION IF EXISTS desktop_filing_search(integer, text, integer);
DROP INDEX IF EXISTS desktop_filings_period_label_trgm;
DROP INDEX IF EXISTS desktop_filings_reference_trgm;
"""


# Filings is one of the platform's busiest tables: its indexes are built without blocking
# writers (db/online.py).
INDEXES = (
    ("desktop_filings_reference_trgm", 'USING gin ("referenceNumber" gin_trgm_ops)'),
    ("desktop_filings_period_label_trgm", 'USING gin ("periodLabel" gin_trgm_ops)'),
)


def upgrade() -> None:
    # Indexes first: if one waits too long the step stops before anything else is applied.
    for name, definition in INDEXES:
        create_index_concurrently(name, "filings", definition)
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
