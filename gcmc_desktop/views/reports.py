"""Client reports in the application (issue 16): the workspace's *Reports* menu opens a
preview dialog that generates the PDF in the background (progress, Cancel), shows it with the
same QtPdf view the documents use, and offers *Save…*, *Print…* and *Store as client
document*. The Compliance page's *Reports (ZIP)…* makes the compliance report of every client
its filters show, one PDF each in one ZIP, with progress and Cancel."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QPainter
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMenu,
    QProgressBar,
    QProgressDialog,
    QPushButton,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..services.context import Context
from ..services.outbox import UploadTarget
from ..services.paging import PagedQuery
from ..services.reports import (
    KINDS,
    available,
    batch_zip,
    gather,
    ids_of,
    render_pdf,
    report_type_id,
)
from .kit.messages import banner, show_in
from .kit.operations import run_query
from .workers import Job, JobControl

# Reports handed to the upload outbox wait here until it has copied them (a dialog may close
# first); the folder is per user and reused.
STORE_DIR = Path(tempfile.gettempdir()) / "gcmc-desktop-reports"


class ReportPreviewDialog(QDialog):
    """One report of one client: generated in the background, then previewed."""

    def __init__(
        self,
        ctx: Context,
        client_id: int,
        kind: str,
        parent: QWidget | None = None,
        *,
        uploads: Any = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.client_id = client_id
        self.kind = kind
        self.uploads = uploads
        self.pdf: bytes | None = None
        self.file_name = f"{KINDS[kind]}.pdf"
        self.job: Job | None = None
        self._temp = Path(tempfile.mkdtemp(prefix="gcmc-report-"))
        self.destroyed.connect(lambda *_: shutil.rmtree(self._temp, ignore_errors=True))
        # Seams for tests: the file and print dialogs.
        self.ask_save_path: Callable[[str], str] = self._ask_save_path
        self.ask_printer: Callable[[QPrinter], bool] = self._ask_printer

        self.setWindowTitle(KINDS[kind])
        self.resize(900, 760)
        self.message = banner()
        self.status = QLabel("Generating the report…")
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        waiting = QWidget()
        wait_layout = QVBoxLayout(waiting)
        wait_layout.addStretch(1)
        wait_layout.addWidget(self.status, 0, Qt.AlignmentFlag.AlignHCenter)
        wait_layout.addWidget(self.progress)
        wait_layout.addWidget(self.cancel_button, 0, Qt.AlignmentFlag.AlignHCenter)
        wait_layout.addStretch(2)

        self.document = QPdfDocument(self)
        self.view = QPdfView()
        self.view.setDocument(self.document)
        self.view.setPageMode(QPdfView.PageMode.MultiPage)
        self.view.setZoomMode(QPdfView.ZoomMode.FitToWidth)
        self.stack = QStackedWidget()
        self.stack.addWidget(waiting)
        self.stack.addWidget(self.view)

        self.save_button = QPushButton("Save…")
        self.print_button = QPushButton("Print…")
        self.store_button = QPushButton("Store as client document")
        self.close_button = QPushButton("Close")
        self.save_button.clicked.connect(self.save)
        self.print_button.clicked.connect(self.print_report)
        self.store_button.clicked.connect(self.store)
        self.close_button.clicked.connect(self.reject)
        self.store_button.setVisible(uploads is not None and ctx.can("documents", "create"))
        self.pages_label = QLabel()
        buttons = QHBoxLayout()
        buttons.addWidget(self.pages_label, 1)
        for button in (self.save_button, self.print_button, self.store_button, self.close_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.message)
        layout.addWidget(self.stack, 1)
        layout.addLayout(buttons)
        self._set_ready(False)
        self.close_button.setFocus()
        self.generate()

    # -- generating ----------------------------------------------------------------------------

    def generate(self) -> None:
        ctx, kind, client_id = self.ctx, self.kind, self.client_id

        def work(control: JobControl) -> tuple[bytes, str, int]:
            control.progress(0, 2, "Reading the client's records…")
            with ctx.worker() as wctx:
                report = gather(wctx, kind, client_id)
            control.check()
            control.progress(1, 2, "Drawing the PDF…")
            pdf = render_pdf(report, check=control.check)
            control.progress(2, 2, "Done")
            return pdf, report.file_name, len(report.blocks)

        self.stack.setCurrentIndex(0)
        self.job = run_query(
            self,
            work,
            on_done=self._generated,
            on_error=self._failed,
            description=f"Generating {KINDS[kind].lower()}…",
        )
        self.job.signals.progress.connect(self._progressed)
        self.job.signals.cancelled.connect(self._cancelled)

    def cancel(self) -> None:
        if self.job is not None:
            self.job.control.cancel()
            self.status.setText("Cancelling…")
            self.cancel_button.setEnabled(False)

    def _progressed(self, done: int, total: int, text: str) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)
        if text:
            self.status.setText(text)

    def _generated(self, result: tuple[bytes, str, int]) -> None:
        self.job = None
        self.pdf, self.file_name, _blocks = result
        path = self._temp / "report.pdf"
        path.write_bytes(self.pdf)
        self.document.load(str(path))
        pages = self.document.pageCount()
        self.pages_label.setText(f"{pages} page{'' if pages == 1 else 's'} · {self.file_name}")
        self.stack.setCurrentIndex(1)
        self._set_ready(True)
        self.save_button.setFocus()

    def _failed(self, message: str) -> None:
        self.job = None
        self.status.setText("The report was not generated.")
        self.progress.hide()
        self.cancel_button.hide()
        show_in(self.message, message)

    def _cancelled(self) -> None:
        self.job = None
        self.status.setText("Cancelled: no report was made.")
        self.progress.hide()
        self.cancel_button.hide()

    def _set_ready(self, ready: bool) -> None:
        for button in (self.save_button, self.print_button, self.store_button):
            button.setEnabled(ready)

    # -- what to do with it --------------------------------------------------------------------

    def _ask_save_path(self, suggested: str) -> str:
        path, _ = QFileDialog.getSaveFileName(
            self, "Save report", str(Path.home() / suggested), "PDF files (*.pdf)"
        )
        return path

    def save(self) -> bool:
        if self.pdf is None:
            return False
        path = self.ask_save_path(self.file_name)
        if not path:
            return False
        if not path.lower().endswith(".pdf"):
            path += ".pdf"
        try:
            Path(path).write_bytes(self.pdf)
        except OSError as exc:
            show_in(self.message, f"Not saved: {exc.strerror or 'the file cannot be written'}.")
            return False
        show_in(self.message, "")
        self.pages_label.setText(f"Saved as {path}")
        return True

    def _ask_printer(self, printer: QPrinter) -> bool:
        dialog = QPrintDialog(printer, self)
        dialog.setWindowTitle("Print report")
        return dialog.exec() == QDialog.DialogCode.Accepted

    def print_report(self) -> bool:
        if self.pdf is None:
            return False
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setDocName(self.file_name)
        if not self.ask_printer(printer):
            return False
        print_document(self.document, printer)
        return True

    def store(self) -> None:
        """The PDF as a new document of the client (type "Report"), through the upload outbox:
        stored first, recorded after, resumed after a crash like any upload."""
        if self.pdf is None or self.uploads is None:
            return
        STORE_DIR.mkdir(parents=True, exist_ok=True)
        _forget_old_copies()
        folder = Path(tempfile.mkdtemp(prefix="report-", dir=STORE_DIR))
        path = folder / self.file_name
        path.write_bytes(self.pdf)
        title = Path(self.file_name).stem
        ctx, client_id = self.ctx, self.client_id
        self.store_button.setEnabled(False)

        def work(_control: JobControl) -> int:
            with ctx.worker() as wctx:
                return report_type_id(wctx)

        def done(type_id: int) -> None:
            self.uploads.add_files(
                [path],
                UploadTarget(client_id=client_id, document_type_id=type_id, title=title),
            )
            self.pages_label.setText("Storing as a client document (see Uploads)…")

        def failed(message: str) -> None:
            self.store_button.setEnabled(True)
            show_in(self.message, f"Not stored: {message}")

        run_query(self, work, on_done=done, on_error=failed)

    def reject(self) -> None:
        self.cancel()
        super().reject()


def _forget_old_copies(days: float = 2.0) -> None:
    """Copies handed to the outbox more than `days` ago (it has long copied them)."""
    limit = time.time() - days * 86_400
    for folder in STORE_DIR.glob("report-*"):
        with contextlib.suppress(OSError):
            if folder.stat().st_mtime < limit:
                shutil.rmtree(folder, ignore_errors=True)


def print_document(document: QPdfDocument, printer: QPrinter) -> int:
    """Every page of `document` onto `printer`, each scaled to the printable page; returns
    how many pages were printed."""
    painter = QPainter()
    if not painter.begin(printer):
        return 0
    try:
        target = printer.pageLayout().paintRectPixels(printer.resolution())
        for index in range(document.pageCount()):
            if index:
                printer.newPage()
            points = document.pagePointSize(index)
            scale = min(target.width() / points.width(), target.height() / points.height())
            size = QSize(int(points.width() * scale), int(points.height() * scale))
            image = document.render(index, size)
            painter.drawImage(0, 0, image)
    finally:
        painter.end()
    return document.pageCount()


def reports_button(
    ctx: Context,
    client_id: int,
    parent: QWidget,
    uploads: Callable[[], Any] = lambda: None,
) -> QToolButton | None:
    """The workspace's *Reports* menu (None when the role may make no report)."""
    kinds = available(ctx)
    if not kinds:
        return None
    button = QToolButton(parent)
    button.setText("Reports")
    button.setToolTip("Generate a PDF report of this client")
    button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
    button.setStyleSheet("QToolButton { padding: 2px 14px 2px 6px; }")  # room for the arrow
    menu = QMenu(button)
    for kind, title in kinds:
        action = menu.addAction(f"{title}…")
        action.triggered.connect(
            lambda _checked=False, k=kind: open_report(ctx, client_id, k, parent, uploads())
        )
    button.setMenu(menu)
    return button


