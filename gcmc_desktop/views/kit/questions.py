"""Questions whose default answer is the safe one: Enter and Esc both mean Cancel, so a
destructive action always takes a deliberate click."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QWidget


def ask_to_proceed(parent: QWidget | None, title: str, text: str, detail: str, action: str) -> bool:
    """A warning box with `action` (e.g. "Delete") and Cancel, Cancel the default."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle(title)
    box.setText(text)
    box.setInformativeText(detail)
    proceed = box.addButton(action, QMessageBox.ButtonRole.DestructiveRole)
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(cancel)
    box.setEscapeButton(cancel)
    box.exec()
    return box.clickedButton() is proceed
