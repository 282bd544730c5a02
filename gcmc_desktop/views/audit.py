"""The firm-wide Audit page: who did what, when, to which record, with before/after values.

The kit's list page over `firm_audit_query` (services/audit_trail.py): drop-downs for user,
record type, action and client, a search over client and user names, and — what the kit's
drop-downs cannot say — a From/To date range and "Include archived" (rows moved to the archive
by `gcmc maintenance audit-archive`) in a row of their own. The selected entry's before/after
values show beside the list in the same pane as a client's trail (`AuditChanges`). Enter on an
entry about a client opens that client's workspace."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QPushButton, QWidget

from ..services.audit_trail import (
    ACTION,
    ACTIONS,
    ACTOR,
    ARCHIVED,
    CLIENT,
    ENTITY,
    SINCE,
    UNTIL,
    actor_choices,
    client_choices,
    entity_choices,
    firm_audit_query,
)
from ..services.context import Context
from .client_workspace import AuditChanges
from .date_field import InvalidDate, OptionalDateField
from .kit.list_page import FilterSpec, ListPage, ListSpec

AUDIT = ListSpec(
    noun="entry",
    plural="entries",
    module="audit",
    query=lambda ctx, _scope: firm_audit_query(ctx),
    # Every write anywhere adds an entry: following the bus would recount a firm's millions of
    # entries after each of them, on every open Audit page. Refresh (F5) reads them anew.
    listens_to=frozenset(),
    search_hint="Search client or user (name, e-mail, TIN, NIS)…",
    filters=(
        FilterSpec(ACTOR, "All users", "User", load=actor_choices),
        FilterSpec(ENTITY, "All records", "Record", load=entity_choices),
        FilterSpec(ACTION, "All actions", "Action", choices=[(a.capitalize(), a) for a in ACTIONS]),
        FilterSpec(CLIENT, "All clients", "Client", load=client_choices),
    ),
    widths={
        "created": 130,
        "actor": 140,
        "action": 70,
        "entity_type": 130,
        "entity_id": 60,
        "client": 160,
        "changes": 220,
        "ip_address": 100,
        "archived": 70,
    },
    sort="created",
    descending=True,
    hidden=lambda _scope: ("client_id",),
    state_key="audit/header",
    name_key="entity_type",
)


class AuditDetail(AuditChanges):
    """The before/after pane beside the list: the kit page reports the selected row's id."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.page: ListPage | None = None
        self.record_id: int | None = None

    def show_record(self, record_id: int | None) -> None:
        self.record_id = record_id
        page = self.page
        row = None if record_id is None or page is None else page.model.row_of(record_id)
        self.show_values(None if row is None else page.model.row_values(row))


class AuditPage(ListPage):
    """The kit's list page plus a date range and "Include archived". `opened(client id)` when
    an entry about a client is activated."""

    def __init__(self, ctx: Context, parent: QWidget | None = None) -> None:
        detail = AuditDetail()
        super().__init__(ctx, AUDIT, parent, detail=detail)
        detail.page = self
        self.since = OptionalDateField()
        self.until = OptionalDateField()
        self.since.setAccessibleName("From date")
        self.until.setAccessibleName("To date")
        self.archived = QCheckBox("Include archived")
        self.archived.setToolTip(
            "Also show entries moved to the archive (gcmc maintenance audit-archive)."
        )
        row = QHBoxLayout()
        row.addWidget(QLabel("From:"))
        row.addWidget(self.since)
        row.addWidget(QLabel("To:"))
        row.addWidget(self.until)
        row.addSpacing(16)
        row.addWidget(self.archived)
        row.addStretch(1)
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.setToolTip("Read the newest entries (F5)")
        self.refresh_button.setAutoDefault(False)
        self.refresh_button.clicked.connect(self.refresh)
        row.addWidget(self.refresh_button)
        key = QAction(self)
        key.setShortcut(QKeySequence(Qt.Key.Key_F5))
        key.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        key.triggered.connect(self.refresh)
        self.addAction(key)
        self.main_layout.insertLayout(self.main_layout.indexOf(self.message), row)
        self.since.dateChanged.connect(self._apply_range)
        self.until.dateChanged.connect(self._apply_range)
        self.archived.toggled.connect(self._apply_range)
        # Tab order: search, the drop-downs, then the dates and the checkbox, then the list.
        previous: QWidget = list(self.filters.values())[-1]
        for widget in (
            self.since.edit,
            self.until.edit,
            self.archived,
            self.refresh_button,
            self.table,
        ):
            QWidget.setTabOrder(previous, widget)
            previous = widget

    def _apply_filters(self) -> None:
        # The drop-downs and the date row set their filters together, with one reload.
        super_filters = self._range_filters()
        if super_filters is None:
            return
        filters: dict[str, Any] = {f.key: self.filters[f.key].currentData() for f in AUDIT.filters}
        filters.update(super_filters)
        self.model.set_filters(filters)

    def _apply_range(self, *_args: Any) -> None:
        self._apply_filters()

    def _range_filters(self) -> dict[str, Any] | None:
        """The date range and archive filters; None while a date is not a date (its field
        says why) or the range is back to front."""
        try:
            since, until = self.since.date(), self.until.date()
        except InvalidDate:
            return None
        if since is not None and until is not None and since > until:
            self.show_message("The From date is after the To date.")
            return None
        if self.message_text() == "The From date is after the To date.":
            self.show_message("")
        return {
            SINCE: since,
            UNTIL: until,
            ARCHIVED: None if self.archived.isChecked() else False,
        }

    def _activated(self, index) -> None:
        if not index.isValid():
            return
        client_id = self.model.row_values(index.row()).get("client_id")
        if client_id is not None and self.ctx.can("clients", "view"):
            self.opened.emit(int(client_id))
