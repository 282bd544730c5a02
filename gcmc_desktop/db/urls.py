"""Where the database is: DATABASE_URL (the platform's own form) or the embedded server."""

from __future__ import annotations

import os
from dataclasses import dataclass

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

ENV_DATABASE_URL = "DATABASE_URL"


@dataclass(frozen=True)
class DatabaseTarget:
    """A resolved database location; `embedded` means we started it ourselves."""

    url: URL
    embedded: bool

    def describe(self) -> str:
        """Human-readable location without the password."""
        host = self.url.host or self.url.query.get("host") or "local socket"
        where = "embedded server" if self.embedded else f"{host}:{self.url.port or 5432}"
        return f"{self.url.database} on {where}"


def to_sqlalchemy_url(raw: str | URL) -> URL:
    """Accept `postgresql://…` / `postgres://…` (with an optional `?host=/socket/dir`) and
    return a URL that uses the psycopg 3 driver."""
    try:
        url = make_url(raw) if isinstance(raw, str) else raw
    except ArgumentError as exc:
        raise ValueError(f"Not a database URL: {raw!r}") from exc
    if url.drivername in ("postgresql", "postgres", "postgresql+psycopg2"):
        url = url.set(drivername="postgresql+psycopg")
    if url.drivername != "postgresql+psycopg":
        raise ValueError(f"Not a PostgreSQL URL: {url.render_as_string(hide_password=True)}")
    return url


def resolve_database_url(explicit: str | None = None) -> DatabaseTarget:
    """An explicit URL, else $DATABASE_URL, else the embedded server (started on demand)."""
    raw = explicit or os.environ.get(ENV_DATABASE_URL)
    if raw:
        return DatabaseTarget(to_sqlalchemy_url(raw), embedded=False)
    from .embedded import embedded_database_url

    return DatabaseTarget(embedded_database_url(), embedded=True)
