"""Bringing the database up at application start.

Embedded (demo) mode: start the server, migrate, and load the demo data if the demo tenant is
missing. A central server is never migrated by a workstation: if it is behind, staff are told
to ask an administrator to run `gcmc db upgrade`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine, select

from ..db import DatabaseTarget, make_engine, migrate, resolve_database_url, session_factory
from ..models import Tenant
from .errors import SchemaOutdated
from .storage import StorageError, StorageProvider

Progress = Callable[[str], None]

_log = logging.getLogger(__name__)


@dataclass
class ReadyDatabase:
    target: DatabaseTarget
    engine: Engine


def prepare_database(
    progress: Progress = lambda _: None, storage: StorageProvider | None = None
) -> ReadyDatabase:
    """`storage` is the workstation's document store: the demo documents' files go there (and
    any that went missing are written again). Without one, the demo rows are loaded alone."""
    progress("Connecting to the database…")
    target = resolve_database_url()
    # Migrating and seeding are long maintenance work: no statement time limit.
    engine = make_engine(target.url, statement_timeout=None)
    from ..db.compat import BEHIND, compare

    current = migrate.current_revision(engine)
    head = migrate.head_revision()
    # A database ahead of this code (a newer version migrated it) is never touched here:
    # signing in says whether this version may still write to it (db/compat.py).
    state = compare(current, None).state if current != head else None
    if target.embedded:
        if state == BEHIND:
            progress("Preparing the database schema…")
            migrate.upgrade(engine)
        with session_factory(engine)() as session:
            if session.scalar(select(Tenant.id).where(Tenant.code == "demo")) is None:
                progress("Loading demo data…")
                from .demo.seed import demo_credentials, seed_demo
                from .users import ensure_login_roles

                # Rows first, files after: an unreachable store must not stop the demo.
                seed_demo(session, storage=storage, files=False, commit=False)
                ensure_login_roles(session.connection(), demo_credentials(True))
                session.commit()
            if storage is not None:
                _restore_demo_files(session, storage, progress)
    elif state == BEHIND:
        engine.dispose()
        state = "has no GCMC schema" if current is None else f"is at schema {current}"
        raise SchemaOutdated(
            f"The database {target.describe()} {state}; this version of GCMC Desktop needs "
            f"{head}. Ask your administrator to run `gcmc db upgrade` (or `gcmc db adopt`)."
        )
    progress("Ready.")
    return ReadyDatabase(target, engine)


def _restore_demo_files(session, storage: StorageProvider, progress: Progress) -> None:
    """Demo files missing from the store (deleted, or a database seeded before the seed wrote
    files) are written again; a store that cannot be reached must not block signing in."""
    from .demo.seed import write_demo_files

    try:
        written = write_demo_files(session, storage)
    except StorageError as exc:
        _log.warning("Demo files not restored: %s", exc.message)
        return
    if written:
        progress(f"Restored {written} demo document file(s).")
