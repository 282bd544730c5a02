"""What the start window shows: where the database is and what the demo tenant holds."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from ..models import (
    Client,
    ClientBusiness,
    Document,
    Filing,
    ServiceRequest,
    Task,
    Tenant,
    TenantUser,
)

COUNTED = {
    "Clients": Client,
    "Businesses": ClientBusiness,
    "Documents": Document,
    "Filings": Filing,
    "Service requests": ServiceRequest,
    "Tasks": Task,
    "Members": TenantUser,
}


@dataclass
class DatabaseOverview:
    server_version: str
    revision: str | None
    tenant_name: str | None = None
    counts: dict[str, int] = field(default_factory=dict)


def database_overview(session: Session, tenant_code: str = "demo") -> DatabaseOverview:
    from ..db.migrate import VERSION_TABLE

    version = session.scalar(text("SHOW server_version")) or "unknown"
    revision = session.scalar(text(f"SELECT version_num FROM {VERSION_TABLE}"))
    overview = DatabaseOverview(server_version=f"PostgreSQL {version}", revision=revision)
    tenant = session.scalar(select(Tenant).where(Tenant.code == tenant_code))
    if tenant is None:
        return overview
    overview.tenant_name = tenant.name
    for label, model in COUNTED.items():
        overview.counts[label] = session.scalar(
            select(func.count()).select_from(model).where(model.tenant_id == tenant.id)
        )
    return overview
