"""The one list page: a domain's records in the generic paged table, described by a `ListSpec`.

A spec says what the list shows (the service's `PagedQuery`, column widths and labels), how it is
narrowed (search, filters — fixed choices or loaded from the database), what the user can do
(New / Edit through the record dialog's spec, Delete with what it takes along, Open), which entity
types it listens to on the change bus, and where its header layout is remembered. `ListPage` does
the rest the same way for every domain: background queries, the count, a kept selection,
permission-aware buttons, keyboard use (Enter opens or edits, Delete deletes), messages in a
banner, and an optional detail pane beside the table.

A domain page is therefore a few lines of data; a page that needs more (documents take dropped
files) subclasses `ListPage` and adds only that.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import (
    QByteArray,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QAction,
    QBrush,
    QColor,
    QFont,
    QIcon,
    QKeySequence,
    QPainter,
    QPen,
    QPixmap,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ... import settings as app_settings
from ...services.context import Context
from ...services.errors import ServiceError
from ...services.paging import PagedQuery
from ..table_model import PagedTableModel, fit_columns_on_load
from ..workers import Job
from .bus import change_bus
from .export import ExportBar, ExportPath, ask_export_path, cancel_export, start_export
from .messages import banner, show_in, shown_text
from .operations import run_operation
from .questions import RESTORABLE, Confirm, ask_yes_no, confirm_delete
from .record_dialog import RecordDialog, RecordSpec
from .selection import keep_selection

Scope = Mapping[str, Any]
FILTER_MAX_WIDTH = 220
Choices = Sequence[tuple[str, Any]]


@dataclass(frozen=True)
class FilterSpec:
    """A drop-down that narrows the list: `key` is the query's filter, `all_label` the first
    entry (no filter). Its choices are fixed, or `load(ctx)` reads them in the background. A
    choice whose value is a mapping sets several of the query's filters at once (e.g. "Overdue"
    = {"overdue": True}, "Due within 7 days" = {"due_within_days": 7}); `key` then only names
    the drop-down."""

    key: str
    all_label: str
    name: str
    choices: Choices = ()
    load: Callable[[Context], Choices] | None = None


@dataclass(frozen=True)
class DeleteSpec:
    """Deleting a row: `delete(ctx, id)`. `impact(ctx, id)` runs first (in the background) and
    returns what else goes with it ("This also deletes 2 businesses.") or raises a ServiceError
    (e.g. still in use), shown instead of the question."""

    delete: Callable[[Context, int], None]
    impact: Callable[[Context, int], str] | None = None
    # The record goes to Deleted items (services/trash.py): the question says it can be restored.
    restorable: bool = False


@dataclass(frozen=True)
class ActionSpec:
    """A domain's own button on its list page: `run(page)` when clicked. Shown when the role
    may do `permission` in the spec's module (None: always); `needs_selection` enables it only
    with a row selected; `shortcut` (e.g. "Alt+Up") works while the list has the focus."""

    label: str
    run: Callable[[ListPage], None]
    permission: str | None = None
    needs_selection: bool = False
    tooltip: str = ""
    shortcut: str = ""
    # Enabled with one row selected or several (a list with `several` selection): the action
    # reads `page.selected_ids()`.
    several: bool = False
    # Shown only when `visible(ctx)` also holds (e.g. not while working offline).
    visible: Callable[[Context], bool] | None = None


@dataclass(frozen=True)
class ListSpec:
    """Everything a list page of one domain needs.

    `query(ctx, scope)` builds the list's PagedQuery; `scope` is what the page is narrowed to
    (e.g. {"client_id": 7} in a client workspace). `module` is the permission module the
    buttons ask about. `opens(ctx, id)` turns a row into what `opened` reports (run in the
    background when it needs the database), with `open_label` its button; without it, Enter
    or a double click edits. `hidden(scope)` names the columns a scoped page hides."""

    noun: str
    plural: str
    module: str
    query: Callable[[Context, Scope], PagedQuery]
    listens_to: frozenset[str]
    record: RecordSpec | None = None
    delete: DeleteSpec | None = None
    search_hint: str = ""
    filters: tuple[FilterSpec, ...] = ()
    widths: Mapping[str, int] = field(default_factory=dict)
    labels: Mapping[str, Callable[[Any], str]] = field(default_factory=dict)
    sort: str = "name"
    descending: bool = False  # the list starts newest (largest) first; the query must agree
    new_label: str = ""
    open_label: str | None = None
    opens: Callable[[Context, int], int] | None = None
    opens_directly: bool = True  # `opens` needs no database (the row id is the answer)
    hidden: Callable[[Scope], Iterable[str]] = lambda _scope: ()
    state_key: str | None = None  # QSettings key of the header layout
    model: type[PagedTableModel] | None = None
    alternating_rows: bool = True
    fit_columns: bool = False
    name_key: str = "name"  # the column that names a row in questions
    # Rows to highlight: `tint(row values)` names a state, `tints` its colour and `tint_labels`
    # its tooltip (overdue, due within 7 days).
    tint: Callable[[Mapping[str, Any]], str | None] | None = None
    tints: Mapping[str, QColor] = field(default_factory=dict)
    tint_labels: Mapping[str, str] = field(default_factory=dict)
    # Rows to show in bold: `bold(row values)` (conversations with unread messages).
    bold: Callable[[Mapping[str, Any]], bool] | None = None
    actions: tuple[ActionSpec, ...] = ()
    # Several rows may be selected at once (Ctrl/Shift-click) for the actions marked `several`;
    # Edit, Delete and Open still act on one row.
    several: bool = False
    # A mark on some rows (an icon in the first column and a tooltip): `marks(ctx, ids)` is
    # asked in the background for the ids of each page of rows that arrives and returns
    # {id: tooltip text} for the rows to mark (clients checked out for offline review).
    marks: Callable[[Context, list[Any]], Mapping[Any, str]] | None = None
    # The permission action a button needs where the module names it otherwise (rule sets are
    # created and deleted with `compliance:edit`): {"create": "edit", "delete": "edit"}.
    grants: Mapping[str, str] = field(default_factory=dict)


def count_text(n: int, noun: str, plural: str) -> str:
    return f"{n:,} {noun if n == 1 else plural}"


_DISPLAY = Qt.ItemDataRole.DisplayRole.value
_BACKGROUND = Qt.ItemDataRole.BackgroundRole.value
_TOOLTIP = Qt.ItemDataRole.ToolTipRole.value
_FONT = Qt.ItemDataRole.FontRole.value
_USER = Qt.ItemDataRole.UserRole.value
_DECORATION = Qt.ItemDataRole.DecorationRole.value


def mark_icon() -> QIcon:
    """The marked-row icon: a small padlock, drawn (no icon theme is needed)."""
    pixmap = QPixmap(16, 16)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    colour = QColor("#1f5fa8")
    pen = QPen(colour, 1.8)
    painter.setPen(pen)
    painter.drawArc(4, 1, 8, 9, 0, 180 * 16)
    painter.drawLine(4, 5, 4, 8)
    painter.drawLine(12, 5, 12, 8)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(colour)
    painter.drawRoundedRect(2, 7, 12, 8, 2, 2)
    painter.end()
    return QIcon(pixmap)


class LabelledTableModel(PagedTableModel):
    """The paged model, showing stored codes in the spec's `labels` columns as labels,
    tinting the rows its `tint` picks out and putting those its `bold` picks in bold."""

    def __init__(
        self,
        *args: Any,
        labels: Mapping[str, Callable[[Any], str]],
        spec: ListSpec | None = None,
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        keys = [column.key for column in self.query.columns]
        self._labels = {keys.index(k): fn for k, fn in labels.items() if k in keys}
        self._spec = spec
        self._states: dict[Any, str | None] = {}
        self.modelReset.connect(self._states.clear)
        self._marks: dict[Any, str] = {}
        self._mark_icon: QIcon | None = None

    def set_marks(self, asked: Iterable[Any], marks: Mapping[Any, str]) -> None:
        """The answer of the spec's `marks` for the ids `asked`: those in `marks` are marked,
        the others no longer."""
        for ident in asked:
            self._marks.pop(ident, None)
        self._marks.update(marks)
        if self.rowCount():
            self.dataChanged.emit(
                self.index(0, 0),
                self.index(self.rowCount() - 1, self.columnCount() - 1),
                [_DECORATION, _TOOLTIP],
            )

    def mark(self, row_id: Any) -> str | None:
        """The mark's text of the row showing `row_id` (None: not marked)."""
        return self._marks.get(row_id)

    def row_state(self, row: int) -> str | None:
        spec = self._spec
        if spec is None or spec.tint is None:
            return None
        row_id = self.row_id(row)
        if row_id not in self._states:
            self._states[row_id] = spec.tint(self.row_values(row))
        return self._states[row_id]

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = _DISPLAY) -> Any:
        if role in (_DECORATION, _TOOLTIP) and index.isValid() and self._marks:
            text = self._marks.get(self.row_id(index.row()))
            if text is not None and role == _TOOLTIP:
                return text
            if text is not None and index.column() == 0:
                if self._mark_icon is None:
                    self._mark_icon = mark_icon()
                return self._mark_icon
        if role == _BACKGROUND and index.isValid() and self._spec is not None:
            colour = self._spec.tints.get(self.row_state(index.row()) or "")
            return QBrush(colour) if colour is not None else None
        if role == _TOOLTIP and index.isValid() and self._spec is not None:
            return self._spec.tint_labels.get(self.row_state(index.row()) or "")
        if role == _FONT and index.isValid() and self._spec is not None and self._spec.bold:
            if not self.row_loaded(index.row()) or not self._spec.bold(
                self.row_values(index.row())
            ):
                return None
            font = QFont()
            font.setBold(True)
            return font
        value = super().data(index, role)
        if role == _DISPLAY and index.column() in self._labels and value:
            return self._labels[index.column()](super().data(index, _USER))
        return value


