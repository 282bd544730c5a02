"""Selections that survive a refresh. A list that refreshes itself because something changed
(possibly on another workstation) must not take the user's selected row away: the ids selected
before the reload are selected again once their rows are back."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QItemSelection, QItemSelectionModel
from PySide6.QtWidgets import QTableView

from ..table_model import PagedTableModel


def keep_selection(
    table: QTableView,
    model: PagedTableModel,
    on_lost: Callable[[], None] | None = None,
) -> None:
    """Re-select the selected ids after each reload of `model`; `on_lost()` when none of them
    came back (deleted, or filtered out)."""
    remembered: list[Any] = []

    def before_reset() -> None:
        selection = table.selectionModel()
        remembered[:] = (
            [model.row_id(index.row()) for index in selection.selectedRows()] if selection else []
        )

    def page_loaded(_rows: int) -> None:
        if not remembered or not shiboken6.isValid(table):
            return
        rows = [row for row in (model.row_of(ident) for ident in remembered) if row is not None]
        if not rows and not model.all_loaded:
            return  # perhaps on a later page
        remembered.clear()
        if not rows:
            if on_lost is not None:
                on_lost()
            return
        selection = QItemSelection()
        last = model.columnCount() - 1
        for row in rows:
            selection.select(model.index(row, 0), model.index(row, last))
        table.selectionModel().select(
            selection,
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows,
        )

    model.modelAboutToBeReset.connect(before_reset)
    model.pageLoaded.connect(page_loaded)
