"""`gcmc maintenance …`: housekeeping an administrator (or a scheduled task) runs."""

from __future__ import annotations

import argparse
from datetime import timedelta
from pathlib import Path

from ..services.auth import delete_expired_sessions
from ..services.maintenance import refresh_statuses
from .common import CommandError, engine_for


def register(groups: argparse._SubParsersAction) -> None:
    parser = groups.add_parser(
        "maintenance", help="housekeeping: expired sessions, document expiry, orphaned files"
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="TASK")
    commands.add_parser("sessions", help="delete expired login sessions").set_defaults(
        handler=cmd_sessions
    )
    commands.add_parser(
        "documents", help="mark valid documents whose latest version has expired as expired"
    ).set_defaults(handler=cmd_documents)
    orphans = commands.add_parser(
        "orphans", help="remove stored files that no document version refers to"
    )
    orphans.add_argument(
        "--older-than-hours",
        type=float,
        default=24,
        help="only files at least this old (younger ones may be uploads in progress; default 24)",
    )
    orphans.add_argument("--dry-run", action="store_true", help="list, do not delete")
    orphans.add_argument(
        "--folder", help="the document folder (default: this workstation's storage preference)"
    )
    orphans.set_defaults(handler=cmd_orphans)


def _storage(args: argparse.Namespace):
    from .. import settings as app_settings
    from ..services.errors import ServiceError
    from ..services.storage import StorageSettings, storage_from_settings

    if args.folder:
        values, secret = StorageSettings(kind="local", folder=Path(args.folder)), None
    else:
        values, secret = app_settings.load_storage()
    try:
        return storage_from_settings(values, secret)
    except ServiceError as exc:
        raise CommandError(exc.message) from exc


def cmd_orphans(args: argparse.Namespace) -> int:
    from ..services.maintenance import remove_orphaned_files

    storage = _storage(args)
    with engine_for(args) as engine:
        found = remove_orphaned_files(
            engine,
            storage,
            older_than=timedelta(hours=args.older_than_hours),
            dry_run=args.dry_run,
        )
    verb = "Would remove" if args.dry_run else "Removed"
    for tenant_id, keys in found.items():
        for key in keys:
            print(f"  tenant {tenant_id}: {key}")
    print(
        f"{verb} {sum(len(k) for k in found.values())} orphaned file(s) from {storage.describe()}."
    )
    return 0


def cmd_sessions(args: argparse.Namespace) -> int:
    with engine_for(args) as engine:
        removed = delete_expired_sessions(engine)
    print(f"Deleted {removed} expired session(s).")
    return 0


def cmd_documents(args: argparse.Namespace) -> int:
    with engine_for(args) as engine:
        changed = refresh_statuses(engine)
    print(f"Marked {changed} document(s) expired.")
    return 0
