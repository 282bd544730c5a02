"""List performance under row-level security (issue 11, ARCHITECTURE.md "Performance under
row-level security").

Staff connections run under RLS, and PostgreSQL evaluates a query's own non-leakproof
conditions (`ILIKE`) only after the policies' — so for staff the trigram indexes were never
used and a search read the whole firm. Sorting documents by expiry joined every latest version
and evaluated the child-table policy once per version row. Additive, every object `desktop_*`:

- `desktop_client_search(tenant, term)` / `desktop_document_search(tenant, term)`: SECURITY
  DEFINER search functions that apply the very checks the policies apply — the tenant must be
  the session's `gcmc_tenant()` (the chosen firm, and only if the user is a member of it) and
  the user must hold `clients:view` / `documents:view` — and then search through the trigram
  indexes. They return ids of the caller's own firm only; a foreign tenant, NULL or an empty
  term returns nothing, not an error and not a count. The term is matched literally (`%`, `_`
  and `\\` escaped) and passed to the dynamic statement as a quoted literal (`format %L`), so
  each search is planned for its own term. An optional limit lets the list probe how many rows
  match before choosing its plan. The list query then keeps `id IN (search ids)`
  beside its policies, which still apply to every row shown. Administrators (who bypass RLS)
  may search any tenant, as they may read it.
- `desktop_latest_versions`: one row per document with its latest version's sort fields
  (tenantId, versionId, expiryDate, uploadedAt), kept by statement-level triggers on documents
  and document_versions, indexed (tenantId, field, documentId) so a sort by expiry is a keyset
  range scan. Its row-level security equals the documents' SELECT policy; staff may only read it.

Revision ID: 0008_list_performance
Revises: 0007_change_notifications
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0008_list_performance"
down_revision = "0007_change_notifications"
branch_labels = None
depends_on = None

UPGRADE = r"""
-- The tenant a search may read: for staff the session's chosen firm, only if it is the one asked
-- for and the user holds the module's view permission; for administrators (no RLS) any.
CREATE FUNCTION desktop__search_tenant(p_tenant integer, p_module text) RETURNS integer
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    IF p_tenant IS NULL THEN
        RETURN NULL;
    END IF;
    IF gcmc_is_admin() THEN
        RETURN p_tenant;
    END IF;
    IF p_tenant IS DISTINCT FROM gcmc_tenant()
       OR NOT coalesce(gcmc_has_permission(p_module, 'view'), false) THEN
        RETURN NULL;
    END IF;
    RETURN p_tenant;
END $$;

