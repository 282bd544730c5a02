"""`gcmc maintenance …`: housekeeping an administrator (or a scheduled task) runs."""

from __future__ import annotations

import argparse
from datetime import timedelta
from pathlib import Path

from ..services.auth import delete_expired_sessions
from ..services.maintenance import refresh_statuses
from .common import CommandError, document_storage, engine_for


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


def cmd_orphans(args: argparse.Namespace) -> int:
    from ..services.maintenance import remove_orphaned_files

    storage = document_storage(args)
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
