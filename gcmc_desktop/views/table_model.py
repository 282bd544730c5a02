"""The one table model every list view uses: a thin Qt adapter over a `PagedQuery`.

Rows arrive a keyset page at a time as the view scrolls (`canFetchMore`/`fetchMore`); sorting,
filtering and searching re-query the server from the first page; the exact total is counted in
the background. Every query runs in a background job with its own session, so the GUI thread
never waits on the database — on a fast server a page is one short index scan and shows up within
milliseconds, and on a slow link the list stays responsive meanwhile.

Each reset (sort, filter, search, refresh) starts a new *generation*; results of jobs started for
an older one are dropped, so a late page never lands in a list that has moved on.
"""

from __future__ import annotations

import threading
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

from ..services.paging import Cursor, Page, PagedQuery
from .workers import Job, JobCancelled, JobControl, run_job

SessionProvider = Callable[[], AbstractContextManager[Session]]
AnyIndex = QModelIndex | QPersistentModelIndex

PAGE_SIZE = 200
SEARCH_DELAY_MS = 250
_DISPLAY = Qt.ItemDataRole.DisplayRole.value
_USER = Qt.ItemDataRole.UserRole.value

_pool: QThreadPool | None = None
# Set once the application is quitting: a list query still running then fails when its server
# goes away (AdminShutdown from the embedded server), which is the end of it, not an error.
_closing = threading.Event()


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


def end_background_queries() -> None:
    """On quit: queued list queries never start, and running ones end quietly (no traceback,
    no message) when the database goes away under them."""
    _closing.set()
    if _pool is not None:
        _pool.clear()


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


