"""One document beside the documents list: its version history, a preview of the selected
version, "Open with system viewer" and "Save a copy…".

Files are never read on the GUI thread: previews and copies are downloaded from the storage in a
background job into a temporary folder owned by the widget."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QPixmap
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..services.context import Context
from ..services.documents import version_history
from ..services.paging import format_value
from ..services.storage import StorageProvider, canonical_provider_name, provider_for
from .kit.operations import run_query
from .workers import JobControl

PREVIEW_IMAGES = ("image/png", "image/jpeg", "image/tiff")
PDF = "application/pdf"


def _providers(storage: StorageProvider) -> dict[str, StorageProvider]:
    return {canonical_provider_name(storage.name): storage}


def _size_text(size: int | None) -> str:
    if size is None:
        return ""
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


class DocumentDetail(QWidget):
    """Version history of the selected document and a preview of the selected version, with
    "Open with system viewer" and "Save a copy…"."""

    previewShown = Signal(str)  # "pdf", "image" or "none"
    message = Signal(str)

    def __init__(self, ctx: Context, storage: StorageProvider, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.storage = storage
        self.document_id: int | None = None
        self.rows: list[dict[str, Any]] = []
        self._temp = Path(tempfile.mkdtemp(prefix="gcmc-docs-"))
        self.destroyed.connect(lambda *_: shutil.rmtree(self._temp, ignore_errors=True))
        self._generation = 0
        # Seams for tests: the desktop hand-off, the save dialog and the "no viewer" box.
        self.open_url = QDesktopServices.openUrl
        self.open_cover_sheets = self._open_cover_sheets
        self.ask_save_path = self._ask_save_path
        self.offer_save_copy = self._offer_save_copy

        self.history = QTableWidget(0, 6)
        self.history.setHorizontalHeaderLabels(
            ["Version", "File", "Size", "Uploaded", "By", "Expires"]
        )
        self.history.verticalHeader().setVisible(False)
        self.history.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.history.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.history.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.history.horizontalHeader().setStretchLastSection(True)
        self.history.currentCellChanged.connect(lambda row, *_: self._version_selected(row))

        self.pdf_document = QPdfDocument(self)
        self.pdf_view = QPdfView()
        self.pdf_view.setDocument(self.pdf_document)
        self.pdf_view.setPageMode(QPdfView.PageMode.MultiPage)
        self.pdf_view.setZoomMode(QPdfView.ZoomMode.FitToWidth)
        self.image_label = QLabel()
        self.image_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        image_scroll = QScrollArea()
        image_scroll.setWidgetResizable(True)
        image_scroll.setWidget(self.image_label)
        self.placeholder = QLabel("Select a document to see its versions.")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setWordWrap(True)
        self.preview = QStackedWidget()
        for widget in (self.placeholder, self.pdf_view, image_scroll):
            self.preview.addWidget(widget)

        self.preview_button = QPushButton("Preview")
        self.open_button = QPushButton("Open with system viewer")
        self.save_button = QPushButton("Save a copy…")
        self.preview_button.clicked.connect(self.show_preview)
        self.open_button.clicked.connect(self.open_external)
        self.save_button.clicked.connect(self.save_copy)
        self.cover_button = QPushButton("Cover sheet for a new version…")
        self.cover_button.setToolTip(
            "Print a scanning cover sheet: the pages scanned behind it become this document's"
            " next version"
        )
        self.cover_button.setVisible(ctx.can("documents", "edit"))
        self.cover_button.clicked.connect(self.cover_sheet)
        buttons = QHBoxLayout()
        for button in (self.preview_button, self.open_button, self.save_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.cover_button)

        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.history)
        splitter.addWidget(self.preview)
        splitter.setStretchFactor(1, 3)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(buttons)
        layout.addWidget(splitter, 1)
        self._update_buttons()

    # -- selection --------------------------------------------------------------------------

    @property
    def record_id(self) -> int | None:
        return self.document_id

    def show_record(self, document_id: int | None) -> None:
        self.show_document(document_id)

    def show_document(self, document_id: int | None) -> None:
        """Load the history of `document_id` (None clears the pane)."""
        self._generation += 1
        self.document_id = document_id
        self.rows = []
        self.history.setRowCount(0)
        self._show_placeholder("Select a document to see its versions.")
        if document_id is None:
            self._update_buttons()
            return
        ctx, generation = self.ctx, self._generation

        def load(_control: JobControl) -> list[dict[str, Any]]:
            with ctx.worker() as wctx:
                return [
                    {
                        "id": r.id,
                        "number": r.number,
                        "name": r.original_name or Path(r.version["file_url"]).name,
                        "size": r.version["file_size"],
                        "uploaded_at": r.version["uploaded_at"],
                        "by": r.uploaded_by or "",
                        "expiry": r.version["expiry_date"],
                        "mime": r.version["mime_type"] or "",
                        "key": r.version["file_url"],
                        "provider": r.version["storage_provider"],
                    }
                    for r in version_history(wctx, document_id)
                ]

        run_query(
            self,
            load,
            on_done=lambda rows: self._history_loaded(generation, rows),
            on_error=self.message.emit,
        )

    def _history_loaded(self, generation: int, rows: list[dict[str, Any]]) -> None:
        if generation != self._generation:
            return
        self.rows = rows
        self.history.setRowCount(len(rows))
        for i, row in enumerate(rows):
            cells = (
                f"v{row['number']}",
                row["name"],
                _size_text(row["size"]),
                format_value(row["uploaded_at"]),
                row["by"],
                format_value(row["expiry"].date()) if row["expiry"] else "",
            )
            for column, text in enumerate(cells):
                self.history.setItem(i, column, QTableWidgetItem(text))
        self.history.resizeColumnsToContents()
        if rows:
            self.history.selectRow(0)
        self._show_placeholder("Press Preview to see this version.")
        self._update_buttons()

    def _version_selected(self, _row: int) -> None:
        self._show_placeholder("Press Preview to see this version.")
        self._update_buttons()

    def selected_version(self) -> dict[str, Any] | None:
        row = self.history.currentRow()
        if 0 <= row < len(self.rows):
            return self.rows[row]
        return self.rows[0] if self.rows else None

    def _update_buttons(self) -> None:
        has = self.selected_version() is not None
        for button in (self.preview_button, self.open_button, self.save_button):
            button.setEnabled(has)
        self.cover_button.setEnabled(self.document_id is not None)

    def cover_sheet(self) -> None:
        """A cover sheet whose QR code names this document (read in the background)."""
        document_id = self.document_id
        if document_id is None:
            return
        ctx = self.ctx

        def load(_control: JobControl) -> Any:
            from ..services.intake.cover_sheets import new_version_sheet

            with ctx.worker() as wctx:
                return new_version_sheet(wctx, document_id)

        run_query(
            self,
            load,
            on_done=lambda sheet: self.open_cover_sheets(sheet),
            on_error=self.message.emit,
        )

    def _open_cover_sheets(self, sheet: Any) -> QWidget:
        from .cover_sheets import CoverSheetDialog

        dialog = CoverSheetDialog(
            self.ctx,
            client=(sheet.client, sheet.code.client_id),
            document_type_id=sheet.code.document_type_id,
            sheets=[sheet],
            parent=self,
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog

    def _show_placeholder(self, text: str) -> None:
        self.pdf_document.close()
        self.image_label.clear()
        self.placeholder.setText(text)
        self.preview.setCurrentWidget(self.placeholder)

    # -- files ------------------------------------------------------------------------------

    def _fetch(self, version: dict[str, Any], then: Any) -> None:
        """Download `version` into the temp folder (once) and call `then(path)`."""
        target = self._temp / str(version["id"]) / Path(version["name"]).name
        if target.exists():
            then(target)
            return
        storage = self.storage

        def download(_control: JobControl) -> Path:
            provider = provider_for(version["provider"], _providers(storage))
            target.parent.mkdir(parents=True, exist_ok=True)
            provider.download_to(version["key"], target)
            return target

        run_query(
            self,
            download,
            on_done=then,
            on_error=self._failed,
            description=f"Opening {version['name']}",
        )

    def _failed(self, message: str) -> None:
        self._show_placeholder(message)
        self.message.emit(message)

    def show_preview(self) -> None:
        version = self.selected_version()
        if version is None:
            return
        mime = version["mime"]
        if mime != PDF and mime not in PREVIEW_IMAGES:
            self._show_placeholder(
                "There is no preview for this kind of file. Use “Open with system viewer”."
            )
            self.previewShown.emit("none")
            return
        self._show_placeholder("Loading the preview…")
        generation = self._generation
        self._fetch(version, lambda path: self._preview_ready(generation, mime, path))

    def _preview_ready(self, generation: int, mime: str, path: Path) -> None:
        if generation != self._generation:
            return
        if mime == PDF:
            self.pdf_document.load(str(path))
            if self.pdf_document.status() != QPdfDocument.Status.Ready:
                self._show_placeholder("This PDF cannot be shown here.")
                self.previewShown.emit("none")
                return
            self.preview.setCurrentWidget(self.pdf_view)
            self.previewShown.emit("pdf")
            return
        pixmap = QPixmap(str(path))
        if pixmap.isNull():
            self._show_placeholder("This image cannot be shown here.")
            self.previewShown.emit("none")
            return
        self.image_label.setPixmap(pixmap)
        self.preview.setCurrentIndex(2)
        self.previewShown.emit("image")

    def open_external(self) -> None:
        version = self.selected_version()
        if version is not None:
            self._fetch(version, lambda path: self._hand_off(version, path))

    def _hand_off(self, version: dict[str, Any], path: Path) -> None:
        # openUrl returns False when the desktop has no program for this kind of file: say so
        # and offer the one thing that still works, instead of doing nothing.
        if self.open_url(QUrl.fromLocalFile(str(path))):
            return
        text = (
            f"No program on this computer opens “{version['name']}”. "
            "Save a copy and open it with a program of your choice."
        )
        self.message.emit(text)
        if self.offer_save_copy(text):
            self.save_copy()

    def _offer_save_copy(self, text: str) -> bool:
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Information)
        box.setWindowTitle("Open with system viewer")
        box.setText(text)
        save = box.addButton("Save a copy…", QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Close)
        box.setDefaultButton(save)
        box.exec()
        return box.clickedButton() is save

    def _ask_save_path(self, suggested: str) -> str:
        path, _filter = QFileDialog.getSaveFileName(self, "Save a copy", suggested)
        return path

    def save_copy(self) -> None:
        version = self.selected_version()
        if version is None:
            return
        destination = self.ask_save_path(version["name"])
        if not destination:
            return
        storage = self.storage

        def save(_control: JobControl) -> str:
            provider = provider_for(version["provider"], _providers(storage))
            provider.download_to(version["key"], destination)
            return destination

        run_query(
            self,
            save,
            on_done=lambda path: self.message.emit(f"Saved a copy as {path}."),
            on_error=self.message.emit,
            description=f"Saving {version['name']}",
        )
