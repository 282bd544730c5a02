"""The scanning station: a simple window for the PC beside the multifunction printer. It
watches one scan folder (local or a network share), files every scan that arrives
(services/intake) and shows what went where; scans it could not file wait in the review queue
for someone to say where they belong.

Looking at the folder runs in the background (a share that hangs must not freeze the window),
every `POLL_MS` and as soon as the OS reports a change where it can (QFileSystemWatcher: local
folders; shares often report nothing, the periodic look covers them). One scan is processed at
a time. The lists keep the latest `KEEP_ROWS` entries so the window can run all day.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import QFileSystemWatcher, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QCloseEvent, QDesktopServices, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from .. import settings as app_settings
from ..services.client_list import find_clients
from ..services.context import Context
from ..services.document_types import document_type_choices
from ..services.intake.pickup import ScanFolder
from ..services.intake.review import ReviewQueue
from ..services.outbox import Outbox, UploadTarget
from ..services.storage import StorageProvider
from .kit import messages
from .kit.fields import FieldSpec
from .kit.operations import run_operation
from .kit.questions import ask_yes_no
from .kit.record_dialog import RecordDialog, RecordSpec
from .workers import run_job

POLL_MS = 2_000
KEEP_ROWS = 500
FOLDER_KEY = "station/folder"
MODE_KEY = "station/mode"
OCR_KEY = "station/ocr_engine"


def ocr_preference() -> str:
    """The station's OCR setting: auto (Tesseract where installed, else RapidOCR), rapidocr,
    tesseract or off."""
    from ..services.intake.ocr import AUTO, ENGINES

    value = str(app_settings.settings().value(OCR_KEY, AUTO) or AUTO)
    return value if value in ENGINES else AUTO


def station_mode() -> bool:
    """Whether this PC is a scanning station: the station window is what opens at start."""
    value = app_settings.settings().value(MODE_KEY, "false")
    return str(value).lower() in ("true", "1", "yes")


def _assign_spec(station: ScanningStation, item_id: str) -> RecordSpec:
    use_ocr, engine = station.ocr, station.ocr_engine  # read here, on the GUI thread
    item = station.review.get(item_id) if station.review else None
    suggestions = item.suggestions if item else []

    def defaults(_ctx: Context, _scope: Any) -> dict[str, Any]:
        """The client the scan's text names first (a TIN, NIS number or name found in it)."""
        if not suggestions:
            return {}
        first = suggestions[0]
        return {"client_id": (first["name"], first["id"])}

    def create(ctx: Context, values: dict[str, Any], **_scope: Any) -> dict[str, Any]:
        from ..services.intake.station import assign

        message = assign(
            ctx,
            station.review,
            item_id,
            UploadTarget(
                client_id=values.get("client_id"),
                document_type_id=values.get("document_type_id"),
                title=values.get("title"),
            ),
            outbox=station.outbox,
            storage=station.storage,
            ocr=use_ocr,
            ocr_engine=engine,
        )
        return {"id": 0, "message": message}

    return RecordSpec(
        noun="scan",
        entity="document",
        fields=(
            FieldSpec(
                "client_id",
                "Client",
                "lookup",
                required=True,
                lookup=find_clients,
                placeholder="Type a client's name, TIN or NIS number",
            ),
            FieldSpec(
                "document_type_id",
                "Document type",
                "choice",
                required=True,
                blank="(choose)",
                load=lambda ctx, _known: document_type_choices(ctx),
            ),
            FieldSpec("title", "Title", required=True, placeholder="e.g. TIN certificate"),
        ),
        load=lambda _ctx, _id: {},
        create=create,
        update=lambda *_args: {},
        defaults=defaults,
    )


def _cell(text: str) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
    item.setToolTip(text)
    return item


