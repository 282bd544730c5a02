"""Schema migrations (alembic) behind `gcmc db …`: upgrade, downgrade, current, reset, adopt."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

from .contract import ContractReport, existing_tables, load_contract, verify

_log = logging.getLogger(__name__)

BASELINE = "0001_baseline"
VERSION_TABLE = "alembic_version"


class AdoptError(RuntimeError):
    """The database cannot be adopted; the message says why, nothing was changed."""


def migrations_dir() -> Path:
    """`migrations/` beside the package in a checkout, or bundled inside it when installed."""
    here = Path(__file__).resolve().parent.parent
    for candidate in (here.parent / "migrations", here / "_migrations"):
        if (candidate / "env.py").exists():
            return candidate
    raise FileNotFoundError("The alembic migrations folder was not found.")


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@contextmanager
def _connected(engine: Engine) -> Iterator[Config]:
    with engine.begin() as conn:
        yield alembic_config(conn)


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


# A migration step waits at most this long for a lock other sessions hold; while it waits,
# every writer queued behind it waits too, so this bounds how long staff can be blocked.
LOCK_TIMEOUT_S = 3.0
ATTEMPTS = 5
LOCK_NOT_AVAILABLE = "55P03"


class MigrationBlocked(RuntimeError):
    """Other sessions kept a table busy through every attempt; what was done is committed."""


def upgrade(
    engine: Engine,
    revision: str = "head",
    *,
    lock_timeout: float = LOCK_TIMEOUT_S,
    attempts: int = ATTEMPTS,
    pause: float = 2.0,
) -> None:
    """Bring the schema to `revision`, one committed transaction per migration, each DDL
    statement waiting at most `lock_timeout` for its lock; a step that times out is rolled
    back and retried (after `pause`, growing), and after `attempts` the upgrade stops with
    MigrationBlocked — the steps before it stay applied, and running it again continues."""
    for attempt in range(1, attempts + 1):
        try:
            with engine.connect() as conn:
                conn.execute(text(f"SET lock_timeout = '{int(lock_timeout * 1000)}ms'"))
                conn.commit()
                command.upgrade(alembic_config(conn), revision)
                conn.commit()
            return
        except DBAPIError as exc:
            if getattr(exc.orig, "sqlstate", None) != LOCK_NOT_AVAILABLE:
                raise
            if attempt == attempts:
                at = current_revision(engine) or "no schema"
                raise MigrationBlocked(
                    f"The upgrade waited for tables other sessions kept busy "
                    f"({attempts} attempts, {lock_timeout:g} s each) and stopped at {at}; "
                    "nothing was left half-done. Run `gcmc db upgrade` again when the "
                    "database is quieter."
                ) from None
            _log.warning("Upgrade step waited over %s s for a lock; retrying", lock_timeout)
            time.sleep(pause * attempt)


def downgrade(engine: Engine, revision: str) -> None:
    with _connected(engine) as config:
        command.downgrade(config, revision)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(
            conn, opts={"version_table": VERSION_TABLE}
        ).get_current_revision()


def reset(engine: Engine) -> None:
    """Drop everything in the current schema and rebuild it at head."""
    with engine.begin() as conn:
        schema = conn.scalar(text("SELECT current_schema()"))
        may_recreate = conn.scalar(
            text(
                "SELECT pg_has_role(current_user, nspowner, 'MEMBER') "
                "FROM pg_namespace WHERE nspname = :s"
            ),
            {"s": schema},
        )
        if may_recreate:
            owner = conn.scalar(
                text("SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = :s"),
                {"s": schema},
            )
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            conn.execute(text(f'CREATE SCHEMA "{schema}" AUTHORIZATION "{owner}"'))
            conn.execute(text(f'GRANT USAGE ON SCHEMA "{schema}" TO PUBLIC'))
        else:
            for table in existing_tables(conn):
                conn.execute(text(f'DROP TABLE IF EXISTS "{table}" CASCADE'))
            functions = conn.scalars(
                text(
                    "SELECT p.oid::regprocedure::text FROM pg_proc p "
                    "JOIN pg_namespace n ON n.oid = p.pronamespace "
                    "WHERE n.nspname = :s AND p.proname LIKE 'gcmc%'"
                ),
                {"s": schema},
            )
            for signature in list(functions):
                conn.execute(text(f"DROP FUNCTION IF EXISTS {signature} CASCADE"))
    upgrade(engine)


def adopt(engine: Engine) -> ContractReport:
    """Take over a database created by the web platform: verify it equals the contract, stamp
    the baseline, apply the desktop's later migrations. Changes nothing if it does not match."""
    if current_revision(engine) is not None:
        raise AdoptError(
            "This database is already managed by GCMC Desktop; use `gcmc db upgrade` instead."
        )
    with engine.connect() as conn:
        missing = set(load_contract()) - existing_tables(conn)
        if len(missing) == len(load_contract()):
            raise AdoptError(
                "This database has none of the platform's tables; use `gcmc db upgrade` to "
                "create them."
            )
        report = verify(conn)
    if not report.ok:
        raise AdoptError(f"Not adopted, nothing was changed.\n{report}")
    with _connected(engine) as config:
        command.stamp(config, BASELINE)
    upgrade(engine)
    return report
