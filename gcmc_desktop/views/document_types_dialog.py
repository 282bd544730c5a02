"""Document types admin: the firm's catalogue of document types in a table (loaded in the
background), with Add…, Edit… and Delete for roles whose `documents` permissions allow them.

The edit form is a `RecordDialog` (see `client_dialog.py`): validation messages sit next to
their fields, other errors (a duplicate name in the category, a stale edit) show in its banner,
and nothing typed is lost. Delete first checks whether documents still use the type: if they
do, the message says by how many (and which) and no "cannot be undone" question is asked for a
delete that would be refused anyway.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..services.catalog import AUTHORITIES, AUTHORITY_NAMES, DOCUMENT_CATEGORIES
from ..services.context import Context
from ..services.document_types import (
    create_document_type,
    delete_document_type,
    document_type_values,
    get_document_type,
    in_use_error,
    list_document_types,
    update_document_type,
)
from ..services.errors import ServiceError
from .client_dialog import BANNER_STYLE, RecordDialog, combo
from .clients_page import confirm_delete
from .kit.bus import change_bus
from .kit.operations import run_operation

Confirm = Callable[[QWidget, str, str], bool]

COLUMNS = ("Name", "Category", "Authority", "Tags", "Description")
FIELD_LABELS: dict[str, str] = {
    "name": "Name *",
    "category": "Category *",
    "authority": "Authority",
    "tags": "Tags",
    "description": "Description",
}


def category_label(category: str | None) -> str:
    """ "compliance_certificate" -> "Compliance certificate"."""
    return (category or "").replace("_", " ").capitalize()


def tags_text(tags: Any) -> str:
    """Tags as the form shows them: comma-separated."""
    if not tags:
        return ""
    if isinstance(tags, str):
        return tags
    return ", ".join(str(tag) for tag in tags)


def type_snapshot(doc_type: Any) -> dict[str, Any]:
    """The row's values as the form and the table use them (tags as text)."""
    values = document_type_values(doc_type)
    values["tags"] = tags_text(values.get("tags"))
    return values


