"""Preferences of this workstation: where document files are stored (folder or S3)."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

from .. import settings as app_settings
from .storage_settings import StorageSettingsPage


class PreferencesDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Preferences — GCMC Desktop")
        self.setMinimumWidth(520)
        self.storage_page = StorageSettingsPage()
        values, secret = app_settings.load_storage()
        self.storage_page.set_values(values, secret)
        self.message = QLabel()
        self.message.setWordWrap(True)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self._save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("<b>Document storage</b>"))
        layout.addWidget(self.storage_page)
        layout.addWidget(self.message)
        layout.addWidget(buttons)

    def _save(self) -> None:
        values, secret = self.storage_page.values()
        try:
            app_settings.save_storage(values, secret)
        except app_settings.KeyringUnavailable as exc:
            self.message.setText(f"{exc} The secret key will be asked for again.")
            return
        self.accept()
