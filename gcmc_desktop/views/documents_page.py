"""Documents: the firm's list (Documents section) and one client's (a client workspace tab), with
expiry highlighting, version history, preview, open/save a copy, and uploads by button or by
dropping files from the file manager.

Files are never read on the GUI thread: previews and copies are downloaded from the storage in
a background job into a temporary folder owned by the widget."""

from __future__ import annotations

import logging
import shutil
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPoint, Qt, QUrl, Signal
from PySide6.QtGui import QBrush, QColor, QDesktopServices, QDragEnterEvent, QDropEvent, QPixmap
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from .. import settings as app_settings
from ..services.catalog import AUTHORITIES, DOCUMENT_STATUSES
from ..services.context import Context
from ..services.document_types import list_document_types
from ..services.documents import (
    EXPIRING_WITHIN,
    ExpiryState,
    document_list_query,
    expiry_state,
    version_history,
)
from ..services.file_checks import BadFile, check_file
from ..services.outbox import UploadTarget
from ..services.paging import PagedQuery, format_value
from ..services.storage import StorageProvider, canonical_provider_name, provider_for
from .date_field import OptionalDateField
from .kit.bus import change_bus
from .kit.operations import alive, run_query
from .kit.selection import keep_selection
from .table_model import PagedTableModel, fit_columns_on_load
from .uploads import UploadManager
from .workers import JobControl

log = logging.getLogger(__name__)

_BACKGROUND = Qt.ItemDataRole.BackgroundRole.value
_DISPLAY = Qt.ItemDataRole.DisplayRole.value
_TOOLTIP = Qt.ItemDataRole.ToolTipRole.value
_USER = Qt.ItemDataRole.UserRole.value

# Translucent tints: blended over the view's own base colour they read as a warm hint on a
# light palette and on a dark one alike, where fixed light colours would glare in dark mode.
EXPIRY_COLOURS: dict[str, QColor] = {
    "expired": QColor(220, 38, 38, 90),
    "expiring_30": QColor(234, 88, 12, 80),
    "expiring_60": QColor(245, 158, 11, 70),
    "expiring_90": QColor(234, 179, 8, 45),
}
EXPIRY_LABELS = {
    "expired": "expired",
    "expiring_30": "expires within 30 days",
    "expiring_60": "expires within 60 days",
    "expiring_90": "expires within 90 days",
}
REFUSED_COLOUR = "#b3261e"
LAST_TYPE_KEY = "documents/lastTypeId"
PREVIEW_IMAGES = ("image/png", "image/jpeg", "image/tiff")
PDF = "application/pdf"


# -- the list model ---------------------------------------------------------------------------


class DocumentTableModel(PagedTableModel):
    """The generic paged model plus expiry colours: a background per row by the latest
    version's expiry, and "expired" written next to the date."""

    def __init__(self, query: PagedQuery, ctx: Context, **kwargs: Any) -> None:
        super().__init__(query, ctx.reading, **kwargs)
        self._expiry_column = query.column_index("expiry")
        self._states: dict[Any, ExpiryState] = {}
        self.modelReset.connect(self._states.clear)
        self.today = date.today()

    def expiry_state(self, row: int) -> ExpiryState:
        row_id = self.row_id(row)
        state = self._states.get(row_id)
        if state is None:
            value = super().data(self.index(row, self._expiry_column), _USER)
            state = self._states[row_id] = expiry_state(value, self.today)
        return state

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = _DISPLAY) -> Any:
        if role == _BACKGROUND and index.isValid():
            colour = EXPIRY_COLOURS.get(self.expiry_state(index.row()))
            return QBrush(colour) if colour is not None else None
        if role == _DISPLAY and index.isValid() and index.column() == self._expiry_column:
            text = super().data(index, role)
            if text and self.expiry_state(index.row()) == "expired":
                return f"{text} (expired)"
            return text
        if role == _TOOLTIP and index.isValid():
            return EXPIRY_LABELS.get(self.expiry_state(index.row()), "").capitalize() or None
        return super().data(index, role)


def document_table(model: PagedTableModel) -> QTableView:
    view = QTableView()
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    # Alternating colours would fight the expiry tints.
    view.setAlternatingRowColors(False)
    view.verticalHeader().setVisible(False)
    view.verticalHeader().setDefaultSectionSize(24)
    header = view.horizontalHeader()
    header.setStretchLastSection(True)
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    view.setSortingEnabled(True)
    header.setSortIndicator(model.query.column_index("title"), Qt.SortOrder.AscendingOrder)
    view.setColumnWidth(0, 200)
    # Dates, statuses and types are never cut: columns widen to what the rows show.
    fit_columns_on_load(view, model)
    return view


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


