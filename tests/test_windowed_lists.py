"""Issue 11: lists jump anywhere. `PagedQuery.read_range` reads rows by position next to the
nearest known row and gives exactly SQL's `OFFSET n LIMIT m` rows, in every order (NULLs
included) and through every search path; `survey` counts and anchors a list in one pass; the
model holds the whole list once counted, shows placeholders until a page arrives, fetches the
pages the view shows (Ctrl+End, a scroll bar drag) and keeps only a bounded number in memory.
Staff read by position through row-level security like any other page."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import re
from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QTableView
from sqlalchemy import Engine, event, select, text

from gcmc_desktop.models import Client
from gcmc_desktop.services.paging import PagedQuery
from gcmc_desktop.views.kit.list_page import list_table
from gcmc_desktop.views.table_model import PLACEHOLDER, PagedTableModel

from .test_table_model import (  # noqa: F401 (fixtures)
    N_CLIENTS,
    SEARCH_COLUMNS,
    client_columns,
    client_query,
    sessions,
    sql_ids,
    tenant_id,
)

pytestmark = pytest.mark.gui

TOTAL = N_CLIENTS + 1
# (sort key, descending, SQL ORDER BY): NOT NULL and nullable columns, both directions.
ORDERS = [
    (None, False, "id"),
    ("name", False, "name, id"),
    ("name", True, "name DESC, id DESC"),
    ("sector", False, "sector ASC NULLS LAST, id"),
    ("sector", True, "sector DESC NULLS FIRST, id DESC"),
    ("email", True, "email DESC NULLS FIRST, id DESC"),
]
POSITIONS = [0, 1, 199, 200, 1234, 2399, 2400, 2600, TOTAL - 201, TOTAL - 5]


def offset_ids(firm, order: str, start: int, limit: int, where: str = "") -> list[int]:
    return sql_ids(
        firm,
        f'"tenantId" = :t {where} ORDER BY {order} OFFSET {start} LIMIT {limit}',
        t=firm.tenant,
    )


@pytest.fixture
def firm(sessions, tenant_id):  # noqa: F811
    sessions.tenant = tenant_id
    return sessions


@pytest.mark.parametrize(("key", "descending", "order"), ORDERS)
def test_read_range_is_sql_offset_from_any_anchor(firm, key, descending, order) -> None:
    query = client_query(firm.tenant)
    query.set_sort(key, descending)
    with firm() as s:
        survey = query.survey(s, 500)
        assert survey.total == TOTAL == query.count(s)
        # An anchor every 500 rows and the last row, each the row SQL has at that position.
        positions = [a.position for a in survey.anchors]
        assert positions == [*range(499, TOTAL - 1, 500), TOTAL - 1]
        for anchor in survey.anchors[::2]:
            assert [anchor.cursor.id] == offset_ids(firm, order, anchor.position, 1)
        for start in POSITIONS:
            expected = offset_ids(firm, order, start, 200)
            # From the start only, from the end (total known), and from the survey's anchors.
            plain = query.read_range(s, start, 200)
            from_end = query.read_range(s, start, 200, total=TOTAL)
            anchored = query.read_range(s, start, 200, anchors=survey.anchors, total=TOTAL)
            for page in (plain, from_end, anchored):
                assert page.ids == expected, (start, page.start)
                assert page.start == start
                assert [r[0] for r in page.rows] == [
                    v["name"] for v in page.dicts()
                ]  # rows and ids stay aligned
            # The page's edges are anchors of their own: reading on from them is keyset.
            assert anchored.head.id == expected[0] and anchored.cursor.id == expected[-1]
            after = query.next_page(s, anchored.cursor, 50)
            assert after.ids == offset_ids(firm, order, start + len(expected), 50)


def test_read_range_searches_through_every_search_path(firm) -> None:
    """Rare terms page over the probed ids, frequent ones scan in list order, else all the
    function's ids: a position is the same row whichever path serves it."""
    pattern = "%holdings%"
    where = 'AND (name ILIKE :p OR email ILIKE :p OR tin ILIKE :p OR "nisNumber" ILIKE :p)'

    def search_ids(term: str, limit: int | None):
        stmt = select(Client.id).where(
            Client.tenant_id == firm.tenant,
            Client.name.ilike(f"%{term}%"),
        )
        return stmt.limit(limit) if limit is not None else stmt

    with firm() as s:
        expected_all = list(
            s.scalars(
                text(f'SELECT id FROM clients WHERE "tenantId" = :t {where} ORDER BY name, id'),
                {"t": firm.tenant, "p": pattern},
            )
        )
    assert len(expected_all) > 600
    for cap, scan in ((5000, None), (10, 100_000), (10, 50)):
        base = select(Client).where(Client.tenant_id == firm.tenant)
        query = PagedQuery(
            base,
            client_columns(),
            search_columns=(Client.name,),
            search_ids=search_ids,
            search_cap=cap,
            search_scan=scan,
            sort_key="name",
        )
        query.set_search("holdings")
        with firm() as s:
            survey = query.survey(s, 100)
            total = survey.total
            assert total == len(expected_all) == query.count(s)
            for start in (0, 150, total // 2, total - 20):
                for anchors in ((), survey.anchors):
                    page = query.read_range(s, start, 40, anchors=anchors, total=total)
                    assert page.ids == expected_all[start : start + 40], (cap, scan, start)


def test_read_range_past_the_end_and_on_an_empty_list(firm) -> None:
    query = client_query(firm.tenant)
    with firm() as s:
        assert query.read_range(s, TOTAL, 200, total=TOTAL).ids == []
        assert query.read_range(s, TOTAL + 500, 200).ids == []
        tail = query.read_range(s, TOTAL - 3, 200)
        assert tail.ids == offset_ids(firm, "id", TOTAL - 3, 200) and tail.done
        query.set_filter("type", "nothing-like-this")
        assert query.survey(s, 10).total == 0
        assert query.read_range(s, 0, 10).ids == []
    with pytest.raises(ValueError, match="start"):
        query.read_range(None, -1, 10)  # type: ignore[arg-type]


# -- the model under a view ------------------------------------------------------------------


@pytest.fixture
def offsets(engine: Engine) -> Iterator[list[int]]:
    """The OFFSET of every statement sent (0 when it has none)."""
    seen: list[int] = []

    def capture(conn, cursor, statement, parameters, context, executemany) -> None:
        match = re.search(r"OFFSET %\((\w+)\)s", statement)
        seen.append(int(parameters[match.group(1)]) if match else 0)

    event.listen(engine, "before_cursor_execute", capture)
    yield seen
    event.remove(engine, "before_cursor_execute", capture)


def shown_rows(view: QTableView) -> range:
    model = view.model()
    top = max(view.rowAt(0), 0)
    bottom = view.rowAt(view.viewport().height() - 1)
    return range(top, (model.rowCount() - 1 if bottom < 0 else bottom) + 1)


def wait_shown(qtbot, view: QTableView) -> range:
    model = view.model()
    qtbot.waitUntil(lambda: all(model.row_loaded(r) for r in shown_rows(view)), timeout=10_000)
    rows = shown_rows(view)
    assert all(model.index(r, 0).data() != PLACEHOLDER for r in rows)
    return rows


@pytest.fixture
def window(qtbot, firm) -> tuple[QTableView, PagedTableModel]:
    model = PagedTableModel(client_query(firm.tenant), firm, survey_stride=300)
    model.sort(0, Qt.SortOrder.AscendingOrder)
    view = list_table(model)  # the table every list page shows
    qtbot.addWidget(view)
    view.resize(900, 600)
    view.show()
    qtbot.waitUntil(lambda: model.total is not None, timeout=10_000)
    return view, model


def test_the_whole_list_once_counted_with_placeholders(qtbot, window) -> None:
    _view, model = window
    assert model.rowCount() == TOTAL
    assert not model.canFetchMore()  # nothing to grow: every row is there
    far = model.index(2500, 0)
    assert far.data() == PLACEHOLDER  # not loaded yet (and now asked for)
    assert far.data(Qt.ItemDataRole.UserRole) is None
    assert model.row_id(2500) is None and model.row_values(2500)["name"] is None
    qtbot.waitUntil(lambda: model.row_loaded(2500), timeout=10_000)
    assert far.data() == model.row_values(2500)["name"] != PLACEHOLDER
    assert model.row_of(model.row_id(2500)) == 2500


def test_ctrl_end_shows_the_last_rows(qtbot, window, firm, offsets) -> None:
    view, model = window
    wait_shown(qtbot, view)
    offsets.clear()
    view.setCurrentIndex(model.index(0, 0))  # Qt moves from the current row (none: to row 0)
    QTest.keyClick(view, Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier)
    rows = wait_shown(qtbot, view)
    assert rows[-1] == TOTAL - 1
    expected = offset_ids(firm, "name, id", rows[0], len(rows))
    assert [model.row_id(r) for r in rows] == expected
    # The end is read backwards from the end of the list: no row skipped.
    assert max(offsets, default=0) == 0
    assert model.cached_rows <= 3 * model.page_size  # the first page and the end's, no more


@pytest.mark.parametrize("fraction", [0.37, 0.81])
def test_dragging_the_scroll_bar_shows_those_rows(qtbot, window, firm, offsets, fraction) -> None:
    view, model = window
    wait_shown(qtbot, view)
    bar = view.verticalScrollBar()
    bar.setValue(int(bar.maximum() * fraction))
    rows = wait_shown(qtbot, view)
    assert abs(rows[0] - fraction * TOTAL) < 100
    assert [model.row_id(r) for r in rows] == offset_ids(firm, "name, id", rows[0], len(rows))
    # Once the survey's anchors are in, a jump skips fewer rows than their spacing.
    qtbot.waitUntil(lambda: bool(model._anchors), timeout=10_000)
    offsets.clear()
    bar.setValue(int(bar.maximum() * 0.55))
    rows = wait_shown(qtbot, view)
    assert [model.row_id(r) for r in rows] == offset_ids(firm, "name, id", rows[0], len(rows))
    assert 0 < max(offsets) < 300


def test_memory_stays_bounded_and_dropped_rows_come_back(qtbot, firm) -> None:
    model = PagedTableModel(client_query(firm.tenant), firm, page_size=100, max_pages=3)
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(model)
    view.resize(600, 300)
    view.show()
    qtbot.waitUntil(lambda: model.total == TOTAL, timeout=10_000)
    first = model.row_id(0)
    for row in (500, 1200, 1900, 2600, TOTAL - 1):
        view.scrollTo(model.index(row, 0))
        wait_shown(qtbot, view)
        assert model.cached_rows <= 300
    assert not model.row_loaded(0) and model.row_of(first) is None  # dropped
    view.scrollToTop()
    rows = wait_shown(qtbot, view)
    assert model.row_id(0) == first
    assert [model.row_id(r) for r in rows] == offset_ids(firm, "id", 0, len(rows))


def test_a_new_sort_keeps_the_total_and_starts_at_the_top(qtbot, window, firm) -> None:
    view, model = window
    view.scrollToBottom()
    wait_shown(qtbot, view)
    counted: list[int] = []
    model.totalChanged.connect(counted.append)
    model.sort(5, Qt.SortOrder.DescendingOrder)  # sector: NULLs first
    assert model.total == TOTAL  # no recount for a new order
    # With the first page the whole list is there again, the view at its top.
    qtbot.waitUntil(lambda: model.rowCount() == TOTAL, timeout=10_000)
    rows = wait_shown(qtbot, view)
    assert counted == []
    assert rows[0] == 0
    expected = offset_ids(firm, "sector DESC NULLS FIRST, id DESC", 0, len(rows))
    assert [model.row_id(r) for r in rows] == expected
    view.setCurrentIndex(model.index(0, 0))
    QTest.keyClick(view, Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier)
    rows = wait_shown(qtbot, view)
    expected = offset_ids(firm, "sector DESC NULLS FIRST, id DESC", rows[0], len(rows))
    assert [model.row_id(r) for r in rows] == expected


def test_a_filter_recounts_and_the_list_shrinks(qtbot, window, firm) -> None:
    view, model = window
    with qtbot.waitSignal(model.totalChanged, timeout=10_000) as signal:
        model.set_filter("type", "individual")
    expected = sql_ids(firm, "\"tenantId\" = :t AND type = 'individual'", t=firm.tenant)
    assert signal.args == [len(expected)] and model.rowCount() == len(expected)
    view.scrollToBottom()
    rows = wait_shown(qtbot, view)
    assert [model.row_id(r) for r in rows] == offset_ids(
        firm, "name, id", rows[0], len(rows), "AND type = 'individual'"
    )
