"""Benchmark the paged table model on a large tenant, against Qt's QSqlQueryModel (QPSQL driver)
and against the naive "load every row through the ORM into a list" model.

    QT_QPA_PLATFORM=offscreen uv run python bench/table_model.py [--rows 1000000]

Every model runs as a signed-in staff user, as the application does: the bench tenant gets a
Viewer whose session signs in through the real sign-in service (`auth.sign_in`, own PostgreSQL
login, row-level security on) and enters the firm with `auth.open_context`; ours lists through
the real `client_list_query(ctx)` on `ctx.reading` sessions. QSqlQueryModel connects as that same
login, chooses the same firm (`gcmc.tenant_id`) and sends plain SQL for the same rows.

Starts its own embedded PostgreSQL (in a temporary directory, or in --pgdata, where the data is
kept and reused by later runs with the same --rows), loads one tenant with N clients by COPY (plus
a smaller second tenant, so the tenant criterion has something to exclude), builds the desktop's
indexes on the loaded data (migration 0002), VACUUM ANALYZE. Then each model runs in a process
of its own, so memory figures are not mixed up, through the same steps on a shown QTableView:

  first page   model set on the view until its first rows are painted (default order: id)
  re-sort      sort by name (ascending) until the new first rows are painted
  re-sort each  every sortable column in turn (the slowest is reported)
  search       name, e-mail, TIN and NIS fragments and a term without matches, until the
               matching rows are painted (ours: the 250 ms typing debounce is flushed)
  last row     from the list sorted by name, until the last row (in name order) is painted:
               ours by reversing the sort (first page of name DESC); QSqlQueryModel fetches
               every row and scrolls to the end; the naive model scrolls to the end
  jump         from the top of the list sorted by name: Ctrl+End, and a drag of the scroll bar
               to 37 % and 81 %, until every row shown is painted with its values (ours: with
               the survey's anchors in, and right after a new sort before they are;
               QSqlQueryModel: Ctrl+End fetches every row, a drag to 37 % fetches 37 % of them)
  memory       resident set growth of the process over all the steps, at the end and at peak

Timings include the Python/Qt work (query building, formatting, layout, painting), not only the
database. Before timing, the process is in its "after login" state: ORM mappers configured and a
database connection open.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

DATABASE = "gcmc_bench"
TENANT_CODE = "bench"
OTHER_ROWS = 50_000
NAME_SEARCH = "persaud"
TIN_SEARCH = "771234"
# (result key, label, term)
SEARCHES = (
    ("search_name", "name", NAME_SEARCH),
    ("search_email", "e-mail", "devon.singh"),
    ("search_tin", "TIN", TIN_SEARCH),
    ("search_nis", "NIS", "5710020"),
    ("search_none", "no match", "qqzzxx"),
)
STAFF_EMAIL = "viewer@bench.gy"
STAFF_PASSWORD = "Correct-Horse-42"
GATEWAY_PASSWORD = "bench-gateway-password"
# Sortable columns of the clients list and their SQL, in list order (QSqlQueryModel's ORDER BY).
SORT_SQL = {
    "name": "name",
    "type": "type",
    "email": "email",
    "tin": "tin",
    "nis": '"nisNumber"',
    "sector": "sector",
    "risk": '"riskLevel"',
    "created": '"createdAt"',
}


def words(text: str) -> list[str]:
    return text.split()


TARGETS = {
    "jump": 200.0,
    "first": 50.0,
    "sort": 100.0,
    "search": 100.0,
    "memory": 50.0,
    "vs_qsql": 20.0,
}

FIRST_NAMES = words(
    "Aaliyah Abdul Adrian Alicia Amar Amina Andre Anil Anita Ashley Bibi Brandon Camille "
    "Carlos Chandra Chris Curtis Dale Damian Deborah Deepak Devon Dianne Dwayne Elizabeth "
    "Faizal Farah Gavin Gita Grace Hemraj Indira Jacqueline Jamal Janelle Jason Jennifer Joel "
    "Jonathan Kamal Karen Kavita Keisha Kevin Krishna Latoya Leon Lisa Malcolm Marcia Mark "
    "Michelle Mohan Nadia Natasha Neil Nicole Omar Patrick Petal Priya Rajesh Ramesh Ravi "
    "Renee Ricardo Rohan Ryan Samantha Sanjay Sharon Shawn Shivani Simone Stephen Sunil "
    "Suresh Tamara Terrence Troy Vanessa Vikram Vishnu Wayne Yolanda Zahir"
)
SURNAME_PARTS = words(
    "Ali Baptiste Bacchus Bisram Chand Charles Das Dookie Edwards Fraser Gobin Harry Henry "
    "Hinds Jagdeo James Jordan Khan Lall Layne Mohamed Narine Ng Ogle Persaud Ramdass "
    "Ramsaroop Rodrigues Sahadeo Seepersaud Singh Sookdeo Thomas Wong Williams Yearwood"
)
COMPANY_WORDS = words(
    "Atlantic Berbice Caribbean Coastal Courantyne Demerara Essequibo Golden Green Guiana "
    "Harbour Kaieteur Lighthouse Mahaica Majestic National Pomeroon Rainforest Regal Rupununi "
    "Savannah Southern Sunrise Tropical United"
)
COMPANY_KINDS = words(
    "Agencies Auto Bakery Builders Construction Distributors Engineering Enterprises Farms "
    "Foods Hardware Holdings Imports Investments Logistics Mining Motors Pharmacy Shipping "
    "Supplies Timber Trading Transport"
)
SECTORS = words(
    "Agriculture Construction Education Finance Fisheries Forestry Health Hospitality "
    "Manufacturing Mining Retail Transport"
)


# -- data ---------------------------------------------------------------------------------------


def client_rows(tenant_id: int, count: int, seed: int):
    """Plausible clients: individuals and companies, unique email/TIN/NIS, some NULLs."""
    rng = random.Random(seed)
    start = datetime(2016, 1, 1)
    span = int(timedelta(days=365 * 10).total_seconds())
    surnames = [f"{a}" if a == b else f"{a}-{b}" for a in SURNAME_PARTS for b in SURNAME_PARTS[:6]]
    for i in range(count):
        if rng.random() < 0.55:
            first, last = rng.choice(FIRST_NAMES), rng.choice(surnames)
            kind, name = "individual", f"{first} {last}"
            local = f"{first}.{last}".lower()
        else:
            name = f"{rng.choice(COMPANY_WORDS)} {rng.choice(COMPANY_KINDS)} {rng.randrange(1000)}"
            kind, local = "company", name.split()[0].lower()
        created = start + timedelta(seconds=rng.randrange(span), milliseconds=rng.randrange(1000))
        yield (
            tenant_id,
            name,
            kind,
            None if rng.random() < 0.08 else f"{local}{i}@mail{i % 40}.gy",
            f"+592 {rng.randrange(200, 700)} {rng.randrange(10000):04d}",
            None if rng.random() < 0.05 else f"{100_000_000 + (i * 7_919_113) % 900_000_000}",
            None if rng.random() < 0.10 else f"{(i * 3_571_001) % 100_000_000:08d}",
            None if rng.random() < 0.10 else rng.choice(SECTORS),
            rng.choice(("low", "medium", "high", None)),
            created,
            created,
        )


COPY_SQL = (
    'COPY clients ("tenantId", name, type, email, phone, tin, "nisNumber", sector, "riskLevel", '
    '"createdAt", "updatedAt") FROM STDIN'
)


def prepare_database(admin_url, rows: int) -> tuple[Any, int]:
    """The bench database with `rows` clients in the bench tenant; reused if already there."""
    from sqlalchemy import text

    from gcmc_desktop.db import make_engine, migrate
    from gcmc_desktop.db.embedded import ensure_database

    ensure_database(admin_url, DATABASE)
    url = admin_url.set(database=DATABASE)
    # Index builds on a million rows: give them memory and parallel workers.
    engine = make_engine(
        url,
        connect_args={
            "options": "-c timezone=UTC -c maintenance_work_mem=512MB "
            "-c max_parallel_maintenance_workers=2"
        },
    )
    with engine.connect() as conn:
        try:
            have = conn.scalar(
                text(
                    'SELECT count(*) FROM clients c JOIN tenants t ON t.id = c."tenantId" '
                    "WHERE t.code = :code"
                ),
                {"code": TENANT_CODE},
            )
        except Exception:
            have = None
            conn.rollback()
    if have == rows and migrate.current_revision(engine) == migrate.head_revision():
        print(f"Reusing the loaded database ({rows:,} clients).")
    elif have == rows and migrate.current_revision(engine):
        # Loaded before a newer migration: apply it instead of loading everything again.
        migrate.upgrade(engine)
        print(f"Reusing the loaded database ({rows:,} clients), migrated to head.")
    else:
        _load(engine, rows)
    with engine.connect() as conn:
        tenant_id = conn.scalar(text("SELECT id FROM tenants WHERE code = :c"), {"c": TENANT_CODE})
    ensure_staff(engine, tenant_id)
    engine.dispose()
    return url, tenant_id


def ensure_staff(engine, tenant_id: int) -> None:
    """The bench tenant's roles, a Viewer with their own login, and the sign-in gateway."""
    from sqlalchemy import text

    from gcmc_desktop.db import session_factory
    from gcmc_desktop.services import users
    from gcmc_desktop.services.auth import set_gateway_password
    from gcmc_desktop.services.tenancy import ensure_standard_roles

    set_gateway_password(engine, GATEWAY_PASSWORD)
    with session_factory(engine)() as session:
        ensure_standard_roles(session, tenant_id)
        session.commit()
    with engine.begin() as conn:
        if conn.scalar(text('SELECT 1 FROM "user" WHERE email = :e'), {"e": STAFF_EMAIL}) is None:
            users.create_user(
                conn, tenant_id, STAFF_EMAIL, "Bench Viewer", "Viewer", STAFF_PASSWORD
            )


