"""Search and list indexes for the desktop's paged tables (clients).

Additive, outside the platform contract: every name starts with `desktop_`, which the contract
check and autogenerate skip.

- A trigram GIN index over the client search columns, so `ILIKE '%term%'` OR-ed over name,
  email, TIN and NIS number is a bitmap index scan instead of a scan of the tenant.
- Btree indexes (tenantId, <sort column>, id), one per sortable column of the client list: the
  list pages by keyset on (sort column, id) inside one tenant, so each page is a short index range
  scan, forwards for ascending and backwards for descending. The platform's own (tenantId, type)
  style indexes cannot serve this: equal keys are not ordered by id inside them.

Downgrade drops the indexes but leaves the pg_trgm extension: it is database-wide, may have been
there before us, and other objects (the platform's, a DBA's) may depend on it.

Plain CREATE INDEX (not CONCURRENTLY, which cannot run inside the migration's transaction): on a
platform database it blocks writes to `clients` for the few seconds the build takes.

Revision ID: 0002_search_indexes
Revises: 0001_baseline
Create Date: 2026-11-27
"""

from alembic import op

revision = "0002_search_indexes"
down_revision = "0001_baseline"
branch_labels = None
depends_on = None

TRIGRAM_COLUMNS = ("name", "email", "tin", "nisNumber")

# Sortable columns of the client list; "id" alone is the default (unsorted) order.
SORT_COLUMNS = {
    "id": None,
    "name": "name",
    "type": "type",
    "email": "email",
    "tin": "tin",
    "nis": "nisNumber",
    "sector": "sector",
    "risk": "riskLevel",
    "created": "createdAt",
}


def _sort_index_name(key: str) -> str:
    return f"desktop_clients_tenant_{key}_idx"


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_index(
        "desktop_clients_search_trgm_idx",
        "clients",
        list(TRIGRAM_COLUMNS),
        unique=False,
        postgresql_using="gin",
        postgresql_ops={column: "gin_trgm_ops" for column in TRIGRAM_COLUMNS},
    )
    for key, column in SORT_COLUMNS.items():
        columns = ["tenantId", column, "id"] if column else ["tenantId", "id"]
        op.create_index(_sort_index_name(key), "clients", columns, unique=False)


def downgrade() -> None:
    for key in reversed(SORT_COLUMNS):
        op.drop_index(_sort_index_name(key), table_name="clients")
    op.drop_index("desktop_clients_search_trgm_idx", table_name="clients")
