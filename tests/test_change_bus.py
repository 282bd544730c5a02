"""The change bus: thread-safe publishing, delivery on the GUI thread to the views that show a
changed entity type, bursts folded into one refresh, subscribers gone with their views."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import QThread
from PySide6.QtWidgets import QApplication, QWidget

from gcmc_desktop.services.changes import ChangeSet
from gcmc_desktop.views.kit.bus import ChangeBus

pytestmark = pytest.mark.gui


def change(entity: str, *ids: int) -> ChangeSet:
    changes = ChangeSet()
    changes.add(entity, "updated", ids)
    return changes


def test_only_views_of_the_changed_type_hear_it_on_the_gui_thread(qtbot) -> None:
    bus = ChangeBus()
    clients_view, filings_view = QWidget(), QWidget()
    heard: dict[str, list] = {"clients": [], "filings": []}
    threads: list[QThread] = []

    def on_clients(changes: ChangeSet) -> None:
        heard["clients"].append(changes.ids("client"))
        threads.append(QThread.currentThread())

    bus.subscribe(clients_view, {"client", "client_business"}, on_clients)
    bus.subscribe(filings_view, {"filing"}, lambda c: heard["filings"].append(c))
    worker = threading.Thread(target=lambda: bus.publish(change("client", 7)))
    worker.start()
    worker.join()
    qtbot.waitUntil(lambda: heard["clients"] == [{7}], timeout=2000)
    assert heard["filings"] == []
    assert threads == [QApplication.instance().thread()]


def test_a_burst_becomes_one_refresh_and_everything_reaches_all(qtbot) -> None:
    bus = ChangeBus()
    view = QWidget()
    heard: list[set[int] | None] = []
    bus.subscribe(view, {"document"}, lambda c: heard.append(c.ids("document")))
    for i in range(20):
        bus.publish(change("document", i))
    qtbot.waitUntil(lambda: len(heard) == 1, timeout=2000)
    assert heard == [set(range(20))]
    bus.publish(ChangeSet.everything())  # after a reconnect: anything may have changed
    qtbot.waitUntil(lambda: len(heard) == 2, timeout=2000)
    assert heard[1] is None


def test_a_closed_view_is_no_longer_called(qtbot) -> None:
    bus = ChangeBus()
    view = QWidget()
    heard: list[ChangeSet] = []
    bus.subscribe(view, {"client"}, heard.append)
    view.deleteLater()
    qtbot.waitUntil(lambda: not bus._subscriptions, timeout=2000)
    with qtbot.waitSignal(bus.delivered, timeout=2000):
        bus.publish(change("client", 1))
    assert heard == []


def test_unexpected_errors_never_show_their_text() -> None:
    """Issue 9 #23: an unexpected error's text (SQL, paths, values) stays in the log."""
    from sqlalchemy.exc import ProgrammingError

    from gcmc_desktop.views.workers import UNEXPECTED, user_message

    error = ProgrammingError('SELECT "secret" FROM clients', {}, Exception("column x"))
    assert user_message(error) == UNEXPECTED
    assert "SELECT" not in user_message(RuntimeError("SELECT 1 FROM /var/run/socket"))