class ScanningStation(QMainWindow):
    filed = Signal(object)  # a ScanResult

    def __init__(
        self,
        ctx: Context,
        storage: StorageProvider,
        *,
        outbox: Outbox | None = None,
        folder: Path | None = None,
        settle: float = 2.0,
        poll_ms: int = POLL_MS,
        on_close: Callable[[], None] | None = None,
        ocr: bool = True,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.ocr = ocr  # text for image-only scans (seconds a page)
        self.ctx = ctx
        self._on_close = on_close  # station mode: closing the window ends the application
        self.storage = storage
        self.outbox = outbox or Outbox()
        self.settle = settle
        self.scan_folder: ScanFolder | None = None
        self.review: ReviewQueue | None = None
        self._looking = False
        self._processing: Path | None = None
        self._queue: list[Path] = []
        # Tests answer questions without a modal dialog.
        self.confirm = ask_yes_no
        self.setWindowTitle(f"GCMC Scanning Station — {ctx.tenant_name}")
        self.setMinimumSize(900, 560)

        self.folder_edit = QLineEdit()
        self.folder_edit.setReadOnly(True)
        self.folder_edit.setPlaceholderText("No scan folder chosen")
        self.choose_button = QPushButton("&Choose scan folder…")
        self.choose_button.clicked.connect(self.choose_folder)
        self.open_button = QPushButton("&Open folder")
        self.open_button.clicked.connect(self._open_folder)
        self.state = QLabel("Choose the folder your scanner saves to.")
        self.mode_box = QCheckBox("Open only this window at start (scanning station mode)")
        self.mode_box.setChecked(station_mode())
        self.mode_box.toggled.connect(
            lambda on: app_settings.settings().setValue(MODE_KEY, "true" if on else "false")
        )
        self.ocr_box = QComboBox()
        self.ocr_box.setAccessibleName("Text recognition (OCR) engine")
        self.ocr_label = QLabel()
        self.ocr_label.setTextFormat(Qt.TextFormat.PlainText)
        self._fill_ocr_box()
        self.ocr_box.currentIndexChanged.connect(self._ocr_chosen)
        self.error = messages.banner()
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.progress.setMaximumWidth(200)
        self.progress.hide()

        self.incoming = QListWidget()
        self.filed_table = QTableWidget(0, 5)
        self.filed_table.setHorizontalHeaderLabels(["Time", "Scan", "Pages", "Filed to", "Result"])
        self.filed_table.verticalHeader().hide()
        self.filed_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.filed_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.filed_table.setTextElideMode(Qt.TextElideMode.ElideRight)
        header = self.filed_table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for column, width in enumerate((70, 220, 60, 320)):
            self.filed_table.setColumnWidth(column, width)
        self.review_list = QListWidget()
        self.review_list.itemActivated.connect(lambda _item: self.assign_selected())
        self.assign_button = QPushButton("&Assign…")
        self.assign_button.clicked.connect(self.assign_selected)
        self.preview_button = QPushButton("&View")
        self.preview_button.clicked.connect(self._view_selected)
        self.discard_button = QPushButton("&Discard…")
        self.discard_button.clicked.connect(self.discard_selected)
        review_buttons = QHBoxLayout()
        for button in (self.assign_button, self.preview_button, self.discard_button):
            review_buttons.addWidget(button)
        review_buttons.addStretch(1)
        review_page = QWidget()
        review_layout = QVBoxLayout(review_page)
        review_layout.addWidget(self.review_list, 1)
        review_layout.addLayout(review_buttons)
        self.failed_list = QListWidget()

        self.tabs = QTabWidget()
        self.tabs.addTab(self.filed_table, "Filed")
        self.tabs.addTab(review_page, "Review queue")
        self.tabs.addTab(self.incoming, "Incoming")
        self.tabs.addTab(self.failed_list, "Failed")

        top = QHBoxLayout()
        top.addWidget(QLabel("Scan folder:"))
        top.addWidget(self.folder_edit, 1)
        top.addWidget(self.choose_button)
        top.addWidget(self.open_button)
        status = QHBoxLayout()
        status.addWidget(self.state, 1)
        status.addWidget(self.progress)
        options = QHBoxLayout()
        ocr_caption = QLabel("&Text recognition:")
        ocr_caption.setBuddy(self.ocr_box)
        options.addWidget(ocr_caption)
        options.addWidget(self.ocr_box)
        options.addWidget(self.ocr_label, 1)
        options.addWidget(self.mode_box)
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.addLayout(top)
        layout.addLayout(status)
        layout.addLayout(options)
        layout.addWidget(self.error)
        layout.addWidget(self.tabs, 1)
        self.setCentralWidget(central)

        self.watcher = QFileSystemWatcher(self)
        self.watcher.directoryChanged.connect(lambda _path: self.look())
        self.timer = QTimer(self)
        self.timer.setInterval(poll_ms)
        self.timer.timeout.connect(self.look)
        QShortcut(QKeySequence.StandardKey.Refresh, self, self.look)
        self._update_buttons()
        start = folder or Path(str(app_settings.settings().value(FOLDER_KEY, "") or ""))
        if str(start) not in ("", ".") and start.is_dir():
            self.set_folder(start)

    # ------------------------------------------------------------------ OCR engine

    def _fill_ocr_box(self) -> None:
        from ..services.intake import ocr

        auto = ocr.choose(ocr.AUTO)
        tesseract = ocr.tesseract_path() is not None
        entries = [
            (f"Automatic ({'Tesseract' if auto == ocr.TESSERACT else 'RapidOCR'})", ocr.AUTO),
            ("RapidOCR (bundled)", ocr.RAPIDOCR),
            ("Tesseract" if tesseract else "Tesseract (not installed)", ocr.TESSERACT),
            ("Off", ocr.OFF),
        ]
        for text, value in entries:
            self.ocr_box.addItem(text, value)
        model = self.ocr_box.model()
        item = model.item(2) if hasattr(model, "item") else None
        if item is not None and not tesseract:
            item.setEnabled(False)
            item.setToolTip("Install Tesseract (tesseract-ocr) on this PC to use it")
        preference = ocr_preference() if self.ocr else ocr.OFF
        self.ocr_box.setCurrentIndex(max(0, self.ocr_box.findData(preference)))
        self._show_ocr()
        if ocr.choose(preference) == ocr.TESSERACT:
            # Loaded here, before the window shows: a native module first imported on a
            # worker thread holds the GIL while it loads (a ~50 ms freeze mid-work).
            with contextlib.suppress(ImportError):
                import cv2  # noqa: F401

    @property
    def ocr_engine(self) -> str:
        return str(self.ocr_box.currentData() or "auto")

    def _ocr_chosen(self, _index: int) -> None:
        self.ocr = self.ocr_engine != "off"
        app_settings.settings().setValue(OCR_KEY, self.ocr_engine)
        self._show_ocr()

    def _show_ocr(self) -> None:
        from ..services.intake import ocr

        engine = ocr.choose(self.ocr_engine)
        self.ocr_label.setText(
            f"Image-only scans are read by {ocr.describe(engine)}."
            if engine
            else "Off: image-only scans are filed without searchable text."
        )

    def _warm_ocr(self) -> None:
        """Start the OCR process now (its engine loads in seconds) rather than at the first
        image-only scan."""
        from ..services.intake import ocr_worker

        engine = self.ocr_engine
        threading.Thread(
            target=ocr_worker.shared().warm, args=(engine,), name="gcmc-ocr-warm", daemon=True
        ).start()

    # ------------------------------------------------------------------ the folder

    def choose_folder(self) -> None:
        chosen = QFileDialog.getExistingDirectory(
            self, "Scan folder", self.folder_edit.text() or str(Path.home())
        )
        if chosen:
            self.set_folder(Path(chosen))

    def set_folder(self, folder: Path) -> None:
        self.scan_folder = ScanFolder(folder, settle=self.settle)
        self.review = ReviewQueue(folder / ".gcmc-intake" / "review")
        self.folder_edit.setText(str(folder))
        app_settings.settings().setValue(FOLDER_KEY, str(folder))
        for path in self.watcher.directories():
            self.watcher.removePath(path)
        self.watcher.addPath(str(folder))
        self.timer.start()
        if self.ocr:
            self._warm_ocr()
        self.state.setText(f"Watching {folder} — new scans are filed automatically.")
        self._show_review()
        self._show_failed()
        self._update_buttons()
        self.look()

    def _open_folder(self) -> None:
        if self.scan_folder:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.scan_folder.root)))

    def look(self) -> None:
        """Ask (in the background) which files are ready; they queue for processing."""
        folder = self.scan_folder
        if folder is None or self._looking:
            return
        self._looking = True

        def done(ready: list[Path]) -> None:
            self._looking = False
            self._show_incoming(folder)
            for path in ready:
                if path not in self._queue and path != self._processing:
                    self._queue.append(path)
            self._next()

        def failed(message: str) -> None:
            self._looking = False
            messages.show_in(self.error, message)

        run_job(lambda _control: folder.ready(), on_done=done, on_error=failed)

    def _show_incoming(self, folder: ScanFolder) -> None:
        self.incoming.clear()
        for path in sorted(folder._seen):  # what it saw: waiting to settle, or queued
            waiting = path in self._queue or path == self._processing
            self.incoming.addItem(f"{path.name} — {'queued' if waiting else 'arriving…'}")

    # ------------------------------------------------------------------ processing

    def _next(self) -> None:
        if self._processing is not None or not self._queue or self.review is None:
            return
        path = self._queue.pop(0)
        folder, review = self.scan_folder, self.review
        assert folder is not None
        self._processing = path
        self.progress.show()
        self.state.setText(f"Filing {path.name}…")

        engine = self.ocr_engine

        def work(wctx: Context) -> Any:
            from ..services.intake.station import take_scan

            return take_scan(
                wctx,
                folder,
                path,
                outbox=self.outbox,
                storage=self.storage,
                review=review,
                ocr=self.ocr,
                ocr_engine=engine,
            )

        def done(outcome: Any) -> None:
            self._processing = None
            self.progress.hide()
            if outcome is not None:
                self._record(path, outcome)
            self.state.setText(f"Watching {folder.root} — new scans are filed automatically.")
            self._next()

        def failed(error: Any) -> None:
            # Not filed and not moved: the scan stays in the folder and is tried again.
            self._processing = None
            self.progress.hide()
            messages.show_in(self.error, f"{path.name}: {getattr(error, 'message', error)}")
            self._next()

        run_operation(self.ctx, work, owner=self, on_done=done, on_error=failed)

    def _record(self, path: Path, outcome: Any) -> None:
        from ..services.intake.station import ScanResult

        now = datetime.now().strftime("%H:%M")
        rows: list[tuple[str, str, str, str, str]] = []
        if isinstance(outcome, ScanResult):
            for filed in outcome.filed:
                pages = ", ".join(map(str, filed.pages))
                rows.append((now, path.name, pages, f"{filed.client} — {filed.document_type}",
                             filed.message))  # fmt: skip
            for item in outcome.review:
                pages = ", ".join(map(str, item.pages))
                rows.append((now, path.name, pages, "Review queue", item.reason))
            if not rows:
                rows.append((now, path.name, str(outcome.pages), "—", "No pages to file."))
            self.filed.emit(outcome)
        elif isinstance(outcome, str):
            rows.append((now, path.name, "", "—", outcome))
        else:  # a broken scan, moved to failed/
            rows.append((now, path.name, "", "Failed", getattr(outcome, "message", str(outcome))))
        for values in rows:
            self.filed_table.insertRow(0)
            for column, text in enumerate(values):
                self.filed_table.setItem(0, column, _cell(text))
        while self.filed_table.rowCount() > KEEP_ROWS:
            self.filed_table.removeRow(self.filed_table.rowCount() - 1)
        self._show_review()
        self._show_failed()

    # ------------------------------------------------------------------ review queue

    def _show_review(self) -> None:
        self.review_list.clear()
        if self.review is None:
            return
        items = self.review.items()
        for item in items[-KEEP_ROWS:]:
            suggested = f" Suggested: {item.suggested}." if item.suggested else ""
            entry = QListWidgetItem(f"{item.title} — {item.reason}{suggested}")
            entry.setData(Qt.ItemDataRole.UserRole, item.id)
            self.review_list.addItem(entry)
        self.tabs.setTabText(1, f"Review queue ({len(items)})" if items else "Review queue")
        self._update_buttons()

    def _show_failed(self) -> None:
        self.failed_list.clear()
        if self.scan_folder is None:
            return
        for reason in sorted((self.scan_folder.root / "failed").glob("*.reason.txt")):
            text = reason.read_text(encoding="utf-8", errors="replace").strip().splitlines()
            name = reason.name.removesuffix(".reason.txt")
            self.failed_list.addItem(f"{name} — {text[-1] if text else ''}")

    def _selected_review(self) -> str | None:
        item = self.review_list.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item else None

    def _update_buttons(self) -> None:
        chosen = self._selected_review() is not None
        for button in (self.assign_button, self.preview_button, self.discard_button):
            button.setEnabled(chosen or self.review_list.count() > 0)
        self.open_button.setEnabled(self.scan_folder is not None)

    def assign_selected(self) -> RecordDialog | None:
        if self.review_list.currentItem() is None and self.review_list.count():
            self.review_list.setCurrentRow(0)
        item_id = self._selected_review()
        if item_id is None:
            return None
        dialog = RecordDialog(self.ctx, _assign_spec(self, item_id), parent=self)
        dialog.setWindowTitle("File this scan")
        dialog.saved.connect(lambda _id: self._show_review())
        dialog.show()
        return dialog

    def _view_selected(self) -> None:
        item_id = self._selected_review()
        item = self.review.get(item_id) if (self.review and item_id) else None
        if item is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(item.pdf))

    def discard_selected(self) -> None:
        item_id = self._selected_review()
        if item_id is None or self.review is None:
            return
        if self.confirm(self, "Discard scan", "Discard these scanned pages? They are deleted."):
            self.review.remove(item_id)
            self._show_review()

    def closeEvent(self, event: QCloseEvent) -> None:
        from ..services.intake import ocr_worker

        self.timer.stop()
        # The OCR process's memory goes back to the system; off the GUI thread, since a part
        # being read is finished first.
        threading.Thread(target=ocr_worker.stop_shared, name="gcmc-ocr-stop", daemon=True).start()
        super().closeEvent(event)
        if self._on_close is not None:
            self._on_close()

    @property
    def busy(self) -> bool:
        return self._processing is not None or self._looking or bool(self._queue)