# -- one document: history, preview, open, save ------------------------------------------------


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
        buttons = QHBoxLayout()
        for button in (self.preview_button, self.open_button, self.save_button):
            buttons.addWidget(button)
        buttons.addStretch(1)

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
                        "id": r.version.id,
                        "number": r.number,
                        "name": r.original_name or Path(r.version.file_url).name,
                        "size": r.version.file_size,
                        "uploaded_at": r.version.uploaded_at,
                        "by": r.uploaded_by or "",
                        "expiry": r.version.expiry_date,
                        "mime": r.version.mime_type or "",
                        "key": r.version.file_url,
                        "provider": r.version.storage_provider,
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


# -- the add dialog ---------------------------------------------------------------------------


class AddDocumentsDialog(QDialog):
    """What the dropped or chosen files are: a type and title (new documents) or just the new
    version's dates and number (a new version of `document_title`).

    `paths` are files that already passed the file checks; `refused` (name, reason) are the
    ones that did not, listed at the top so the user knows what will not be added. The type
    is never guessed: the one used last is preselected (QSettings), otherwise the user must
    choose one before Upload is enabled."""

    def __init__(
        self,
        ctx: Context,
        client_id: int,
        paths: list[Path],
        *,
        document_id: int | None = None,
        document_title: str = "",
        refused: list[tuple[str, str]] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.client_id = client_id
        self.paths = paths
        self.document_id = document_id
        self.refused = refused or []
        names = ", ".join(p.name for p in paths[:3]) + ("…" if len(paths) > 3 else "")
        if document_id is None:
            self.setWindowTitle("Add documents")
            heading = f"{len(paths)} file{'s' if len(paths) != 1 else ''}: {names}"
        else:
            self.setWindowTitle("Add a new version")
            heading = f'New version of "{document_title}": {names}'
        self.heading = QLabel(heading)
        self.heading.setWordWrap(True)
        self.refused_label = QLabel(refused_text(self.refused))
        self.refused_label.setWordWrap(True)
        self.refused_label.setTextFormat(Qt.TextFormat.PlainText)  # file names are not markup
        self.refused_label.setStyleSheet(f"color: {REFUSED_COLOUR};")
        self.refused_label.setVisible(bool(self.refused))
        self.type_combo = QComboBox()
        self.type_combo.setPlaceholderText("Choose a type…")
        self.type_combo.currentIndexChanged.connect(self._update_ok)
        self.title_edit = QLineEdit()
        if len(paths) == 1:
            self.title_edit.setText(paths[0].stem)
        else:
            self.title_edit.setPlaceholderText("Each file's name")
        self.issue_edit = OptionalDateField()
        self.expiry_edit = OptionalDateField()
        self.number_edit = QLineEdit()
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet(f"color: {REFUSED_COLOUR};")
        form = QFormLayout()
        if document_id is None:
            form.addRow("Document type:", self.type_combo)
            form.addRow("Title:", self.title_edit)
        form.addRow("Issued:", self.issue_edit)
        form.addRow("Expires:", self.expiry_edit)
        form.addRow("Document number:", self.number_edit)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("Upload")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.refused_label)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(440)
        if document_id is None:
            self._load_types()
        self._update_ok()

    def _load_types(self) -> None:
        ctx = self.ctx
        self.type_combo.setEnabled(False)

        def load(_control: JobControl) -> list[tuple[int, str]]:
            with ctx.worker() as wctx:
                return [(t.id, t.name) for t in list_document_types(wctx)]

        run_query(self, load, on_done=self._types_loaded, on_error=self.error.setText)

    def _types_loaded(self, types: list[tuple[int, str]]) -> None:
        self.type_combo.clear()
        for type_id, name in types:
            self.type_combo.addItem(name, type_id)
        last = app_settings.settings().value(LAST_TYPE_KEY)
        try:
            index = self.type_combo.findData(int(last)) if last is not None else -1
        except (TypeError, ValueError):
            index = -1
        self.type_combo.setCurrentIndex(index)  # -1: the placeholder, nothing chosen
        self.type_combo.setEnabled(True)
        if not types:
            self.error.setText("There are no document types yet: add one in Edit → Document types.")
        self._update_ok()

    def type_chosen(self) -> bool:
        return self.document_id is not None or self.type_combo.currentData() is not None

    def _update_ok(self, *_args: Any) -> None:
        self.ok_button.setEnabled(bool(self.paths) and self.type_chosen())

    def target(self) -> UploadTarget:
        common = {
            "issue_date": self.issue_edit.date(),
            "expiry_date": self.expiry_edit.date(),
            "document_number": self.number_edit.text().strip() or None,
        }
        if self.document_id is not None:
            return UploadTarget(document_id=self.document_id, **common)
        title = self.title_edit.text().strip() if len(self.paths) == 1 else None
        return UploadTarget(
            client_id=self.client_id,
            document_type_id=self.type_combo.currentData(),
            title=title or None,
            **common,
        )

    def accept(self) -> None:
        if not self.type_chosen():
            self.error.setText("Choose the document type.")
            return
        # Both fields show their own errors; a date that is not one is never dropped.
        dates_ok = all([self.issue_edit.validate(), self.expiry_edit.validate()])
        if not dates_ok:
            self.error.setText("Correct the dates marked above, or clear them.")
            return
        issued, expires = self.issue_edit.date(), self.expiry_edit.date()
        if issued and expires and expires < issued:
            self.error.setText("The expiry date cannot be before the issue date.")
            return
        if self.document_id is None:
            app_settings.settings().setValue(LAST_TYPE_KEY, self.type_combo.currentData())
        super().accept()


