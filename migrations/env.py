"""Alembic environment. Run through `gcmc db …` (gcmc_desktop.db.migrate), which passes either
an open connection or a URL in the config attributes."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool

from gcmc_desktop.db.migrate import VERSION_TABLE
from gcmc_desktop.db.urls import to_sqlalchemy_url
from gcmc_desktop.models import Base

config = context.config
target_metadata = Base.metadata

# The desktop's own additions (indexes, tables) are named `desktop_…`: they live outside the
# platform contract the models describe, so autogenerate must not propose dropping them.
DESKTOP_PREFIX = "desktop_"


def include_name(name: str | None, type_: str, parent_names: dict) -> bool:
    return not (name or "").startswith(DESKTOP_PREFIX)


def _configure_and_run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        version_table=VERSION_TABLE,
        compare_type=True,
        compare_server_default=True,
        include_name=include_name,
        transaction_per_migration=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure_and_run(connection)
        return
    url = config.attributes.get("url") or config.get_main_option("sqlalchemy.url")
    engine = create_engine(to_sqlalchemy_url(url), poolclass=pool.NullPool)
    with engine.connect() as conn:
        _configure_and_run(conn)
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("Offline (SQL script) migrations are not supported; connect to a database.")
run_migrations_online()