class DocumentTypeForm(RecordDialog):
    """Create (`type_id` None) or edit one document type."""

    noun = "document type"
    entity = "document_type"

    def __init__(
        self, ctx: Context, type_id: int | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(ctx, type_id, parent)
        name = self.add_field("name", FIELD_LABELS["name"], QLineEdit())
        name.setPlaceholderText("e.g. TIN certificate")
        self.add_field(
            "category",
            FIELD_LABELS["category"],
            combo([("Choose…", None), *((category_label(c), c) for c in DOCUMENT_CATEGORIES)]),
        )
        authority = self.add_field(
            "authority",
            FIELD_LABELS["authority"],
            combo([("", None), *((a, a) for a in AUTHORITIES)]),
        )
        for index, code in enumerate(AUTHORITIES, start=1):
            authority.setItemData(
                index, AUTHORITY_NAMES.get(code, code), Qt.ItemDataRole.ToolTipRole
            )
        tags = self.add_field("tags", FIELD_LABELS["tags"], QLineEdit())
        tags.setPlaceholderText("Comma-separated, e.g. tax, annual")
        description = self.add_field("description", FIELD_LABELS["description"], QPlainTextEdit())
        description.setTabChangesFocus(True)
        description.setFixedHeight(80)
        self.setMinimumWidth(480)
        self.start()

    def load_record(self, ctx: Context, record_id: int) -> dict[str, Any]:
        return type_snapshot(get_document_type(ctx, record_id))

    def create_record(self, ctx: Context, values: dict[str, Any]) -> dict[str, Any]:
        return type_snapshot(create_document_type(ctx, values))

    def update_record(
        self, ctx: Context, record_id: int, values: dict[str, Any], expected: datetime | None
    ) -> dict[str, Any]:
        return type_snapshot(update_document_type(ctx, record_id, values, expected))

    def show_field_errors(self, errors: dict[str, str]) -> None:
        # The service lists the stored values; people pick from the combos' labels.
        friendly = dict(errors)
        if "category" in friendly:
            friendly["category"] = "Choose a category."
        if "authority" in friendly:
            friendly["authority"] = "Choose an authority from the list, or leave it empty."
        super().show_field_errors(friendly)
        self._fit()

    def show_banner(self, message: str) -> None:
        super().show_banner(message)
        self._fit()

    def _fit(self) -> None:
        """Grow (never shrink) to the height the messages now need, so they don't squeeze the
        fields and buttons together."""
        layout = self.layout()
        layout.activate()
        needed = (
            layout.totalHeightForWidth(self.width())
            if layout.hasHeightForWidth()
            else layout.totalSizeHint().height()
        )
        if needed > self.height():
            self.resize(self.width(), needed)

    def _show_conflict(self, theirs: dict[str, Any]) -> None:
        # The conflict carries the raw row: show (and take) its tags as text like the form.
        super()._show_conflict({**theirs, "tags": tags_text(theirs.get("tags"))})


class DocumentTypesDialog(QDialog):
    """The document types admin; the list refreshes itself when the change bus reports a type
    added, edited or deleted (here or on another workstation)."""

    LISTENS_TO = frozenset({"document_type"})

    loaded = Signal()

    def __init__(
        self, ctx: Context, parent: QWidget | None = None, *, confirm: Confirm | None = None
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        # Injectable, so tests never block on a modal box; its default answer is Cancel.
        self.confirm: Confirm = confirm or confirm_delete
        self.form: DocumentTypeForm | None = None  # the open form, if any
        self.last_form: DocumentTypeForm | None = None
        self.rows: list[dict[str, Any]] = []
        self.is_loading = False
        self.busy = False
        self._select_after_load: int | None = None
        self.setWindowTitle("Document types")

        intro = QLabel("The kinds of document the firm keeps for its clients.")
        intro.setWordWrap(True)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setStyleSheet(BANNER_STYLE)
        self.message.setAccessibleName("Error message")
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message.hide()

        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        for column in range(len(COLUMNS) - 1):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(len(COLUMNS) - 1, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.table.doubleClicked.connect(lambda _index: self.edit_selected())

        self.add_button = QPushButton("Add…")
        self.edit_button = QPushButton("Edit…")
        self.delete_button = QPushButton("Delete")
        self.close_button = QPushButton("Close")
        self.add_button.setVisible(ctx.can("documents", "create"))
        self.edit_button.setVisible(ctx.can("documents", "edit"))
        self.delete_button.setVisible(ctx.can("documents", "delete"))
        self.add_button.clicked.connect(self.add_type)
        self.edit_button.clicked.connect(self.edit_selected)
        self.delete_button.clicked.connect(self.delete_selected)
        self.close_button.clicked.connect(self.accept)
        for button in (self.add_button, self.edit_button, self.delete_button):
            button.setAutoDefault(False)
        self.status = QLabel()
        self.status.setStyleSheet("color: palette(mid);")

        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.edit_button)
        buttons.addWidget(self.delete_button)
        buttons.addSpacing(12)
        buttons.addWidget(self.status, 1)
        buttons.addWidget(self.close_button)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.message)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        self.resize(820, 440)
        self._update_buttons()
        change_bus().subscribe(self, self.LISTENS_TO, lambda _changes: self.refresh())
        self.refresh()

    # -- loading ------------------------------------------------------------------------------

    def refresh(self, select_id: int | None = None) -> None:
        """Reload the table in the background, then select `select_id` (or keep the
        current selection)."""
        self._select_after_load = select_id if select_id is not None else self.selected_id()
        self.is_loading = True
        self.status.setText("Loading…")
        self._update_buttons()
        run_operation(
            self.ctx,
            lambda wctx: [type_snapshot(t) for t in list_document_types(wctx)],
            owner=self,
            on_done=self._loaded,
            on_error=self._load_failed,
        )

    def _loaded(self, rows: list[dict[str, Any]]) -> None:
        self.is_loading = False
        self.rows = rows
        self.table.setRowCount(len(rows))
        for row, values in enumerate(rows):
            cells = (
                values["name"],
                category_label(values["category"]),
                values.get("authority") or "",
                values.get("tags") or "",
                (values.get("description") or "").replace("\n", " "),
            )
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if column == 0:
                    item.setData(Qt.ItemDataRole.UserRole, values["id"])
                if column == 2 and text:
                    item.setToolTip(AUTHORITY_NAMES.get(text, text))
                if column == 4 and values.get("description"):
                    item.setToolTip(values["description"])
                self.table.setItem(row, column, item)
        self.table.clearSelection()
        if self._select_after_load is not None:
            self.select_id(self._select_after_load)
        self.status.setText(
            "No document types yet." if not rows else f"{len(rows)} document type(s)"
        )
        self._update_buttons()
        self.loaded.emit()

    def _load_failed(self, error: ServiceError) -> None:
        self.is_loading = False
        self.status.clear()
        self.show_message(error.message)
        self._update_buttons()

    # -- selection ----------------------------------------------------------------------------

    def type_names(self) -> list[str]:
        """The names in the table, top to bottom."""
        return [values["name"] for values in self.rows]

    def row_of(self, type_id: int) -> int:
        for row, values in enumerate(self.rows):
            if values["id"] == type_id:
                return row
        return -1

    def select_id(self, type_id: int) -> bool:
        row = self.row_of(type_id)
        if row < 0:
            return False
        self.table.selectRow(row)
        return True

    def selected_id(self) -> int | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        item = self.table.item(rows[0].row(), 0)
        return None if item is None else item.data(Qt.ItemDataRole.UserRole)

    def _update_buttons(self) -> None:
        has_selection = self.selected_id() is not None and not self.is_loading
        self.edit_button.setEnabled(has_selection and not self.busy)
        self.delete_button.setEnabled(has_selection and not self.busy)

    # -- messages -----------------------------------------------------------------------------

    def show_message(self, text: str) -> None:
        self.message.setText(text)
        self.message.show()

    def clear_message(self) -> None:
        self.message.clear()
        self.message.hide()

    def message_text(self) -> str:
        """The visible message ("" if none) — for tests and accessibility."""
        return self.message.text() if self.message.isVisible() else ""

    # -- actions ------------------------------------------------------------------------------

    def add_type(self) -> DocumentTypeForm | None:
        """Open the form for a new type (window-modal, not blocking); None without permission."""
        if not self.ctx.can("documents", "create"):
            return None
        return self._open_form(None)

    def edit_selected(self) -> DocumentTypeForm | None:
        type_id = self.selected_id()
        if type_id is None or not self.ctx.can("documents", "edit"):
            return None
        return self._open_form(type_id)

    def _open_form(self, type_id: int | None) -> DocumentTypeForm:
        if self.form is not None:  # one form at a time
            self.form.raise_()
            return self.form
        self.clear_message()
        if self.last_form is not None:  # the previous, closed form: kept until now for tests
            self.last_form.deleteLater()
        form = DocumentTypeForm(self.ctx, type_id, self)
        self.last_form = form
        form.saved.connect(self._form_saved)
        form.finished.connect(lambda _result: self._form_closed(form))
        self.form = form
        form.open()
        return form

    def _form_saved(self, type_id: int) -> None:
        self.refresh(select_id=type_id)

    def _form_closed(self, form: DocumentTypeForm) -> None:
        if self.form is form:
            self.form = None

    def delete_selected(self) -> None:
        """Check that no document uses the selected type, then ask, then delete it in the
        background. A type still in use is not offered for deletion: the message says how
        many documents (and which) use it."""
        type_id = self.selected_id()
        if type_id is None or self.busy or not self.ctx.can("documents", "delete"):
            return
        self.clear_message()
        self.busy = True
        self.status.setText("Checking…")
        self._update_buttons()

        def usage(wctx: Context) -> str | None:
            blocked = in_use_error(wctx, get_document_type(wctx, type_id))
            return None if blocked is None else blocked.message

        run_operation(
            self.ctx,
            usage,
            owner=self,
            on_done=lambda blocked: self._usage_checked(type_id, blocked),
            on_error=self._delete_failed,
        )

    def _usage_checked(self, type_id: int, blocked: str | None) -> None:
        self.busy = False
        self.status.clear()
        self._update_buttons()
        if blocked is not None:
            self.show_message(blocked)
            return
        row = self.row_of(type_id)
        if row < 0:
            return
        name = self.rows[row]["name"]
        if not self.confirm(self, "Delete document type", f'Delete document type "{name}"?'):
            return
        self.busy = True
        self.status.setText("Deleting…")
        self._update_buttons()
        run_operation(
            self.ctx,
            lambda wctx: delete_document_type(wctx, type_id),
            owner=self,
            on_done=lambda _result: self._deleted(),
            on_error=self._delete_failed,
            description="Deleting document type…",
        )

    def _deleted(self) -> None:
        self.busy = False
        self.table.clearSelection()
        self.refresh()

    def _delete_failed(self, error: ServiceError) -> None:
        self.busy = False
        self.status.clear()
        self.show_message(error.message)
        self._update_buttons()
