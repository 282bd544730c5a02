"""Backups an administrator can trust: one ZIP holding a consistent database dump, the document
files of a folder store, and a manifest that proves both are whole.

- **Consistent**: the dump (bundled `pg_dump`, custom format) runs on a snapshot exported from a
  REPEATABLE READ transaction, and each table's row count and content checksum are read in that
  same snapshot — so the manifest describes exactly what the dump holds, while staff keep working.
- **Checksummed**: the manifest lists the SHA-256 of the dump and of every file; `verify_backup`
  re-reads them all before a restore trusts the archive.
- **Never looks complete when it is not**: the archive is written as `NAME.zip.partial`, flushed
  to disk and only then renamed; an interrupted backup leaves at most a `.partial` file, which the
  list ignores and pruning removes.
- **Restore is all or nothing**: the dump becomes one SQL script run by the bundled `psql` in a
  single transaction; afterwards every table's count and checksum must equal the manifest's, or
  the transaction is rolled back and the database is left as it was.

Staff logins are cluster roles, not part of a database dump: after a restore onto another server
each user needs a new password (`gcmc user reset-password`); the group roles the security model
grants to are re-created.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import subprocess
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Connection, create_engine, text
from sqlalchemy.engine import URL

from .errors import ServiceError
from .pg_tools import libpq_args, run_tool, tool_failure

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DUMP = "database.dump"
FILES = "files/"
SUFFIX = ".zip"
PARTIAL = ".partial"
CHUNK = 1 << 20
GROUP_ROLES = ("gcmc_staff", "gcmc_login")

# (stage, done, total): stages are "database", "files", "verifying", "restoring".
Progress = Callable[[str, int, int], None]
Cancelled = Callable[[], bool]


class BackupCancelled(ServiceError):
    default_message = "The backup was cancelled; nothing was written."


class BackupDamaged(ServiceError):
    default_message = "The backup file is damaged."


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    created_at: datetime
    database: str
    schema_revision: str | None
    tables: int
    rows: int
    files: int
    size: int
    problems: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not self.problems


def _no_progress(_stage: str, _done: int, _total: int) -> None:
    return None


def _never() -> bool:
    return False


# -------------------------------------------------------------------------------- fingerprints


def table_fingerprints(conn: Connection) -> dict[str, dict[str, object]]:
    """Row count and an order-independent checksum of every table of the public schema."""
    tables = conn.scalars(
        text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
    ).all()
    result: dict[str, dict[str, object]] = {}
    for table in tables:
        quoted = '"' + table.replace('"', '""') + '"'
        count, digest = conn.execute(
            text(
                f"SELECT count(*), md5(coalesce(string_agg(h, '' ORDER BY h), '')) "
                f"FROM (SELECT md5(t::text) AS h FROM public.{quoted} t) s"
            )
        ).one()
        result[table] = {"rows": int(count), "md5": digest}
    return result


def _schema_revision(conn: Connection) -> str | None:
    exists = conn.scalar(text("SELECT to_regclass('public.alembic_version') IS NOT NULL"))
    return conn.scalar(text("SELECT version_num FROM alembic_version")) if exists else None


# -------------------------------------------------------------------------------- creating


def default_backup_dir() -> Path:
    """Where backups go by default: `backups` in the application's data directory."""
    from ..db.embedded import data_dir

    return data_dir() / "backups"


def default_name(now: datetime | None = None) -> str:
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%d-%H%M%S")
    return f"gcmc-backup-{stamp}{SUFFIX}"


def _files_of(folder: Path) -> list[Path]:
    """The folder store's files, without its in-progress writes (dot-named `.part` files)."""
    found = []
    for path in folder.rglob("*"):
        if path.is_file() and not (path.name.startswith(".") and path.name.endswith(".part")):
            found.append(path)
    return sorted(found)


