"""How the views show messages: an error banner above a form or list, and the red line under a
field. One look everywhere, so people learn it once."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

ERROR_STYLE = "color: #b3261e;"
BANNER_STYLE = (
    "background: #fdecea; color: #611a15; border: 1px solid #f5c2c0; border-radius: 4px;"
    "padding: 6px 8px;"
)


def banner() -> QLabel:
    """A hidden error banner; `show_in(banner, text)` shows it, an empty text hides it."""
    label = QLabel()
    label.setStyleSheet(BANNER_STYLE)
    label.setWordWrap(True)
    label.setAccessibleName("Error message")
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.hide()
    return label


def show_in(label: QLabel, message: str) -> None:
    label.setText(message)
    label.setVisible(bool(message))


def shown_text(label: QLabel) -> str:
    """The message a banner shows ("" when hidden) — for tests and accessibility."""
    return label.text() if label.isVisible() else ""


def code_label(value: object) -> str:
    """A stored vocabulary code as people read it: "regulatory_filing" -> "Regulatory filing",
    "active" -> "Active". Text that is not a code (has capitals, spaces, digits) is shown as
    stored."""
    text = "" if value is None else str(value)
    if text and all(part.isalpha() and part.islower() for part in text.split("_")):
        return text.replace("_", " ").capitalize()
    return text
