"""Questions whose default answer is the safe one: Enter and Esc both mean Cancel (or No), so a
destructive action always takes a deliberate click."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QMessageBox, QWidget

# (parent, title, text) -> proceed? Pages and dialogs keep one as an attribute so tests and
# scripted use can answer without a modal box.
Confirm = Callable[[QWidget, str, str], bool]


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


# What a delete question says when the record goes to Deleted items (services/trash.py).
RESTORABLE = "It can be restored for 30 days from Deleted items."


def confirm_delete(parent: QWidget, title: str, text: str) -> bool:
    """Deleting takes a deliberate click: Enter and Esc mean Cancel. A question that says the
    record can be restored shows that instead of "This cannot be undone."."""
    if RESTORABLE in text:
        question = text.replace(RESTORABLE, "").strip()
        return ask_to_proceed(parent, title, question, RESTORABLE, "Delete")
    return ask_to_proceed(parent, title, text, "This cannot be undone.", "Delete")


def ask_yes_no(parent: QWidget, title: str, text: str) -> bool:
    """A question box whose default answer is No."""
    answer = QMessageBox.question(
        parent,
        title,
        text,
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        QMessageBox.StandardButton.No,
    )
    return answer == QMessageBox.StandardButton.Yes