def staff_context(url: str):
    """Sign in as the bench Viewer through the real sign-in service and enter the firm."""
    from sqlalchemy.engine import make_url

    from gcmc_desktop.services.auth import ServerProfile, open_context, sign_in

    admin = make_url(url)
    profile = ServerProfile(
        admin.set(username=None, password=None),
        admin.set(username="gcmc_login", password=GATEWAY_PASSWORD),
    )
    return open_context(sign_in(profile, STAFF_EMAIL, STAFF_PASSWORD))


def _load(engine, rows: int) -> None:
    from sqlalchemy import text

    from gcmc_desktop.db import migrate

    t0 = time.perf_counter()
    migrate.reset(engine)
    # Load at the baseline and build the desktop's indexes afterwards, as `gcmc db adopt` does on
    # a platform database that already holds its rows (and as a bulk load should).
    migrate.downgrade(engine, migrate.BASELINE)
    with engine.begin() as conn:
        ids = [
            conn.scalar(
                text(
                    'INSERT INTO tenants (name, code, "createdAt", "updatedAt") '
                    "VALUES (:n, :c, now(), now()) RETURNING id"
                ),
                {"n": name, "c": code},
            )
            for name, code in (("Bench firm", TENANT_CODE), ("Other firm", "other"))
        ]
        dbapi = conn.connection.driver_connection
        with dbapi.cursor() as cursor:
            for tenant_id, count, seed in ((ids[0], rows, 1), (ids[1], OTHER_ROWS, 2)):
                with cursor.copy(COPY_SQL) as copy:
                    for row in client_rows(tenant_id, count, seed):
                        copy.write_row(row)
    t1 = time.perf_counter()
    print(f"Loaded {rows:,} + {OTHER_ROWS:,} clients by COPY in {t1 - t0:.1f} s.")
    migrate.upgrade(engine)
    t2 = time.perf_counter()
    print(f"Migrated to head (desktop indexes built) in {t2 - t1:.1f} s.")
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE clients"))
    print(f"VACUUM ANALYZE in {time.perf_counter() - t2:.1f} s.")


