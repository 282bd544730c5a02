"""The documents views on real widgets and a real database: dropping files from the file manager
onto a client's documents tab (new documents, or a new version on the selected row), the version
history, previews of a PDF and an image, open/save a copy, and the firm's list with its expiry
colours and filters."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import shiboken6
from PySide6.QtCore import QDate, QEvent, QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QColor, QDragEnterEvent, QDropEvent, QImage
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from gcmc_desktop.models import DocumentVersion
from gcmc_desktop.services import auth, document_types, documents
from gcmc_desktop.services.context import Context
from gcmc_desktop.services.documents import EXPIRING_WITHIN, VersionInput
from gcmc_desktop.services.outbox import Outbox, UploadTarget
from gcmc_desktop.services.storage import LocalFolderStorage, object_key, pending_key
from gcmc_desktop.views.date_field import InvalidDate, OptionalDateField, parse_date
from gcmc_desktop.views.documents import (
    EXPIRY_COLOURS,
    AddDocumentsDialog,
    ClientDocumentsTab,
    DocumentsPage,
)
from gcmc_desktop.views.uploads import UploadManager
from gcmc_desktop.views.uploads_panel import ERROR_COLOUR, NAME, PROGRESS, STATUS, UploadsPanel

from .security_fixtures import PASSWORD, Firms, build_firms
from .test_file_checks import text_pdf

TIMEOUT = 30_000
_BACKGROUND = Qt.ItemDataRole.BackgroundRole


@pytest.fixture
def firms(engine: Engine, database_url: Any) -> Firms:
    return build_firms(engine, database_url, ("DocumentOfficer",))


@pytest.fixture
def officer(firms: Firms) -> Iterator[Context]:
    ctx = auth.open_context(auth.sign_in(firms.profile, firms.emails["DocumentOfficer"], PASSWORD))
    yield ctx
    ctx.session.close()


@pytest.fixture
def doc_type(officer: Context) -> int:
    return document_types.create_document_type(
        officer, {"name": "Certificate", "category": "identification", "authority": "GRA"}
    )["id"]


@pytest.fixture
def store(tmp_path: Path) -> LocalFolderStorage:
    (tmp_path / "store").mkdir()
    return LocalFolderStorage(tmp_path / "store")


@pytest.fixture
def uploads(qtbot: QtBot, officer: Context, store, tmp_path: Path) -> UploadManager:
    return UploadManager(officer, store, outbox=Outbox(tmp_path / "outbox"), extract_text=False)


@pytest.fixture
def tab(qtbot: QtBot, officer: Context, firms: Firms, store, uploads) -> ClientDocumentsTab:
    widget = ClientDocumentsTab(officer, firms.alpha_client, store, uploads)
    qtbot.addWidget(widget)
    widget.resize(1000, 600)
    widget.show()
    qtbot.waitUntil(lambda: not widget.model.loading, timeout=TIMEOUT)
    return widget


def png_file(path: Path) -> Path:
    image = QImage(40, 30, QImage.Format.Format_RGB32)
    image.fill(QColor("teal"))
    assert image.save(str(path), "PNG")
    return path


def files(tmp_path: Path) -> tuple[Path, Path]:
    folder = tmp_path / "scans"
    folder.mkdir(exist_ok=True)
    pdf = folder / "tin-certificate.pdf"
    pdf.write_bytes(text_pdf("TIN Certificate 123456789"))
    return pdf, png_file(folder / "passport.png")


def drop(widget: QWidget, paths: list[Path], at: QPoint | None = None) -> None:
    """What the file manager does: drag enter, then drop, with file URLs."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    point = QPointF(at or QPoint(5, 5))
    actions = Qt.DropAction.CopyAction
    enter = QDragEnterEvent(
        point.toPoint(), actions, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    QApplication.sendEvent(widget, enter)
    assert enter.isAccepted()
    event = QDropEvent(
        point, actions, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    QApplication.sendEvent(widget, event)
    assert event.isAccepted()


def drop_checked(
    qtbot: QtBot, tab: ClientDocumentsTab, paths: list[Path], at: QPoint | None = None
) -> None:
    """Drop, then wait for the file checks that run before the dialog opens."""
    with qtbot.waitSignal(tab.checked, timeout=TIMEOUT):
        drop(tab, paths, at)


def upload_through_dialog(
    qtbot: QtBot, tab: ClientDocumentsTab, dialog: AddDocumentsDialog, **dates: Any
) -> None:
    if dialog.document_id is None:
        qtbot.waitUntil(lambda: dialog.type_combo.count() > 0, timeout=TIMEOUT)
        if dialog.type_combo.currentIndex() < 0:
            dialog.type_combo.setCurrentIndex(0)
    for name, value in dates.items():
        getattr(dialog, f"{name}_edit").setDate(value)
    with qtbot.waitSignal(tab.uploads.idle, timeout=TIMEOUT):
        dialog.buttons.button(dialog.buttons.StandardButton.Ok).click()


def version_rows(engine: Engine) -> list[DocumentVersion]:
    with Session(engine) as s:
        rows = s.scalars(select(DocumentVersion).order_by(DocumentVersion.id))
        return [v for v in rows if (v.meta or {}).get("sha256")]


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ------------------------------------------------------------------------------ drag and drop


def test_drop_files_onto_a_client(
    qtbot: QtBot, tab: ClientDocumentsTab, firms: Firms, doc_type: int, store, engine, tmp_path
) -> None:
    pdf, png = files(tmp_path)
    progress: dict[str, tuple[int, int]] = {}
    overall: list[tuple[int, int]] = []
    tab.uploads.fileProgress.connect(lambda n, d, t: progress.__setitem__(n, (d, t)))
    tab.uploads.overallProgress.connect(lambda d, t: overall.append((d, t)))

    drop_checked(qtbot, tab, [pdf, png])
    dialog = tab.dialog
    assert dialog is not None and dialog.document_id is None
    assert dialog.paths == [pdf, png]
    expires = date.today() + timedelta(days=20)
    upload_through_dialog(qtbot, tab, dialog, expiry=expires)

    assert progress == {n: (p.stat().st_size,) * 2 for n, p in ((pdf.name, pdf), (png.name, png))}
    total = pdf.stat().st_size + png.stat().st_size
    assert overall[-1] == (total, total)
    rows = version_rows(engine)
    assert sorted(v.meta["sha256"] for v in rows) == sorted([sha(pdf), sha(png)])
    assert {v.storage_provider for v in rows} == {"local"}
    assert {v.expiry_date.date() for v in rows} == {expires}
    assert sorted(store.list_keys("tenants/")) == sorted(
        pending_key(firms.alpha, sha(p)) for p in (pdf, png)
    )
    # The list shows them, tinted as expiring within 30 days.
    qtbot.waitUntil(lambda: tab.model.rowCount() == 2, timeout=TIMEOUT)
    titles = {tab.model.row_values(r)["title"] for r in range(2)}
    assert titles == {"tin-certificate", "passport"}
    brush = tab.model.index(0, 0).data(_BACKGROUND)
    assert brush.color() == EXPIRY_COLOURS["expiring_30"]


def test_drop_onto_the_selected_row_adds_a_version(
    qtbot: QtBot, tab: ClientDocumentsTab, firms: Firms, doc_type: int, store, engine, tmp_path
) -> None:
    pdf, _png = files(tmp_path)
    drop_checked(qtbot, tab, [pdf])
    upload_through_dialog(qtbot, tab, tab.dialog)
    qtbot.waitUntil(lambda: tab.model.rowCount() == 1, timeout=TIMEOUT)
    document_id = tab.model.row_id(0)

    newer = tmp_path / "renewed.pdf"
    newer.write_bytes(text_pdf("TIN Certificate renewed"))
    tab.table.selectRow(0)
    row_centre = tab.table.visualRect(tab.model.index(0, 0)).center()
    at = tab.table.viewport().mapTo(tab, row_centre)
    drop_checked(qtbot, tab, [newer], at)
    dialog = tab.dialog
    assert dialog.document_id == document_id
    finished: list[str] = []
    tab.uploads.fileFinished.connect(lambda _n, m: finished.append(m))
    upload_through_dialog(qtbot, tab, dialog)
    assert finished == [f'Uploaded renewed.pdf as version 2 of "{pdf.stem}".']
    rows = version_rows(engine)
    assert [v.document_id for v in rows] == [document_id, document_id]
    assert [v.is_latest for v in rows] == [False, True]
    assert rows[1].file_url == object_key(firms.alpha, document_id, sha(newer))

    # The history pane lists both, newest first, with who uploaded them.
    tab.table.selectRow(0)
    tab.detail.show_document(document_id)
    qtbot.waitUntil(lambda: tab.detail.history.rowCount() == 2, timeout=TIMEOUT)
    assert tab.detail.history.item(0, 0).text() == "v2"
    assert tab.detail.history.item(0, 1).text() == "renewed.pdf"
    assert tab.detail.history.item(1, 4).text() == "DocumentOfficer User"

    # Dropped again onto the same row: recognised, not stored twice.
    drop_checked(qtbot, tab, [newer], at)
    upload_through_dialog(qtbot, tab, tab.dialog)
    assert "already version 2" in finished[-1]
    assert len(version_rows(engine)) == 2


def test_drop_onto_an_unselected_row_makes_new_documents(
    qtbot: QtBot, tab: ClientDocumentsTab, doc_type: int, tmp_path
) -> None:
    pdf, png = files(tmp_path)
    drop_checked(qtbot, tab, [pdf])
    upload_through_dialog(qtbot, tab, tab.dialog)
    qtbot.waitUntil(lambda: tab.model.rowCount() == 1, timeout=TIMEOUT)
    tab.table.clearSelection()
    at = tab.table.viewport().mapTo(tab, tab.table.visualRect(tab.model.index(0, 0)).center())
    drop_checked(qtbot, tab, [png], at)
    assert tab.dialog.document_id is None
    tab.dialog.reject()


def test_drag_of_something_other_than_files_is_refused(tab: ClientDocumentsTab) -> None:
    mime = QMimeData()
    mime.setText("just text")
    enter = QDragEnterEvent(
        QPoint(5, 5),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(tab, enter)
    assert not enter.isAccepted()


def test_add_button_and_bad_files(
    qtbot: QtBot, tab: ClientDocumentsTab, doc_type: int, engine, tmp_path
) -> None:
    bad = tmp_path / "notes.pdf"
    bad.write_bytes(b"not a pdf at all\n")
    failed: dict[str, str] = {}
    tab.uploads.fileFailed.connect(lambda n, m: failed.__setitem__(n, m))
    refusals: list[str] = []
    tab.show_refused = refusals.append
    tab.choose_files = lambda: [str(bad)]
    with qtbot.waitSignal(tab.checked, timeout=TIMEOUT):
        tab.add_files()
    # Refused before any details were asked for: no dialog, nothing sent to the uploads.
    assert tab.dialog is None and failed == {}
    assert len(refusals) == 1 and "notes.pdf" in refusals[0] and "plain text" in refusals[0]
    assert bad.read_bytes() == b"not a pdf at all\n"
    assert version_rows(engine) == []
    assert "notes.pdf" in tab.status.text()


# ------------------------------------------------------------------------ preview, open, save


def uploaded_tab(qtbot: QtBot, tab: ClientDocumentsTab, tmp_path: Path) -> tuple[Path, Path]:
    pdf, png = files(tmp_path)
    drop_checked(qtbot, tab, [pdf, png])
    upload_through_dialog(qtbot, tab, tab.dialog)
    qtbot.waitUntil(lambda: tab.model.rowCount() == 2, timeout=TIMEOUT)
    return pdf, png


def select_title(qtbot: QtBot, tab: ClientDocumentsTab, title: str) -> None:
    row = next(r for r in range(tab.model.rowCount()) if tab.model.row_values(r)["title"] == title)
    tab.table.selectRow(row)
    qtbot.waitUntil(lambda: tab.detail.history.rowCount() == 1, timeout=TIMEOUT)


def test_preview_pdf_and_image(
    qtbot: QtBot, tab: ClientDocumentsTab, doc_type: int, tmp_path
) -> None:
    uploaded_tab(qtbot, tab, tmp_path)
    select_title(qtbot, tab, "tin-certificate")
    with qtbot.waitSignal(tab.detail.previewShown, timeout=TIMEOUT) as shown:
        tab.detail.preview_button.click()
    assert shown.args == ["pdf"]
    assert tab.detail.preview.currentWidget() is tab.detail.pdf_view
    assert tab.detail.pdf_document.pageCount() == 1

    select_title(qtbot, tab, "passport")
    with qtbot.waitSignal(tab.detail.previewShown, timeout=TIMEOUT) as shown:
        tab.detail.preview_button.click()
    assert shown.args == ["image"]
    assert tab.detail.image_label.pixmap().size().width() == 40


def test_open_with_system_viewer_and_save_a_copy(
    qtbot: QtBot, tab: ClientDocumentsTab, doc_type: int, tmp_path
) -> None:
    pdf, _png = uploaded_tab(qtbot, tab, tmp_path)
    select_title(qtbot, tab, "tin-certificate")
    opened: list[QUrl] = []
    tab.detail.open_url = lambda url: opened.append(url) or True
    tab.detail.open_button.click()
    qtbot.waitUntil(lambda: bool(opened), timeout=TIMEOUT)
    temp_copy = Path(opened[0].toLocalFile())
    assert temp_copy.name == "tin-certificate.pdf"
    assert temp_copy.read_bytes() == pdf.read_bytes()

    target = tmp_path / "saved" / "copy.pdf"
    target.parent.mkdir()
    tab.detail.ask_save_path = lambda _suggested: str(target)
    with qtbot.waitSignal(tab.detail.message, timeout=TIMEOUT) as said:
        tab.detail.save_button.click()
    assert said.args == [f"Saved a copy as {target}."]
    assert target.read_bytes() == pdf.read_bytes()


def test_missing_file_is_explained(
    qtbot: QtBot, officer: Context, firms: Firms, doc_type: int, tab: ClientDocumentsTab
) -> None:
    documents.create_document(
        officer,
        client_id=firms.alpha_client,
        document_type_id=doc_type,
        title="Old scan",
        first_version=VersionInput(
            file_url="demo/old-scan.pdf", storage_provider="local", mime_type="application/pdf"
        ),
    )
    tab.refresh()
    qtbot.waitUntil(lambda: tab.model.rowCount() == 1, timeout=TIMEOUT)
    select_title(qtbot, tab, "Old scan")
    with qtbot.waitSignal(tab.detail.message, timeout=TIMEOUT) as said:
        tab.detail.preview_button.click()
    assert "missing" in said.args[0]


# ------------------------------------------------------------------------------ the firm's list


def test_documents_page_expiry_colours_and_filters(
    qtbot: QtBot, officer: Context, firms: Firms, doc_type: int, store, uploads
) -> None:
    today = date.today()
    for n, (title, days) in enumerate(
        (
            ("Expired", -5),
            ("Soon", 10),
            ("Later", 45),
            ("Quarter", 80),
            ("Fine", 400),
            ("None", None),
        )
    ):
        documents.create_document(
            officer,
            client_id=firms.alpha_client,
            document_type_id=doc_type,
            title=title,
            tags=["tax"] if title == "Later" else None,
            first_version=VersionInput(
                file_url=f"k{n}",
                storage_provider="local",
                sha256=f"{n:064x}",
                expiry_date=None if days is None else today + timedelta(days=days),
                ocr_text="Guyana Revenue Authority" if title == "Quarter" else None,
            ),
        )
    page = DocumentsPage(officer, store, uploads)
    qtbot.addWidget(page)
    page.show()
    qtbot.waitUntil(lambda: page.model.rowCount() == 6 and not page.model.loading, timeout=TIMEOUT)

    def colours() -> dict[str, Any]:
        out = {}
        for row in range(page.model.rowCount()):
            brush = page.model.index(row, 0).data(_BACKGROUND)
            out[page.model.row_values(row)["title"]] = brush.color() if brush else None
        return out

    assert colours() == {
        "Expired": EXPIRY_COLOURS["expired"],
        "Soon": EXPIRY_COLOURS["expiring_30"],
        "Later": EXPIRY_COLOURS["expiring_60"],
        "Quarter": EXPIRY_COLOURS["expiring_90"],
        "Fine": None,
        "None": None,
    }
    for colour in EXPIRY_COLOURS.values():
        assert 0 < colour.alpha() < 255  # a tint over the palette's base, light or dark
    expiry_column = page.model.query.column_index("expiry")
    expired_row = next(r for r in range(6) if page.model.row_values(r)["title"] == "Expired")
    assert page.model.index(expired_row, expiry_column).data().endswith("(expired)")

    def shown_after(action: Any) -> set[str]:
        with qtbot.waitSignal(page.model.pageLoaded, timeout=TIMEOUT):
            action()
        return {page.model.row_values(r)["title"] for r in range(page.model.rowCount())}

    assert shown_after(lambda: page.filter_box(EXPIRING_WITHIN).setCurrentIndex(2)) == {
        "Soon",
        "Later",
    }
    assert page.model.query.filters[EXPIRING_WITHIN] == 60
    assert shown_after(lambda: page.filter_box(EXPIRING_WITHIN).setCurrentIndex(0)) == set(
        colours()
    )
    assert shown_after(lambda: page.filter_box("status").setCurrentText("Expired")) == {"Expired"}
    page.filter_box("status").setCurrentIndex(0)
    qtbot.waitUntil(lambda: page.model.rowCount() == 6, timeout=TIMEOUT)

    def searched(text: str) -> set[str]:
        with qtbot.waitSignal(page.model.pageLoaded, timeout=TIMEOUT):
            page.search.setText(text)
            page.model.flush_search()
        return {page.model.row_values(r)["title"] for r in range(page.model.rowCount())}

    assert searched("revenue") == {"Quarter"}
    assert searched("tax") == {"Later"}

    with qtbot.waitSignal(page.opened, timeout=TIMEOUT) as opened:
        page.table.activated.emit(page.model.index(0, 0))
    assert opened.args == [firms.alpha_client]


# ------------------------------------------------------------------- issue 9: dates (#3)


def test_date_field_types_picks_and_clears(qtbot: QtBot) -> None:
    field = OptionalDateField()
    qtbot.addWidget(field)
    field.show()
    assert field.date() is None and field.validate()
    # Empty: the calendar opens at today, not at September 1752.
    field.open_calendar()
    assert field.calendar.isVisible()
    assert field.calendar.selectedDate() == QDate.currentDate()
    field.calendar.clicked.emit(QDate(2026, 12, 1))
    assert field.text() == "2026-12-01" and field.date() == date(2026, 12, 1)
    assert not field.calendar.isVisible()

    field.clear()
    qtbot.keyClicks(field.edit, "2026-12-01")
    assert field.date() == date(2026, 12, 1)
    field.clear()
    qtbot.keyClicks(field.edit, "20200101")
    field.edit.editingFinished.emit()
    assert field.text() == "2020-01-01" and field.date() == date(2020, 1, 1)
    field.open_calendar()
    assert field.calendar.selectedDate() == QDate(2020, 1, 1)
    field.calendar.hide()

    field.clear()
    assert field.date() is None
    qtbot.keyClicks(field.edit, "2026-02-30")
    field.edit.editingFinished.emit()
    assert not field.validate()
    assert "Not a date" in field.error_text() and field.error.isVisible()
    with pytest.raises(InvalidDate):
        field.date()


def test_date_field_day_first_format() -> None:
    assert parse_date("01/02/2026", "dd/MM/yyyy") == date(2026, 2, 1)
    assert parse_date("2026-02-01", "dd/MM/yyyy") == date(2026, 2, 1)
    with pytest.raises(InvalidDate):
        parse_date("1752-09-14")


def test_typed_dates_are_saved_and_bad_ones_refused(
    qtbot: QtBot, tab: ClientDocumentsTab, doc_type: int, engine, tmp_path
) -> None:
    pdf, _png = files(tmp_path)
    drop_checked(qtbot, tab, [pdf])
    dialog = tab.dialog
    qtbot.waitUntil(lambda: dialog.type_combo.count() > 0, timeout=TIMEOUT)
    dialog.type_combo.setCurrentIndex(0)
    qtbot.keyClicks(dialog.issue_edit.edit, "2026-12-01")
    qtbot.keyClicks(dialog.expiry_edit.edit, "2027-02-30")
    dialog.ok_button.click()
    # Not a date: the dialog stays, says so next to the field, and nothing is sent.
    assert dialog.isVisible() and tab.uploads.names() == []
    assert "Not a date" in dialog.expiry_edit.error_text()
    assert dialog.issue_edit.error_text() == ""

    dialog.expiry_edit.clear()
    qtbot.keyClicks(dialog.expiry_edit.edit, "20280101")
    with qtbot.waitSignal(tab.uploads.idle, timeout=TIMEOUT):
        dialog.ok_button.click()
    (version,) = version_rows(engine)
    assert version.issue_date.date() == date(2026, 12, 1)
    assert version.expiry_date.date() == date(2028, 1, 1)


# ------------------------------------------- issue 9: files checked first, type chosen (#16)


def test_files_are_checked_before_details_and_type_is_chosen(
    qtbot: QtBot, tab: ClientDocumentsTab, officer: Context, doc_type: int, engine, tmp_path
) -> None:
    other_type = document_types.create_document_type(
        officer, {"name": "Agreement", "category": "legal"}
    )["id"]
    pdf, _png = files(tmp_path)
    bad = tmp_path / "notes.pdf"
    bad.write_bytes(b"not a pdf at all\n")
    drop_checked(qtbot, tab, [bad, pdf])
    dialog = tab.dialog
    assert dialog.paths == [pdf]
    assert dialog.refused_label.isVisible()
    assert "notes.pdf" in dialog.refused_label.text()
    assert "plain text" in dialog.refused_label.text()
    qtbot.waitUntil(lambda: dialog.type_combo.count() == 2, timeout=TIMEOUT)
    # No silent default: nothing is chosen, and Upload waits for a choice.
    assert dialog.type_combo.currentIndex() == -1
    assert dialog.type_combo.placeholderText() == "Choose a type…"
    assert not dialog.ok_button.isEnabled()
    dialog.type_combo.setCurrentIndex(dialog.type_combo.findData(other_type))
    assert dialog.ok_button.isEnabled()
    with qtbot.waitSignal(tab.uploads.idle, timeout=TIMEOUT):
        dialog.ok_button.click()
    (version,) = version_rows(engine)
    with Session(engine) as s:
        from gcmc_desktop.models import Document

        assert s.get(Document, version.document_id).document_type_id == other_type

    # The next add preselects the type used last.
    newer = tmp_path / "second.pdf"
    newer.write_bytes(text_pdf("Second"))
    tab.table.clearSelection()
    drop_checked(qtbot, tab, [newer])
    qtbot.waitUntil(lambda: tab.dialog.type_combo.count() == 2, timeout=TIMEOUT)
    assert tab.dialog.type_combo.currentData() == other_type
    assert tab.dialog.ok_button.isEnabled()
    tab.dialog.reject()


# --------------------------------------- issue 9: closed tabs, no tracebacks for refusals (#7)


def test_closed_documents_page_and_refused_files_log_no_errors(
    qtbot: QtBot,
    officer: Context,
    tab: ClientDocumentsTab,
    store,
    uploads,
    doc_type: int,
    tmp_path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    page = DocumentsPage(officer, store, uploads)
    page.show()
    qtbot.waitUntil(lambda: not page.model.loading, timeout=TIMEOUT)
    page.close()
    page.deleteLater()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    assert not shiboken6.isValid(page)

    caplog.set_level(logging.DEBUG)
    pdf, _png = files(tmp_path)
    bad = tmp_path / "notes.pdf"
    bad.write_bytes(b"not a pdf at all\n")
    failed: list[str] = []
    uploads.fileFailed.connect(lambda _n, m: failed.append(m))
    target = UploadTarget(client_id=tab.client_id, document_type_id=doc_type)
    with qtbot.waitSignal(uploads.idle, timeout=TIMEOUT):
        uploads.add_files([pdf, bad], target)
    qtbot.waitUntil(lambda: tab.model.rowCount() == 1, timeout=TIMEOUT)
    assert len(failed) == 1 and "plain text" in failed[0]
    assert [r for r in caplog.records if r.exc_info or r.levelno >= logging.WARNING] == []
    assert any("notes.pdf" in r.getMessage() for r in caplog.records if r.levelno == logging.INFO)


# --------------------------------------------- issue 9: no system viewer (#8)


def test_no_system_viewer_offers_save_a_copy(
    qtbot: QtBot, tab: ClientDocumentsTab, doc_type: int, tmp_path
) -> None:
    pdf, _png = uploaded_tab(qtbot, tab, tmp_path)
    select_title(qtbot, tab, "tin-certificate")
    offered: list[str] = []
    tab.detail.open_url = lambda _url: False  # the desktop has no program for it
    tab.detail.offer_save_copy = lambda text: offered.append(text) or True
    target = tmp_path / "copy.pdf"
    tab.detail.ask_save_path = lambda _suggested: str(target)
    with qtbot.waitSignal(
        tab.detail.message, timeout=TIMEOUT, check_params_cb=lambda m: m.startswith("Saved")
    ):
        tab.detail.open_button.click()
    assert len(offered) == 1 and "No program" in offered[0]
    assert "tin-certificate.pdf" in offered[0]
    assert target.read_bytes() == pdf.read_bytes()


# ------------------------------------------------------------- issue 9: uploads panel (#15)


def test_uploads_panel_marks_refused_files_and_totals_what_rows_show(
    qtbot: QtBot, uploads: UploadManager, firms: Firms, doc_type: int, tmp_path
) -> None:
    manager = uploads
    panel = UploadsPanel(manager)
    qtbot.addWidget(panel)
    panel.resize(900, 300)
    panel.show()
    totals: list[tuple[int, int]] = []
    overall: list[tuple[int, int]] = []
    panel.totalChanged.connect(lambda d, t: totals.append((d, t)))
    manager.overallProgress.connect(lambda d, t: overall.append((d, t)))
    pdf, _png = files(tmp_path)
    fake = png_file(tmp_path / "scan-of-the-certificate-of-incorporation.pdf")
    target = UploadTarget(client_id=firms.alpha_client, document_type_id=doc_type)
    with qtbot.waitSignal(manager.idle, timeout=TIMEOUT):
        refused_name, good_name = manager.add_files([fake, pdf], target)

    refused = panel.row(refused_name)
    assert panel.state(refused_name) == "refused"
    # Not a bar at 0% that looks queued: the state in words, error colour and icon.
    assert panel.tree.itemWidget(refused, PROGRESS) is None
    assert refused.text(PROGRESS) == "Refused"
    assert refused.foreground(STATUS).color() == ERROR_COLOUR
    assert refused.foreground(PROGRESS).color() == ERROR_COLOUR
    assert not refused.icon(NAME).isNull()
    reason = refused.toolTip(STATUS)  # the full reason; the row shows it without the name
    assert reason.startswith(refused_name) and "content is a PNG image" in reason
    assert refused.text(STATUS).startswith("It is named")
    assert refused.text(STATUS).lower() in reason.lower()
    assert panel.tree.wordWrap()
    assert panel.state(good_name) == "done" and panel.progress_of(good_name) == 1000

    # The refused file's bytes are no part of the total: the batch ends at the good file's size.
    size = pdf.stat().st_size
    assert totals[-1] == (size, size) == panel.total()
    assert overall[-1] == (size, size)
    panel.grab().save("/tmp/uploads-panel.png")


def test_uploads_panel_total_agrees_with_the_only_active_row(qtbot: QtBot, uploads) -> None:
    panel = UploadsPanel(uploads)
    qtbot.addWidget(panel)
    for name in ("a.pdf", "b.pdf", "c.pdf"):
        uploads.fileQueued.emit(name)
    uploads.fileProgress.emit("b.pdf", 0, 9_000_000)
    uploads.fileEnded.emit("b.pdf", "refused", "b.pdf cannot be uploaded: it is too large.")
    uploads.fileEnded.emit("c.pdf", "cancelled", "Cancelled.")
    with qtbot.waitSignal(panel.totalChanged) as total:
        uploads.fileProgress.emit("a.pdf", 150, 1000)
    assert panel.progress_of("a.pdf") == 150
    assert total.args == [150, 1000]  # 15%, as the only active row shows
