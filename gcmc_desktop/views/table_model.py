"""The one table model every list view uses: a thin Qt adapter over a `PagedQuery`.

The first rows arrive a keyset page at a time (`canFetchMore`/`fetchMore`); once the exact total
is counted in the background, the model is the whole list: the scroll bar spans every row, and
the rows the view paints are read by position (`PagedQuery.read_range`) — Ctrl+End or a drag of
the scroll bar shows those rows after one short read, whatever the list's length. Rows not
loaded yet show a placeholder; a bounded number of pages stays in memory. Sorting, filtering
and searching re-query the server from the first page. Every query runs in a background job
with its own session, so the GUI thread never waits on the database.

Each reset (sort, filter, search, refresh) starts a new *generation*; results of jobs started for
an older one are dropped, so a late page never lands in a list that has moved on.
"""

from __future__ import annotations

import contextlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from functools import partial
from typing import Any

import shiboken6
from PySide6.QtCore import (
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QThreadPool,
    QTimer,
    Signal,
)
from PySide6.QtWidgets import QTableView
from sqlalchemy.orm import Session

from ..services.paging import Anchor, Page, PagedQuery
from .workers import QUITTING, Job, JobCancelled, JobControl, run_job

SessionProvider = Callable[[], AbstractContextManager[Session]]
AnyIndex = QModelIndex | QPersistentModelIndex

PAGE_SIZE = 200
# Pages kept in memory: 64 x 200 rows, a few MB whatever the list's length.
MAX_PAGES = 64
# The survey's anchor spacing: a page anywhere is then read past at most this many rows.
SURVEY_STRIDE = 1000
# Pages asked for by data() and not loaded yet that are still fetched (the most recent ones).
WANTED_PAGES = 4
# What a row shows until its page arrives.
PLACEHOLDER = "…"
SEARCH_DELAY_MS = 250
# The background count may run longer than an interactive statement (the session's 30 s): it
# holds up nobody, and a new filter, search or closing the list cancels it at the server.
COUNT_TIMEOUT_S = 300.0
_DISPLAY = Qt.ItemDataRole.DisplayRole.value
_USER = Qt.ItemDataRole.UserRole.value

_pool: QThreadPool | None = None
_survey_pool: QThreadPool | None = None
# Set once the application is quitting: a list query still running then fails when its server
# goes away (AdminShutdown from the embedded server), which is the end of it, not an error.
# The job runner's own flag: every background job ends quietly then (views/workers.py).
_closing = QUITTING


def query_pool() -> QThreadPool:
    """A pool of its own for list queries, so pages never queue behind uploads or reports on the
    global pool. Two threads: a slow count must not hold up the next page."""
    global _pool
    if _pool is None:
        _pool = QThreadPool()
        _pool.setMaxThreadCount(2)
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(end_background_queries)
    return _pool


def survey_pool() -> QThreadPool:
    """One thread for the surveys (a pass over the whole list each): they never hold up a page
    or a count."""
    global _survey_pool
    if _survey_pool is None:
        _survey_pool = QThreadPool()
        _survey_pool.setMaxThreadCount(1)
    return _survey_pool


def end_background_queries() -> None:
    """On quit: queued list queries never start, and running ones end quietly (no traceback,
    no message) when the database goes away under them."""
    _closing.set()
    for pool in (_pool, _survey_pool):
        if pool is not None:
            pool.clear()


def _quiet_on_exit(work: Callable[[JobControl], Any]) -> Callable[[JobControl], Any]:
    """A failure of a query nobody waits for any more — the app is quitting, or the model has
    moved on and cancelled it — ends the job as cancelled instead of failed."""

    def run(control: JobControl) -> Any:
        try:
            return work(control)
        except Exception:
            if _closing.is_set() or control.cancelled:
                raise JobCancelled() from None
            raise

    return run


