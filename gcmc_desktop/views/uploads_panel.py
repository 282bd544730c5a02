"""The uploads panel: one row per file with its own progress bar and Cancel, plus Cancel all.
It shows itself when a batch starts; finished rows stay with their outcome until cleared.

A file that ends without being stored says so at a glance: a refused (or failed) row loses its
progress bar for the word "Refused", takes the error colour and icon, and its full reason is
wrapped in the row and repeated in the tooltip. The batch total (`totalChanged`, shown in the
status bar) is summed from the very byte counts the rows show, so the two always agree.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QProgressBar,
    QPushButton,
    QStyle,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from .kit.operations import alive
from .uploads import UploadManager

NAME, PROGRESS, STATUS, ACTION = range(4)
ERROR_COLOUR = QColor("#b3261e")
STATE_TEXT = {
    "refused": "Refused",
    "failed": "Failed",
    "deferred": "Will retry",
    "cancelled": "Cancelled",
}
_STATE = Qt.ItemDataRole.UserRole
_ERRORS = ("refused", "failed")
_ENDED = ("done", "refused", "failed", "deferred", "cancelled")


class UploadsPanel(QWidget):
    totalChanged = Signal("qint64", "qint64")  # bytes done, bytes total of the current batch

    def __init__(self, uploads: UploadManager, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.uploads = uploads
        self._rows: dict[str, QTreeWidgetItem] = {}
        self._bytes: dict[str, tuple[int, int]] = {}  # what each row's bar shows
        self._batch: list[str] = []  # rows of the batch under way (the total's rows)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["File", "Progress", "Status", ""])
        self.tree.setRootIsDecorated(False)
        self.tree.setWordWrap(True)  # long reasons wrap instead of being cut
        self.tree.setUniformRowHeights(False)
        self.tree.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        header = self.tree.header()
        header.setSectionResizeMode(NAME, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(STATUS, QHeaderView.ResizeMode.Stretch)
        header.setStretchLastSection(False)
        self.tree.setColumnWidth(NAME, 260)
        self.tree.setColumnWidth(PROGRESS, 160)
        self.cancel_all_button = QPushButton("Cancel &all")
        self.cancel_all_button.clicked.connect(uploads.cancel_all)
        self.clear_button = QPushButton("C&lear finished")
        self.clear_button.clicked.connect(self.clear_finished)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.clear_button)
        buttons.addWidget(self.cancel_all_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.tree)
        layout.addLayout(buttons)
        # Plain functions, not bound methods, guarded: the manager may outlive the panel (a
        # bound-method connection of this three-argument signal crashed PySide on deletion).
        uploads.fileQueued.connect(alive(self, self._queued))
        uploads.fileProgress.connect(alive(self, self._progress))
        uploads.fileEnded.connect(alive(self, self._ended))
        self._update_buttons()

    def row(self, name: str) -> QTreeWidgetItem:
        item = self._rows.get(name)
        if item is None:
            if not any(self.state(n) is None for n in self._batch):
                self._batch = []  # nothing under way: a new batch starts
            self._batch.append(name)
            item = QTreeWidgetItem([name, "", "Waiting…", ""])
            item.setToolTip(NAME, name)
            self.tree.addTopLevelItem(item)
            bar = QProgressBar()
            bar.setRange(0, 1000)
            bar.setValue(0)
            bar.setMaximumHeight(16)
            self.tree.setItemWidget(item, PROGRESS, bar)
            cancel = QPushButton("Cancel")
            cancel.clicked.connect(lambda _checked=False, n=name: self.uploads.cancel(n))
            self.tree.setItemWidget(item, ACTION, cancel)
            self._rows[name] = item
            self._bytes[name] = (0, 0)
            self._update_buttons()
            self._emit_total()
        return item

    def _queued(self, name: str) -> None:
        # The manager reuses a name once its upload is over: a new upload gets a new row.
        old = self._rows.get(name)
        if old is not None and self.state(name) in _ENDED:
            self.tree.takeTopLevelItem(self.tree.indexOfTopLevelItem(old))
            del self._rows[name]
            if name in self._batch:
                self._batch.remove(name)
        self.row(name)

    def state(self, name: str) -> str | None:
        """How the row's upload ended ("done", "refused", …), None while it is under way."""
        item = self._rows.get(name)
        return None if item is None else item.data(STATUS, _STATE)

    def progress_of(self, name: str) -> int:
        """Per mille done for `name` (for tests and accessibility tools); 0 for a row that
        ended without being stored."""
        bar = self.tree.itemWidget(self._rows[name], PROGRESS)
        return bar.value() if isinstance(bar, QProgressBar) else 0

    def total(self) -> tuple[int, int]:
        """Bytes done and to do over the batch's rows, from the numbers the rows show: rows
        that ended without storing anything (refused, cancelled, …) are left out."""
        done = total = 0
        for name in self._batch:
            if self.state(name) in (None, "done"):
                row_done, row_total = self._bytes.get(name, (0, 0))
                done += row_done
                total += row_total
        return done, total

    def _emit_total(self) -> None:
        self.totalChanged.emit(*self.total())

    def _progress(self, name: str, done: int, total: int) -> None:
        item = self.row(name)
        if self.state(name) is not None:
            return
        self._bytes[name] = (done, total)
        bar = self.tree.itemWidget(item, PROGRESS)
        if isinstance(bar, QProgressBar):
            bar.setValue(int(done * 1000 / total) if total else 0)
        item.setText(STATUS, "Uploading…" if total and done < total else "Saving…")
        self._emit_total()

    def _drop_widget(self, item: QTreeWidgetItem, column: int) -> None:
        # removeItemWidget only schedules the deletion: hide it now, or it lingers on screen.
        widget = self.tree.itemWidget(item, column)
        if widget is not None:
            widget.hide()
            self.tree.removeItemWidget(item, column)

    def _ended(self, name: str, state: str, message: str) -> None:
        item = self.row(name)
        # The row names the file already: "x.pdf cannot be uploaded: it is empty." reads
        # "It is empty." in the row, so the reason fits; the tooltip keeps all of it.
        shown = message
        prefix = f"{name} cannot be uploaded: "
        if shown.startswith(prefix) and len(shown) > len(prefix):
            rest = shown[len(prefix) :]
            shown = rest[:1].upper() + rest[1:]
        item.setText(STATUS, shown)
        item.setToolTip(STATUS, message)
        item.setData(STATUS, _STATE, state)
        self._drop_widget(item, ACTION)
        if state == "done":
            bar = self.tree.itemWidget(item, PROGRESS)
            if isinstance(bar, QProgressBar):
                bar.setValue(1000)
            _done, total = self._bytes.get(name, (0, 0))
            self._bytes[name] = (total, total)
        else:
            # No bar at 0% that looks queued: the state in words, in place of the bar.
            self._drop_widget(item, PROGRESS)
            item.setText(PROGRESS, STATE_TEXT.get(state, state))
            item.setToolTip(PROGRESS, message)
            item.setToolTip(NAME, f"{name}\n{message}")
        if state in _ERRORS:
            brush = QBrush(ERROR_COLOUR)
            for column in (NAME, PROGRESS, STATUS):
                item.setForeground(column, brush)
            icon = self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxCritical)
            item.setIcon(NAME, icon)
        elif state == "deferred":
            icon = self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
            item.setIcon(NAME, icon)
        self._update_buttons()
        self._emit_total()

    def clear_finished(self) -> None:
        for name, item in list(self._rows.items()):
            if item.data(STATUS, _STATE) in _ENDED:
                self.tree.takeTopLevelItem(self.tree.indexOfTopLevelItem(item))
                del self._rows[name]
                self._bytes.pop(name, None)
                if name in self._batch:
                    self._batch.remove(name)
        self._update_buttons()
        self._emit_total()

    def _update_buttons(self) -> None:
        running = any(item.data(STATUS, _STATE) is None for item in self._rows.values())
        self.cancel_all_button.setEnabled(running)
        self.clear_button.setEnabled(len(self._rows) > 0 and not running)