def refused_text(refused: list[tuple[str, str]]) -> str:
    """ "Not added: name — reason" lines for files the checks refused."""
    if not refused:
        return ""
    lines = [f"• {name} — {reason}" for name, reason in refused]
    noun = "file" if len(refused) == 1 else "files"
    return f"{len(refused)} {noun} cannot be added:\n" + "\n".join(lines)


def check_paths(paths: list[Path], max_bytes: int) -> tuple[list[Path], list[tuple[str, str]]]:
    """The files that pass the checks, and (name, reason) for those that do not. Runs in a
    background job: the checks read the files."""
    good: list[Path] = []
    refused: list[tuple[str, str]] = []
    for path in paths:
        try:
            check_file(path, max_bytes=max_bytes)
        except BadFile as exc:
            refused.append((path.name, exc.reason[:1].upper() + exc.reason[1:]))
        else:
            good.append(path)
    return good, refused


# -- shared list widget -----------------------------------------------------------------------


class _DocumentsView(QWidget):
    """A documents list with search, a detail pane and an upload status line. It refreshes
    itself when the change bus reports documents, their versions or types (or client names,
    which the firm's list shows) changed."""

    LISTENS_TO = frozenset({"document", "document_version", "document_type", "client"})

    def __init__(
        self,
        ctx: Context,
        storage: StorageProvider,
        uploads: UploadManager,
        client_id: int | None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.storage = storage
        self.uploads = uploads
        self.client_id = client_id
        self.model = DocumentTableModel(
            document_list_query(ctx, client_id=client_id), ctx, parent=self
        )
        self.table = document_table(self.model)
        if client_id is not None:
            self.table.setColumnHidden(self.model.query.column_index("client"), True)
        self.detail = DocumentDetail(ctx, storage)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search title, tags and text…")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self.model.set_search)
        self.search.returnPressed.connect(self.model.flush_search)
        self.count_label = QLabel()
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(240)
        self.progress.hide()
        self.filters = QHBoxLayout()
        self.filters.addWidget(self.search, 2)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.table)
        splitter.addWidget(self.detail)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        # Stretch factors apply only to extra space: start the list at about two thirds.
        splitter.setSizes([700, 300])
        status_row = QHBoxLayout()
        status_row.addWidget(self.count_label)
        status_row.addWidget(self.status, 1)
        status_row.addWidget(self.progress)
        self.main_layout = QVBoxLayout(self)
        self.main_layout.addLayout(self.filters)
        self.main_layout.addWidget(splitter, 1)
        self.main_layout.addLayout(status_row)

        self.model.totalChanged.connect(
            lambda n: self.count_label.setText(f"{n:,} document{'' if n == 1 else 's'}")
        )
        self.model.failed.connect(self.status.setText)
        self.detail.message.connect(self.status.setText)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        # A refresh (often another workstation's change) keeps the selected document and its
        # detail pane; only a document that is gone empties the pane.
        keep_selection(self.table, self.model, on_lost=lambda: self.detail.show_document(None))
        change_bus().subscribe(self, self.LISTENS_TO, lambda _changes: self.model.refresh())
        # The upload manager outlives this tab: its signals must not reach a closed tab.
        uploads.overallProgress.connect(alive(self, self._overall))
        uploads.fileFinished.connect(alive(self, lambda n, m: self.status.setText(m)))
        uploads.fileFailed.connect(alive(self, lambda n, m: self.status.setText(f"{n}: {m}")))
        self.model.refresh()

    def set_storage(self, storage: StorageProvider) -> None:
        """Use another document store from now on (Preferences changed it)."""
        self.storage = storage
        self.detail.storage = storage
        self.detail.show_document(self.detail.document_id)

    def selected_id(self) -> int | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.row_id(rows[0].row()) if rows else None

    def _selection_changed(self, *_args: Any) -> None:
        selected = self.selected_id()
        if selected != self.detail.document_id:
            self.detail.show_document(selected)

    def refresh(self) -> None:
        self.model.refresh()

    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    def _overall(self, done: int, total: int) -> None:
        if total <= 0 or done >= total:
            self.progress.hide()
            return
        self.progress.show()
        self.progress.setValue(int(done * 100 / total))


