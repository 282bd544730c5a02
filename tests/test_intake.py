"""Scanning intake on real parts: cover sheets printed as PDFs, "scanned" by rendering them to
degraded images (150–300 dpi, ±5° rotation, noise, grey background), picked up from a folder
written slowly or renamed into place, split, and filed through the real outbox into the real
database as a signed-in DocumentOfficer."""

from __future__ import annotations

import io
import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import img2pdf
import pypdfium2
import pytest
from PIL import Image, ImageChops, ImageFilter
from pypdf import PdfReader
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from gcmc_desktop.models import Document, DocumentVersion
from gcmc_desktop.services import auth, document_types
from gcmc_desktop.services.context import Context
from gcmc_desktop.services.intake import ocr_worker, pages
from gcmc_desktop.services.intake.codes import SEPARATOR_CODE, cover, decode
from gcmc_desktop.services.intake.cover_sheets import Sheet, write_sheets
from gcmc_desktop.services.intake.ocr_worker import OcrWorker
from gcmc_desktop.services.intake.pickup import ScanFolder, sha256_of
from gcmc_desktop.services.intake.review import ReviewQueue
from gcmc_desktop.services.intake.station import assign, process_scan
from gcmc_desktop.services.outbox import Outbox, UploadTarget
from gcmc_desktop.services.storage import LocalFolderStorage

from .security_fixtures import PASSWORD, Firms, build_firms

# ----------------------------------------------------------------------------- making scans


def text_page_pdf(text: str) -> bytes:
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4)
    canvas.setFont("Helvetica", 28)
    canvas.drawString(80, 700, text)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def degrade(pdf: bytes | Path, dpi: int, angle: float) -> Image.Image:
    """A page as a cheap scanner returns it: rendered, rotated, greyed, noisy, blurred."""
    document = pypdfium2.PdfDocument(pdf if isinstance(pdf, bytes) else str(pdf))
    image = document[0].render(scale=dpi / 72).to_pil().convert("L")
    document.close()
    image = image.rotate(angle, expand=True, fillcolor=255).point(lambda v: int(v * 0.7 + 45))
    noise = Image.effect_noise(image.size, 40)
    return ImageChops.add(image, noise, scale=1.0, offset=-128).filter(
        ImageFilter.GaussianBlur(0.8)
    )


def scan_pdf(images: list[Image.Image], target: Path) -> Path:
    """Page images as the scanner's multi-page PDF (JPEG pages, image only, no text layer)."""
    blobs = []
    for image in images:
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=60, dpi=(150, 150))
        blobs.append(buffer.getvalue())
    target.write_bytes(img2pdf.convert(blobs))
    return target


def sheet_pdf(tmp_path: Path, code, name: str = "sheet.pdf") -> Path:
    return write_sheets([Sheet(code, "Alpha Tax", "Alpha Client", "Certificate")], tmp_path / name)


# ----------------------------------------------------------------------------- codes


def test_codes_round_trip_and_strict_decoding() -> None:
    sheet = cover(3, 42, 7)
    assert decode(sheet.encode()) == sheet
    assert decode(cover(3, 42, 7, 99).encode()).document_id == 99
    assert decode(SEPARATOR_CODE.encode()) == SEPARATOR_CODE
    bad = [None, "", "hello", "GCMC1|C|1|2", "GCMC1|C|0|2|3|0", "GCMC1|C|-1|2|3|0"]
    bad += ["GCMC1|C|1|2|3|x", "GCMC1|C|1|2|99999999999|0", "GCMC2|C|1|2|3|0"]
    bad += ["GCMC1|C|1|2|3|0|extra", "GCMC1|C|1'; DROP TABLE x|2|3|0", "GCMC1|S|1"]
    for text in bad:
        assert decode(text) is None, text


