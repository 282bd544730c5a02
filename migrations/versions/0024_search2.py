"""Sort-aware search pages: a searched list's page in one call at 1,000,000 rows (issue 11).

Migration 0019 made a search walk the list in its order, which serves a term that is frequent
*throughout* the list. A term whose matches form one block far down the sort order ("annual
return 2019": 18,182 documents, 72,000 rows into the title order) or start a few thousand rows
in ("Persaud" among clients by name) fell back to every id of the search function, each then
looked up and checked by the policies: seconds. Two SECURITY DEFINER functions return the page
itself instead:

- `desktop_document_search_page(tenant, term, sort_key, descending, after_value, after_id,
  limit)`: the first `limit` ids of the firm's documents that match the term (title, tags or
  the latest version's text, as `desktop_document_search`) in the list's order — the sort key
  (the document's own column, or `desktop_latest_versions` / `desktop_client_names` for the
  joined ones), then the id, natural NULL placement — after the keyset cursor (after_value,
  after_id; no cursor when after_id is NULL). The planner, seeing the term as a literal,
  chooses per term between the trigram indexes plus a top-N sort and the sort key's index
  with the term as a filter; neither checks a policy per row.
- `desktop_client_search_page(...)`: the same over the clients (name, e-mail, TIN, NIS).

The checks are the search functions' (`desktop__search_tenant`: the session's chosen firm,
membership, the module's view permission; administrators any firm). Sorting documents by
client name also needs `clients:view` (the names are guarded by it). The sort key must be one
of an allow-list (the SQL is never built from the key's text); the cursor's value is passed as
a quoted literal and cast to the key's type. NULL, empty or foreign arguments return nothing.
The list's query then reads those ids' rows under row-level security, applies its filters and
orders them (services/paging.py).

The downgrade drops the three new functions; no existing function changes.

Revision ID: 0024_search2
Revises: 0023_audit_scope
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op

revision = "0024_search2"
down_revision = "0023_audit_scope"
branch_labels = None
depends_on = None

UPGRADE = r"""
-- The WHERE conditions, in order, whose results concatenated are the rows after a keyset cursor
-- in the order (key, id), natural NULL placement (ASC NULLS LAST, DESC NULLS FIRST) — as
-- PagedQuery._segments. p_key, p_type and p_id are SQL from the callers' allow-lists, never
-- user input; the value is quoted (%L) and cast.
CREATE FUNCTION desktop__keyset_segments(p_key text, p_type text, p_nullable boolean,
                                         p_id text, p_descending boolean, p_value text,
                                         p_after_id integer) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE SET search_path = public, pg_temp AS $$
DECLARE
    v_op text := CASE WHEN p_descending THEN '<' ELSE '>' END;
    v_rest text;
BEGIN
    IF p_after_id IS NULL THEN
        RETURN ARRAY['true'];
    END IF;
    IF p_value IS NULL THEN
        IF NOT p_nullable THEN  -- no NULL block: a cursor inside it is past the end (asc)
            RETURN CASE WHEN p_descending THEN ARRAY['true'] ELSE ARRAY[]::text[] END;
        END IF;
        IF p_descending THEN  -- NULLs first: the non-NULL rows come after them
            RETURN ARRAY[format('%1$s IS NULL AND %2$s < %3$s', p_key, p_id, p_after_id),
                         format('%1$s IS NOT NULL', p_key)];
        END IF;
        RETURN ARRAY[format('%1$s IS NULL AND %2$s > %3$s', p_key, p_id, p_after_id)];
    END IF;
    v_rest := format('(%1$s, %2$s) %3$s (CAST(%4$L AS %5$s), %6$s)',
                     p_key, p_id, v_op, p_value, p_type, p_after_id);
    IF p_nullable AND NOT p_descending THEN  -- NULLs last: they follow the non-NULL rows
        RETURN ARRAY[v_rest, format('%1$s IS NULL', p_key)];
    END IF;
    RETURN ARRAY[v_rest];
END $$;

CREATE FUNCTION desktop_document_search_page(p_tenant integer, p_term text, p_sort text,
                                             p_descending boolean, p_after_value text,
                                             p_after_id integer, p_limit integer)