class DocumentsPage(_DocumentsView):
    """The firm's documents: filters for status, type, authority and expiry, and search."""

    openClientRequested = Signal(int)

    def __init__(
        self,
        ctx: Context,
        storage: StorageProvider,
        uploads: UploadManager,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(ctx, storage, uploads, None, parent)
        self.status_filter = QComboBox()
        self.status_filter.addItem("Any status", None)
        for status in DOCUMENT_STATUSES:
            self.status_filter.addItem(status.replace("_", " ").capitalize(), status)
        self.type_filter = QComboBox()
        self.type_filter.addItem("Any type", None)
        self.authority_filter = QComboBox()
        self.authority_filter.addItem("Any authority", None)
        for authority in AUTHORITIES:
            self.authority_filter.addItem(authority, authority)
        self.expiry_filter = QComboBox()
        self.expiry_filter.addItem("Any expiry", None)
        for days in (30, 60, 90):
            self.expiry_filter.addItem(f"Expiring within {days} days", days)
        for combo in (
            self.status_filter,
            self.type_filter,
            self.authority_filter,
            self.expiry_filter,
        ):
            self.filters.addWidget(combo)
            combo.currentIndexChanged.connect(self._apply_filters)
        self.table.doubleClicked.connect(self._open_client)
        self._load_types()

    def _load_types(self) -> None:
        ctx = self.ctx

        def load(_control: JobControl) -> list[tuple[int, str]]:
            with ctx.worker() as wctx:
                return [(t.id, t.name) for t in list_document_types(wctx)]

        def loaded(types: list[tuple[int, str]]) -> None:
            for type_id, name in types:
                self.type_filter.addItem(name, type_id)

        run_query(self, load, on_done=loaded, on_error=self.status.setText)

    def _apply_filters(self) -> None:
        self.model.set_filters(
            {
                "status": self.status_filter.currentData(),
                "document_type_id": self.type_filter.currentData(),
                "authority": self.authority_filter.currentData(),
                EXPIRING_WITHIN: self.expiry_filter.currentData(),
            }
        )

    def _open_client(self, index: QModelIndex) -> None:
        # The list's rows carry document ids; the client id is looked up with the detail.
        document_id = self.model.row_id(index.row())
        ctx = self.ctx

        def load(_control: JobControl) -> int:
            from ..services.documents import get_document

            with ctx.worker() as wctx:
                return get_document(wctx, document_id).client_id

        run_query(self, load, on_done=self.openClientRequested.emit, on_error=self.status.setText)


class ClientDocumentsTab(_DocumentsView):
    """One client's documents, for the client workspace: "Add…", drag-and-drop of files (onto
    the selected row: a new version of it; anywhere else: new documents)."""

    checked = Signal()  # the file checks of an add are over (a dialog may be open now)

    def __init__(
        self,
        ctx: Context,
        client_id: int,
        storage: StorageProvider,
        uploads: UploadManager,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(ctx, storage, uploads, client_id, parent)
        self.dialog: AddDocumentsDialog | None = None
        self.add_button = QPushButton("Add…")
        self.version_button = QPushButton("New version…")
        can_add = ctx.can("documents", "create")
        self.add_button.setVisible(can_add)
        self.version_button.setVisible(ctx.can("documents", "edit"))
        self.filters.addWidget(self.add_button)
        self.filters.addWidget(self.version_button)
        self.add_button.clicked.connect(self.add_files)
        self.version_button.clicked.connect(self.add_version)
        self.table.selectionModel().selectionChanged.connect(self._update_actions)
        self.model.modelReset.connect(self._update_actions)
        self.setAcceptDrops(can_add or ctx.can("documents", "edit"))
        # Seams for tests: the native file dialog cannot be driven offscreen, and the box
        # saying that none of the files can be added would block.
        self.choose_files = self._choose_files
        self.show_refused = self._show_refused
        hint = QLabel("Drop files here to add them (onto the selected document: a new version).")
        hint.setEnabled(False)
        self.main_layout.insertWidget(1, hint)
        self._update_actions()

    def _update_actions(self, *_args: Any) -> None:
        self.version_button.setEnabled(self.selected_id() is not None)

    def _choose_files(self) -> list[str]:
        paths, _filter = QFileDialog.getOpenFileNames(self, "Add documents")
        return paths

    def add_files(self) -> None:
        paths = self.choose_files()
        if paths:
            self.ask([Path(p) for p in paths])

    def add_version(self) -> None:
        document_id = self.selected_id()
        if document_id is None:
            return
        paths = self.choose_files()
        if paths:
            self.ask([Path(p) for p in paths], document_id)

    def ask(self, paths: list[Path], document_id: int | None = None) -> None:
        """Check `paths` first (in the background: the checks read the files), then ask for
        the details of those that pass; refused files are named with their reasons before
        the user types anything for them. `checked` fires when the checks are over."""
        max_bytes = self.uploads.max_bytes
        self.status.setText(f"Checking {len(paths)} file{'s' if len(paths) != 1 else ''}…")

        def check(_control: JobControl) -> tuple[list[Path], list[tuple[str, str]]]:
            return check_paths(paths, max_bytes)

        run_query(
            self,
            check,
            on_done=lambda result: self._checked(*result, document_id),
            on_error=self.status.setText,
        )

    def _checked(
        self, good: list[Path], refused: list[tuple[str, str]], document_id: int | None
    ) -> None:
        self.status.setText(refused_text(refused).replace("\n", " "))
        for name, reason in refused:
            log.info("Not adding %s: %s", name, reason)
        if not good:
            self.show_refused(refused_text(refused))
            self.checked.emit()
            return
        self._open_dialog(good, document_id, refused)
        self.checked.emit()

    def _show_refused(self, text: str) -> None:
        box = QMessageBox(QMessageBox.Icon.Warning, "Add documents", text, parent=self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    def _open_dialog(
        self, paths: list[Path], document_id: int | None, refused: list[tuple[str, str]]
    ) -> AddDocumentsDialog:
        title = ""
        if document_id is not None:
            row = self.model.row_of(document_id)
            title = self.model.row_values(row)["title"] if row is not None else ""
        dialog = AddDocumentsDialog(
            self.ctx,
            self.client_id or 0,
            paths,
            document_id=document_id,
            document_title=title,
            refused=refused,
            parent=self,
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self.uploads.add_files(dialog.paths, dialog.target()))
        dialog.destroyed.connect(lambda *_: setattr(self, "dialog", None))
        self.dialog = dialog
        dialog.open()
        return dialog

    # -- drag and drop ----------------------------------------------------------------------

    @staticmethod
    def _local_files(event: QDragEnterEvent | QDropEvent) -> list[Path]:
        mime = event.mimeData()
        if not mime.hasUrls():
            return []
        urls = mime.urls()
        if not all(url.isLocalFile() for url in urls):
            return []
        return [Path(url.toLocalFile()) for url in urls]

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self._local_files(event):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: Any) -> None:
        event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = self._local_files(event)
        if not paths:
            event.ignore()
            return
        event.acceptProposedAction()
        document_id = self._document_at(event.position().toPoint())
        if document_id is not None and not self.ctx.can("documents", "edit"):
            document_id = None
        self.ask(paths, document_id)

    def _document_at(self, point: QPoint) -> int | None:
        """The document under `point` (this widget's coordinates) if its row is selected: a drop
        meant as a new version has to land on the row the user picked, not on any row the
        files happen to pass over."""
        viewport = self.table.viewport()
        local = viewport.mapFrom(self, point)
        if not viewport.rect().contains(local):
            return None
        index = self.table.indexAt(local)
        if not index.isValid():
            return None
        document_id = self.model.row_id(index.row())
        return document_id if document_id == self.selected_id() else None