-- A term as a literal inside an ILIKE pattern ('%term%'); NULL for an empty term.
CREATE FUNCTION desktop__contains_pattern(p_term text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = public, pg_temp AS $$
    SELECT CASE WHEN btrim(coalesce(p_term, '')) <> '' THEN
        '%' || replace(replace(replace(left(btrim(p_term), 200), '\', '\\'), '%', '\%'), '_', '\_')
        || '%' END
$$;

-- LIMIT's argument: ALL for NULL (GREATEST would turn NULL into 0), never negative.
CREATE FUNCTION desktop__limit_clause(p_limit integer) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = public, pg_temp AS $$
    SELECT CASE WHEN p_limit IS NULL THEN 'ALL' ELSE greatest(p_limit, 0)::text END
$$;

CREATE FUNCTION desktop_client_search(p_tenant integer, p_term text, p_limit integer DEFAULT NULL)
RETURNS SETOF integer
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp ROWS 200 AS $$
DECLARE
    v_tenant integer := desktop__search_tenant(p_tenant, 'clients');
    v_pattern text := desktop__contains_pattern(p_term);
BEGIN
    IF v_tenant IS NULL OR v_pattern IS NULL THEN
        RETURN;
    END IF;
    RETURN QUERY EXECUTE format(
        'SELECT c.id FROM clients c WHERE c."tenantId" = %s AND (c.name ILIKE %L '
        'OR c.email ILIKE %L OR c.tin ILIKE %L OR c."nisNumber" ILIKE %L) LIMIT %s',
        v_tenant, v_pattern, v_pattern, v_pattern, v_pattern,
        desktop__limit_clause(p_limit));
END $$;

-- Title, tags, and the text of the latest version (as the documents list always searched).
CREATE FUNCTION desktop_document_search(p_tenant integer, p_term text, p_limit integer DEFAULT NULL)
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

REVOKE ALL ON FUNCTION desktop__search_tenant(integer, text), desktop__contains_pattern(text),
    desktop__limit_clause(integer),
    desktop_client_search(integer, text, integer),
    desktop_document_search(integer, text, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION desktop_client_search(integer, text, integer),
    desktop_document_search(integer, text, integer) TO gcmc_staff;

CREATE TABLE desktop_latest_versions (
    "documentId" integer PRIMARY KEY REFERENCES documents (id) ON DELETE CASCADE,
    "tenantId" integer NOT NULL,
    "versionId" integer,
    "expiryDate" timestamp(3),
    "uploadedAt" timestamp(3)
);
CREATE INDEX desktop_latest_versions_tenant_expiry_idx
    ON desktop_latest_versions ("tenantId", "expiryDate", "documentId");
CREATE INDEX desktop_latest_versions_tenant_uploaded_idx
    ON desktop_latest_versions ("tenantId", "uploadedAt", "documentId");
ALTER TABLE desktop_latest_versions ENABLE ROW LEVEL SECURITY;
-- Equal to the documents' SELECT policy (migration 0006).
CREATE POLICY staff_select ON desktop_latest_versions FOR SELECT TO gcmc_staff
    USING ("tenantId" = gcmc_tenant() AND (SELECT gcmc_has_permission('documents', 'view')));
REVOKE ALL ON desktop_latest_versions FROM PUBLIC;
GRANT SELECT ON desktop_latest_versions TO gcmc_staff;

-- Brings the rows of the documents a statement touched in line (directly, or through one of
-- their versions). Statement-level: a bulk load pays one join, not one call per row.
CREATE FUNCTION desktop__sync_document_latest() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_ids integer[];
BEGIN
    IF TG_TABLE_NAME = 'documents' THEN
        SELECT array_agg(c.id) INTO v_ids FROM changed_rows c;
    ELSE
        SELECT array_agg(DISTINCT c."documentId") INTO v_ids FROM changed_rows c;
    END IF;
    IF v_ids IS NULL THEN
        RETURN NULL;
    END IF;
    INSERT INTO desktop_latest_versions AS l
        ("documentId", "tenantId", "versionId", "expiryDate", "uploadedAt")
    SELECT d.id, d."tenantId", v.id, v."expiryDate", v."uploadedAt"
    FROM documents d LEFT JOIN document_versions v ON v.id = d."latestVersionId"
    WHERE d.id = ANY (v_ids)
    ON CONFLICT ("documentId") DO UPDATE SET
        "tenantId" = EXCLUDED."tenantId", "versionId" = EXCLUDED."versionId",
        "expiryDate" = EXCLUDED."expiryDate", "uploadedAt" = EXCLUDED."uploadedAt"
    WHERE (l."tenantId", l."versionId", l."expiryDate", l."uploadedAt")
          IS DISTINCT FROM (EXCLUDED."tenantId", EXCLUDED."versionId", EXCLUDED."expiryDate",
                            EXCLUDED."uploadedAt");
    RETURN NULL;
END $$;
REVOKE ALL ON FUNCTION desktop__sync_document_latest() FROM PUBLIC;

INSERT INTO desktop_latest_versions ("documentId", "tenantId", "versionId", "expiryDate", "uploadedAt")
SELECT d.id, d."tenantId", v.id, v."expiryDate", v."uploadedAt"
FROM documents d LEFT JOIN document_versions v ON v.id = d."latestVersionId";
"""

SYNC_TRIGGERS = {
    "desktop_latest_versions_ins": ("documents", "INSERT", "NEW"),
    "desktop_latest_versions_upd": ("documents", "UPDATE", "NEW"),
    "desktop_latest_versions_vins": ("document_versions", "INSERT", "NEW"),
    "desktop_latest_versions_vupd": ("document_versions", "UPDATE", "NEW"),
    "desktop_latest_versions_vdel": ("document_versions", "DELETE", "OLD"),
}

DOWNGRADE = """
DROP TABLE IF EXISTS desktop_latest_versions;
DROP FUNCTION IF EXISTS desktop__sync_document_latest(),
    desktop_document_search(integer, text, integer),
    desktop_client_search(integer, text, integer), desktop__contains_pattern(text),
    desktop__limit_clause(integer),
    desktop__search_tenant(integer, text);
"""


def upgrade() -> None:
    op.execute(UPGRADE)
    for name, (table, event, which) in SYNC_TRIGGERS.items():
        op.execute(
            f"CREATE TRIGGER {name} AFTER {event} ON {table} "
            f"REFERENCING {which} TABLE AS changed_rows FOR EACH STATEMENT "
            "EXECUTE FUNCTION desktop__sync_document_latest()"
        )


def downgrade() -> None:
    for name, (table, _event, _which) in SYNC_TRIGGERS.items():
        op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
    op.execute(DOWNGRADE)
