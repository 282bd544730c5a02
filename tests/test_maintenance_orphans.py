"""`gcmc maintenance orphans`: stored files no version refers to go; recent ones (an upload
whose row is not written yet) and referenced ones stay."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

from sqlalchemy.engine import URL

from gcmc_desktop.cli import main
from gcmc_desktop.db import session_factory
from gcmc_desktop.models import Client, Document, DocumentType, DocumentVersion, Tenant
from gcmc_desktop.services.storage import LocalFolderStorage, object_key

from .test_cli_db import platform_form


def put(store: LocalFolderStorage, key: str, data: bytes, tmp: Path, age_hours: float) -> None:
    source = tmp / hashlib.sha256(data).hexdigest()
    source.write_bytes(data)
    store.put_file(
        key, source, sha256=hashlib.sha256(data).hexdigest(), size=len(data),
        content_type="application/pdf",
    )  # fmt: skip
    then = time.time() - age_hours * 3600
    os.utime(store.root / key, (then, then))


def test_orphans_dry_run_then_removed(engine, database_url: URL, tmp_path: Path, capsys) -> None:
    with session_factory(engine)() as session:
        tenant = Tenant(name="Orphanage", code="orphanage")
        session.add(tenant)
        session.flush()
        client = Client(tenant_id=tenant.id, name="C", type="company")
        kind = DocumentType(tenant_id=tenant.id, name="T", category="identification")
        session.add_all([client, kind])
        session.flush()
        document = Document(
            tenant_id=tenant.id, client_id=client.id, document_type_id=kind.id, title="D",
            status="valid",
        )  # fmt: skip
        session.add(document)
        session.flush()
        kept = object_key(tenant.id, document.id, "a" * 64)
        old_orphan = object_key(tenant.id, document.id, "b" * 64)
        young_orphan = object_key(tenant.id, document.id, "c" * 64)
        session.add(
            DocumentVersion(document_id=document.id, file_url=kept, storage_provider="local")
        )
        session.commit()
    store = LocalFolderStorage(tmp_path / "store")
    (tmp_path / "store").mkdir(exist_ok=True)
    put(store, kept, b"kept", tmp_path, age_hours=48)
    put(store, old_orphan, b"old orphan", tmp_path, age_hours=48)
    put(store, young_orphan, b"young orphan", tmp_path, age_hours=1)

    args = ["--database-url", platform_form(database_url), "maintenance", "orphans",
            "--folder", str(tmp_path / "store")]  # fmt: skip
    assert main([*args, "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert old_orphan in out and young_orphan not in out and kept not in out
    assert "Would remove 1 orphaned file(s)" in out
    assert store.exists(old_orphan)

    assert main(args) == 0
    assert "Removed 1 orphaned file(s)" in capsys.readouterr().out
    assert not store.exists(old_orphan)
    assert store.exists(kept) and store.exists(young_orphan)


def test_partial_writes_older_than_a_day_are_removed(
    engine, database_url: URL, tmp_path: Path, capsys
) -> None:
    """Issue 9 #28: a folder write killed mid-way leaves `.<name>.<hex>.part` beside the key;
    the sweep removes it once it is a day old, and leaves a younger one (it may still be being
    written) and every other dot-file alone."""
    with session_factory(engine)() as session:
        tenant = Tenant(name="Half written", code="half")
        session.add(tenant)
        session.commit()
        tenant_id = tenant.id
    root = tmp_path / "store"
    folder = root / "tenants" / str(tenant_id) / "documents" / "7"
    folder.mkdir(parents=True)

    def leftover(name: str, age_hours: float) -> Path:
        path = folder / name
        path.write_bytes(b"half a scan")
        then = time.time() - age_hours * 3600
        os.utime(path, (then, then))
        return path

    old = leftover(f".{'d' * 64}.0123456789ab.part", age_hours=30)
    young = leftover(f".{'e' * 64}.ba9876543210.part", age_hours=5)
    unrelated = leftover(".DS_Store", age_hours=300)

    args = ["--database-url", platform_form(database_url), "maintenance", "orphans",
            "--folder", str(root), "--older-than-hours", "1"]  # fmt: skip
    assert main([*args, "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert old.name in out and young.name not in out
    assert "Would remove 1 orphaned file(s)" in out
    assert old.exists()

    assert main(args) == 0
    assert "Removed 1 orphaned file(s)" in capsys.readouterr().out
    assert not old.exists()
    assert young.exists() and unrelated.exists()
