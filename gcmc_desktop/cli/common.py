"""What every command shares: the database target and its engine, and clean failures."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine

from ..db import DatabaseTarget, make_engine, resolve_database_url


class CommandError(Exception):
    """A failure the user can act on: printed without a traceback."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def target(args: argparse.Namespace) -> DatabaseTarget:
    try:
        return resolve_database_url(getattr(args, "database_url", None))
    except ValueError as exc:
        raise CommandError(str(exc), exit_code=2) from exc


@contextmanager
def engine_for(args: argparse.Namespace) -> Iterator[Engine]:
    # Administrative commands (upgrades, seeding, maintenance) may run long: no statement limit.
    engine = make_engine(target(args).url, statement_timeout=None)
    try:
        yield engine
    finally:
        engine.dispose()
