"""Export… on real list pages (pytest-qt, real database, a staff user with their own login):
Ctrl+E exports what the page shows — its filter, its columns in the order and with the titles
on screen, labels not codes — and Cancel stops it without leaving a file."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import csv
import time
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from PySide6.QtCore import Qt, QThreadPool
from PySide6.QtTest import QTest
from sqlalchemy import Engine

from gcmc_desktop import settings as app_settings
from gcmc_desktop.db import session_factory
from gcmc_desktop.models import Client
from gcmc_desktop.services import auth, tasks
from gcmc_desktop.services.context import Context
from gcmc_desktop.services.export import partial_path
from gcmc_desktop.views.clients import CLIENTS
from gcmc_desktop.views.kit import export as kit_export
from gcmc_desktop.views.kit.list_page import ListPage
from gcmc_desktop.views.table_model import query_pool
from gcmc_desktop.views.tasks import TEAM_TASKS

from .security_fixtures import PASSWORD, Firms, build_firms

pytestmark = pytest.mark.gui

WAIT = 15_000


def drain() -> None:
    QThreadPool.globalInstance().waitForDone()
    query_pool().waitForDone()


@pytest.fixture
def firms(engine: Engine, database_url) -> Iterator[Firms]:
    firms = build_firms(engine, database_url, ("FirmAdmin",))
    with session_factory(engine)() as session:
        for i in range(30):
            session.add(
                Client(
                    tenant_id=firms.alpha,
                    name=f"Client {i:02d}",
                    type="company" if i % 3 == 0 else "individual",
                    email=f"c{i:02d}@alpha.gy",
                    phone=f"+592 600 {i:04d}",
                    risk_level="medium",
                )
            )
        session.commit()
    yield firms
    drain()


@pytest.fixture
def admin(firms: Firms) -> Iterator[Context]:
    ctx = auth.open_context(auth.sign_in(firms.profile, firms.emails["FirmAdmin"], PASSWORD))
    yield ctx
    drain()
    auth.sign_out(ctx)


def make_page(qtbot, ctx: Context, spec=CLIENTS) -> ListPage:
    page = ListPage(ctx, spec)
    qtbot.addWidget(page)
    page.resize(1280, 800)
    page.show()
    qtbot.waitUntil(lambda: not page.model.loading and page.model.total is not None, timeout=WAIT)
    return page


def test_ctrl_e_exports_the_filtered_list_with_the_columns_as_shown(qtbot, admin, tmp_path):
    page = make_page(qtbot, admin)
    asked: list[str] = []
    target = tmp_path / "companies.xlsx"

    def choose(_page, suggested: str) -> str:
        asked.append(suggested)
        return str(target)

    page.export_path = choose
    box = page.filter_box("type")
    box.setCurrentIndex(box.findData("company"))
    qtbot.waitUntil(lambda: page.model.total == 10, timeout=WAIT)
    header = page.table.horizontalHeader()
    columns = page.model.query
    header.moveSection(header.visualIndex(columns.column_index("email")), 0)  # e-mail first
    page.table.setColumnHidden(columns.column_index("phone"), True)

    page.table.setFocus()
    with qtbot.waitSignal(page.exported, timeout=WAIT) as done:
        QTest.keyClick(page.table, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    assert done.args == [str(target)]
    assert asked and asked[0].endswith(".xlsx") and "Clients" in Path(asked[0]).name
    sheet = openpyxl.load_workbook(target).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == (
        "E-mail",
        "Name",
        "Type",
        "TIN",
        "NIS number",
        "Sector",
        "Risk level",
        "Client since",
    )
    assert [r[1] for r in rows[1:]] == [f"Client {i:02d}" for i in range(0, 30, 3)]
    assert {r[2] for r in rows[1:]} == {"Company"}  # as shown, not the stored code
    assert {r[6] for r in rows[1:]} == {"Medium"}
    assert page.status.text() == f"Exported 10 clients to {target}."
    assert page.export_button.isEnabled() and not page.export_bar.isVisible()
    assert not partial_path(target).exists()


def test_tasks_export_labels_not_codes_to_csv(qtbot, admin, tmp_path):
    tasks.create_task(admin, {"title": "=Call GRA", "priority": "high", "status": "in_progress"})
    admin.session.commit()
    page = make_page(qtbot, admin, TEAM_TASKS)
    qtbot.waitUntil(lambda: page.model.total == 1, timeout=WAIT)
    target = tmp_path / "tasks.csv"
    page.export_path = lambda _page, _suggested: str(target)
    with qtbot.waitSignal(page.exported, timeout=WAIT):
        page.export_button.click()
    with target.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 1
    row = rows[0]
    assert row["Task"] == "'=Call GRA"  # formula neutralised
    assert row["Priority"] == "High" and row["Status"] == "In progress"


def test_no_file_chosen_does_nothing(qtbot, admin, tmp_path):
    page = make_page(qtbot, admin)
    page.export_path = lambda _page, _suggested: None
    assert page.export() is None
    assert page.export_job is None and page.export_button.isEnabled()
    assert [*tmp_path.rglob("*.csv"), *tmp_path.rglob("*.xlsx")] == []
    assert app_settings.settings().value(kit_export.FOLDER_KEY) is None  # nothing remembered


def test_cancel_stops_the_export_and_leaves_no_file(qtbot, admin, tmp_path, monkeypatch):
    real = kit_export.export_list

    def slow(*args, **kwargs):
        progress = kwargs["progress"]

        def slowly(done: int, total: int) -> None:
            progress(done, total)
            time.sleep(0.05)

        return real(*args, **{**kwargs, "batch": 1, "progress": slowly})

    monkeypatch.setattr(kit_export, "export_list", slow)
    page = make_page(qtbot, admin)
    target = tmp_path / "clients.csv"
    page.export_path = lambda _page, _suggested: str(target)
    job = page.export()
    assert job is not None
    assert page.export() is None  # one export at a time
    qtbot.waitUntil(lambda: page.export_bar.bar.value() >= 3, timeout=WAIT)
    assert page.export_bar.isVisible() and not page.export_button.isEnabled()
    page.grab().save(str(Path(os.environ.get("GCMC_SHOTS", tmp_path)) / "export-running.png"))
    with qtbot.waitSignal(job.signals.cancelled, timeout=WAIT):
        qtbot.mouseClick(page.export_bar.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.export_job is None, timeout=WAIT)
    assert page.status.text() == "Export cancelled: clients.csv was not written."
    assert not target.exists() and not partial_path(target).exists()
    assert page.export_button.isEnabled() and not page.export_bar.isVisible()
    assert page.message_text() == ""


def test_quitting_during_an_export_removes_its_partial_file(qtbot, admin, tmp_path, monkeypatch):
    real = kit_export.export_list

    def slow(*args, **kwargs):
        progress = kwargs["progress"]

        def slowly(done: int, total: int) -> None:
            progress(done, total)
            time.sleep(0.05)

        return real(*args, **{**kwargs, "batch": 1, "progress": slowly})

    monkeypatch.setattr(kit_export, "export_list", slow)
    page = make_page(qtbot, admin)
    target = tmp_path / "clients.xlsx"
    job = page.export(str(target))
    assert job is not None
    qtbot.waitUntil(lambda: page.export_bar.bar.value() >= 2, timeout=WAIT)
    with qtbot.waitSignal(job.signals.cancelled, timeout=WAIT):
        kit_export.end_exports()  # what the application's aboutToQuit runs
    assert not target.exists() and not partial_path(target).exists()