@pytest.mark.parametrize(("dpi", "angle"), [(150, -5), (200, 4), (300, 5)])
def test_sheets_are_found_on_degraded_scans(tmp_path: Path, dpi: int, angle: float) -> None:
    code = cover(1, 42, 7)
    sheet = sheet_pdf(tmp_path, code)
    scan = scan_pdf(
        [
            degrade(text_page_pdf("Before"), dpi, angle),
            degrade(sheet, dpi, angle),
            degrade(text_page_pdf("After"), dpi, -angle),
        ],
        tmp_path / "scan.pdf",
    )
    assert pages.page_sheets(scan) == [None, code, None]


def test_split_drops_sheets_and_empty_parts() -> None:
    a, b = cover(1, 2, 3), cover(1, 4, 3)
    parts = pages.split_points([None, a, None, None, SEPARATOR_CODE, b, None, a])
    assert [(p.sheet, p.pages) for p in parts] == [
        (None, [0]),
        (a, [2, 3]),
        (b, [6]),
    ]


def test_broken_scans_get_a_clear_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.7 this is not really a pdf")
    with pytest.raises(pages.BrokenScan, match=r"broken\.pdf"):
        pages.page_sheets(broken)
    image = tmp_path / "broken.jpg"
    image.write_bytes(b"\xff\xd8\xff not a jpeg")
    with pytest.raises(pages.BrokenScan):
        pages.images_to_pdf([image], tmp_path / "out.pdf")


def test_the_ocr_engine_is_chosen_by_what_is_installed(monkeypatch) -> None:
    from gcmc_desktop.services.intake import ocr

    monkeypatch.setattr(ocr, "rapidocr_installed", lambda: True)
    monkeypatch.setattr(ocr, "tesseract_path", lambda: None)
    assert [ocr.choose(p) for p in ocr.ENGINES] == ["rapidocr", "rapidocr", "rapidocr", None]
    assert ocr.describe("rapidocr") == "RapidOCR (bundled)"
    monkeypatch.setattr(ocr, "tesseract_path", lambda: "/usr/bin/tesseract")
    assert [ocr.choose(p) for p in ocr.ENGINES] == ["tesseract", "rapidocr", "tesseract", None]
    monkeypatch.setattr(ocr, "rapidocr_installed", lambda: False)
    assert ocr.choose("rapidocr") == "tesseract"
    monkeypatch.setattr(ocr, "tesseract_path", lambda: None)
    assert ocr.choose("auto") is None and not ocr.available()
    assert ocr.ocr_pdf(Path("never-read.pdf")) == ""  # no engine: no text, no error
    # Tesseract failing on a page (here: gone since it was chosen) falls back to RapidOCR.
    monkeypatch.setattr(ocr, "_rapidocr", lambda image: "read by RapidOCR")
    assert ocr.ocr_image(Image.new("L", (20, 20), 255), "tesseract") == "read by RapidOCR"


