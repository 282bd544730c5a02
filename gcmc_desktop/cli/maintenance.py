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
    archive = commands.add_parser(
        "audit-archive",
        help="move old audit rows to the archive table (or back, or list them)",
        description="Moves audit rows older than --older-than to desktop_audit_archive in "
        "batches, each checked (row count and checksum) before it commits; --restore brings "
        "every archived row back, --show lists what is archived. The Audit page shows archived "
        "rows with 'Include archived'.",
    )
    what = archive.add_mutually_exclusive_group(required=True)
    what.add_argument("--older-than", metavar="AGE", help="e.g. 2y, 18m, 6w, 90d")
    what.add_argument("--restore", action="store_true", help="move archived rows back")
    what.add_argument("--show", action="store_true", help="list what is archived, per firm")
    archive.add_argument("--tenant", metavar="CODE", help="only this firm")
    archive.add_argument(
        "--batch", type=int, default=50_000, help="rows per transaction (default 50000)"
    )
    archive.add_argument(
        "--rows", type=int, default=0, metavar="N", help="with --show: also the N newest rows"
    )
    archive.set_defaults(handler=cmd_audit_archive)


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


def cmd_audit_archive(args: argparse.Namespace) -> int:
    from ..services import audit_archive, users
    from ..services.errors import ServiceError

    if args.batch < 1:
        raise CommandError("--batch must be at least 1.", exit_code=2)
    age = None
    if args.older_than is not None:
        try:
            age = audit_archive.parse_age(args.older_than)
        except ValueError as exc:
            raise CommandError(str(exc), exit_code=2) from exc
    with engine_for(args) as engine:
        tenant_id = None
        if args.tenant:
            with engine.connect() as conn:
                try:
                    tenant_id = users.tenant_id_by_code(conn, args.tenant)
                except ServiceError as exc:
                    raise CommandError(exc.message) from exc
        if args.show:
            return _show_archive(engine, tenant_id, args.rows)
        try:
            if age is not None:
                result = audit_archive.archive_audit(
                    engine, age, tenant_id=tenant_id, batch=args.batch
                )
                verb = f"Archived {result.moved.rows:,} audit row(s) older than {args.older_than}"
            else:
                result = audit_archive.restore_audit(engine, tenant_id=tenant_id, batch=args.batch)
                verb = f"Restored {result.moved.rows:,} archived audit row(s)"
        except ServiceError as exc:
            raise CommandError(exc.message) from exc
    print(f"{verb} in {result.batches} batch(es); checksum {result.moved.hex}.")
    if result.before is not None and result.after is not None:
        print(
            f"Verified: {result.before.rows:,} row(s) in scope before and {result.after.rows:,} "
            f"after, checksum {result.before.hex} = {result.after.hex}."
        )
    return 0


def _show_archive(engine, tenant_id: int | None, rows: int) -> int:
    from ..services import audit_archive

    firms = audit_archive.archive_summary(engine, tenant_id)
    if not firms:
        print("Nothing is archived.")
    for firm in firms:
        print(
            f"{firm.name}: {firm.rows:,} archived row(s), "
            f"{firm.oldest:%Y-%m-%d} to {firm.newest:%Y-%m-%d} (UTC)"
        )
    if rows > 0:
        for row in audit_archive.archived_rows(engine, rows, tenant_id):
            print(
                f"  {row['createdAt']:%Y-%m-%d %H:%M} #{row['id']} firm {row['tenantId']} "
                f"{row['action']} {row['entityType']} {row['entityId']}"
            )
    return 0
