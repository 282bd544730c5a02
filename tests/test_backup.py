"""Backups on the real server with the bundled pg_dump/pg_restore/psql: a wiped database comes
back equal table by table (row counts and content checksums), files byte for byte, security
intact; interrupted or damaged backups are never taken for complete ones."""

from __future__ import annotations

import json
import os
import time
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import URL

from gcmc_desktop.cli import main
from gcmc_desktop.db import make_engine, session_factory
from gcmc_desktop.services.backup import (
    BackupCancelled,
    BackupDamaged,
    backup_if_due,
    create_backup,
    list_backups,
    restore_backup,
    table_fingerprints,
    verify_backup,
)
from gcmc_desktop.services.demo.seed import seed_demo
from gcmc_desktop.services.errors import ServiceError
from gcmc_desktop.services.storage.folder import LocalFolderStorage

from .conftest import create_database, drop_database


def platform_form(url: URL) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def fingerprints(url: URL) -> dict:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return table_fingerprints(conn)
    finally:
        engine.dispose()


def security_state(url: URL) -> tuple:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            policies = conn.scalar(text("SELECT count(*) FROM pg_policies"))
            rls = conn.scalar(
                text(
                    "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE n.nspname = 'public' AND c.relrowsecurity AND c.relforcerowsecurity"
                )
            )
            grants = conn.scalar(
                text("SELECT has_table_privilege('gcmc_staff', 'public.clients', 'SELECT')")
            )
            definers = conn.scalar(
                text(
                    "SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
                    "WHERE n.nspname = 'public' AND p.prosecdef"
                )
            )
        return policies, rls, grants, definers
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def seeded(server_url: URL, template_url: URL, tmp_path_factory) -> Iterator[tuple[URL, Path]]:
    """A demo-seeded database (closed, so tests may clone it) and its folder store."""
    folder = tmp_path_factory.mktemp("backup-files")
    name = f"gcmc_test_backup_src_{os.getpid()}"
    url = create_database(server_url, name, template=template_url.database)
    engine = make_engine(url)
    with session_factory(engine)() as session:
        seed_demo(session, storage=LocalFolderStorage(folder))
    engine.dispose()
    yield url, folder
    drop_database(server_url, name)


@pytest.fixture
def copy_of_seeded(server_url: URL, seeded) -> Iterator[URL]:
    name = f"gcmc_test_backup_copy_{os.getpid()}"
    yield create_database(server_url, name, template=seeded[0].database)
    drop_database(server_url, name)