def open_report(
    ctx: Context, client_id: int, kind: str, parent: QWidget, uploads: Any = None
) -> ReportPreviewDialog:
    dialog = ReportPreviewDialog(ctx, client_id, kind, parent, uploads=uploads)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog


class BatchReports:
    """The compliance report of every client of a list's filter, as one ZIP, with a progress
    dialog and Cancel (a cancelled run leaves no archive)."""

    def __init__(self, ctx: Context, parent: QWidget) -> None:
        self.ctx = ctx
        self.parent = parent
        self.job: Job | None = None
        self.progress: QProgressDialog | None = None
        self.ask_save_path: Callable[[str], str] = self._ask_save_path
        self.on_message: Callable[[str], None] = lambda _text: None
        self.on_running: Callable[[bool], None] = lambda _running: None

    def _ask_save_path(self, suggested: str) -> str:
        path, _ = QFileDialog.getSaveFileName(
            self.parent, "Save compliance reports", str(Path.home() / suggested), "ZIP (*.zip)"
        )
        return path

    def start(self, query: PagedQuery, label: str = "") -> Job | None:
        if self.job is not None:
            self.on_message("Reports are already being made; wait for them or cancel.")
            return None
        suggested = f"Compliance reports{' - ' + label if label else ''}.zip"
        path = self.ask_save_path(suggested)
        if not path:
            return None
        if not path.lower().endswith(".zip"):
            path += ".zip"
        ctx, twin = self.ctx, query.clone()

        def work(control: JobControl) -> Any:
            with ctx.worker() as wctx:
                control.progress(0, 0, "Finding the clients…")
                ids = ids_of(wctx, twin)
                return batch_zip(
                    wctx,
                    ids,
                    path,
                    progress=lambda d, t, m: control.progress(d, t, m),
                    cancelled=lambda: control.cancelled,
                )

        self.job = run_query(
            self.parent,
            work,
            on_done=self._done,
            on_error=self._failed,
            description="Making compliance reports…",
        )
        dialog = QProgressDialog("Making compliance reports…", "Cancel", 0, 0, self.parent)
        dialog.setWindowTitle("Compliance reports")
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setMinimumDuration(300)
        dialog.canceled.connect(self.job.control.cancel)
        self.job.signals.progress.connect(self._progressed)
        self.progress = dialog
        self.on_running(True)
        return self.job

    def _progressed(self, done: int, total: int, text: str) -> None:
        dialog = self.progress  # setValue may run the finish callback (a modal dialog)
        if dialog is not None:
            if text:
                dialog.setLabelText(text)
            dialog.setMaximum(max(total, 0))
            dialog.setValue(min(done, total))

    def _close(self) -> None:
        self.job = None
        self.on_running(False)
        if self.progress is not None:
            self.progress.canceled.disconnect()
            self.progress.close()
            self.progress.deleteLater()
            self.progress = None

    def _done(self, result: Any) -> None:
        self._close()
        skipped = f" ({len(result.skipped)} skipped)" if result.skipped else ""
        self.on_message(
            f"Saved {len(result.written):,} compliance report(s){skipped} in {result.path}."
        )

    def _failed(self, message: str) -> None:
        self._close()
        self.on_message(message)
