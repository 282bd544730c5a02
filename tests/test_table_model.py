"""The generic paged list: keyset pages (never OFFSET) that add up to exactly the rows SQL has, in
SQL's order, with NULLs in the sort column; filters, debounced search and the background total —
through `PagedQuery` directly and through `PagedTableModel` under a real QTableView."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import random
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTableView
from sqlalchemy import Engine, event, func, literal_column, select, text
from sqlalchemy.orm import Session, sessionmaker, with_loader_criteria

from gcmc_desktop.db import migrate, session_factory
from gcmc_desktop.models import Client, Tenant
from gcmc_desktop.services.errors import DatabaseUnavailable
from gcmc_desktop.services.paging import ColumnSpec, PagedQuery, escape_like, format_value
from gcmc_desktop.views import table_model
from gcmc_desktop.views.table_model import PagedTableModel, query_pool
from gcmc_desktop.views.workers import UNEXPECTED

pytestmark = pytest.mark.gui

N_CLIENTS = 3000
SECTORS = ["Agriculture", "Construction", "Mining", "Retail", "Services", "Transport"]


def client_columns() -> list[ColumnSpec]:
    return [
        ColumnSpec("name", "Name", Client.name),
        ColumnSpec("type", "Type", Client.type),
        ColumnSpec("email", "Email", Client.email),
        ColumnSpec("tin", "TIN", Client.tin),
        ColumnSpec("nis", "NIS number", Client.nis_number),
        ColumnSpec("sector", "Sector", Client.sector),
        ColumnSpec("risk", "Risk", Client.risk_level),
        ColumnSpec("created", "Created", Client.created_at),
        ColumnSpec("phone", "Phone", Client.phone, sortable=False),
    ]


SEARCH_COLUMNS = (Client.name, Client.email, Client.tin, Client.nis_number)


def client_query(tenant_id: int | None) -> PagedQuery:
    base = select(Client)
    if tenant_id is not None:
        base = base.where(Client.tenant_id == tenant_id)
    return PagedQuery(base, client_columns(), search_columns=SEARCH_COLUMNS)


def _client_rows(tenant_id: int, count: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    start = datetime(2024, 1, 1)
    rows = []
    for i in range(count):
        # Few distinct names, sectors and timestamps: many ties, so the id tie-breaker matters;
        # a fifth of sectors and some emails/TINs NULL, so the NULL block must be paged too.
        rows.append(
            {
                "tenant_id": tenant_id,
                "name": f"{rng.choice(['Baird', 'Persaud', 'Singh', 'Adams', 'Ng'])} "
                f"{rng.choice(['Holdings', 'Trading', 'Farms', 'and Sons'])} {i % 97}",
                "type": "company" if i % 3 else "individual",
                "email": None if i % 11 == 0 else f"contact{i}@mail{i % 7}.gy",
                "tin": None if i % 13 == 0 else f"{100_000_000 + i * 37}",
                "nis_number": None if i % 17 == 0 else f"NIS-{i:06d}",
                "sector": None if i % 5 == 0 else rng.choice(SECTORS),
                "risk_level": rng.choice(["low", "medium", "high", None]),
                "phone": f"+592 600 {i:04d}",
                "created_at": start + timedelta(hours=rng.randrange(400)),
                "updated_at": start,
            }
        )
    return rows


@pytest.fixture
def sessions(engine: Engine) -> Iterator[sessionmaker[Session]]:
    yield session_factory(engine)
    # Background jobs of a test must finish before its database is dropped.
    query_pool().waitForDone()


COPY_COLUMNS = {
    "tenant_id": "tenantId",
    "name": "name",
    "type": "type",
    "email": "email",
    "tin": "tin",
    "nis_number": "nisNumber",
    "sector": "sector",
    "risk_level": "riskLevel",
    "phone": "phone",
    "created_at": "createdAt",
    "updated_at": "updatedAt",
}


def copy_clients(session: Session, rows: list[dict]) -> None:
    columns = ", ".join(f'"{c}"' for c in COPY_COLUMNS.values())
    dbapi = session.connection().connection.driver_connection
    with dbapi.cursor() as cursor, cursor.copy(f"COPY clients ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([row.get(key) for key in COPY_COLUMNS])


@pytest.fixture
def tenant_id(sessions: sessionmaker[Session]) -> int:
    """A tenant with N_CLIENTS clients, next to another tenant whose clients must never show."""
    with sessions() as s:
        ours, other = Tenant(name="Firm", code="firm"), Tenant(name="Other", code="other")
        s.add_all([ours, other])
        s.flush()
        copy_clients(s, _client_rows(ours.id, N_CLIENTS, seed=1))
        copy_clients(s, _client_rows(other.id, 150, seed=2))
        gold = datetime(2024, 2, 1)
        s.add(
            Client(
                tenant_id=ours.id,
                name="100% pure_gold Ltd",
                type="company",
                email="gold@example.gy",
                created_at=gold,
                updated_at=gold,
            )
        )
        s.commit()
        s.execute(text("ANALYZE clients"))
        s.commit()
        return ours.id


def sql_ids(sessions: sessionmaker[Session], where_order: str, **params: object) -> list[int]:
    with sessions() as s:
        return list(s.scalars(text(f"SELECT id FROM clients WHERE {where_order}"), params))


def read_all(query: PagedQuery, session: Session, limit: int) -> list[int]:
    page = query.first_page(session, limit)
    ids = list(page.ids)
    while not page.done:
        assert page.cursor is not None
        page = query.next_page(session, page.cursor, limit)
        assert len(page) <= limit
        ids += page.ids
    return ids


def wait_idle(qtbot, model: PagedTableModel) -> None:
    qtbot.waitUntil(lambda: not model.loading, timeout=10_000)


def load_everything(qtbot, model: PagedTableModel) -> list[int]:
    """Every row's id: page after page while the list grows, then (once the total is known and
    the whole list is rows, most of them placeholders) each page not loaded yet, in order —
    collected page by page, as a long list keeps only `max_pages` pages in memory."""
    wait_idle(qtbot, model)
    while model.canFetchMore():
        model.fetchMore()
        wait_idle(qtbot, model)
    ids = []
    for first in range(0, model.rowCount(), model.page_size):
        model.load_rows(first, first)
        qtbot.waitUntil(
            lambda f=first: model.row_loaded(f) or model.error is not None, timeout=10_000
        )
        assert model.error is None
        last = min(first + model.page_size, model.rowCount())
        ids += [model.row_id(r) for r in range(first, last)]
    return ids


@pytest.fixture
def table(qtbot, sessions, tenant_id) -> tuple[QTableView, PagedTableModel]:
    model = PagedTableModel(client_query(tenant_id), sessions)
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(model)
    view.resize(900, 600)
    view.show()
    return view, model


# -- PagedQuery (no Qt) -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "column"),
    [
        (None, None),
        ("name", "name"),
        ("sector", "sector"),
        ("email", "email"),
        ("created", "createdAt"),
    ],
)
def test_pages_add_up_to_sql_order(sessions, tenant_id, key, column) -> None:
    """Every row exactly once, in SQL's (column, id) order, wherever a page boundary falls —
    including exactly at the edge of the NULL block and one row at a time across it."""
    query = client_query(tenant_id)
    limits = [50, 199, 200, 600, 5000]
    if column is not None:
        nulls = len(sql_ids(sessions, f'"tenantId" = :t AND "{column}" IS NULL', t=tenant_id))
        limits += [nulls, N_CLIENTS + 1 - nulls]
    if key in (None, "sector"):
        limits.append(7)
    for descending in (False, True):
        query.set_sort(key, descending)
        direction = "DESC" if descending else "ASC"
        order = f"id {direction}" if key is None else f'"{column}" {direction}, id {direction}'
        expected = sql_ids(sessions, f'"tenantId" = :t ORDER BY {order}', t=tenant_id)
        assert len(expected) == N_CLIENTS + 1
        with sessions() as s:
            for limit in limits:
                if limit < 1:
                    continue
                got = read_all(query, s, limit)
                assert got == expected, (descending, limit)


def test_nulls_last_ascending_first_descending(sessions, tenant_id) -> None:
    query = client_query(tenant_id)
    query.set_sort("sector")
    with sessions() as s:
        ascending = query.first_page(s, 5000)
        query.set_sort("sector", descending=True)
        descending = query.first_page(s, 5000)
    sectors = [row[query.column_index("sector")] for row in ascending.rows]
    assert sectors[0] is not None and sectors[-1] is None
    assert next(row[query.column_index("sector")] for row in descending.rows) is None
    assert descending.ids == ascending.ids[::-1]


def test_page_rows_are_plain_tuples_and_dicts(sessions, tenant_id) -> None:
    query = client_query(tenant_id)
    query.set_sort("name")
    with sessions() as s:
        page = query.first_page(s, 3)
        expected = s.execute(
            select(Client.id, Client.name, Client.email)
            .where(Client.tenant_id == tenant_id)
            .order_by(Client.name, Client.id)
            .limit(3)
        ).all()
    assert all(type(row) is tuple for row in page.rows)
    assert [(d["id"], d["name"], d["email"]) for d in page.dicts()] == [tuple(r) for r in expected]
    assert set(page.dicts()[0]) == {"id", *(spec.key for spec in client_columns())}


def test_cursor_of_another_sort_is_refused(sessions, tenant_id) -> None:
    query = client_query(tenant_id)
    with sessions() as s:
        cursor = query.first_page(s, 10).cursor
        query.set_sort("name")
        with pytest.raises(ValueError, match="different sort"):
            query.next_page(s, cursor, 10)


def test_unknown_or_unsortable_columns_are_refused(tenant_id) -> None:
    query = client_query(tenant_id)
    with pytest.raises(ValueError):
        query.set_sort("phone")
    with pytest.raises(KeyError):
        query.set_sort("nope")
    with pytest.raises(KeyError):
        query.set_filter("nope", 1)


def test_filters_and_count(sessions, tenant_id) -> None:
    query = client_query(tenant_id)
    query.set_filter("type", "individual")
    query.set_filter("risk", ["high", "medium"])
    expected = sql_ids(
        sessions,
        "\"tenantId\" = :t AND type = 'individual' AND \"riskLevel\" IN ('high', 'medium') "
        "ORDER BY id",
        t=tenant_id,
    )
    with sessions() as s:
        assert read_all(query, s, 100) == expected
        assert query.count(s) == len(expected)
        query.set_filter("risk", None)
        assert query.count(s) == len(
            sql_ids(sessions, "\"tenantId\" = :t AND type = 'individual'", t=tenant_id)
        )


def test_search_escapes_like_wildcards(sessions, tenant_id) -> None:
    assert escape_like("100%_a\\b") == "100\\%\\_a\\\\b"
    query = client_query(tenant_id)
    with sessions() as s:
        query.set_search("0% pure_g")
        assert [d["name"] for d in query.first_page(s, 10).dicts()] == ["100% pure_gold Ltd"]
        query.set_search("_")  # a literal underscore, not "any character"
        assert [d["name"] for d in query.first_page(s, 10).dicts()] == ["100% pure_gold Ltd"]
        query.set_search("%")
        assert query.count(s) == 1


def test_tenant_criteria_added_by_the_session_apply(engine, tenant_id) -> None:
    """The app adds the tenant criterion to every ORM query; pages and counts must honour it even
    when the list's base query has none."""
    factory = session_factory(engine)

    def scoped() -> Session:
        session = factory()

        @event.listens_for(session, "do_orm_execute")
        def _tenant(state) -> None:
            if state.is_select:
                state.statement = state.statement.options(
                    with_loader_criteria(Client, Client.tenant_id == tenant_id)
                )

        return session

    query = client_query(None)
    query.set_sort("name")
    with scoped() as s:
        assert query.count(s) == N_CLIENTS + 1
        ids = read_all(query, s, 500)
    assert sorted(ids) == sql_ids(factory, '"tenantId" = :t ORDER BY id', t=tenant_id)


