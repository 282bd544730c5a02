"""A workflow template's steps, edited as a list (a kit custom editor, `ChoosingEditor`).

On the left the steps in order ("1. Collect records"): add, remove, and reorder by drag or by
Alt+Up / Alt+Down (or the buttons). On the right the selected step: title, description, the
required document types (ticked by name among the firm's), the earlier step it waits for (the
choice offers ONLY earlier steps, plus "— none —"), due in N days, and an optional filing type.

Reordering renumbers the steps 1..n (`workflow_steps.renumbered`) and dependencies follow their
steps. A move that would leave a step waiting for a later one is refused, with a message
saying which step waits for which — the order stays as it was (never a silently dropped
dependency). Removing a step clears the dependencies on it, with a note naming them.

Its value is the stored form (`workflow_steps.steps_json`): a list of dicts. What it is given is
kept as given (an unknown document type id, a dependency that is not an earlier step — shown
as such), so saving such a template is refused by the service with its message, not quietly
repaired."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from PySide6.QtCore import QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QDropEvent, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ..services.workflow_steps import (
    MAX_DUE_IN_DAYS,
    MAX_TITLE,
    StepDefinition,
    renumbered,
    steps_json,
)
from .kit.messages import ERROR_STYLE

NONE_LABEL = "— none —"
UNTITLED = "(untitled step)"
_ORDER = Qt.ItemDataRole.UserRole
NOTE_STYLE = "color: palette(mid);"


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def steps_from(value: Any) -> list[StepDefinition]:
    """Stored steps (dicts or StepDefinitions) as given, sorted by order; only what is not a
    step at all (no usable order) is left out."""
    if isinstance(value, Mapping):
        value = value.get("steps", [])
    out: dict[int, StepDefinition] = {}
    for raw in value or []:
        if isinstance(raw, StepDefinition):
            out.setdefault(raw.order, raw)
            continue
        if not isinstance(raw, Mapping):
            continue
        order = _int(raw.get("order"))
        if order is None or order in out:
            continue
        ids = raw.get("requiredDocTypeIds") or []
        out[order] = StepDefinition(
            order=order,
            title=str(raw.get("title") or "").strip(),
            description=str(raw.get("description") or "").strip(),
            required_document_type_ids=tuple(
                i for i in (_int(v) for v in ids if not isinstance(v, bool)) if i is not None
            )
            if isinstance(ids, list | tuple)
            else (),
            depends_on_order=_int(raw.get("dependsOnOrder")),
            due_in_days=_int(raw.get("dueInDays")),
            filing_type_id=_int(raw.get("filingTypeId")),
        )
    return [out[k] for k in sorted(out)]


def step_caption(step: StepDefinition) -> str:
    return f"{step.order}. {step.title or UNTITLED}"


def forward_dependency(steps: Sequence[StepDefinition]) -> str | None:
    """Why this order is not allowed (a step would wait for a later one), or None. `steps`
    keep their old orders; dependencies refer to those."""
    position = {s.order: i for i, s in enumerate(steps)}
    by_order = {s.order: s for s in steps}
    for i, step in enumerate(steps):
        dep = step.depends_on_order
        if dep is not None and dep in position and position[dep] >= i:
            return (
                f'Not moved: "{step.title or UNTITLED}" waits for '
                f'"{by_order[dep].title or UNTITLED}", so it must stay after it. '
                "Change what it waits for first."
            )
    return None


class StepList(QListWidget):
    """The steps in order: drag a step to another place, or Alt+Up / Alt+Down. Qt moves no row
    itself: a drop reports `drop_requested(from row, to row)` and a key `move_requested(+1 /
    -1)`, and the editor moves the step (or refuses) and rebuilds the list."""

    drop_requested = Signal(int, int)
    move_requested = Signal(int)

    def __init__(self) -> None:
        super().__init__()
        self.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setAccessibleName("Steps")

    def orders(self) -> list[int]:
        return [self.item(i).data(_ORDER) for i in range(self.count())]

    def drop_row(self, y: float) -> int:
        """The row a step dropped at height `y` lands on (after removing it from its place)."""
        index = self.indexAt(QPoint(4, int(y)))
        if not index.isValid():
            target = self.count()
        else:
            rect = self.visualRect(index)
            target = index.row() + (1 if y > rect.center().y() else 0)
        source = self.currentRow()
        return target - 1 if target > source else target

    def dropEvent(self, event: QDropEvent) -> None:
        source = self.currentRow()
        target = self.drop_row(event.position().y())
        # Ignored, so the drag removes nothing either; the editor moves the step once the drag
        # has finished.
        event.ignore()
        if source >= 0 and target != source:
            QTimer.singleShot(0, lambda: self.drop_requested.emit(source, target))

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.modifiers() == Qt.KeyboardModifier.AltModifier and event.key() in (
            Qt.Key.Key_Up,
            Qt.Key.Key_Down,
        ):
            self.move_requested.emit(-1 if event.key() == Qt.Key.Key_Up else 1)
            event.accept()
            return
        super().keyPressEvent(event)


class StepsEditor(QWidget):
    """The steps of a template; `changed` after every edit."""

    changed = Signal()
    tall = True  # the form puts its caption at the top

    def __init__(self) -> None:
        super().__init__()
        self._steps: list[StepDefinition] = []
        self._document_types: list[tuple[str, int]] = []
        self._filing_types: list[tuple[str, int]] = []
        self._loading = False

        self.list = StepList()
        self.list.setMinimumWidth(260)
        self.add_button = QPushButton("Add step")
        self.remove_button = QPushButton("Remove")
        self.up_button = QPushButton("Move up")
        self.down_button = QPushButton("Move down")
        self.up_button.setToolTip("Move the step up (Alt+Up)")
        self.down_button.setToolTip("Move the step down (Alt+Down)")
        for button in (self.add_button, self.remove_button, self.up_button, self.down_button):
            button.setAutoDefault(False)
        self.title = QLineEdit()
        self.title.setMaxLength(MAX_TITLE)
        self.title.setPlaceholderText("e.g. Collect records")
        self.description = QPlainTextEdit()
        self.description.setTabChangesFocus(True)
        self.description.setFixedHeight(56)
        self.documents = QListWidget()
        self.documents.setAccessibleName("Required documents")
        self.documents.setFixedHeight(110)
        self.depends = QComboBox()
        self.depends.setAccessibleName("Waits for")
        self.due = QSpinBox()
        self.due.setRange(-1, MAX_DUE_IN_DAYS)
        self.due.setSpecialValueText("No due date")
        self.due.setSuffix(" days")
        self.filing = QComboBox()
        self.filing.setAccessibleName("Filing type")
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.setAccessibleName("Steps message")
        self.note.hide()

        left = QVBoxLayout()
        left.setContentsMargins(0, 0, 0, 0)
        left.addWidget(self.list, 1)
        buttons = QHBoxLayout()
        for button in (self.add_button, self.remove_button, self.up_button, self.down_button):
            buttons.addWidget(button)
        left.addLayout(buttons)
        self.detail = QWidget()
        form = QGridLayout(self.detail)
        form.setContentsMargins(0, 0, 0, 0)
        form.setColumnStretch(1, 1)
        rows: list[tuple[str, QWidget]] = [
            ("Title *", self.title),
            ("Description", self.description),
            ("Required documents", self.documents),
            ("Waits for", self.depends),
            ("Due in", self.due),
            ("Filing type", self.filing),
        ]
        for row, (caption, widget) in enumerate(rows):
            label = QLabel(caption)
            label.setBuddy(widget)
            align = Qt.AlignmentFlag.AlignRight | (
                Qt.AlignmentFlag.AlignTop
                if isinstance(widget, QPlainTextEdit | QListWidget)
                else Qt.AlignmentFlag.AlignVCenter
            )
            form.addWidget(label, row, 0, align)
            form.addWidget(widget, row, 1)
        body = QHBoxLayout()
        body.setContentsMargins(0, 0, 0, 0)
        body.addLayout(left, 2)
        body.addWidget(self.detail, 3)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addLayout(body)
        outer.addWidget(self.note)
        self.setFocusProxy(self.list)

        self.list.currentRowChanged.connect(self._show_step)
        self.list.drop_requested.connect(self.move_step)
        self.list.move_requested.connect(self.move_current)
        self.add_button.clicked.connect(self.add_step)
        self.remove_button.clicked.connect(self.remove_current)
        self.up_button.clicked.connect(lambda: self.move_current(-1))
        self.down_button.clicked.connect(lambda: self.move_current(1))
        self.title.textEdited.connect(lambda _t: self._edit(title=self.title.text().strip()))
        self.description.textChanged.connect(
            lambda: self._edit(description=self.description.toPlainText().strip())
        )
        self.documents.itemChanged.connect(lambda _item: self._edit_documents())
        self.depends.currentIndexChanged.connect(
            lambda _i: self._edit(depends_on_order=self.depends.currentData())
        )
        self.due.valueChanged.connect(lambda v: self._edit(due_in_days=None if v < 0 else int(v)))
        self.filing.currentIndexChanged.connect(
            lambda _i: self._edit(filing_type_id=self.filing.currentData())
        )
        self._rebuild()

    # -- the kit's editor protocol ----------------------------------------------------------

    def value(self) -> list[dict[str, Any]]:
        return steps_json(self._steps)

    def set_value(self, value: Any) -> None:
        self._steps = steps_from(value)
        self.clear_note()
        self._rebuild(0 if self._steps else -1)

    def set_choices(self, choices: Any) -> None:
        """{"document_types": [(name, id)], "filing_types": [(name, id)]}."""
        choices = choices or {}
        self._document_types = list(choices.get("document_types", []))
        self._filing_types = list(choices.get("filing_types", []))
        self._show_step(self.list.currentRow())

    def display(self, value: Any) -> str:
        """The steps in words, for the both-versions conflict dialog."""
        steps = steps_from(value)
        if not steps:
            return "—"
        return "; ".join(
            step_caption(s)
            + (f" (after {s.depends_on_order})" if s.depends_on_order is not None else "")
            for s in steps
        )

    def focus_order(self) -> list[QWidget]:
        """Tab walks the list, its buttons, then the selected step's fields."""
        return [
            self.list,
            self.add_button,
            self.remove_button,
            self.up_button,
            self.down_button,
            self.title,
            self.description,
            self.documents,
            self.depends,
            self.due,
            self.filing,
        ]

    # -- what tests and people read ------------------------------------------------------------

    def steps(self) -> list[StepDefinition]:
        return list(self._steps)

    def captions(self) -> list[str]:
        return [self.list.item(i).text() for i in range(self.list.count())]

    def note_text(self) -> str:
        return self.note.text() if self.note.isVisible() else ""

    def dependency_choices(self) -> list[str]:
        return [self.depends.itemText(i) for i in range(self.depends.count())]

    def show_note(self, text: str, *, error: bool = False) -> None:
        self.note.setText(text)
        self.note.setStyleSheet(ERROR_STYLE if error else NOTE_STYLE)
        self.note.show()

    def clear_note(self) -> None:
        self.note.clear()
        self.note.hide()

    # -- editing -------------------------------------------------------------------------------

    def add_step(self) -> None:
        self._steps.append(StepDefinition(order=len(self._steps) + 1, title=""))
        self._steps = renumbered(self._steps)
        self.clear_note()
        self._rebuild(len(self._steps) - 1)
        self.title.setFocus(Qt.FocusReason.OtherFocusReason)
        self.changed.emit()

    def remove_current(self) -> None:
        row = self.list.currentRow()
        if not 0 <= row < len(self._steps):
            return
        gone = self._steps[row]
        freed = [s for s in self._steps if s.depends_on_order == gone.order]
        rest = [
            replace(s, depends_on_order=None) if s.depends_on_order == gone.order else s
            for s in self._steps
            if s is not gone
        ]
        self._steps = renumbered(rest)
        if freed:
            names = ", ".join(f'"{s.title or UNTITLED}"' for s in freed)
            self.show_note(
                f'Removed "{gone.title or UNTITLED}". {names} no longer '
                f"{'waits' if len(freed) == 1 else 'wait'} for a step; choose another if needed."
            )
        else:
            self.clear_note()
        self._rebuild(min(row, len(self._steps) - 1))
        self.changed.emit()

    def move_current(self, delta: int) -> bool:
        """Move the selected step up (-1) or down (+1); False when refused or impossible."""
        row = self.list.currentRow()
        return self.move_step(row, row + delta)

    def move_step(self, row: int, target: int) -> bool:
        """Move the step at `row` to `target` (a drag); False when refused or impossible."""
        if not (0 <= row < len(self._steps) and 0 <= target < len(self._steps)):
            return False
        if row == target:
            return True
        moved = list(self._steps)
        moved.insert(target, moved.pop(row))
        return self._reorder(moved, target)

    def _reorder(self, moved: list[StepDefinition], select: int) -> bool:
        refused = forward_dependency(moved)
        if refused:
            self.show_note(refused, error=True)
            self._rebuild(self.list.currentRow())
            return False
        self.clear_note()
        self._steps = renumbered(moved)
        self._rebuild(select)
        self.changed.emit()
        return True

    def _edit(self, **changes: Any) -> None:
        row = self.list.currentRow()
        if self._loading or not 0 <= row < len(self._steps):
            return
        step = replace(self._steps[row], **changes)
        if step == self._steps[row]:
            return
        self._steps[row] = step
        item = self.list.item(row)
        if item is not None:
            item.setText(step_caption(step))
        self.changed.emit()

    def _edit_documents(self) -> None:
        ids = []
        for i in range(self.documents.count()):
            item = self.documents.item(i)
            if item.checkState() == Qt.CheckState.Checked:
                ids.append(item.data(_ORDER))
        self._edit(required_document_type_ids=tuple(ids))

    # -- showing -------------------------------------------------------------------------------

    def _rebuild(self, select: int = -1) -> None:
        self._loading = True
        self.list.clear()
        for step in self._steps:
            item = QListWidgetItem(step_caption(step))
            item.setData(_ORDER, step.order)
            item.setFlags(
                Qt.ItemFlag.ItemIsEnabled
                | Qt.ItemFlag.ItemIsSelectable
                | Qt.ItemFlag.ItemIsDragEnabled
            )
            self.list.addItem(item)
        self._loading = False
        if 0 <= select < len(self._steps):
            self.list.setCurrentRow(select)
        self._show_step(self.list.currentRow())

    def _show_step(self, row: int) -> None:
        has = 0 <= row < len(self._steps)
        self._loading = True
        try:
            self.detail.setEnabled(has)
            self.remove_button.setEnabled(has)
            self.up_button.setEnabled(has and row > 0)
            self.down_button.setEnabled(has and row < len(self._steps) - 1)
            step = self._steps[row] if has else StepDefinition(order=0, title="")
            self.title.setText(step.title)
            self.description.setPlainText(step.description)
            self._fill_documents(step)
            self._fill_depends(row)
            self.due.setValue(-1 if step.due_in_days is None else step.due_in_days)
            self._fill_filing(step)
        finally:
            self._loading = False

    def _fill_documents(self, step: StepDefinition) -> None:
        self.documents.blockSignals(True)
        self.documents.clear()
        # The step's required types first (in view without scrolling), then the others.
        known = {i for _name, i in self._document_types}
        required = set(step.required_document_type_ids)
        options = (
            [(n, i) for n, i in self._document_types if i in required]
            + [(f"Unknown document type #{i}", i) for i in step.required_document_type_ids
               if i not in known]
            + [(n, i) for n, i in self._document_types if i not in required]
        )  # fmt: skip
        for name, ident in options:
            item = QListWidgetItem(name)
            item.setData(_ORDER, ident)
            item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(
                Qt.CheckState.Checked
                if ident in step.required_document_type_ids
                else Qt.CheckState.Unchecked
            )
            self.documents.addItem(item)
        self.documents.blockSignals(False)

    def _fill_depends(self, row: int) -> None:
        """ "— none —" and the steps before `row`; a stored dependency that is not an earlier
        step is shown as what it is (saving it is then refused)."""
        loading, self._loading = self._loading, True
        self.depends.blockSignals(True)
        self.depends.clear()
        self.depends.addItem(NONE_LABEL, None)
        if 0 <= row < len(self._steps):
            step = self._steps[row]
            for earlier in self._steps[:row]:
                self.depends.addItem(step_caption(earlier), earlier.order)
            dep = step.depends_on_order
            if dep is not None and self.depends.findData(dep) < 0:
                later = next((s for s in self._steps if s.order == dep), None)
                name = step_caption(later) if later is not None else f"step {dep}"
                self.depends.addItem(f"{name} — not an earlier step", dep)
            self.depends.setCurrentIndex(0 if dep is None else max(self.depends.findData(dep), 0))
        self.depends.blockSignals(False)
        self._loading = loading

    def _fill_filing(self, step: StepDefinition) -> None:
        self.filing.blockSignals(True)
        self.filing.clear()
        self.filing.addItem(NONE_LABEL, None)
        for name, ident in self._filing_types:
            self.filing.addItem(name, ident)
        ident = step.filing_type_id
        if ident is not None and self.filing.findData(ident) < 0:
            self.filing.addItem(f"Unknown filing type #{ident}", ident)
        self.filing.setCurrentIndex(0 if ident is None else max(self.filing.findData(ident), 0))
        self.filing.blockSignals(False)
