"""The both-versions dialog a record form opens when someone else saved the record first: the
two versions side by side, what differs highlighted, and a field-by-field merge."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from .fields import comparable, display

DIFF_BACKGROUND = QColor("#fff3c4")


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
        intro: str | None = None,
        title: str | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title or "Someone else saved this record")
        self.choice: str | None = None
        self.mine, self.theirs = dict(mine), dict(theirs)
        base = dict(mine) if base is None else base
        shown = show or (lambda _key, value: display(value))
        self.intro = QLabel(
            intro
            or "While you were editing, someone else saved this record. Highlighted fields "
            "differ. Merge keeps your changes and theirs; where you both changed a field, choose "
            "whose to keep. Or keep your whole version (it overwrites theirs), or take theirs "
            "into the form and drop your edits."
        )
        self.intro.setWordWrap(True)
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
        layout.addWidget(self.intro)
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
