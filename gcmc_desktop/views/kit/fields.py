"""Form fields declared as data. A `FieldSpec` says what a field edits and how (one line, several
lines, a fixed choice, suggestions, a date, tags); `build_editor` makes its widget and
`read` / `write` move values between the widget and the plain dicts the services speak.

Stored codes never reach the user's eyes: choices show labels, and a suggestion field marked
`coded` shows a stored code ("struck_off") as its label ("Struck off") and gives the code back
when the user leaves it alone."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal, Protocol, runtime_checkable

from PySide6.QtCore import QDate, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QWidget,
)

from ...services.context import Context
from ...services.records import tags_text
from .messages import code_label

# Generous typing limits for one-line fields (the services validate lengths too): enough for
# any real name or address line, short of text that only a paste accident produces.
NAME_MAX = 255
EMAIL_MAX = 254  # the longest address SMTP allows
SHORT_MAX = 64  # phone numbers, TIN, NIS and registration numbers
NO_DATE = QDate(1900, 1, 1)  # a QDateEdit cannot be empty: its minimum stands for "no date"

FieldKind = Literal[
    "line", "text", "choice", "suggest", "date", "tags", "lookup", "custom", "password"
]
Choices = Sequence[tuple[str, Any]]
# (ctx, the form's current values and scope) -> choices, run off the GUI thread.
LoadChoices = Callable[[Context, Mapping[str, Any]], Choices]
# (ctx, typed text, how many) -> (label, value) matches, run off the GUI thread.
Lookup = Callable[[Context, str, int], Choices]
LOOKUP_DELAY_MS = 250
LOOKUP_LIMIT = 20


@dataclass(frozen=True)
class FieldSpec:
    """One field of a record form.

    kind: "line" (one line), "password" (one line, not shown), "text" (several lines),
    "choice" (one of `choices`, (label, value) pairs; `blank` is the label of "no value"),
    "suggest" (free text with `choices` as suggestions), "date" (or none), "tags"
    (comma-separated text <-> a list), "lookup" (one of many records, found as the user types
    through `lookup`), "custom" (`editor()` builds a widget with `value()` / `set_value()`;
    with a `load`, also `set_choices()` and `display()`, see `ChoosingEditor`).
    A choice's `load` reads its choices in the background, again whenever a field named in
    `depends_on` changes (a business among the chosen client's). `create_only` fields are set
    when the record is created and shown read-only after; `scoped` fields are not shown when the
    dialog's scope holds their value (a client's workspace already says which client).
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
    load: LoadChoices | None = None
    depends_on: tuple[str, ...] = ()
    lookup: Lookup | None = None
    editor: Callable[[], QWidget] | None = None
    create_only: bool = False
    scoped: bool = False

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
    if spec.kind in ("line", "tags", "password"):
        widget = QLineEdit()
        widget.setMaxLength(spec.max_length)
        widget.setPlaceholderText(spec.placeholder)
        if spec.kind == "password":  # typed characters are never shown
            widget.setEchoMode(QLineEdit.EchoMode.Password)
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
    elif spec.kind == "lookup":
        widget = LookupBox(spec.placeholder)
    elif spec.kind == "custom":
        assert spec.editor is not None, f"custom field {spec.key} needs an editor"
        widget = spec.editor()
    else:
        raise ValueError(f"unknown field kind {spec.kind!r}")
    widget.setObjectName(spec.key)
    return widget


@runtime_checkable
class CustomEditor(Protocol):
    """An editor the kit does not know: it says its own value."""

    def value(self) -> Any: ...

    def set_value(self, value: Any) -> None: ...


@runtime_checkable
class ChoosingEditor(CustomEditor, Protocol):
    """A custom editor whose field has a `load`: the loaded choices (whatever shape the load
    returns) are handed to `set_choices`, and `display(value)` says a value in words (for the
    both-versions conflict dialog)."""

    def set_choices(self, choices: Any) -> None: ...

    def display(self, value: Any) -> str: ...


class CheckList(QListWidget):
    """Several of a fixed list of (label, value) choices, ticked with the mouse or Space; its
    value is the ticked values in the list's order (empty: none)."""

    changed = Signal()

    def __init__(self, options: Sequence[tuple[str, Any]], accessible_name: str = "") -> None:
        super().__init__()
        for label, value in options:
            item = QListWidgetItem(label)
            item.setData(Qt.ItemDataRole.UserRole, value)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.addItem(item)
        if accessible_name:
            self.setAccessibleName(accessible_name)
        self.itemChanged.connect(lambda _item: self.changed.emit())

    def value(self) -> list[Any]:
        return [
            self.item(i).data(Qt.ItemDataRole.UserRole)
            for i in range(self.count())
            if self.item(i).checkState() == Qt.CheckState.Checked
        ]

    def set_value(self, values: Any) -> None:
        chosen = set(values or ())
        for i in range(self.count()):
            item = self.item(i)
            ticked = item.data(Qt.ItemDataRole.UserRole) in chosen
            item.setCheckState(Qt.CheckState.Checked if ticked else Qt.CheckState.Unchecked)

    def labels(self) -> list[str]:
        return [
            self.item(i).text()
            for i in range(self.count())
            if self.item(i).checkState() == Qt.CheckState.Checked
        ]


class LookupBox(QComboBox):
    """Type to find one of many records (a client among a million): after a pause, `searching`
    asks for matches, which `show_matches` lists. Its value is the chosen record's id; text that
    matches no listed record is no value (the service then says what is missing)."""

    searching = Signal(str)

    def __init__(self, placeholder: str = "") -> None:
        super().__init__()
        self.setEditable(True)
        self.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.lineEdit().setPlaceholderText(placeholder or "Type to search…")
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(LOOKUP_DELAY_MS)
        self._timer.timeout.connect(lambda: self.searching.emit(self.currentText().strip()))
        self.lineEdit().textEdited.connect(lambda _text: self._timer.start())

    def show_matches(self, text: str, matches: Choices) -> None:
        if text != self.currentText().strip():
            return  # the user typed on meanwhile
        typed = self.currentText()
        self.blockSignals(True)
        self.clear()
        for label, value in matches:
            self.addItem(label, value)
        self.setCurrentIndex(-1)
        self.setEditText(typed)
        self.blockSignals(False)
        if matches:
            self.showPopup()

    def value(self) -> Any:
        index = self.findText(self.currentText().strip(), Qt.MatchFlag.MatchExactly)
        return self.itemData(index) if index >= 0 else None

    def set_value(self, value: Any) -> None:
        """`value` is (label, id) — the label people read — or None."""
        self.clear()
        if isinstance(value, tuple | list) and len(value) == 2:
            self.addItem(str(value[0]), value[1])
            self.setCurrentIndex(0)
        else:
            self.setEditText("")


def form_value(spec: FieldSpec, value: Any) -> Any:
    """A stored value in the shape the form holds it (tags as text, a code as its label)."""
    if spec.kind == "tags":
        return tags_text(value)
    if spec.coded and isinstance(value, str):
        return code_label(value)
    return value


def read(widget: QWidget) -> Any:
    if isinstance(widget, CustomEditor):
        return widget.value()
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
    if isinstance(widget, CustomEditor):
        widget.set_value(value)
    elif isinstance(widget, QLineEdit):
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
    if isinstance(value, Mapping) and "label" in value:
        return str(value["label"])
    return str(value)


def comparable(value: Any) -> Any:
    """Blank text and None mean the same thing on a form; dates compare by calendar day."""
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, datetime):
        return value.date()
    return value
