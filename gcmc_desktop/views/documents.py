"""Documents: the firm's list (Documents section) and one client's (a client workspace tab), on
the kit's list page, with expiry highlighting, the document's versions and preview beside the
list, and uploads by button or by dropping files from the file manager."""

from __future__ import annotations

import dataclasses
import logging
from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPoint, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QFileDialog, QLabel, QMessageBox, QProgressBar, QPushButton, QWidget

from ..services.catalog import AUTHORITIES, DOCUMENT_STATUSES
from ..services.context import Context
from ..services.document_types import document_type_choices
from ..services.documents import (
    EXPIRING_WITHIN,
    ExpiryState,
    document_list_query,
    expiry_state,
    get_document,
)
from ..services.paging import PagedQuery
from ..services.storage import StorageProvider
from .add_documents import AddDocumentsDialog, check_paths, refused_text
from .document_detail import DocumentDetail
from .kit.fields import choices
from .kit.list_page import FilterSpec, ListPage, ListSpec
from .kit.operations import alive, run_query
from .table_model import PagedTableModel
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


# -- the list ---------------------------------------------------------------------------------


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


def client_of_document(ctx: Context, document_id: int) -> int:
    """The client whose workspace a document's row opens (the list's rows carry document ids)."""
    return get_document(ctx, document_id)["client_id"]


DOCUMENTS = ListSpec(
    noun="document",
    plural="documents",
    module="documents",
    query=lambda ctx, scope: document_list_query(ctx, client_id=scope.get("client_id")),
    listens_to=frozenset({"document", "document_version", "document_type", "client"}),
    search_hint="Search title, tags and text…",
    filters=(
        FilterSpec("status", "Any status", "Status filter", choices(DOCUMENT_STATUSES)),
        FilterSpec("document_type_id", "Any type", "Type filter", load=document_type_choices),
        FilterSpec("authority", "Any authority", "Authority filter", [(a, a) for a in AUTHORITIES]),
        FilterSpec(
            EXPIRING_WITHIN,
            "Any expiry",
            "Expiry filter",
            [(f"Expiring within {days} days", days) for days in (30, 60, 90)],
        ),
    ),
    widths={"title": 200},
    sort="title",
    opens=client_of_document,
    opens_directly=False,
    # A client's own documents: no client column, and a row opens nothing more.
    hidden=lambda scope: ("client",) if scope.get("client_id") is not None else (),
    model=DocumentTableModel,
    # Alternating colours would fight the expiry tints.
    alternating_rows=False,
    # Dates, statuses and types are never cut: columns widen to what the rows show.
    fit_columns=True,
    name_key="title",
)
CLIENT_DOCUMENTS = dataclasses.replace(DOCUMENTS, opens=None)


class DocumentsPage(ListPage):
    """The documents list with their versions beside it and the uploads' progress below."""

    def __init__(
        self,
        ctx: Context,
        storage: StorageProvider,
        uploads: UploadManager,
        parent: QWidget | None = None,
        *,
        client_id: int | None = None,
    ) -> None:
        self.storage = storage
        self.uploads = uploads
        self.client_id = client_id
        detail = DocumentDetail(ctx, storage)
        if client_id is None:
            super().__init__(ctx, DOCUMENTS, parent, detail=detail)
        else:
            super().__init__(ctx, CLIENT_DOCUMENTS, parent, detail=detail, client_id=client_id)
        self.detail: DocumentDetail = detail
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(240)
        self.progress.hide()
        self.footer.addWidget(self.progress)
        detail.message.connect(self.status.setText)
        # The upload manager outlives this tab: its signals must not reach a closed tab.
        uploads.overallProgress.connect(alive(self, self._overall))
        uploads.fileFinished.connect(alive(self, lambda n, m: self.status.setText(m)))
        uploads.fileFailed.connect(alive(self, lambda n, m: self.status.setText(f"{n}: {m}")))

    def set_storage(self, storage: StorageProvider) -> None:
        """Use another document store from now on (Preferences changed it)."""
        self.storage = storage
        self.detail.storage = storage
        self.detail.show_document(self.detail.document_id)

    def _overall(self, done: int, total: int) -> None:
        if total <= 0 or done >= total:
            self.progress.hide()
            return
        self.progress.show()
        self.progress.setValue(int(done * 100 / total))


class ClientDocumentsTab(DocumentsPage):
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
        super().__init__(ctx, storage, uploads, parent, client_id=client_id)
        self.dialog: AddDocumentsDialog | None = None
        self.add_button = QPushButton("Add…")
        self.version_button = QPushButton("New version…")
        can_add = ctx.can("documents", "create")
        self.add_button.setVisible(can_add)
        self.version_button.setVisible(ctx.can("documents", "edit"))
        self.actions_bar.addWidget(self.add_button)
        self.actions_bar.addWidget(self.version_button)
        self.add_button.clicked.connect(self.add_files)
        self.version_button.clicked.connect(self.add_version)
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
        super()._update_actions()
        if hasattr(self, "version_button"):
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
