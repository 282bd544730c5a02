"""Uploads through the outbox: stored once, recorded once, with the right checksum — also when a
transfer breaks half-way, when the process dies between storing and recording or between
recording and marking done, when the same file comes twice, and when files are bad."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from gcmc_desktop.models import Document, DocumentVersion
from gcmc_desktop.services import auth, document_types
from gcmc_desktop.services.context import Context
from gcmc_desktop.services.outbox import (
    DONE,
    QUEUED,
    STORED,
    Outbox,
    UploadDeferred,
    UploadTarget,
)
from gcmc_desktop.services.storage import LocalFolderStorage, StorageError, pending_key
from gcmc_desktop.views.uploads import CANCELLED, UploadManager

from .security_fixtures import PASSWORD, Firms, build_firms
from .test_file_checks import text_pdf

TIMEOUT = 30_000


def sign_in(firms: Firms, role: str) -> Context:
    return auth.open_context(auth.sign_in(firms.profile, firms.emails[role], PASSWORD))


@pytest.fixture
def firms(engine: Engine, database_url: Any) -> Firms:
    return build_firms(engine, database_url, ("FirmAdmin", "DocumentOfficer"))


@pytest.fixture
def officer(firms: Firms) -> Iterator[Context]:
    ctx = sign_in(firms, "DocumentOfficer")
    yield ctx
    ctx.session.close()


@pytest.fixture
def store(tmp_path: Path) -> LocalFolderStorage:
    root = tmp_path / "store"
    root.mkdir()
    return LocalFolderStorage(root, chunk_size=64 * 1024)


@pytest.fixture
def outbox(tmp_path: Path) -> Outbox:
    return Outbox(tmp_path / "outbox")


@pytest.fixture
def doc_type(officer: Context) -> int:
    return document_types.create_document_type(
        officer, {"name": "Certificate", "category": "identification", "authority": "GRA"}
    )["id"]


def new_doc_target(firms: Firms, doc_type: int, title: str | None = None) -> UploadTarget:
    return UploadTarget(client_id=firms.alpha_client, document_type_id=doc_type, title=title)


def pdf_file(folder: Path, name: str, text: str = "TIN Certificate 123456789") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(text_pdf(text))
    return path


def big_text_file(folder: Path, name: str, size: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    line = b"GCMC test line for a large upload, repeated.\n"
    path = folder / name
    path.write_bytes((line * (size // len(line) + 1))[:size])
    return path


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def versions(engine: Engine) -> list[DocumentVersion]:
    with Session(engine) as s:
        return list(s.scalars(select(DocumentVersion).order_by(DocumentVersion.id)))


def uploaded_versions(engine: Engine) -> list[DocumentVersion]:
    """Versions written by these tests (the fixtures' own Beta version has no checksum)."""
    return [v for v in versions(engine) if (v.meta or {}).get("sha256")]


def stored_files(store: LocalFolderStorage) -> list[str]:
    return sorted(store.list_keys("tenants/"))


class Recorder:
    def __init__(self, manager: UploadManager) -> None:
        self.progress: dict[str, tuple[int, int]] = {}
        self.overall: list[tuple[int, int]] = []
        self.finished: dict[str, str] = {}
        self.failed: dict[str, str] = {}
        manager.fileProgress.connect(lambda n, d, t: self.progress.__setitem__(n, (d, t)))
        manager.overallProgress.connect(lambda d, t: self.overall.append((d, t)))
        manager.fileFinished.connect(lambda n, m: self.finished.__setitem__(n, m))
        manager.fileFailed.connect(lambda n, m: self.failed.__setitem__(n, m))


def make_manager(
    qtbot: QtBot, ctx: Context, storage: Any, outbox: Outbox, **kwargs: Any
) -> tuple[UploadManager, Recorder]:
    manager = UploadManager(ctx, storage, outbox=outbox, **kwargs)
    recorder = Recorder(manager)
    return manager, recorder


def run_batch(qtbot: QtBot, manager: UploadManager, paths: list[Path], target: UploadTarget):
    with qtbot.waitSignal(manager.idle, timeout=TIMEOUT):
        names = manager.add_files(paths, target)
    return names


# --------------------------------------------------------------------------------- the happy path


def test_upload_new_documents_with_progress(
    qtbot: QtBot,
    firms: Firms,
    officer: Context,
    doc_type: int,
    store,
    outbox,
    engine,
    tmp_path,
) -> None:
    paths = [pdf_file(tmp_path / "in", f"scan-{i}.pdf", f"Certificate {i}") for i in range(3)]
    manager, seen = make_manager(qtbot, officer, store, outbox)
    with qtbot.waitSignal(manager.textExtracted, timeout=TIMEOUT):
        names = run_batch(qtbot, manager, paths, new_doc_target(firms, doc_type))
    assert names == ["scan-0.pdf", "scan-1.pdf", "scan-2.pdf"]
    assert seen.failed == {}
    assert all("as the new document" in m for m in seen.finished.values())
    for name, path in zip(names, paths, strict=True):
        size = path.stat().st_size
        assert seen.progress[name] == (size, size)
    total = sum(p.stat().st_size for p in paths)
    assert seen.overall[-1] == (total, total)
    assert all(d <= t for d, t in seen.overall)

    rows = uploaded_versions(engine)
    assert sorted(v.meta["sha256"] for v in rows) == sorted(sha(p) for p in paths)
    assert {v.storage_provider for v in rows} == {"local"}
    assert stored_files(store) == sorted(pending_key(firms.alpha, sha(p)) for p in paths)
    with Session(engine) as s:
        titles = set(s.scalars(select(Document.title).where(Document.tenant_id == firms.alpha)))
    assert titles == {"scan-0", "scan-1", "scan-2"}
    assert outbox.entries() == [] and list(outbox.files_dir.iterdir()) == []
    # The originals are untouched, and the stored files are the same bytes.
    for path, version in zip(
        paths, sorted(rows, key=lambda v: v.meta["originalName"]), strict=True
    ):
        assert store.open_read(version.file_url).read() == path.read_bytes()
    qtbot.waitUntil(lambda: any(v.ocr_text for v in uploaded_versions(engine)), timeout=TIMEOUT)


def test_new_version_and_same_file_twice(
    qtbot: QtBot,
    firms: Firms,
    officer: Context,
    doc_type: int,
    store,
    outbox,
    engine,
    tmp_path,
) -> None:
    first = pdf_file(tmp_path / "in", "tin.pdf", "Version one")
    second = pdf_file(tmp_path / "in2", "tin.pdf", "Version two")
    manager, seen = make_manager(qtbot, officer, store, outbox, extract_text=False)
    run_batch(qtbot, manager, [first], new_doc_target(firms, doc_type, "TIN"))
    document_id = uploaded_versions(engine)[0].document_id

    run_batch(qtbot, manager, [second], UploadTarget(document_id=document_id))
    assert 'as version 2 of "TIN"' in seen.finished["tin.pdf"]
    keys_before = stored_files(store)

    # The same file again, as a version of the same document: told, nothing stored or written.
    run_batch(qtbot, manager, [first], UploadTarget(document_id=document_id))
    assert "already version 1" in seen.finished["tin.pdf"]
    # And dropped on the client as a "new document" again: also recognised.
    run_batch(qtbot, manager, [second], new_doc_target(firms, doc_type))
    assert "already version 2" in seen.finished["tin.pdf"]
    assert len(uploaded_versions(engine)) == 2
    assert stored_files(store) == keys_before
    assert outbox.entries() == []


def test_bad_files_are_refused_and_left_untouched(
    qtbot: QtBot,
    firms: Firms,
    officer: Context,
    doc_type: int,
    store,
    outbox,
    engine,
    tmp_path,
) -> None:
    folder = tmp_path / "bad"
    folder.mkdir()
    files = {
        "empty.pdf": b"",
        "note.pdf": b"Just a note, not a PDF.\n",
        "setup.exe": b"MZ" + b"\x00" * 200,
    }
    for name, data in files.items():
        (folder / name).write_bytes(data)
    good = pdf_file(folder, "good.pdf")
    before = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in folder.iterdir()}
    manager, seen = make_manager(qtbot, officer, store, outbox, extract_text=False)
    paths = [folder / n for n in files] + [good, folder / "missing.pdf"]
    run_batch(qtbot, manager, paths, new_doc_target(firms, doc_type))
    assert "empty" in seen.failed["empty.pdf"]
    assert "plain text" in seen.failed["note.pdf"]
    assert "program" in seen.failed["setup.exe"]
    assert "does not exist" in seen.failed["missing.pdf"]
    assert set(seen.finished) == {"good.pdf"}
    assert {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in folder.iterdir()} == before
    assert len(uploaded_versions(engine)) == 1
    assert outbox.entries() == []


