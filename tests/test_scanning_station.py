"""The scanning station window on real widgets: a scan renamed into a polled folder is filed
(cover sheet dropped, the client's document recorded, the original moved to processed/), the
pages before the cover sheet wait in the review queue and are filed from the Assign dialog, a
broken file goes to failed/ with its reason."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from gcmc_desktop.models import Document
from gcmc_desktop.services import auth, document_types
from gcmc_desktop.services.context import Context
from gcmc_desktop.services.intake.codes import cover
from gcmc_desktop.services.outbox import Outbox
from gcmc_desktop.services.storage import LocalFolderStorage
from gcmc_desktop.views.scanning_station import ScanningStation

from .security_fixtures import PASSWORD, Firms, build_firms
from .test_intake import degrade, scan_pdf, sheet_pdf, text_page_pdf

pytestmark = pytest.mark.gui
WAIT = 120_000


@pytest.fixture
def firms(engine: Engine, database_url: Any) -> Firms:
    return build_firms(engine, database_url, ("DocumentOfficer",))


@pytest.fixture
def officer(firms: Firms) -> Iterator[Context]:
    ctx = auth.open_context(auth.sign_in(firms.profile, firms.emails["DocumentOfficer"], PASSWORD))
    yield ctx
    ctx.session.close()


def test_station_files_a_scan_and_the_review_queue(
    qtbot, firms: Firms, officer: Context, engine: Engine, tmp_path: Path
) -> None:
    doc_type = document_types.create_document_type(
        officer, {"name": "NIS card", "category": "identification", "authority": "NIS"}
    )["id"]
    store = tmp_path / "store"
    store.mkdir()
    inbox = tmp_path / "scans"
    inbox.mkdir()
    station = ScanningStation(
        officer,
        LocalFolderStorage(store),
        outbox=Outbox(tmp_path / "outbox"),
        folder=inbox,
        settle=0.2,
        poll_ms=200,
        ocr=False,  # OCR is tested in test_intake.py; it takes seconds a page
    )
    qtbot.addWidget(station)
    station.resize(1280, 800)
    station.show()

    # The scanner writes under a temporary name and renames the file when it is complete.
    sheet = sheet_pdf(tmp_path, cover(firms.alpha, firms.alpha_client, doc_type))
    scan = scan_pdf(
        [
            degrade(text_page_pdf("Loose page"), 150, 2),
            degrade(sheet, 150, -3),
            degrade(text_page_pdf("NIS card front"), 150, 1),
        ],
        tmp_path / "made.pdf",
    )
    partial = inbox / ".scan0001.pdf.tmp"
    partial.write_bytes(scan.read_bytes())
    partial.rename(inbox / "scan0001.pdf")
    (inbox / "broken.pdf").write_bytes(b"%PDF-1.7 half a file")
    # A scanner that saves a folder of page images per batch: one scan, split at its sheet.
    batch = inbox / "batch 0002"
    batch.mkdir()
    for number, image in enumerate(
        [degrade(sheet, 150, 2), degrade(text_page_pdf("NIS card back"), 150, -1)], start=1
    ):
        image.save(batch / f"page_{number}.jpg", "JPEG", quality=60, dpi=(150, 150))

    qtbot.waitUntil(lambda: station.filed_table.rowCount() >= 4 and not station.busy, timeout=WAIT)
    results = {station.filed_table.item(r, 3).text() for r in range(station.filed_table.rowCount())}
    assert "Alpha Client — NIS card" in results
    assert "Review queue" in results and "Failed" in results
    assert not (inbox / "scan0001.pdf").exists() and not batch.exists()
    assert list((inbox / "processed").rglob("batch 0002/page_2.jpg"))
    assert list((inbox / "processed").rglob("scan0001.pdf"))
    assert (inbox / "failed" / "broken.pdf.reason.txt").exists()
    assert station.failed_list.count() == 1
    with Session(engine) as s:
        filed = s.scalars(select(Document).where(Document.document_type_id == doc_type)).all()
    assert [d.client_id for d in filed] == [firms.alpha_client] * 2
    assert station.review_list.count() == 1
    assert station.tabs.tabText(1) == "Review queue (1)"
    # The OCR engine in view: off here (the constructor said so), Tesseract offered only where
    # it is installed.
    assert station.ocr_box.currentData() == "off"
    assert "filed without searchable text" in station.ocr_label.text()
    station.ocr_box.setCurrentIndex(station.ocr_box.findData("rapidocr"))
    assert station.ocr and "RapidOCR (bundled)" in station.ocr_label.text()
    station.ocr_box.setCurrentIndex(station.ocr_box.findData("off"))
    assert not station.ocr
    station.tabs.setCurrentIndex(0)
    station.grab().save("/tmp/scanning_station.png")

    # Filing the loose page from the review queue, by the Assign dialog.
    station.review_list.setCurrentRow(0)
    dialog = station.assign_selected()
    assert dialog is not None
    qtbot.waitUntil(lambda: not dialog._loading_choices, timeout=WAIT)
    dialog.fields["client_id"].widget.set_value(("Alpha Client", firms.alpha_client))
    types = dialog.fields["document_type_id"].widget
    types.setCurrentIndex(types.findData(doc_type))
    dialog.fields["title"].widget.setText("Loose NIS page")
    dialog.save()
    qtbot.waitUntil(lambda: not dialog.saving, timeout=WAIT)
    qtbot.waitUntil(lambda: station.review_list.count() == 0, timeout=WAIT)
    with Session(engine) as s:
        titles = set(s.scalars(select(Document.title).where(Document.document_type_id == doc_type)))
    assert "Loose NIS page" in titles

    # A queued part whose text names a client (services/intake/suggest.py, tested with the
    # database in test_intake.py): the queue says so and the dialog starts with that client.
    part = tmp_path / "named.pdf"
    part.write_bytes(text_page_pdf("TIN 123456789"))
    found = {"id": firms.alpha_client, "name": "Alpha Client", "why": "TIN 123456789 in the text"}
    reason = "No cover sheet before these pages."
    station.review.add(part, source="named.pdf", pages=[0], reason=reason, suggestions=[found])
    station._show_review()
    assert station.review_list.item(0).text() == (
        "named.pdf, page 1 — No cover sheet before these pages. "
        "Suggested: Alpha Client (TIN 123456789 in the text)."
    )
    station.review_list.setCurrentRow(0)
    dialog = station.assign_selected()
    assert dialog is not None
    qtbot.waitUntil(lambda: not dialog._loading_choices, timeout=WAIT)
    assert dialog.fields["client_id"].widget.value() == firms.alpha_client
    assert dialog.fields["client_id"].widget.currentText() == "Alpha Client"
    dialog.grab().save("/tmp/assign_suggested.png")
    station.tabs.setCurrentIndex(1)
    station.grab().save("/tmp/scanning_station_review.png")


def test_cover_sheet_dialog_writes_a_batch_the_station_reads(
    qtbot, firms: Firms, officer: Context, tmp_path: Path
) -> None:
    from gcmc_desktop.services.intake.codes import SEPARATOR_CODE
    from gcmc_desktop.services.intake.pages import page_sheets
    from gcmc_desktop.views.cover_sheets import CoverSheetDialog

    doc_type = document_types.create_document_type(
        officer, {"name": "Business registration", "category": "incorporation"}
    )["id"]
    dialog = CoverSheetDialog(officer, client=("Alpha Client", firms.alpha_client))
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.type_box.findData(doc_type) >= 0, timeout=WAIT)
    assert not dialog.save_button.isEnabled()  # nothing to print yet
    dialog.add_sheet()  # no type chosen: a clear message, nothing added
    assert "document type" in messages_text(dialog) and dialog.list.count() == 0
    dialog.type_box.setCurrentIndex(dialog.type_box.findData(doc_type))
    dialog.add_sheet()
    dialog.add_separator()
    assert dialog.list.count() == 2 and dialog.save_button.isEnabled()
    saved = dialog.save_pdf(tmp_path / "sheets.pdf")
    assert saved is not None
    assert page_sheets(saved) == [
        cover(firms.alpha, firms.alpha_client, doc_type),
        SEPARATOR_CODE,
    ]
    dialog.grab().save("/tmp/cover_sheet_dialog.png")


def messages_text(dialog) -> str:
    from gcmc_desktop.views.kit.messages import shown_text

    return shown_text(dialog.error)
