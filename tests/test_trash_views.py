"""Audit → Deleted items on real widgets and a real database, signed in as staff with their own
PostgreSQL role: deleted records are listed (what, who, when, days left), Restore… asks first
and puts the record back, a conflict is shown as a message, a role without delete gets no
page, and the kit's delete question says the record can be restored."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt, QThreadPool
from PySide6.QtTest import QTest
from sqlalchemy import Engine, text

from gcmc_desktop.services import auth, clients, filings
from gcmc_desktop.services.context import Context
from gcmc_desktop.views.clients import CLIENTS
from gcmc_desktop.views.kit.list_page import ListPage
from gcmc_desktop.views.kit.questions import RESTORABLE
from gcmc_desktop.views.table_model import query_pool
from gcmc_desktop.views.trash import DeletedItemsPage, deleted_items_tab

from .security_fixtures import PASSWORD, Firms, build_firms
from .test_trash import build_client

pytestmark = pytest.mark.gui

WAIT = 10_000


def drain() -> None:
    QThreadPool.globalInstance().waitForDone()
    query_pool().waitForDone()


@pytest.fixture
def firms(engine: Engine, database_url) -> Iterator[Firms]:
    yield build_firms(engine, database_url, ("FirmAdmin", "FilingClerk"))
    drain()


def _sign_in(firms: Firms, role: str) -> Context:
    return auth.open_context(auth.sign_in(firms.profile, firms.emails[role], PASSWORD))


@pytest.fixture
def admin(firms: Firms) -> Iterator[Context]:
    ctx = _sign_in(firms, "FirmAdmin")
    yield ctx
    drain()
    auth.sign_out(ctx)


def _loaded(page, total: int) -> bool:
    return page.model.total == total and not page.model.loading and page.model.rowCount() == total


def test_deleted_items_listed_and_restored(qtbot, engine: Engine, firms: Firms, admin) -> None:
    ids = build_client(engine, firms.alpha)
    filings.delete_filing(admin, ids["filings"][1])
    clients.delete_client(admin, ids["client"])

    page = deleted_items_tab(admin)
    assert isinstance(page, DeletedItemsPage)
    qtbot.addWidget(page)
    page.resize(1280, 800)
    page.show()
    qtbot.waitUntil(lambda: _loaded(page, 2), timeout=WAIT)
    query = page.model.query
    rows = [
        [page.model.index(r, query.column_index(k)).data() for k in ("what", "label", "days_left")]
        for r in range(2)
    ]
    assert rows == [
        ["Client", "Demerara Traders", "30 days"],
        ["Filing", "VAT return — October 2026 #1", "30 days"],
    ]
    assert page.model.index(0, query.column_index("deleted_by")).data() == "FirmAdmin User"
    page.grab().save("/tmp/trash_page.png")

    # Restoring the filing before its client: asked, refused with a clear message.
    asked: list[str] = []
    page.question = lambda _p, _t, question: asked.append(question) or True
    page.table.selectRow(1)
    button = page.extra_buttons["Restore…"]
    assert button.isEnabled()
    button.click()
    qtbot.waitUntil(lambda: bool(page.message_text()), timeout=WAIT)
    assert 'Restore the filing "VAT return — October 2026 #1"?' in asked[0]
    assert 'restore the client "Demerara Traders" first' in page.message_text()
    page.grab().save("/tmp/trash_refused.png")

    # The client, by keyboard: Enter on the row restores (after the question).
    page.table.selectRow(0)
    page.table.setFocus()
    QTest.keyClick(page.table, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: _loaded(page, 1), timeout=WAIT)
    assert "Restored the client" in page.status.text()
    with engine.connect() as c:
        assert c.execute(text("SELECT name FROM clients WHERE id = :c"), {"c": ids["client"]})
    # A cancelled question restores nothing.
    page.question = lambda *_a: False
    page.table.selectRow(0)
    button.click()
    drain()
    assert page.model.total == 1


def test_no_page_for_a_role_without_delete(qtbot, firms: Firms) -> None:
    clerk = _sign_in(firms, "FilingClerk")
    try:
        assert deleted_items_tab(clerk) is None
    finally:
        drain()
        auth.sign_out(clerk)


def test_the_delete_question_says_it_can_be_restored(
    qtbot, engine: Engine, firms: Firms, admin
) -> None:
    page = ListPage(admin, CLIENTS)
    qtbot.addWidget(page)
    page.show()
    qtbot.waitUntil(lambda: page.model.rowCount() >= 1, timeout=WAIT)
    asked: list[str] = []
    page.confirm = lambda _p, _t, question: asked.append(question) or False
    page.table.selectRow(0)
    page.delete_selected()
    qtbot.waitUntil(lambda: bool(asked), timeout=WAIT)
    assert RESTORABLE in asked[0]


def test_restore_from_the_clients_audit_trail(qtbot, engine: Engine, firms: Firms, admin) -> None:
    from gcmc_desktop.views.client_workspace import AuditTab

    ids = build_client(engine, firms.alpha)
    filings.delete_filing(admin, ids["filings"][0])
    tab = AuditTab(admin, ids["client"])
    qtbot.addWidget(tab)
    tab.resize(1280, 800)
    tab.show()
    qtbot.waitUntil(lambda: tab.model.rowCount() >= 1 and not tab.model.loading, timeout=WAIT)
    query = tab.model.query
    rows = [tab.model.row_values(r) for r in range(tab.model.rowCount())]
    row = next(
        i
        for i, v in enumerate(rows)
        if v["action"] == "delete"
        and v["entity_type"] == "filing"
        and v["entity_id"] == ids["filings"][0]
    )
    assert tab.restore_button.isVisible() and not tab.restore_button.isEnabled()
    tab.table.setCurrentIndex(tab.model.index(row, query.column_index("action")))
    assert tab.restore_button.isEnabled()
    tab.grab().save("/tmp/trash_trail.png")
    asked: list[str] = []
    tab.question = lambda _p, _t, question: asked.append(question) or True
    tab.restore_button.click()
    qtbot.waitUntil(lambda: "Restored the filing" in tab.restore_status.text(), timeout=WAIT)
    assert 'Restore the filing "VAT return — October 2026 #0"?' in asked[0]
    with engine.connect() as c:
        assert (
            c.execute(
                text('SELECT count(*) FROM filing_documents WHERE "filingId" = :f'),
                {"f": ids["filings"][0]},
            ).scalar_one()
            == 1
        )
    # Once restored, the same entry says so instead of restoring twice.
    tab.restore_button.click()
    qtbot.waitUntil(lambda: "no longer in Deleted items" in tab.message.text(), timeout=WAIT)
