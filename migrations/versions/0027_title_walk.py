"""A searched documents list in title order walks the title index (issue 11, the last figure).

`desktop_document_search_page` (0024) collects every match of the term through the trigram
indexes and sorts them: for a frequent term ("annual return 2019": 18,182 documents of
1,000,000) that is one heap visit per match, 80 ms with the pages cached and 200 ms once a
count of the whole list has pushed them out of PostgreSQL's buffers. In title order — the
documents list's default — the same page is read from the `(tenantId, title, id)` index alone:
its entries in order, each title tested against the term, until the page is full (72,000
entries, 45 ms, no heap visit).

The walk is bounded by what the trigram way would cost: 12 index entries for each title match
the planner expects (an entry tested costs about a twelfth of a match's heap visit), at most
200,000. A term the planner expects in fewer than 4 pages' worth of rows skips the walk, and a
walk that reaches its bound (or the firm's last title) before the page is full falls back to
the 0024 function, so no search costs much more than before. ASCII titles are tested under
the "C" collation — ASCII case folding, half the cost of the locale's per-row conversion —
and any other title (or a term that is not ASCII) under the database's, so the matches are
exactly ILIKE's. Matches by tag or by the latest version's text are found
through their trigram indexes as before and merged in title order. Every other order is
served by the 0024 function unchanged.

The planner's estimate comes from EXPLAIN, which PostgreSQL allows only in a VOLATILE function:
the new function is declared so (it still writes nothing). The 0024 function is renamed `desktop__document_search_page_matches` (still SECURITY DEFINER
with its own checks, no longer executable by staff); the new `desktop_document_search_page`
has the same arguments, checks (`desktop__search_tenant`) and results. The downgrade drops it
and restores the old one under its name and grant.

Revision ID: 0027_title_walk
Revises: 0026_scores2
Create Date: 2026-12-04
"""

from __future__ import annotations

from alembic import op

revision = "0027_title_walk"
down_revision = "0026_scores2"
branch_labels = None
depends_on = None

SIGNATURE = "(integer, text, text, boolean, text, integer, integer)"

UPGRADE = rf"""
ALTER FUNCTION desktop_document_search_page{SIGNATURE}
    RENAME TO desktop__document_search_page_matches;
REVOKE EXECUTE ON FUNCTION desktop__document_search_page_matches{SIGNATURE} FROM gcmc_staff;

CREATE FUNCTION desktop_document_search_page(p_tenant integer, p_term text, p_sort text,
                                             p_descending boolean, p_after_value text,
                                             p_after_id integer, p_limit integer)
RETURNS SETOF integer
-- VOLATILE only because PostgreSQL allows EXPLAIN in no other kind of function; it writes
-- nothing.
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp ROWS 200 AS $$
DECLARE
    v_tenant integer;
    v_pattern text;
    v_desc boolean := coalesce(p_descending, false);
    v_dir text;
    v_plan json;
    v_bound bigint;
    v_segments text[];
    v_ids integer[];
    v_titles text[];
    v_test text;
BEGIN
    IF p_sort IS DISTINCT FROM 'title' OR p_limit IS NULL OR p_limit < 1 THEN
        RETURN QUERY SELECT * FROM desktop__document_search_page_matches(
            p_tenant, p_term, p_sort, p_descending, p_after_value, p_after_id, p_limit);
        RETURN;
    END IF;
    v_tenant := desktop__search_tenant(p_tenant, 'documents');
    v_pattern := desktop__contains_pattern(p_term);
    IF v_tenant IS NULL OR v_pattern IS NULL THEN
        RETURN;
    END IF;
    -- The title matches the planner expects (it tests the pattern on its column statistics).
    EXECUTE format('EXPLAIN (FORMAT JSON) SELECT 1 FROM documents m '
                   'WHERE m."tenantId" = %1$s AND m.title ILIKE %2$L', v_tenant, v_pattern)
        INTO v_plan;
    v_bound := least(ceil(12 * (v_plan -> 0 -> 'Plan' ->> 'Plan Rows')::numeric), 200000);
    IF v_bound >= 4 * p_limit THEN
        v_dir := CASE WHEN v_desc THEN ' DESC' ELSE '' END;
        -- Titles are never NULL: one segment after any cursor, or none (past the end).
        v_segments := desktop__keyset_segments('m.title', 'text', false, 'm.id', v_desc,
                                               p_after_value, p_after_id);
        IF cardinality(v_segments) = 0 THEN
            RETURN;
        END IF;
        -- The walk: index entries in order, each title tested, until the page is full. An
        -- ASCII title is tested under the "C" collation (ASCII case folding, without the
        -- locale's per-row conversion: half the cost), any other under the database's.
        v_test := CASE WHEN octet_length(v_pattern) = length(v_pattern) THEN format(
                '(m.title ILIKE %1$L COLLATE "C" OR (octet_length(m.title) <> length(m.title) '
                'AND m.title ILIKE %1$L))', v_pattern)
            ELSE format('m.title ILIKE %L', v_pattern) END;
        EXECUTE format(
            'SELECT array_agg(w.id ORDER BY w.title%3$s, w.id%3$s), '
            'array_agg(w.title ORDER BY w.title%3$s, w.id%3$s) FROM ('
            'SELECT m.id, m.title FROM (SELECT m.id, m.title FROM documents m '
            'WHERE m."tenantId" = %1$s AND %2$s ORDER BY m.title%3$s, m.id%3$s LIMIT %4$s) m '
            'WHERE %5$s ORDER BY m.title%3$s, m.id%3$s LIMIT %6$s) w',
            v_tenant, v_segments[1], v_dir, v_bound, v_test, p_limit)
            INTO v_ids, v_titles;
        -- Fewer: the bound (or the firm's end) came first; the trigram way finds them all.
        IF coalesce(cardinality(v_ids), 0) >= p_limit THEN
            -- The first title matches are all known: merge the tag and text matches.
            RETURN QUERY EXECUTE format(
                'SELECT m.id FROM ('
                'SELECT unnest($1) AS id, unnest($2) AS title '
                'UNION SELECT d.id, d.title FROM documents d WHERE d."tenantId" = %1$s '
                'AND desktop_tags_text(d.tags) ILIKE %2$L '
                'UNION SELECT d.id, d.title FROM document_versions v '
                'JOIN documents d ON d."latestVersionId" = v.id '
                'WHERE d."tenantId" = %1$s AND v."ocrText" ILIKE %2$L) m '
                'WHERE %3$s ORDER BY m.title%4$s, m.id%4$s LIMIT %5$s',
                v_tenant, v_pattern, v_segments[1], v_dir, p_limit)
                USING v_ids, v_titles;
            RETURN;
        END IF;
    END IF;
    RETURN QUERY SELECT * FROM desktop__document_search_page_matches(
        p_tenant, p_term, p_sort, p_descending, p_after_value, p_after_id, p_limit);
END $$;

REVOKE ALL ON FUNCTION desktop_document_search_page{SIGNATURE} FROM PUBLIC;
GRANT EXECUTE ON FUNCTION desktop_document_search_page{SIGNATURE} TO gcmc_staff;
"""

DOWNGRADE = rf"""
DROP FUNCTION IF EXISTS desktop_document_search_page{SIGNATURE};
ALTER FUNCTION desktop__document_search_page_matches{SIGNATURE}
    RENAME TO desktop_document_search_page;
GRANT EXECUTE ON FUNCTION desktop_document_search_page{SIGNATURE} TO gcmc_staff;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
