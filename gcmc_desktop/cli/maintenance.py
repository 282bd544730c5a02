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
        "maintenance",
        help="housekeeping: expired sessions, document expiry, orphaned files, health, vacuum",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="TASK")
    commands.add_parser("sessions", help="delete expired login sessions").set_defaults(
        handler=cmd_sessions
    )
    commands.add_parser(
        "documents", help="mark valid documents whose latest version has expired as expired"
    ).set_defaults(handler=cmd_documents)
    orphans = commands.add_parser(
        "orphans",
        help="purge deleted items older than 30 days, then remove stored files that no document "
        "version (live or in Deleted items) refers to",
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
    health = commands.add_parser(
        "health",
        help="database health: sizes, hit ratios, unused indexes, bloat, long queries, backups",
    )
    health.add_argument(
        "--long-after-seconds",
        type=float,
        default=60,
        help="report queries running longer than this (default 60)",
    )
    health.add_argument("--backups", metavar="FOLDER", help="the backups folder to report on")
    health.set_defaults(handler=cmd_health)
    commands.add_parser(
        "vacuum", help="VACUUM ANALYZE every table (reclaims dead rows, refreshes statistics)"
    ).set_defaults(handler=cmd_vacuum)
    purge = commands.add_parser(
        "purge-trash",
        help="remove deleted items older than 30 days for good (their files go with `orphans`)",
    )
    purge.add_argument(
        "--older-than",
        type=_days,
        default=timedelta(days=30),
        metavar="30d",
        help="age of the deleted items to purge, in days (e.g. 30d; default 30d)",
    )
    purge.add_argument("--dry-run", action="store_true", help="count, do not delete")
    purge.set_defaults(handler=cmd_purge_trash)


def _days(value: str) -> timedelta:
    text = value.strip().lower().removesuffix("d")
    try:
        days = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of days like 30d") from None
    if days < 0:
        raise argparse.ArgumentTypeError("the age cannot be negative")
    return timedelta(days=days)


def cmd_purge_trash(args: argparse.Namespace) -> int:
    from ..services.maintenance import purge_trash

    with engine_for(args) as engine:
        n = purge_trash(engine, older_than=args.older_than, dry_run=args.dry_run)
    verb = "Would purge" if args.dry_run else "Purged"
    print(f"{verb} {n} deleted item(s) older than {args.older_than.days} day(s).")
    if not args.dry_run and n:
        print("Their files are removed by the next `gcmc maintenance orphans`.")
    return 0


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


def cmd_health(args: argparse.Namespace) -> int:
    from ..services.backup import list_backups
    from ..services.db_health import health_report, human_bytes
    from .backup import default_backup_dir

    folder = Path(args.backups) if args.backups else default_backup_dir()
    with engine_for(args) as engine:
        report = health_report(
            engine, long_after_seconds=args.long_after_seconds, backups=list_backups(folder)
        )

    def percent(value: float | None) -> str:
        return "n/a" if value is None else f"{value * 100:.1f} %"

    print(
        f"PostgreSQL {report.server_version}, database {report.database}: "
        f"{human_bytes(report.database_bytes)}"
    )
    print(
        f"Cache hit ratio {percent(report.cache_hit_ratio)}, "
        f"index hit ratio {percent(report.index_hit_ratio)}"
    )
    print("Largest tables (size, rows, dead rows, last vacuum, last analyze):")
    for t in report.tables[:15]:
        print(
            f"  {t.name:32} {human_bytes(t.total_bytes):>9} {t.rows:>10} "
            f"{t.dead_share * 100:5.1f} %  {_when(t.last_vacuum)}  {_when(t.last_analyze)}"
        )
    print(f"Unused indexes: {len(report.unused_indexes)}")
    for ix in report.unused_indexes[:10]:
        print(f"  {ix.table}.{ix.name} ({human_bytes(ix.bytes)})")
    scope = "" if report.sees_all_sessions else " (own sessions only: not a superuser)"
    print(
        f"Connections per role{scope}: "
        + ", ".join(f"{role} {n}" for role, n in report.connections.items())
    )
    print(f"Queries running over {args.long_after_seconds:g} s: {len(report.long_queries)}")
    for q in report.long_queries:
        print(f"  pid {q.pid} {q.role} {q.seconds:.0f} s {q.state}: {q.query[:120]}")
    print(
        f"Backups in {folder}: {report.backups}, oldest {_when(report.oldest_backup)}, "
        f"newest {_when(report.newest_backup)}"
    )
    for warning in report.warnings:
        print(f"Warning: {warning}")
    return 0


def _when(value) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "never"


def cmd_vacuum(args: argparse.Namespace) -> int:
    import sys

    from ..services.db_health import vacuum_analyze

    def progress(table: str, done: int, total: int) -> None:
        if table and sys.stderr.isatty():
            print(f"\r  {done + 1}/{total} {table:40}", end="", file=sys.stderr, flush=True)

    with engine_for(args) as engine:
        done = vacuum_analyze(engine, progress=progress)
    if sys.stderr.isatty():
        print(file=sys.stderr)
    print(f"Vacuumed and analysed {len(done)} table(s).")
    return 0
