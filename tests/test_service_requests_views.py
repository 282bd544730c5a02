"""Service requests on real widgets and a real database, as a signed-in FirmAdmin: a request
made in a client's Requests tab (service, then one of its templates), its checklist beside the
list (statuses shown, the dependency by title, documents present or missing), steps moved with
the buttons, and Done with a missing document asking for the reason that is then recorded."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt, QThreadPool
from sqlalchemy import Engine

from gcmc_desktop.services import auth, service_steps
from gcmc_desktop.services.context import Context
from gcmc_desktop.views.service_requests import requests_page
from gcmc_desktop.views.table_model import query_pool

from .security_fixtures import PASSWORD, Firms, build_firms
from .test_service_requests import world  # noqa: F401 (the fixture)

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


def test_create_in_client_tab_then_work_the_checklist(qtbot, firms, admin, world) -> None:  # noqa: F811
    page = requests_page(admin, client_id=firms.alpha_client)
    qtbot.addWidget(page)
    page.resize(1280, 700)
    page.show()
    qtbot.waitUntil(lambda: page.model.total is not None, timeout=WAIT)
    assert page.table.isColumnHidden(page.model.query.column_index("client"))
    header = page.table.horizontalHeader()  # newest first, and the header says so
    assert header.sortIndicatorOrder() == Qt.SortOrder.DescendingOrder
    assert page.model.query.descending
    dialog = page.new_record()
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.is_loaded and not dialog._loading_choices, timeout=WAIT)
    assert "client_id" not in dialog.fields  # the tab says which client
    service = dialog.fields["service_id"].widget
    service.setCurrentIndex(service.findData(world["service"]))
    template = dialog.fields["template_id"].widget
    qtbot.waitUntil(lambda: template.findData(world["template"]) >= 0, timeout=WAIT)
    assert template.itemText(template.findData(world["template"])) == "Standard (3 steps)"
    template.setCurrentIndex(template.findData(world["template"]))
    with qtbot.waitSignal(dialog.saved, timeout=WAIT) as saved:
        dialog.save()
    request_id = saved.args[0]
    qtbot.waitUntil(lambda: page.model.row_of(request_id) is not None, timeout=WAIT)
    assert page.selected_id() == request_id

    pane = page.checklist
    qtbot.waitUntil(lambda: pane.sheet is not None and pane.sheet["id"] == request_id, timeout=WAIT)
    tree = pane.tree
    assert tree.topLevelItemCount() == 3
    first, second = tree.topLevelItem(0), tree.topLevelItem(1)
    assert first.text(1) == "Not started"
    assert second.text(3) == "1. Collect documents"  # the dependency, by title
    assert second.child(0).text(0) == "✗ missing: TIN certificate"
    assert "Status: New" in pane.heading.text()
    assert tree.currentItem() is first and pane.start_button.isEnabled()
    assert not pane.done_button.isEnabled()

    def move(button, expected: str, row: int) -> None:
        button.click()
        qtbot.waitUntil(lambda: tree.topLevelItem(row).text(1) == expected, timeout=WAIT)

    move(pane.start_button, "In progress", 0)
    assert "Status: In progress" in pane.heading.text()
    move(pane.done_button, "Done", 0)
    tree.setCurrentItem(tree.topLevelItem(1))
    move(pane.start_button, "In progress", 1)
    # Done with the TIN certificate missing: the reason is asked for, then recorded.
    asked: list[list[str]] = []
    pane.ask_reason = lambda _parent, missing: asked.append(missing) or "Seen the original"
    move(pane.done_button, "Done", 1)
    assert asked == [["TIN certificate"]]
    step = service_steps.checklist(admin, request_id)["steps"][1]
    assert "Done without TIN certificate — Seen the original" in step["description"]
    # The filing step can start now that the step it waits for is done.
    tree.setCurrentItem(tree.topLevelItem(2))
    pane.start_button.click()
    qtbot.waitUntil(lambda: tree.topLevelItem(2).text(1) == "In progress", timeout=WAIT)
    assert pane.message_text() == ""
