"""The Tasks section on real widgets and a real database, signed in as a FirmAdmin with their
own PostgreSQL role: a task typed into the form by keyboard lands in My tasks, tinted overdue."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from PySide6.QtCore import Qt, QThreadPool
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from sqlalchemy import Engine

from gcmc_desktop.services import auth, tasks
from gcmc_desktop.services.context import Context
from gcmc_desktop.views.table_model import query_pool
from gcmc_desktop.views.tasks import TASK_TINT_LABELS, TasksPage

from .security_fixtures import PASSWORD, Firms, build_firms

pytestmark = pytest.mark.gui

WAIT = 10_000


def drain() -> None:
    QThreadPool.globalInstance().waitForDone()
    query_pool().waitForDone()


@pytest.fixture
def firms(engine: Engine, database_url) -> Iterator[Firms]:
    yield build_firms(engine, database_url, ("FirmAdmin",))
    drain()


@pytest.fixture
def admin(firms: Firms) -> Iterator[Context]:
    ctx = auth.open_context(auth.sign_in(firms.profile, firms.emails["FirmAdmin"], PASSWORD))
    yield ctx
    drain()
    auth.sign_out(ctx)


def test_a_task_typed_by_keyboard_shows_in_my_tasks_as_overdue(qtbot, admin) -> None:
    page = TasksPage(admin)
    qtbot.addWidget(page)
    page.resize(1280, 800)
    page.show()
    mine = page.mine
    qtbot.waitUntil(lambda: mine.model.total == 0 and not mine.model.loading, timeout=WAIT)
    assert page.currentWidget() is mine
    assert mine.table.isColumnHidden(mine.model.query.column_index("assignee"))

    dialog = page.new_record()
    assert dialog is not None
    qtbot.waitUntil(lambda: not dialog._loading_choices, timeout=WAIT)
    title = dialog.fields["title"].widget
    qtbot.waitUntil(lambda: QApplication.focusWidget() is title, timeout=WAIT)
    QTest.keyClicks(title, "Call the GRA office")
    QTest.keyClick(title, Qt.Key.Key_Tab)
    assignee = dialog.fields["assigned_to_id"].widget
    assert QApplication.focusWidget() is assignee
    assert assignee.currentData() == admin.user_id  # a new task is one's own
    assert assignee.currentText() == "FirmAdmin User"  # shown by name, never an id
    QTest.keyClick(assignee, Qt.Key.Key_Tab)
    due = dialog.fields["due_date"].widget
    assert QApplication.focusWidget() is due.edit
    yesterday = date.today() - timedelta(days=1)
    QTest.keyClicks(due.edit, yesterday.strftime("%Y%m%d"))
    with qtbot.waitSignal(dialog.saved, timeout=WAIT) as saved:
        QTest.keyClick(due.edit, Qt.Key.Key_Return)  # Enter saves
    task_id = saved.args[0]

    stored = tasks.get_task(admin, task_id)
    assert (stored["title"], stored["status"], stored["priority"]) == (
        "Call the GRA office",
        "open",
        "medium",
    )
    assert stored["assigned_to_id"] == admin.user_id and stored["overdue"] is True

    qtbot.waitUntil(lambda: mine.model.row_of(task_id) is not None, timeout=WAIT)
    row = mine.model.row_of(task_id)
    assert mine.model.row_state(row) == "overdue"
    index = mine.model.index(row, mine.model.query.column_index("title"))
    assert mine.model.data(index, Qt.ItemDataRole.BackgroundRole) is not None
    assert mine.model.data(index, Qt.ItemDataRole.ToolTipRole) == TASK_TINT_LABELS["overdue"]
    status = mine.model.index(row, mine.model.query.column_index("status"))
    assert mine.model.data(status) == "Open"  # a label, not the stored code
    qtbot.waitUntil(lambda: page.team.model.row_of(task_id) is not None, timeout=WAIT)
