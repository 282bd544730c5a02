"""One open client (a tab of the main window): Overview, Businesses, Audit.

Every tab reads and writes through the services in background jobs; the lists are the generic
`PagedTableModel`."""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import QEvent, QSize, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QResizeEvent, QTextOption
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ..services.audit_trail import change_rows, client_audit_query
from ..services.changes import ChangeSet
from ..services.clients import get_client
from ..services.compliance_breakdown import breakdown_lines, format_line
from ..services.context import Context
from ..services.errors import ServiceError
from ..services.paging import format_date, format_value
from ..services.trash import ENTITY_MODULES, DeletedItem, deletable_entities, find_item, restore
from .businesses import BUSINESSES, status_label
from .client_tasks import ClientTasksTab
from .clients import CLIENT_NOTES_RECORD, CLIENT_RECORD
from .filing_documents import FilingDocumentsPane
from .filings import FILINGS
from .kit.bus import change_bus
from .kit.list_page import ListPage, list_table
from .kit.messages import banner, code_label, show_in
from .kit.operations import run_operation
from .kit.questions import ask_yes_no
from .kit.record_dialog import RecordDialog
from .messages import MessagesPage
from .recurring import RECURRING
from .table_model import PagedTableModel
from .trash import restore_question

OVERVIEW_FIELDS: tuple[tuple[str, str], ...] = (
    ("name", "Name"),
    ("type", "Type"),
    ("email", "E-mail"),
    ("phone", "Phone"),
    ("address", "Address"),
    ("tin", "TIN"),
    ("nis_number", "NIS number"),
    ("sector", "Sector"),
    ("risk_level", "Risk level"),
    ("notes", "Notes"),
    ("created_at", "Client since"),
    ("updated_at", "Last changed"),
)
CAPITALIZED = {"type", "risk_level"}
# Free text that may run to many lines: shown wrapped (anywhere, for unbroken strings) in a
# scrollable box instead of one label line.
MULTILINE = {"address", "notes"}
FIELD_TITLES: dict[str, str] = {
    **dict(OVERVIEW_FIELDS),
    "registration_number": "Registration no.",
    "registration_type": "Registration type",
    "incorporation_date": "Incorporated",
    "country": "Country",
    "status": "Status",
}
# Fields whose stored codes the audit pane shows as labels ("company" -> "Company").
CODED = {"type", "risk_level", "status", "category"}


class ElidedLabel(QLabel):
    """One line of text cut with "…" to the width it is given, the whole text in its tooltip,
    so a 10,000-character name cannot push its neighbours off screen. `max_width` caps the
    width it asks for."""

    def __init__(self, text: str = "", *, max_width: int | None = None) -> None:
        super().__init__()
        self._full = ""
        self._max_width = max_width
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        self.setText(text)

    def setText(self, text: str) -> None:
        self._full = text or ""
        self.updateGeometry()
        self._elide()

    def full_text(self) -> str:
        return self._full

    def sizeHint(self) -> QSize:
        margins = self.contentsMargins()
        width = self.fontMetrics().horizontalAdvance(self._full) + margins.left()
        width += margins.right() + 4
        if self._max_width is not None:
            width = min(width, self._max_width)
        return QSize(width, self.fontMetrics().height() + margins.top() + margins.bottom())

    def minimumSizeHint(self) -> QSize:
        hint = self.sizeHint()
        return QSize(
            min(hint.width(), self.fontMetrics().horizontalAdvance("M…") * 2), hint.height()
        )

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        width = max(self.contentsRect().width(), 0)
        shown = self.fontMetrics().elidedText(self._full, Qt.TextElideMode.ElideRight, width)
        super().setText(shown)
        self.setToolTip(self._full if shown != self._full else "")


