"""The documents attached to the selected filing, beside the filings list: attach one of the
client's documents, detach one, and see the selected one's versions and preview (with the
document store, where the page has one)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from ..services.context import Context
from ..services.documents import document_choices
from ..services.filings import attach_document, detach_document, filing_documents, get_filing
from ..services.storage import StorageProvider
from .document_detail import DocumentDetail
from .kit.bus import change_bus
from .kit.messages import banner, code_label, show_in
from .kit.operations import run_operation

_ID = Qt.ItemDataRole.UserRole


class DocumentPicker(QDialog):
    """Choose one of the client's documents that is not attached yet."""

    def __init__(self, choices: list[tuple[str, int]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Attach a document")
        self.list = QListWidget()
        for title, document_id in choices:
            item = QListWidgetItem(title)
            item.setData(_ID, document_id)
            self.list.addItem(item)
        if choices:
            self.list.setCurrentRow(0)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Attach")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.list.itemActivated.connect(lambda _item: self.accept())
        layout = QVBoxLayout(self)
        text = (
            "The client's documents not attached to this filing:"
            if choices
            else (
                "Every document of this client is attached already (add documents in the client's "
                "Documents tab)."
            )
        )
        label = QLabel(text)
        label.setWordWrap(True)
        layout.addWidget(label)
        layout.addWidget(self.list, 1)
        layout.addWidget(buttons)
        self.resize(480, 420)

    def chosen(self) -> int | None:
        item = self.list.currentItem()
        return None if item is None else item.data(_ID)


class FilingDocumentsPane(QWidget):
    """The detail pane of the filings list (`show_record(filing_id)`)."""

    changed = Signal()

    def __init__(
        self, ctx: Context, storage: StorageProvider | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.filing_id: int | None = None
        self.client_id: int | None = None
        self.attached: list[dict[str, Any]] = []
        self._generation = 0
        # Seam for tests: the picker is modal.
        self.pick = self._pick
        self.heading = QLabel("Select a filing to see its documents.")
        self.heading.setWordWrap(True)
        self.message = banner()
        self.list = QListWidget()
        self.attach_button = QPushButton("Attach…")
        self.detach_button = QPushButton("Detach")
        can_edit = ctx.can("filings", "edit")
        self.attach_button.setVisible(can_edit)
        self.detach_button.setVisible(can_edit)
        self.attach_button.clicked.connect(self.attach)
        self.detach_button.clicked.connect(self.detach_selected)
        buttons = QHBoxLayout()
        buttons.addWidget(self.attach_button)
        buttons.addWidget(self.detach_button)
        buttons.addStretch(1)
        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(self.heading)
        top_layout.addWidget(self.message)
        top_layout.addLayout(buttons)
        top_layout.addWidget(self.list, 1)
        self.document = DocumentDetail(ctx, storage) if storage is not None else None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        if self.document is None:
            layout.addWidget(top, 1)
        else:
            splitter = QSplitter(Qt.Orientation.Vertical)
            splitter.addWidget(top)
            splitter.addWidget(self.document)
            splitter.setStretchFactor(1, 2)
            layout.addWidget(splitter, 1)
            self.document.message.connect(lambda text: show_in(self.message, text))
        self.list.currentItemChanged.connect(self._document_selected)
        change_bus().subscribe(
            self, {"filing_document", "document", "filing"}, lambda _c: self.reload()
        )
        self._update_buttons()

    @property
    def record_id(self) -> int | None:
        return self.filing_id

    def show_record(self, filing_id: int | None) -> None:
        self.filing_id = filing_id
        self.reload()

    def reload(self) -> None:
        self._generation += 1
        generation, filing_id = self._generation, self.filing_id
        show_in(self.message, "")
        if filing_id is None:
            self.client_id = None
            self._show([], "Select a filing to see its documents.")
            return

        def load(wctx: Context) -> tuple[dict[str, Any], list[dict[str, Any]]]:
            return get_filing(wctx, filing_id), filing_documents(wctx, filing_id)

        run_operation(
            self.ctx,
            load,
            owner=self,
            on_done=lambda result: self._loaded(generation, *result),
            on_error=lambda error: show_in(self.message, error.message),
        )

    def _loaded(self, generation: int, filing: dict[str, Any], rows: list[dict[str, Any]]) -> None:
        if generation != self._generation:
            return
        self.client_id = filing["client_id"]
        what = f"{filing.get('filing_type_name') or 'Filing'} {filing.get('period_label') or ''}"
        count = len(rows)
        self._show(rows, f"{what.strip()}: {count} document{'' if count == 1 else 's'} attached")

    def _show(self, rows: list[dict[str, Any]], heading: str) -> None:
        selected = self.selected_document()
        self.attached = rows
        self.heading.setText(heading)
        self.list.clear()
        for row in rows:
            item = QListWidgetItem(f"{row['title']}  ·  {code_label(row.get('status'))}")
            item.setData(_ID, row["id"])
            self.list.addItem(item)
            if row["id"] == selected:
                self.list.setCurrentItem(item)
        if self.list.currentItem() is None and self.document is not None:
            self.document.show_document(None)
        self._update_buttons()

    def selected_document(self) -> int | None:
        item = self.list.currentItem()
        return None if item is None else item.data(_ID)

    def _document_selected(self, *_args: Any) -> None:
        self._update_buttons()
        if self.document is not None and self.selected_document() != self.document.document_id:
            self.document.show_document(self.selected_document())

    def _update_buttons(self) -> None:
        self.attach_button.setEnabled(self.filing_id is not None)
        self.detach_button.setEnabled(self.selected_document() is not None)

    # -- attach / detach ----------------------------------------------------------------------

    def _pick(self, choices: list[tuple[str, int]]) -> int | None:
        picker = DocumentPicker(choices, self)
        return picker.chosen() if picker.exec() == QDialog.DialogCode.Accepted else None

    def attach(self) -> None:
        filing_id, client_id = self.filing_id, self.client_id
        if filing_id is None or client_id is None:
            return
        attached = {row["id"] for row in self.attached}

        def chosen(choices: list[tuple[str, int]]) -> None:
            document_id = self.pick([c for c in choices if c[1] not in attached])
            if document_id is None:
                return
            run_operation(
                self.ctx,
                lambda wctx: attach_document(wctx, filing_id, document_id),
                owner=self,
                on_done=lambda _none: self.changed.emit(),
                on_error=lambda error: show_in(self.message, error.message),
            )

        run_operation(
            self.ctx,
            lambda wctx: document_choices(wctx, client_id),
            owner=self,
            on_done=chosen,
            on_error=lambda error: show_in(self.message, error.message),
        )

    def detach_selected(self) -> None:
        filing_id, document_id = self.filing_id, self.selected_document()
        if filing_id is None or document_id is None:
            return
        run_operation(
            self.ctx,
            lambda wctx: detach_document(wctx, filing_id, document_id),
            owner=self,
            on_done=lambda _none: self.changed.emit(),
            on_error=lambda error: show_in(self.message, error.message),
        )
