"""The main window on real widgets: navigation per permission, honest coming-soon pages,
status bar, shortcuts, switching firm, signing out, and the connection going away and back."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from sqlalchemy import text
from sqlalchemy.engine import URL

from gcmc_desktop.db import make_engine, session_factory
from gcmc_desktop.services import auth, users
from gcmc_desktop.views.main_window import SECTIONS, ComingSoonPage, MainWindow

from .security_fixtures import PASSWORD, Firms, build_firms


@pytest.fixture
def firms(engine, database_url) -> Firms:
    return build_firms(engine, database_url, ("FirmAdmin", "Viewer", "FilingClerk"))


def window_for(qtbot, firms: Firms, role: str, **kwargs) -> MainWindow:
    signed_in = auth.sign_in(firms.profile, firms.emails[role], PASSWORD)
    alpha = next(m for m in signed_in.memberships if m.tenant_code == "alpha")
    ctx = auth.open_context(signed_in, alpha)
    window = MainWindow(ctx, **kwargs)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.tabs.count() > 0, timeout=10_000)
    return window


def test_navigation_follows_permissions(qtbot, firms: Firms) -> None:
    admin = window_for(qtbot, firms, "FirmAdmin")
    assert admin.section_keys() == [
        "dashboard", "clients", "documents", "filings", "calendar", "services", "tasks",
        "messages", "compliance", "notifications", "audit", "admin",
    ]  # fmt: skip
    viewer = window_for(qtbot, firms, "Viewer")
    assert "admin" not in viewer.section_keys() and "messages" not in viewer.section_keys()
    clerk = window_for(qtbot, firms, "FilingClerk")
    assert clerk.section_keys() == ["clients", "filings", "calendar", "notifications", "audit"]
    assert not clerk.new_action.isVisible()  # may view clients, not create them
    assert admin.new_action.isVisible()
    # Edit → Service catalog… / Workflow templates…: only for roles that may view services.
    for window, shown in ((admin, True), (viewer, True), (clerk, False)):
        assert window.service_catalog_action.isVisible() is shown
        assert window.workflow_templates_action.isVisible() is shown


def test_status_bar_and_coming_soon_pages(qtbot, firms: Firms) -> None:
    window = window_for(qtbot, firms, "FirmAdmin")
    assert window.who_label.text() == "FirmAdmin User · Alpha Tax · FirmAdmin"
    assert "Connected" in window.connection_label.text()
    from gcmc_desktop.views.admin import AdminPage
    from gcmc_desktop.views.database_page import DatabasePage
    from gcmc_desktop.views.main_window import AuditSection

    page = window.open_section("admin")
    assert isinstance(page, AdminPage)
    assert isinstance(page.widget(page.count() - 1), DatabasePage)
    assert page.tabText(page.count() - 1) == "Database"
    assert window.tabs.tabText(window.tabs.currentIndex()) == "Admin"
    audit = window.open_section("audit")
    assert isinstance(audit, AuditSection)  # a FirmAdmin may restore: Deleted items beside
    assert [audit.tabText(i) for i in range(audit.count())] == ["&Trail", "&Deleted items"]
    # Nothing says "coming soon" any more.
    assert not any(isinstance(window.open_section(s.key), ComingSoonPage) for s in SECTIONS)
    from gcmc_desktop.views.notifications import NotificationsPage

    assert isinstance(window.open_section("notifications"), NotificationsPage)
    from gcmc_desktop.views.compliance import CompliancePage
    from gcmc_desktop.views.dashboard import DashboardPage

    assert isinstance(window.open_section("compliance"), CompliancePage)
    # The dashboard is the first screen; its figures open their lists narrowed.
    assert isinstance(window._section_tabs["dashboard"], DashboardPage)
    assert window.tabs.indexOf(window._section_tabs["dashboard"]) == 0
    filings_page = window.open_filtered("filings", {"overdue": True}, "Overdue")
    assert filings_page is window.tabs.currentWidget()
    assert filings_page.filter_box("due").currentText() == "Overdue (due date past)"
    assert window.open_filtered("admin-only-nonsense", {}) is None
    from gcmc_desktop.views.kit.list_page import ListPage

    assert isinstance(window.open_section("filings"), ListPage)
    assert isinstance(window.open_section("services"), ListPage)
    from gcmc_desktop.views.documents import DocumentsPage

    assert isinstance(window.open_section("documents"), DocumentsPage)
    from gcmc_desktop.views.tasks import TasksPage

    assert isinstance(window.open_section("tasks"), TasksPage)
    workspace = window.open_client(firms.alpha_client)
    tabs = [workspace.tabText(i) for i in range(workspace.count())]
    assert tabs == [
        "Overview", "Businesses", "Documents", "Filings", "Recurring", "Requests", "Tasks",
        "Messages", "Compliance", "Audit",
    ]  # fmt: skip
    # The standard shortcuts are bound: Ctrl+W closes the current tab, and so on.
    bound = {
        key.toString(): action
        for action in window.findChildren(QAction)
        for key in action.shortcuts()
    }
    for key in ("Ctrl+N", "Ctrl+F", "F5", "Ctrl+W", "Ctrl+Q"):
        assert key in bound, key
    count = window.tabs.count()
    bound["Ctrl+W"].trigger()
    assert window.tabs.count() == count - 1


def test_switch_firm_without_restarting(qtbot, firms: Firms, engine) -> None:
    with engine.begin() as conn:
        users.create_user(conn, firms.beta, firms.emails["Viewer"], "x", "FirmAdmin", PASSWORD)
    window = window_for(qtbot, firms, "Viewer")
    memberships = auth.memberships(window.ctx)
    beta = next(m for m in memberships if m.tenant_code == "beta")
    window.set_context(auth.switch_tenant(window.ctx, beta))
    assert window.ctx.tenant_code == "beta" and "admin" in window.section_keys()
    assert "Beta Books" in window.windowTitle()


def test_sign_out_ends_the_session(qtbot, firms: Firms, engine) -> None:
    signed_out = []
    window = window_for(qtbot, firms, "Viewer", on_sign_out=lambda: signed_out.append(True))
    token = window.ctx.session_token
    window.sign_out()
    assert signed_out == [True]
    with session_factory(engine)() as session:
        from sqlalchemy import select

        from gcmc_desktop.models import Session as LoginSession

        assert session.scalar(select(LoginSession).where(LoginSession.token == token)) is None


def test_connection_lost_and_recovered(qtbot, firms: Firms) -> None:
    window = window_for(qtbot, firms, "Viewer")
    monitor = window.monitor
    good_maker = window.ctx.session_maker
    dead = URL.create("postgresql+psycopg", host="127.0.0.1", port=1, database="x")
    dead_engine = make_engine(dead)
    window.ctx.session_maker = session_factory(dead_engine)  # the server "goes away"
    monitor.check_now()
    qtbot.waitUntil(lambda: not monitor.online, timeout=15_000)
    assert "Offline" in window.connection_label.text()
    window.ctx.session_maker = good_maker  # and comes back
    monitor.check_now()
    qtbot.waitUntil(lambda: monitor.online, timeout=15_000)
    assert "Connected" in window.connection_label.text()
    dead_engine.dispose()


# ------------------------------------------------------------- issue 9: layout (#17)

LONG_NAME = "Demerara Bauxite and Timber Holdings Incorporated (Linden Branch)"


def test_start_page_and_stable_navigation_across_sessions(qtbot, firms: Firms) -> None:
    sizes = []
    for session in range(4):
        window = window_for(qtbot, firms, "FirmAdmin")
        restored = window.size()
        window.resize(1280, 800)  # the offscreen screen is smaller than a real one
        qtbot.wait(50)
        nav = window.nav.width()
        if session == 0:
            # The user drags the navigation wider.
            window.splitter.moveSplitter(190, 1)
            qtbot.wait(20)
            nav = window.nav.width()
            # Every tab closed: a start page, not a blank area, and the navigation keeps its
            # width instead of swallowing the empty space.
            for index in reversed(range(window.tabs.count())):
                window.close_tab(index)
            assert window.tabs.count() == 0
            assert window.pages.currentWidget() is window.start_page
            assert window.start_page.isVisible()
            assert window.nav.width() == nav == 190
            window.start_page.buttons["clients"].click()
            assert window.tabs.count() == 1 and window.pages.currentWidget() is window.tabs
        sizes.append((nav, window.nav.width(), restored))
        window.close()
    assert {nav for nav, _w, _s in sizes} == {190}
    assert {shown for _n, shown, _s in sizes} == {190}
    # Restored geometry stays put from one session to the next (it must not creep).
    assert len({size.toTuple() for _n, _w, size in sizes[1:]}) == 1


def test_tabs_scroll_and_long_names_are_elided(qtbot, firms: Firms, engine) -> None:
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE clients SET name = :name WHERE id = :id"),
            {"name": LONG_NAME, "id": firms.alpha_client},
        )
    window = window_for(qtbot, firms, "FirmAdmin")
    window.resize(1280, 800)
    workspace = window.open_client(firms.alpha_client)
    qtbot.waitUntil(lambda: workspace.title() == LONG_NAME, timeout=10_000)
    for key in window.section_keys():
        window.open_section(key)
    index = window.tabs.indexOf(workspace)
    assert window.tabs.tabToolTip(index) == LONG_NAME
    shown = window.tabs.tabText(index)
    assert shown != LONG_NAME and shown.endswith("…") and LONG_NAME.startswith(shown[:-1])
    bar = window.tabs.tabBar()
    assert bar.tabRect(index).width() <= 220 + 80  # text width plus margins and close button
    assert window.tabs.usesScrollButtons()
    assert window.tabs.elideMode() == Qt.TextElideMode.ElideNone
    # Section tabs keep their full titles: the bar scrolls instead of shrinking them.
    first = window.tabs.indexOf(window._section_tabs["clients"])
    assert window.tabs.tabText(first) == "Clients"
    window.grab().save("/tmp/main-tabs.png")


def test_columns_fit_their_content_at_1280x800(qtbot, firms: Firms, engine) -> None:
    from gcmc_desktop.services import document_types, documents
    from gcmc_desktop.services.documents import VersionInput

    with engine.begin() as conn:
        conn.execute(
            text("UPDATE clients SET sector = 'Professional Services' WHERE id = :id"),
            {"id": firms.alpha_client},
        )
    admin = auth.open_context(auth.sign_in(firms.profile, firms.emails["FirmAdmin"], PASSWORD))
    doc_type = document_types.create_document_type(
        admin, {"name": "Certificate of incorporation", "category": "legal", "authority": "DCRA"}
    )["id"]
    documents.create_document(
        admin,
        client_id=firms.alpha_client,
        document_type_id=doc_type,
        title="Certificate",
        first_version=VersionInput(
            file_url="k", storage_provider="local", expiry_date=date.today() - timedelta(days=3)
        ),
    )
    admin.session.commit()
    admin.session.close()
    with engine.begin() as conn:
        conn.execute(text("UPDATE documents SET status = 'pending_review'"))
    window = window_for(qtbot, firms, "FirmAdmin")
    window.resize(1280, 800)
    clients = window.open_section("clients")
    qtbot.waitUntil(lambda: clients.model.rowCount() == 1, timeout=10_000)
    page = window.open_section("documents")
    qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=10_000)
    qtbot.wait(50)

    def cut(table, keys) -> list[str]:
        header = table.horizontalHeader()
        out = []
        for key in keys:
            column = table.model().query.column_index(key)
            needed = max(table.sizeHintForColumn(column), header.sectionSizeHint(column))
            if header.sectionSize(column) < needed:
                out.append(f"{key}: {header.sectionSize(column)} < {needed}")
        return out

    assert cut(page.table, ("type", "authority", "status", "expiry")) == []
    assert "(expired)" in page.model.index(0, page.model.query.column_index("expiry")).data()
    window.grab().save("/tmp/main-documents.png")
    window.open_section("clients")
    assert cut(clients.table, ("type", "sector")) == []
    window.grab().save("/tmp/main-clients.png")


# ------------------------------------------------- issue 9: storage applies at once (#4)


def test_saved_storage_applies_without_signing_out(qtbot, firms: Firms, tmp_path) -> None:
    from gcmc_desktop import settings as app_settings
    from gcmc_desktop.services.storage import StorageSettings
    from gcmc_desktop.views.documents import ClientDocumentsTab, DocumentsPage

    missing = tmp_path / "not-mounted"
    app_settings.save_storage(StorageSettings(kind="local", folder=missing), None)
    window = window_for(qtbot, firms, "FirmAdmin")
    page = window.open_section("documents")
    workspace = window.open_client(firms.alpha_client)
    assert isinstance(page, DocumentsPage) and window.storage.root == missing

    good = tmp_path / "share"
    good.mkdir()
    dialog = window.preferences_dialog()
    qtbot.addWidget(dialog)
    dialog.storage_page.folder_edit.setText(str(good))
    dialog.save_button.click()
    qtbot.waitUntil(lambda: not dialog.saving, timeout=10_000)
    assert window.storage.root == good
    assert window.uploads.storage is window.storage
    assert page.storage is window.storage and page.detail.storage is window.storage
    (tab,) = workspace.findChildren(ClientDocumentsTab)
    assert tab.storage is window.storage and tab.detail.storage is window.storage
