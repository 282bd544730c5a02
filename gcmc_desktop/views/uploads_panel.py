"""The uploads panel: one row per file with its own progress bar and Cancel, plus Cancel all.
It shows itself when a batch starts; finished rows stay with their outcome until cleared."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QProgressBar,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from .uploads import UploadManager

NAME, PROGRESS, STATUS, ACTION = range(4)


class UploadsPanel(QWidget):
    def __init__(self, uploads: UploadManager, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.uploads = uploads
        self._rows: dict[str, QTreeWidgetItem] = {}
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["File", "Progress", "Status", ""])
        self.tree.setRootIsDecorated(False)
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
        uploads.fileQueued.connect(self.row)
        uploads.fileProgress.connect(self._progress)
        uploads.fileFinished.connect(lambda name, message: self._ended(name, message, True))
        uploads.fileFailed.connect(lambda name, reason: self._ended(name, reason, False))
        self._update_buttons()

    def row(self, name: str) -> QTreeWidgetItem:
        item = self._rows.get(name)
        if item is None:
            item = QTreeWidgetItem([name, "", "Waiting…", ""])
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
            self._update_buttons()
        return item

    def progress_of(self, name: str) -> int:
        """Per mille done for `name` (for tests and accessibility tools)."""
        bar = self.tree.itemWidget(self._rows[name], PROGRESS)
        return bar.value() if isinstance(bar, QProgressBar) else 0

    def _progress(self, name: str, done: int, total: int) -> None:
        item = self.row(name)
        bar = self.tree.itemWidget(item, PROGRESS)
        if isinstance(bar, QProgressBar):
            bar.setValue(int(done * 1000 / total) if total else 0)
        item.setText(STATUS, "Uploading…" if total and done < total else "Saving…")

    def _ended(self, name: str, message: str, ok: bool) -> None:
        item = self.row(name)
        item.setText(STATUS, message)
        item.setData(STATUS, Qt.ItemDataRole.UserRole, "done" if ok else "failed")
        bar = self.tree.itemWidget(item, PROGRESS)
        if isinstance(bar, QProgressBar) and ok:
            bar.setValue(1000)
        self.tree.removeItemWidget(item, ACTION)
        self._update_buttons()

    def clear_finished(self) -> None:
        for name, item in list(self._rows.items()):
            if item.data(STATUS, Qt.ItemDataRole.UserRole) in ("done", "failed"):
                self.tree.takeTopLevelItem(self.tree.indexOfTopLevelItem(item))
                del self._rows[name]
        self._update_buttons()

    def _update_buttons(self) -> None:
        running = any(
            item.data(STATUS, Qt.ItemDataRole.UserRole) is None for item in self._rows.values()
        )
        self.cancel_all_button.setEnabled(running)
        self.clear_button.setEnabled(len(self._rows) > 0 and not running)
