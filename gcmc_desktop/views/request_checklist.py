"""A service request as a checklist, beside the requests list: its steps with status, due date,
the step each waits for, the required documents (present ✓ / missing ✗, each opening the
client's document) and the filing a step created (opening it); Start, Block and Done on the
selected step (Done with documents missing asks for the reason), and the request's own status
moves."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..services.context import Context
from ..services.errors import ConflictError, MissingDocuments, ServiceError
from ..services.service_requests import change_status
from ..services.service_steps import checklist, set_step_status
from .kit.bus import change_bus
from .kit.messages import banner, code_label, show_in, shown_text
from .kit.operations import run_operation

_DATA = Qt.ItemDataRole.UserRole
COLUMNS = ("Step", "Status", "Due", "Waits for", "Filing")
STATUS_MARKS = {"done": "✓", "in_progress": "▶", "blocked": "■", "not_started": "○"}


def _day(value: Any) -> str:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return ""


def ask_reason(parent: QWidget, missing: list[str]) -> str | None:
    """The reason to mark a step done without its documents (None: cancelled)."""
    text, ok = QInputDialog.getMultiLineText(
        parent,
        "Done without documents",
        "Missing: " + ", ".join(missing) + ".\nWhy may this step be done without them? "
        "(recorded in the step's history)",
    )
    return text.strip() if ok and text.strip() else None


class RequestChecklist(QWidget):
    """The detail pane of the requests list (`show_record(request_id)`)."""

    changed = Signal()
    loaded = Signal()

    def __init__(self, ctx: Context, storage: Any = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.storage = storage
        self.request_id: int | None = None
        self.sheet: dict[str, Any] | None = None
        self._generation = 0
        # Seams for tests and other front ends: modal questions and windows.
        self.ask_reason = ask_reason
        self.open_document = self._open_document
        self.open_filing = self._open_filing
        self.open_cover_sheets = self._open_cover_sheets

        self.heading = QLabel("Select a service request to see its steps.")
        self.heading.setWordWrap(True)
        self.heading.setTextFormat(Qt.TextFormat.PlainText)
        self.message = banner()
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(COLUMNS)
        self.tree.setAlternatingRowColors(True)
        self.tree.setRootIsDecorated(True)
        self.tree.setAccessibleName("Steps")
        header = self.tree.header()
        header.setStretchLastSection(True)
        for column in range(len(COLUMNS) - 1):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)

        may_edit = ctx.can("services", "edit")
        self.start_button = QPushButton("Start")
        self.block_button = QPushButton("Block")
        self.done_button = QPushButton("Done…")
        self.status_box = QComboBox()
        self.status_box.setAccessibleName("Request status")
        self.status_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.status_button = QPushButton("Change status")
        self.cover_button = QPushButton("Cover sheet…")
        self.cover_button.setToolTip(
            "Print a scanning cover sheet for the selected document (or the step's missing"
            " documents): the scanning station files the pages behind it to this client"
        )
        self.cover_button.setVisible(ctx.can("documents", "create"))
        self.cover_button.clicked.connect(self.cover_sheets)
        for widget in (
            self.start_button,
            self.block_button,
            self.done_button,
            self.status_box,
            self.status_button,
        ):
            widget.setVisible(may_edit)
        self.start_button.clicked.connect(lambda: self.move_selected("in_progress"))
        self.block_button.clicked.connect(lambda: self.move_selected("blocked"))
        self.done_button.clicked.connect(lambda: self.move_selected("done"))
        self.status_button.clicked.connect(self.change_request_status)
        self.tree.currentItemChanged.connect(lambda *_: self._update_buttons())
        self.tree.itemActivated.connect(self._activated)

        steps_bar = QHBoxLayout()
        for button in (self.start_button, self.block_button, self.done_button):
            steps_bar.addWidget(button)
        steps_bar.addWidget(self.cover_button)
        steps_bar.addStretch(1)
        steps_bar.addWidget(self.status_box)
        steps_bar.addWidget(self.status_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.heading)
        layout.addWidget(self.message)
        layout.addLayout(steps_bar)
        layout.addWidget(self.tree, 1)
        change_bus().subscribe(
            self,
            {"service_request", "service_step", "document", "document_version", "filing"},
            lambda _changes: self.reload(),
        )
        self._update_buttons()

    @property
    def record_id(self) -> int | None:
        return self.request_id

    # -- loading ------------------------------------------------------------------------------

    def show_record(self, request_id: int | None) -> None:
        self.request_id = request_id
        self.reload()

    def reload(self) -> None:
        self._generation += 1
        generation, request_id = self._generation, self.request_id
        if request_id is None:
            self.sheet = None
            self.heading.setText("Select a service request to see its steps.")
            self.tree.clear()
            show_in(self.message, "")
            self._update_buttons()
            return
        run_operation(
            self.ctx,
            lambda wctx: checklist(wctx, request_id),
            owner=self,
            on_done=lambda sheet: self._loaded(generation, sheet),
            on_error=self._failed,
        )

    def _loaded(self, generation: int, sheet: dict[str, Any]) -> None:
        if generation != self._generation:
            return
        self.show_sheet(sheet)

    def show_sheet(self, sheet: dict[str, Any]) -> None:
        selected = self.selected_step()
        self.sheet = sheet
        steps = sheet["steps"]
        done = sum(1 for s in steps if s["status"] == "done")
        parts = [
            f"Request #{sheet['id']} · {sheet.get('service_name') or ''}",
            f"{sheet.get('client_name') or ''}"
            + (f" — {sheet['business_name']}" if sheet.get("business_name") else ""),
            f"Status: {code_label(sheet['status'])} · Priority: "
            f"{code_label(sheet.get('priority') or 'medium')}"
            + (f" · {done} of {len(steps)} steps done" if steps else " · no steps"),
        ]
        self.heading.setText("\n".join(parts))
        self.tree.clear()
        titles = {s["id"]: s for s in steps}
        for step in steps:
            dep = step["depends_on"]
            waits = ""
            if dep is not None:
                waits = f"{dep['order']}. {titles.get(dep['id'], dep)['title']}"
            item = QTreeWidgetItem(
                [
                    f"{STATUS_MARKS.get(step['status'], '')} {step['order']}. {step['title']}",
                    step["status_label"],
                    _day(step["due_date"]),
                    waits,
                    step.get("filing_label") or ("files a return" if step.get(
                        "files_filing_type_id") else ""),
                ]
            )  # fmt: skip
            item.setData(0, _DATA, ("step", step["id"]))
            item.setToolTip(0, step.get("description") or step["title"])
            if step.get("filing_id"):
                item.setData(4, _DATA, ("filing", step["filing_id"]))
                item.setToolTip(4, "Enter or double-click opens the filing")
            for doc in step["documents"]:
                mark = "✓" if doc["present"] else "✗ missing:"
                child = QTreeWidgetItem([f"{mark} {doc['name']}", "", "", "", ""])
                child.setData(0, _DATA, ("document", doc["document_id"]))
                child.setToolTip(
                    0,
                    "Enter or double-click opens the client's document"
                    if doc["document_id"]
                    else "The client has no document of this type yet",
                )
                if not doc["present"]:
                    child.setForeground(0, Qt.GlobalColor.darkRed)
                item.addChild(child)
            self.tree.addTopLevelItem(item)
            item.setExpanded(True)
            if step["id"] == selected:
                self.tree.setCurrentItem(item)
        if self.tree.currentItem() is None and steps:
            current = next(
                (i for i, s in enumerate(steps) if s["order"] == sheet.get("current_step_order")),
                0,
            )
            self.tree.setCurrentItem(self.tree.topLevelItem(current))
        files = any(s.get("filing_id") or s.get("files_filing_type_id") for s in steps)
        self.tree.setColumnHidden(len(COLUMNS) - 1, not files)
        self.status_box.clear()
        for status in sheet.get("allowed_statuses", []):
            self.status_box.addItem(code_label(status), status)
        self._update_buttons()
        self.loaded.emit()

    def _failed(self, error: ServiceError) -> None:
        show_in(self.message, error.message)
        self._update_buttons()

    # -- selection ----------------------------------------------------------------------------

    def focus_steps(self, *_args: Any) -> None:
        self.tree.setFocus(Qt.FocusReason.OtherFocusReason)

    def _step_item(self) -> QTreeWidgetItem | None:
        item = self.tree.currentItem()
        if item is not None and item.parent() is not None:
            item = item.parent()
        return item

    def selected_step(self) -> int | None:
        item = self._step_item()
        data = item.data(0, _DATA) if item is not None else None
        return data[1] if data else None

    def step_values(self, step_id: int | None) -> dict[str, Any] | None:
        if self.sheet is None or step_id is None:
            return None
        return next((s for s in self.sheet["steps"] if s["id"] == step_id), None)

    def message_text(self) -> str:
        return shown_text(self.message)

    def _update_buttons(self) -> None:
        step = self.step_values(self.selected_step())
        allowed = set(step["allowed_statuses"]) if step else set()
        is_open = self.sheet is not None and self.sheet["status"] not in ("completed", "cancelled")
        self.start_button.setEnabled(is_open and "in_progress" in allowed)
        self.start_button.setText(
            "Resume" if step is not None and step["status"] == "blocked" else "Start"
        )
        self.block_button.setEnabled(is_open and "blocked" in allowed)
        self.done_button.setEnabled(is_open and "done" in allowed)
        self.status_box.setEnabled(self.status_box.count() > 0)
        self.status_button.setEnabled(self.status_box.count() > 0)
        self.cover_button.setEnabled(bool(self.cover_sheet_types()))

    # -- actions ------------------------------------------------------------------------------

    def cover_sheet_types(self) -> list[dict[str, Any]]:
        """The required documents a cover sheet is for: the selected one, or the selected
        step's missing ones (all of them when none is missing)."""
        step = self.step_values(self.selected_step())
        if step is None or self.sheet is None:
            return []
        documents = list(step["documents"])
        item = self.tree.currentItem()
        if item is not None and item.parent() is not None:
            index = item.parent().indexOfChild(item)
            return documents[index : index + 1]
        return [d for d in documents if not d["present"]] or documents

    def cover_sheets(self) -> QWidget | None:
        """Cover sheets for the client and the document type(s) of the step, ready to print."""
        from ..services.intake.codes import cover
        from ..services.intake.cover_sheets import Sheet

        wanted = self.cover_sheet_types()
        if not wanted or self.sheet is None:
            return None
        client = (self.sheet.get("client_name") or "", self.sheet["client_id"])
        sheets = [
            Sheet(
                cover(self.ctx.tenant_id, client[1], doc["type_id"]),
                firm=self.ctx.tenant_name,
                client=client[0],
                document_type=doc["name"],
            )
            for doc in wanted
        ]
        return self.open_cover_sheets(client, wanted[0]["type_id"], sheets)

    def _open_cover_sheets(self, client: tuple[str, int], type_id: int, sheets: list) -> QWidget:
        from .cover_sheets import CoverSheetDialog

        dialog = CoverSheetDialog(
            self.ctx, client=client, document_type_id=type_id, sheets=sheets, parent=self
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog

    def move_selected(self, status: str, reason: str | None = None) -> None:
        step = self.step_values(self.selected_step())
        if step is None:
            return
        step_id, expected = step["id"], step["updated_at"]
        show_in(self.message, "")

        def failed(error: ServiceError) -> None:
            if isinstance(error, MissingDocuments) and reason is None:
                given = self.ask_reason(self, error.missing)
                if given:
                    self.move_selected(status, given)
                    return
            self._failed(error)
            if isinstance(error, ConflictError):  # show the step as it is now
                self.reload()

        run_operation(
            self.ctx,
            lambda wctx: set_step_status(wctx, step_id, status, expected, override_reason=reason),
            owner=self,
            on_done=self._moved,
            on_error=failed,
        )

    def _moved(self, sheet: dict[str, Any]) -> None:
        self.show_sheet(sheet)
        self.changed.emit()

    def change_request_status(self) -> None:
        if self.sheet is None or self.status_box.currentData() is None:
            return
        request_id, status = self.sheet["id"], self.status_box.currentData()
        expected = self.sheet["updated_at"]
        show_in(self.message, "")

        def move(wctx: Context) -> dict[str, Any]:
            change_status(wctx, request_id, status, expected)
            return checklist(wctx, request_id)

        run_operation(self.ctx, move, owner=self, on_done=self._moved, on_error=self._failed)

    def _activated(self, item: QTreeWidgetItem, column: int) -> None:
        data = item.data(column, _DATA) or item.data(0, _DATA)
        if not data:
            return
        kind, ident = data
        if kind == "document" and ident and self.sheet is not None:
            self.open_document(self.sheet["client_id"], ident)
        elif kind == "filing" and ident:
            self.open_filing(ident)
        elif kind == "step":
            step = self.step_values(ident)
            if step and step.get("filing_id"):
                self.open_filing(step["filing_id"])

    def _open_document(self, _client_id: int, document_id: int) -> None:
        if self.storage is None:
            show_in(self.message, "Documents open from the Documents section (storage is not set).")
            return
        from .document_detail import DocumentDetail

        dialog = QDialog(self)
        dialog.setWindowTitle("Document")
        detail = DocumentDetail(self.ctx, self.storage, dialog)
        QVBoxLayout(dialog).addWidget(detail)
        detail.show_document(document_id)
        dialog.resize(760, 560)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    def _open_filing(self, filing_id: int) -> None:
        if not self.ctx.can("filings", "view"):
            show_in(self.message, "Your role may not view filings.")
            return
        from .filings import FILING_RECORD
        from .kit.record_dialog import RecordDialog

        dialog = RecordDialog(self.ctx, FILING_RECORD, filing_id, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
