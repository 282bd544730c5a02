"""What every command shares: the database target and its engine, and clean failures."""

from __future__ import annotations

import argparse
import getpass
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

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


def document_storage(args: argparse.Namespace) -> Any:
    """The document store a command reads and writes: `--folder` if given, else this
    workstation's configured storage (Preferences)."""
    from .. import settings as app_settings
    from ..services.errors import ServiceError
    from ..services.storage import StorageSettings, storage_from_settings

    if getattr(args, "folder", None):
        values, secret = StorageSettings(kind="local", folder=Path(args.folder)), None
    else:
        values, secret = app_settings.load_storage()
    try:
        return storage_from_settings(values, secret)
    except ServiceError as exc:
        raise CommandError(exc.message) from exc


def staff_password() -> str:
    return os.environ.get("GCMC_PASSWORD") or getpass.getpass("Password: ")


def signed_in(args: argparse.Namespace) -> Any:
    """A Context for `--email` (password from $GCMC_PASSWORD, else asked), signed in through
    the real sign-in service: the command runs as that staff user, row-level security on."""
    from ..services import auth
    from ..services.errors import ServiceError

    url = target(args).url
    profile = auth.ServerProfile(
        database_url=url.set(username=None, password=None), gateway_url=url
    )
    try:
        return auth.open_context(auth.sign_in(profile, args.email, staff_password()))
    except ServiceError as exc:
        raise CommandError(exc.message) from exc