# ------------------------------------------------------------------------------- interruptions


class BreakingStorage(LocalFolderStorage):
    """Loses the connection after `limit` bytes of the next put (once)."""

    def __init__(self, root: Path, limit: int) -> None:
        super().__init__(root, chunk_size=64 * 1024)
        self.limit = limit
        self.puts = 0

    def put_file(self, key, path, *, progress=None, **kwargs):  # type: ignore[override]
        self.puts += 1

        def breaking(done: int, total: int) -> None:
            if self.limit and done >= self.limit:
                self.limit = 0
                raise StorageError("The connection to the storage was lost.")
            if progress:
                progress(done, total)

        return super().put_file(key, path, progress=breaking, **kwargs)


def test_transfer_broken_half_way_resumes_on_restart(
    qtbot: QtBot,
    firms: Firms,
    officer: Context,
    doc_type: int,
    outbox,
    engine,
    tmp_path,
) -> None:
    root = tmp_path / "store"
    root.mkdir()
    storage = BreakingStorage(root, limit=512 * 1024)
    path = big_text_file(tmp_path / "in", "ledger.txt", 2 * 1024 * 1024)
    manager, seen = make_manager(qtbot, officer, storage, outbox)
    run_batch(qtbot, manager, [path], new_doc_target(firms, doc_type))
    assert "kept in the outbox" in seen.failed["ledger.txt"]
    assert "connection to the storage was lost" in seen.failed["ledger.txt"]
    [entry] = outbox.pending(officer)
    assert (entry.state, entry.attempts) == (QUEUED, 1)
    assert stored_files(storage) == [] and uploaded_versions(engine) == []
    path.unlink()  # the original may go: the outbox has its own copy

    # "Restart": a new manager over the same outbox resumes the entry.
    restarted, seen2 = make_manager(qtbot, officer, storage, Outbox(outbox.root))
    with qtbot.waitSignal(restarted.idle, timeout=TIMEOUT):
        restarted.start()
    assert "as the new document" in seen2.finished["ledger.txt"]
    [version] = uploaded_versions(engine)
    assert version.meta["sha256"] == entry.sha256
    assert version.file_size == 2 * 1024 * 1024
    assert stored_files(storage) == [pending_key(firms.alpha, entry.sha256)]
    assert hashlib.sha256(storage.open_read(version.file_url).read()).hexdigest() == entry.sha256
    assert outbox.entries() == []