class _Rows:
    """One cached page: raw values, display texts and ids of rows start … start + len - 1."""

    __slots__ = ("display", "head", "ids", "rows", "start", "tail")

    def __init__(
        self,
        start: int,
        rows: list[tuple[Any, ...]],
        display: list[tuple[str, ...]],
        ids: list[Any],
    ) -> None:
        self.start, self.rows, self.display, self.ids = start, rows, display, ids
        self.head: Anchor | None = None  # the first row's position and cursor
        self.tail: Anchor | None = None  # the last row's


class _Cancellable:
    """The database connection a long background query runs on, so that the GUI thread can
    cancel the statement at the server when its result is no longer wanted."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._connection: Any = None
        self._cancelled = False

    def attach(self, session: Session) -> None:
        with self._lock:
            self._connection = session.connection().connection.driver_connection
            if self._cancelled:
                raise JobCancelled()

    @property
    def cancelled(self) -> bool:
        return self._cancelled

    def detach(self) -> None:
        with self._lock:
            self._connection = None

    def cancel(self) -> None:
        with self._lock:
            self._cancelled = True
            connection = self._connection
        if connection is not None:
            with contextlib.suppress(Exception):
                connection.cancel()


def _on_server_connection(handle: _Cancellable, sessions: Callable[[], Any], read: Callable):
    """A background job's work that runs `read(session)` on a connection `handle` can cancel
    at the server; a statement the model cancelled ends the job quietly (nobody waits)."""

    def work(control: JobControl) -> Any:
        control.check()
        with sessions() as session:
            handle.attach(session)
            try:
                return read(session)
            except Exception:
                if handle.cancelled:
                    raise JobCancelled() from None
                raise
            finally:
                handle.detach()

    return work


class PagedTableModel(QAbstractTableModel):
    """A read-only table over a `PagedQuery`, loaded a page at a time in the background, for
    the rows the view looks at.

    Until the exact total is known (counted in the background after the first page), the
    model grows page by page as the view scrolls (`canFetchMore`/`fetchMore`). Once it is
    known, `rowCount()` is the total: the scroll bar spans the whole list, and Ctrl+End or a
    drag to any point asks (through `data()`) for the pages shown there. Those are read by
    position next to the nearest row whose position is known — a cached page, an anchor of the
    background survey (one every `SURVEY_STRIDE` rows), or either end of the list — see
    `PagedQuery.read_range`. Rows not loaded yet show `PLACEHOLDER` until their page arrives.
    At most `max_pages` pages stay in memory; the least recently shown are dropped.
    """

    totalChanged = Signal(int)  # the exact row count for the current filters/search
    countFailed = Signal(str)  # the background count could not finish (why, for the user)
    loadingChanged = Signal(bool)  # a page is being fetched
    pageLoaded = Signal(int)  # rows filled in by the page just arrived
    failed = Signal(str)  # a user-facing message

    def __init__(
        self,
        query: PagedQuery,
        sessions: SessionProvider,
        *,
        page_size: int = PAGE_SIZE,
        max_pages: int = MAX_PAGES,
        survey_stride: int = SURVEY_STRIDE,
        search_delay_ms: int = SEARCH_DELAY_MS,
        pool: QThreadPool | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._query = query
        self._sessions = sessions
        self._page_size = page_size
        self._max_pages = max(2, max_pages)
        self._stride = survey_stride
        self._pool = pool
        self._keys = tuple(spec.key for spec in query.columns)
        self._placeholder_row = tuple(PLACEHOLDER for _ in self._keys)
        self._empty_row = tuple("" for _ in self._keys)
        self._pages: OrderedDict[int, _Rows] = OrderedDict()  # least recently used first
        self._row_of: dict[Any, int] = {}
        self._count = 0  # rowCount(): the loaded prefix, or the total once it is known
        self._anchors: list[Anchor] = []  # from the survey of the current order
        self._wanted: OrderedDict[int, None] = OrderedDict()  # pages the view asked for
        self._pinned: OrderedDict[int, None] = OrderedDict()  # pages load_rows asked for
        self._inflight: int | None = None
        self._pump_queued = False
        self._done = False  # the last row is loaded (growing mode), or the total is known
        self._error: str | None = None
        self._total: int | None = None
        self._generation = 0
        self._count_generation = 0
        self._total_stale = True  # the next first page triggers a count
        self._page_job: Job | None = None
        self._count_job: _Cancellable | None = None
        self._survey: _Cancellable | None = None
        self._surveyed = -1  # the generation whose survey was started
        self._pending_search = query.search
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(search_delay_ms)
        self._search_timer.timeout.connect(self._apply_search)

    # -- state ---------------------------------------------------------------------------------

    @property
    def query(self) -> PagedQuery:
        return self._query

    @property
    def loading(self) -> bool:
        return self._inflight is not None

    @property
    def total(self) -> int | None:
        """The exact count once the background count has finished, else None."""
        return self._total

    @property
    def all_loaded(self) -> bool:
        """Every row of the list is in memory (for a short list; a long one keeps a window)."""
        return self._done and all(
            self.row_loaded(r) for r in range(0, self._count, self._page_size)
        )

    @property
    def error(self) -> str | None:
        return self._error

    @property
    def page_size(self) -> int:
        return self._page_size

    @property
    def cached_rows(self) -> int:
        """How many rows are in memory (at most `max_pages` pages)."""
        return sum(len(page.ids) for page in self._pages.values())

    def row_loaded(self, row: int) -> bool:
        return (row // self._page_size) in self._pages

    def _cached(self, row: int) -> tuple[_Rows, int] | None:
        page = self._pages.get(row // self._page_size)
        if page is None:
            return None
        offset = row - page.start
        return (page, offset) if 0 <= offset < len(page.ids) else None

    def row_id(self, row: int) -> Any:
        """The id shown in `row`; None while its page is not loaded."""
        hit = self._cached(row)
        return hit[0].ids[hit[1]] if hit else None

    def row_values(self, row: int) -> dict[str, Any]:
        """The raw values of a row by column key, plus "id" (all None while not loaded)."""
        hit = self._cached(row)
        if hit is None:
            return {"id": None, **dict.fromkeys(self._keys)}
        page, offset = hit
        return {"id": page.ids[offset], **dict(zip(self._keys, page.rows[offset], strict=True))}

    def loaded_ids(self) -> list[Any]:
        """The ids of the rows in memory (at most `max_pages` pages)."""
        return [ident for page in self._pages.values() for ident in page.ids]

    def row_of(self, row_id: Any) -> int | None:
        """The loaded row showing `row_id`, if any."""
        return self._row_of.get(row_id)

    def load_rows(self, first: int, last: int) -> None:
        """Load the pages of rows first … last (e.g. for an export or a test), whether shown or
        not. Pages beyond `max_pages` push out the earliest ones."""
        for number in range(max(first, 0) // self._page_size, last // self._page_size + 1):
            if number not in self._pages and number * self._page_size < max(self._count, 1):
                self._pinned[number] = None
        self._schedule()

    # -- Qt model ------------------------------------------------------------------------------

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self._count

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._keys)

    def data(self, index: AnyIndex, role: int = _DISPLAY) -> Any:
        # Called about a dozen times per visible cell on every paint, mostly for roles this model
        # has nothing for: plain int comparisons first, enum lookups and index checks after.
        if role == _DISPLAY:
            if index.isValid():
                row = index.row()
                page = self._pages.get(row // self._page_size)
                if page is None:
                    self._want(row // self._page_size)
                    return PLACEHOLDER
                offset = row - page.start
                if offset < len(page.display):
                    return page.display[offset][index.column()]
                return ""
        elif role == _USER and index.isValid():
            row = index.row()
            page = self._pages.get(row // self._page_size)
            if page is not None and row - page.start < len(page.rows):
                return page.rows[row - page.start][index.column()]
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = _DISPLAY) -> Any:
        if role == _DISPLAY:
            if orientation == Qt.Orientation.Vertical:
                return section + 1
            if 0 <= section < len(self._keys):
                return self._query.columns[section].title
        return None

    def canFetchMore(self, parent: AnyIndex = QModelIndex()) -> bool:  # noqa: B008
        """While the total is not known: whether rows after the loaded ones may exist."""
        if parent.isValid():
            return False
        return not (self._done or self.loading or self._error)

    def fetchMore(self, parent: AnyIndex = QModelIndex()) -> None:  # noqa: B008
        if self.canFetchMore(parent):
            self._pinned[self._count // self._page_size] = None
            self._pump()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Server-side sort; a column that cannot be sorted (or -1) means the default order."""
        key = None
        if 0 <= column < len(self._keys) and self._query.columns[column].sortable:
            key = self._keys[column]
        descending = order == Qt.SortOrder.DescendingOrder and key is not None
        if (key, descending) != (self._query.sort_key, self._query.descending):
            self._query.set_sort(key, descending)
            self._restart(recount=False)

    # -- filters, search, refresh --------------------------------------------------------------

    def set_filter(self, key: str, value: Any) -> None:
        """Equality filter (a list/tuple means "any of"); None removes it. Reloads."""
        self.set_filters({key: value})

    def set_filters(self, filters: Mapping[str, Any]) -> None:
        """Several filters with one reload."""
        current = self._query.filters
        if all(current.get(key) == value for key, value in filters.items()):
            return
        for key, value in filters.items():
            self._query.set_filter(key, value)
        self._restart()

    def set_search(self, text: str) -> None:
        """Search as the user types: the query runs once typing pauses for the debounce delay."""
        self._pending_search = text
        self._search_timer.start()  # restarts a running timer

    def flush_search(self) -> None:
        """Apply a pending search now (e.g. on Enter)."""
        if self._search_timer.isActive():
            self._search_timer.stop()
            self._apply_search()

    def refresh(self) -> None:
        """Drop what is loaded and read the first page and the total again."""
        self._restart()

    def _apply_search(self) -> None:
        if self._pending_search.strip() == self._query.search:
            return
        self._query.set_search(self._pending_search)
        self._restart()

    # -- loading -------------------------------------------------------------------------------

    def _restart(self, *, recount: bool = True) -> None:
        # A new generation: whatever older jobs return is dropped (and, if they have not started
        # yet, they do not run at all).
        self._generation += 1
        if self._page_job is not None:
            self._page_job.control.cancel()
            self._page_job = None
        self._cancel_survey()
        self.beginResetModel()
        self._pages.clear()
        self._row_of.clear()
        self._anchors = []
        self._wanted.clear()
        self._pinned.clear()
        self._error = None
        if recount:
            self._invalidate_total()
        # Empty until the first page: the view goes back to its top. A new order of the same
        # rows keeps the total, and the whole list is there again with that page.
        self._count = 0
        self._done = False
        self._set_inflight(None)
        self.endResetModel()
        self._pinned[0] = None
        self._pump()

    def _want(self, number: int) -> None:
        """data() met a row of page `number` that is not loaded: fetch it soon. Only the pages
        asked for most recently are kept (a drag over the scroll bar passes many)."""
        if self._error is not None or number == self._inflight:
            return
        self._wanted[number] = None
        self._wanted.move_to_end(number)
        while len(self._wanted) > WANTED_PAGES:
            self._wanted.popitem(last=False)
        self._schedule()

    def _schedule(self) -> None:
        # After the paint that asked: one decision for all the cells it painted.
        if not self._pump_queued:
            self._pump_queued = True
            QTimer.singleShot(0, self, self._pump)

    def _next_page(self) -> int | None:
        for queue in (self._wanted, self._pinned):
            while queue:
                number, _ = queue.popitem(last=queue is self._wanted)
                if number not in self._pages and number != self._inflight:
                    return number
        return None

    def _pump(self) -> None:
        self._pump_queued = False
        if not self._alive() or self._inflight is not None or self._error is not None:
            return
        number = self._next_page()
        if number is not None:
            self._load_page(number)

    def _known_anchors(self) -> list[Anchor]:
        """Rows whose position is known: the survey's and the edges of the cached pages."""
        anchors = list(self._anchors)
        for page in self._pages.values():
            if page.head is not None:
                anchors.append(page.head)
            if page.tail is not None:
                anchors.append(page.tail)
        return anchors

    def _load_page(self, number: int) -> None:
        generation = self._generation
        query = self._query.clone()
        start, limit, sessions = number * self._page_size, self._page_size, self._sessions
        total = self._total
        anchors = self._known_anchors()

        def work(control: JobControl) -> tuple[Page, list[tuple[str, ...]]]:
            control.check()
            with sessions() as session:
                page = query.read_range(session, start, limit, anchors=anchors, total=total)
            # Formatted here, off the GUI thread, so data() is a plain lookup while painting.
            specs = query.columns
            display = [
                tuple(spec.format(value) for spec, value in zip(specs, row, strict=True))
                for row in page.rows
            ]
            return page, display

        self._set_inflight(number)
        self._page_job = run_job(
            _quiet_on_exit(work),
            on_done=partial(self._page_arrived, generation, number),
            on_error=partial(self._page_failed, generation),
            pool=self._pool_to_use(),
        )

    def _alive(self) -> bool:
        """False once Qt has deleted the model (its view closed while a job still ran): late
        results are then dropped instead of calling into a deleted object."""
        return shiboken6.isValid(self)

    def _page_arrived(
        self, generation: int, number: int, result: tuple[Page, list[tuple[str, ...]]]
    ) -> None:
        if generation != self._generation or not self._alive():
            return
        page, display = result
        self._page_job = None
        start = number * self._page_size
        cached = _Rows(start, page.rows, display, page.ids)
        cached.head = Anchor(start, page.head) if page.head is not None else None
        cached.tail = (
            Anchor(start + len(page.ids) - 1, page.cursor)
            if page.ids and page.cursor is not None
            else None
        )
        self._store(number, cached)
        end = start + len(page.ids)
        if not self._done:
            # Growing: the page extends the rows shown (to the whole list if it is counted).
            grown = end if page.done or self._total is None else max(self._total, end)
            if grown > self._count:
                self.beginInsertRows(QModelIndex(), self._count, grown - 1)
                self._count = grown
                self.endInsertRows()
            self._done = page.done or self._total is not None
        elif page.ids:
            last = self.columnCount() - 1
            self.dataChanged.emit(self.index(start, 0), self.index(end - 1, last))
        self._set_inflight(None)
        self.pageLoaded.emit(len(page.rows))
        if self._total_stale:
            self._total_stale = False
            if number == 0 and page.done:  # everything fits on one page: no count needed
                self._set_total(len(page.rows))
            else:
                # After the rows just inserted have been painted.
                QTimer.singleShot(0, self, partial(self._start_count, self._count_generation))
        elif self._total is not None:
            self._start_survey(generation)
        self._pump()

    def _store(self, number: int, page: _Rows) -> None:
        old = self._pages.pop(number, None)
        if old is not None:
            self._forget(old)
        self._pages[number] = page
        for offset, row_id in enumerate(page.ids):
            self._row_of[row_id] = page.start + offset
        while len(self._pages) > self._max_pages:
            _number, evicted = self._pages.popitem(last=False)
            self._forget(evicted)

    def _forget(self, page: _Rows) -> None:
        for offset, row_id in enumerate(page.ids):
            if self._row_of.get(row_id) == page.start + offset:
                del self._row_of[row_id]

    def _page_failed(self, generation: int, message: str) -> None:
        if generation != self._generation or not self._alive():
            return
        self._page_job = None
        self._error = message  # stops further loads in a loop; refresh() clears it
        self._set_inflight(None)
        self.failed.emit(message)

    def _invalidate_total(self) -> None:
        # Per filter/search generation: a new sort does not change the total. The count starts
        # only once the first page is in: on a busy server it would otherwise compete with the
        # one query the user is waiting for.
        self._count_generation += 1
        if self._count_job is not None:
            self._count_job.cancel()
            self._count_job = None
        self._total = None
        self._total_stale = True

    def _start_count(self, generation: int) -> None:
        if generation != self._count_generation:
            return
        query = self._query.clone()
        handle = self._count_job = _Cancellable()
        work = _on_server_connection(
            handle,
            self._sessions,
            lambda session: query.count(session, parallel=False, timeout_s=COUNT_TIMEOUT_S),
        )
        run_job(
            _quiet_on_exit(work),
            on_done=partial(self._count_arrived, generation),
            on_error=partial(self._count_failed, generation),
            pool=self._pool_to_use(),
        )

    def _count_arrived(self, generation: int, total: int) -> None:
        if generation != self._count_generation or not self._alive():
            return
        self._count_job = None
        if not self._done:
            # The whole list from now on: rows not loaded yet show placeholders.
            if total > self._count:
                self.beginInsertRows(QModelIndex(), self._count, total - 1)
                self._count = total
                self.endInsertRows()
            elif total < self._count:  # rows deleted since those pages were read
                self.beginRemoveRows(QModelIndex(), total, self._count - 1)
                self._count = total
                self.endRemoveRows()
        self._done = True
        self._set_total(total)
        self._start_survey(self._generation)

    def _count_failed(self, generation: int, message: str) -> None:
        # The list stays usable without its total (it grows page by page as before); the page
        # says the count is unavailable instead of waiting for it forever.
        if generation != self._count_generation or not self._alive():
            return
        self._count_job = None
        self.countFailed.emit(message)

    def _start_survey(self, generation: int) -> None:
        """Anchors every `survey_stride` rows of the current order, in the background on a
        pool of its own (pages never wait behind it); cancelled at the server when the order
        or the rows change."""
        total = self._total
        if (
            generation != self._generation
            or generation == self._surveyed
            or total is None
            or total <= self._stride
            or not self._alive()
        ):
            return
        self._surveyed = generation
        query, sessions, stride = self._query.clone(), self._sessions, self._stride
        handle = self._survey = _Cancellable()
        work = _on_server_connection(
            handle, sessions, lambda session: query.survey(session, stride, parallel=False).anchors
        )
        run_job(
            _quiet_on_exit(work),
            on_done=partial(self._survey_arrived, generation, handle),
            on_error=partial(self._survey_failed, handle),
            pool=survey_pool(),
        )

    def _survey_arrived(self, generation: int, handle: _Cancellable, anchors: list[Anchor]) -> None:
        if not self._alive() or handle is not self._survey:
            return
        self._survey = None
        if generation == self._generation:
            self._anchors = anchors

    def _survey_failed(self, handle: _Cancellable, _message: str) -> None:
        # Only an aid to jumping: without it, pages are read from the nearest known row.
        if self._alive() and handle is self._survey:
            self._survey = None

    def _cancel_survey(self) -> None:
        if self._survey is not None:
            self._survey.cancel()
            self._survey = None

    def _set_total(self, total: int) -> None:
        self._total = total
        self.totalChanged.emit(total)

    def _set_inflight(self, number: int | None) -> None:
        was = self._inflight is not None
        self._inflight = number
        if was != (number is not None):
            self.loadingChanged.emit(number is not None)

    def _pool_to_use(self) -> QThreadPool:
        return self._pool or query_pool()


MAX_FITTED_WIDTH = 360


def fit_columns(view: QTableView, *, cap: int = MAX_FITTED_WIDTH) -> None:
    """Widen each visible column that is narrower than its header and the rows shown (up to
    `cap` pixels: one long title must not push every other column off screen). Never narrows
    a column: a width the user chose wider stays."""
    header = view.horizontalHeader()
    model = view.model()
    if model is None:
        return
    last = header.count() - 1
    for column in range(model.columnCount()):
        if view.isColumnHidden(column):
            continue
        if column == last and header.stretchLastSection():
            continue  # it takes the remaining space anyway
        wanted = min(max(view.sizeHintForColumn(column), header.sectionSizeHint(column)), cap)
        if header.sectionSize(column) < wanted:
            header.resizeSection(column, wanted)


def fit_columns_on_load(view: QTableView, model: PagedTableModel) -> None:
    """Fit the columns (see `fit_columns`) whenever a page of rows arrives, so values such as
    statuses and dates are never cut."""
    model.pageLoaded.connect(lambda _rows: shiboken6.isValid(view) and fit_columns(view))
