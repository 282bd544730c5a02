"""Search and list indexes for the documents page.

Additive, outside the platform contract: every name starts with `desktop_`.

- `desktop_tags_text(text[])`: the tags as one string. `array_to_string` is only STABLE (its
  result could depend on settings for other element types), so PostgreSQL refuses it in an index;
  for text[] it is immutable, which this wrapper declares. The documents list searches with this
  same function so the planner can match the index.
- Trigram GIN indexes over documents (title, tags) and document_versions ("ocrText"), so the
  list's `ILIKE '%term%'` search is a bitmap index scan instead of a scan of the firm's documents.
- (tenantId, title, id): the list's default keyset order.

Downgrade drops them all; the pg_trgm extension stays (see 0002).

Revision ID: 0005_documents
Revises: 0004_remembered_devices
Create Date: 2026-11-28
"""

from alembic import op

revision = "0005_documents"
down_revision = "0004_remembered_devices"
branch_labels = None
depends_on = None

UPGRADE = """
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE FUNCTION desktop_tags_text(tags text[]) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT pg_catalog.array_to_string(tags, ' ') $$;
GRANT EXECUTE ON FUNCTION desktop_tags_text(text[]) TO gcmc_staff;

CREATE INDEX desktop_documents_search_trgm_idx ON documents
    USING gin (title gin_trgm_ops, desktop_tags_text(tags) gin_trgm_ops);
CREATE INDEX desktop_document_versions_ocr_trgm_idx ON document_versions
    USING gin ("ocrText" gin_trgm_ops);
CREATE INDEX desktop_documents_tenant_title_idx ON documents ("tenantId", title, id);
"""

DOWNGRADE = """
DROP INDEX IF EXISTS desktop_documents_tenant_title_idx;
DROP INDEX IF EXISTS desktop_document_versions_ocr_trgm_idx;
DROP INDEX IF EXISTS desktop_documents_search_trgm_idx;
DROP FUNCTION IF EXISTS desktop_tags_text(text[]);
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