def test_format_value() -> None:
    assert format_value(None) == ""
    assert format_value(42) == "42"
    utc_noon = datetime(2024, 6, 1, 12, 0)
    local = utc_noon.replace(tzinfo=__import__("datetime").UTC).astimezone()
    assert format_value(utc_noon) == local.strftime("%Y-%m-%d %H:%M")


# -- the SQL it sends ---------------------------------------------------------------------------


@pytest.fixture
def statements(engine: Engine) -> Iterator[list[str]]:
    seen: list[str] = []

    def capture(conn, cursor, statement, parameters, context, executemany) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", capture)
    yield seen
    event.remove(engine, "before_cursor_execute", capture)


def test_no_offset_ever(qtbot, table, sessions, tenant_id, statements) -> None:
    view, model = table
    view.setSortingEnabled(True)
    for column in (0, 5, 7):
        for order in (Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder):
            view.sortByColumn(column, order)
            load_everything(qtbot, model)
    model.set_search("holdings")
    model.flush_search()
    load_everything(qtbot, model)
    with sessions() as s:
        read_all(client_query(tenant_id), s, 300)
    pages = [sql for sql in statements if "LIMIT" in sql.upper()]
    assert len(pages) > 100
    assert not [sql for sql in statements if "OFFSET" in sql.upper()]


