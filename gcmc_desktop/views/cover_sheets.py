"""Print cover sheets: for one client (from its workspace) or a batch of many, each for a
document type (or a new version of a document), plus generic separator sheets — saved as one
PDF and/or printed. Put a sheet in front of each document in the scanner's tray; the scanning
station files the pages behind it."""

from __future__ import annotations

import tempfile
from pathlib import Path

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QPainter
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..services.client_list import find_clients
from ..services.context import Context
from ..services.document_types import document_type_choices
from ..services.intake.codes import SEPARATOR_CODE, cover
from ..services.intake.cover_sheets import Sheet, label, write_sheets
from .kit import messages
from .kit.fields import LookupBox
from .kit.operations import run_operation


class CoverSheetDialog(QDialog):
    def __init__(
        self,
        ctx: Context,
        *,
        client: tuple[str, int] | None = None,
        document_type_id: int | None = None,
        sheets: list[Sheet] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        """`client` and `document_type_id` preset the choices (a request step's document);
        `sheets` are listed ready to print (a request step's missing documents, a document's
        new version)."""
        super().__init__(parent)
        self.ctx = ctx
        self._preset_type = document_type_id
        self.setWindowTitle("Cover sheets")
        self.setMinimumSize(QSize(560, 420))
        self.sheets: list[Sheet] = []
        self.error = messages.banner()
        self.client_box = LookupBox("Type a client's name, TIN or NIS number")
        self.client_box.searching.connect(self._search)
        if client:
            self.client_box.set_value(client)
        self.type_box = QComboBox()
        self.type_box.addItem("(choose)", None)
        self.add_button = QPushButton("&Add sheet")
        self.add_button.setDefault(True)
        self.add_button.clicked.connect(self.add_sheet)
        self.separator_button = QPushButton("Add &separator sheet")
        self.separator_button.clicked.connect(self.add_separator)
        self.list = QListWidget()
        self.remove_button = QPushButton("&Remove")
        self.remove_button.clicked.connect(self._remove)
        self.save_button = QPushButton("Save &PDF…")
        self.save_button.clicked.connect(self.save_pdf)
        self.print_button = QPushButton("&Print…")
        self.print_button.clicked.connect(self.print_sheets)
        close = QPushButton("Close")
        close.clicked.connect(self.reject)

        form = QFormLayout()
        form.addRow("Client:", self.client_box)
        form.addRow("Document type:", self.type_box)
        adding = QHBoxLayout()
        adding.addWidget(self.add_button)
        adding.addWidget(self.separator_button)
        adding.addStretch(1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        for button in (self.save_button, self.print_button, close):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.error)
        layout.addLayout(form)
        layout.addLayout(adding)
        layout.addWidget(QLabel("Sheets to print, in order:"))
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)
        self.client_box.setFocus()
        for sheet in sheets or ():
            self._append(sheet, label(sheet))
        if sheets:
            self.add_button.setDefault(False)
            self.print_button.setDefault(True)  # ready: Enter prints
            self.print_button.setFocus()
        self._update()
        run_operation(
            ctx,
            document_type_choices,
            owner=self,
            on_done=self._types_loaded,
            on_error=lambda e: messages.show_in(self.error, e.message),
        )

    def _types_loaded(self, types: list[tuple[str, int]]) -> None:
        for name, type_id in types:
            self.type_box.addItem(name, type_id)
        if self._preset_type is not None:
            self.type_box.setCurrentIndex(max(0, self.type_box.findData(self._preset_type)))

    def _search(self, text: str) -> None:
        if not text:
            return
        run_operation(
            self.ctx,
            lambda wctx: find_clients(wctx, text, 20),
            owner=self,
            on_done=lambda matches: self.client_box.show_matches(text, matches),
            on_error=lambda e: messages.show_in(self.error, e.message),
        )

    def add_sheet(self) -> None:
        client_id = self.client_box.value()
        type_id = self.type_box.currentData()
        if client_id is None or type_id is None:
            messages.show_in(self.error, "Choose a client (from the list) and a document type.")
            return
        messages.show_in(self.error, "")
        sheet = Sheet(
            cover(self.ctx.tenant_id, client_id, type_id),
            firm=self.ctx.tenant_name,
            client=self.client_box.currentText().strip(),
            document_type=self.type_box.currentText(),
        )
        self._append(sheet, label(sheet))

    def add_separator(self) -> None:
        self._append(Sheet(SEPARATOR_CODE, firm=self.ctx.tenant_name), "Separator sheet")

    def _append(self, sheet: Sheet, label: str) -> None:
        self.sheets.append(sheet)
        self.list.addItem(QListWidgetItem(label))
        self._update()

    def _remove(self) -> None:
        row = self.list.currentRow()
        if row >= 0:
            self.list.takeItem(row)
            del self.sheets[row]
            self._update()

    def _update(self) -> None:
        has = bool(self.sheets)
        for button in (self.save_button, self.print_button, self.remove_button):
            button.setEnabled(has)

    def write(self, path: Path) -> Path:
        return write_sheets(self.sheets, path)

    def save_pdf(self, path: Path | None = None) -> Path | None:
        if path is None:
            chosen, _ = QFileDialog.getSaveFileName(
                self, "Save cover sheets", "cover-sheets.pdf", "PDF (*.pdf)"
            )
            if not chosen:
                return None
            path = Path(chosen)
        try:
            return self.write(path)
        except OSError as exc:
            messages.show_in(self.error, f"The PDF could not be saved: {exc.strerror or exc}.")
            return None

    def print_sheets(self) -> None:
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        if QPrintDialog(printer, self).exec() != QDialog.DialogCode.Accepted:
            return
        with tempfile.TemporaryDirectory() as work:
            print_pdf(self.write(Path(work) / "sheets.pdf"), printer)


def print_pdf(path: Path, printer: QPrinter) -> None:
    """Each page of the PDF rendered at the printer's resolution onto its pages."""
    document = QPdfDocument()
    document.load(str(path))
    painter = QPainter(printer)
    try:
        for index in range(document.pageCount()):
            if index:
                printer.newPage()
            area = painter.viewport()
            size = document.pagePointSize(index).toSize()
            size.scale(area.size(), Qt.AspectRatioMode.KeepAspectRatio)
            image = document.render(index, size)
            painter.drawImage(area.topLeft(), image)
    finally:
        painter.end()
        document.close()
