"""The scores list's requirement-bundle filter by an index (issue 14, the list at scale).
Additive only.

The Compliance page's *Bundle* filter keeps the clients whose breakdown deducts points for an
item of that bundle. It was `breakdown -> 'items' @> '[{"bundle_id": n}]'` on every score row
of the firm in score order: each row's breakdown de-TOASTed and searched, over the whole firm
when few or no clients match (100,000 clients: see README). Now:

- `desktop_score_bundles(breakdown)`: the distinct bundle ids a breakdown's items name, as an
  integer array (IMMUTABLE; it never fails on what another writer stored: non-array items,
  non-object items, non-integer ids are skipped; no items, an empty array);
- `desktop_compliance_scores_bundles_idx`: a GIN index over it, partial — only the rows that
  name a bundle (a breakdown without bundle items costs the index nothing; bundle ids are
  unique across firms, so the firm is checked on the rows found);
- `desktop_score_bundle_clients(tenant, bundle)` (SECURITY DEFINER): the firm's client ids whose
  score names that bundle, read through that index. Under row-level security PostgreSQL will
  not use an index for the non-leakproof array `@>` before the policy's check, so the list
  asks this function (the firm must be the session's and the user must hold
  compliance:view — `desktop__search_tenant`; administrators any firm) and joins its ids by
  the leakproof integer equality.

Revision ID: 0026_scores2
Revises: 0025_offline
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op

revision = "0026_scores2"
down_revision = "0025_offline"
branch_labels = None
depends_on = None

UPGRADE = r"""
CREATE FUNCTION desktop_score_bundles(p_breakdown jsonb) RETURNS integer[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = public, pg_temp AS $$
    SELECT coalesce(array_agg(DISTINCT (i ->> 'bundle_id')::integer), '{}')
    FROM jsonb_array_elements(CASE WHEN jsonb_typeof(p_breakdown -> 'items') = 'array'
                                   THEN p_breakdown -> 'items' END) i
    WHERE jsonb_typeof(i -> 'bundle_id') = 'number'
      AND (i ->> 'bundle_id') ~ '^[0-9]{1,9}$'
$$;

CREATE INDEX desktop_compliance_scores_bundles_idx ON compliance_scores
    USING gin (desktop_score_bundles(breakdown))
    WHERE desktop_score_bundles(breakdown) <> '{}';

CREATE FUNCTION desktop_score_bundle_clients(p_tenant integer, p_bundle integer)
RETURNS SETOF integer
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp ROWS 1000 AS $$
DECLARE
    v_tenant integer := desktop__search_tenant(p_tenant, 'compliance');
BEGIN
    IF v_tenant IS NULL OR p_bundle IS NULL THEN
        RETURN;
    END IF;
    RETURN QUERY
        SELECT s."clientId" FROM compliance_scores s
        WHERE s."tenantId" = v_tenant
          AND desktop_score_bundles(s.breakdown) @> ARRAY[p_bundle]
          AND desktop_score_bundles(s.breakdown) <> '{}';
END $$;
REVOKE ALL ON FUNCTION desktop_score_bundle_clients(integer, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION desktop_score_bundle_clients(integer, integer) TO gcmc_staff;
"""

DOWNGRADE = """
DROP FUNCTION IF EXISTS desktop_score_bundle_clients(integer, integer);
DROP INDEX IF EXISTS desktop_compliance_scores_bundles_idx;
DROP FUNCTION IF EXISTS desktop_score_bundles(jsonb);
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
