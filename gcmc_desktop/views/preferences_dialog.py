"""Preferences of this workstation: where document files are stored (folder or S3), and
whether new notifications pop up in the system tray.

Save tests the storage first (the same probe as "Test connection", in the background): settings
that work are saved at once; settings that do not are saved only when the user says "Save
anyway" after reading why they fail. `storageSaved` tells the main window to switch to the new
storage right away — no sign-out needed. The tray setting needs no test: Save keeps it at once
(`notificationsSaved`).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from .. import settings as app_settings
from .kit.questions import ask_to_proceed
from .storage_settings import StorageSettingsPage

FAIL_COLOUR = "#b3261e"


def ask_save_anyway(parent: QWidget, message: str) -> bool:
    """The default question for settings that failed their test; the default answer is No."""
    return ask_to_proceed(
        parent,
        "Document storage",
        "These storage settings do not work.",
        f"{message}\n\nUntil this is fixed, documents cannot be previewed, opened or uploaded.",
        "Save anyway",
    )


class PreferencesDialog(QDialog):
    storageSaved = Signal()  # new storage settings are saved: use them now
    notificationsSaved = Signal()  # the tray setting is saved

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        confirm_save_anyway: Callable[[QWidget, str], bool] | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Preferences — GCMC Desktop")
        self.setMinimumWidth(520)
        # Injectable, so tests never block on the modal question.
        self.confirm_save_anyway = confirm_save_anyway or ask_save_anyway
        self.saving = False
        self._pending = app_settings.load_storage()
        self.storage_page = StorageSettingsPage()
        values, secret = app_settings.load_storage()
        self.storage_page.set_values(values, secret)
        self.storage_page.tested.connect(self._tested)
        self.tray_box = QCheckBox("Show new notifications in the system tray")
        self.tray_box.setChecked(app_settings.tray_notifications_enabled())
        self.tray_box.setToolTip(
            "A short message next to the clock when a reminder or notification arrives "
            "for you while GCMC Desktop is open."
        )
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.buttons.accepted.connect(self._save)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("<b>Document storage</b>"))
        layout.addWidget(self.storage_page)
        layout.addWidget(QLabel("<b>Notifications</b>"))
        layout.addWidget(self.tray_box)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)

    def _save(self) -> None:
        """Test what is typed, then save it (see `_tested`)."""
        if self.saving:
            return
        if self.tray_box.isChecked() != app_settings.tray_notifications_enabled():
            app_settings.set_tray_notifications(self.tray_box.isChecked())
            self.notificationsSaved.emit()
        self.saving = True
        self.save_button.setEnabled(False)
        self.message.setStyleSheet("")
        self.message.setText("Checking the storage before saving…")
        # What is saved is what was tested, even if the fields are edited meanwhile.
        self._pending = self.storage_page.values()
        self.storage_page.test_connection()

    def _tested(self, ok: bool, message: str) -> None:
        if not self.saving:
            return  # a plain "Test connection"
        self.saving = False
        self.save_button.setEnabled(True)
        if not ok and not self.confirm_save_anyway(self, message):
            self.message.setStyleSheet(f"color: {FAIL_COLOUR};")
            # The reason is shown by the test result just above: don't repeat it.
            self.message.setText(
                "Not saved: these settings failed the test above. Correct them, or press Save "
                "again and choose “Save anyway”."
            )
            return
        values, secret = self._pending
        try:
            app_settings.save_storage(values, secret)
        except app_settings.KeyringUnavailable as exc:
            self.message.setText(f"{exc} The secret key will be asked for again.")
            return
        self.message.clear()
        self.storageSaved.emit()
        self.accept()