def explain(session: Session, stmt) -> str:
    """EXPLAIN exactly what a page sends: same SQL text, same bound parameters."""
    compiled = stmt.compile(
        dialect=session.get_bind().dialect, compile_kwargs={"render_postcompile": True}
    )
    result = session.connection().exec_driver_sql(f"EXPLAIN {compiled}", compiled.params)
    return "\n".join(row[0] for row in result)


def test_every_sort_and_search_is_served_by_an_index(sessions, tenant_id) -> None:
    """With sequential scans and sorts priced out, each first and next page must still plan as an
    index scan with no Sort node — proof that ORDER BY matches a desktop_ index in both directions
    (including NULL placement) and that the search can use the trigram index."""
    query = client_query(tenant_id)
    with sessions() as s:
        s.execute(text("SET enable_seqscan = off"))
        s.execute(text("SET enable_sort = off"))
        for spec in query.columns:
            if not spec.sortable:
                continue
            for descending in (False, True):
                query.set_sort(spec.key, descending)
                first = query.first_page(s, 10)
                for after in (None, first.cursor):
                    stmt = query.page_statement(10, after)
                    plan = explain(s, stmt)
                    assert f"desktop_clients_tenant_{spec.key}_idx" in plan, plan
                    assert "Sort" not in plan, plan
        # A selective term; no tenant criterion, so nothing else narrows the rows down.
        query = client_query(None)
        query.set_search("contact123")
        plan = explain(s, query.count_statement())
        assert "desktop_clients_search_trgm_idx" in plan, plan