class PagedTableModel(QAbstractTableModel):
    """A read-only table over a `PagedQuery`, loaded page by page in the background."""

    totalChanged = Signal(int)  # the exact row count for the current filters/search
    loadingChanged = Signal(bool)  # a page is being fetched
    pageLoaded = Signal(int)  # rows added by the page just shown
    failed = Signal(str)  # a user-facing message

    def __init__(
        self,
        query: PagedQuery,
        sessions: SessionProvider,
        *,
        page_size: int = PAGE_SIZE,
        search_delay_ms: int = SEARCH_DELAY_MS,
        pool: QThreadPool | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._query = query
        self._sessions = sessions
        self._page_size = page_size
        self._pool = pool
        self._keys = tuple(spec.key for spec in query.columns)
        self._rows: list[tuple[Any, ...]] = []
        self._display: list[tuple[str, ...]] = []
        self._ids: list[Any] = []
        self._cursor: Cursor | None = None
        self._done = False
        self._loading = False
        self._error: str | None = None
        self._total: int | None = None
        self._generation = 0
        self._count_generation = 0
        self._total_stale = True  # the next first page triggers a count
        self._page_job: Job | None = None
        self._count_job: Job | None = None
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
        return self._loading

    @property
    def total(self) -> int | None:
        """The exact count once the background count has finished, else None."""
        return self._total

    @property
    def all_loaded(self) -> bool:
        return self._done

    @property
    def error(self) -> str | None:
        return self._error

    def row_id(self, row: int) -> Any:
        return self._ids[row]

    def row_values(self, row: int) -> dict[str, Any]:
        """The raw values of a row by column key, plus "id"."""
        return {"id": self._ids[row], **dict(zip(self._keys, self._rows[row], strict=True))}

    def row_of(self, row_id: Any) -> int | None:
        """The loaded row showing `row_id`, if any."""
        try:
            return self._ids.index(row_id)
        except ValueError:
            return None

    # -- Qt model ------------------------------------------------------------------------------

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._keys)

    def data(self, index: AnyIndex, role: int = _DISPLAY) -> Any:
        # Called about a dozen times per visible cell on every paint, mostly for roles this model
        # has nothing for: plain int comparisons first, enum lookups and index checks after.
        if role == _DISPLAY:
            if index.isValid():
                return self._display[index.row()][index.column()]
        elif role == _USER and index.isValid():
            return self._rows[index.row()][index.column()]
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = _DISPLAY) -> Any:
        if role == _DISPLAY:
            if orientation == Qt.Orientation.Vertical:
                return section + 1
            if 0 <= section < len(self._keys):
                return self._query.columns[section].title
        return None

    def canFetchMore(self, parent: AnyIndex = QModelIndex()) -> bool:  # noqa: B008
        if parent.isValid():
            return False
        return not (self._done or self._loading or self._error)

    def fetchMore(self, parent: AnyIndex = QModelIndex()) -> None:  # noqa: B008
        if self.canFetchMore(parent):
            self._load_page()

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
        self.beginResetModel()
        self._rows, self._display, self._ids = [], [], []
        self._cursor = None
        self._done = False
        self._error = None
        self._set_loading(False)
        self.endResetModel()
        if recount:
            self._invalidate_total()
        self._load_page()

    def _load_page(self) -> None:
        generation = self._generation
        query = self._query.clone()
        cursor, limit, sessions = self._cursor, self._page_size, self._sessions

        def work(control: JobControl) -> tuple[Page, list[tuple[str, ...]]]:
            control.check()
            with sessions() as session:
                if cursor is None:
                    page = query.first_page(session, limit)
                else:
                    page = query.next_page(session, cursor, limit)
            # Formatted here, off the GUI thread, so data() is a plain lookup while painting.
            specs = query.columns
            display = [
                tuple(spec.format(value) for spec, value in zip(specs, row, strict=True))
                for row in page.rows
            ]
            return page, display

        self._set_loading(True)
        self._page_job = run_job(
            _quiet_on_exit(work),
            on_done=partial(self._page_arrived, generation),
            on_error=partial(self._page_failed, generation),
            pool=self._pool_to_use(),
        )

    def _alive(self) -> bool:
        """False once Qt has deleted the model (its view closed while a job still ran): late
        results are then dropped instead of calling into a deleted object."""
        return shiboken6.isValid(self)

    def _page_arrived(self, generation: int, result: tuple[Page, list[tuple[str, ...]]]) -> None:
        if generation != self._generation or not self._alive():
            return
        page, display = result
        self._page_job = None
        first_page = self._cursor is None
        if page.rows:
            first = len(self._rows)
            self.beginInsertRows(QModelIndex(), first, first + len(page.rows) - 1)
            self._rows.extend(page.rows)
            self._display.extend(display)
            self._ids.extend(page.ids)
            self.endInsertRows()
        self._cursor = page.cursor
        self._done = page.done
        self._set_loading(False)
        self.pageLoaded.emit(len(page.rows))
        if self._total_stale:
            self._total_stale = False
            if first_page and page.done:  # everything fits on one page: no count needed
                self._set_total(len(page.rows))
            else:
                # After the rows just inserted have been painted.
                QTimer.singleShot(0, self, partial(self._start_count, self._count_generation))

    def _page_failed(self, generation: int, message: str) -> None:
        if generation != self._generation or not self._alive():
            return
        self._page_job = None
        self._error = message  # stops canFetchMore from retrying in a loop; refresh() clears it
        self._set_loading(False)
        self.failed.emit(message)

    def _invalidate_total(self) -> None:
        # Per filter/search generation: a new sort does not change the total. The count starts
        # only once the first page is in: on a busy server it would otherwise compete with the
        # one query the user is waiting for.
        self._count_generation += 1
        if self._count_job is not None:
            self._count_job.control.cancel()
            self._count_job = None
        self._total = None
        self._total_stale = True

    def _start_count(self, generation: int) -> None:
        if generation != self._count_generation:
            return
        query, sessions = self._query.clone(), self._sessions

        def work(control: JobControl) -> int:
            control.check()
            with sessions() as session:
                return query.count(session, parallel=False)

        self._count_job = run_job(
            _quiet_on_exit(work),
            on_done=partial(self._count_arrived, generation),
            pool=self._pool_to_use(),
        )

    def _count_arrived(self, generation: int, total: int) -> None:
        if generation != self._count_generation or not self._alive():
            return
        self._count_job = None
        self._set_total(total)

    def _set_total(self, total: int) -> None:
        self._total = total
        self.totalChanged.emit(total)

    def _set_loading(self, loading: bool) -> None:
        if loading != self._loading:
            self._loading = loading
            self.loadingChanged.emit(loading)

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