class LongText(QPlainTextEdit):
    """Read-only text that wraps at word boundaries, or anywhere for an unbroken string, and
    scrolls past a few lines."""

    MAX_LINES = 8

    def __init__(self) -> None:
        super().__init__()
        self.setReadOnly(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setWordWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # it wraps
        self.viewport().setAutoFillBackground(False)
        self.setStyleSheet("QPlainTextEdit { background: transparent; }")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        # Flush with the one-line values above and below it.
        self.document().setDocumentMargin(0)
        self.document().contentsChanged.connect(self._fit)
        self._fit()

    def setText(self, text: str) -> None:
        self.setPlainText(text)

    def text(self) -> str:
        return self.toPlainText()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        # As tall as its wrapped lines, up to MAX_LINES; beyond that it scrolls.
        lines = max(1.0, self.document().documentLayout().documentSize().height())
        shown = min(lines, self.MAX_LINES)
        line = self.fontMetrics().lineSpacing()
        margins = self.contentsMargins()
        # A few pixels of slack: without them a one-line value already shows a scroll bar.
        height = int(shown * line) + 6
        self.setFixedHeight(height + margins.top() + margins.bottom())


def field_title(key: str) -> str:
    return FIELD_TITLES.get(key) or code_label(key) or key


# A before/after cell shows at most this much (a JSON value can be kilobytes); the whole value
# is in its tooltip, up to TOOLTIP_CHARS.
CELL_CHARS = 400
TOOLTIP_CHARS = 4000


def change_value(key: str, value: Any) -> str:
    """A before/after value in the audit pane: codes of vocabularies as labels, a compliance
    breakdown as its lines ("−15 PAYE March 2026 overdue"), never raw JSON for those."""
    if key in CODED and isinstance(value, str):
        return status_label(value) if key == "status" else code_label(value)
    if key == "breakdown" and isinstance(value, dict | list):
        lines = breakdown_lines(value, {})
        return "\n".join(format_line(points, text) for points, text in lines) or "No deductions"
    return _cell(value)


def _shortened(text: str) -> tuple[str, str]:
    """(what the cell shows, its tooltip): long values cut at CELL_CHARS."""
    if len(text) <= CELL_CHARS:
        return text, ""
    return text[: CELL_CHARS - 1].rstrip() + "…", text[:TOOLTIP_CHARS]


# -- overview ---------------------------------------------------------------------------------


class OverviewTab(QWidget):
    loaded = Signal(dict)
    editRequested = Signal()

    def __init__(self, ctx: Context, client_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.client_id = client_id
        self.values: dict[str, Any] = {}
        self.message = banner()
        self.heading = ElidedLabel()
        font = self.heading.font()
        font.setPointSizeF(font.pointSizeF() * 1.5)
        font.setBold(True)
        self.heading.setFont(font)
        offline = bool(getattr(ctx, "offline", False))
        self.edit_button = QPushButton("Edit notes…" if offline else "Edit client…")
        self.edit_button.setVisible(ctx.can("clients", "edit"))
        self.edit_button.clicked.connect(self.editRequested)
        self.cover_button = QPushButton("Cover sheet…")
        self.cover_button.setToolTip(
            "Print a cover sheet: scans behind it are filed to this client"
        )
        self.cover_button.setVisible(ctx.can("documents", "create"))
        self.cover_button.clicked.connect(self.cover_sheet)
        # Offline review (issue 18): check this client out; who has it checked out.
        from .offline import CheckoutBanner, may_check_out

        self.checkout_button = QPushButton("Check out for offline review…")
        self.checkout_button.setToolTip("Copy this client to this computer to work offline")
        self.checkout_button.setVisible(may_check_out(ctx))
        self.checkout_button.clicked.connect(self.check_out)
        self.checkout_dialog: QWidget | None = None
        self.checkout_banner = CheckoutBanner(ctx, client_id)
        self.checkout_banner.lockedChanged.connect(
            lambda locked: self.edit_button.setVisible(ctx.can("clients", "edit") and not locked)
        )
        self.labels: dict[str, QLabel | LongText] = {}
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        form.setHorizontalSpacing(16)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for key, title in OVERVIEW_FIELDS:
            label: QLabel | LongText
            if key in MULTILINE:
                label = LongText()
            else:
                label = ElidedLabel("…")
                label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            label.setObjectName(key)
            self.labels[key] = label
            form.addRow(f"{title}:", label)
        top = QHBoxLayout()
        top.addWidget(self.heading, 1)
        top.addWidget(self.checkout_button, 0, Qt.AlignmentFlag.AlignTop)
        top.addWidget(self.cover_button, 0, Qt.AlignmentFlag.AlignTop)
        top.addWidget(self.edit_button, 0, Qt.AlignmentFlag.AlignTop)
        # The fields scroll as a whole when long notes and a small window meet.
        body = QWidget()
        body_layout = QVBoxLayout(body)
        body_layout.setContentsMargins(0, 0, 0, 0)
        body_layout.addLayout(form)
        body_layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(body)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.checkout_banner)
        layout.addWidget(self.message)
        layout.addWidget(scroll, 1)

    def check_out(self) -> QWidget | None:
        from .offline import open_checkout

        name = str(self.values.get("name") or "")
        self.checkout_dialog = open_checkout(self, self.ctx, [self.client_id], [name])
        return self.checkout_dialog

    def cover_sheet(self) -> QWidget:
        from .cover_sheets import CoverSheetDialog

        name = str(self.values.get("name") or self.heading.text() or "")
        dialog = CoverSheetDialog(self.ctx, client=(name, self.client_id), parent=self)
        dialog.show()
        return dialog

    def refresh(self) -> None:
        client_id = self.client_id
        self.checkout_banner.refresh()
        run_operation(
            self.ctx,
            lambda wctx: get_client(wctx, client_id),
            owner=self,
            on_done=self._show,
            on_error=lambda e: show_in(self.message, e.message),
        )

    def _show(self, values: dict[str, Any]) -> None:
        self.values = values
        show_in(self.message, "")
        self.heading.setText(values.get("name") or "")
        for key, label in self.labels.items():
            value = values.get(key)
            if key == "created_at":
                text = format_date(value)
            elif key in CAPITALIZED and value:
                text = str(value).capitalize()
            else:
                text = format_value(value)
            label.setText(text or "—")
        self.loaded.emit(values)


# -- audit ------------------------------------------------------------------------------------


def _cell(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


class AuditChanges(QWidget):
    """One audit entry in words and its fields' before/after values (changed ones tinted): the
    pane under a client's trail and beside the firm's Audit page."""

    EMPTY = "Select an entry to see what changed."

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.detail = QTableWidget(0, 3)
        self.detail.setHorizontalHeaderLabels(["Field", "Before", "After"])
        self.detail.verticalHeader().setVisible(False)
        self.detail.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.detail.setWordWrap(True)
        dheader = self.detail.horizontalHeader()
        dheader.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        dheader.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        dheader.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.detail_title = QLabel(self.EMPTY)
        self.detail_title.setWordWrap(True)
        # Room for two lines: a long entry wraps in a narrow pane instead of being cut.
        self.detail_title.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.detail_title.setMinimumHeight(self.detail_title.fontMetrics().lineSpacing() * 2 + 4)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.detail_title)
        layout.addWidget(self.detail, 1)

    def show_values(self, values: dict[str, Any] | None) -> None:
        """Show the entry whose list values are `values` (None clears the pane)."""
        if not values:
            self.detail.setRowCount(0)
            self.detail_title.setText(self.EMPTY)
            return
        changes = change_rows(values.get("changes"))
        who = values.get("actor") or "unknown user"
        when = format_value(values.get("created"))
        what = str(values.get("entity_type") or "").replace("_", " ")
        if values.get("action") == "recalculate":  # one summary row of a firm-wide run
            title = f"Recalculation of compliance scores by {who}, {when}"
        else:
            title = (
                f"{str(values.get('action') or '').capitalize()} of {what} "
                f"#{values.get('entity_id')} by {who}, {when}"
            )
        if values.get("client"):
            title += f" — client {values['client']}"
        if values.get("archived"):
            title += " (archived)"
        self.detail_title.setText(title)
        self.detail.setRowCount(len(changes))
        changed = QBrush(QColor("#fff3c4"))
        for i, (field, before, after) in enumerate(changes):
            items = [QTableWidgetItem(field_title(field))]
            for value in (before, after):
                shown, tip = _shortened(change_value(field, value))
                item = QTableWidgetItem(shown)
                item.setToolTip(tip)
                items.append(item)
            for column, item in enumerate(items):
                item.setTextAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
                if before != after and values.get("action") == "update":
                    item.setBackground(changed)
                self.detail.setItem(i, column, item)
        self.detail.resizeRowsToContents()


class AuditTab(QWidget):
    """The client's audit trail, newest first; the selected row's before/after below it."""

    def __init__(self, ctx: Context, client_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.client_id = client_id
        # No Qt parent: Python owns the model, so a page job still running when this
        # widget closes keeps it alive instead of calling into a deleted one.
        self.model = PagedTableModel(client_audit_query(ctx, client_id), ctx.reading)
        self.table = list_table(self.model)
        for key, width in (("created", 140), ("entity_type", 130), ("entity_id", 60)):
            self.table.setColumnWidth(self.model.query.column_index(key), width)
        self.table.setColumnWidth(self.model.query.column_index("action"), 80)
        self.table.setColumnWidth(self.model.query.column_index("actor"), 150)
        self.changes = AuditChanges()
        # The pane's parts, by the names the tab always had.
        self.detail = self.changes.detail
        self.detail_title = self.changes.detail_title
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(self.changes)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        self.message = banner()
        # A "delete" entry of a record kept in Deleted items can be restored from here.
        self.restore_button = QPushButton("Restore…")
        self.restore_button.setToolTip("Restore the deleted record this entry names")
        self.restore_button.setVisible(bool(deletable_entities(ctx)))
        self.restore_button.setEnabled(False)
        self.restore_button.clicked.connect(self.restore_selected)
        self.question = ask_yes_no  # injectable for tests
        self.restore_status = QLabel()
        bar = QHBoxLayout()
        bar.addWidget(self.restore_button)
        bar.addWidget(self.restore_status, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.message)
        layout.addWidget(splitter, 1)
        self.table.selectionModel().currentRowChanged.connect(
            lambda cur, _p: self.show_row(cur.row())
        )
        self.model.modelReset.connect(self._clear_detail)
        self.model.failed.connect(self._show_message)

    def refresh(self) -> None:
        show_in(self.message, "")
        self.model.refresh()

    def _restorable(self, values: dict[str, Any]) -> bool:
        entity = values.get("entity_type")
        return (
            values.get("action") == "delete"
            and entity in ENTITY_MODULES
            and self.ctx.can(ENTITY_MODULES[entity], "delete")
        )

    def restore_selected(self) -> None:
        """Find the selected delete entry's record in Deleted items, ask, restore it."""
        row = self.table.currentIndex().row()
        if row < 0 or row >= self.model.rowCount():
            return
        values = self.model.row_values(row)
        if not self._restorable(values):
            return
        entity, ident = values["entity_type"], values["entity_id"]
        self.restore_button.setEnabled(False)
        show_in(self.message, "")

        def found(item: DeletedItem | None) -> None:
            if item is None:
                self.restore_button.setEnabled(True)
                show_in(
                    self.message,
                    "This record is no longer in Deleted items: it was restored, or removed "
                    "for good 30 days after it was deleted.",
                )
                return
            if not self.question(self, "Restore deleted item", restore_question(item.describe())):
                self.restore_button.setEnabled(True)
                return
            run_operation(
                self.ctx,
                lambda wctx: restore(wctx, item.id),
                owner=self,
                on_done=restored,
                on_error=failed,
                description=f"Restoring the {item.describe()}…",
            )

        def restored(item: DeletedItem) -> None:
            self.restore_button.setEnabled(True)
            self.restore_status.setText(f"Restored the {item.describe()}.")

        def failed(error: ServiceError) -> None:
            self.restore_button.setEnabled(True)
            show_in(self.message, error.message)

        run_operation(
            self.ctx,
            lambda wctx: find_item(wctx, entity, ident),
            owner=self,
            on_done=found,
            on_error=failed,
        )

    def _clear_detail(self) -> None:
        self.show_row(-1)

    def _show_message(self, message: str) -> None:
        show_in(self.message, message)

    def show_row(self, row: int) -> None:
        """Fill the before/after pane from loaded row `row` (-1 clears it)."""
        if row < 0 or row >= self.model.rowCount():
            self.restore_button.setEnabled(False)
            self.changes.show_values(None)
            return
        values = self.model.row_values(row)
        self.restore_button.setEnabled(self._restorable(values))
        self.changes.show_values(values)


# -- the workspace ----------------------------------------------------------------------------


class ClientWorkspace(QTabWidget):
    """A client's tabs. `titleChanged(name)` fires when the client's name is (re)loaded. The
    overview and the audit trail refresh themselves when the change bus reports a change to
    the client or to what belongs to it (its businesses, documents)."""

    # What the client's own trail records (the businesses tab listens for itself).
    LISTENS_TO = frozenset({"client", "client_business", "document", "document_version"})

    titleChanged = Signal(str)

    def __init__(self, ctx: Context, client_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self._client_id = client_id
        self._title = ""
        self.edit_dialog: RecordDialog | None = None
        self.overview = OverviewTab(ctx, client_id)
        self.businesses = ListPage(ctx, BUSINESSES, client_id=client_id)
        self.audit = AuditTab(ctx, client_id)
        self.addTab(self.overview, "Overview")
        self.addTab(self.businesses, "Businesses")
        self.filings: ListPage | None = None
        self.recurring: ListPage | None = None
        if ctx.can("filings", "view"):
            self.filings = ListPage(
                ctx, FILINGS, detail=FilingDocumentsPane(ctx), client_id=client_id
            )
            self.addTab(self.filings, "Filings")
            self.recurring = ListPage(ctx, RECURRING, client_id=client_id)
            self.addTab(self.recurring, "Recurring")
        self.requests: ListPage | None = None
        if ctx.can("services", "view"):
            from .service_requests import requests_page

            self.requests = requests_page(ctx, client_id=client_id)
            self.addTab(self.requests, "Requests")
        self.tasks: ClientTasksTab | None = None
        if ctx.can("tasks", "view"):
            self.tasks = ClientTasksTab(ctx, client_id)
            self.addTab(self.tasks, "Tasks")
        self.messages: MessagesPage | None = None
        if ctx.can("messages", "view"):
            self.messages = MessagesPage(ctx, client_id=client_id)
            self.addTab(self.messages, "Messages")
        self.compliance: QWidget | None = None
        if ctx.can("compliance", "view"):
            from .compliance import ClientComplianceTab

            self.compliance = ClientComplianceTab(ctx, client_id)
            self.addTab(self.compliance, "Compliance")
        self.addTab(self.audit, "Audit")
        self.setDocumentMode(True)
        # The client's name stays in sight on every tab (the Audit and Businesses tabs show
        # rows of many kinds, not whose they are).
        # Capped and elided: a very long name must not push the sub-tabs off screen.
        self.name_label = ElidedLabel(max_width=360)
        self.name_label.setContentsMargins(8, 0, 8, 0)
        font = self.name_label.font()
        font.setBold(True)
        self.name_label.setFont(font)
        # Reports (issue 16): the client's PDFs, from a menu beside the name. `uploads` is
        # given by the main window when storage is set up (for "Store as client document").
        self.uploads: Any = None
        from .reports import reports_button

        self.reports_button = reports_button(ctx, client_id, self, lambda: self.uploads)
        if self.reports_button is None:
            self.setCornerWidget(self.name_label, Qt.Corner.TopRightCorner)
        else:
            corner = QWidget()
            corner_layout = QHBoxLayout(corner)
            corner_layout.setContentsMargins(0, 0, 4, 0)
            corner_layout.addWidget(self.name_label)
            corner_layout.addWidget(self.reports_button)
            self.setCornerWidget(corner, Qt.Corner.TopRightCorner)
        self.overview.loaded.connect(self._loaded)
        self.overview.editRequested.connect(self.edit_client)
        change_bus().subscribe(self, self.LISTENS_TO, self._on_changes)
        self.refresh()

    @property
    def client_id(self) -> int:
        return self._client_id

    def title(self) -> str:
        """The client's name (empty until it has loaded)."""
        return self._title

    def refresh(self) -> None:
        self.overview.refresh()
        self.businesses.refresh()
        if self.filings is not None:
            self.filings.refresh()
        self.audit.refresh()

    def edit_client(self) -> RecordDialog | None:
        if not self.ctx.can("clients", "edit"):
            return None
        # Offline only the notes may change (issue 18).
        spec = CLIENT_NOTES_RECORD if getattr(self.ctx, "offline", False) else CLIENT_RECORD
        dialog = RecordDialog(self.ctx, spec, self._client_id, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.destroyed.connect(lambda *_: setattr(self, "edit_dialog", None))
        self.edit_dialog = dialog
        dialog.open()
        return dialog

    def _loaded(self, values: dict[str, Any]) -> None:
        title = values.get("name") or ""
        kind = str(values.get("type") or "").capitalize()
        self.name_label.setText(f"{title} · {kind}" if kind else title)
        if self.reports_button is not None:
            # The name and the Reports menu share the corner: re-lay it for the new name.
            corner = self.cornerWidget(Qt.Corner.TopRightCorner)
            corner.layout().activate()
            corner.adjustSize()
            QApplication.sendEvent(self, QEvent(QEvent.Type.LayoutRequest))
        if title != self._title:
            self._title = title
            self.titleChanged.emit(title)

    def _on_changes(self, changes: ChangeSet) -> None:
        clients = changes.ids("client")
        if clients is None or self._client_id in clients:
            self.overview.refresh()
        self.audit.refresh()

    def _failed(self, error: ServiceError) -> None:
        show_in(self.overview.message, error.message)
