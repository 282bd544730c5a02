"""What files being added are: the dialog that asks for a new document's type and title (or a
new version's dates and number), and the file checks that run before it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from .. import settings as app_settings
from ..services.context import Context
from ..services.document_types import document_type_choices
from ..services.file_checks import BadFile, check_file
from ..services.outbox import UploadTarget
from .date_field import OptionalDateField
from .kit.operations import run_operation

REFUSED_COLOUR = "#b3261e"
LAST_TYPE_KEY = "documents/lastTypeId"


class AddDocumentsDialog(QDialog):
    """What the dropped or chosen files are: a type and title (new documents) or just the new
    version's dates and number (a new version of `document_title`).

    `paths` are files that already passed the file checks; `refused` (name, reason) are the
    ones that did not, listed at the top so the user knows what will not be added. The type
    is never guessed: the one used last is preselected (QSettings), otherwise the user must
    choose one before Upload is enabled."""

    def __init__(
        self,
        ctx: Context,
        client_id: int,
        paths: list[Path],
        *,
        document_id: int | None = None,
        document_title: str = "",
        refused: list[tuple[str, str]] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.client_id = client_id
        self.paths = paths
        self.document_id = document_id
        self.refused = refused or []
        names = ", ".join(p.name for p in paths[:3]) + ("…" if len(paths) > 3 else "")
        if document_id is None:
            self.setWindowTitle("Add documents")
            heading = f"{len(paths)} file{'s' if len(paths) != 1 else ''}: {names}"
        else:
            self.setWindowTitle("Add a new version")
            heading = f'New version of "{document_title}": {names}'
        self.heading = QLabel(heading)
        self.heading.setWordWrap(True)
        self.refused_label = QLabel(refused_text(self.refused))
        self.refused_label.setWordWrap(True)
        self.refused_label.setTextFormat(Qt.TextFormat.PlainText)  # file names are not markup
        self.refused_label.setStyleSheet(f"color: {REFUSED_COLOUR};")
        self.refused_label.setVisible(bool(self.refused))
        self.type_combo = QComboBox()
        self.type_combo.setPlaceholderText("Choose a type…")
        self.type_combo.currentIndexChanged.connect(self._update_ok)
        self.title_edit = QLineEdit()
        if len(paths) == 1:
            self.title_edit.setText(paths[0].stem)
        else:
            self.title_edit.setPlaceholderText("Each file's name")
        self.issue_edit = OptionalDateField()
        self.expiry_edit = OptionalDateField()
        self.number_edit = QLineEdit()
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet(f"color: {REFUSED_COLOUR};")
        form = QFormLayout()
        if document_id is None:
            form.addRow("Document type:", self.type_combo)
            form.addRow("Title:", self.title_edit)
        form.addRow("Issued:", self.issue_edit)
        form.addRow("Expires:", self.expiry_edit)
        form.addRow("Document number:", self.number_edit)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("Upload")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.refused_label)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(440)
        if document_id is None:
            self._load_types()
        self._update_ok()

    def _load_types(self) -> None:
        self.type_combo.setEnabled(False)
        run_operation(
            self.ctx,
            document_type_choices,
            owner=self,
            on_done=self._types_loaded,
            on_error=lambda error: self.error.setText(error.message),
        )

    def _types_loaded(self, types: list[tuple[str, int]]) -> None:
        self.type_combo.clear()
        for name, type_id in types:
            self.type_combo.addItem(name, type_id)
        last = app_settings.settings().value(LAST_TYPE_KEY)
        try:
            index = self.type_combo.findData(int(last)) if last is not None else -1
        except (TypeError, ValueError):
            index = -1
        self.type_combo.setCurrentIndex(index)  # -1: the placeholder, nothing chosen
        self.type_combo.setEnabled(True)
        if not types:
            self.error.setText("There are no document types yet: add one in Edit → Document types.")
        self._update_ok()

    def type_chosen(self) -> bool:
        return self.document_id is not None or self.type_combo.currentData() is not None

    def _update_ok(self, *_args: Any) -> None:
        self.ok_button.setEnabled(bool(self.paths) and self.type_chosen())

    def target(self) -> UploadTarget:
        common = {
            "issue_date": self.issue_edit.date(),
            "expiry_date": self.expiry_edit.date(),
            "document_number": self.number_edit.text().strip() or None,
        }
        if self.document_id is not None:
            return UploadTarget(document_id=self.document_id, **common)
        title = self.title_edit.text().strip() if len(self.paths) == 1 else None
        return UploadTarget(
            client_id=self.client_id,
            document_type_id=self.type_combo.currentData(),
            title=title or None,
            **common,
        )

    def accept(self) -> None:
        if not self.type_chosen():
            self.error.setText("Choose the document type.")
            return
        # Both fields show their own errors; a date that is not one is never dropped.
        dates_ok = all([self.issue_edit.validate(), self.expiry_edit.validate()])
        if not dates_ok:
            self.error.setText("Correct the dates marked above, or clear them.")
            return
        issued, expires = self.issue_edit.date(), self.expiry_edit.date()
        if issued and expires and expires < issued:
            self.error.setText("The expiry date cannot be before the issue date.")
            return
        if self.document_id is None:
            app_settings.settings().setValue(LAST_TYPE_KEY, self.type_combo.currentData())
        super().accept()


def refused_text(refused: list[tuple[str, str]]) -> str:
    """ "Not added: name — reason" lines for files the checks refused."""
    if not refused:
        return ""
    lines = [f"• {name} — {reason}" for name, reason in refused]
    noun = "file" if len(refused) == 1 else "files"
    return f"{len(refused)} {noun} cannot be added:\n" + "\n".join(lines)


def check_paths(paths: list[Path], max_bytes: int) -> tuple[list[Path], list[tuple[str, str]]]:
    """The files that pass the checks, and (name, reason) for those that do not. Runs in a
    background job: the checks read the files."""
    good: list[Path] = []
    refused: list[tuple[str, str]] = []
    for path in paths:
        try:
            check_file(path, max_bytes=max_bytes)
        except BadFile as exc:
            refused.append((path.name, exc.reason[:1].upper() + exc.reason[1:]))
        else:
            good.append(path)
    return good, refused
