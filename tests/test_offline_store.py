"""Offline review (issue 18): check-out into the encrypted store, as a signed-in staff user."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from gcmc_desktop.db import session_factory
from gcmc_desktop.models import Document, DocumentType, DocumentVersion
from gcmc_desktop.services.errors import ValidationError
from gcmc_desktop.services.offline import checkout, status, store
from gcmc_desktop.services.storage import LocalFolderStorage, object_key

from .offline_fixtures import close_all, login
from .security_fixtures import PASSWORD, Firms, build_firms

ROLES = ("Admin", "DocumentOfficer")
SECRET_NAME = "Zephyrine Quallbottom"
SECRET_TEXT = b"Confidential ledger of Zephyrine: GYD 4,812,337 owed to Marbleworth"


def seed_documents(engine, tenant: int, client: int, folder: Path, count: int = 2) -> list[int]:
    """Documents with two versions each (files in a folder store)."""
    folder.mkdir(parents=True, exist_ok=True)
    provider = LocalFolderStorage(folder)
    ids = []
    with session_factory(engine)() as s:
        doc_type = DocumentType(tenant_id=tenant, name="Ledger", category="financial")
        s.add(doc_type)
        s.flush()
        for n in range(count):
            doc = Document(
                tenant_id=tenant,
                client_id=client,
                document_type_id=doc_type.id,
                title=f"Ledger {n}",
                status="valid",
            )
            s.add(doc)
            s.flush()
            for v in range(2):
                data = SECRET_TEXT + f" #{n}.{v}".encode()
                sha = hashlib.sha256(data).hexdigest()
                key = object_key(tenant, doc.id, sha)
                src = folder.parent / f"src-{n}-{v}"
                src.write_bytes(data)
                provider.put_file(key, src, sha256=sha, size=len(data), content_type="text/plain")
                version = DocumentVersion(
                    document=doc,
                    file_url=key,
                    storage_provider="local",
                    file_size=len(data),
                    is_latest=v == 1,
                )
                s.add(version)
                s.flush()
                if v == 1:
                    doc.latest_version_id = version.id
            ids.append(doc.id)
        s.commit()
    return ids


@pytest.fixture(autouse=True)
def _close_contexts():
    yield
    close_all()


@pytest.fixture
def firms(engine, database_url) -> Firms:
    built = build_firms(engine, database_url, ROLES)
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE clients SET name = :n WHERE id = :c"),
            {"n": SECRET_NAME, "c": built.alpha_client},
        )
    return built


def test_check_out_encrypts_everything(firms: Firms, engine, tmp_path: Path) -> None:
    seed_documents(engine, firms.alpha, firms.alpha_client, tmp_path / "files")
    ctx = login(firms, "DocumentOfficer")
    provider = LocalFolderStorage(tmp_path / "files")
    est = checkout.estimate(ctx, [firms.alpha_client])
    assert (est.clients, est.documents, est.files) == (1, 2, 2)
    assert checkout.estimate(ctx, [firms.alpha_client], all_versions=True).files == 4
    # Another firm's client is not seen; nothing to check out.
    assert checkout.estimate(ctx, [firms.beta_client]).clients == 0
    with pytest.raises(ValidationError):
        checkout.check_out(ctx, [firms.beta_client], storage=provider)
    with pytest.raises(ValidationError):
        checkout.check_out(ctx, [], storage=provider)

    result = checkout.check_out(ctx, [firms.alpha_client], storage=provider, days=14)
    assert (result.clients, result.documents, result.files) == (1, 2, 2)
    assert result.path.is_dir() and result.bytes > 0
    blob = b"".join(p.read_bytes() for p in result.path.rglob("*") if p.is_file())
    for secret in (SECRET_NAME.encode(), b"Zephyrine", b"Marbleworth", b"Ledger 0"):
        assert secret not in blob
    assert ctx.email.encode() not in blob
    held = status.checkouts(ctx, [firms.alpha_client])
    assert held[firms.alpha_client].mine
    # The copy is listed with its details (decrypted with the keyring's key).
    (copy,) = store.copies()
    assert copy.tenant_code == "alpha" and copy.clients == 1 and not copy.expired
    assert copy.email == ctx.email and copy.pending_changes == 0
    assert copy.expires_at - store.now() > timedelta(days=13)
    records = store.open_store(copy).read_json(store.RECORDS)
    assert [c["name"] for c in records["clients"]] == [SECRET_NAME]
    assert "account" not in records and "audit_logs" not in records
    # Someone else cannot check out the same client.
    admin = login(firms, "Admin")
    with pytest.raises(ValidationError, match="already checked out by DocumentOfficer User"):
        checkout.check_out(admin, [firms.alpha_client], storage=provider)
    # Without the keyring entry the copy is unreadable; a tampered blob is refused.
    s = store.open_store(copy)
    raw = (copy.path / store.META).read_bytes()
    (copy.path / store.META).write_bytes(raw[:-1] + bytes([raw[-1] ^ 1]))
    with pytest.raises(store.StoreError):
        store.Store(copy.path).meta()
    (copy.path / store.META).write_bytes(raw)
    store._forget_key(s.name)
    assert store.copies() == []


def test_expiry(firms: Firms, monkeypatch) -> None:
    ctx = login(firms, "DocumentOfficer")
    with pytest.raises(ValidationError):
        checkout.check_out(ctx, [firms.alpha_client], days=0)
    result = checkout.check_out(ctx, [firms.alpha_client], days=1)
    assert result.files == 0  # no storage given: records only
    later = store.now() + timedelta(days=2)
    monkeypatch.setattr(store, "now", lambda: later)
    (copy,) = store.copies()
    assert copy.expired


def test_cli_checkout_status_check_in(
    firms: Firms, engine, database_url, tmp_path, capsys, monkeypatch
) -> None:
    from gcmc_desktop.cli import main

    seed_documents(engine, firms.alpha, firms.alpha_client, tmp_path / "files", count=1)
    monkeypatch.setenv("GCMC_PASSWORD", PASSWORD)
    url = database_url.render_as_string(hide_password=False)
    email = firms.emails["DocumentOfficer"]
    args = ["--database-url", url, "offline"]
    assert main([*args, "checkout", "--email", email, "--client", str(firms.alpha_client),
                 "--folder", str(tmp_path / "files")]) == 0  # fmt: skip
    assert "Checked out 1 clients (1 files" in capsys.readouterr().out
    assert main([*args, "status"]) == 0
    assert "Alpha Tax — DocumentOfficer User" in capsys.readouterr().out
    assert main([*args, "checkout", "--email", email, "--client", str(firms.beta_client)]) == 1
    assert main([*args, "sync", "--email", email]) == 0
    assert main([*args, "check-in", "--email", email]) == 0
    assert store.copies() == []
    monkeypatch.setenv("GCMC_PASSWORD", "wrong-horse-9")
    assert main([*args, "sync", "--email", email]) == 1
