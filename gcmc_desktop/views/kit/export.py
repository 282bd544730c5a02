"""Export… on every list page: what the list shows — its filters, search, sort, and the visible
columns in the order and with the titles on screen — to a CSV or Excel file, in the background
with progress and Cancel (services/export.py does the streaming; this is the page's half).

The file name comes from `ask_export_path` (a save dialog remembering the last folder and
format); a page's `export_path` attribute replaces it, so tests and scripts never block on a
modal dialog.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QStandardPaths, Qt, QThreadPool
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QProgressBar,
    QPushButton,
    QWidget,
)

from ... import settings as app_settings
from ...services.context import Context
from ...services.errors import ServiceError
from ...services.export import XLSX, ExportCancelled, ExportColumn, ExportResult, export_list
from ..workers import Job, JobControl
from .operations import run_operation

if TYPE_CHECKING:
    from .list_page import ListPage

ExportPath = Callable[[QWidget, str], str | None]
FOLDER_KEY = "export/folder"
FORMAT_KEY = "export/format"
_pool: QThreadPool | None = None


def export_pool() -> QThreadPool:
    """Exports run on threads of their own: a minutes-long export must not take a thread of
    the global pool from the saves and deletes people are waiting for."""
    global _pool
    if _pool is None:
        _pool = QThreadPool()
        _pool.setMaxThreadCount(2)
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(end_exports)
    return _pool


_running: dict[int, Job] = {}


def _forget(key: int, *_signal_args: object) -> None:
    _running.pop(key, None)


def end_exports() -> None:
    """On quit: running exports stop at their next batch and remove their partial files."""
    for job in list(_running.values()):
        job.control.cancel()
    if _pool is not None:
        _pool.waitForDone(10_000)


_FILTERS = {"csv": "CSV, comma-separated (*.csv)", "xlsx": "Excel workbook (*.xlsx)"}


def suggested_path(plural: str) -> str:
    """Where the save dialog starts: the last export's folder (else Documents), the list's name
    and today's date, in the last format used (Excel at first)."""
    store = app_settings.settings()
    folder = str(store.value(FOLDER_KEY) or "") or QStandardPaths.writableLocation(
        QStandardPaths.StandardLocation.DocumentsLocation
    )
    suffix = str(store.value(FORMAT_KEY) or XLSX)
    suffix = suffix if suffix in _FILTERS else XLSX
    return str(Path(folder) / f"{plural.capitalize()} {date.today().isoformat()}.{suffix}")


def remember(path: str) -> None:
    store = app_settings.settings()
    store.setValue(FOLDER_KEY, str(Path(path).parent))
    store.setValue(FORMAT_KEY, "xlsx" if path.lower().endswith(".xlsx") else "csv")


def ask_export_path(parent: QWidget, suggested: str) -> str | None:
    """The save dialog: a path ending in .csv or .xlsx, or None when the user cancels."""
    suffix = "xlsx" if suggested.lower().endswith(".xlsx") else "csv"
    order = [suffix, *(k for k in _FILTERS if k != suffix)]
    path, chosen = QFileDialog.getSaveFileName(
        parent, "Export list", suggested, ";;".join(_FILTERS[k] for k in order)
    )
    if not path:
        return None
    if not path.lower().endswith((".csv", ".xlsx")):
        path += ".xlsx" if "xlsx" in chosen else ".csv"
    return path


def visible_columns(page: ListPage) -> list[ExportColumn]:
    """The columns the page's table shows, in the order shown, with their titles and labels."""
    header = page.table.horizontalHeader()
    model = page.model
    columns = model.query.columns
    out = []
    for visual in range(header.count()):
        logical = header.logicalIndex(visual)
        if header.isSectionHidden(logical) or not 0 <= logical < len(columns):
            continue
        key = columns[logical].key
        title = model.headerData(logical, Qt.Orientation.Horizontal) or columns[logical].title
        out.append(ExportColumn(key, str(title), page.spec.labels.get(key)))
    return out


class ExportBar(QWidget):
    """The export's progress in the page's footer, with its Cancel button; hidden when idle."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bar = QProgressBar()
        self.bar.setMinimumWidth(160)
        self.bar.setMaximumWidth(220)
        self.bar.setFormat("%p%")
        self.bar.setAccessibleName("Export progress")
        self.cancel_button = QPushButton("Cancel export")
        self.cancel_button.setAutoDefault(False)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.bar)
        layout.addWidget(self.cancel_button)
        self.hide()

    def started(self) -> None:
        self.bar.setRange(0, 0)  # busy until the count is in
        self.cancel_button.setEnabled(True)
        self.show()

    def progressed(self, done: int, total: int) -> None:
        if total > 0:
            self.bar.setRange(0, total)
            self.bar.setValue(min(done, total))

    def finished(self) -> None:
        self.hide()


def start_export(page: ListPage, path: str | None = None) -> Job | None:
    """Ask for a file (unless `path` is given) and export the page's list to it in the
    background. None when an export is already running or the user chose no file."""
    if page.export_job is not None:
        return None
    spec = page.spec
    if path is None:
        path = page.export_path(page, suggested_path(spec.plural))
        if not path:
            return None
    remember(path)
    columns = visible_columns(page)
    query = page.model.query.clone()
    total = page.model.total
    ctx: Context = page.ctx
    plural = spec.plural
    name = Path(path).name

    def work(wctx: Context, control: JobControl) -> ExportResult:
        def progress(done: int, total: int) -> None:
            control.progress(done, total, f"Exporting {plural}: {done:,} of {total:,}")

        try:
            return export_list(
                wctx,
                query,
                columns,
                path,
                module=spec.module,
                sheet=plural.capitalize(),
                total=total,
                progress=progress,
                cancelled=lambda: control.cancelled,
            )
        except ExportCancelled:
            control.check()  # the job ends as cancelled
            raise

    def done(result: ExportResult) -> None:
        page.export_job = None
        page.export_bar.finished()
        page.export_button.setEnabled(True)
        noun = spec.noun if result.rows == 1 else plural
        page.status.setText(f"Exported {result.rows:,} {noun} to {result.path}.")
        page.exported.emit(str(result.path))

    def failed(error: ServiceError) -> None:
        page.export_job = None
        page.export_bar.finished()
        page.export_button.setEnabled(True)
        page.status.setText("")
        page.show_message(error.message)

    def cancelled() -> None:
        page.export_job = None
        page.export_bar.finished()
        page.export_button.setEnabled(True)
        page.status.setText(f"Export cancelled: {name} was not written.")

    page.show_message("")
    page.status.setText(f"Exporting {plural} to {name}…")
    page.export_button.setEnabled(False)
    page.export_bar.started()
    job = run_operation(
        ctx,
        work,
        owner=page,
        with_progress=True,
        on_done=done,
        on_error=failed,
        on_progress=lambda d, t, _m: page.export_bar.progressed(d, t),
        on_cancelled=cancelled,
        pool=export_pool(),
        description=f"Exporting {plural}…",
    )
    page.export_job = job
    _running[id(job)] = job
    for signal in (job.signals.finished, job.signals.failed, job.signals.cancelled):
        # By id: a connected callable that held the job would keep it in memory (workers.py).
        signal.connect(partial(_forget, id(job)))
    return job


def cancel_export(page: ListPage) -> None:
    job = page.export_job
    if job is not None:
        job.control.cancel()
        page.export_bar.cancel_button.setEnabled(False)
        page.status.setText("Cancelling the export…")