RETURNS SETOF integer
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp ROWS 200 AS $$
DECLARE
    v_tenant integer := desktop__search_tenant(p_tenant, 'documents');
    v_pattern text := desktop__contains_pattern(p_term);
    v_desc boolean := coalesce(p_descending, false);
    v_key text;
    v_type text := 'text';
    v_nullable boolean := true;
    v_table text;  -- the trigger-kept table holding a joined key (NULL: a document column)
    v_id text := 'm.id';
    v_matches text;
    v_ids integer[];
    v_walk boolean;
    v_dir text;
    v_segment text;
    v_left integer := p_limit;
    v_got integer;
BEGIN
    CASE coalesce(p_sort, '')
        WHEN '' THEN v_key := 'm.id'; v_type := 'integer'; v_nullable := false;
        WHEN 'title' THEN v_key := 'm.title'; v_nullable := false;
        WHEN 'authority' THEN v_key := 'm.authority';
        WHEN 'status' THEN v_key := 'm.status'; v_nullable := false;
        WHEN 'type' THEN v_key := 'x."typeName"'; v_table := 'desktop_latest_versions';
        WHEN 'expiry' THEN v_key := 'x."expiryDate"'; v_type := 'timestamp(3)';
                           v_table := 'desktop_latest_versions';
        WHEN 'uploaded' THEN v_key := 'x."uploadedAt"'; v_type := 'timestamp(3)';
                             v_table := 'desktop_latest_versions';
        WHEN 'client' THEN v_key := 'x."clientName"'; v_table := 'desktop_client_names';
        ELSE RAISE EXCEPTION 'not a sort key of the documents list'
                 USING ERRCODE = 'invalid_parameter_value';
    END CASE;
    IF v_tenant IS NULL OR v_pattern IS NULL OR p_limit IS NULL OR p_limit < 1 THEN
        RETURN;
    END IF;
    -- Client names are guarded by clients:view (desktop_client_names' policy): without it, not
    -- even their order.
    IF p_sort = 'client'
       AND NOT (gcmc_is_admin() OR coalesce(gcmc_has_permission('clients', 'view'), false)) THEN
        RETURN;
    END IF;
    IF v_table IS NOT NULL THEN
        v_id := 'x."documentId"';
    END IF;
    v_dir := CASE WHEN v_desc THEN ' DESC' ELSE '' END;
    IF coalesce(p_sort, '') = '' THEN
        p_after_value := p_after_id::text;
    END IF;
    -- Every match, through the trigram indexes (the document's own sort columns come along).
    -- The walk in list order (services/paging.py) failed before this is called: the matches
    -- are rare or lie in a block far down the order, where the key's index with the term as a
    -- filter would read that far.
    v_matches := format(
        'WITH m AS MATERIALIZED ('
        'SELECT d.id, d.title, d.authority, d.status FROM documents d '
        'WHERE d."tenantId" = %1$s '
        'AND (d.title ILIKE %2$L OR desktop_tags_text(d.tags) ILIKE %2$L) '
        'UNION '
        'SELECT d.id, d.title, d.authority, d.status FROM document_versions v '
        'JOIN documents d ON d."latestVersionId" = v.id '
        'WHERE d."tenantId" = %1$s AND v."ocrText" ILIKE %2$L) ', v_tenant, v_pattern);
    IF v_table IS NOT NULL THEN
        -- A joined key. Few matches: look each one's key up. Many: walk the key table's
        -- (tenantId, key, documentId) index in order, each entry tested against a hash of the
        -- matches (`OR false` keeps the IN a hashed subplan rather than a join), which stops
        -- after about limit × firm / matches entries.
        EXECUTE v_matches || 'SELECT array_agg(m.id) FROM m' INTO v_ids;
        IF v_ids IS NULL THEN
            RETURN;
        END IF;
        v_walk := cardinality(v_ids) > 20 * greatest(p_limit, 200);
    END IF;
    FOREACH v_segment IN ARRAY desktop__keyset_segments(
            v_key, v_type, v_nullable, v_id, v_desc, p_after_value, p_after_id) LOOP
        IF v_table IS NULL THEN
            -- A document column: the top `limit` of the matches by it.
            RETURN QUERY EXECUTE v_matches || format(
                'SELECT m.id FROM m WHERE %1$s ORDER BY %2$s%3$s, m.id%3$s LIMIT %4$s',
                v_segment, v_key, v_dir, v_left);
        ELSIF v_walk THEN
            RETURN QUERY EXECUTE format(
                'SELECT x."documentId" FROM %1$I x WHERE x."tenantId" = %2$s '
                'AND (x."documentId" IN (SELECT unnest($1)) OR false) AND %3$s '
                'ORDER BY %4$s%5$s, x."documentId"%5$s LIMIT %6$s',
                v_table, v_tenant, v_segment, v_key, v_dir, v_left) USING v_ids;
        ELSE
            RETURN QUERY EXECUTE format(
                'SELECT x."documentId" FROM %1$I x WHERE x."documentId" = ANY ($1) '
                'AND x."tenantId" = %2$s AND %3$s '
                'ORDER BY %4$s%5$s, x."documentId"%5$s LIMIT %6$s',
                v_table, v_tenant, v_segment, v_key, v_dir, v_left) USING v_ids;
        END IF;
        GET DIAGNOSTICS v_got = ROW_COUNT;
        v_left := v_left - v_got;
        EXIT WHEN v_left <= 0;
    END LOOP;
END $$;

CREATE FUNCTION desktop_client_search_page(p_tenant integer, p_term text, p_sort text,
                                           p_descending boolean, p_after_value text,
                                           p_after_id integer, p_limit integer)
RETURNS SETOF integer
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp ROWS 200 AS $$
DECLARE
    v_tenant integer := desktop__search_tenant(p_tenant, 'clients');
    v_pattern text := desktop__contains_pattern(p_term);
    v_desc boolean := coalesce(p_descending, false);
    v_key text;
    v_type text := 'text';
    v_nullable boolean := true;
    v_dir text;
    v_segment text;
    v_left integer := p_limit;
    v_got integer;
BEGIN
    CASE coalesce(p_sort, '')
        WHEN '' THEN v_key := 'c.id'; v_type := 'integer'; v_nullable := false;
        WHEN 'name' THEN v_key := 'c.name'; v_nullable := false;
        WHEN 'type' THEN v_key := 'c.type'; v_nullable := false;
        WHEN 'email' THEN v_key := 'c.email';
        WHEN 'tin' THEN v_key := 'c.tin';
        WHEN 'nis' THEN v_key := 'c."nisNumber"';
        WHEN 'sector' THEN v_key := 'c.sector';
        WHEN 'risk' THEN v_key := 'c."riskLevel"';
        WHEN 'created' THEN v_key := 'c."createdAt"'; v_type := 'timestamp(3)';
                            v_nullable := false;
        ELSE RAISE EXCEPTION 'not a sort key of the clients list'
                 USING ERRCODE = 'invalid_parameter_value';
    END CASE;
    IF v_tenant IS NULL OR v_pattern IS NULL OR p_limit IS NULL OR p_limit < 1 THEN
        RETURN;
    END IF;
    v_dir := CASE WHEN v_desc THEN ' DESC' ELSE '' END;
    IF p_sort IS NULL OR p_sort = '' THEN
        p_after_value := p_after_id::text;
    END IF;
    FOREACH v_segment IN ARRAY desktop__keyset_segments(
            v_key, v_type, v_nullable, 'c.id', v_desc, p_after_value, p_after_id) LOOP
        RETURN QUERY EXECUTE format(
            'SELECT c.id FROM clients c WHERE c."tenantId" = %1$s AND %2$s '
            'AND (c.name ILIKE %3$L OR c.email ILIKE %3$L OR c.tin ILIKE %3$L '
            'OR c."nisNumber" ILIKE %3$L) ORDER BY %4$s%5$s, c.id%5$s LIMIT %6$s',
            v_tenant, v_segment, v_pattern, v_key, v_dir, v_left);
        GET DIAGNOSTICS v_got = ROW_COUNT;
        v_left := v_left - v_got;
        EXIT WHEN v_left <= 0;
    END LOOP;
END $$;

REVOKE ALL ON FUNCTION
    desktop__keyset_segments(text, text, boolean, text, boolean, text, integer),
    desktop_document_search_page(integer, text, text, boolean, text, integer, integer),
    desktop_client_search_page(integer, text, text, boolean, text, integer, integer)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
    desktop_document_search_page(integer, text, text, boolean, text, integer, integer),
    desktop_client_search_page(integer, text, text, boolean, text, integer, integer)
    TO gcmc_staff;
"""

DOWNGRADE = r"""
DROP FUNCTION IF EXISTS
    desktop_document_search_page(integer, text, text, boolean, text, integer, integer),
    desktop_client_search_page(integer, text, text, boolean, text, integer, integer),
    desktop__keyset_segments(text, text, boolean, text, boolean, text, integer);
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