class SlowStorage(LocalFolderStorage):
    """Stops in the middle of a put until released, so a test can cancel it there."""

    def __init__(self, root: Path) -> None:
        super().__init__(root, chunk_size=64 * 1024)
        self.midway = threading.Event()
        self.release = threading.Event()

    def put_file(self, key, path, *, progress=None, cancelled=None, **kwargs):  # type: ignore[override]
        def slow(done: int, total: int) -> None:
            if done >= total // 2 and not self.midway.is_set():
                self.midway.set()
                self.release.wait(10)
            if progress:
                progress(done, total)

        return super().put_file(key, path, progress=slow, cancelled=cancelled, **kwargs)


def slow_upload_setup(tmp_path: Path) -> tuple[Path, SlowStorage, Path]:
    """A store that pauses mid-transfer, and a 1 MiB file to send to it."""
    root = tmp_path / "store"
    root.mkdir()
    return root, SlowStorage(root), big_text_file(tmp_path / "in", "ledger.txt", 1024 * 1024)


def test_cancel_during_transfer_stores_and_records_nothing(
    qtbot: QtBot,
    firms: Firms,
    officer: Context,
    doc_type: int,
    outbox,
    engine,
    tmp_path,
) -> None:
    root, storage, path = slow_upload_setup(tmp_path)
    manager, seen = make_manager(qtbot, officer, storage, outbox)
    with qtbot.waitSignal(manager.idle, timeout=TIMEOUT):
        manager.add_files([path], new_doc_target(firms, doc_type))
        assert storage.midway.wait(10)
        manager.cancel("ledger.txt")
        storage.release.set()
    assert seen.failed == {"ledger.txt": CANCELLED}
    assert stored_files(storage) == []
    assert list(root.rglob("*")) == [] or all(p.is_dir() for p in root.rglob("*"))
    assert uploaded_versions(engine) == []
    assert outbox.entries() == [] and list(outbox.files_dir.iterdir()) == []
    assert path.exists()