def test_search_indexes_migration_downgrades(engine) -> None:
    def desktop_indexes() -> set[str]:
        with engine.connect() as conn:
            return set(
                conn.scalars(
                    text(
                        "SELECT indexname FROM pg_indexes "
                        "WHERE tablename = 'clients' AND indexname LIKE 'desktop\\_%'"
                    )
                )
            )

    assert "desktop_clients_search_trgm_idx" in desktop_indexes()
    assert "desktop_clients_tenant_name_idx" in desktop_indexes()
    migrate.downgrade(engine, "0001_baseline")
    assert desktop_indexes() == set()
    migrate.upgrade(engine)
    assert len(desktop_indexes()) == 10


# -- PagedTableModel under a QTableView ----------------------------------------------------------


def test_first_page_headers_and_display(qtbot, table, tenant_id, sessions) -> None:
    view, model = table
    qtbot.waitUntil(lambda: model.rowCount() > 0, timeout=10_000)
    # The first page; and once the background count is in, the whole list.
    assert model.rowCount() in (200, N_CLIENTS + 1)
    assert model.canFetchMore() or model.total == N_CLIENTS + 1
    titles = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    assert titles == [spec.title for spec in client_columns()]
    first_ids = sql_ids(sessions, '"tenantId" = :t ORDER BY id LIMIT 200', t=tenant_id)
    assert [model.row_id(r) for r in range(200)] == first_ids
    row = model.row_values(0)
    created = model.index(0, 7).data()
    assert created == format_value(row["created"]) and len(created) == len("2024-01-01 00:00")
    no_email = next(r for r in range(200) if model.row_values(r)["email"] is None)
    assert model.index(no_email, 2).data() == ""
    assert model.index(no_email, 2).data(Qt.ItemDataRole.UserRole) is None
    assert model.row_of(model.row_id(5)) == 5
    # The view actually painted rows: the first row has a visual rectangle on screen.
    assert view.visualRect(model.index(0, 0)).isValid()


