"""Documents sort by client name and by type through indexes (issue 11).

A sort by a joined table's column (the client's name, the type's name) cannot walk an index of
documents: PostgreSQL joined and sorted the whole firm. Like `desktop_latest_versions` (0008),
additive tables kept by triggers hold those names next to the document with a tenant column and
a (tenantId, name, documentId) index, so such a sort is a keyset range scan:

- `desktop_latest_versions."typeName"`: the document type's name. Types are guarded by the
  documents permission, so it is readable exactly as documents are (0008's policy).
- `desktop_client_names`: the client's name per document, in a table of its own because
  client names are guarded by `clients:view`: its policy requires the firm, `documents:view`
  *and* `clients:view`, so a role that may view documents but not clients reads nothing there
  (the list then says it has no access to clients).

Kept by statement-level triggers: documents (insert, update: `desktop__sync_document_latest`,
now also filling both), clients (a rename) and document_types (a rename). The functions are
SECURITY DEFINER (they read rows RLS would hide from the user whose statement fired them) and
revoked from PUBLIC; staff may only read the tables.

Revision ID: 0009_list_sort_names
Revises: 0008_list_performance
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0009_list_sort_names"
down_revision = "0008_list_performance"
branch_labels = None
depends_on = None

SYNC = r"""
CREATE OR REPLACE FUNCTION desktop__sync_document_latest() RETURNS trigger
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
        ("documentId", "tenantId", "versionId", "expiryDate", "uploadedAt", "typeName")
    SELECT d.id, d."tenantId", v.id, v."expiryDate", v."uploadedAt", t.name
    FROM documents d LEFT JOIN document_versions v ON v.id = d."latestVersionId"
    LEFT JOIN document_types t ON t.id = d."documentTypeId"
    WHERE d.id = ANY (v_ids)
    ON CONFLICT ("documentId") DO UPDATE SET
        "tenantId" = EXCLUDED."tenantId", "versionId" = EXCLUDED."versionId",
        "expiryDate" = EXCLUDED."expiryDate", "uploadedAt" = EXCLUDED."uploadedAt",
        "typeName" = EXCLUDED."typeName"
    WHERE (l."tenantId", l."versionId", l."expiryDate", l."uploadedAt", l."typeName")
          IS DISTINCT FROM (EXCLUDED."tenantId", EXCLUDED."versionId", EXCLUDED."expiryDate",
                            EXCLUDED."uploadedAt", EXCLUDED."typeName");
    IF TG_TABLE_NAME = 'documents' THEN
        INSERT INTO desktop_client_names AS n ("documentId", "tenantId", "clientName")
        SELECT d.id, d."tenantId", c.name
        FROM documents d LEFT JOIN clients c ON c.id = d."clientId"
        WHERE d.id = ANY (v_ids)
        ON CONFLICT ("documentId") DO UPDATE SET
            "tenantId" = EXCLUDED."tenantId", "clientName" = EXCLUDED."clientName"
        WHERE (n."tenantId", n."clientName") IS DISTINCT FROM
              (EXCLUDED."tenantId", EXCLUDED."clientName");
    END IF;
    RETURN NULL;
END $$;
"""

UPGRADE = r"""
ALTER TABLE desktop_latest_versions ADD COLUMN "typeName" text;
CREATE TABLE desktop_client_names (
    "documentId" integer PRIMARY KEY REFERENCES documents (id) ON DELETE CASCADE,
    "tenantId" integer NOT NULL,
    "clientName" text
);
ALTER TABLE desktop_client_names ENABLE ROW LEVEL SECURITY;
-- The documents' SELECT policy and the clients' permission: client names are guarded by it.
CREATE POLICY staff_select ON desktop_client_names FOR SELECT TO gcmc_staff
    USING ("tenantId" = gcmc_tenant() AND (SELECT gcmc_has_permission('documents', 'view'))
           AND (SELECT gcmc_has_permission('clients', 'view')));
REVOKE ALL ON desktop_client_names FROM PUBLIC;
GRANT SELECT ON desktop_client_names TO gcmc_staff;

CREATE FUNCTION desktop__sync_client_names() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    UPDATE desktop_client_names n SET "clientName" = c.name
    FROM changed_rows c JOIN documents d ON d."clientId" = c.id
    WHERE n."documentId" = d.id AND n."clientName" IS DISTINCT FROM c.name;
    RETURN NULL;
END $$;

CREATE FUNCTION desktop__sync_type_names() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    UPDATE desktop_latest_versions l SET "typeName" = t.name
    FROM changed_rows t JOIN documents d ON d."documentTypeId" = t.id
    WHERE l."documentId" = d.id AND l."typeName" IS DISTINCT FROM t.name;
    RETURN NULL;
END $$;
REVOKE ALL ON FUNCTION desktop__sync_client_names(), desktop__sync_type_names() FROM PUBLIC;

CREATE TRIGGER desktop_client_names_rename AFTER UPDATE ON clients
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT
    EXECUTE FUNCTION desktop__sync_client_names();
CREATE TRIGGER desktop_latest_versions_type_rename AFTER UPDATE ON document_types
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT
    EXECUTE FUNCTION desktop__sync_type_names();

UPDATE desktop_latest_versions l SET "typeName" = t.name
FROM documents d JOIN document_types t ON t.id = d."documentTypeId"
WHERE l."documentId" = d.id;
INSERT INTO desktop_client_names ("documentId", "tenantId", "clientName")
SELECT d.id, d."tenantId", c.name FROM documents d LEFT JOIN clients c ON c.id = d."clientId";

CREATE INDEX desktop_latest_versions_tenant_type_idx
    ON desktop_latest_versions ("tenantId", "typeName", "documentId");
CREATE INDEX desktop_client_names_tenant_name_idx
    ON desktop_client_names ("tenantId", "clientName", "documentId");
"""

# 0008's function, as it was.
SYNC_0008 = r"""
CREATE OR REPLACE FUNCTION desktop__sync_document_latest() RETURNS trigger
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
"""

DOWNGRADE = """
DROP TRIGGER IF EXISTS desktop_client_names_rename ON clients;
DROP TRIGGER IF EXISTS desktop_latest_versions_type_rename ON document_types;
DROP FUNCTION IF EXISTS desktop__sync_client_names(), desktop__sync_type_names();
DROP TABLE IF EXISTS desktop_client_names;
DROP INDEX IF EXISTS desktop_latest_versions_tenant_type_idx;
ALTER TABLE desktop_latest_versions DROP COLUMN IF EXISTS "typeName";
"""


def upgrade() -> None:
    op.execute(UPGRADE)
    op.execute(SYNC)


def downgrade() -> None:
    op.execute(SYNC_0008)
    op.execute(DOWNGRADE)