def test_shutdown_mid_transfer_keeps_the_entry_for_next_start(
    qtbot: QtBot,
    firms: Firms,
    officer: Context,
    doc_type: int,
    outbox,
    engine,
    tmp_path,
) -> None:
    root, storage, path = slow_upload_setup(tmp_path)
    manager, _seen = make_manager(qtbot, officer, storage, outbox)
    with qtbot.waitSignal(manager.idle, timeout=TIMEOUT):
        manager.add_files([path], new_doc_target(firms, doc_type))
        assert storage.midway.wait(10)
        manager.shutdown()
        storage.release.set()
    [entry] = outbox.pending(officer)
    assert stored_files(storage) == []

    restarted, seen = make_manager(qtbot, officer, LocalFolderStorage(root), Outbox(outbox.root))
    with qtbot.waitSignal(restarted.idle, timeout=TIMEOUT):
        restarted.start()
    assert set(seen.finished) == {"ledger.txt"}
    assert [v.meta["sha256"] for v in uploaded_versions(engine)] == [entry.sha256]


def test_crash_after_storing_before_the_row(
    qtbot: QtBot,
    firms: Firms,
    officer: Context,
    doc_type: int,
    store,
    outbox,
    engine,
    tmp_path,
) -> None:
    path = pdf_file(tmp_path / "in", "vat.pdf")
    entry = outbox.enqueue(
        officer, path, new_doc_target(firms, doc_type), mime_type="application/pdf"
    )

    class Crash(Exception):
        pass

    def crash_before_row(*_args: Any, **_kwargs: Any) -> Any:
        raise Crash()

    # Run the steps up to the row, then "die" there.
    import gcmc_desktop.services.outbox as outbox_module

    original = outbox_module.create_document
    outbox_module.create_document = crash_before_row
    try:
        with pytest.raises(Crash):
            outbox.process(entry, officer, store)
    finally:
        outbox_module.create_document = original
    assert outbox.get(entry.id).state == STORED
    assert stored_files(store) == [pending_key(firms.alpha, entry.sha256)]
    assert uploaded_versions(engine) == []

    # Restart: the object is there with the right size, so it is not sent again.
    puts: list[str] = []
    original_put = store.put_file
    store.put_file = lambda key, *a, **k: (puts.append(key), original_put(key, *a, **k))  # type: ignore[method-assign]
    restarted, seen = make_manager(qtbot, officer, store, Outbox(outbox.root), extract_text=False)
    with qtbot.waitSignal(restarted.idle, timeout=TIMEOUT):
        restarted.start()
    assert puts == []
    assert set(seen.finished) == {"vat.pdf"}
    [version] = uploaded_versions(engine)
    assert version.meta["sha256"] == sha(path) == entry.sha256
    assert stored_files(store) == [version.file_url]
    assert outbox.entries() == []


