"""`gcmc backup …`: create, list and restore backups (services/backup.py).

A backup needs a role that reads every table (the database owner or an administrator — the
embedded server's own superuser by default), not a staff login: row-level security would hide
other firms' rows from a staff role and the dump would silently be partial.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .common import CommandError, target


def register(groups: argparse._SubParsersAction) -> None:
    parser = groups.add_parser("backup", help="backups: create, list, restore")
    commands = parser.add_subparsers(dest="command", required=True, metavar="TASK")
    create = commands.add_parser(
        "create", help="write a consistent, checksummed backup (database and document folder)"
    )
    create.add_argument(
        "--to", metavar="FILE_OR_FOLDER", help="where to write it (default: the backups folder)"
    )
    files = create.add_mutually_exclusive_group()
    files.add_argument("--storage-folder", metavar="FOLDER", help="the document folder to include")
    files.add_argument("--no-files", action="store_true", help="the database only")
    create.add_argument(
        "--keep", type=int, metavar="N", help="then keep only the newest N backups in that folder"
    )
    create.set_defaults(handler=cmd_create)

    restore = commands.add_parser("restore", help="restore a backup into the database")
    restore.add_argument("file", metavar="FILE")
    restore.add_argument(
        "--yes", action="store_true", help="replace what the database holds (required if not empty)"
    )
    restore.add_argument(
        "--storage-folder", metavar="FOLDER", help="put back missing document files here"
    )
    restore.add_argument("--no-files", action="store_true", help="do not restore files")
    restore.set_defaults(handler=cmd_restore)

    listing = commands.add_parser("list", help="list the backups in a folder")
    listing.add_argument("--dir", metavar="FOLDER", help="default: the backups folder")
    listing.add_argument("--verify", action="store_true", help="re-check every checksum")
    listing.set_defaults(handler=cmd_list)


def default_backup_dir() -> Path:
    from ..services.backup import default_backup_dir as default

    return default()


def _storage_folder(args: argparse.Namespace) -> Path | None:
    """The folder store to include: the option, else this workstation's folder setting
    (none when documents are in S3: the bucket has its own versioning and backups)."""
    if getattr(args, "no_files", False):
        return None
    if args.storage_folder:
        return Path(args.storage_folder)
    from .. import settings as app_settings
    from ..services.storage.base import default_folder

    values, _secret = app_settings.load_storage()
    if values.kind != "local":
        return None
    return values.folder or default_folder()


def _progress(stage: str, done: int, total: int) -> None:
    if sys.stderr.isatty():
        print(f"\r  {stage}: {done}/{total}", end="", file=sys.stderr, flush=True)


def cmd_create(args: argparse.Namespace) -> int:
    from ..services.backup import create_backup, prune_backups
    from ..services.errors import ServiceError

    where = Path(args.to) if args.to else default_backup_dir()
    if not args.to:
        where.mkdir(parents=True, exist_ok=True)
    folder = _storage_folder(args)
    try:
        info = create_backup(target(args).url, where, storage_folder=folder, progress=_progress)
        removed = prune_backups(info.path.parent, args.keep) if args.keep else []
    except ServiceError as exc:
        raise CommandError(exc.message) from exc
    if sys.stderr.isatty():
        print(file=sys.stderr)
    print(
        f"Backed up {info.rows} row(s) in {info.tables} table(s) and {info.files} file(s) "
        f"to {info.path} ({_size(info.size)})."
    )
    for path in removed:
        print(f"  removed old backup {path.name}")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from ..services.backup import restore_backup
    from ..services.errors import ServiceError

    db = target(args)
    folder = _storage_folder(args)
    try:
        info = restore_backup(
            db.url, Path(args.file), replace=args.yes, storage_folder=folder, progress=_progress
        )
    except ServiceError as exc:
        raise CommandError(exc.message) from exc
    if sys.stderr.isatty():
        print(file=sys.stderr)
    print(
        f"Restored {info.rows} row(s) in {info.tables} table(s) from {info.path.name} "
        f"(taken {info.created_at:%Y-%m-%d %H:%M} UTC) into {db.describe()}."
    )
    print(
        "Staff database logins are not part of a backup: on a new server, reset each user's "
        "password (gcmc user reset-password)."
    )
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from ..services.backup import list_backups, verify_backup

    folder = Path(args.dir) if args.dir else default_backup_dir()
    found = list_backups(folder)
    if not found:
        print(f"No backups in {folder}.")
        return 0
    damaged = 0
    for info in found:
        if args.verify and info.ok:
            info = verify_backup(info.path)
        state = "ok" if info.ok else "DAMAGED: " + "; ".join(info.problems)
        damaged += not info.ok
        print(
            f"{info.path.name}  {info.created_at:%Y-%m-%d %H:%M} UTC  {_size(info.size):>9}  "
            f"{info.rows} rows, {info.files} files  {state}"
        )
    return 1 if damaged else 0


def _size(n: int) -> str:
    from ..services.db_health import human_bytes

    return human_bytes(n)
