"""Form fields declared as data. A `FieldSpec` says what a field edits and how (one line, several
lines, a fixed choice, suggestions, a date, tags); `build_editor` makes its widget and
`read` / `write` move values between the widget and the plain dicts the services speak.

Stored codes never reach the user's eyes: choices show labels, and a suggestion field marked
`coded` shows a stored code ("struck_off") as its label ("Struck off") and gives the code back
when the user leaves it alone."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QComboBox, QDateEdit, QLineEdit, QPlainTextEdit, QWidget

from .messages import code_label

# Generous typing limits for one-line fields (the services validate lengths too): enough for
# any real name or address line, short of text that only a paste accident produces.
NAME_MAX = 255
EMAIL_MAX = 254  # the longest address SMTP allows
SHORT_MAX = 64  # phone numbers, TIN, NIS and registration numbers
NO_DATE = QDate(1900, 1, 1)  # a QDateEdit cannot be empty: its minimum stands for "no date"

FieldKind = Literal["line", "text", "choice", "suggest", "date", "tags"]


@dataclass(frozen=True)
class FieldSpec:
    """One field of a record form.

    kind: "line" (one line), "text" (several lines), "choice" (one of `choices`, (label, value)
    pairs; `blank` is the label of "no value"), "suggest" (free text with `choices` as
    suggestions), "date" (or none), "tags" (comma-separated text <-> a list).
    `choice_error` replaces the service's message for this field (which lists stored codes) with
    words about what the user sees; `tooltips` explain choices (an authority's full name)."""

    key: str
    label: str
    kind: FieldKind = "line"
    required: bool = False
    placeholder: str = ""
    max_length: int = NAME_MAX
    choices: Sequence[tuple[str, Any]] = ()
    blank: str | None = None
    height: int | None = None
    default: Any = None
    coded: bool = False
    choice_error: str | None = None
    tooltips: Mapping[Any, str] = field(default_factory=dict)

    @property
    def caption(self) -> str:
        return f"{self.label} *" if self.required else self.label


def choices(values: Sequence[str], label: Any = code_label) -> tuple[tuple[str, str], ...]:
    """(label, code) pairs for a vocabulary of stored codes."""
    return tuple((label(value), value) for value in values)


def combo(options: Sequence[tuple[str, Any]], *, editable: bool = False) -> QComboBox:
    box = QComboBox()
    box.setEditable(editable)
    # Enter in an editable combo saves the form; it must not also add the text as an item.
    box.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
    for text, value in options:
        box.addItem(text, value)
    return box


def date_edit() -> QDateEdit:
    edit = QDateEdit()
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("yyyy-MM-dd")
    edit.setMinimumDate(NO_DATE)
    edit.setSpecialValueText("Not set")
    edit.setDate(NO_DATE)
    return edit


def build_editor(spec: FieldSpec) -> QWidget:
    """The widget that edits `spec`, with its limits, placeholder and choices."""
    widget: QWidget
    if spec.kind in ("line", "tags"):
        widget = QLineEdit()
        widget.setMaxLength(spec.max_length)
        widget.setPlaceholderText(spec.placeholder)
    elif spec.kind == "text":
        widget = QPlainTextEdit()
        widget.setTabChangesFocus(True)
        widget.setFixedHeight(spec.height or 72)
        widget.setPlaceholderText(spec.placeholder)
    elif spec.kind == "choice":
        blank = [] if spec.blank is None else [(spec.blank, None)]
        widget = combo([*blank, *spec.choices])
        for index, (_label, value) in enumerate(spec.choices, start=len(blank)):
            if value in spec.tooltips:
                widget.setItemData(index, spec.tooltips[value], Qt.ItemDataRole.ToolTipRole)
    elif spec.kind == "suggest":
        widget = combo([("", "")], editable=True)
        widget.addItems([label for label, _value in spec.choices])
        widget.setCurrentText("")
        widget.lineEdit().setMaxLength(spec.max_length)
        widget.lineEdit().setPlaceholderText(spec.placeholder)
    elif spec.kind == "date":
        widget = date_edit()
    else:
        raise ValueError(f"unknown field kind {spec.kind!r}")
    widget.setObjectName(spec.key)
    return widget


def tags_text(tags: Any) -> str:
    """Tags as a form shows them: comma-separated."""
    if not tags:
        return ""
    if isinstance(tags, str):
        return tags
    return ", ".join(str(tag) for tag in tags)


def form_value(spec: FieldSpec, value: Any) -> Any:
    """A stored value in the shape the form holds it (tags as text, a code as its label)."""
    if spec.kind == "tags":
        return tags_text(value)
    if spec.coded and isinstance(value, str):
        return code_label(value)
    return value


def read(widget: QWidget) -> Any:
    if isinstance(widget, QLineEdit):
        return widget.text()
    if isinstance(widget, QPlainTextEdit):
        return widget.toPlainText()
    if isinstance(widget, QDateEdit):
        value = widget.date()
        return None if value == widget.minimumDate() else value.toPython()
    if isinstance(widget, QComboBox):
        if widget.isEditable():
            return widget.currentText()
        return widget.currentData()
    raise TypeError(f"unsupported editor {widget!r}")


def write(widget: QWidget, value: Any) -> None:
    if isinstance(widget, QLineEdit):
        widget.setText("" if value is None else str(value))
    elif isinstance(widget, QPlainTextEdit):
        widget.setPlainText("" if value is None else str(value))
    elif isinstance(widget, QDateEdit):
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        if isinstance(value, datetime):
            value = value.date()
        widget.setDate(QDate(value) if isinstance(value, date) else widget.minimumDate())
    elif isinstance(widget, QComboBox):
        if widget.isEditable():
            widget.setCurrentText("" if value is None else str(value))
        else:
            index = widget.findData(value)
            widget.setCurrentIndex(max(index, 0))
    else:
        raise TypeError(f"unsupported editor {widget!r}")


def display(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, datetime | date):
        return value.isoformat()[:10] if isinstance(value, date) else value.isoformat(" ")[:16]
    if isinstance(value, list | tuple):
        return tags_text(value) or "—"
    return str(value)


def comparable(value: Any) -> Any:
    """Blank text and None mean the same thing on a form; dates compare by calendar day."""
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, datetime):
        return value.date()
    return value