def files_of(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def test_wiped_database_and_files_come_back_equal(
    copy_of_seeded: URL, seeded, tmp_path, capsys
) -> None:
    source_folder = seeded[1]
    folder = tmp_path / "files"
    folder.mkdir()
    for key, data in files_of(source_folder).items():
        (folder / key).parent.mkdir(parents=True, exist_ok=True)
        (folder / key).write_bytes(data)
    before = fingerprints(copy_of_seeded)
    before_security = security_state(copy_of_seeded)
    before_files = files_of(folder)
    assert before["clients"]["rows"] > 0 and before["documents"]["rows"] > 0
    assert before_files, "the demo data writes document files"

    stages: list[str] = []
    (tmp_path / "backups").mkdir()
    started = time.perf_counter()
    info = create_backup(
        copy_of_seeded,
        tmp_path / "backups",
        storage_folder=folder,
        progress=lambda stage, *_: stages.append(stage),
    )
    backup_seconds = time.perf_counter() - started
    assert info.ok and info.path.suffix == ".zip"
    assert info.files == len(before_files)
    assert info.rows == sum(t["rows"] for t in before.values())
    assert {"database", "files"} <= set(stages)

    # Wipe: every table, function and policy gone; every file gone.
    engine = create_engine(copy_of_seeded, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    for path in folder.rglob("*"):
        if path.is_file():
            path.unlink()
    assert fingerprints(copy_of_seeded) == {}

    started = time.perf_counter()
    restored = restore_backup(copy_of_seeded, info.path, storage_folder=folder)
    restore_seconds = time.perf_counter() - started
    assert restored.ok
    assert fingerprints(copy_of_seeded) == before
    assert security_state(copy_of_seeded) == before_security
    assert files_of(folder) == before_files
    with capsys.disabled():  # measured, not asserted (shared machine)
        print(
            f"\nbackup of {info.rows} rows in {info.tables} tables and {info.files} files "
            f"({info.size / 1e6:.1f} MB): {backup_seconds:.2f} s; restore {restore_seconds:.2f} s"
        )


def test_restore_refuses_a_database_that_is_not_empty(
    copy_of_seeded: URL, empty_database_url: URL, tmp_path
) -> None:
    info = create_backup(copy_of_seeded, tmp_path / "b.zip")
    wanted = fingerprints(copy_of_seeded)
    engine = create_engine(copy_of_seeded, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("""UPDATE clients SET name = 'Changed after the backup'"""))
    engine.dispose()
    changed = fingerprints(copy_of_seeded)
    with pytest.raises(ServiceError, match="not empty"):
        restore_backup(copy_of_seeded, info.path)
    assert fingerprints(copy_of_seeded) == changed

    restore_backup(copy_of_seeded, info.path, replace=True)
    assert fingerprints(copy_of_seeded) == wanted
    # An empty database needs no confirmation.
    restore_backup(empty_database_url, info.path)
    assert fingerprints(empty_database_url) == wanted


def test_a_restore_that_does_not_verify_changes_nothing(copy_of_seeded: URL, tmp_path) -> None:
    info = create_backup(copy_of_seeded, tmp_path / "b.zip")
    # A manifest that disagrees with its dump: the restore's own check must catch it and the
    # single transaction must leave the database as it was.
    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(info.path) as src, zipfile.ZipFile(tampered, "w") as out:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "manifest.json":
                manifest = json.loads(data)
                manifest["tables"]["clients"]["rows"] += 1
                data = json.dumps(manifest).encode()
            out.writestr(item, data)
    before = fingerprints(copy_of_seeded)
    with pytest.raises(ServiceError, match="clients differs from the backup"):
        restore_backup(copy_of_seeded, tampered, replace=True)
    assert fingerprints(copy_of_seeded) == before


def test_an_interrupted_backup_leaves_nothing_that_looks_complete(
    copy_of_seeded: URL, seeded, tmp_path
) -> None:
    target = tmp_path / "backups"
    target.mkdir()
    calls = iter(range(10_000))

    def cancel_during_files() -> bool:
        return next(calls) > 3

    with pytest.raises(BackupCancelled):
        create_backup(
            copy_of_seeded, target, storage_folder=seeded[1], cancelled=cancel_during_files
        )
    assert list(target.iterdir()) == []
    # A backup killed mid-write (power cut) leaves a .partial: never listed as a backup.
    (target / "gcmc-backup-20260101-000000.zip.partial").write_bytes(b"PK\x03\x04 half")
    assert list_backups(target) == []


def test_a_damaged_backup_is_reported_and_never_restored(
    copy_of_seeded: URL, empty_database_url: URL, seeded, tmp_path, capsys
) -> None:
    folder = tmp_path / "backups"
    folder.mkdir()
    info = create_backup(copy_of_seeded, folder, storage_folder=seeded[1])
    data = bytearray(info.path.read_bytes())
    middle = len(data) // 3
    data[middle : middle + 64] = bytes(64)
    info.path.write_bytes(bytes(data))

    checked = verify_backup(info.path)
    assert not checked.ok and checked.problems
    with pytest.raises(BackupDamaged, match="damaged"):
        restore_backup(empty_database_url, info.path)
    assert fingerprints(empty_database_url) == {}

    assert main(["backup", "list", "--dir", str(folder), "--verify"]) == 1
    assert "DAMAGED" in capsys.readouterr().out
    (folder / "not-a-backup.zip").write_bytes(b"garbage")
    with pytest.raises(BackupDamaged):
        restore_backup(empty_database_url, folder / "not-a-backup.zip")


def test_the_daily_backup_runs_once_a_day_and_keeps_the_newest(
    copy_of_seeded: URL, tmp_path
) -> None:
    folder = tmp_path / "daily"
    folder.mkdir()
    day = datetime(2026, 12, 1, 8, tzinfo=UTC)
    first = backup_if_due(copy_of_seeded, folder, storage_folder=None, keep=2, now=day)
    assert first is not None
    assert backup_if_due(
        copy_of_seeded, folder, storage_folder=None, keep=2, now=datetime.now(UTC)
    ) is None  # fmt: skip
    for later in (1, 2, 3):
        stamp = datetime.now(UTC) + timedelta(days=later, minutes=later)
        assert backup_if_due(copy_of_seeded, folder, storage_folder=None, keep=2, now=stamp)
    kept = list_backups(folder)
    assert len(kept) == 2 and all(b.ok for b in kept)


def test_cli_create_list_restore(
    copy_of_seeded: URL, empty_database_url: URL, tmp_path, capsys
) -> None:
    folder = tmp_path / "cli"
    url = platform_form(copy_of_seeded)
    assert main(["--database-url", url, "backup", "create", "--to", str(folder / "x.zip"),
                 "--no-files"]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert "Backed up" in out and "x.zip" in out
    assert main(["backup", "list", "--dir", str(folder)]) == 0
    assert "x.zip" in capsys.readouterr().out

    target = platform_form(empty_database_url)
    assert main(["--database-url", target, "backup", "restore", str(folder / "x.zip"),
                 "--no-files"]) == 0  # fmt: skip
    assert "Restored" in capsys.readouterr().out
    assert fingerprints(empty_database_url) == fingerprints(copy_of_seeded)
    # Again, now that it is not empty: refused without --yes, with a readable message.
    assert main(["--database-url", target, "backup", "restore", str(folder / "x.zip"),
                 "--no-files"]) == 1  # fmt: skip
    err = capsys.readouterr().err
    assert "not empty" in err and "--yes" in err and "Traceback" not in err
    assert main(["--database-url", target, "backup", "restore", str(folder / "x.zip"),
                 "--no-files", "--yes"]) == 0  # fmt: skip


def test_cli_health_and_vacuum(database_url: URL, tmp_path, capsys) -> None:
    url = platform_form(database_url)
    assert main(["--database-url", url, "maintenance", "health", "--backups",
                 str(tmp_path)]) == 0  # fmt: skip
    out = capsys.readouterr().out
    for expected in ("PostgreSQL", "Cache hit ratio", "index hit ratio", "Unused indexes",
                     "Connections per role", "Backups in", "There is no backup"):  # fmt: skip
        assert expected in out
    assert main(["--database-url", url, "maintenance", "vacuum"]) == 0
    assert "Vacuumed and analysed" in capsys.readouterr().out
    engine: Engine = make_engine(database_url)
    with engine.connect() as conn:
        never = conn.scalar(
            text(
                "SELECT count(*) FROM pg_stat_user_tables WHERE schemaname = 'public' "
                "AND last_vacuum IS NULL AND last_autovacuum IS NULL"
            )
        )
    engine.dispose()
    assert never == 0