def test_crash_after_the_row_before_done(
    qtbot: QtBot,
    firms: Firms,
    officer: Context,
    doc_type: int,
    store,
    outbox,
    engine,
    tmp_path,
) -> None:
    path = pdf_file(tmp_path / "in", "nis.pdf")
    entry = outbox.enqueue(
        officer, path, new_doc_target(firms, doc_type), mime_type="application/pdf"
    )

    class Crash(BaseException):
        pass

    def crash_on_finish(self: Outbox, entry: Any, outcome: Any) -> Any:
        raise Crash()

    original = Outbox._finish
    Outbox._finish = crash_on_finish  # type: ignore[method-assign]
    try:
        with pytest.raises(Crash):
            outbox.process(entry, officer, store)
    finally:
        Outbox._finish = original  # type: ignore[method-assign]
    assert outbox.get(entry.id).state == STORED
    assert len(uploaded_versions(engine)) == 1

    # The restarted outbox finds the row by the entry's id and only marks it done.
    results = Outbox(outbox.root).resume_all(officer, store)
    assert [r.message for _e, r in results] == ['Uploaded nis.pdf to "nis".']
    [version] = uploaded_versions(engine)
    assert version.meta["sha256"] == entry.sha256
    assert outbox.entries() == []
    assert stored_files(store) == [version.file_url]


def test_done_entries_left_by_a_crash_are_tidied_at_start(
    qtbot: QtBot,
    firms: Firms,
    officer: Context,
    doc_type: int,
    store,
    outbox,
    tmp_path,
) -> None:
    """Issue 9 #27: the process died right after marking an entry done, before removing it
    and its copy. The next start tidies both away; they are never listed again."""
    path = pdf_file(tmp_path / "in", "done.pdf")
    entry = outbox.enqueue(
        officer, path, new_doc_target(firms, doc_type), mime_type="application/pdf"
    )
    other = outbox.enqueue(
        officer, pdf_file(tmp_path / "in", "other.pdf", "Other"), new_doc_target(firms, doc_type),
        mime_type="application/pdf",
    )  # fmt: skip
    entry.state = DONE
    outbox.save(entry)
    # A second one died after its copy was removed, before the entry was.
    other.state = DONE
    outbox.save(other)
    outbox.copy_path(other).unlink()
    assert outbox.copy_path(entry).exists()

    restarted, _seen = make_manager(qtbot, officer, store, Outbox(outbox.root), extract_text=False)
    restarted.start()
    qtbot.waitUntil(lambda: outbox.entries() == [], timeout=10_000)
    assert not outbox.copy_path(entry).exists()
    assert list(outbox.files_dir.iterdir()) == []
    assert restarted.names() == []  # nothing was queued to upload again


def test_unreachable_database_keeps_the_entry(
    firms: Firms,
    officer: Context,
    doc_type: int,
    store,
    outbox,
    engine,
    tmp_path,
) -> None:
    from sqlalchemy.exc import OperationalError

    path = pdf_file(tmp_path / "in", "gra.pdf")
    entry = outbox.enqueue(
        officer, path, new_doc_target(firms, doc_type), mime_type="application/pdf"
    )
    import gcmc_desktop.services.outbox as outbox_module

    def offline(*_a: Any, **_k: Any) -> Any:
        raise OperationalError("INSERT", {}, Exception("server closed the connection"))

    original = outbox_module.create_document
    outbox_module.create_document = offline
    try:
        with pytest.raises(UploadDeferred) as caught:
            outbox.process(entry, officer, store)
    finally:
        outbox_module.create_document = original
    assert "cannot be reached" in caught.value.message
    kept = outbox.get(entry.id)
    assert (kept.state, kept.attempts) == (STORED, 1)
    assert "cannot be reached" in kept.reason
    [(_entry, outcome)] = outbox.resume_all(officer, store)
    assert outcome.document_id is not None
    assert outbox.get(entry.id) is None
    assert outbox.pending(officer) == []
    assert len(uploaded_versions(engine)) == 1