def test_scrolling_loads_every_row_once(qtbot, table, sessions, tenant_id) -> None:
    view, model = table
    loads: list[int] = []
    model.pageLoaded.connect(loads.append)
    qtbot.waitUntil(lambda: model.total is not None, timeout=10_000)
    assert model.rowCount() == N_CLIENTS + 1  # the whole list, as placeholders until shown
    seen: dict[int, int] = {}
    row = 0
    while row < model.rowCount():
        view.scrollTo(model.index(row, 0), QTableView.ScrollHint.PositionAtTop)
        top = view.rowAt(0)
        bottom = view.rowAt(view.viewport().height() - 1)
        bottom = model.rowCount() - 1 if bottom < 0 else bottom
        # The rows shown are asked for by painting them, and arrive.
        qtbot.waitUntil(
            lambda t=top, b=bottom: all(model.row_loaded(r) for r in range(t, b + 1)),
            timeout=10_000,
        )
        for r in range(top, bottom + 1):
            seen[r] = model.row_id(r)
        row = bottom + 1
    ids = [seen[r] for r in range(model.rowCount())]
    assert len(ids) == len(set(ids))
    assert ids == sql_ids(sessions, '"tenantId" = :t ORDER BY id', t=tenant_id)
    assert len(loads) == -(-(N_CLIENTS + 1) // 200)  # each page read once
    assert not model.canFetchMore()


def test_header_sort_matches_sql(qtbot, table, sessions, tenant_id) -> None:
    view, model = table
    view.setSortingEnabled(True)
    view.sortByColumn(0, Qt.SortOrder.AscendingOrder)
    ascending = load_everything(qtbot, model)
    assert ascending == sql_ids(sessions, '"tenantId" = :t ORDER BY name, id', t=tenant_id)
    view.sortByColumn(0, Qt.SortOrder.DescendingOrder)
    descending = load_everything(qtbot, model)
    assert descending == sql_ids(
        sessions, '"tenantId" = :t ORDER BY name DESC, id DESC', t=tenant_id
    )
    names = [model.row_values(r)["name"] for r in range(5)]
    assert model.index(0, 0).data() == names[0]


def test_sort_with_nulls_through_the_model(qtbot, sessions, tenant_id) -> None:
    model = PagedTableModel(client_query(tenant_id), sessions, page_size=37)
    model.sort(5, Qt.SortOrder.DescendingOrder)  # sector: NULLs first, then Z→A
    got = load_everything(qtbot, model)
    assert got == sql_ids(
        sessions, '"tenantId" = :t ORDER BY sector DESC NULLS FIRST, id DESC', t=tenant_id
    )
    model.sort(5, Qt.SortOrder.AscendingOrder)
    got = load_everything(qtbot, model)
    assert got == sql_ids(
        sessions, '"tenantId" = :t ORDER BY sector ASC NULLS LAST, id ASC', t=tenant_id
    )


def test_unsortable_column_falls_back_to_default_order(qtbot, sessions, tenant_id) -> None:
    model = PagedTableModel(client_query(tenant_id), sessions)
    model.sort(0, Qt.SortOrder.DescendingOrder)
    model.sort(8, Qt.SortOrder.AscendingOrder)  # phone is not sortable
    assert model.query.sort_key is None
    wait_idle(qtbot, model)
    assert model.row_id(0) == min(sql_ids(sessions, '"tenantId" = :t', t=tenant_id))


def test_filter_by_type_and_total(qtbot, table, sessions, tenant_id) -> None:
    _view, model = table
    wait_idle(qtbot, model)
    with qtbot.waitSignal(model.totalChanged, timeout=10_000) as signal:
        model.set_filter("type", "individual")
    expected = sql_ids(
        sessions, "\"tenantId\" = :t AND type = 'individual' ORDER BY id", t=tenant_id
    )
    assert signal.args == [len(expected)]
    assert model.total == len(expected)
    assert load_everything(qtbot, model) == expected
    assert {model.row_values(r)["type"] for r in range(model.rowCount())} == {"individual"}
    with qtbot.waitSignal(model.totalChanged, timeout=10_000) as signal:
        model.set_filter("type", None)
    assert signal.args == [N_CLIENTS + 1]


def test_total_arrives_and_survives_a_resort(qtbot, sessions, tenant_id) -> None:
    model = PagedTableModel(client_query(tenant_id), sessions)
    with qtbot.waitSignal(model.totalChanged, timeout=10_000) as signal:
        model.fetchMore()
    assert signal.args == [N_CLIENTS + 1]
    model.sort(0, Qt.SortOrder.AscendingOrder)
    wait_idle(qtbot, model)
    assert model.total == N_CLIENTS + 1  # a sort does not change the count: not recounted


def slow_counts(monkeypatch, seconds: list[float]) -> None:
    """Each count sleeps at the server for the next of `seconds` (then counts nothing)."""
    plain = PagedQuery.count_statement

    def slow(self):
        if not seconds:
            return plain(self)
        return select(func.count()).select_from(func.pg_sleep(seconds.pop(0)).alias("slow"))

    monkeypatch.setattr(PagedQuery, "count_statement", slow)


def test_a_count_that_times_out_says_so_and_the_list_still_loads(
    qtbot, sessions, tenant_id, monkeypatch
) -> None:
    monkeypatch.setattr(table_model, "COUNT_TIMEOUT_S", 0.2)
    slow_counts(monkeypatch, [5.0])
    model = PagedTableModel(client_query(tenant_id), sessions)
    with qtbot.waitSignal(model.countFailed, timeout=10_000) as failed:
        model.fetchMore()
    assert failed.args == [DatabaseUnavailable.NOT_ANSWERING]
    assert model.total is None and model.rowCount() > 0  # the first page is there all the same
    with qtbot.waitSignal(model.totalChanged, timeout=10_000):
        model.refresh()  # F5 counts again (the server answers in time now)


def test_a_new_filter_cancels_the_running_count_at_the_server(
    qtbot, engine, sessions, tenant_id, monkeypatch
) -> None:
    slow_counts(monkeypatch, [60.0])
    model = PagedTableModel(client_query(tenant_id), sessions)
    model.fetchMore()

    def sleeping() -> int:
        with engine.connect() as c:
            return c.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep%' "
                    "AND pid <> pg_backend_pid()"
                )
            )

    qtbot.waitUntil(lambda: sleeping() == 1, timeout=10_000)
    with qtbot.waitSignal(model.totalChanged, timeout=10_000):
        model.set_filter("type", "company")
    qtbot.waitUntil(lambda: sleeping() == 0, timeout=5_000)