def wait_for(condition, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


@pytest.mark.skipif(not hasattr(signal, "SIGSTOP"), reason="SIGSTOP stands in for a hang")
def test_ocr_runs_in_a_child_that_is_replaced_when_it_dies_or_hangs(tmp_path: Path) -> None:
    """OCR's own process: it reads real scans; killed, it is replaced at the next part; hung
    past the timeout, it is ended and the part gets no text (filing goes on)."""
    scan = scan_pdf([degrade(text_page_pdf("Kaieteur Falls 2026"), 200, 1)], tmp_path / "s.pdf")
    worker = OcrWorker()
    try:
        assert "Kaieteur" in worker.read_pdf(scan, "rapidocr")
        first = worker.pid
        assert first is not None and first != os.getpid()

        os.kill(first, signal.SIGKILL)  # the child crashed (out of memory, a native fault)
        assert wait_for(lambda: worker.pid is None)
        assert "Kaieteur" in worker.read_pdf(scan, "rapidocr")
        assert worker.pid not in (None, first)

        os.kill(worker.pid, signal.SIGSTOP)  # the child hangs (a page it never finishes)
        worker.timeout_s = 3.0
        started = time.monotonic()
        assert worker.read_pdf(scan, "rapidocr") == ""
        assert time.monotonic() - started < 10 and worker.pid is None
        broken = tmp_path / "broken.pdf"
        broken.write_bytes(b"%PDF-1.7 not really")
        assert worker.read_pdf(broken, "rapidocr") == ""  # no text, no error
    finally:
        worker.stop()
    assert worker.pid is None


def test_stopping_never_waits_for_a_long_part(tmp_path: Path) -> None:
    """Quitting while a part is read: stop() ends the child after `wait_s`, and the reading
    thread gets "" (the part is filed without text) instead of hanging the exit."""
    scan = scan_pdf([degrade(text_page_pdf("Kaieteur"), 200, 0)], tmp_path / "s.pdf")
    worker = OcrWorker()
    worker.warm("off")
    os.kill(worker.pid, signal.SIGSTOP)  # the part never finishes
    result: list[str] = []
    reader = threading.Thread(target=lambda: result.append(worker.read_pdf(scan, "rapidocr")))
    reader.start()
    time.sleep(0.2)
    started = time.monotonic()
    worker.stop(wait_s=0.5)
    reader.join(10)
    assert result == [""] and time.monotonic() - started < 5
    assert wait_for(lambda: worker.pid is None)


def test_the_ocr_child_is_recycled_after_its_quota_of_parts() -> None:
    worker = OcrWorker(tasks_per_child=1)
    try:
        worker.warm("off")  # one task: the child ends itself afterwards (memory given back)
        assert worker.pid is None
        worker.warm("off")
        assert worker.pid is None
    finally:
        worker.stop()


# ----------------------------------------------------------------------------- pickup


def wait_ready(folder: ScanFolder, timeout: float = 10.0) -> list[Path]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = folder.ready()
        if found:
            return found
        time.sleep(0.05)
    return []


def test_a_slow_writer_is_never_taken_half_written(tmp_path: Path) -> None:
    folder = ScanFolder(tmp_path, settle=0.3)
    target = tmp_path / "slow.pdf"
    done = threading.Event()
    taken_early: list[Path] = []

    def writer() -> None:
        with target.open("wb") as out:
            for _ in range(12):
                out.write(b"x" * 4096)
                out.flush()
                time.sleep(0.1)  # longer pauses than nothing, shorter than `settle`
        done.set()

    thread = threading.Thread(target=writer)
    thread.start()
    while not done.is_set():
        taken_early += folder.ready()
        time.sleep(0.02)
    thread.join()
    assert taken_early == []
    assert wait_ready(folder) == [target]
    assert target.stat().st_size == 12 * 4096


def test_a_file_renamed_into_place_and_temporary_names(tmp_path: Path) -> None:
    folder = ScanFolder(tmp_path, settle=0.2)
    temporary = tmp_path / ".scan-001.pdf.tmp"
    temporary.write_bytes(b"%PDF whole")
    (tmp_path / "~$lock.pdf").write_bytes(b"x")
    (tmp_path / "notes.txt").write_bytes(b"not a scan")
    assert folder.ready() == [] and wait_ready(folder, 0.5) == []
    final = tmp_path / "scan-001.pdf"
    temporary.rename(final)
    assert wait_ready(folder) == [final]


def test_the_journal_never_takes_the_same_scan_twice(tmp_path: Path) -> None:
    folder = ScanFolder(tmp_path, settle=0)
    scan = tmp_path / "a.pdf"
    scan.write_bytes(b"%PDF same content")
    digest = sha256_of(scan)
    moved = folder.processed(scan, digest)
    assert moved.parent.parent.name == "processed" and moved.exists()
    again = ScanFolder(tmp_path, settle=0)  # a restart reads the journal back
    assert digest in again.journal
    failed = again.failed(moved, "The scan cannot be read.")
    assert failed.parent.name == "failed"
    assert "cannot be read" in failed.with_name(failed.name + ".reason.txt").read_text()


def test_a_folder_of_page_images_written_slowly_is_one_scan(tmp_path: Path) -> None:
    """A scanner that saves one JPEG a page into a folder per batch, slowly (each page in
    chunks, one under a temporary name first): the folder is taken once, whole, and split at
    its sheets like a multi-page PDF, pages in number order (scan_9 before scan_10)."""
    inbox = tmp_path / "scans"
    inbox.mkdir()
    folder = ScanFolder(inbox, settle=0.4)
    code = cover(1, 42, 7)
    texts = [
        degrade(text_page_pdf("Loose"), 150, 1),
        degrade(sheet_pdf(tmp_path, code), 150, -3),
        degrade(text_page_pdf("Page A"), 150, 2),
        degrade(sheet_pdf(tmp_path, SEPARATOR_CODE, "sep.pdf"), 150, 4),
        degrade(text_page_pdf("Page S"), 150, 0),
    ]
    blobs = []
    for image in texts:
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=60, dpi=(150, 150))
        blobs.append(buffer.getvalue())
    batch = inbox / "batch-0001"
    done = threading.Event()

    def writer() -> None:
        batch.mkdir()
        for number, blob in enumerate(blobs, start=8):  # scan_8 … scan_12
            final = batch / f"scan_{number}.jpg"
            target = final.with_suffix(".jpg.part") if number == 10 else final
            with target.open("wb") as out:
                for start in range(0, len(blob), len(blob) // 3 + 1):
                    out.write(blob[start : start + len(blob) // 3 + 1])
                    out.flush()
                    time.sleep(0.1)
            if target != final:
                time.sleep(0.2)
                target.rename(final)
            time.sleep(0.15)
        done.set()

    thread = threading.Thread(target=writer)
    thread.start()
    taken_early: list[Path] = []
    while not done.is_set():
        taken_early += folder.ready()
        time.sleep(0.02)
    thread.join()
    assert taken_early == []
    assert wait_ready(folder) == [batch]
    assert [p.name for p in pages.batch_pages(batch)] == [f"scan_{n}.jpg" for n in range(8, 13)]

    pdf = pages.folder_to_pdf(batch, tmp_path / "batch.pdf")
    assert pages.page_sheets(pdf) == [None, code, None, SEPARATOR_CODE, None]
    parts = pages.split_points(pages.page_sheets(pdf))
    assert [(p.sheet, p.pages) for p in parts] == [
        (None, [0]),
        (code, [2]),
        (SEPARATOR_CODE, [4]),
    ]
    digest = sha256_of(batch)
    assert digest == sha256_of(batch)  # names and contents, in order: stable
    moved = folder.processed(batch, digest)
    assert moved.is_dir() and len(list(moved.iterdir())) == 5 and not batch.exists()
    assert digest in ScanFolder(inbox).journal
    # The station's own folders are never taken as batches.
    assert folder.ready() == [] and wait_ready(folder, 0.6) == []
    empty = inbox / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("no pages")
    with pytest.raises(pages.BrokenScan, match="no scanned pages"):
        pages.folder_to_pdf(empty, tmp_path / "none.pdf")
    assert wait_ready(folder, 0.6) == []


def test_loose_numbered_page_images_are_gathered_into_one_batch(tmp_path: Path) -> None:
    """A scanner writing a batch's page images straight into the scan folder, a page every
    0.3 s: none is taken alone; once they are quiet they become ONE folder batch, pages in
    order. An image without a number, and a numbered one alone, are scans by themselves."""
    folder = ScanFolder(tmp_path, settle=0.2, batch_quiet=1.0)
    taken: list[str] = []

    def look() -> list[Path]:
        found = folder.ready()
        taken.extend(p.name for p in found)
        return found

    Image.new("L", (40, 40), 200).save(tmp_path / "receipt.jpg")
    Image.new("L", (40, 40), 90).save(tmp_path / "other_7.png")
    for number in (1, 2, 10):  # 10 after 2: numbers compare as numbers
        Image.new("L", (40, 40), 10 * number).save(tmp_path / f"scan_{number:02d}.jpg")
        for _ in range(3):
            look()
            time.sleep(0.1)
    assert wait_for(lambda: any(p.is_dir() for p in look()), timeout=10)
    assert not any(name.startswith("scan_") for name in taken)  # no page was taken alone
    assert "receipt.jpg" in taken and "other_7.png" in taken
    batch = tmp_path / "scan 01-10"
    assert batch.is_dir() and batch.name in taken
    assert [p.name for p in pages.batch_pages(batch)] == [
        "scan_01.jpg",
        "scan_02.jpg",
        "scan_10.jpg",
    ]
    assert not list(tmp_path.glob(".gathering-*"))

    # A station stopped half-way through a gathering: the next start puts the pages back.
    half = tmp_path / ".gathering-page 1-2"
    half.mkdir()
    Image.new("L", (40, 40), 0).save(half / "page_1.jpg")
    Image.new("L", (40, 40), 0).save(tmp_path / "page_2.jpg")
    ScanFolder(tmp_path, settle=0.2, batch_quiet=1.0)
    assert not half.exists() and (tmp_path / "page_1.jpg").is_file()


# ----------------------------------------------------------------------------- filing


@pytest.fixture
def firms(engine: Engine, database_url: Any) -> Firms:
    return build_firms(engine, database_url, ("DocumentOfficer",))


@pytest.fixture
def officer(firms: Firms) -> Iterator[Context]:
    ctx = auth.open_context(auth.sign_in(firms.profile, firms.emails["DocumentOfficer"], PASSWORD))
    yield ctx
    ctx.session.close()


@pytest.fixture
def parts(tmp_path: Path):
    store_root = tmp_path / "store"
    store_root.mkdir()
    return (
        LocalFolderStorage(store_root),
        Outbox(tmp_path / "outbox"),
        ReviewQueue(tmp_path / "review"),
    )


def test_a_batch_is_split_and_filed_to_the_right_clients(
    firms: Firms, officer: Context, parts, tmp_path: Path, engine: Engine
) -> None:
    storage, outbox, review = parts
    doc_type = document_types.create_document_type(
        officer, {"name": "Certificate", "category": "identification", "authority": "GRA"}
    )["id"]
    alpha = cover(firms.alpha, firms.alpha_client, doc_type)
    beta = cover(firms.beta, firms.beta_client, doc_type)  # another firm's sheet
    scan = scan_pdf(
        [
            degrade(text_page_pdf("Loose page"), 200, 1),
            degrade(sheet_pdf(tmp_path, alpha, "a.pdf"), 200, -4),
            degrade(text_page_pdf("Certificate page 1"), 200, 2),
            degrade(text_page_pdf("Certificate page 2"), 200, -2),
            degrade(sheet_pdf(tmp_path, beta, "b.pdf"), 150, 3),
            degrade(text_page_pdf("Beta page"), 150, 0),
        ],
        tmp_path / "batch.pdf",
    )
    result = process_scan(officer, scan, outbox=outbox, storage=storage, review=review)
    assert result.pages == 6
    assert [(f.pages, f.client) for f in result.filed] == [([3, 4], "Alpha Client")]
    reasons = sorted(i.reason for i in result.review)
    assert reasons == ["No cover sheet before these pages.", "The cover sheet is for another firm."]

    with Session(engine) as s:
        document = s.scalars(select(Document).where(Document.document_type_id == doc_type)).one()
        assert document.client_id == firms.alpha_client and document.tenant_id == firms.alpha
        version = s.get(DocumentVersion, document.latest_version_id)
    stored = storage.open_read(version.file_url).read()
    assert len(PdfReader(io.BytesIO(stored)).pages) == 2  # the cover sheet is dropped
    # Image-only pages: OCR made them searchable (the one OCR run of the suite: the engine
    # `auto` picks — Tesseract where installed, else the bundled RapidOCR).
    assert "Certificate page" in (version.ocr_text or "")
    assert ocr_worker.shared().pid not in (None, os.getpid())  # read in OCR's own process

    # The same scan dropped again: the outbox recognises the file, nothing recorded twice.
    again = process_scan(officer, scan, outbox=outbox, storage=storage, review=review)
    assert "already" in again.filed[0].message.lower()
    with Session(engine) as s:
        assert s.scalar(select(DocumentVersion.id).where(DocumentVersion.id > version.id)) is None

    # A person assigns the loose page from the review queue.
    loose = next(i for i in review.items() if i.reason.startswith("No cover"))
    assert loose.pages == [1]
    message = assign(
        officer,
        review,
        loose.id,
        UploadTarget(client_id=firms.alpha_client, document_type_id=doc_type, title="Loose"),
        outbox=outbox,
        storage=storage,
        ocr=False,  # once is enough for the test: OCR takes seconds a page
    )
    assert message and review.get(loose.id) is None
    with Session(engine) as s:
        titles = set(s.scalars(select(Document.title).where(Document.tenant_id == firms.alpha)))
    assert "Loose" in titles


def test_review_items_suggest_the_client_their_text_names(
    firms: Firms, officer: Context, parts, tmp_path: Path, engine: Engine
) -> None:
    """A part without a cover sheet keeps its text and the clients it names — by TIN (with
    dashes), NIS number or name in capitals — never another firm's, and filing it from the
    queue saves that text without reading the scan again."""
    from sqlalchemy import text as sql

    from gcmc_desktop.services.intake.suggest import client_suggestions

    storage, outbox, review = parts
    with engine.begin() as conn:
        conn.execute(
            sql("UPDATE clients SET tin = :tin WHERE id IN (:a, :b)"),
            {"tin": "123456789", "a": firms.alpha_client, "b": firms.beta_client},
        )
        timber = conn.scalar(
            sql(
                'INSERT INTO clients ("tenantId", name, type, "nisNumber", "updatedAt") '
                "VALUES (:t, 'Berbice Timber', 'company', 'AB12345678', now()) RETURNING id"
            ),
            {"t": firms.alpha},
        )
    line = "TIN: 123-456-789 issued to BERBICE TIMBER"
    found = client_suggestions(officer, line)
    assert [s["id"] for s in found] == [firms.alpha_client, timber]  # Beta's TIN twin: never
    assert found[0]["why"] == "TIN 123456789 in the text"
    assert client_suggestions(officer, "NIS AB 12345678")[0]["id"] == timber
    for nothing in ("", "   ", "\x00", "' OR 1=1 --", "O'Brien & Co. 100%_x", "9" * 5000):
        assert client_suggestions(officer, nothing) == []

    doc_type = document_types.create_document_type(
        officer, {"name": "Certificate", "category": "identification", "authority": "GRA"}
    )["id"]
    scan = tmp_path / "loose.pdf"
    scan.write_bytes(text_page_pdf(line))  # a text layer, no cover sheet
    result = process_scan(officer, scan, outbox=outbox, storage=storage, review=review, ocr=False)
    [item] = result.review
    assert item.suggested == "Alpha Client (TIN 123456789 in the text)"
    assert review.get(item.id).text == line  # kept with the item
    assign(
        officer,
        review,
        item.id,
        UploadTarget(client_id=timber, document_type_id=doc_type, title="Timber licence"),
        outbox=outbox,
        storage=storage,
        ocr=False,
    )
    with Session(engine) as s:
        document = s.scalars(select(Document).where(Document.title == "Timber licence")).one()
        version = s.get(DocumentVersion, document.latest_version_id)
    assert document.client_id == timber and "BERBICE TIMBER" in (version.ocr_text or "")