# -- measuring inside a variant process ---------------------------------------------------------


def rss_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def peak_mb() -> float:
    # The kernel's high-water mark (kB on Linux) is updated lazily: it can trail the current RSS.
    return max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, rss_mb())


class Stage:
    """A shown QTableView plus helpers to time "until painted"."""

    def __init__(self) -> None:
        from PySide6.QtCore import QTimer
        from PySide6.QtWidgets import QApplication, QTableView

        self.app = QApplication.instance() or QApplication([])
        self.view = QTableView()
        self.view.resize(1200, 800)
        self.view.show()
        # The "after login" state: fonts loaded and text painted once already; a process's first
        # text paint initialises the font database, which no model should be charged for.
        from PySide6.QtGui import QStandardItemModel

        warm = QStandardItemModel(3, 3)
        self.view.setModel(warm)
        self.paint()
        # Keeps the event loop waking up while waiting for a background job.
        self._tick = QTimer()
        self._tick.start(5)
        self.settle()

    def settle(self) -> None:
        for _ in range(3):
            self.app.processEvents()

    def wait(self, condition: Callable[[], bool], timeout: float = 600.0) -> None:
        from PySide6.QtCore import QEventLoop

        deadline = time.perf_counter() + timeout
        while not condition():
            if time.perf_counter() > deadline:
                raise TimeoutError("the model did not answer in time")
            self.app.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents)

    def paint(self) -> None:
        """Lay out and paint what is on screen now, synchronously."""
        self.app.processEvents()
        self.view.viewport().repaint()

    def timed(self, action: Callable[[], None]) -> float:
        t0 = time.perf_counter()
        action()
        self.paint()
        return (time.perf_counter() - t0) * 1000


