"""Admin → Database on real widgets: health figures for a signed-in FirmAdmin, Back up now and
Vacuum now on the embedded server's administrator URL, the daily schedule, and a central
server's staff login that may do neither."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.engine import URL

from gcmc_desktop.services import auth
from gcmc_desktop.services.backup import list_backups
from gcmc_desktop.views.database_page import NOT_ADMIN, DatabasePage
from gcmc_desktop.views.local_server import LocalServer, ScheduledBackups

from .security_fixtures import PASSWORD, build_firms

pytestmark = pytest.mark.gui


@pytest.fixture
def firms(engine: Engine, database_url: URL):
    return build_firms(engine, database_url, ("FirmAdmin", "Viewer"))


def signed_in(firms, role: str):
    return auth.open_context(auth.sign_in(firms.profile, firms.emails[role], PASSWORD))


def wait_idle(qtbot, page: DatabasePage) -> None:
    qtbot.waitUntil(lambda: not page.busy, timeout=60_000)


def test_embedded_server_page_backs_up_and_vacuums(
    qtbot, firms, database_url: URL, tmp_path: Path
) -> None:
    files = tmp_path / "files"
    (files / "tenants" / "1").mkdir(parents=True)
    (files / "tenants" / "1" / "a.pdf").write_bytes(b"%PDF-1.4 demo")
    server = LocalServer(database_url, tmp_path / "backups", files)
    ctx = signed_in(firms, "FirmAdmin")
    try:
        page = DatabasePage(ctx, server=server)
        qtbot.addWidget(page)
        page.resize(1280, 800)
        page.show()
        wait_idle(qtbot, page)
        assert page.report is not None
        assert page.fields["server"].text().startswith("PostgreSQL")
        assert "None yet" in page.fields["backups"].text()
        assert "no backup" in page.fields["warnings"].text()
        names = {page.tables.item(r, 0).text() for r in range(page.tables.rowCount())}
        assert {"clients", "documents", "audit_logs"} <= names
        assert page.vacuum_button.isEnabled() and page.backup_button.isEnabled()

        page.backup_button.click()
        wait_idle(qtbot, page)
        made = list_backups(server.backup_dir)
        assert len(made) == 1 and made[0].ok and made[0].files == 1
        assert "Backed up" in page.notice.text()
        qtbot.waitUntil(lambda: "1 in" in page.fields["backups"].text(), timeout=30_000)

        page.vacuum_button.click()
        wait_idle(qtbot, page)
        qtbot.waitUntil(lambda: "Vacuumed" in page.notice.text() or page.busy is False)
        wait_idle(qtbot, page)
        row = next(
            r for r in range(page.tables.rowCount()) if page.tables.item(r, 0).text() == "clients"
        )
        assert page.tables.item(row, 4).text() != "never"
        page.grab().save(str(Path("/tmp") / "database_page.png"))

        page.daily.setChecked(False)
        scheduler = ScheduledBackups(server, page, first_ms=60_000)
        assert scheduler.run_if_due() is False  # turned off
        page.daily.setChecked(True)
        page.keep.setValue(3)
        with qtbot.waitSignal(scheduler.finished, timeout=60_000) as done:
            assert scheduler.run_if_due() is True
        assert done.args == [None]  # today's backup exists: nothing was due
    finally:
        auth.sign_out(ctx)


def test_central_server_page_shows_what_staff_may_see(qtbot, firms) -> None:
    ctx = signed_in(firms, "Viewer")
    try:
        page = DatabasePage(ctx, server=None)
        qtbot.addWidget(page)
        wait_idle(qtbot, page)
        assert page.report is not None and page.report.database_bytes > 0
        assert not page.vacuum_button.isEnabled() and not page.backup_button.isEnabled()
        assert page.notice.text() == NOT_ADMIN
        assert not page.daily.isVisibleTo(page)
        assert not page.report.sees_all_sessions
    finally:
        auth.sign_out(ctx)
