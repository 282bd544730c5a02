"""The Clients page: the tenant's clients in the generic paged table, with search, filters by
type / risk level / sector, and New / Edit / Delete / Open — each shown only when the role may.
All reads and writes go through the services in background jobs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QByteArray, QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ..services.catalog import CLIENT_TYPES, RISK_LEVELS, SECTORS
from ..services.client_list import client_list_query
from ..services.clients import delete_client, deletion_impact
from ..services.context import Context
from ..services.errors import ServiceError
from .client_dialog import BANNER_STYLE, ClientDialog
from .kit.bus import change_bus
from .kit.operations import run_operation
from .kit.questions import ask_to_proceed
from .kit.selection import keep_selection
from .table_model import PagedTableModel

ConfirmDelete = Callable[[QWidget, str, str], bool]


def deletion_message(name: str, impact_text: str) -> str:
    """ "Delete client X? This also deletes 2 businesses, 5 documents, 1 filing." """
    if impact_text == "nothing else":
        return f"Delete client {name}? Nothing else is attached to it."
    return f"Delete client {name}? This also deletes {impact_text}."


def confirm_delete(parent: QWidget, title: str, text: str) -> bool:
    """A warning box whose default (Enter) is Cancel: deleting takes a deliberate click."""
    return ask_to_proceed(parent, title, text, "This cannot be undone.", "Delete")


def count_text(n: int, noun: str = "client") -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


class ClientsPage(QWidget):
    """The clients list. `openClient(id)` asks the main window to open a client's workspace.
    It refreshes itself whenever the change bus reports a client changed — here, in another
    tab, or on another workstation."""

    LISTENS_TO = frozenset({"client"})

    openClient = Signal(int)

    def __init__(self, ctx: Context, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        # Injectable, so tests and scripted use never block on a modal box.
        self.confirm: ConfirmDelete = confirm_delete
        self.dialog: ClientDialog | None = None

        self.search = QLineEdit()
        self.search.setPlaceholderText("Search name, e-mail, TIN or NIS number  (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumWidth(280)
        self.type_filter = self._filter_combo("All types", CLIENT_TYPES)
        self.risk_filter = self._filter_combo("All risk levels", RISK_LEVELS)
        self.sector_filter = self._filter_combo("All sectors", SECTORS, capitalize=False)
        self.type_filter.setAccessibleName("Type filter")
        self.risk_filter.setAccessibleName("Risk level filter")
        self.sector_filter.setAccessibleName("Sector filter")

        self.new_button = QPushButton("New client…")
        self.edit_button = QPushButton("Edit…")
        self.delete_button = QPushButton("Delete…")
        self.open_button = QPushButton("Open")
        self.new_button.setToolTip("New client (Ctrl+N)")
        self.open_button.setToolTip("Open the client's workspace (Enter)")

        # No Qt parent: Python owns the model, so a page job still running when this
        # widget closes keeps it alive instead of calling into a deleted one.
        self.model = PagedTableModel(client_list_query(ctx), ctx.reading)
        change_bus().subscribe(self, self.LISTENS_TO, lambda _changes: self.refresh())
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(24)
        header = self.table.horizontalHeader()
        header.setSectionsMovable(True)
        header.setStretchLastSection(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for key, width in (
            ("name", 240),
            ("type", 100),
            ("email", 220),
            ("phone", 120),
            ("tin", 100),
            ("nis", 110),
            ("sector", 150),
            ("risk", 90),
        ):
            self.table.setColumnWidth(self.model.query.column_index(key), width)
        # The indicator first: enabling sorting sorts by it at once, and it matches the query's
        # own order, so no second query runs.
        header.setSortIndicator(self.model.query.column_index("name"), Qt.SortOrder.AscendingOrder)
        self.table.setSortingEnabled(True)

        self.count_label = QLabel("Loading…")
        self.message = QLabel()
        self.message.setStyleSheet(BANNER_STYLE)
        self.message.setWordWrap(True)
        self.message.hide()

        toolbar = QHBoxLayout()
        toolbar.addWidget(self.search, 1)
        for box in (self.type_filter, self.risk_filter, self.sector_filter):
            toolbar.addWidget(box)
        toolbar.addSpacing(12)
        for button in (self.new_button, self.edit_button, self.delete_button, self.open_button):
            toolbar.addWidget(button)
        footer = QHBoxLayout()
        footer.addWidget(self.count_label)
        footer.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(toolbar)
        layout.addWidget(self.message)
        layout.addWidget(self.table, 1)
        layout.addLayout(footer)

        # What the role may not do is not offered at all (the services check again).
        self.new_button.setVisible(ctx.can("clients", "create"))
        self.edit_button.setVisible(ctx.can("clients", "edit"))
        self.delete_button.setVisible(ctx.can("clients", "delete"))

        # Ctrl+F and Ctrl+N belong to the main window (its Find / New actions call
        # focus_search() and new_client()): the same keys here would make them ambiguous.
        if ctx.can("clients", "delete"):
            self._add_shortcut(QKeySequence.StandardKey.Delete, self.delete_selected, table=True)

        self.search.textChanged.connect(self.model.set_search)
        self.search.returnPressed.connect(self.model.flush_search)
        for box in (self.type_filter, self.risk_filter, self.sector_filter):
            box.currentIndexChanged.connect(self._apply_filters)
        self.new_button.clicked.connect(self.new_client)
        self.edit_button.clicked.connect(self.edit_selected)
        self.delete_button.clicked.connect(self.delete_selected)
        self.open_button.clicked.connect(self.open_selected)
        # `activated` is Enter/Return on a row and the platform's activating click (a double
        # click by default): listening to doubleClicked too would open the client twice.
        self.table.activated.connect(self._activated)
        self.table.selectionModel().selectionChanged.connect(self._update_actions)
        self.model.modelReset.connect(self._update_actions)
        keep_selection(self.table, self.model)
        self.model.totalChanged.connect(self._show_total)
        # After the reset has finished: a new filter clears the total, a new sort keeps it.
        self.model.modelReset.connect(self._model_reset)
        self.model.failed.connect(self.show_message)
        self._update_actions()
        self.model.refresh()

    # -- building -----------------------------------------------------------------------------

    def _filter_combo(
        self, all_label: str, values: tuple[str, ...], *, capitalize: bool = True
    ) -> QComboBox:
        box = QComboBox()
        box.addItem(all_label, None)
        for value in values:
            box.addItem(value.capitalize() if capitalize else value, value)
        box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        return box

    def _add_shortcut(
        self, keys: QKeySequence | QKeySequence.StandardKey, slot: Callable[[], Any], *, table=False
    ) -> None:
        action = QAction(self)
        action.setShortcut(QKeySequence(keys))
        action.setShortcutContext(
            Qt.ShortcutContext.WidgetShortcut
            if table
            else Qt.ShortcutContext.WidgetWithChildrenShortcut
        )
        action.triggered.connect(slot)
        (self.table if table else self).addAction(action)

    # -- public -------------------------------------------------------------------------------

    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def refresh(self) -> None:
        self.message.hide()
        self.model.refresh()

    def header_state(self) -> bytes:
        """Column order, widths and sort, for QSettings."""
        return bytes(self.table.horizontalHeader().saveState().data())

    def restore_header_state(self, state: bytes) -> bool:
        return self.table.horizontalHeader().restoreState(QByteArray(state))

    def selected_id(self) -> int | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        return self.model.row_id(rows[0].row())

    def selected_name(self) -> str:
        rows = self.table.selectionModel().selectedRows()
        return self.model.row_values(rows[0].row())["name"] if rows else ""

    def new_client(self) -> ClientDialog | None:
        if not self.ctx.can("clients", "create"):
            return None
        return self._open_dialog(None)

    def edit_selected(self) -> ClientDialog | None:
        client_id = self.selected_id()
        if client_id is None or not self.ctx.can("clients", "edit"):
            return None
        return self._open_dialog(client_id)

    def open_selected(self) -> None:
        client_id = self.selected_id()
        if client_id is not None:
            self.openClient.emit(client_id)

    def delete_selected(self) -> None:
        """Count what goes with the client (in the background), confirm, then delete."""
        client_id = self.selected_id()
        if client_id is None or not self.ctx.can("clients", "delete"):
            return
        name = self.selected_name()
        self.delete_button.setEnabled(False)
        run_operation(
            self.ctx,
            lambda wctx: deletion_impact(wctx, client_id).describe(),
            owner=self,
            on_done=lambda text: self._confirm_delete(client_id, name, text),
            on_error=self._failed,
        )

    def show_message(self, message: str) -> None:
        self.message.setText(message)
        self.message.setVisible(bool(message))

    # -- internals ----------------------------------------------------------------------------

    def _open_dialog(self, client_id: int | None) -> ClientDialog:
        dialog = ClientDialog(self.ctx, client_id, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.destroyed.connect(lambda *_: setattr(self, "dialog", None))
        self.dialog = dialog
        dialog.open()
        return dialog

    def _confirm_delete(self, client_id: int, name: str, impact_text: str) -> None:
        self._update_actions()
        if not self.confirm(self, "Delete client", deletion_message(name, impact_text)):
            return
        run_operation(
            self.ctx,
            lambda wctx: delete_client(wctx, client_id),
            owner=self,
            on_done=lambda _none: self._update_actions(),
            on_error=self._failed,
            description=f"Deleting client {name}…",
        )

    def _failed(self, error: ServiceError) -> None:
        self._update_actions()
        self.show_message(error.message)

    def _apply_filters(self) -> None:
        self.model.set_filters(
            {
                "type": self.type_filter.currentData(),
                "risk_level": self.risk_filter.currentData(),
                "sector": self.sector_filter.currentData(),
            }
        )

    def _show_total(self, total: int) -> None:
        self.count_label.setText(count_text(total))

    def _model_reset(self) -> None:
        QTimer.singleShot(0, self, self._show_count)

    def _show_count(self) -> None:
        total = self.model.total
        self.count_label.setText("Counting…" if total is None else count_text(total))

    def _activated(self, index: QModelIndex) -> None:
        if index.isValid():
            self.openClient.emit(self.model.row_id(index.row()))

    def _update_actions(self, *_args: Any) -> None:
        has = self.selected_id() is not None
        for button in (self.edit_button, self.delete_button, self.open_button):
            button.setEnabled(has)