@pytest.mark.parametrize(
    ("typed", "column"),
    [
        ("persaud hold", "name"),
        ("SINGH", "name"),
        ("contact1234@", "email"),
        ("100045", "tin"),
        ("NIS-0012", "nis"),
    ],
)
def test_debounced_search(qtbot, table, sessions, tenant_id, statements, typed, column) -> None:
    _view, model = table
    wait_idle(qtbot, model)
    statements.clear()
    for i in range(1, len(typed) + 1):  # keystrokes faster than the debounce: one query
        model.set_search(typed[:i])
    assert model.query.search == ""
    qtbot.waitUntil(lambda: model.query.search == typed, timeout=5_000)
    wait_idle(qtbot, model)
    qtbot.waitUntil(lambda: model.total is not None, timeout=10_000)
    got = load_everything(qtbot, model)
    searches = [sql for sql in statements if "ILIKE" in sql.upper()]
    pattern = f"%{typed}%"
    expected = sql_ids(
        sessions,
        '"tenantId" = :t AND (name ILIKE :p OR email ILIKE :p OR tin ILIKE :p '
        'OR "nisNumber" ILIKE :p) ORDER BY id',
        t=tenant_id,
        p=pattern,
    )
    assert expected and got == expected
    assert model.total == len(expected)
    fragment = typed.lower()
    for r in range(model.rowCount()):
        values = model.row_values(r)
        assert any(fragment in (values[k] or "").lower() for k in ("name", "email", "tin", "nis"))
    assert any(fragment in (model.row_values(r)[column] or "").lower() for r in range(len(got)))
    # Queries for the finished term only, none for the partial ones typed before it; and a count
    # only when the matches do not fit on the first page (else that page is the total).
    assert searches and all(f"'%%{typed}%%'" in sql for sql in searches)
    counts = [sql for sql in searches if "count(" in sql]
    assert len(counts) == (0 if len(expected) <= 200 else 1)
    # Clearing the search brings every row back.
    model.set_search("")
    qtbot.waitUntil(lambda: model.total == N_CLIENTS + 1, timeout=10_000)


