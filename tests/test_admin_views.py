"""The Admin page on real widgets and a real database, signed in as a FirmAdmin with their own
PostgreSQL role: the permission matrix editor (toggle by keyboard, Save, Revert, the unsaved
changes question when leaving a role or the tab, one's own role locked) and the Users tab (a
user created through the form, a bad e-mail shown under its field, Disable / Enable)."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt, QThreadPool
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from sqlalchemy import Engine

from gcmc_desktop.services import admin_roles, admin_users, auth, rbac
from gcmc_desktop.services.context import Context
from gcmc_desktop.views.admin import AdminPage
from gcmc_desktop.views.table_model import query_pool

from .security_fixtures import PASSWORD, Firms, build_firms

pytestmark = pytest.mark.gui

WAIT = 10_000


def drain() -> None:
    QThreadPool.globalInstance().waitForDone()
    query_pool().waitForDone()


@pytest.fixture
def firms(engine: Engine, database_url) -> Iterator[Firms]:
    yield build_firms(engine, database_url, ("FirmAdmin", "Viewer"))
    drain()


@pytest.fixture
def admin(firms: Firms) -> Iterator[Context]:
    ctx = auth.open_context(auth.sign_in(firms.profile, firms.emails["FirmAdmin"], PASSWORD))
    yield ctx
    drain()
    auth.sign_out(ctx)


def page_for(qtbot, ctx: Context) -> AdminPage:
    page = AdminPage(ctx)
    qtbot.addWidget(page)
    page.resize(1280, 800)
    page.show()
    return page


def select_role(qtbot, tab, name: str) -> None:
    role_id = admin_roles.role_id_by_name(tab.ctx, name)
    qtbot.waitUntil(lambda: tab.roles.count() > 0, timeout=WAIT)
    row = next(i for i in range(tab.roles.count()) if tab._id_at(i) == role_id)
    tab.roles.setCurrentRow(row)
    qtbot.waitUntil(
        lambda: tab.matrix_role is not None and tab.matrix_role.id == role_id, timeout=WAIT
    )


def toggle(qtbot, tab, module: str, action: str) -> None:
    """Tick or untick a cell by keyboard: move to it, press Space."""
    item = tab.cell(module, action)
    tab.table.setFocus()
    tab.table.setCurrentItem(item)
    QTest.keyClick(tab.table.viewport(), Qt.Key.Key_Space)
    if tab.table.currentItem() is item and not tab.is_dirty():  # some styles need the item
        QTest.keyClick(tab.table, Qt.Key.Key_Space)


def test_permission_matrix_toggles_saves_and_guards(qtbot, admin, firms) -> None:
    page = page_for(qtbot, admin)
    assert [page.tabText(i) for i in range(page.count())] == [
        "Users",
        "Roles && permissions",
        "Firm",
        "Plan",
    ]
    tab = page.roles
    page.setCurrentWidget(tab)
    select_role(qtbot, tab, "Viewer")
    viewer_role = tab.matrix_role.id
    assert tab.cell("clients", "view").checkState() == Qt.CheckState.Checked
    assert tab.cell("clients", "edit").checkState() == Qt.CheckState.Unchecked
    assert not tab.save_button.isEnabled() and not tab.is_dirty()

    toggle(qtbot, tab, "clients", "edit")
    assert tab.cell("clients", "edit").checkState() == Qt.CheckState.Checked
    assert tab.is_dirty() and tab.save_button.isEnabled() and tab.revert_button.isEnabled()
    assert tab.status.text() == "Unsaved changes"

    # Leaving the role with unsaved changes asks; "No" keeps the role and the tick.
    asked: list[str] = []
    tab.question = lambda _p, _t, text: asked.append(text) or False
    other = next(i for i in range(tab.roles.count()) if tab._id_at(i) != viewer_role)
    tab.roles.setCurrentRow(other)
    assert asked and "Viewer" in asked[0]
    assert tab.current_role_id() == viewer_role and tab.is_dirty()
    # So does leaving the tab.
    page.setCurrentWidget(page.users)
    assert page.currentWidget() is tab and len(asked) == 2

    with qtbot.waitSignals([tab.saved, tab.roles_loaded], timeout=WAIT):
        QTest.mouseClick(tab.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: tab.status.text() == "Saved.", timeout=WAIT)
    assert not tab.is_dirty()
    stored = rbac.role_grants(admin, viewer_role)
    assert ("clients", "edit") in stored and ("clients", "view") in stored

    # Ctrl+S saves from the matrix too.
    toggle(qtbot, tab, "clients", "delete")
    with qtbot.waitSignals([tab.saved, tab.roles_loaded], timeout=WAIT):
        QTest.keyClick(tab.table, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert ("clients", "delete") in rbac.role_grants(admin, viewer_role)

    # Revert throws unsaved ticks away; "Yes" to the question discards them too.
    toggle(qtbot, tab, "documents", "delete")
    assert tab.is_dirty()
    tab.revert()
    assert not tab.is_dirty()
    assert tab.cell("documents", "delete").checkState() == Qt.CheckState.Unchecked
    toggle(qtbot, tab, "documents", "delete")
    tab.question = lambda *_a: True
    select_role(qtbot, tab, "Admin")
    assert ("documents", "delete") not in rbac.role_grants(admin, viewer_role)

    # One's own role is shown locked: nothing to tick, nothing to save, and why.
    select_role(qtbot, tab, "FirmAdmin")
    assert "your own role" in tab.note.text()
    item = tab.cell("users", "edit")
    assert item.checkState() == Qt.CheckState.Checked
    assert not item.flags() & Qt.ItemFlag.ItemIsEnabled
    assert not tab.save_button.isEnabled() and not tab.rename_button.isEnabled()

    # A new role from a template through the kit's record dialog.
    dialog = tab.new_role()
    assert dialog is not None
    name = dialog.fields["name"].widget
    qtbot.waitUntil(lambda: QApplication.focusWidget() is name, timeout=WAIT)
    QTest.keyClicks(name, "Intern")
    template = dialog.fields["template"].widget
    template.setCurrentIndex(template.findData("FilingClerk"))
    with qtbot.waitSignal(dialog.saved, timeout=WAIT):
        QTest.keyClick(name, Qt.Key.Key_Return)
    qtbot.waitUntil(
        lambda: tab.matrix_role is not None and tab.matrix_role.name == "Intern", timeout=WAIT
    )
    assert tab.grants() == admin_roles.template_grants("FilingClerk")
    tab.grab().save("/tmp/admin_roles_test.png")


def test_users_tab_creates_and_disables_a_user(qtbot, admin, firms) -> None:
    page = page_for(qtbot, admin)
    users = page.users
    assert users is not None
    qtbot.waitUntil(lambda: users.model.total == 2 and not users.model.loading, timeout=WAIT)
    assert users.extra_buttons["Disable"].isVisible()

    dialog = users.new_record()
    assert dialog is not None
    qtbot.waitUntil(lambda: not dialog._loading_choices, timeout=WAIT)
    email = dialog.fields["email"].widget
    qtbot.waitUntil(lambda: QApplication.focusWidget() is email, timeout=WAIT)
    QTest.keyClicks(email, "not-an-email")
    QTest.keyClick(email, Qt.Key.Key_Tab)
    QTest.keyClicks(dialog.fields["name"].widget, "Nia Clerk")
    role = dialog.fields["role_id"].widget
    role.setCurrentIndex(role.findText("FilingClerk"))
    password = dialog.fields["password"].widget
    assert password.echoMode() == password.EchoMode.Password
    QTest.keyClicks(password, "Clerk-Horse-2026")
    QTest.keyClick(password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: bool(dialog.field_error("email")), timeout=WAIT)
    assert "valid e-mail" in dialog.field_error("email")
    assert dialog.isVisible() and password.text() == "Clerk-Horse-2026"  # nothing lost

    email.clear()
    QTest.keyClicks(email, "nia@alpha.gy")
    with qtbot.waitSignal(dialog.saved, timeout=WAIT) as saved:
        QTest.keyClick(email, Qt.Key.Key_Return)
    member_id = saved.args[0]
    qtbot.waitUntil(lambda: users.model.row_of(member_id) is not None, timeout=WAIT)
    row = users.model.row_of(member_id)
    values = users.model.row_values(row)
    assert values["role"] == "FilingClerk" and values["access"] == admin_users.ACTIVE

    users.table.selectRow(row)
    users.question = lambda *_a: True
    QTest.mouseClick(users.extra_buttons["Disable"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: (
            users.model.row_of(member_id) is not None
            and users.model.row_values(users.model.row_of(member_id))["access"]
            == admin_users.DISABLED
        ),
        timeout=WAIT,
    )
    assert admin_users.get_member(admin, member_id)["access"] == admin_users.DISABLED
    users.table.selectRow(users.model.row_of(member_id))
    QTest.mouseClick(users.extra_buttons["Enable"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: (
            users.model.row_of(member_id) is not None
            and not users.model.loading
            and users.model.row_values(users.model.row_of(member_id))["access"]
            == admin_users.ACTIVE
        ),
        timeout=WAIT,
    )
    drain()
    qtbot.wait(100)

    # Disabling oneself is refused with words, not a traceback.
    me = next(
        r
        for r in range(users.model.rowCount())
        if users.model.row_values(r)["email"] == firms.emails["FirmAdmin"]
    )
    users.table.selectRow(me)
    qtbot.waitUntil(users.extra_buttons["Disable"].isEnabled, timeout=WAIT)
    QTest.mouseClick(users.extra_buttons["Disable"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "yourself" in users.message_text(), timeout=WAIT)
    page.grab().save("/tmp/admin_users_test.png")


def test_viewer_has_no_admin_tabs(qtbot, firms) -> None:
    viewer = auth.open_context(auth.sign_in(firms.profile, firms.emails["Viewer"], PASSWORD))
    page = page_for(qtbot, viewer)
    assert page.count() == 0
    drain()
    auth.sign_out(viewer)


def test_firm_settings_form_saves(qtbot, admin, firms) -> None:
    page = page_for(qtbot, admin)
    firm = page.firm
    assert firm is not None and firm.firms is None  # a FirmAdmin sees no list of firms
    page.setCurrentWidget(firm)
    qtbot.waitUntil(lambda: firm.values["name"].text() == "Alpha Tax", timeout=WAIT)
    assert firm.values["timezone"].text() == "America/Guyana"
    dialog = firm.edit()
    qtbot.waitUntil(lambda: dialog.is_loaded and not dialog._loading_choices, timeout=WAIT)
    zone = dialog.fields["timezone"].widget
    assert zone.currentData() == "America/Guyana"
    phone = dialog.fields["phone"].widget
    QTest.keyClicks(phone, "+592 600 1234")
    with qtbot.waitSignal(dialog.saved, timeout=WAIT):
        QTest.keyClick(phone, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: firm.values["phone"].text() == "+592 600 1234", timeout=WAIT)
