"""Frequent-term searches that stay fast at 1,000,000 rows (issue 11).

A list searched for a frequent term ("payroll" on a third of the documents) now walks the list
in its own order and tests each row against the term until a page is full (services/paging.py),
instead of collecting every match through the trigram index and sorting them. Two functions
serve the documents list, both SECURITY DEFINER with the policies' checks applied first (the
tenant must be the session's chosen firm and the user must hold `documents:view`,
`desktop__search_tenant` of migration 0008; administrators, who bypass RLS, any firm):

- `desktop_document_matches(tenant, term, ids integer[])`: those of the given documents that
  match the term — title, tags or the latest version's text, as `desktop_document_search`
  searches. One call tests a chunk of the walk; under row-level security the latest version's
  text would cost a policy check of its parent document per row. Only ids of the caller's own
  firm can come back, and only ids the caller passed.
- `desktop_document_search(tenant, term, limit)` (replaced): with a limit, each half of the
  UNION (title/tags, latest text) stops at the limit too. Before, the UNION collected every
  match of both halves before the limit applied — a 2,001-row probe of a frequent term read
  333,000 rows. The first `limit` distinct ids of the union are still there: if either half
  has `limit` matches, so has the union; otherwise both halves are complete.

The downgrade restores 0008's body of `desktop_document_search` and drops the new function.

Revision ID: 0019_search
Revises: 0018_scores
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op

revision = "0019_search"
down_revision = "0018_scores"
branch_labels = None
depends_on = None

UPGRADE = r"""
CREATE OR REPLACE FUNCTION desktop_document_search(p_tenant integer, p_term text,
                                                   p_limit integer DEFAULT NULL)
RETURNS SETOF integer
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp ROWS 200 AS $$
DECLARE
    v_tenant integer := desktop__search_tenant(p_tenant, 'documents');
    v_pattern text := desktop__contains_pattern(p_term);
BEGIN
    IF v_tenant IS NULL OR v_pattern IS NULL THEN
        RETURN;
    END IF;
    RETURN QUERY EXECUTE format(
        '(SELECT d.id FROM documents d WHERE d."tenantId" = %1$s '
        'AND (d.title ILIKE %2$L OR desktop_tags_text(d.tags) ILIKE %2$L) LIMIT %3$s) '
        'UNION '
        '(SELECT d.id FROM document_versions v JOIN documents d ON d."latestVersionId" = v.id '
        'WHERE d."tenantId" = %1$s AND v."ocrText" ILIKE %2$L LIMIT %3$s) LIMIT %3$s',
        v_tenant, v_pattern, desktop__limit_clause(p_limit));
END $$;

CREATE FUNCTION desktop_document_matches(p_tenant integer, p_term text, p_ids integer[])
RETURNS SETOF integer
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp ROWS 200 AS $$
DECLARE
    v_tenant integer := desktop__search_tenant(p_tenant, 'documents');
    v_pattern text := desktop__contains_pattern(p_term);
BEGIN
    IF v_tenant IS NULL OR v_pattern IS NULL OR p_ids IS NULL THEN
        RETURN;
    END IF;
    RETURN QUERY
        SELECT d.id FROM documents d
        LEFT JOIN document_versions v ON v.id = d."latestVersionId"
        WHERE d.id = ANY (p_ids) AND d."tenantId" = v_tenant
          AND (d.title ILIKE v_pattern OR desktop_tags_text(d.tags) ILIKE v_pattern
               OR v."ocrText" ILIKE v_pattern);
END $$;
REVOKE ALL ON FUNCTION desktop_document_matches(integer, text, integer[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION desktop_document_matches(integer, text, integer[]) TO gcmc_staff;
"""

DOWNGRADE = r"""
DROP FUNCTION IF EXISTS desktop_document_matches(integer, text, integer[]);
CREATE OR REPLACE FUNCTION desktop_document_search(p_tenant integer, p_term text,
                                                   p_limit integer DEFAULT NULL)
RETURNS SETOF integer
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp ROWS 200 AS $$
DECLARE
    v_tenant integer := desktop__search_tenant(p_tenant, 'documents');
    v_pattern text := desktop__contains_pattern(p_term);
BEGIN
    IF v_tenant IS NULL OR v_pattern IS NULL THEN
        RETURN;
    END IF;
    RETURN QUERY EXECUTE format(
        'SELECT d.id FROM documents d WHERE d."tenantId" = %1$s '
        'AND (d.title ILIKE %2$L OR desktop_tags_text(d.tags) ILIKE %2$L) '
        'UNION '
        'SELECT d.id FROM document_versions v JOIN documents d ON d."latestVersionId" = v.id '
        'WHERE d."tenantId" = %1$s AND v."ocrText" ILIKE %2$L LIMIT %3$s',
        v_tenant, v_pattern, desktop__limit_clause(p_limit));
END $$;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