def test_stale_results_are_dropped(qtbot, sessions, tenant_id) -> None:
    """Filters changed faster than the queries answer: only the last one's rows and total show."""
    model = PagedTableModel(client_query(tenant_id), sessions)
    model.fetchMore()
    model.set_filter("type", "company")
    model.set_filter("risk", "low")
    model.set_filter("type", "individual")
    expected = sql_ids(
        sessions,
        "\"tenantId\" = :t AND type = 'individual' AND \"riskLevel\" = 'low' ORDER BY id",
        t=tenant_id,
    )
    qtbot.waitUntil(lambda: model.total is not None and not model.loading, timeout=10_000)
    assert model.total == len(expected)
    assert load_everything(qtbot, model) == expected


def test_refresh_shows_new_rows(qtbot, sessions, tenant_id) -> None:
    model = PagedTableModel(client_query(tenant_id), sessions)
    model.sort(0, Qt.SortOrder.AscendingOrder)
    qtbot.waitUntil(lambda: model.total == N_CLIENTS + 1, timeout=10_000)
    with sessions() as s:
        s.add(Client(tenant_id=tenant_id, name="000 First", type="company"))
        s.commit()
    model.refresh()
    qtbot.waitUntil(lambda: model.total == N_CLIENTS + 2, timeout=10_000)
    wait_idle(qtbot, model)
    assert model.index(0, 0).data() == "000 First"


def test_a_failing_query_reports_and_stops(qtbot, engine, tenant_id) -> None:
    def broken() -> Session:
        raise RuntimeError("no connection")

    model = PagedTableModel(client_query(tenant_id), broken)
    with qtbot.waitSignal(model.failed, timeout=10_000) as signal:
        model.fetchMore()
    # A plain sentence: the error's own text (it may hold SQL) stays in the log.
    assert signal.args[0] == UNEXPECTED and "no connection" not in signal.args[0]
    assert not model.loading and not model.canFetchMore()
    query_pool().waitForDone()


def test_quitting_while_a_page_loads_ends_the_query_quietly(
    qtbot, engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    """Issue 11: the app quits while a page is loading and the embedded server stops under the
    query (AdminShutdown): no traceback in the log, no message, no late rows."""
    import threading
    from contextlib import contextmanager

    from gcmc_desktop.views import table_model

    started = threading.Event()

    @contextmanager
    def slow_sessions() -> Iterator[Session]:
        with Session(engine) as session:
            started.set()
            session.execute(text("SELECT pg_sleep(60)"))  # the server goes away meanwhile
            yield session

    with session_factory(engine)() as s:
        tenant = Tenant(name="Quit", code="quit")
        s.add(tenant)
        s.commit()
        tenant_id = tenant.id
    model = PagedTableModel(client_query(tenant_id), slow_sessions)
    failures: list[str] = []
    model.failed.connect(failures.append)
    model.fetchMore()
    assert started.wait(10)
    try:
        table_model.end_background_queries()  # what QCoreApplication.aboutToQuit calls
        with engine.connect() as conn:  # as a server shutdown does to every backend
            qtbot.waitUntil(
                lambda: bool(
                    conn.scalar(
                        text(
                            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                            "WHERE query = 'SELECT pg_sleep(60)'"
                        )
                    )
                ),
                timeout=5000,
            )
        assert query_pool().waitForDone(10_000)
        qtbot.wait(50)
    finally:
        table_model._closing.clear()
    assert not [r for r in caplog.records if r.levelname in ("ERROR", "CRITICAL")]
    assert failures == []
    assert model.rowCount() == 0


def test_a_failing_page_is_still_reported_while_the_app_runs(
    qtbot, engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    """The quiet ending is for quitting only: a real failure still reaches the user."""
    query = PagedQuery(
        select(Client),
        [ColumnSpec("nope", "Nope", literal_column("no_such_column"), nullable=True)],
        id_column=Client.id,
    )
    model = PagedTableModel(query, session_factory(engine))
    with qtbot.waitSignal(model.failed, timeout=10_000) as blocker:
        model.fetchMore()
    assert blocker.args and blocker.args[0]