def _copy_into(
    archive: zipfile.ZipFile, name: str, source: Path, cancelled: Cancelled
) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with source.open("rb") as src, archive.open(name, "w", force_zip64=True) as out:
        while chunk := src.read(CHUNK):
            if cancelled():
                raise BackupCancelled()
            digest.update(chunk)
            out.write(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _wait(process: subprocess.Popen[bytes], name: str, cancelled: Cancelled) -> None:
    while process.poll() is None:
        if cancelled():
            process.kill()
            process.wait()
            raise BackupCancelled()
        time.sleep(0.05)
    stderr = process.stderr.read() if process.stderr else b""
    if process.returncode != 0:
        raise tool_failure(name, stderr)


def _dump(url: URL, dump_path: Path, cancelled: Cancelled) -> dict[str, object]:
    """Dump the database from an exported snapshot; return what the snapshot holds."""
    engine = create_engine(url, isolation_level="REPEATABLE READ")
    try:
        with engine.connect() as conn:
            conn.execute(text("SET TRANSACTION READ ONLY"))
            snapshot = conn.scalar(text("SELECT pg_export_snapshot()"))
            args, env = libpq_args(url)
            process = run_tool(
                "pg_dump",
                [
                    *args,
                    "--format=custom",
                    f"--snapshot={snapshot}",
                    "--no-password",
                    f"--file={dump_path}",
                    f"--dbname={url.database}",
                ],
                env,
            )
            try:
                _wait(process, "pg_dump", cancelled)
            finally:
                if process.poll() is None:
                    process.kill()
            described = {
                "database": url.database,
                "owner": conn.scalar(
                    text(
                        "SELECT pg_get_userbyid(datdba) FROM pg_database "
                        "WHERE datname = current_database()"
                    )
                ),
                "server_version": conn.scalar(text("SHOW server_version")),
                "schema_revision": _schema_revision(conn),
                "tables": table_fingerprints(conn),
            }
            conn.rollback()
            return described
    finally:
        engine.dispose()


def create_backup(
    url: URL,
    target: Path,
    *,
    storage_folder: Path | None = None,
    progress: Progress = _no_progress,
    cancelled: Cancelled = _never,
) -> BackupInfo:
    """Write a backup of the database at `url` (and the folder store, if given) to `target`
    (a directory gets a dated file name). Needs a role that may read every table: the
    database owner or an administrator, not a staff login."""
    target = Path(target)
    if target.is_dir():
        target = target / default_name()
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + PARTIAL)
    created = datetime.now(UTC)
    with tempfile.TemporaryDirectory(prefix="gcmc-backup-", dir=target.parent) as work:
        dump_path = Path(work) / DUMP
        progress("database", 0, 1)
        described = _dump(url, dump_path, cancelled)
        progress("database", 1, 1)
        files = _files_of(storage_folder) if storage_folder and storage_folder.is_dir() else []
        try:
            with zipfile.ZipFile(partial, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
                dump_sha, dump_size = _copy_into(archive, DUMP, dump_path, cancelled)
                listed = []
                for done, path in enumerate(files, start=1):
                    relative = path.relative_to(storage_folder).as_posix()  # type: ignore[arg-type]
                    sha, size = _copy_into(archive, FILES + relative, path, cancelled)
                    listed.append({"path": relative, "sha256": sha, "size": size})
                    progress("files", done, len(files))
                manifest = {
                    "format": FORMAT_VERSION,
                    "created_at": created.isoformat(),
                    **described,
                    "dump": {"name": DUMP, "sha256": dump_sha, "size": dump_size},
                    "files": listed,
                }
                archive.writestr(MANIFEST, json.dumps(manifest, indent=1, sort_keys=True))
            with partial.open("rb+") as handle:
                os.fsync(handle.fileno())
            os.replace(partial, target)
            _fsync_dir(target.parent)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    return _info(target, manifest)


def _fsync_dir(path: Path) -> None:
    if os.name == "nt":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _info(path: Path, manifest: dict, problems: tuple[str, ...] = ()) -> BackupInfo:
    tables = manifest.get("tables", {})
    return BackupInfo(
        path=path,
        created_at=datetime.fromisoformat(manifest["created_at"]),
        database=str(manifest.get("database", "")),
        schema_revision=manifest.get("schema_revision"),
        tables=len(tables),
        rows=sum(int(t["rows"]) for t in tables.values()),
        files=len(manifest.get("files", [])),
        size=path.stat().st_size,
        problems=problems,
    )


# -------------------------------------------------------------------------------- reading


def read_manifest(path: Path) -> dict:
    try:
        with zipfile.ZipFile(path) as archive:
            manifest = json.loads(archive.read(MANIFEST))
    except (OSError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise BackupDamaged(
            f"{Path(path).name} is not a complete GCMC backup ({_reason(exc)})."
        ) from None
    if manifest.get("format") != FORMAT_VERSION:
        raise BackupDamaged(f"{Path(path).name} was written by an unknown version of GCMC.")
    return manifest


def _reason(exc: BaseException) -> str:
    if isinstance(exc, KeyError):
        return "it has no manifest"
    return str(exc) or exc.__class__.__name__


def _hash_member(archive: zipfile.ZipFile, name: str) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with archive.open(name) as member:
        while chunk := member.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def verify_backup(path: Path, progress: Progress = _no_progress) -> BackupInfo:
    """Re-read every member of the archive against the manifest's checksums."""
    path = Path(path)
    manifest = read_manifest(path)
    problems: list[str] = []
    expected = [(DUMP, manifest["dump"]["sha256"], manifest["dump"]["size"])] + [
        (FILES + f["path"], f["sha256"], f["size"]) for f in manifest.get("files", [])
    ]
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            for done, (name, sha, size) in enumerate(expected, start=1):
                if name not in names:
                    problems.append(f"{name} is missing")
                    continue
                try:
                    got_sha, got_size = _hash_member(archive, name)
                except (zipfile.BadZipFile, OSError, ValueError) as exc:
                    problems.append(f"{name} cannot be read ({exc})")
                    continue
                if (got_sha, got_size) != (sha, size):
                    problems.append(f"{name} does not match its checksum")
                progress("verifying", done, len(expected))
    except (OSError, zipfile.BadZipFile) as exc:
        problems.append(f"the archive cannot be read ({exc})")
    return _info(path, manifest, tuple(problems))


def list_backups(folder: Path) -> list[BackupInfo]:
    """Complete backups in `folder`, newest first (manifest read, contents not re-hashed)."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    found = []
    for path in folder.glob(f"*{SUFFIX}"):
        try:
            found.append(_info(path, read_manifest(path)))
        except BackupDamaged as exc:
            found.append(
                BackupInfo(
                    path, datetime.fromtimestamp(path.stat().st_mtime, UTC), "", None, 0, 0, 0,
                    path.stat().st_size, (exc.message,),
                )
            )  # fmt: skip
    return sorted(found, key=lambda b: b.created_at, reverse=True)


def prune_backups(folder: Path, keep: int) -> list[Path]:
    """Keep the newest `keep` complete backups; remove older ones and day-old `.partial`s."""
    removed = []
    complete = [b for b in list_backups(folder) if b.ok]
    for old in complete[max(keep, 1) :]:
        old.path.unlink(missing_ok=True)
        removed.append(old.path)
    cutoff = time.time() - 86400
    for partial in Path(folder).glob(f"*{SUFFIX}{PARTIAL}"):
        with contextlib.suppress(OSError):
            if partial.stat().st_mtime < cutoff:
                partial.unlink()
                removed.append(partial)
    return removed


def backup_if_due(
    url: URL,
    folder: Path,
    *,
    storage_folder: Path | None,
    keep: int = 7,
    every: timedelta = timedelta(days=1),
    now: datetime | None = None,
) -> BackupInfo | None:
    """The scheduled backup: one when the newest complete one is older than `every`."""
    now = now or datetime.now(UTC)
    newest = next((b for b in list_backups(folder) if b.ok), None)
    if newest and now - newest.created_at < every:
        return None
    info = create_backup(url, folder / default_name(now), storage_folder=storage_folder)
    prune_backups(folder, keep)
    return info


# -------------------------------------------------------------------------------- restoring


def _is_empty(conn: Connection) -> bool:
    return not conn.scalar(
        text(
            "SELECT EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'S'))"
        )
    )


def _prepare_roles(conn: Connection, owner: str | None) -> bool:
    """Create the group roles the dump grants to; whether the dump's owner role exists here."""
    for role in GROUP_ROLES:
        conn.execute(
            text(
                "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '"
                + role
                + "') THEN CREATE ROLE "
                + role
                + " NOLOGIN NOCREATEROLE NOCREATEDB; END IF; END $$"
            )
        )
    if not owner:
        return False
    return bool(conn.scalar(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": owner}))


@contextlib.contextmanager
def _extracted_dump(path: Path) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="gcmc-restore-") as work:
        with zipfile.ZipFile(path) as archive:
            archive.extract(DUMP, work)
        yield Path(work) / DUMP


def _restore_files(path: Path, manifest: dict, storage_folder: Path, progress: Progress) -> int:
    """Put back the files the folder store is missing; existing files are left alone."""
    from .storage.folder import LocalFolderStorage

    store = LocalFolderStorage(storage_folder)
    storage_folder.mkdir(parents=True, exist_ok=True)
    restored = 0
    files = manifest.get("files", [])
    with zipfile.ZipFile(path) as archive, tempfile.TemporaryDirectory() as work:
        for done, entry in enumerate(files, start=1):
            key = entry["path"]
            if not store.exists(key):
                extracted = Path(archive.extract(FILES + key, work))
                store.put_file(
                    key,
                    extracted,
                    sha256=entry["sha256"],
                    size=entry["size"],
                    content_type="application/octet-stream",
                )
                extracted.unlink()
                restored += 1
            progress("files", done, len(files))
    return restored


def restore_backup(
    url: URL,
    path: Path,
    *,
    replace: bool = False,
    storage_folder: Path | None = None,
    progress: Progress = _no_progress,
) -> BackupInfo:
    """Restore the backup at `path` into the database at `url` in one transaction.

    Refuses a database that holds tables unless `replace` (then its public schema is dropped
    and rebuilt inside the same transaction: a failure leaves it untouched)."""
    path = Path(path)
    info = verify_backup(path, progress)
    if not info.ok:
        raise BackupDamaged(
            f"{path.name} is damaged and was not restored: " + "; ".join(info.problems[:3]) + "."
        )
    manifest = read_manifest(path)
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            if not _is_empty(conn) and not replace:
                raise ServiceError(
                    f"The database {url.database} is not empty. Restoring would replace "
                    "everything in it; confirm with --yes (or choose an empty database)."
                )
            keep_owner = _prepare_roles(conn, manifest.get("owner"))
    finally:
        engine.dispose()
    progress("restoring", 0, 1)
    with _extracted_dump(path) as dump, tempfile.TemporaryDirectory() as work:
        script = Path(work) / "restore.sql"
        args, env = libpq_args(url)
        options = ["--no-owner"] if not keep_owner else []
        converter = run_tool(
            "pg_restore", [*options, f"--file={script}", "--no-comments", str(dump)], env
        )
        _wait(converter, "pg_restore", _never)
        checker = Path(work) / "verify.sql"
        checker.write_text(_verification_sql(manifest["tables"]), encoding="utf-8")
        prelude = Path(work) / "prelude.sql"
        prelude.write_text(
            "SET client_min_messages = warning;\n"
            "DROP SCHEMA IF EXISTS public CASCADE;\nCREATE SCHEMA public;\n",
            encoding="utf-8",
        )
        runner = run_tool(
            "psql",
            [
                *args,
                "--no-password",
                "--quiet",
                "--no-psqlrc",
                "--single-transaction",
                "--set=ON_ERROR_STOP=1",
                f"--dbname={url.database}",
                f"--file={prelude}",
                f"--file={script}",
                f"--file={checker}",
            ],
            env,
        )
        try:
            _wait(runner, "psql", _never)
        except ServiceError as exc:
            raise ServiceError(
                f"The restore failed and the database was left as it was. {exc.message}"
            ) from None
    progress("restoring", 1, 1)
    if storage_folder is not None:
        _restore_files(path, manifest, storage_folder, progress)
    return info


def _verification_sql(tables: dict[str, dict]) -> str:
    """A DO block that aborts the restore's transaction when any table differs from the
    manifest — so a restore is whole or not at all."""
    checks = []
    for table, expected in sorted(tables.items()):
        quoted = '"' + table.replace('"', '""') + '"'
        literal = table.replace("'", "''")
        checks.append(
            f"  SELECT count(*), md5(coalesce(string_agg(h, '' ORDER BY h), '')) INTO n, d\n"
            f"    FROM (SELECT md5(t::text) AS h FROM public.{quoted} t) s;\n"
            f"  IF n <> {int(expected['rows'])} OR d <> '{expected['md5']}' THEN\n"
            f"    RAISE EXCEPTION 'restored table {literal} differs from the backup';\n"
            f"  END IF;"
        )
    body = "\n".join(checks)
    return f"DO $$\nDECLARE n bigint; d text;\nBEGIN\n{body}\nEND $$;\n"
