"""The Notifications section on real widgets and a real database, signed in as staff with their
own PostgreSQL role: the unread badge in the navigation, the list (unread in bold, filters),
Mark read / Mark all read, opening a notification's subject in the client's workspace, new
notifications arriving live from another workstation with a tray message, and the Preferences
setting that turns the tray off."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Iterator
from datetime import time, timedelta

import pytest
from PySide6.QtCore import Qt, QThreadPool
from PySide6.QtTest import QTest
from sqlalchemy import Engine

from gcmc_desktop import settings as app_settings
from gcmc_desktop.db import session_factory
from gcmc_desktop.services import auth, notifications
from gcmc_desktop.views.main_window import MainWindow
from gcmc_desktop.views.notifications import NotificationCenter, NotificationsPage
from gcmc_desktop.views.table_model import query_pool

from .security_fixtures import PASSWORD, Firms, build_firms
from .test_notifications import World, today, utc_at

pytestmark = pytest.mark.gui

WAIT = 15_000


def drain() -> None:
    QThreadPool.globalInstance().waitForDone()
    query_pool().waitForDone()


@pytest.fixture
def firms(engine: Engine, database_url) -> Iterator[Firms]:
    yield build_firms(engine, database_url, ("FirmAdmin", "ComplianceManager"))
    drain()


def window_for(qtbot, firms: Firms, role: str) -> MainWindow:
    signed_in = auth.sign_in(firms.profile, firms.emails[role], PASSWORD)
    alpha = next(m for m in signed_in.memberships if m.tenant_code == "alpha")
    window = MainWindow(auth.open_context(signed_in, alpha))
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    qtbot.waitUntil(lambda: window.tabs.count() > 0, timeout=WAIT)
    return window


def nav_text(window: MainWindow) -> str:
    row = window.section_keys().index("notifications")
    return window.nav.item(row).text()


def generate_elsewhere(engine: Engine, firms: Firms) -> int:
    """Another workstation (here: the server's scheduled `gcmc notifications generate`)."""
    with session_factory(engine)() as session:
        return notifications.generate_reminders(session, tenant_id=firms.alpha).created


def test_badge_list_mark_read_and_open_the_subject(qtbot, engine: Engine, firms: Firms) -> None:
    world = World(engine, firms)
    document = world.document("TIN certificate", 5)
    world.filing("January 2026", 1)
    world.task("Call the GRA office", -2)
    assert generate_elsewhere(engine, firms) == 3 * 2  # each to both managers

    window = window_for(qtbot, firms, "FirmAdmin")
    qtbot.waitUntil(lambda: nav_text(window) == "Notifications (3)", timeout=WAIT)
    page = window.open_section("notifications")
    assert isinstance(page, NotificationsPage)
    assert window.tabs.tabText(window.tabs.currentIndex()) == "Notifications (3)"
    qtbot.waitUntil(lambda: page.model.total == 3 and not page.model.loading, timeout=WAIT)
    qtbot.waitUntil(lambda: page.model.rowCount() == 3, timeout=WAIT)
    kinds = {page.model.row_values(r)["kind"] for r in range(3)}
    assert kinds == {"document_expiring", "filing_due", "task_overdue"}
    # Unread rows are bold; the overdue one is tinted; kinds show as words.
    bold = page.model.index(0, 0).data(Qt.ItemDataRole.FontRole)
    assert bold is not None and bold.bold()
    kind_column = page.model.query.column_index("kind")
    labels = {page.model.index(r, kind_column).data() for r in range(3)}
    assert labels == {"Document expiring", "Filing due", "Task overdue"}
    qtbot.wait(200)
    window.grab().save("/tmp/notifications_page.png")

    # Mark read (button and Ctrl+R): the badge drops, the row is no longer bold.
    page.table.selectRow(0)
    first = page.selected_id()
    page.extra_buttons["Mark read"].click()
    qtbot.waitUntil(lambda: nav_text(window) == "Notifications (2)", timeout=WAIT)
    qtbot.waitUntil(
        lambda: (
            page.model.row_of(first) is not None
            and page.model.row_values(page.model.row_of(first))["read_at"] is not None
        ),
        timeout=WAIT,
    )
    assert page.model.index(page.model.row_of(first), 0).data(Qt.ItemDataRole.FontRole) is None
    # The unread filter leaves it out.
    box = page.filter_box("read")
    box.setCurrentIndex(box.findText("Unread"))
    qtbot.waitUntil(lambda: page.model.total == 2, timeout=WAIT)
    assert page.model.row_of(first) is None

    # Open the document's notification (Enter): the client's workspace, its Documents tab,
    # the document selected; it is read now.
    box.setCurrentIndex(0)
    kinds_box = page.filter_box("kind")
    kinds_box.setCurrentIndex(kinds_box.findText("Document expiring"))
    qtbot.waitUntil(lambda: page.model.total == 1 and page.model.rowCount() == 1, timeout=WAIT)
    page.table.setFocus()
    page.table.selectRow(0)
    was_read = page.model.row_values(0)["read_at"] is not None
    QTest.keyClick(page.table, Qt.Key.Key_Return)
    from gcmc_desktop.views.documents import ClientDocumentsTab

    qtbot.waitUntil(lambda: firms.alpha_client in window._client_tabs, timeout=WAIT)
    workspace = window._client_tabs[firms.alpha_client]
    assert window.tabs.currentWidget() is workspace
    assert isinstance(workspace.currentWidget(), ClientDocumentsTab)
    qtbot.waitUntil(lambda: workspace.currentWidget().selected_id() == document, timeout=WAIT)
    expected = "Notifications (1)" if not was_read else "Notifications (2)"
    qtbot.waitUntil(lambda: nav_text(window) == expected, timeout=WAIT)

    # The other subjects: a filing and a request in the workspace, a task without a client in
    # Tasks → Team; a notification without a subject only says its words.
    from gcmc_desktop.services.notifications import Subject

    filing = world.ids["January 2026"]
    request = world.request("r_wait", 9)
    task = world.ids["Call the GRA office"]
    shown = window.open_subject(Subject(0, "filing", filing, firms.alpha_client, "x"))
    assert shown is workspace and workspace.currentWidget() is workspace.filings
    qtbot.waitUntil(lambda: workspace.filings.selected_id() == filing, timeout=WAIT)
    window.open_subject(Subject(0, "service_request", request, firms.alpha_client, "x"))
    assert workspace.currentWidget() is workspace.requests
    qtbot.waitUntil(lambda: workspace.requests.selected_id() == request, timeout=WAIT)
    tasks_page = window.open_subject(Subject(0, "task", task, None, "x"))
    assert window.tabs.currentWidget() is tasks_page and tasks_page.currentWidget() is (
        tasks_page.team
    )
    qtbot.waitUntil(lambda: tasks_page.team.selected_id() == task, timeout=WAIT)
    assert window.open_subject(Subject(0, None, None, None, "A platform message.")) is None
    assert window.statusBar().currentMessage() == "A platform message."

    # Mark all read.
    window.open_section("notifications")
    page.extra_buttons["Mark all read"].click()
    qtbot.waitUntil(lambda: nav_text(window) == "Notifications", timeout=WAIT)
    window.close()
    drain()


def test_new_ones_arrive_live_with_a_tray_message_unless_turned_off(
    qtbot, engine: Engine, firms: Firms
) -> None:
    world = World(engine, firms)
    window = window_for(qtbot, firms, "ComplianceManager")
    center = window.notifications
    assert isinstance(center, NotificationCenter)
    assert window.listener is not None and window.listener.subscribed.wait(10)
    page = window.open_section("notifications")
    qtbot.waitUntil(lambda: page.model.total == 0, timeout=WAIT)
    assert nav_text(window) == "Notifications"

    # Made on another workstation: the badge, the list and a tray message follow.
    world.task("File the NIS schedule", 0)
    with qtbot.waitSignal(center.arrived, timeout=WAIT) as arrived:
        assert generate_elsewhere(engine, firms) == 2
    assert [a.kind for a in arrived.args[0]] == ["task_due"]
    qtbot.waitUntil(lambda: nav_text(window) == "Notifications (1)", timeout=WAIT)
    qtbot.waitUntil(lambda: page.model.total == 1, timeout=WAIT)
    assert center.notices == [("Task due", arrived.args[0][0].message)]
    assert center.tray is None  # offscreen there is no tray: nothing shown, nothing fails

    # Made by this window's own hourly run: told once, not again when the firm's channel
    # echoes it.
    with session_factory(engine)() as s:
        from gcmc_desktop.models import Task

        s.add(
            Task(
                tenant_id=firms.alpha,
                title="Second",
                status="open",
                priority="low",
                due_date=utc_at(today() + timedelta(days=1), time(23)),
            )
        )
        s.commit()
    with qtbot.waitSignal(center.generated, timeout=WAIT) as run:
        center.generate()
    assert run.args[0].created == 2
    qtbot.waitUntil(lambda: len(center.notices) == 2, timeout=WAIT)
    qtbot.wait(500)
    assert len(center.notices) == 2

    # Turned off in Preferences: the badge still counts, the tray says nothing.
    dialog = window.preferences_dialog()
    qtbot.addWidget(dialog)
    assert dialog.tray_box.isChecked()
    dialog.tray_box.setChecked(False)
    with qtbot.waitSignal(dialog.notificationsSaved, timeout=WAIT):
        dialog.save_button.click()
    qtbot.waitUntil(lambda: not dialog.saving, timeout=60_000)
    assert app_settings.tray_notifications_enabled() is False
    world.document("Work permit", 25)
    with qtbot.waitSignal(center.arrived, timeout=WAIT):
        generate_elsewhere(engine, firms)
    qtbot.waitUntil(lambda: nav_text(window) == "Notifications (3)", timeout=WAIT)
    assert len(center.notices) == 2
    window.close()
    drain()


def test_the_tray_is_used_where_there_is_one(qtbot, engine: Engine, firms: Firms) -> None:
    ctx = auth.open_context(
        auth.sign_in(firms.profile, firms.emails["ComplianceManager"], PASSWORD)
    )
    center = NotificationCenter(ctx, tray_available=lambda: True)
    try:
        center._arrived([notifications.Arrived(1, "task_due", "Task is due today.", None)])
        assert center.tray is not None and center.tray.isVisible()
        assert center.notices == [("Task due", "Task is due today.")]
        app_settings.set_tray_notifications(False)
        center.apply_settings()
        assert center.tray is None
    finally:
        center.shutdown()
        center.deleteLater()
        drain()
        auth.sign_out(ctx)
