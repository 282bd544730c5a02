"""Live refresh on real widgets: two workstations signed in as staff; what one commits shows in
the other's open views without F5, and the views that show it keep the user's selection."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QThreadPool

from gcmc_desktop.services import auth, businesses, clients
from gcmc_desktop.services.changes import ChangeListener
from gcmc_desktop.views.client_workspace import ClientWorkspace
from gcmc_desktop.views.clients import CLIENTS
from gcmc_desktop.views.kit.bus import change_bus
from gcmc_desktop.views.kit.list_page import ListPage
from gcmc_desktop.views.table_model import query_pool

from .security_fixtures import PASSWORD, Firms, build_firms

pytestmark = pytest.mark.gui
WAIT = 10_000


@pytest.fixture
def firms(engine, database_url) -> Firms:
    return build_firms(engine, database_url, ("FirmAdmin", "Viewer"))


@pytest.fixture
def workstations(firms: Firms, qtbot):
    """(A, B): A writes through the services; B has the listener feeding the change bus."""
    a = auth.open_context(auth.sign_in(firms.profile, firms.emails["FirmAdmin"], PASSWORD))
    b = auth.open_context(auth.sign_in(firms.profile, firms.emails["Viewer"], PASSWORD))
    listener = ChangeListener(b.session.get_bind().url, b.tenant_id, change_bus().publish)
    listener.start()
    assert listener.subscribed.wait(5)
    yield a, b
    listener.stop()
    query_pool().waitForDone(5000)
    QThreadPool.globalInstance().waitForDone(5000)


def ids_shown(model) -> set:
    return {model.row_id(r) for r in range(model.rowCount())}


def test_another_workstations_new_client_appears_and_the_selection_stays(
    qtbot, firms, workstations
) -> None:
    a, b = workstations
    page = ListPage(b, CLIENTS)
    qtbot.addWidget(page)
    qtbot.waitUntil(lambda: ids_shown(page.model) == {firms.alpha_client}, timeout=WAIT)
    page.table.selectRow(0)
    assert page.selected_id() == firms.alpha_client
    created = clients.create_client(a, {"name": "Added on A", "type": "company"})
    qtbot.waitUntil(lambda: created["id"] in ids_shown(page.model), timeout=WAIT)  # no F5
    qtbot.waitUntil(lambda: page.selected_id() == firms.alpha_client, timeout=WAIT)


def test_an_open_workspace_follows_changes_made_elsewhere(qtbot, firms, workstations) -> None:
    a, b = workstations
    workspace = ClientWorkspace(b, firms.alpha_client)
    qtbot.addWidget(workspace)
    qtbot.waitUntil(lambda: workspace.title() == "Alpha Client", timeout=WAIT)
    current = clients.get_client(a, firms.alpha_client)
    clients.update_client(a, firms.alpha_client, {"name": "Alpha Renamed"}, current["updated_at"])
    qtbot.waitUntil(lambda: workspace.title() == "Alpha Renamed", timeout=WAIT)
    business = businesses.create_business(a, firms.alpha_client, {"name": "Alpha Shop"})
    qtbot.waitUntil(lambda: business["id"] in ids_shown(workspace.businesses.model), timeout=WAIT)
