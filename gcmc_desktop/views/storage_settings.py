"""Settings page for where document files are kept: a folder, or an S3-compatible bucket.

The page only edits values (`values()` / `set_values()`); persisting them (QSettings, and the
secret key in the keyring) is the settings dialog's job. "Test connection" builds the provider
from what is typed and runs its probe in the background, so a dead endpoint never freezes the
window.
"""

from __future__ import annotations

from pathlib import Path

import shiboken6
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from ..services.storage import (
    StorageCheck,
    StorageError,
    StorageSettings,
    default_folder,
    storage_from_settings,
)
from .workers import Job, JobControl, run_job

__all__ = ["StorageSettingsPage"]

KINDS = (("local", "Folder (local or network)"), ("s3", "S3-compatible (MinIO, AWS S3)"))
OK_COLOUR = "#1b7f3b"
FAIL_COLOUR = "#b3261e"


class StorageSettingsPage(QWidget):
    """`tested(ok, message)` is emitted when a connection test ends."""

    tested = Signal(bool, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.status_ok: bool | None = None
        self._job: Job | None = None
        self._generation = 0

        self.kind_combo = QComboBox()
        for kind, label in KINDS:
            self.kind_combo.addItem(label, kind)

        # Folder page
        self.folder_edit = QLineEdit()
        try:
            default = str(default_folder())
        except OSError:
            default = "the application's data folder"
        self.folder_edit.setPlaceholderText(default)
        self.folder_edit.setToolTip("Leave empty to use the default folder on this computer.")
        self.browse_button = QPushButton("Browse…")
        self.browse_button.clicked.connect(self._browse)
        folder_row = QHBoxLayout()
        folder_row.setContentsMargins(0, 0, 0, 0)
        folder_row.addWidget(self.folder_edit, 1)
        folder_row.addWidget(self.browse_button)
        folder_hint = QLabel(
            "Every workstation must reach the same folder (a network share) for staff to "
            "see each other's files. Empty: a folder on this computer only."
        )
        folder_hint.setWordWrap(True)
        self.folder_page = QWidget()
        folder_form = QFormLayout(self.folder_page)
        folder_form.addRow("Folder", folder_row)
        folder_form.addRow("", folder_hint)

        # S3 page
        self.endpoint_edit = QLineEdit()
        self.endpoint_edit.setPlaceholderText("https://minio.example.gy:9000 (empty: AWS S3)")
        self.region_edit = QLineEdit()
        self.region_edit.setPlaceholderText("us-east-1")
        self.bucket_edit = QLineEdit()
        self.access_key_edit = QLineEdit()
        self.secret_key_edit = QLineEdit()
        self.secret_key_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.s3_page = QWidget()
        s3_form = QFormLayout(self.s3_page)
        s3_form.addRow("Endpoint", self.endpoint_edit)
        s3_form.addRow("Region", self.region_edit)
        s3_form.addRow("Bucket *", self.bucket_edit)
        s3_form.addRow("Access key *", self.access_key_edit)
        s3_form.addRow("Secret key *", self.secret_key_edit)

        self.stack = QStackedWidget()
        self.stack.addWidget(self.folder_page)
        self.stack.addWidget(self.s3_page)

        self.test_button = QPushButton("Test connection")
        self.test_button.clicked.connect(self.test_connection)
        self.status_icon = QLabel()
        self.status_text = QLabel()
        self.status_text.setWordWrap(True)
        self.status_text.setTextFormat(Qt.TextFormat.PlainText)  # paths are not markup
        status_row = QHBoxLayout()
        status_row.addWidget(self.test_button)
        status_row.addWidget(self.status_icon)
        status_row.addWidget(self.status_text, 1)

        kind_form = QFormLayout()
        kind_form.addRow("Keep documents in", self.kind_combo)
        layout = QVBoxLayout(self)
        layout.addLayout(kind_form)
        layout.addWidget(self.stack)
        layout.addLayout(status_row)
        layout.addStretch(1)

        self.kind_combo.currentIndexChanged.connect(self._kind_changed)
        # A result shown for other values than those now typed would mislead.
        for edit in (
            self.folder_edit,
            self.endpoint_edit,
            self.region_edit,
            self.bucket_edit,
            self.access_key_edit,
            self.secret_key_edit,
        ):
            edit.textEdited.connect(self._clear_status)
        self._kind_changed()

    # ------------------------------------------------------------------------------ values

    def kind(self) -> str:
        return str(self.kind_combo.currentData())

    def set_kind(self, kind: str) -> None:
        index = self.kind_combo.findData(kind)
        self.kind_combo.setCurrentIndex(max(index, 0))

    def values(self) -> tuple[StorageSettings, str | None]:
        """The settings typed, and the secret key (None when empty). Both kinds' fields are
        returned, so switching back and forth loses nothing."""
        folder = self.folder_edit.text().strip()
        settings = StorageSettings(
            kind="s3" if self.kind() == "s3" else "local",
            folder=Path(folder).expanduser() if folder else None,
            endpoint_url=self.endpoint_edit.text().strip() or None,
            region=self.region_edit.text().strip() or "us-east-1",
            bucket=self.bucket_edit.text().strip(),
            access_key=self.access_key_edit.text().strip(),
        )
        return settings, self.secret_key_edit.text() or None

    def set_values(self, settings: StorageSettings, secret: str | None) -> None:
        self.set_kind(settings.kind)
        self.folder_edit.setText(str(settings.folder) if settings.folder else "")
        self.endpoint_edit.setText(settings.endpoint_url or "")
        self.region_edit.setText(settings.region or "")
        self.bucket_edit.setText(settings.bucket)
        self.access_key_edit.setText(settings.access_key)
        self.secret_key_edit.setText(secret or "")
        self._clear_status()

    # ------------------------------------------------------------------------------ testing

    def test_connection(self) -> Job:
        settings, secret = self.values()
        self._generation += 1
        generation = self._generation
        self.test_button.setEnabled(False)
        self._show_status(None, "Testing…")

        def work(control: JobControl) -> StorageCheck:
            try:
                provider = storage_from_settings(settings, secret)
            except StorageError as exc:
                return StorageCheck(False, exc.message)
            return provider.test_connection()

        def done(check: StorageCheck) -> None:
            self._finished(generation, check)

        def failed(message: str) -> None:
            self._finished(generation, StorageCheck(False, message))

        self._job = run_job(work, on_done=done, on_error=failed)
        return self._job

    def _finished(self, generation: int, check: StorageCheck) -> None:
        # The page may be gone (dialog closed mid-test), or a newer test may have started.
        if not shiboken6.isValid(self) or generation != self._generation:
            return
        self._job = None
        self.test_button.setEnabled(True)
        self._show_status(check.ok, check.message)
        self.tested.emit(check.ok, check.message)

    def _show_status(self, ok: bool | None, message: str) -> None:
        self.status_ok = ok
        if ok is None:
            self.status_icon.setText("")
        else:
            colour = OK_COLOUR if ok else FAIL_COLOUR
            self.status_icon.setText("✔" if ok else "✘")
            self.status_icon.setStyleSheet(f"color: {colour}; font-weight: bold;")
        self.status_text.setText(message)

    def _clear_status(self) -> None:
        if self._job is None:
            self._show_status(None, "")

    # ------------------------------------------------------------------------------ UI

    def _kind_changed(self) -> None:
        self.stack.setCurrentWidget(self.s3_page if self.kind() == "s3" else self.folder_page)
        self._clear_status()

    def _browse(self) -> None:
        start = self.folder_edit.text().strip() or self.folder_edit.placeholderText()
        chosen = QFileDialog.getExistingDirectory(self, "Folder for document files", start)
        if chosen:
            self.folder_edit.setText(chosen)
            self._clear_status()
