"""The main window on real widgets: navigation per permission, honest coming-soon pages,
status bar, shortcuts, switching firm, signing out, and the connection going away and back."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLabel
from sqlalchemy.engine import URL

from gcmc_desktop.db import make_engine, session_factory
from gcmc_desktop.services import auth, users
from gcmc_desktop.views.main_window import ComingSoonPage, MainWindow

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
        "dashboard", "clients", "documents", "filings", "services", "tasks", "messages",
        "compliance", "notifications", "audit", "admin",
    ]  # fmt: skip
    viewer = window_for(qtbot, firms, "Viewer")
    assert "admin" not in viewer.section_keys() and "messages" not in viewer.section_keys()
    clerk = window_for(qtbot, firms, "FilingClerk")
    assert clerk.section_keys() == ["clients", "filings", "notifications", "audit"]
    assert not clerk.new_action.isVisible()  # may view clients, not create them
    assert admin.new_action.isVisible()


def test_status_bar_and_coming_soon_pages(qtbot, firms: Firms) -> None:
    window = window_for(qtbot, firms, "FirmAdmin")
    assert window.who_label.text() == "FirmAdmin User · Alpha Tax · FirmAdmin"
    assert "Connected" in window.connection_label.text()
    page = window.open_section("filings")
    assert isinstance(page, ComingSoonPage)
    texts = " ".join(label.text() for label in page.findChildren(QLabel))
    assert "coming soon" in texts
    assert window.tabs.tabText(window.tabs.currentIndex()) == "Filings"
    from gcmc_desktop.views.documents_page import DocumentsPage

    assert isinstance(window.open_section("documents"), DocumentsPage)
    workspace = window.open_client(firms.alpha_client)
    tabs = [workspace.tabText(i) for i in range(workspace.count())]
    assert tabs == ["Overview", "Businesses", "Documents", "Audit"]
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
