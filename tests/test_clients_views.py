"""The clients screens with real widgets on a real database, signed in as staff users with their
own PostgreSQL roles: the list (search, filters, paging, permissions), the client dialog
(validation next to the fields, nothing typed lost, stale-edit conflicts), deletion with its
counts, and the workspace's Businesses and Audit tabs."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Iterator
from datetime import date, datetime, timedelta

import pytest
from PySide6.QtCore import QDate, Qt, QThreadPool, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from gcmc_desktop.db import session_factory
from gcmc_desktop.models import AuditLog, Client, ClientBusiness, Document, DocumentType, Filing
from gcmc_desktop.services import auth, businesses, clients, records
from gcmc_desktop.services.audit_trail import change_rows, client_audit_query, summarize_changes
from gcmc_desktop.services.client_list import client_list_query
from gcmc_desktop.services.context import Context
from gcmc_desktop.services.errors import PermissionDenied, ValidationError
from gcmc_desktop.views.client_workspace import ClientWorkspace
from gcmc_desktop.views.clients import CLIENT_RECORD, CLIENTS
from gcmc_desktop.views.kit.bus import change_bus
from gcmc_desktop.views.kit.conflict import ConflictDialog
from gcmc_desktop.views.kit.list_page import ListPage
from gcmc_desktop.views.kit.questions import confirm_delete
from gcmc_desktop.views.kit.record_dialog import RecordDialog
from gcmc_desktop.views.table_model import query_pool

from .security_fixtures import PASSWORD, Firms, build_firms

pytestmark = pytest.mark.gui

WAIT = 10_000


# ------------------------------------------------------------------------------- fixtures


def drain() -> None:
    """Background jobs must finish before their database is dropped."""
    QThreadPool.globalInstance().waitForDone()
    query_pool().waitForDone()


@pytest.fixture
def firms(engine: Engine, database_url) -> Iterator[Firms]:
    yield build_firms(engine, database_url, ("FirmAdmin", "Viewer", "ComplianceOfficer"))
    drain()


@pytest.fixture
def contexts(firms: Firms) -> Iterator[dict[str, Context]]:
    opened: dict[str, Context] = {}

    def get(role: str) -> Context:
        if role not in opened:
            signed = auth.sign_in(firms.profile, firms.emails[role], PASSWORD)
            opened[role] = auth.open_context(signed)
        return opened[role]

    yield _Lazy(get)  # type: ignore[misc]
    drain()
    for ctx in opened.values():
        auth.sign_out(ctx)


class _Lazy:
    def __init__(self, get) -> None:
        self._get = get

    def __getitem__(self, role: str) -> Context:
        return self._get(role)


@pytest.fixture
def admin_session(engine: Engine) -> Iterator[Session]:
    with session_factory(engine)() as s:
        yield s


def add_clients(session: Session, tenant_id: int, rows: list[dict]) -> list[int]:
    objs = [Client(tenant_id=tenant_id, **row) for row in rows]
    session.add_all(objs)
    session.commit()
    return [o.id for o in objs]


def make_page(qtbot, ctx: Context) -> ListPage:
    page = ListPage(ctx, CLIENTS)
    qtbot.addWidget(page)
    page.resize(1200, 600)
    page.show()
    return page


def wait_loaded(qtbot, model, rows: int | None = None) -> None:
    qtbot.waitUntil(lambda: not model.loading and model.total is not None, timeout=WAIT)
    if rows is not None:
        qtbot.waitUntil(lambda: model.rowCount() == rows, timeout=WAIT)


def select_row_of(page, model, row_id: int) -> None:
    row = model.row_of(row_id)
    assert row is not None
    page.table.selectRow(row)


def type_into(qtbot, dialog, key: str, text: str) -> None:
    widget = dialog.fields[key].widget
    widget.setFocus()
    if hasattr(widget, "clear"):
        widget.clear()
    # QTest cannot type "\n" as a character: new lines are Return key presses.
    for i, line in enumerate(text.split("\n")):
        if i:
            qtbot.keyClick(widget, Qt.Key.Key_Return)
        qtbot.keyClicks(widget, line)


def choose(dialog, key: str, value) -> None:
    box = dialog.fields[key].widget
    box.setCurrentIndex(box.findData(value))


def wait_closed(qtbot, owner, attribute: str) -> None:
    qtbot.waitUntil(lambda: getattr(owner, attribute) is None, timeout=WAIT)


# ------------------------------------------------------------------------------- services


def test_client_list_query_filters_search_and_gate(contexts, firms, admin_session) -> None:
    add_clients(
        admin_session,
        firms.alpha,
        [
            {
                "name": "Persaud Farms",
                "type": "company",
                "sector": "Agriculture",
                "tin": "123456789",
            },
            {"name": "Ann Persaud", "type": "individual", "risk_level": "high"},
            {"name": "Coastal Mining", "type": "company", "nis_number": "AB1234567"},
        ],
    )
    ctx = contexts["Viewer"]
    query = client_list_query(ctx)
    names = lambda: [r["name"] for r in query.first_page(ctx.session, 50).dicts()]  # noqa: E731
    assert names() == ["Alpha Client", "Ann Persaud", "Coastal Mining", "Persaud Farms"]
    query.set_search("persaud")
    assert names() == ["Ann Persaud", "Persaud Farms"]
    query.set_filter("type", "company")
    assert names() == ["Persaud Farms"]
    query.set_search("ab1234")
    assert names() == ["Coastal Mining"]
    query.set_search("")
    query.clear_filters()
    query.set_filter("risk_level", "high")
    assert names() == ["Ann Persaud"]
    assert "Beta Client" not in names()


def test_business_service_validates_gates_and_audits(contexts, firms) -> None:
    officer = contexts["ComplianceOfficer"]  # clients: view, edit
    admin = contexts["FirmAdmin"]
    with pytest.raises(PermissionDenied):
        businesses.create_business(officer, firms.alpha_client, {"name": "X"})
    with pytest.raises(ValidationError) as invalid:
        businesses.create_business(
            admin,
            firms.alpha_client,
            {"name": " ", "incorporation_date": date.today() + timedelta(days=3)},
        )
    assert set(invalid.value.field_errors) == {"name", "incorporation_date"}
    created = businesses.create_business(
        admin,
        firms.alpha_client,
        {"name": "Alpha Trading", "incorporation_date": date(2020, 5, 1), "status": "whatever"},
    )
    assert created["incorporation_date"] == datetime(2020, 5, 1)
    stamp = created["updated_at"]
    businesses.update_business(officer, created["id"], {"status": "Dormant"}, stamp)
    from gcmc_desktop.services.errors import ConflictError

    with pytest.raises(ConflictError):
        businesses.update_business(officer, created["id"], {"status": "Active"}, stamp)
    with pytest.raises(PermissionDenied):
        businesses.delete_business(officer, created["id"])
    with pytest.raises(Exception):  # noqa: B017 - the Beta client is invisible to Alpha staff
        businesses.create_business(admin, firms.beta_client, {"name": "Sneaky"})
    admin.session.rollback()
    businesses.delete_business(admin, created["id"])
    trail = client_audit_query(admin, firms.alpha_client).first_page(admin.session, 50).dicts()
    assert [(r["entity_type"], r["action"]) for r in trail[:3]] == [
        ("client_business", "delete"),
        ("client_business", "update"),
        ("client_business", "create"),
    ]
    assert trail[1]["actor"] == "ComplianceOfficer User"
    assert trail[1]["changes"] == {"status": ["whatever", "Dormant"]}


def test_change_rows_reads_both_audit_shapes() -> None:
    assert change_rows({"phone": [None, "1"]}) == [("phone", None, "1")]
    assert change_rows({"from": {"a": 1}, "to": {"a": 2}}) == [("a", 1, 2)]
    assert change_rows({"created": {"name": "X"}}) == [("name", None, "X")]
    assert summarize_changes({"deleted": {"name": "X", "tin": "1"}}) == "name, tin"


# ------------------------------------------------------------------------------- dialog


def test_create_client_through_the_dialog(qtbot, contexts, admin_session) -> None:
    ctx = contexts["FirmAdmin"]
    page = make_page(qtbot, ctx)
    wait_loaded(qtbot, page.model, 1)
    assert page.count_label.text() == "1 client"
    dialog = page.new_record()
    assert dialog is not None and dialog.windowTitle() == "New client"
    type_into(qtbot, dialog, "name", "Kaieteur Holdings Inc.")
    choose(dialog, "type", "company")
    type_into(qtbot, dialog, "email", "Office@Kaieteur.GY")
    type_into(qtbot, dialog, "tin", "101-202-303")
    dialog.fields["sector"].widget.setCurrentText("Mining")
    choose(dialog, "risk_level", "medium")
    type_into(qtbot, dialog, "address", "Lot 5 Main Street\nGeorgetown")
    with qtbot.waitSignal(dialog.saved, timeout=WAIT) as saved:
        # Enter in a line edit saves (the default button).
        qtbot.keyClick(dialog.fields["name"].widget, Qt.Key.Key_Return)
    wait_closed(qtbot, page, "dialog")
    client_id = saved.args[0]
    row = admin_session.get(Client, client_id)
    assert (row.name, row.type, row.email, row.tin, row.sector, row.risk_level) == (
        "Kaieteur Holdings Inc.",
        "company",
        "office@kaieteur.gy",
        "101202303",
        "Mining",
        "medium",
    )
    assert row.address == "Lot 5 Main Street\nGeorgetown"
    audit = admin_session.scalars(
        select(AuditLog).where(AuditLog.entity_type == "client", AuditLog.entity_id == client_id)
    ).one()
    assert audit.action == "create" and audit.actor_user_id == ctx.user_id
    assert audit.changes["name"] == [None, "Kaieteur Holdings Inc."]
    # The list refreshed by itself.
    qtbot.waitUntil(lambda: page.model.row_of(client_id) is not None, timeout=WAIT)
    qtbot.waitUntil(lambda: page.count_label.text() == "2 clients", timeout=WAIT)


def test_validation_messages_sit_next_to_fields_and_nothing_is_lost(
    qtbot, contexts, admin_session
) -> None:
    ctx = contexts["FirmAdmin"]
    dialog = RecordDialog(ctx, CLIENT_RECORD)
    qtbot.addWidget(dialog)
    dialog.show()
    type_into(qtbot, dialog, "email", "not-an-email")
    type_into(qtbot, dialog, "tin", "12ab")
    type_into(qtbot, dialog, "phone", "+592 600 1234")
    type_into(qtbot, dialog, "notes", "Met at the GRA office")
    choose(dialog, "risk_level", "high")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.field_error("name") != "", timeout=WAIT)
    assert dialog.field_error("name") == "Enter the client's name."
    assert dialog.field_error("type") == "Choose individual, company or partnership."
    assert dialog.field_error("email").startswith("Enter an e-mail address")
    assert dialog.field_error("tin") == "A TIN has 9 or 10 digits."
    assert dialog.field_error("phone") == ""
    assert dialog.banner.isVisible()
    assert dialog.isVisible()
    # Everything typed is still there.
    values = dialog.values()
    assert values["email"] == "not-an-email" and values["tin"] == "12ab"
    assert values["phone"] == "+592 600 1234" and values["notes"] == "Met at the GRA office"
    assert values["risk_level"] == "high"
    # Fix and save: the messages go, the client is stored.
    type_into(qtbot, dialog, "name", "Fixed Name")
    choose(dialog, "type", "individual")
    type_into(qtbot, dialog, "email", "fixed@example.gy")
    type_into(qtbot, dialog, "tin", "123456789")
    with qtbot.waitSignal(dialog.saved, timeout=WAIT):
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert dialog.field_error("name") == ""
    assert admin_session.scalar(select(Client.phone).where(Client.name == "Fixed Name")) == (
        "+592 600 1234"
    )


def test_escape_asks_before_discarding_edits(qtbot, contexts) -> None:
    dialog = RecordDialog(contexts["FirmAdmin"], CLIENT_RECORD)
    qtbot.addWidget(dialog)
    dialog.show()
    asked: list[str] = []
    dialog.confirm = lambda _parent, title, _text: asked.append(title) or False
    type_into(qtbot, dialog, "name", "Half typed")
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert asked == ["Discard changes?"] and dialog.isVisible()
    assert dialog.values()["name"] == "Half typed"
    dialog.confirm = lambda *_: True
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert not dialog.isVisible()


def test_edit_client_through_the_page(qtbot, contexts, firms, admin_session) -> None:
    ctx = contexts["ComplianceOfficer"]  # may view and edit, not create or delete
    page = make_page(qtbot, ctx)
    wait_loaded(qtbot, page.model, 1)
    assert not page.new_button.isVisible() and not page.delete_button.isVisible()
    assert page.edit_button.isVisible()
    select_row_of(page, page.model, firms.alpha_client)
    dialog = page.edit_selected()
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.is_loaded, timeout=WAIT)
    assert dialog.values()["name"] == "Alpha Client"
    # Unchanged: Esc closes without asking.
    dialog.confirm = lambda *_: pytest.fail("asked although nothing changed")
    type_into(qtbot, dialog, "phone", "+592 222 3333")
    dialog.confirm = lambda *_: True
    with qtbot.waitSignal(dialog.saved, timeout=WAIT):
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    wait_closed(qtbot, page, "dialog")
    admin_session.expire_all()
    assert admin_session.get(Client, firms.alpha_client).phone == "+592 222 3333"
    update = admin_session.scalars(
        select(AuditLog).where(AuditLog.entity_type == "client", AuditLog.action == "update")
    ).one()
    assert update.changes == {"phone": [None, "+592 222 3333"]}


def _stale_dialog(qtbot, contexts, firms) -> RecordDialog:
    """An edit dialog of FirmAdmin whose record the ComplianceOfficer then changes."""
    mine = contexts["FirmAdmin"]
    theirs = contexts["ComplianceOfficer"]
    dialog = RecordDialog(mine, CLIENT_RECORD, firms.alpha_client)
    dialog.confirm = lambda *_: True  # closing at teardown must not wait on a question
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.is_loaded, timeout=WAIT)
    type_into(qtbot, dialog, "phone", "+592 600 1111")
    current = clients.get_client(theirs, firms.alpha_client)
    clients.update_client(
        theirs, firms.alpha_client, {"email": "theirs@alpha.gy"}, current["updated_at"]
    )
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.conflict_dialog is not None, timeout=WAIT)
    conflict = dialog.conflict_dialog
    assert isinstance(conflict, ConflictDialog)
    assert set(conflict.differing) == {"phone", "email"}
    table = conflict.table
    rows = {table.item(r, 0).text(): r for r in range(table.rowCount())}
    assert table.item(rows["E-mail"], 1).text() == "—"
    assert table.item(rows["E-mail"], 2).text() == "theirs@alpha.gy"
    assert table.item(rows["Phone"], 1).text() == "+592 600 1111"
    return dialog


def test_stale_edit_keep_mine_overwrites(qtbot, contexts, firms, admin_session) -> None:
    dialog = _stale_dialog(qtbot, contexts, firms)
    with qtbot.waitSignal(dialog.saved, timeout=WAIT):
        qtbot.mouseClick(dialog.conflict_dialog.keep_button, Qt.MouseButton.LeftButton)
    admin_session.expire_all()
    row = admin_session.get(Client, firms.alpha_client)
    assert (row.phone, row.email) == ("+592 600 1111", None)


def test_stale_edit_take_theirs_loads_their_values(qtbot, contexts, firms, admin_session) -> None:
    dialog = _stale_dialog(qtbot, contexts, firms)
    qtbot.mouseClick(dialog.conflict_dialog.theirs_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.conflict_dialog is None, timeout=WAIT)
    assert dialog.isVisible()
    assert dialog.values()["email"] == "theirs@alpha.gy"
    assert dialog.values()["phone"] == ""
    assert "Their version" in dialog.banner.text()
    # Saving now works against their version.
    type_into(qtbot, dialog, "notes", "Reviewed")
    with qtbot.waitSignal(dialog.saved, timeout=WAIT):
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    admin_session.expire_all()
    row = admin_session.get(Client, firms.alpha_client)
    assert (row.email, row.notes, row.phone) == ("theirs@alpha.gy", "Reviewed", None)


def test_stale_edit_cancel_keeps_the_form(qtbot, contexts, firms) -> None:
    dialog = _stale_dialog(qtbot, contexts, firms)
    qtbot.mouseClick(dialog.conflict_dialog.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.conflict_dialog is None, timeout=WAIT)
    assert dialog.values()["phone"] == "+592 600 1111"
    assert "Not saved" in dialog.banner.text()


# ------------------------------------------------------------------------------- delete


def _attach(session: Session, tenant_id: int, client_id: int) -> None:
    doc_type = DocumentType(tenant_id=tenant_id, name="TIN certificate", category="id")
    session.add(doc_type)
    session.flush()
    session.add_all(
        [
            ClientBusiness(tenant_id=tenant_id, client_id=client_id, name="One"),
            ClientBusiness(tenant_id=tenant_id, client_id=client_id, name="Two"),
            Document(
                tenant_id=tenant_id,
                client_id=client_id,
                document_type_id=doc_type.id,
                title="TIN",
                status="valid",
            ),
        ]
    )
    session.commit()


def test_delete_with_the_real_confirmation_box(qtbot, contexts, firms, admin_session) -> None:
    _attach(admin_session, firms.alpha, firms.alpha_client)
    page = make_page(qtbot, contexts["FirmAdmin"])
    wait_loaded(qtbot, page.model, 1)
    select_row_of(page, page.model, firms.alpha_client)
    seen: dict[str, object] = {}

    def answer() -> None:
        box = next((w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox)), None)
        if box is None or not box.isVisible():
            QTimer.singleShot(20, answer)
            return
        seen["text"] = box.text()
        seen["default_is_cancel"] = box.defaultButton() is box.button(
            QMessageBox.StandardButton.Cancel
        )
        delete = next(b for b in box.buttons() if b.text() == "Delete")
        delete.click()

    QTimer.singleShot(0, answer)
    deleted = lambda changes: client_deleted(changes, firms.alpha_client)  # noqa: E731
    with qtbot.waitSignal(change_bus().delivered, timeout=WAIT, check_params_cb=deleted):
        qtbot.mouseClick(page.delete_button, Qt.MouseButton.LeftButton)
    assert seen["text"] == (
        "Delete client Alpha Client? This also deletes 2 businesses, 1 document."
    )
    assert seen["default_is_cancel"] is True
    admin_session.expire_all()
    assert admin_session.get(Client, firms.alpha_client) is None
    assert admin_session.scalar(select(func.count()).select_from(ClientBusiness)) == 0
    qtbot.waitUntil(lambda: page.model.rowCount() == 0, timeout=WAIT)
    qtbot.waitUntil(lambda: page.count_label.text() == "0 clients", timeout=WAIT)


def test_delete_declined_keeps_the_client(qtbot, contexts, firms, admin_session) -> None:
    page = make_page(qtbot, contexts["FirmAdmin"])
    wait_loaded(qtbot, page.model, 1)
    select_row_of(page, page.model, firms.alpha_client)
    asked: list[str] = []
    page.confirm = lambda _p, _t, text: asked.append(text) or False
    page.delete_selected()
    qtbot.waitUntil(lambda: bool(asked), timeout=WAIT)
    assert asked == [
        "Delete client Alpha Client? Nothing else is attached to it. "
        "It can be restored for 30 days from Deleted items."
    ]
    drain()
    assert admin_session.get(Client, firms.alpha_client) is not None


def test_deletion_message_and_default_button(qtbot) -> None:
    assert clients.DeletionImpact(1, 0, 3).describe() == "1 business, 3 filings"
    seen = {}

    def cancel() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(20, cancel)
            return
        seen["default"] = box.defaultButton() is box.button(QMessageBox.StandardButton.Cancel)
        # Enter takes the default: Cancel.
        box.defaultButton().click()

    QTimer.singleShot(0, cancel)
    assert confirm_delete(None, "Delete client", "Delete client X?") is False
    assert seen["default"] is True


# ------------------------------------------------------------------------------- list


def test_viewer_sees_no_write_actions(qtbot, contexts, firms) -> None:
    ctx = contexts["Viewer"]
    page = make_page(qtbot, ctx)
    wait_loaded(qtbot, page.model, 1)
    assert not page.new_button.isVisible()
    assert not page.edit_button.isVisible()
    assert not page.delete_button.isVisible()
    assert page.open_button.isVisible()
    assert page.new_record() is None
    select_row_of(page, page.model, firms.alpha_client)
    assert page.edit_selected() is None
    with qtbot.waitSignal(page.opened, timeout=WAIT) as opened:
        qtbot.keyClick(page.table, Qt.Key.Key_Return)
    assert opened.args == [firms.alpha_client]
    with qtbot.waitSignal(page.opened, timeout=WAIT) as opened:
        qtbot.mouseClick(page.open_button, Qt.MouseButton.LeftButton)
    assert opened.args == [firms.alpha_client]
    workspace = ClientWorkspace(ctx, firms.alpha_client)
    qtbot.addWidget(workspace)
    assert not workspace.overview.edit_button.isVisibleTo(workspace)
    assert not workspace.businesses.new_button.isVisibleTo(workspace)
    assert not workspace.businesses.delete_button.isVisibleTo(workspace)
    qtbot.waitUntil(lambda: workspace.title() == "Alpha Client", timeout=WAIT)


def test_search_and_filters_narrow_the_table(qtbot, contexts, firms, admin_session) -> None:
    add_clients(
        admin_session,
        firms.alpha,
        [
            {"name": "Persaud Farms", "type": "company", "sector": "Agriculture"},
            {"name": "Ann Persaud", "type": "individual", "risk_level": "high"},
            {"name": "Coastal Mining", "type": "company", "tin": "555666777"},
            {"name": "Berbice Rice", "type": "company", "sector": "Agriculture"},
        ],
    )
    page = make_page(qtbot, contexts["Viewer"])
    wait_loaded(qtbot, page.model, 5)
    assert page.count_label.text() == "5 clients"
    page.focus_search()
    qtbot.keyClicks(page.search, "persaud")
    qtbot.waitUntil(lambda: page.model.rowCount() == 2, timeout=WAIT)
    qtbot.waitUntil(lambda: page.count_label.text() == "2 clients", timeout=WAIT)
    page.filter_box("type").setCurrentIndex(page.filter_box("type").findData("company"))
    qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=WAIT)
    assert page.model.row_values(0)["name"] == "Persaud Farms"
    page.search.clear()
    qtbot.waitUntil(lambda: page.model.rowCount() == 3, timeout=WAIT)
    page.filter_box("sector").setCurrentIndex(page.filter_box("sector").findData("Agriculture"))
    qtbot.waitUntil(lambda: page.model.rowCount() == 2, timeout=WAIT)
    page.filter_box("type").setCurrentIndex(0)
    page.filter_box("sector").setCurrentIndex(0)
    page.filter_box("risk_level").setCurrentIndex(page.filter_box("risk_level").findData("high"))
    qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=WAIT)
    page.filter_box("risk_level").setCurrentIndex(0)
    qtbot.keyClicks(page.search, "5556")
    qtbot.waitUntil(
        lambda: page.model.rowCount() == 1 and page.model.row_values(0)["name"] == "Coastal Mining",
        timeout=WAIT,
    )
    # Sorting by a header keeps the total.
    page.search.clear()
    qtbot.waitUntil(lambda: page.count_label.text() == "5 clients", timeout=WAIT)
    page.table.sortByColumn(0, Qt.SortOrder.DescendingOrder)
    qtbot.waitUntil(
        lambda: page.model.rowCount() == 5 and page.model.row_values(0)["name"] == "Persaud Farms",
        timeout=WAIT,
    )
    qtbot.waitUntil(lambda: page.count_label.text() == "5 clients", timeout=WAIT)
    # Header layout round-trips for QSettings.
    state = page.header_state()
    assert isinstance(state, bytes) and state
    other = make_page(qtbot, contexts["Viewer"])
    assert other.restore_header_state(state)
    assert other.table.horizontalHeader().sortIndicatorOrder() == Qt.SortOrder.DescendingOrder


def test_paging_over_thousands_of_clients(qtbot, contexts, firms, engine) -> None:
    n = 3000
    with engine.begin() as conn:
        dbapi = conn.connection.driver_connection
        with (
            dbapi.cursor() as cursor,
            cursor.copy(
                'COPY clients ("tenantId", name, type, "createdAt", "updatedAt") FROM STDIN'
            ) as copy,
        ):
            now = datetime(2024, 1, 1)
            for i in range(n):
                copy.write_row([firms.alpha, f"Bulk client {i:05d}", "company", now, now])
    page = make_page(qtbot, contexts["Viewer"])
    model = page.model
    qtbot.waitUntil(lambda: model.rowCount() >= 200, timeout=WAIT)
    assert model.rowCount() in (200, n + 1)
    qtbot.waitUntil(lambda: page.count_label.text() == "3,001 clients", timeout=WAIT)
    # Counted: the whole list is rows (placeholders until shown); the end is one read away.
    assert model.rowCount() == n + 1
    page.table.scrollToBottom()
    qtbot.waitUntil(lambda: model.row_loaded(n), timeout=WAIT)
    assert model.row_values(n)["name"] == f"Bulk client {n - 1:05d}"
    names = [model.row_values(r)["name"] for r in range(n + 1) if model.row_loaded(r)]
    assert names == sorted(names) and len(set(names)) == len(names)


# ------------------------------------------------------------------------------- workspace


def test_workspace_businesses_crud_and_audit(qtbot, contexts, firms, admin_session) -> None:
    ctx = contexts["FirmAdmin"]
    workspace = ClientWorkspace(ctx, firms.alpha_client)
    qtbot.addWidget(workspace)
    workspace.resize(1000, 700)
    workspace.show()
    assert workspace.client_id == firms.alpha_client
    qtbot.waitUntil(lambda: workspace.title() == "Alpha Client", timeout=WAIT)
    assert workspace.overview.labels["type"].text() == "Individual"
    tab = workspace.businesses
    wait_loaded(qtbot, tab.model, 0)

    # Create (with a future date first: refused next to the field, values kept).
    dialog = tab.new_record()
    assert dialog is not None
    type_into(qtbot, dialog, "name", "Alpha Hardware")
    type_into(qtbot, dialog, "registration_number", "BN-2020-77")
    future = QDate.currentDate().addDays(10)
    dialog.fields["incorporation_date"].widget.setDate(future)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.field_error("incorporation_date") != "", timeout=WAIT)
    assert "future" in dialog.field_error("incorporation_date")
    assert dialog.values()["registration_number"] == "BN-2020-77"
    dialog.fields["incorporation_date"].widget.setDate(QDate(2020, 3, 15))
    with qtbot.waitSignal(dialog.saved, timeout=WAIT) as saved:
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    business_id = saved.args[0]
    wait_closed(qtbot, tab, "dialog")
    qtbot.waitUntil(lambda: tab.model.rowCount() == 1, timeout=WAIT)
    row = admin_session.get(ClientBusiness, business_id)
    assert (row.name, row.incorporation_date, row.country, row.status) == (
        "Alpha Hardware",
        datetime(2020, 3, 15),
        "Guyana",
        "Active",
    )

    # Edit.
    tab.table.selectRow(0)
    dialog = tab.edit_selected()
    qtbot.waitUntil(lambda: dialog.is_loaded, timeout=WAIT)
    assert dialog.values()["incorporation_date"] == date(2020, 3, 15)
    dialog.fields["status"].widget.setCurrentText("Dormant")
    with qtbot.waitSignal(dialog.saved, timeout=WAIT):
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    wait_closed(qtbot, tab, "dialog")
    qtbot.waitUntil(
        lambda: tab.model.rowCount() == 1 and tab.model.row_values(0)["status"] == "Dormant",
        timeout=WAIT,
    )

    # Delete (confirmed).
    tab.table.selectRow(0)
    asked: list[str] = []
    tab.confirm = lambda _p, _t, text: asked.append(text) or True
    tab.delete_selected()
    qtbot.waitUntil(lambda: tab.model.rowCount() == 0 and not tab.model.loading, timeout=WAIT)
    assert asked == ["Delete business Alpha Hardware?"]
    admin_session.expire_all()
    assert admin_session.get(ClientBusiness, business_id) is None

    # Audit: the client's trail, newest first, with before/after of the selected row.
    audit = workspace.audit
    qtbot.waitUntil(lambda: audit.model.rowCount() == 3 and not audit.model.loading, timeout=WAIT)
    actions = [
        (audit.model.row_values(r)["entity_type"], audit.model.row_values(r)["action"])
        for r in range(3)
    ]
    assert actions == [
        ("client_business", "delete"),
        ("client_business", "update"),
        ("client_business", "create"),
    ]
    times = [audit.model.row_values(r)["created"] for r in range(3)]
    assert times == sorted(times, reverse=True)
    assert audit.model.row_values(1)["actor"] == "FirmAdmin User"
    audit.table.selectRow(1)
    qtbot.waitUntil(lambda: audit.detail.rowCount() == 1, timeout=WAIT)
    assert [audit.detail.item(0, c).text() for c in range(3)] == ["Status", "Active", "Dormant"]
    assert "Update of client business" in audit.detail_title.text()


def test_workspace_edit_refreshes_overview_and_audit(qtbot, contexts, firms) -> None:
    ctx = contexts["FirmAdmin"]
    workspace = ClientWorkspace(ctx, firms.alpha_client)
    qtbot.addWidget(workspace)
    workspace.show()
    titles: list[str] = []
    workspace.titleChanged.connect(titles.append)
    qtbot.waitUntil(lambda: workspace.title() == "Alpha Client", timeout=WAIT)
    dialog = workspace.edit_client()
    qtbot.waitUntil(lambda: dialog.is_loaded, timeout=WAIT)
    type_into(qtbot, dialog, "name", "Alpha Client Ltd")
    choose(dialog, "type", "company")
    with qtbot.waitSignal(dialog.saved, timeout=WAIT):
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: workspace.title() == "Alpha Client Ltd", timeout=WAIT)
    assert titles[-1] == "Alpha Client Ltd"
    qtbot.waitUntil(lambda: workspace.audit.model.rowCount() == 1, timeout=WAIT)
    first = workspace.audit.model.row_values(0)
    assert (first["entity_type"], first["action"]) == ("client", "update")
    assert first["changes"]["name"] == ["Alpha Client", "Alpha Client Ltd"]
    assert records is not None  # the dialog went through the shared record plumbing
    _ = Filing  # deletion counts cover filings too (see clients.deletion_impact)


def client_deleted(changes, client_id: int) -> bool:
    """The change bus delivered the deletion of `client_id`."""
    entity = changes.entities.get("client")
    return entity is not None and client_id in entity.deleted
