"""Create/edit dialogs for records saved through a service with optimistic concurrency.

`RecordDialog` is the shared machinery (the client dialog here, the business dialog in
`business_dialog.py`): fields with an error label under each, load and save in background jobs,
validation messages next to their fields, a banner for other errors, the both-versions conflict
dialog, and Esc asking before it throws edits away. Whatever happens, the form keeps what the
user typed.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import shiboken6
from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..services import records
from ..services.catalog import CLIENT_TYPES, RISK_LEVELS, SECTORS
from ..services.changes import ChangeSet
from ..services.clients import create_client, get_client, update_client
from ..services.context import Context
from ..services.errors import ConflictError, ServiceError, ValidationError
from .kit.bus import change_bus
from .kit.operations import run_operation

ERROR_STYLE = "color: #b3261e;"
BANNER_STYLE = (
    "background: #fdecea; color: #611a15; border: 1px solid #f5c2c0; border-radius: 4px;"
    "padding: 6px 8px;"
)
DIFF_BACKGROUND = QColor("#fff3c4")
# Generous typing limits for one-line fields (the services validate lengths too): enough for
# any real name or address line, short of text that only a paste accident produces.
NAME_MAX = 255
EMAIL_MAX = 254  # the longest address SMTP allows
SHORT_MAX = 64  # phone numbers, TIN, NIS and registration numbers
NO_DATE = QDate(1900, 1, 1)  # a QDateEdit cannot be empty: its minimum stands for "no date"


def ask_yes_no(parent: QWidget, title: str, text: str) -> bool:
    """The default confirmation: a question box whose default answer is No."""
    answer = QMessageBox.question(
        parent,
        title,
        text,
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        QMessageBox.StandardButton.No,
    )
    return answer == QMessageBox.StandardButton.Yes


# -- fields -----------------------------------------------------------------------------------


@dataclass
class Field:
    """One form field: the service attribute it edits, its label and its editor widget."""

    key: str
    label: str
    widget: QWidget
    error: QLabel | None = None


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


def widget_value(widget: QWidget) -> Any:
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


def set_widget_value(widget: QWidget, value: Any) -> None:
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
    return str(value)


def code_label(value: Any) -> str:
    """A stored vocabulary code as people read it: "regulatory_filing" -> "Regulatory filing",
    "active" -> "Active". Text that is not a code (has capitals, spaces, digits) is shown as
    stored."""
    text = "" if value is None else str(value)
    if text and all(part.isalpha() and part.islower() for part in text.split("_")):
        return text.replace("_", " ").capitalize()
    return text


def comparable(value: Any) -> Any:
    """Blank text and None mean the same thing on a form; dates compare by calendar day."""
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, datetime):
        return value.date()
    return value


# -- the conflict dialog ----------------------------------------------------------------------


class ConflictDialog(QDialog):
    """Someone saved first: both versions side by side, differing fields highlighted, with what
    a merge would keep. The user merges (their changes to fields I did not touch are taken, my
    changes to fields they did not touch are kept, and each field we both changed is chosen one
    by one), keeps theirs (overwrite), takes the other one, or goes back to the form.

    `show(key, value)` turns a stored value into the text people read ("company" -> "Company");
    `base` is the record as the form loaded it (what "changed" is measured against)."""

    KEEP_MINE = "mine"
    TAKE_THEIRS = "theirs"
    MERGE = "merge"

    def __init__(
        self,
        fields: Sequence[tuple[str, str]],
        mine: dict[str, Any],
        theirs: dict[str, Any],
        parent: QWidget | None = None,
        *,
        base: dict[str, Any] | None = None,
        show: Callable[[str, Any], str] | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Someone else saved this record")
        self.choice: str | None = None
        self.mine, self.theirs = dict(mine), dict(theirs)
        base = dict(mine) if base is None else base
        shown = show or (lambda _key, value: display(value))
        intro = QLabel(
            "While you were editing, someone else saved this record. Highlighted fields differ. "
            "Merge keeps your changes and theirs; where you both changed a field, choose whose "
            "to keep. Or keep your whole version (it overwrites theirs), or take theirs into the "
            "form and drop your edits."
        )
        intro.setWordWrap(True)
        self.table = QTableWidget(len(fields), 4)
        self.table.setHorizontalHeaderLabels(
            ["Field", "Your version", "Their version (saved)", "Merged"]
        )
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(True)
        self.differing: list[str] = []
        self.conflicting: list[str] = []  # changed by both, differently: the user picks
        self._taken: dict[str, str] = {}  # key -> MINE/THEIRS, decided without asking
        self.choices: dict[str, QComboBox] = {}
        bold = QFont()
        bold.setBold(True)
        for row, (key, label) in enumerate(fields):
            mine_value, their_value = comparable(mine.get(key)), comparable(theirs.get(key))
            differs = mine_value != their_value
            i_changed = mine_value != comparable(base.get(key))
            they_changed = their_value != comparable(base.get(key))
            merged_text = ""
            if differs:
                self.differing.append(key)
                if i_changed and they_changed:
                    self.conflicting.append(key)
                elif i_changed:
                    self._taken[key] = self.KEEP_MINE
                    merged_text = "Yours (they did not change it)"
                else:
                    self._taken[key] = self.TAKE_THEIRS
                    merged_text = "Theirs (you did not change it)"
            items = [
                QTableWidgetItem(label),
                QTableWidgetItem(shown(key, mine.get(key))),
                QTableWidgetItem(shown(key, theirs.get(key))),
                QTableWidgetItem(merged_text),
            ]
            for column, item in enumerate(items):
                if differs:
                    item.setBackground(QBrush(DIFF_BACKGROUND))
                    if column == 0:
                        item.setFont(bold)
                self.table.setItem(row, column, item)
            if key in self.conflicting:
                pick = QComboBox()
                pick.addItem("Choose…", None)
                pick.addItem("Keep yours", self.KEEP_MINE)
                pick.addItem("Take theirs", self.TAKE_THEIRS)
                pick.setAccessibleName(f"{label}: whose version to keep")
                pick.currentIndexChanged.connect(self._update_merge_button)
                self.choices[key] = pick
                self.table.setCellWidget(row, 3, pick)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.ResizeToContents)
        self.table.resizeRowsToContents()

        buttons = QDialogButtonBox()
        self.merge_button = buttons.addButton(
            "Merge and save", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.keep_button = buttons.addButton(
            "Keep mine (overwrite)", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.theirs_button = buttons.addButton(
            "Take theirs (drop my edits)", QDialogButtonBox.ButtonRole.ApplyRole
        )
        self.cancel_button = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        # Nothing is chosen by Enter alone: overwriting someone's work must be deliberate.
        for button in (self.merge_button, self.keep_button, self.theirs_button, self.cancel_button):
            button.setAutoDefault(False)
        self.merge_button.clicked.connect(lambda: self._choose(self.MERGE))
        self.keep_button.clicked.connect(lambda: self._choose(self.KEEP_MINE))
        self.theirs_button.clicked.connect(lambda: self._choose(self.TAKE_THEIRS))
        self.cancel_button.clicked.connect(self.reject)
        self._update_merge_button()

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)
        self.resize(860, 440)

    def choose(self, key: str, whose: str) -> None:
        """Pick whose value a merge keeps for a field both changed (KEEP_MINE / TAKE_THEIRS)."""
        box = self.choices[key]
        box.setCurrentIndex(box.findData(whose))

    def merged(self) -> dict[str, Any]:
        """My values, with theirs where they changed a field I left alone or where the user
        chose theirs."""
        result = dict(self.mine)
        for key in self.differing:
            whose = self._taken.get(key) or self.choices[key].currentData()
            if whose == self.TAKE_THEIRS:
                result[key] = self.theirs.get(key)
        return result

    def _update_merge_button(self, *_args: Any) -> None:
        undecided = [k for k, box in self.choices.items() if box.currentData() is None]
        self.merge_button.setEnabled(not undecided)
        self.merge_button.setToolTip(
            "Choose whose version to keep for each field you both changed." if undecided else ""
        )

    def _choose(self, choice: str) -> None:
        self.choice = choice
        self.accept()


# -- the shared dialog ------------------------------------------------------------------------


class RecordDialog(QDialog):
    """Create (record_id None) or edit one record. Subclasses build `self.fields` and implement
    `load_record`, `create_record`, `update_record`, each returning a snapshot dict."""

    # The id of a record whose stored version changed: saved here, or (after a conflict)
    # found saved by someone else. Listeners refresh what they show of it.
    saved = Signal(int)
    loaded = Signal()

    noun = "record"
    entity = ""  # the change bus's name for the record's type (client, client_business, …)

    def __init__(self, ctx: Context, record_id: int | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.record_id = record_id
        self.fields: dict[str, Field] = {}
        self.original: dict[str, Any] = {}
        self.updated_at: datetime | None = None
        self.result_values: dict[str, Any] | None = None
        self.conflict_dialog: ConflictDialog | None = None
        self.is_loaded = record_id is None
        self.saving = False
        self._focus_after_failure: QWidget | None = None
        # Injectable so tests (and other front ends) never block on a modal question.
        self.confirm: Callable[[QWidget, str, str], bool] = ask_yes_no

        self.banner = QLabel()
        self.banner.setWordWrap(True)
        self.banner.setStyleSheet(BANNER_STYLE)
        self.banner.setAccessibleName("Error message")
        self.banner.hide()
        self.grid = QGridLayout()
        self.grid.setHorizontalSpacing(12)
        self.grid.setVerticalSpacing(2)
        self.grid.setColumnStretch(1, 1)
        self.buttons = QDialogButtonBox()
        self.save_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Save)
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        # Enter saves (see keyPressEvent); Save is drawn as the default button. Neither button
        # is auto-default: Qt would otherwise make a focused Cancel the default and Enter in a
        # field would then cancel ("Discard changes?") instead of saving.
        self.save_button.setDefault(True)
        for button in (self.save_button, self.cancel_button):
            button.setAutoDefault(False)
        self.save_button.clicked.connect(self.save)
        self.cancel_button.clicked.connect(self.reject)
        self.status = QLabel()
        self.status.setStyleSheet("color: palette(mid);")

        layout = QVBoxLayout(self)
        layout.addWidget(self.banner)
        layout.addLayout(self.grid)
        layout.addStretch(1)
        footer = QGridLayout()
        footer.addWidget(self.status, 0, 0)
        footer.addWidget(self.buttons, 0, 1)
        layout.addLayout(footer)

    # -- building -----------------------------------------------------------------------------

    def add_field(self, key: str, label: str, widget: QWidget) -> QWidget:
        row = len(self.fields) * 2
        caption = QLabel(label)
        caption.setBuddy(widget)
        align = Qt.AlignmentFlag.AlignRight
        align |= (
            Qt.AlignmentFlag.AlignTop
            if isinstance(widget, QPlainTextEdit)
            else Qt.AlignmentFlag.AlignVCenter
        )
        self.grid.addWidget(caption, row, 0, align)
        self.grid.addWidget(widget, row, 1)
        error = QLabel()
        error.setStyleSheet(ERROR_STYLE)
        error.setWordWrap(True)
        error.hide()
        self.grid.addWidget(error, row + 1, 1)
        widget.setObjectName(key)
        self.fields[key] = Field(key, label.rstrip(":*").strip(), widget, error)
        return widget

    def start(self) -> None:
        """Call at the end of the subclass constructor: loads the record when editing."""
        self.setWindowTitle(f"New {self.noun}" if self.record_id is None else f"Edit {self.noun}")
        self._set_tab_order()
        if self.record_id is None:
            self.original = self.values()
            self.focus_first_field()
            return
        self._set_enabled(False)
        self.status.setText("Loading…")
        record_id = self.record_id
        run_operation(
            self.ctx,
            lambda wctx: self.load_record(wctx, record_id),
            owner=self,
            on_done=self._loaded,
            on_error=self._load_failed,
        )

    def _set_tab_order(self) -> None:
        """Tab walks the form top to bottom, then Save and Cancel (the buttons are created
        before the fields, so Qt's default order would start with them)."""
        chain = [field.widget for field in self.fields.values()]
        chain += [self.save_button, self.cancel_button]
        for before, after in itertools.pairwise(chain):
            QWidget.setTabOrder(before, after)

    def first_field(self) -> QWidget | None:
        return next(
            (f.widget for f in self.fields.values() if f.widget.isEnabled()),
            None,
        )

    def focus_first_field(self) -> None:
        """The first keystroke goes into the first field, not to a button."""
        widget = self.first_field()
        if widget is not None:
            widget.setFocus(Qt.FocusReason.OtherFocusReason)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Enter saves from any field (a multi-line field keeps Enter for new lines; a focused
        button is pressed); Esc goes through `reject`, which asks before discarding edits."""
        key = event.key()
        plain = event.modifiers() in (
            Qt.KeyboardModifier.NoModifier,
            Qt.KeyboardModifier.KeypadModifier,
        )
        if plain and key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            focused = QApplication.focusWidget()
            if isinstance(focused, QPushButton) and focused.window() is self:
                if focused.isEnabled():
                    focused.click()
            elif self.save_button.isEnabled():
                self.save()
            event.accept()
            return
        if plain and key == Qt.Key.Key_Escape:
            event.accept()
            self.reject()
            return
        super().keyPressEvent(event)

    # -- subclass hooks -----------------------------------------------------------------------

    def load_record(self, ctx: Context, record_id: int) -> dict[str, Any]:
        raise NotImplementedError

    def create_record(self, ctx: Context, values: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def update_record(
        self, ctx: Context, record_id: int, values: dict[str, Any], expected: datetime | None
    ) -> dict[str, Any]:
        raise NotImplementedError

    # -- values -------------------------------------------------------------------------------

    def values(self) -> dict[str, Any]:
        return {key: widget_value(field.widget) for key, field in self.fields.items()}

    def set_values(self, values: dict[str, Any]) -> None:
        for key, field in self.fields.items():
            if key in values:
                set_widget_value(field.widget, values[key])

    def is_dirty(self) -> bool:
        current = self.values()
        return any(comparable(current[k]) != comparable(self.original.get(k)) for k in current)

    def _set_enabled(self, enabled: bool) -> None:
        for field in self.fields.values():
            field.widget.setEnabled(enabled)
        self.save_button.setEnabled(enabled)

    def _loaded(self, snapshot: dict[str, Any]) -> None:
        self.set_values(snapshot)
        self.original = self.values()
        self.updated_at = snapshot.get("updated_at")
        self.is_loaded = True
        self.status.clear()
        self._set_enabled(True)
        self.focus_first_field()
        self.loaded.emit()

    def _load_failed(self, error: ServiceError) -> None:
        self.status.clear()
        self.show_banner(error.message)

    # -- messages -----------------------------------------------------------------------------

    def show_banner(self, message: str) -> None:
        self.banner.setText(message)
        self.banner.show()

    def clear_errors(self) -> None:
        self.banner.hide()
        for field in self.fields.values():
            if field.error is not None:
                field.error.clear()
                field.error.hide()

    def field_error(self, key: str) -> str:
        """The message shown under a field ("" if none) — for tests and accessibility."""
        error = self.fields[key].error
        return error.text() if error is not None and error.isVisible() else ""

    def show_field_errors(self, errors: dict[str, str]) -> None:
        first: QWidget | None = None
        unplaced = []
        for key, message in errors.items():
            field = self.fields.get(key)
            if field is None or field.error is None:
                unplaced.append(message)
                continue
            field.error.setText(message)
            field.error.show()
            first = first or field.widget
        if first is not None:
            first.setFocus()
        leftover = " ".join(unplaced)
        if leftover:
            self.show_banner(leftover)

    # -- saving -------------------------------------------------------------------------------

    def save(self, *, expected: datetime | None = None, overwrite: bool = False) -> None:
        if self.saving or not self.is_loaded:
            return
        self.clear_errors()
        focused = QApplication.focusWidget()
        # Disabling Save below moves the focus on (to Cancel); a failed save brings it back.
        self._focus_after_failure = (
            focused
            if any(focused is f.widget for f in self.fields.values())
            else self.first_field()
        )
        values = self.values()
        record_id = self.record_id
        expected_at = expected if overwrite else self.updated_at
        self.saving = True
        self.save_button.setEnabled(False)
        self.status.setText("Saving…")
        if record_id is None:
            call = lambda wctx: self.create_record(wctx, values)  # noqa: E731
        else:
            call = lambda wctx: self.update_record(wctx, record_id, values, expected_at)  # noqa: E731
        run_operation(
            self.ctx,
            call,
            owner=self,
            on_done=self._saved,
            on_error=self._save_failed,
            description=f"Saving {self.noun}…",
        )

    def _finish_saving(self) -> None:
        self.saving = False
        self.save_button.setEnabled(True)
        self.status.clear()

    def _saved(self, snapshot: dict[str, Any]) -> None:
        self._finish_saving()
        self.result_values = snapshot
        self.record_id = snapshot["id"]
        self.updated_at = snapshot.get("updated_at")
        self.original = self.values()
        self.saved.emit(snapshot["id"])
        self.accept()

    def _save_failed(self, error: ServiceError) -> None:
        # The form is left exactly as it was: nothing typed is lost.
        self._finish_saving()
        back = self._focus_after_failure
        if back is not None and shiboken6.isValid(back):
            back.setFocus(Qt.FocusReason.OtherFocusReason)  # field errors may move it again
        if isinstance(error, ValidationError):
            if error.field_errors:
                self.show_banner(error.message)
                self.show_field_errors(error.field_errors)
            else:
                self.show_banner(error.message)
        elif isinstance(error, ConflictError):
            self._show_conflict(error.current)
        else:
            self.show_banner(error.message)

    def display_value(self, key: str, value: Any) -> str:
        """A value of field `key` as people read it: a choice's label, not its stored code."""
        if value is None or value == "":
            return "—"
        field = self.fields.get(key)
        widget = field.widget if field is not None else None
        if isinstance(widget, QComboBox) and not widget.isEditable():
            index = widget.findData(value)
            if index >= 0:
                return widget.itemText(index)
        if isinstance(value, str):
            return code_label(value) if key in self.coded_fields else value
        return display(value)

    coded_fields: frozenset[str] = frozenset()  # free-text fields that may hold stored codes

    def _show_conflict(self, theirs: dict[str, Any]) -> None:
        labels = [(key, field.label) for key, field in self.fields.items()]
        dialog = ConflictDialog(
            labels, self.values(), theirs, self, base=self.original, show=self.display_value
        )
        self.conflict_dialog = dialog
        # open(), not exec(): the form stays alive and nothing waits in a nested event loop.
        dialog.finished.connect(lambda _result: self._conflict_resolved(dialog, theirs))
        dialog.open()

    def _conflict_resolved(self, dialog: ConflictDialog, theirs: dict[str, Any]) -> None:
        self.conflict_dialog = None
        dialog.deleteLater()
        if dialog.choice == ConflictDialog.KEEP_MINE:
            self.save(expected=theirs.get("updated_at"), overwrite=True)
            return
        if dialog.choice == ConflictDialog.MERGE:
            merged = dialog.merged()
            # From now on "changed" means changed from their saved version.
            self.set_values(theirs)
            self.original = self.values()
            self.updated_at = theirs.get("updated_at")
            self.set_values(merged)
            self.save(expected=theirs.get("updated_at"), overwrite=True)
            return
        if dialog.choice == ConflictDialog.TAKE_THEIRS:
            self.set_values(theirs)
            self.original = self.values()
            self.updated_at = theirs.get("updated_at")
            self.show_banner("Their version is now in the form. Review it, then save or cancel.")
        else:
            self.show_banner(
                "Not saved: someone else changed this record. Your edits are still here."
            )
        # The record did change (they saved it): whatever shows it refreshes, as after a save.
        if self.record_id is not None:
            changed = ChangeSet()
            changed.add(self.entity, "updated", [self.record_id])
            change_bus().publish(changed)
            self.saved.emit(self.record_id)

    # -- closing ------------------------------------------------------------------------------

    def reject(self) -> None:
        """Esc / Cancel: ask before throwing typed edits away."""
        if (
            self.is_loaded
            and self.is_dirty()
            and not self.confirm(self, "Discard changes?", "Discard the changes you made?")
        ):
            return
        super().reject()


# -- the client dialog ------------------------------------------------------------------------


CLIENT_FIELD_LABELS: dict[str, str] = {
    "name": "Name *",
    "type": "Type *",
    "email": "E-mail",
    "phone": "Phone",
    "address": "Address",
    "tin": "TIN",
    "nis_number": "NIS number",
    "sector": "Sector",
    "risk_level": "Risk level",
    "notes": "Notes",
}


class ClientDialog(RecordDialog):
    """Create a client (`client_id` None) or edit one, through `create_client` /
    `update_client`. `saved(id)` fires after a successful save, then the dialog accepts."""

    noun = "client"
    entity = "client"

    def __init__(
        self, ctx: Context, client_id: int | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(ctx, client_id, parent)
        labels = CLIENT_FIELD_LABELS
        name = self.add_field("name", labels["name"], QLineEdit())
        name.setPlaceholderText("Person or company name")
        name.setMaxLength(NAME_MAX)
        self.add_field(
            "type",
            labels["type"],
            combo([("Choose…", None), *((t.capitalize(), t) for t in CLIENT_TYPES)]),
        )
        email = self.add_field("email", labels["email"], QLineEdit())
        email.setPlaceholderText("name@example.com")
        email.setMaxLength(EMAIL_MAX)
        phone = self.add_field("phone", labels["phone"], QLineEdit())
        phone.setPlaceholderText("+592 600 1234")
        phone.setMaxLength(SHORT_MAX)
        address = self.add_field("address", labels["address"], QPlainTextEdit())
        address.setTabChangesFocus(True)
        address.setFixedHeight(64)
        tin = self.add_field("tin", labels["tin"], QLineEdit())
        tin.setPlaceholderText("9 or 10 digits")
        tin.setMaxLength(SHORT_MAX)
        nis = self.add_field("nis_number", labels["nis_number"], QLineEdit())
        nis.setPlaceholderText("e.g. 123456789 or AB1234567")
        nis.setMaxLength(SHORT_MAX)
        sector = self.add_field("sector", labels["sector"], combo([("", "")], editable=True))
        sector.addItems(list(SECTORS))
        sector.setCurrentText("")
        sector.lineEdit().setMaxLength(NAME_MAX)
        self.add_field(
            "risk_level",
            labels["risk_level"],
            combo([("Not assessed", None), *((r.capitalize(), r) for r in RISK_LEVELS)]),
        )
        notes = self.add_field("notes", labels["notes"], QPlainTextEdit())
        notes.setTabChangesFocus(True)
        notes.setFixedHeight(72)
        self.setMinimumWidth(520)
        self.start()

    def load_record(self, ctx: Context, record_id: int) -> dict[str, Any]:
        return records.snapshot(get_client(ctx, record_id))

    def create_record(self, ctx: Context, values: dict[str, Any]) -> dict[str, Any]:
        return records.snapshot(create_client(ctx, values))

    def update_record(
        self, ctx: Context, record_id: int, values: dict[str, Any], expected: datetime | None
    ) -> dict[str, Any]:
        return records.snapshot(update_client(ctx, record_id, values, expected))