def list_table(model: PagedTableModel, *, alternating: bool = True) -> QTableView:
    """A read-only, row-selecting, sortable table as every list uses it."""
    view = QTableView()
    view.setModel(model)
    # A new order or filter starts at the top. The view would clamp its scroll position only at
    # its next delayed layout, and a first page that arrives before that lands at the old place.
    model.modelReset.connect(view.scrollToTop)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(alternating)
    view.verticalHeader().setVisible(False)
    view.verticalHeader().setDefaultSectionSize(24)
    header = view.horizontalHeader()
    header.setSectionsMovable(True)
    header.setStretchLastSection(True)
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    return view


class ListPage(QWidget):
    """A list of `spec`'s records. `opened(id)` asks the main window to open what a row stands
    for (a client's workspace). It refreshes itself whenever the change bus reports one of the
    spec's entity types changed — here, in another tab, or on another workstation."""

    opened = Signal(int)
    loaded = Signal()  # a page of rows is shown (the first, or one more)
    exported = Signal(str)  # an export finished: the file's path

    def __init__(
        self,
        ctx: Context,
        spec: ListSpec,
        parent: QWidget | None = None,
        *,
        detail: QWidget | None = None,
        **scope: Any,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.spec = spec
        self.scope: dict[str, Any] = scope
        # Injectable, so tests and scripted use never block on a modal box.
        self.confirm: Confirm = confirm_delete
        self.question: Confirm = ask_yes_no  # questions that are not about deleting
        self.export_path: ExportPath = ask_export_path  # (page, suggested) -> path or None
        self.export_job: Job | None = None
        self.dialog: RecordDialog | None = None
        self.detail = detail

        query = spec.query(ctx, scope)
        # No Qt parent: Python owns the model, so a page job still running when this widget
        # closes keeps it alive instead of calling into a deleted one.
        if spec.model is not None:
            self.model = spec.model(query, ctx)
        elif (
            spec.labels or spec.tint is not None or spec.bold is not None or spec.marks is not None
        ):
            self.model = LabelledTableModel(query, ctx.reading, labels=spec.labels, spec=spec)
        else:
            self.model = PagedTableModel(query, ctx.reading)
        self.table = list_table(self.model, alternating=spec.alternating_rows)
        if spec.several:
            self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self._marks_asked: set[Any] = set()
        for key, width in spec.widths.items():
            self.table.setColumnWidth(query.column_index(key), width)
        for key in spec.hidden(scope):
            self.table.setColumnHidden(query.column_index(key), True)
        # The indicator first: enabling sorting sorts by it at once, and it matches the query's
        # own order, so no second query runs.
        self.table.horizontalHeader().setSortIndicator(
            query.column_index(spec.sort),
            Qt.SortOrder.DescendingOrder if spec.descending else Qt.SortOrder.AscendingOrder,
        )
        self.table.setSortingEnabled(True)
        if spec.fit_columns:
            fit_columns_on_load(self.table, self.model)

        self.search = QLineEdit()
        self.search.setPlaceholderText(spec.search_hint)
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumWidth(240)
        self.search.setVisible(bool(spec.search_hint))
        self.filters: dict[str, QComboBox] = {f.key: self._filter_box(f) for f in spec.filters}

        self.new_button = QPushButton(spec.new_label or f"New {spec.noun}…")
        self.edit_button = QPushButton("Edit…")
        self.delete_button = QPushButton("Delete…")
        self.open_button = QPushButton(spec.open_label or "Open")
        self.new_button.setToolTip(f"New {spec.noun} (Ctrl+N)")
        self.open_button.setToolTip(f"Open the {spec.noun} (Enter)")
        self.export_button = QPushButton("Export…")
        self.export_button.setAutoDefault(False)
        self.export_button.setToolTip(
            f"Save the {spec.plural} this list shows as a CSV or Excel file (Ctrl+E)"
        )
        self.export_bar = ExportBar()
        self.count_label = QLabel("Loading…")
        self.message = banner()
        self.status = QLabel()
        self.status.setWordWrap(True)

        self.toolbar = QHBoxLayout()
        self.toolbar.addWidget(self.search, 2)
        for box in self.filters.values():
            self.toolbar.addWidget(box)
        self.toolbar.addSpacing(12)
        self.actions_bar = QHBoxLayout()
        for button in (self.new_button, self.edit_button, self.delete_button, self.open_button):
            self.actions_bar.addWidget(button)
        self.actions_bar.addWidget(self.export_button)
        self.extra_buttons: dict[str, QPushButton] = {}
        for action_spec in spec.actions:
            button = QPushButton(action_spec.label)
            button.setToolTip(action_spec.tooltip)
            button.setAutoDefault(False)
            allowed = action_spec.permission is None or self.can(action_spec.permission)
            allowed = allowed and (action_spec.visible is None or action_spec.visible(ctx))
            button.setVisible(allowed)
            button.clicked.connect(lambda _checked=False, a=action_spec: a.run(self))
            if action_spec.shortcut and allowed:
                key = QAction(self.table)
                key.setShortcut(QKeySequence(action_spec.shortcut))
                key.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
                key.triggered.connect(lambda _c=False, b=button: b.isEnabled() and b.click())
                self.table.addAction(key)
                button.setToolTip(f"{action_spec.tooltip} ({action_spec.shortcut})".lstrip())
            self.extra_buttons[action_spec.label] = button
            self.actions_bar.addWidget(button)
        # With a domain's own buttons too, the buttons get a row of their own above the search
        # and filters: in one row they would be squeezed unreadable in a client's workspace.
        self.two_rows = bool(spec.actions)
        if self.two_rows:
            self.actions_bar.addStretch(1)
        else:
            self.toolbar.addLayout(self.actions_bar)
        if not spec.search_hint:
            self.toolbar.insertWidget(0, self.count_label, 1)
        self.footer = QHBoxLayout()
        if spec.search_hint:
            self.footer.addWidget(self.count_label)
        self.footer.addWidget(self.status, 1)
        self.footer.addWidget(self.export_bar)
        self.main_layout = QVBoxLayout(self)
        if self.two_rows:
            self.main_layout.addLayout(self.actions_bar)
        self.main_layout.addLayout(self.toolbar)
        self.main_layout.addWidget(self.message)
        if detail is None:
            self.main_layout.addWidget(self.table, 1)
        else:
            splitter = QSplitter(Qt.Orientation.Horizontal)
            splitter.addWidget(self.table)
            splitter.addWidget(detail)
            splitter.setStretchFactor(0, 3)
            splitter.setStretchFactor(1, 2)
            # Stretch factors apply only to extra space: start the list at about two thirds.
            splitter.setSizes([700, 300])
            self.main_layout.addWidget(splitter, 1)
        self.main_layout.addLayout(self.footer)

        # What the role may not do is not offered at all (the services check again).
        self.new_button.setVisible(spec.record is not None and self.can("create"))
        self.edit_button.setVisible(spec.record is not None and self.can("edit"))
        self.delete_button.setVisible(spec.delete is not None and self.can("delete"))
        self.open_button.setVisible(spec.opens is not None and spec.open_label is not None)
        # Ctrl+F and Ctrl+N belong to the main window (its Find / New actions call
        # focus_search() and new_record()): the same keys here would make them ambiguous.
        if spec.delete is not None and self.can("delete"):
            action = QAction(self.table)
            action.setShortcut(QKeySequence(QKeySequence.StandardKey.Delete))
            action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
            action.triggered.connect(self.delete_selected)
            self.table.addAction(action)

        self.search.textChanged.connect(self.model.set_search)
        self.search.returnPressed.connect(self.model.flush_search)
        for box in self.filters.values():
            box.currentIndexChanged.connect(self._apply_filters)
        self.new_button.clicked.connect(self.new_record)
        self.edit_button.clicked.connect(self.edit_selected)
        self.delete_button.clicked.connect(self.delete_selected)
        self.open_button.clicked.connect(self.open_selected)
        self.export_button.clicked.connect(lambda _checked=False: self.export())
        self.export_bar.cancel_button.clicked.connect(self.cancel_export)
        # Ctrl+E while the focus is anywhere in this page (one page of several in tabs each
        # answer only for themselves).
        export_key = QAction(self)
        export_key.setShortcut(QKeySequence("Ctrl+E"))
        export_key.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        export_key.triggered.connect(lambda _c=False: self.export())
        self.addAction(export_key)
        # `activated` is Enter/Return on a row and the platform's activating click (a double
        # click by default): listening to doubleClicked too would act twice.
        self.table.activated.connect(self._activated)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.model.modelReset.connect(self._update_actions)
        # A refresh (often another workstation's change) keeps the selected row, and with it
        # the detail pane; only a row that is gone empties the pane.
        keep_selection(self.table, self.model, on_lost=lambda: self._show_detail(None))
        # Model signals go to methods, not lambdas: Qt drops a method connection when this
        # widget is deleted, while the (Python-owned) model may still deliver a late page.
        self.model.totalChanged.connect(self._show_total)
        self.model.countFailed.connect(self._count_failed)
        self.model.modelReset.connect(self._model_reset)
        self.model.failed.connect(self.show_message)
        self.model.pageLoaded.connect(self._page_loaded)
        change_bus().subscribe(self, spec.listens_to, lambda _changes: self.refresh())
        self._restore_layout()
        self._update_actions()
        self.model.refresh()

    # -- building -----------------------------------------------------------------------------

    def can(self, action: str) -> bool:
        return self.ctx.can(self.spec.module, self.spec.grants.get(action, action))

    def _filter_box(self, spec: FilterSpec) -> QComboBox:
        box = QComboBox()
        box.addItem(spec.all_label, None)
        for label, value in spec.choices:
            box.addItem(label, value)
        box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        # Long choices (document type names) must not push the buttons off a 1280 px window;
        # the open list still shows them whole.
        box.setMaximumWidth(FILTER_MAX_WIDTH)
        box.view().setTextElideMode(Qt.TextElideMode.ElideNone)
        box.setAccessibleName(spec.name)
        if spec.load is not None:
            load = spec.load
            run_operation(
                self.ctx,
                load,
                owner=self,
                on_done=lambda items: self._filter_loaded(box, items),
                on_error=self._failed,
            )
        return box

    def _filter_loaded(self, box: QComboBox, items: Choices) -> None:
        for label, value in items:
            box.addItem(label, value)

    # -- layout memory ------------------------------------------------------------------------

    def header_state(self) -> bytes:
        """Column order, widths and sort, for QSettings."""
        return bytes(self.table.horizontalHeader().saveState().data())

    def restore_header_state(self, state: bytes) -> bool:
        return self.table.horizontalHeader().restoreState(QByteArray(state))

    @property
    def layout_key(self) -> str | None:
        """Where the header layout is kept: one per kind of scope (the firm's filings list and a
        client's Filings tab show different columns)."""
        key = self.spec.state_key
        if key is None or not self.scope:
            return key
        return f"{key}/{'+'.join(sorted(k for k in self.scope if k.endswith('_id')))}"

    def _restore_layout(self) -> None:
        key = self.layout_key
        if key is None:
            return
        state = app_settings.settings().value(key)
        if state:
            self.restore_header_state(bytes(state))
            hidden = set(self.spec.hidden(self.scope))
            for column, spec in enumerate(self.model.query.columns):
                self.table.setColumnHidden(column, spec.key in hidden)
        self._save_timer = QTimer(self)
        self._save_timer.setSingleShot(True)
        self._save_timer.setInterval(500)
        self._save_timer.timeout.connect(self.save_layout)
        header = self.table.horizontalHeader()
        for signal in (header.sectionMoved, header.sectionResized, header.sortIndicatorChanged):
            signal.connect(self._save_timer.start)

    def save_layout(self) -> None:
        key = self.layout_key
        if key is not None:
            app_settings.settings().setValue(key, QByteArray(self.header_state()))

    # -- public -------------------------------------------------------------------------------

    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def refresh(self) -> None:
        self.message.hide()
        self.model.refresh()

    def filter_box(self, key: str) -> QComboBox:
        return self.filters[key]

    def show_filtered(self, filters: Mapping[str, Any], label: str = "") -> None:
        """Show the list narrowed to the query `filters` (e.g. {"due_within_days": 0}) through
        its filter boxes, as if the user had picked them (a dashboard figure opening its list):
        each box takes the entry with that value, or a new entry `label` when it has none; the
        boxes `filters` does not mention go back to their "all" entry. A filter no box shows is
        an error."""
        wanted = dict(filters)
        picks: list[tuple[QComboBox, Any]] = []
        for spec in self.spec.filters:
            several = {k for _label, c in spec.choices if isinstance(c, Mapping) for k in c}
            if several:
                value = {k: wanted.pop(k) for k in list(wanted) if k in several} or None
            else:
                value = wanted.pop(spec.key, None)
            picks.append((self.filters[spec.key], value))
        if wanted:
            raise ValueError(f"no filter box shows {', '.join(sorted(wanted))}")
        for box, value in picks:
            index = next((i for i in range(box.count()) if box.itemData(i) == value), -1)
            if index < 0:
                box.addItem(label or str(value), value)
                index = box.count() - 1
            box.blockSignals(True)
            box.setCurrentIndex(index)
            box.blockSignals(False)
        self._apply_filters()

    def export(self, path: str | None = None) -> Job | None:
        """Export what the list shows (filters, search, sort, visible columns) to a file the
        user picks — or `path` — in the background; None if one is running or none was picked."""
        return start_export(self, path)

    def cancel_export(self) -> None:
        cancel_export(self)

    def selected_id(self) -> int | None:
        """The selected row's id; None with none, or with several selected."""
        rows = self.table.selectionModel().selectedRows()
        return self.model.row_id(rows[0].row()) if len(rows) == 1 else None

    def selected_ids(self) -> list[int]:
        """Every selected row's id, in the list's order."""
        rows = sorted(index.row() for index in self.table.selectionModel().selectedRows())
        return [i for i in (self.model.row_id(row) for row in rows) if i is not None]

    def select_id(self, record_id: int) -> bool:
        """Select the row of `record_id` if it is loaded."""
        row = self.model.row_of(record_id)
        if row is None:
            return False
        self.table.selectRow(row)
        return True

    def selected_values(self) -> dict[str, Any]:
        rows = self.table.selectionModel().selectedRows()
        return self.model.row_values(rows[0].row()) if rows else {}

    def show_message(self, message: str) -> None:
        show_in(self.message, message)

    def message_text(self) -> str:
        """The visible message ("" if none) — for tests and accessibility."""
        return shown_text(self.message)

    def new_record(self) -> RecordDialog | None:
        if self.spec.record is None or not self.can("create"):
            return None
        return self._open_dialog(None)

    def edit_selected(self) -> RecordDialog | None:
        record_id = self.selected_id()
        if record_id is None or self.spec.record is None or not self.can("edit"):
            return None
        return self._open_dialog(record_id)

    def open_selected(self) -> None:
        record_id = self.selected_id()
        if record_id is not None:
            self._open(record_id)

    def delete_selected(self) -> None:
        """Count what goes with the row (in the background), confirm, then delete."""
        record_id = self.selected_id()
        spec = self.spec.delete
        if record_id is None or spec is None or not self.can("delete"):
            return
        name = self.selected_values().get(self.spec.name_key) or f"this {self.spec.noun}"
        self.show_message("")
        self.delete_button.setEnabled(False)
        if spec.impact is None:
            self._confirm_delete(record_id, name, "")
            return
        impact = spec.impact
        run_operation(
            self.ctx,
            lambda wctx: impact(wctx, record_id),
            owner=self,
            on_done=lambda text: self._confirm_delete(record_id, name, text),
            on_error=self._failed,
        )

    # -- internals ----------------------------------------------------------------------------

    def _open_dialog(self, record_id: int | None) -> RecordDialog:
        if self.dialog is not None:  # one form at a time
            self.dialog.raise_()
            return self.dialog
        assert self.spec.record is not None
        dialog = RecordDialog(self.ctx, self.spec.record, record_id, self, scope=self.scope)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.destroyed.connect(lambda *_: setattr(self, "dialog", None))
        dialog.saved.connect(self._select_saved)
        self.dialog = dialog
        dialog.open()
        return dialog

    def _select_saved(self, record_id: int) -> None:
        # The bus refreshes the list; the record just saved is selected once its row is back.
        def on_page(_rows: int) -> None:
            row = self.model.row_of(record_id)
            if row is not None:
                self.table.selectRow(row)
            if row is not None or self.model.all_loaded:
                self.model.pageLoaded.disconnect(on_page)

        self.model.pageLoaded.connect(on_page)

    def _confirm_delete(self, record_id: int, name: str, impact: str) -> None:
        self._update_actions()
        question = f"Delete {self.spec.noun} {name}?"
        if impact:
            question += f" {impact}"
        if self.spec.delete is not None and self.spec.delete.restorable:
            question += f" {RESTORABLE}"
        if not self.confirm(self, f"Delete {self.spec.noun}", question):
            return
        spec = self.spec.delete
        assert spec is not None
        run_operation(
            self.ctx,
            lambda wctx: spec.delete(wctx, record_id),
            owner=self,
            on_done=lambda _none: self._update_actions(),
            on_error=self._failed,
            description=f"Deleting {self.spec.noun} {name}…",
        )

    def _failed(self, error: ServiceError) -> None:
        self._update_actions()
        self.show_message(error.message)

    def _apply_filters(self) -> None:
        filters: dict[str, Any] = {}
        for spec in self.spec.filters:
            value = self.filters[spec.key].currentData()
            several = [choice for _label, choice in spec.choices if isinstance(choice, Mapping)]
            if several:
                for choice in several:
                    filters.update(dict.fromkeys(choice))  # what another choice set, cleared
                filters.update(value or {})
            else:
                filters[spec.key] = value
        self.model.set_filters(filters)

    def _show_total(self, total: int) -> None:
        self.count_label.setToolTip("")
        self.count_label.setText(count_text(total, self.spec.noun, self.spec.plural))

    def _count_failed(self, _message: str) -> None:
        self.count_label.setText("Count unavailable")
        self.count_label.setToolTip(
            f"The {self.spec.plural} could not be counted in time; the list still loads as you "
            "scroll. Refresh (F5) counts again."
        )

    def _model_reset(self) -> None:
        self._marks_asked.clear()
        # After the reset has finished: a new filter clears the total, a new sort keeps it.
        QTimer.singleShot(0, self, self._show_count)

    def _show_count(self) -> None:
        total = self.model.total
        self.count_label.setToolTip("")
        self.count_label.setText(
            "Counting…" if total is None else count_text(total, self.spec.noun, self.spec.plural)
        )

    def _page_loaded(self, _rows: int) -> None:
        self.loaded.emit()
        if self.spec.marks is not None:
            self._ask_marks()

    def _ask_marks(self) -> None:
        """Ask the spec's `marks` about the loaded rows not asked yet (in the background)."""
        marks = self.spec.marks
        model = self.model
        if marks is None or not isinstance(model, LabelledTableModel):
            return
        ids = [i for i in model.loaded_ids() if i not in self._marks_asked]
        if not ids:
            return
        self._marks_asked.update(ids)
        run_operation(
            self.ctx,
            lambda wctx: marks(wctx, ids),
            owner=self,
            on_done=lambda found: model.set_marks(ids, found),
            on_error=lambda _error: None,  # no marks is better than a message about them
        )

    def refresh_marks(self) -> None:
        """Ask again about every loaded row (the marks changed, the rows did not)."""
        self._marks_asked.clear()
        self._ask_marks()

    def _activated(self, index: QModelIndex) -> None:
        if not index.isValid():
            return
        if self.spec.opens is not None:
            self._open(self.model.row_id(index.row()))
        elif self.spec.record is not None and self.can("edit"):
            self.edit_selected()

    def _open(self, record_id: int) -> None:
        opens = self.spec.opens
        if opens is None:
            return
        if self.spec.opens_directly:
            self.opened.emit(opens(self.ctx, record_id))
            return
        run_operation(
            self.ctx,
            lambda wctx: opens(wctx, record_id),
            owner=self,
            on_done=self.opened.emit,
            on_error=self._failed,
        )

    def _selection_changed(self, *_args: Any) -> None:
        self._update_actions()
        self._show_detail(self.selected_id())

    def _show_detail(self, record_id: int | None) -> None:
        show = getattr(self.detail, "show_record", None)
        if show is not None and record_id != getattr(self.detail, "record_id", object()):
            show(record_id)

    def _update_actions(self, *_args: Any) -> None:
        has = self.selected_id() is not None
        for button in (self.edit_button, self.delete_button, self.open_button):
            button.setEnabled(has)
        several = bool(self.selected_ids()) if self.spec.several else has
        for action_spec in self.spec.actions:
            if action_spec.needs_selection and action_spec.label in self.extra_buttons:
                enabled = several if action_spec.several else has
                self.extra_buttons[action_spec.label].setEnabled(enabled)


class ListWindow(QDialog):
    """A list page in a window of its own, for catalogues opened from the Edit menu (document
    types, filing types); `scope` narrows it as it does a ListPage."""

    def __init__(
        self,
        ctx: Context,
        spec: ListSpec,
        title: str,
        intro: str,
        parent: QWidget | None = None,
        **scope: Any,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        text = QLabel(intro)
        text.setWordWrap(True)
        self.page = ListPage(ctx, spec, self, **scope)
        self.close_button = QPushButton("Close")
        self.close_button.setAutoDefault(False)
        self.close_button.clicked.connect(self.accept)
        bottom = QHBoxLayout()
        bottom.addStretch(1)
        bottom.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addWidget(self.page, 1)
        layout.addLayout(bottom)
        self.resize(1000, 520)