COLUMNS_SQL = 'name, type, email, tin, "nisNumber", sector, "riskLevel", "createdAt", phone, id'


def search_sql(term: str) -> str:
    pattern = f"'%{term}%'"
    return (
        f"(name ILIKE {pattern} OR email ILIKE {pattern} OR tin ILIKE {pattern} "
        f'OR "nisNumber" ILIKE {pattern})'
    )


def median(values: list[float]) -> float:
    return statistics.median(values)


def run_ours(url: str, tenant_id: int, rows: int, repeat: int) -> dict[str, Any]:
    from PySide6.QtCore import Qt
    from sqlalchemy import select

    from gcmc_desktop.models import Client
    from gcmc_desktop.services.client_list import client_list_query
    from gcmc_desktop.views.table_model import PagedTableModel, query_pool, survey_pool

    ctx = staff_context(url)  # the "after login" state: signed in, mappers configured
    assert ctx.tenant_id == tenant_id
    stage = Stage()
    sessions = ctx.reading
    query = client_list_query(ctx)
    query.set_sort(None)  # the bench starts from the default (id) order, as QSqlQueryModel
    out: dict[str, Any] = {"user": f"{ctx.email} ({ctx.role_name}), RLS on"}
    rss0 = rss_mb()
    box: dict[str, Any] = {}

    def quiesce() -> None:
        """Let the background count finish: each step is timed on its own."""
        model = box["model"]
        stage.wait(lambda: model.total is not None)
        query_pool().waitForDone()
        survey_pool().waitForDone()
        stage.settle()

    def first() -> None:
        model = PagedTableModel(query.clone(), sessions)
        box["model"] = model
        started = time.perf_counter()
        model.totalChanged.connect(
            lambda n: box.setdefault("total", (n, (time.perf_counter() - started) * 1000))
        )
        stage.view.setModel(model)
        stage.wait(lambda: model.rowCount() > 0)

    firsts = []
    for _ in range(repeat):  # a new model each time; the first one in a cold process
        box.pop("total", None)
        firsts.append(stage.timed(first))
        quiesce()
    out["first"], out["first_cold"] = median(firsts), firsts[0]
    out["total"], out["total_ms"] = box["total"]
    model: PagedTableModel = box["model"]

    def until_page(action: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            action()
            stage.wait(lambda: not model.loading)

        return run

    def sort(column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder):
        return until_page(lambda: stage.view.sortByColumn(column, order))

    def search(term: str) -> Callable[[], None]:
        def run() -> None:
            model.set_search(term)
            model.flush_search()  # the typing debounce is not what is measured

        return until_page(run)

    def repeated(prepare: Callable[[], None], action: Callable[[], None]) -> float:
        times = []
        for _ in range(repeat):
            prepare()
            quiesce()
            times.append(stage.timed(action))
            quiesce()
        return median(times)

    out["sort"] = repeated(sort(-1), sort(0))  # from the default (id) order to name order
    assert model.row_values(0)["name"] <= model.row_values(model.page_size - 1)["name"]
    per_column = {}
    for key in SORT_SQL:
        column = query.column_index(key)
        per_column[key] = repeated(sort(-1), sort(column))
    out["sort_each"] = per_column
    out["sort_max"] = max(per_column.values())
    stage.view.sortByColumn(0, Qt.SortOrder.AscendingOrder)
    stage.wait(lambda: not model.loading)
    for key, _label, term in SEARCHES:
        out[key] = repeated(search(""), search(term))
        out[f"{key}_total"] = model.total
    search("")()
    out["last"] = repeated(sort(0), sort(0, Qt.SortOrder.DescendingOrder))
    with sessions() as s:
        expected = s.scalar(
            select(Client.id)
            .where(Client.tenant_id == tenant_id)
            .order_by(Client.name.desc(), Client.id.desc())
            .limit(1)
        )
    assert model.row_id(0) == expected, "the first row of the reversed sort is not the last row"
    out["last_note"] = "sort reversal"

    # Jumping: from the top of the list sorted by name, Ctrl+End or a drag of the scroll bar,
    # until every row shown is painted with its values (no placeholder left).
    from PySide6.QtTest import QTest

    view, bar = stage.view, stage.view.verticalScrollBar()

    def shown_loaded() -> bool:
        top = max(view.rowAt(0), 0)
        bottom = view.rowAt(view.viewport().height() - 1)
        bottom = model.rowCount() - 1 if bottom < 0 else bottom
        return all(model.row_loaded(r) for r in range(top, bottom + 1))

    def at_top(survey: bool) -> Callable[[], None]:
        def run() -> None:
            # A new order of the same rows: nothing cached, anchors surveyed anew (or not yet).
            sort(0, Qt.SortOrder.DescendingOrder)()
            sort(0)()
            stage.wait(lambda: model.rowCount() == model.total)
            if survey:
                quiesce()
            view.setCurrentIndex(model.index(0, 0))

        return run

    def jump(action: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            action()
            stage.paint()
            stage.wait(shown_loaded)

        return run

    def ctrl_end() -> None:
        QTest.keyClick(view, Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier)

    def drag(fraction: float) -> Callable[[], None]:
        return lambda: bar.setValue(int(bar.maximum() * fraction))

    def once(prepare: Callable[[], None], action: Callable[[], None]) -> float:
        times = []
        for _ in range(repeat):
            prepare()
            times.append(stage.timed(action))
        return median(times)

    for key, action in (("jump_end", ctrl_end), ("drag_37", drag(0.37)), ("drag_81", drag(0.81))):
        out[key] = once(at_top(True), jump(action))
        # Right after a new sort, before the anchors of the survey are in: read from the
        # nearest end (OFFSET over the index keys).
        out[f"{key}_cold"] = once(at_top(False), jump(action))
    jump(ctrl_end)()
    assert model.row_id(model.rowCount() - 1) == expected, "Ctrl+End did not show the last row"
    out["jump_rows"] = model.rowCount()
    out["cached_rows"] = model.cached_rows

    # Scrolling on: the next 25 pages of 200 rows, one after another.
    at_top(True)()
    t0 = time.perf_counter()
    for i in range(1, 26):
        view.scrollTo(model.index(i * model.page_size, 0), view.ScrollHint.PositionAtTop)
        stage.paint()
        stage.wait(shown_loaded)
        stage.paint()
    out["page_avg"] = (time.perf_counter() - t0) * 1000 / 25
    quiesce()
    out["rss_growth"] = rss_mb() - rss0
    out["peak_growth"] = peak_mb() - rss0
    ctx.session.close()
    return out


def run_qsql(
    url: str, tenant_id: int, rows: int, repeat: int, socket_dir: str, port: int
) -> dict[str, Any]:
    from PySide6.QtSql import QSqlDatabase, QSqlQuery, QSqlQueryModel

    stage = Stage()
    if "QPSQL" not in QSqlDatabase.drivers():
        return {"na": f"no QPSQL driver (have {QSqlDatabase.drivers()})"}
    db = QSqlDatabase.addDatabase("QPSQL", "bench")
    if not db.isValid():
        return {"na": f"the QPSQL driver does not load: {db.lastError().text()}"}
    db.setHostName(socket_dir)  # a directory: libpq takes it as the Unix socket's location
    db.setPort(port)
    db.setDatabaseName(DATABASE)
    # The same staff login as ours (signed in through the real service first, which sets the
    # login's password), in the same firm: row-level security applies to it as to ours.
    ctx = staff_context(url)
    role = ctx.session.get_bind().url.username
    ctx.session.close()
    db.setUserName(role)
    db.setPassword(STAFF_PASSWORD)
    if not db.open():
        return {"na": f"QPSQL cannot connect: {db.lastError().text()}"}
    QSqlQuery(f"SELECT set_config('gcmc.tenant_id', '{tenant_id}', false)", db)
    base = f'SELECT {COLUMNS_SQL} FROM clients WHERE "tenantId" = {tenant_id}'
    out: dict[str, Any] = {"user": f"{role} (same login), RLS on"}
    rss0 = rss_mb()
    box: dict[str, Any] = {}
    repeat = min(repeat, 3)  # each run holds the whole result: seconds apiece

    def set_query(sql: str) -> Callable[[], None]:
        def run() -> None:
            model = box["model"]
            model.setQuery(QSqlQuery(sql, db))
            if model.lastError().isValid():
                raise RuntimeError(model.lastError().text())

        return run

    def first() -> None:
        box["model"] = QSqlQueryModel()
        set_query(f"{base} ORDER BY id")()
        stage.view.setModel(box["model"])

    out["first"] = median([stage.timed(first) for _ in range(repeat)])
    model = box["model"]

    def repeated(prepare: Callable[[], None], action: Callable[[], None]) -> float:
        times = []
        for _ in range(repeat):
            prepare()
            stage.paint()
            times.append(stage.timed(action))
        return median(times)

    by_id = set_query(f"{base} ORDER BY id")
    by_name = set_query(f"{base} ORDER BY name, id")
    out["sort"] = repeated(by_id, by_name)
    per_column = {}
    for key, sql in SORT_SQL.items():
        per_column[key] = repeated(by_id, set_query(f"{base} ORDER BY {sql}, id"))
    out["sort_each"] = per_column
    out["sort_max"] = max(per_column.values())
    for key, _label, term in SEARCHES:
        out[key] = repeated(by_name, set_query(f"{base} AND {search_sql(term)} ORDER BY name, id"))
    by_name()
    stage.paint()

    def to_the_end() -> None:
        while model.canFetchMore():
            model.fetchMore()
        stage.view.scrollToBottom()

    out["last"] = stage.timed(to_the_end)
    out["last_note"] = "fetchMore all, scroll"
    out["loaded_rows"] = model.rowCount()
    # Ctrl+End on QSqlQueryModel is "fetch every row, then scroll"; a drag can only reach the
    # rows fetched so far, so reaching 37 % / 81 % of the list means fetching up to there.
    out["jump_end"] = repeated(by_name, to_the_end)

    def to_fraction(fraction: float) -> Callable[[], None]:
        def run() -> None:
            wanted = int(rows * fraction)
            while model.rowCount() <= wanted and model.canFetchMore():
                model.fetchMore()
            stage.view.scrollTo(model.index(wanted, 0), stage.view.ScrollHint.PositionAtTop)

        return run

    out["drag_37"] = repeated(by_name, to_fraction(0.37))
    out["drag_81"] = repeated(by_name, to_fraction(0.81))
    out["rss_growth"] = rss_mb() - rss0
    out["peak_growth"] = peak_mb() - rss0
    return out


def run_naive(url: str, tenant_id: int, rows: int, repeat: int) -> dict[str, Any]:
    from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt
    from sqlalchemy import select

    from gcmc_desktop.models import Client
    from gcmc_desktop.services.paging import format_value

    attrs = ("name", "type", "email", "tin", "nis_number", "sector", "risk_level", "created_at")

    class NaiveModel(QAbstractTableModel):
        """What one writes first: every row as an ORM object in a Python list."""

        def __init__(self, clients: list[Client]) -> None:
            super().__init__()
            self.all = clients
            self.rows = clients

        def rowCount(self, parent=QModelIndex()) -> int:  # noqa: B008
            return 0 if parent.isValid() else len(self.rows)

        def columnCount(self, parent=QModelIndex()) -> int:  # noqa: B008
            return 0 if parent.isValid() else len(attrs)

        def data(self, index, role=Qt.ItemDataRole.DisplayRole):
            if role == Qt.ItemDataRole.DisplayRole:
                return format_value(getattr(self.rows[index.row()], attrs[index.column()]))
            return None

        def show(self, rows: list[Client]) -> None:
            self.beginResetModel()
            self.rows = rows
            self.endResetModel()

    ctx = staff_context(url)  # the same signed-in staff user as ours
    stage = Stage()
    sessions = ctx.reading
    out: dict[str, Any] = {}
    rss0 = rss_mb()
    box: dict[str, Any] = {}

    def first() -> None:
        with sessions() as s:
            clients = list(
                s.scalars(select(Client).where(Client.tenant_id == tenant_id).order_by(Client.id))
            )
        box["model"] = NaiveModel(clients)
        stage.view.setModel(box["model"])

    out["first"] = stage.timed(first)
    model: NaiveModel = box["model"]

    def by_name() -> None:
        model.show(sorted(model.all, key=lambda c: (c.name, c.id)))

    def repeated(prepare: Callable[[], None], action: Callable[[], None]) -> float:
        times = []
        for _ in range(repeat):
            prepare()
            stage.paint()
            times.append(stage.timed(action))
        return median(times)

    everything = model.all
    out["sort"] = repeated(lambda: model.show(everything), by_name)
    by_name_rows = model.rows

    def search(term: str) -> Callable[[], None]:
        def run() -> None:
            t = term.casefold()
            model.show(
                [
                    c
                    for c in by_name_rows
                    if any(
                        t in (v or "").casefold() for v in (c.name, c.email, c.tin, c.nis_number)
                    )
                ]
            )

        return run

    out["search_name"] = repeated(lambda: model.show(by_name_rows), search(NAME_SEARCH))
    out["search_tin"] = repeated(lambda: model.show(by_name_rows), search(TIN_SEARCH))
    model.show(by_name_rows)
    stage.paint()
    out["last"] = stage.timed(stage.view.scrollToBottom)
    out["last_note"] = "scroll (all in memory)"
    out["rss_growth"] = rss_mb() - rss0
    out["peak_growth"] = peak_mb() - rss0
    return out


# -- driver -------------------------------------------------------------------------------------


def run_variant(args: argparse.Namespace) -> None:
    try:
        if args.variant == "ours":
            result = run_ours(args.url, args.tenant, args.rows, args.repeat)
        elif args.variant == "qsql":
            result = run_qsql(
                args.url, args.tenant, args.rows, args.repeat, args.socket_dir, args.port
            )
        else:
            result = run_naive(args.url, args.tenant, args.rows, args.repeat)
    except Exception as exc:  # reported in the table, not as a traceback
        result = {"na": f"failed: {type(exc).__name__}: {exc}"}
    print("RESULT " + json.dumps(result), flush=True)


def spawn(variant: str, common: list[str], script: str = __file__) -> dict[str, Any]:
    """Run one variant of `script` in a process of its own (memory figures stay apart)."""
    cmd = [sys.executable, script, "--variant", variant, *common]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=3600)
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT ") :])
    tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
    return {"na": f"exited with {proc.returncode}: {' / '.join(tail)}"}


@contextlib.contextmanager
def bench_server(pgdata: Path | None):
    """The benches' embedded PostgreSQL: in `pgdata` (kept for later runs with the same data),
    or in a temporary directory removed afterwards with the server stopped."""
    from gcmc_desktop.db.embedded import start_server

    temporary = pgdata is None
    if temporary:
        pgdata = Path(tempfile.mkdtemp(prefix="gcmc-bench-")) / "pgdata"
    server = None
    try:
        server = start_server(pgdata)
        yield server
    finally:
        if temporary:
            if server is not None:
                with contextlib.suppress(Exception):
                    server.cleanup()
            shutil.rmtree(pgdata.parent, ignore_errors=True)


def explain(url, tenant_id: int) -> None:
    """EXPLAIN ANALYZE of the queries our model sends, as the signed-in staff user."""
    from gcmc_desktop.services.client_list import client_list_query

    ctx = staff_context(url.render_as_string(hide_password=False))
    query = client_list_query(ctx)
    cases = [
        ("first page, by id", None, False, ""),
        ("first page, by name", "name", False, ""),
        ("first page, by name desc", "name", True, ""),
        *((f"search {term!r} by name", "name", False, term) for _k, _l, term in SEARCHES),
    ]
    with ctx.reading() as s:
        for title, key, desc, term in cases:
            query.set_sort(key, desc)
            query.set_search(term)
            compiled = query.page_statement(200).compile(
                dialect=s.get_bind().dialect, compile_kwargs={"render_postcompile": True}
            )
            plan = s.connection().exec_driver_sql(
                f"EXPLAIN (ANALYZE, BUFFERS) {compiled}", compiled.params
            )
            print(f"\n-- {title}")
            print("\n".join(row[0] for row in plan))
    ctx.session.close()


def fmt_ms(value: Any) -> str:
    if value is None:
        return "n/a"
    return f"{value:,.1f} ms" if value < 10_000 else f"{value / 1000:,.1f} s"


def report(rows: int, results: dict[str, dict[str, Any]]) -> None:
    names = {
        "ours": "PagedTableModel",
        "qsql": "QSqlQueryModel (QPSQL)",
        "naive": "naive ORM list",
    }
    lines = [
        ("first page visible", "first", fmt_ms),
        ("  cold (first in process)", "first_cold", fmt_ms),
        ("re-sort by name", "sort", fmt_ms),
        *((f"  re-sort by {key}", key, fmt_ms) for key in SORT_SQL),
        ("  re-sort, slowest column", "sort_max", fmt_ms),
        *((f"search {term!r} ({label})", key, fmt_ms) for key, label, term in SEARCHES),
        ("reach the last row", "last", fmt_ms),
        ("  how", "last_note", str),
        ("jump to end (Ctrl+End)", "jump_end", fmt_ms),
        ("  before the survey", "jump_end_cold", fmt_ms),
        ("drag to 37 %", "drag_37", fmt_ms),
        ("  before the survey", "drag_37_cold", fmt_ms),
        ("drag to 81 %", "drag_81", fmt_ms),
        ("  before the survey", "drag_81_cold", fmt_ms),
        ("RSS growth at end", "rss_growth", lambda v: f"{v:,.1f} MB"),
        ("RSS growth at peak", "peak_growth", lambda v: f"{v:,.1f} MB"),
    ]
    width = 26
    print()
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"Client list of one tenant with {rows:,} rows (embedded PostgreSQL, Unix socket)")
    print(f"Machine: {os.cpu_count()} CPU cores, load average {load}; medians of the runs.")
    print("".ljust(width) + "".join(names[k].rjust(26) for k in names))
    for title, key, render in lines:
        cells = []
        for variant in names:
            result = results[variant]
            value = result.get(key, result.get("sort_each", {}).get(key))
            cells.append(("n/a" if "na" in result or value is None else render(value)).rjust(26))
        print(title.ljust(width) + "".join(cells))
    for variant in names:
        if "na" in results[variant]:
            print(f"{names[variant]}: n/a — {results[variant]['na']}")
    ours = results["ours"]
    if "na" in ours:
        return
    print()
    print(
        f"Ours, also: exact total {ours['total']:,} counted in the background in "
        f"{fmt_ms(ours['total_ms'])}; scrolling on, {fmt_ms(ours['page_avg'])} per further "
        f"200-row page; rows in memory after the jumps: {ours['cached_rows']:,} of "
        f"{ours['jump_rows']:,}; "
        "searches matched "
        + ", ".join(f"{term!r} {ours[f'{key}_total']:,}" for key, _l, term in SEARCHES)
        + f" rows. Signed in as {ours['user']}."
    )
    qsql = results["qsql"]
    if "na" not in qsql:
        print(f"QSqlQueryModel held {qsql['loaded_rows']:,} rows to show the last one.")
    print()
    checks = [
        ("first page ≤ 50 ms", ours["first"] <= TARGETS["first"]),
        ("re-sort ≤ 100 ms", ours["sort"] <= TARGETS["sort"]),
        ("re-sort, every column ≤ 100 ms", ours["sort_max"] <= TARGETS["sort"]),
        ("search ≤ 100 ms", max(ours[k] for k, _l, _t in SEARCHES) <= TARGETS["search"]),
        ("memory growth ≤ 50 MB", ours["peak_growth"] <= TARGETS["memory"]),
        (
            "jump (Ctrl+End, drag to 37 % / 81 %) ≤ 200 ms",
            max(ours[k] for k in ("jump_end", "drag_37", "drag_81")) <= TARGETS["jump"],
        ),
    ]
    if "na" not in qsql:
        ratio = qsql["first"] / ours["first"]
        checks.append(
            (
                f"≥ 20× faster to first page than QSqlQueryModel ({ratio:,.1f}×)",
                ratio >= TARGETS["vs_qsql"],
            )
        )
    for title, ok in checks:
        print(f"  {'PASS' if ok else 'FAIL'}  {title}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--pgdata", type=Path, help="keep the server's data here and reuse it")
    parser.add_argument("--only", choices=("ours", "qsql", "naive"), action="append")
    parser.add_argument("--explain", action="store_true", help="print our query plans")
    parser.add_argument(
        "--repeat", type=int, default=5, help="report the median of this many runs of each step"
    )
    parser.add_argument("--variant", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--tenant", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--socket-dir", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.variant:
        run_variant(args)
        return

    from gcmc_desktop.db.embedded import server_url

    with bench_server(args.pgdata) as server:
        admin = server_url(server)
        info = server.get_postmaster_info()
        url, tenant_id = prepare_database(admin, args.rows)
        if args.explain:
            explain(url, tenant_id)
        common = [
            "--rows", str(args.rows),
            "--repeat", str(args.repeat),
            "--url", url.render_as_string(hide_password=False),
            "--tenant", str(tenant_id),
            "--socket-dir", str(info.socket_dir or ""),
            "--port", str(info.port or 5432),
        ]  # fmt: skip
        results = {}
        for variant in ("ours", "qsql", "naive"):
            # The naive list holds a million ORM objects: only on request (--only naive).
            if (args.only and variant not in args.only) or (not args.only and variant == "naive"):
                results[variant] = {"na": "not run (--only naive to include)"}
                continue
            print(f"Running {variant} …", flush=True)
            results[variant] = spawn(variant, common)
        report(args.rows, results)


if __name__ == "__main__":
    main()
