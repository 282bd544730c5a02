"""The one record dialog: create or edit a record of any domain, described by a `RecordSpec`.

A spec names the record (noun, the change bus's entity type), its fields (`FieldSpec`s) and the
three service calls that load, create and update it — each returning the record as a plain dict
with "id" and "updated_at". The dialog does the rest the same way for every domain: focus in the
first field, Tab down the form, Enter saves, Esc asks before discarding; load and save off the GUI
thread; validation messages under their fields, other errors in a banner; the both-versions
conflict dialog with a merge. Whatever happens, the form keeps what the user typed.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import shiboken6
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ...services.changes import ChangeSet
from ...services.context import Context
from ...services.errors import ConflictError, ServiceError, ValidationError
from .bus import change_bus
from .conflict import ConflictDialog
from .fields import (
    LOOKUP_LIMIT,
    ChoosingEditor,
    FieldSpec,
    build_editor,
    code_label,
    comparable,
    display,
    form_value,
    read,
    write,
)
from .messages import BANNER_STYLE, ERROR_STYLE
from .operations import run_operation
from .questions import Confirm, ask_yes_no

Values = dict[str, Any]


@dataclass(frozen=True)
class RecordSpec:
    """What a record dialog edits and through which service calls.

    `load(ctx, id)`, `create(ctx, values, **scope)` and `update(ctx, id, values, expected
    updated_at)` run in a worker's own session and return the record as a plain dict. `scope` is
    what a record belongs to (a business's client_id), passed by whoever opens the dialog."""

    noun: str
    entity: str
    fields: tuple[FieldSpec, ...]
    load: Callable[[Context, int], Values]
    create: Callable[..., Values]
    update: Callable[[Context, int, Values, datetime | None], Values]
    min_width: int = 480
    # The stored record in the form's shape (e.g. period dates as one picked period), applied to
    # what `load` returns and to the other version of a conflict.
    to_form: Callable[[Values], Values] | None = None
    # A new record's starting values that depend on who is signed in or on the scope (a new
    # task assigned to oneself), over the fields' own defaults; no database access.
    defaults: Callable[[Context, Mapping[str, Any]], Values] | None = None


@dataclass
class Field:
    """One field on the form: its spec, editor widget and the error line under it."""

    key: str
    label: str
    widget: QWidget
    error: QLabel | None = None
    spec: FieldSpec | None = None


class RecordDialog(QDialog):
    """Create (`record_id` None) or edit one record of `spec`. `saved(id)` fires after a
    successful save, then the dialog accepts."""

    # The id of a record whose stored version changed: saved here, or (after a conflict)
    # found saved by someone else. Listeners refresh what they show of it.
    saved = Signal(int)
    loaded = Signal()

    def __init__(
        self,
        ctx: Context,
        spec: RecordSpec,
        record_id: int | None = None,
        parent: QWidget | None = None,
        *,
        scope: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.spec = spec
        self.noun = spec.noun
        self.entity = spec.entity
        self.scope = dict(scope or {})
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
        self.confirm: Confirm = ask_yes_no
        self._codes: dict[str, str | None] = {}  # coded fields: the stored code the form shows
        # Fields whose choices load in the background: the value wanted once they are there.
        self._wanted: dict[str, Any] = {}
        self._loading_choices: set[str] = set()

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

        for field_spec in spec.fields:
            if field_spec.scoped and field_spec.key in self.scope:
                continue  # the scope says it already (a client's own workspace)
            self._add_field(field_spec)
        self._wire_choices()
        self.setMinimumWidth(spec.min_width)
        self._start()

    # -- building -----------------------------------------------------------------------------

    def _add_field(self, spec: FieldSpec) -> QWidget:
        widget = build_editor(spec)
        row = len(self.fields) * 2
        caption = QLabel(spec.caption)
        caption.setBuddy(widget)
        align = Qt.AlignmentFlag.AlignRight
        # Captions of tall editors (several lines; a custom editor saying `tall`) at their top.
        align |= (
            Qt.AlignmentFlag.AlignTop
            if isinstance(widget, QPlainTextEdit) or getattr(widget, "tall", False)
            else Qt.AlignmentFlag.AlignVCenter
        )
        self.grid.addWidget(caption, row, 0, align)
        self.grid.addWidget(widget, row, 1)
        error = QLabel()
        error.setStyleSheet(ERROR_STYLE)
        error.setWordWrap(True)
        error.hide()
        self.grid.addWidget(error, row + 1, 1)
        self.fields[spec.key] = Field(spec.key, spec.label, widget, error, spec)
        return widget

    def _wire_choices(self) -> None:
        """Lookups search as the user types; loaded choices load now, and again when a field
        they depend on changes."""
        for key, field in self.fields.items():
            spec = field.spec
            if spec is None:
                continue
            if spec.kind == "lookup" and spec.lookup is not None:
                field.widget.searching.connect(lambda text, key=key: self._look_up(key, text))
            if spec.load is not None:
                for other in spec.depends_on:
                    source = self.fields.get(other)
                    if source is not None and isinstance(source.widget, QComboBox):
                        source.widget.currentIndexChanged.connect(
                            lambda _i, key=key: self._load_choices(key)
                        )
                self._load_choices(key)

    def _look_up(self, key: str, text: str) -> None:
        spec = self.fields[key].spec
        if spec is None or spec.lookup is None or not text:
            return
        lookup = spec.lookup
        run_operation(
            self.ctx,
            lambda wctx: lookup(wctx, text, LOOKUP_LIMIT),
            owner=self,
            on_done=lambda matches: self.fields[key].widget.show_matches(text, matches),
            on_error=lambda error: self.show_banner(error.message),
        )

    def _load_choices(self, key: str) -> None:
        field = self.fields[key]
        spec = field.spec
        if spec is None or spec.load is None:
            return
        if key not in self._loading_choices:
            self._wanted.setdefault(key, read(field.widget))
        self._loading_choices.add(key)
        load = spec.load
        known = {**self.scope, **self.values()}
        run_operation(
            self.ctx,
            lambda wctx: load(wctx, known),
            owner=self,
            on_done=lambda items: self._choices_loaded(key, items),
            on_error=lambda error: self.show_banner(error.message),
        )

    def _choices_loaded(self, key: str, items: Any) -> None:
        field = self.fields[key]
        box = field.widget
        wanted = self._wanted.pop(key, None)
        self._loading_choices.discard(key)
        if isinstance(box, ChoosingEditor):  # a custom editor takes its choices itself
            box.set_choices(items)
            write(box, wanted)
            return
        assert isinstance(box, QComboBox) and field.spec is not None
        box.blockSignals(True)
        box.clear()
        if field.spec.blank is not None:
            box.addItem(field.spec.blank, None)
        for label, value in items:
            box.addItem(label, value)
        box.blockSignals(False)
        write(box, wanted)

    def _start(self) -> None:
        """Loads the record when editing; a new one starts from the fields' defaults."""
        self.setWindowTitle(f"New {self.noun}" if self.record_id is None else f"Edit {self.noun}")
        self._set_tab_order()
        if self.record_id is None:
            start = {f.key: f.default for f in self.spec.fields if f.default is not None}
            if self.spec.defaults is not None:
                start.update(self.spec.defaults(self.ctx, self.scope))
            self.set_values(start)
            self.original = self.values()
            self.focus_first_field()
            return
        self._set_enabled(False)
        self.status.setText("Loading…")
        record_id = self.record_id
        run_operation(
            self.ctx,
            lambda wctx: self.spec.load(wctx, record_id),
            owner=self,
            on_done=self._loaded,
            on_error=self._load_failed,
        )

    def _set_tab_order(self) -> None:
        """Tab walks the form top to bottom, then Save and Cancel (the buttons are created
        before the fields, so Qt's default order would start with them)."""
        chain: list[QWidget] = []
        for field in self.fields.values():
            # A composite editor (a period: kind, month, year) lists its own parts.
            order = getattr(field.widget, "focus_order", None)
            chain += order() if callable(order) else [field.widget]
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

    # -- values -------------------------------------------------------------------------------

    def values(self) -> Values:
        """The form's values as the service takes them (a coded field left as shown gives back
        its stored code, so saving another field does not rewrite "active" as "Active")."""
        result = {key: read(field.widget) for key, field in self.fields.items()}
        for key in self._loading_choices:
            result[key] = self._wanted.get(key)
        for key, code in self._codes.items():
            if code and result.get(key) == code_label(code):
                result[key] = code
        return result

    def set_values(self, values: Mapping[str, Any]) -> None:
        for key, field in self.fields.items():
            if key in values:
                spec = field.spec
                if spec is not None and spec.coded:
                    self._codes[key] = values[key]
                if key in self._loading_choices:
                    self._wanted[key] = values[key]
                    continue
                write(field.widget, form_value(spec, values[key]) if spec else values[key])

    def is_dirty(self) -> bool:
        current = self.values()
        return any(comparable(current[k]) != comparable(self.original.get(k)) for k in current)

    def _set_enabled(self, enabled: bool) -> None:
        for field in self.fields.values():
            fixed = field.spec is not None and field.spec.create_only and self.record_id is not None
            field.widget.setEnabled(enabled and not fixed)
        self.save_button.setEnabled(enabled)

    def _form_shape(self, record: Values) -> Values:
        return self.spec.to_form(dict(record)) if self.spec.to_form is not None else dict(record)

    def _loaded(self, snapshot: dict[str, Any]) -> None:
        self.set_values(self._form_shape(snapshot))
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
        self._fit()

    def _fit(self) -> None:
        """Grow (never shrink) to the height the messages now need, so they don't squeeze the
        fields and buttons together."""
        layout = self.layout()
        layout.activate()
        needed = (
            layout.totalHeightForWidth(self.width())
            if layout.hasHeightForWidth()
            else layout.totalSizeHint().height()
        )
        if needed > self.height():
            self.resize(self.width(), needed)

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
            spec = field.spec
            field.error.setText(spec.choice_error if spec and spec.choice_error else message)
            field.error.show()
            first = first or field.widget
        if first is not None:
            first.setFocus()
        leftover = " ".join(unplaced)
        if leftover:
            self.show_banner(leftover)
        self._fit()

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
        if record_id is not None:  # what only a new record sets is not sent again
            values = {
                k: v
                for k, v in values.items()
                if not (self.fields[k].spec and self.fields[k].spec.create_only)
            }
        expected_at = expected if overwrite else self.updated_at
        self.saving = True
        self.save_button.setEnabled(False)
        self.status.setText("Saving…")
        if record_id is None:
            scope = self.scope
            call = lambda wctx: self.spec.create(wctx, values, **scope)  # noqa: E731
        else:
            call = lambda wctx: self.spec.update(wctx, record_id, values, expected_at)  # noqa: E731
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
        if isinstance(widget, ChoosingEditor):
            return widget.display(value)
        if isinstance(widget, QComboBox) and not widget.isEditable():
            index = widget.findData(value)
            if index >= 0:
                return widget.itemText(index)
        spec = field.spec if field is not None else None
        if isinstance(value, str) and spec is not None and spec.coded:
            return code_label(value)
        return display(value)

    def _show_conflict(self, stored: dict[str, Any]) -> None:
        # Their version in the form's shape (tags as text), so both sides compare alike.
        theirs = self._form_shape(stored)
        for key, field in self.fields.items():
            if key in theirs and field.spec is not None and field.spec.kind == "tags":
                theirs[key] = form_value(field.spec, theirs[key])
        labels = [
            (key, field.label)
            for key, field in self.fields.items()
            if not (field.spec is not None and field.spec.create_only)
        ]
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