def test_server_gone_mid_upload_keeps_the_entry(
    firms: Firms, officer: Context, doc_type: int, store, outbox, engine, tmp_path
) -> None:
    """Issue 9 #23: the server drops the connection (the engine's errors arrive translated, as
    DatabaseUnavailable): the upload waits in the outbox; it is not refused."""
    from sqlalchemy import text

    path = pdf_file(tmp_path / "in", "dropped.pdf")
    entry = outbox.enqueue(
        officer, path, new_doc_target(firms, doc_type), mime_type="application/pdf"
    )
    pid = officer.session.scalar(text("SELECT pg_backend_pid()"))
    with engine.connect() as admin:
        admin.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid})
    with pytest.raises(UploadDeferred) as caught:
        outbox.process(entry, officer, store)
    assert "cannot be reached" in caught.value.message
    assert outbox.get(entry.id).state == QUEUED
    [(_entry, outcome)] = outbox.resume_all(officer, store)
    assert outcome.document_id is not None
    assert outbox.entries() == []
    assert len(uploaded_versions(engine)) == 1


def test_entries_of_other_users_wait_for_them(
    firms: Firms,
    officer: Context,
    doc_type: int,
    store,
    outbox,
    tmp_path,
) -> None:
    path = pdf_file(tmp_path / "in", "x.pdf")
    entry = outbox.enqueue(
        officer, path, new_doc_target(firms, doc_type), mime_type="application/pdf"
    )
    admin = sign_in(firms, "FirmAdmin")
    try:
        assert outbox.pending(admin) == []
        assert outbox.resume_all(admin, store) == []
        assert outbox.get(entry.id).state == QUEUED
    finally:
        admin.session.close()
    assert [e.id for e in outbox.pending(officer)] == [entry.id]
    outbox.resume_all(officer, store)
    assert outbox.get(entry.id) is None
    assert DONE  # the state name exists for entries that crash between done and removal


def test_uploads_panel_shows_each_file_and_cancels(
    qtbot: QtBot, officer: Context, store: LocalFolderStorage, outbox: Outbox, firms: Firms,
    doc_type: int, tmp_path: Path,
) -> None:  # fmt: skip
    from gcmc_desktop.views.uploads_panel import UploadsPanel

    manager = UploadManager(officer, store, outbox=outbox, concurrency=1, extract_text=False)
    panel = UploadsPanel(manager)
    qtbot.addWidget(panel)
    first = pdf_file(tmp_path / "in", "first.pdf", "First certificate")
    second = pdf_file(tmp_path / "in", "second.pdf", "Second certificate")
    names = manager.add_files([first, second], new_doc_target(firms, doc_type))
    assert [panel.tree.topLevelItem(i).text(0) for i in range(2)] == names  # rows at once
    manager.cancel(names[1])  # still waiting its turn: cancelled before it starts
    qtbot.waitUntil(lambda: not manager.busy, timeout=20_000)
    done, cancelled = (panel.row(n) for n in names)
    assert panel.progress_of(names[0]) == 1000 and "Uploaded" in done.text(2)
    assert cancelled.text(2) == CANCELLED
    assert len(versions_of_title(officer, "second")) == 0
    panel.clear_finished()
    assert panel.tree.topLevelItemCount() == 0


def versions_of_title(ctx: Context, title: str) -> list[Document]:
    return list(ctx.session.scalars(select(Document).where(Document.title == title)))
