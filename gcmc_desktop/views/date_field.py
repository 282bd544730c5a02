"""An optional date field: typeable, pickable from a calendar, clearable — and never silently
wrong.

QDateEdit cannot be empty: the usual trick (a "blank" minimum date) opens its calendar at
September 1752, swallows dates typed in other forms and drops what it cannot parse. This field is
a line edit instead:

- typed in the display format (default ``yyyy-MM-dd``), and a few common forms besides
  (``20261201``, ``2026/12/01``; day-first forms when the display format is day-first);
- a calendar button whose popup opens at the date shown, or at today when empty;
- the line edit's clear button empties it (no date);
- text that is not a date is an error shown under the field — `date()` never pretends it is
  empty, and `validate()` says whether the form may be saved.
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QDate, QPoint, Qt, Signal
from PySide6.QtWidgets import (
    QCalendarWidget,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

DEFAULT_FORMAT = "yyyy-MM-dd"
ERROR_STYLE = "color: #b3261e;"
FIRST_YEAR, LAST_YEAR = 1900, 2199


class InvalidDate(ValueError):
    """Raised by `OptionalDateField.date()` when the text is not a date; `str()` says why."""


def accepted_formats(display_format: str) -> list[str]:
    """Qt date formats accepted when typing, the display format first. Year-first forms are
    always accepted (they are unambiguous); day-first or month-first forms only in the order
    the display format uses."""
    forms = [display_format, "yyyy-M-d", "yyyyMMdd", "yyyy/M/d", "yyyy.M.d"]
    first = display_format.lstrip()[:1].lower()
    if first == "d":
        forms += ["d/M/yyyy", "d-M-yyyy", "d.M.yyyy", "ddMMyyyy"]
    elif first == "m":
        forms += ["M/d/yyyy", "M-d-yyyy", "M.d.yyyy", "MMddyyyy"]
    return list(dict.fromkeys(forms))


def parse_date(text: str, display_format: str = DEFAULT_FORMAT) -> date | None:
    """`text` as a date (None when blank); InvalidDate with a message otherwise."""
    text = text.strip()
    if not text:
        return None
    for form in accepted_formats(display_format):
        parsed = QDate.fromString(text, form)
        if parsed.isValid():
            if not FIRST_YEAR <= parsed.year() <= LAST_YEAR:
                raise InvalidDate(f"Choose a year between {FIRST_YEAR} and {LAST_YEAR}.")
            return parsed.toPython()
    raise InvalidDate(f"Not a date. Type it as {display_format.lower()}, or pick it.")


class OptionalDateField(QWidget):
    """A date or nothing. `dateChanged(object)` carries the new `date | None` when valid."""

    dateChanged = Signal(object)

    def __init__(self, display_format: str = DEFAULT_FORMAT, parent: QWidget | None = None):
        super().__init__(parent)
        self.display_format = display_format
        self._last: date | None = None
        self.edit = QLineEdit()
        self.edit.setPlaceholderText(display_format.lower())
        self.edit.setClearButtonEnabled(True)
        self.edit.setToolTip(f"Type a date as {display_format.lower()}, or leave it empty.")
        self.calendar_button = QToolButton()
        # An arrow, not an emoji: every style draws it, whatever fonts are installed.
        self.calendar_button.setArrowType(Qt.ArrowType.DownArrow)
        self.calendar_button.setToolTip("Pick a date")
        self.calendar_button.setAccessibleName("Pick a date")
        self.calendar_button.clicked.connect(self.open_calendar)
        self.calendar = QCalendarWidget(self)
        self.calendar.setWindowFlags(Qt.WindowType.Popup)
        self.calendar.setGridVisible(True)
        self.calendar.clicked.connect(self._picked)
        self.calendar.activated.connect(self._picked)
        self.calendar.hide()
        self.error = QLabel()
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.setWordWrap(True)
        self.error.setAccessibleName("Date error")
        self.error.hide()

        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(2)
        row.addWidget(self.edit, 1)
        row.addWidget(self.calendar_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(row)
        layout.addWidget(self.error)
        self.setFocusProxy(self.edit)

        self.edit.textChanged.connect(self._text_changed)
        self.edit.editingFinished.connect(self._normalise)

    # -- value ------------------------------------------------------------------------------

    def date(self) -> date | None:
        """The date typed, None when empty; InvalidDate when the text is not a date."""
        return parse_date(self.edit.text(), self.display_format)

    def setDate(self, value: date | None) -> None:  # Qt-style, like QDateEdit
        self.edit.setText("" if value is None else self._format(value))

    def clear(self) -> None:
        self.edit.clear()

    def text(self) -> str:
        return self.edit.text()

    def is_valid(self) -> bool:
        try:
            self.date()
        except InvalidDate:
            return False
        return True

    def validate(self) -> bool:
        """Show the error (if any) under the field; True when the text is a date or empty."""
        try:
            self.date()
        except InvalidDate as exc:
            self.show_error(str(exc))
            return False
        self.show_error("")
        return True

    def error_text(self) -> str:
        return self.error.text() if not self.error.isHidden() else ""

    def show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.setVisible(bool(message))

    # -- calendar ---------------------------------------------------------------------------

    def open_calendar(self) -> None:
        try:
            current = self.date()
        except InvalidDate:
            current = None
        shown = QDate(current) if current is not None else QDate.currentDate()
        self.calendar.setSelectedDate(shown)
        self.calendar.setCurrentPage(shown.year(), shown.month())
        self.calendar.adjustSize()
        self.calendar.move(self.edit.mapToGlobal(QPoint(0, self.edit.height())))
        self.calendar.show()
        self.calendar.setFocus()

    def _picked(self, picked: QDate) -> None:
        self.setDate(picked.toPython())
        self.calendar.hide()
        self.edit.setFocus()

    # -- internals --------------------------------------------------------------------------

    def _format(self, value: date) -> str:
        return QDate(value).toString(self.display_format)

    def _text_changed(self, _text: str) -> None:
        # A fixed mistake clears its error at once; a new one waits for the user to finish.
        try:
            value = self.date()
        except InvalidDate:
            return
        self.show_error("")
        if value != self._last:
            self._last = value
            self.dateChanged.emit(value)

    def _normalise(self) -> None:
        """On leaving the field: rewrite a date typed in another form in the display format,
        or say why the text is not a date."""
        if self.validate():
            value = self.date()
            if value is not None and self.edit.text() != self._format(value):
                self.edit.setText(self._format(value))
