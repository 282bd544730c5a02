"""Service request lists page by index (issue 13): the requests list is newest first (by id),
narrowed by status or service, or sorted by opening date, inside one firm. Without these, a
filtered first page read every matching request of the firm (200,000 "in progress" of a
million) and sorted them; with them it is a short range scan of one index. Additive only.

Revision ID: 0012_requests
Revises: 0011_statement_triggers
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0012_requests"
down_revision = "0011_statement_triggers"
branch_labels = None
depends_on = None

INDEXES = {
    "desktop_service_requests_tenant_id_idx": '("tenantId", id)',
    "desktop_service_requests_tenant_status_id_idx": '("tenantId", status, id)',
    "desktop_service_requests_tenant_service_id_idx": '("tenantId", "serviceId", id)',
    "desktop_service_requests_tenant_created_id_idx": '("tenantId", "createdAt", id)',
}


def upgrade() -> None:
    for name, columns in INDEXES.items():
        op.execute(f"CREATE INDEX IF NOT EXISTS {name} ON service_requests {columns}")


def downgrade() -> None:
    for name in INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
