"""Keyset-paged, sorted, filtered and searched row lists over any ORM query — the Qt-free half of
every list view (the GUI's `PagedTableModel` is a thin adapter over it).

Why keyset and not OFFSET: OFFSET makes PostgreSQL produce and throw away every skipped row, so
page 5,000 of a 1,000,000-row tenant costs a million rows. A keyset page continues *after* the
last row shown — `WHERE (sort_col, id) > (:last_value, :last_id) ORDER BY sort_col, id LIMIT n` —
which is a short range scan of a (tenantId, sort_col, id) index wherever the list is.

Jumping to a position (`read_range`, for a view whose scroll bar spans the whole list) starts
next to the nearest row whose position is known — a page already read, an anchor of the
background `survey` (one every N rows), or either end of the list (the reversed order) — and
skips only the rows between, with OFFSET over the sort key and id alone: an index-only scan.

Order: rows are ordered by (sort column, id), id being the unique tie-breaker. NULLs follow
PostgreSQL's natural btree order — last when ascending, first when descending — so both directions
are plain forward/backward scans of one index. A row comparison never matches NULL, so when a page
crosses between the NULL and non-NULL parts of the order it takes a second query (still indexed).

Pages come back as plain tuples, not ORM objects: a list shows a few columns of many rows, and
identity-mapped entities would cost memory and time for nothing. The statements stay ORM-enabled
(`select(Client.name, …)`), so the session's automatic tenant criteria still apply to them.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    bindparam,
    func,
    inspect,
    literal,
    or_,
    select,
    text,
    tuple_,
)
from sqlalchemy.orm import Session

Formatter = Callable[[Any], str]


def format_value(value: Any) -> str:
    """Default display text: empty for None, local time for the database's naive-UTC
    timestamps, money with two decimals."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return aware.astimezone().strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    return str(value)


def format_date(value: Any) -> str:
    """A timestamp shown as its local calendar date only."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return aware.astimezone().date().isoformat()
    return format_value(value)


def _column_element(expr: Any) -> ColumnElement[Any]:
    clause = expr.__clause_element__() if hasattr(expr, "__clause_element__") else expr
    if not isinstance(clause, ColumnElement):
        raise TypeError(f"not a column expression: {expr!r}")
    return clause


@dataclass(frozen=True)
class ColumnSpec:
    """One column of a list: its key (for sorting/filtering by name), header title, the SQL
    expression that produces it, whether the list may sort on it, and how to display it.

    `nullable` is read off the column when it is a table column; say so explicitly for other
    expressions. A NOT NULL sort column lets every page be a single query."""

    key: str
    title: str
    expr: Any
    sortable: bool = True
    formatter: Formatter | None = None
    nullable: bool | None = None
    # The unique tie-breaker to order by with this column, when not the list's id: a column of
    # the sort column's own table equal to the id (e.g. a joined table's documentId), so that
    # (sort column, tie-breaker) is one index of that table.
    tie_breaker: Any | None = None

    def format(self, value: Any) -> str:
        return (self.formatter or format_value)(value)

    @property
    def is_nullable(self) -> bool:
        if self.nullable is not None:
            return self.nullable
        return bool(getattr(_column_element(self.expr), "nullable", True))


@dataclass(frozen=True)
class Cursor:
    """The position after the last row of a page: the sort value and id of that row. It is only
    valid for the sort it was produced under."""

    sort_key: str | None
    descending: bool
    value: Any
    id: Any

    def flipped(self) -> Cursor:
        """The same row as a position in the reversed order."""
        return Cursor(self.sort_key, not self.descending, self.value, self.id)


@dataclass(frozen=True)
class Anchor:
    """A row whose position in the list is known: reading may start next to it."""

    position: int
    cursor: Cursor


@dataclass
class Survey:
    """What one background pass over a list learns: the exact count and an anchor every
    `stride` rows (positions stride-1, 2*stride-1, …, and the last row)."""

    total: int
    anchors: list[Anchor] = field(default_factory=list)


@dataclass
class Page:
    """Rows (values in column order), their ids, where to continue, and whether anything is left."""

    keys: tuple[str, ...]
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    ids: list[Any] = field(default_factory=list)
    cursor: Cursor | None = None
    done: bool = True
    # The position of the first row within the list, for a page read by position.
    start: int = 0
    # The cursor of the first row (the last row's is `cursor`).
    head: Cursor | None = None

    def __len__(self) -> int:
        return len(self.rows)

    def dicts(self) -> list[dict[str, Any]]:
        """The rows as {column key: value}, plus "id"."""
        return [
            {"id": row_id, **dict(zip(self.keys, row, strict=True))}
            for row_id, row in zip(self.ids, self.rows, strict=True)
        ]


def escape_like(term: str) -> str:
    """`term` as a literal inside a LIKE pattern (backslash is PostgreSQL's default escape)."""
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


FilterPredicate = Callable[[Any], ColumnElement[bool]]
# (search term, at most this many or None for all) -> a selectable of the matching ids (e.g. a
# SECURITY DEFINER search function).
SearchIds = Callable[[str, int | None], Any]
# (search term, an array of candidate ids) -> a selectable of those ids that match the term.
SearchMatches = Callable[[str, Any], Any]
# (search term, sort key or None for id, descending, the cursor's sort value as text, the
# cursor's id or None, at most this many) -> a selectable of the first matching ids in that
# order after the cursor (a sort-aware SECURITY DEFINER search function).
SearchPage = Callable[[str, str | None, bool, str | None, Any, int], Any]


def search_function(name: str, tenant_id: int) -> SearchIds:
    """`search_ids` through one of the database's search functions, `name(tenant, term,
    limit)` returning ids (desktop_client_search, desktop_document_search,
    desktop_filing_search): they apply the policies' firm and permission checks themselves and
    then use the trigram indexes, which an `ILIKE` under row-level security cannot."""
    function = getattr(func, name)

    def ids(term: str, limit: int | None) -> Any:
        found = function(tenant_id, term, limit).table_valued("id").render_derived()
        return select(found.c.id)

    return ids


def matches_function(name: str, tenant_id: int) -> SearchMatches:
    """`search_matches` through a database function `name(tenant, term, ids integer[])`
    returning those of the ids that match (desktop_document_matches): it applies the policies'
    firm and permission checks once per call and tests each row without them (e.g. the latest
    version's text, whose row-level security would cost a check of the parent per row)."""
    function = getattr(func, name)

    def matching(term: str, candidates: Any) -> Any:
        found = function(tenant_id, term, candidates).table_valued("id").render_derived()
        return select(found.c.id)

    return matching


def page_function(name: str, tenant_id: int) -> SearchPage:
    """`search_page` through a database function `name(tenant, term, sort_key, descending,
    after_value, after_id, limit)` (desktop_document_search_page, desktop_client_search_page,
    migration 0022): the first `limit` matching ids in the list's order after a keyset cursor,
    with the policies' firm and permission checks applied once, and the sort key from an
    allow-list."""
    function = getattr(func, name)

    def page(
        term: str,
        sort_key: str | None,
        descending: bool,
        after_value: str | None,
        after_id: Any,
        limit: int,
    ) -> Any:
        found = (
            function(tenant_id, term, sort_key, descending, after_value, after_id, limit)
            .table_valued("id")
            .render_derived()
        )
        return select(found.c.id)

    return page


def _sql_text(value: Any) -> str | None:
    """A cursor's sort value as the text the search-page functions cast back to the key's type
    (naive UTC timestamps, as the database stores them)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


# A probe's verdict: more matches than the cap.
_FREQUENT = object()
# A search's walk in list order: the first chunk (it tells how frequent the term is) and the
# largest chunk (doubling from the first).
WALK_SAMPLE = 1_000
WALK_CHUNK_MAX = 16_000
# A sorted search page (`search_page`) asks for the page's rows first; when the list's filters
# drop some, for 8 times as many, once; then the search function's ids are the way. A jump
# (read_range) skipping more rows than this goes that way too.
SORTED_GROWTH = 8
SORTED_ROUNDS = 2
SORTED_SKIP_MAX = 5_000
# With a sorted search page at hand, the walk only serves a term that fills a page within this
# many rows (a term on a third of the list: ~600): a sorted page costs about what walking
# ~2,000 document rows does (each row read with its joins and policies).
SORTED_WALK = 2_000


class PagedQuery:
    """A list over `base` (an ORM `select(Entity)` with any scoping already applied): columns,
    one sort, equality filters and a search term, read one keyset page at a time.

    `filter_predicates` name filters that are not "column equals value" (e.g. "expiring within
    N days"): each maps the filter's value to a WHERE condition.

    `search_ids` replaces the `ILIKE` over `search_columns` with `id IN (search_ids(term))`:
    under row-level security PostgreSQL applies a non-leakproof `ILIKE` only after the
    policies, so it can never use the trigram indexes for staff; a search function that applies
    the same checks itself can (ARCHITECTURE.md, "Performance under row-level security").
    With `search_cap` and `search_scan`, each page first asks the function for at most
    `search_cap + 1` ids: a rarer term pages over exactly those ids (a few index lookups and a
    small sort). A frequent term (more matches than that) is looked for among the next
    `search_scan` rows in list order (an index range scan), filtered by the `ILIKE` over
    `search_columns` (which must search exactly what the function does): it fills a page there
    at once, where the function would return tens of thousands of ids to sort. Only when that
    scan does not fill the page does it come from all the function's ids. Counting always
    goes through `search_ids`.

    `search_page` (with `search_page_keys`, the sort keys it knows; None is the id order)
    serves what the walk cannot fill within `search_page_walk` rows: a page of the matches in
    list order after the cursor, in one call of a sort-aware search function (a term whose
    matches are rare, or lie in a block far down the order). It replaces the probe and the page
    over all the function's ids; the page's rows are still read through the list's query, its
    policies and filters.

    Not thread-safe: configure it on one thread; hand `clone()`s to background jobs.
    """

    def __init__(
        self,
        base: Select[Any],
        columns: Sequence[ColumnSpec],
        *,
        search_columns: Iterable[Any] = (),
        filter_columns: Mapping[str, Any] | None = None,
        filter_predicates: Mapping[str, FilterPredicate] | None = None,
        id_column: Any | None = None,
        search_ids: SearchIds | None = None,
        search_cap: int | None = None,
        search_scan: int | None = None,
        search_sample: int | None = None,
        search_matches: SearchMatches | None = None,
        search_page: SearchPage | None = None,
        search_page_keys: Iterable[str | None] = (),
        search_page_walk: int = SORTED_WALK,
        sort_key: str | None = None,
        descending: bool = False,
    ) -> None:
        if not columns:
            raise ValueError("a list needs at least one column")
        self._base = base
        self._columns = tuple(columns)
        self._index = {spec.key: i for i, spec in enumerate(self._columns)}
        if len(self._index) != len(self._columns):
            raise ValueError("column keys must be unique")
        self._id = _column_element(id_column) if id_column is not None else _primary_key(base)
        self._search_columns = tuple(_column_element(c) for c in search_columns)
        self._search_ids = search_ids
        self._search_cap = search_cap
        self._search_scan = search_scan
        self._search_sample = search_sample
        self._search_matches = search_matches
        self._search_page = search_page
        self._search_page_keys = frozenset(search_page_keys)
        self._search_page_walk = search_page_walk
        self._filter_columns: dict[str, ColumnElement[Any]] = {
            spec.key: _column_element(spec.expr) for spec in self._columns
        }
        for key, expr in (filter_columns or {}).items():
            self._filter_columns[key] = _column_element(expr)
        self._filter_predicates: dict[str, FilterPredicate] = dict(filter_predicates or {})
        self._filters: dict[str, Any] = {}
        self._search = ""
        self._sort_key: str | None = None
        self._descending = False
        self.set_sort(sort_key, descending)

    # -- configuration -------------------------------------------------------------------------

    @property
    def columns(self) -> tuple[ColumnSpec, ...]:
        return self._columns

    @property
    def sort_key(self) -> str | None:
        return self._sort_key

    @property
    def descending(self) -> bool:
        return self._descending

    @property
    def filters(self) -> dict[str, Any]:
        return dict(self._filters)

    @property
    def search(self) -> str:
        return self._search

    def column_index(self, key: str) -> int:
        return self._index[key]

    def set_sort(self, key: str | None, descending: bool = False) -> None:
        """Sort on a sortable column, or by id alone when `key` is None."""
        if key is not None:
            if key not in self._index:
                raise KeyError(f"no column {key!r}")
            if not self._columns[self._index[key]].sortable:
                raise ValueError(f"column {key!r} is not sortable")
        self._sort_key = key
        self._descending = descending

    def set_filter(self, key: str, value: Any) -> None:
        """Keep rows whose `key` equals `value` (any of them, for a list/tuple/set), or that
        satisfy the predicate named `key` for `value`; None clears."""
        if key not in self._filter_columns and key not in self._filter_predicates:
            raise KeyError(f"no filterable column {key!r}")
        if value is None:
            self._filters.pop(key, None)
        else:
            self._filters[key] = value

    def clear_filters(self) -> None:
        self._filters.clear()

    def set_search(self, text: str) -> None:
        self._search = (text or "").strip()

    def clone(self) -> PagedQuery:
        """An independent copy with the same settings (for a background job)."""
        twin = copy.copy(self)
        twin._filters = dict(self._filters)
        return twin

    def with_predicates(self, predicates: Mapping[str, FilterPredicate]) -> PagedQuery:
        """A clone that also knows the named filter predicates `predicates` (a list built on
        another service's query, e.g. "due on day D" over the filings list)."""
        twin = self.clone()
        twin._filter_predicates = {**self._filter_predicates, **predicates}
        return twin

    # -- statements ----------------------------------------------------------------------------

    def _criteria(self, *, search: bool = True, found: Any = None) -> list[ColumnElement[bool]]:
        """The WHERE conditions; `found`: the ids a probe found (None: ask the function)."""
        out: list[ColumnElement[bool]] = []
        for key, value in self._filters.items():
            predicate = self._filter_predicates.get(key)
            if predicate is not None:
                out.append(predicate(value))
                continue
            column = self._filter_columns[key]
            if isinstance(value, list | tuple | set | frozenset):
                out.append(column.in_(list(value)))
            else:
                out.append(column == value)
        if not (search and self._search):
            return out
        if self._search_ids is not None:
            if found is None:
                out.append(self._id.in_(self._search_ids(self._search, None)))
            else:
                out.append(self._id.in_(found))
        elif self._search_columns:
            out.append(self._matches(self._search_columns))
        return out

    def _matches(self, columns: Sequence[Any]) -> ColumnElement[bool]:
        # Inlined as a literal, not a bound parameter: with a parameter a prepared statement
        # may switch to a generic plan, which cannot judge how selective the term is and so
        # cannot choose between the trigram index and an ordered scan.
        pattern = bindparam(
            "search_pattern", f"%{escape_like(self._search)}%", literal_execute=True
        )
        return or_(*(column.ilike(pattern) for column in columns))

    def _sort_column(self) -> ColumnElement[Any] | None:
        if self._sort_key is None:
            return None
        return _column_element(self._columns[self._index[self._sort_key]].expr)

    def _probe(self, session: Session) -> Any:
        """For a capped search: the matching ids when there are at most `search_cap` of them,
        else `_FREQUENT`. None when there is nothing to probe."""
        if not (self._search and self._search_ids is not None and self._search_cap):
            return None
        ids = list(session.scalars(self._search_ids(self._search, self._search_cap + 1)))
        return _FREQUENT if len(ids) > self._search_cap else ids

    def _select_rows(self, found: Any = None) -> Select[Any]:
        exprs = [spec.expr for spec in self._columns]
        return (
            self._base.with_only_columns(*exprs, self._id, maintain_column_froms=True)
            .where(*self._criteria(found=found))
            .order_by(None)
        )

    def _walk_statement(self, stmt: Select[Any], rows: int) -> Select[Any]:
        """The next `rows` rows of `stmt` in list order (an index range scan of a plain page)
        tested against the term: the matching ones, and the last row scanned (where the walk
        goes on), each with its position in the chunk and the number of rows scanned. The term
        is tested by `search_matches` over the chunk's ids (one call per chunk) or by the
        `ILIKE` over `search_columns`."""
        width = len(self._columns)
        chunk = self._ordered(stmt).limit(rows).cte("walked")
        cols = list(chunk.c)
        keys = [cols[width]]
        if self._sort_key is not None:
            keys.insert(0, cols[self._index[self._sort_key]])
        order = [k.desc() if self._descending else k.asc() for k in keys]
        if self._search_matches is not None:
            candidates = select(func.array_agg(cols[width])).scalar_subquery()
            matched = cols[width].in_(self._search_matches(self._search, candidates))
        else:
            matched = self._matches(cols[width + 1 :])
        numbered = select(
            *cols[: width + 1],
            matched.label("matched"),
            func.row_number().over(order_by=order).label("position"),
            func.count().over().label("scanned"),
        ).subquery()
        n = numbered.c
        return (
            select(*list(n)[: width + 1], n.matched, n.position, n.scanned)
            .where(or_(n.matched, n.position == n.scanned))
            .order_by(n.position)
        )

    def _scan_for_matches(
        self,
        session: Session,
        after: Cursor | None,
        limit: int,
        frequent: Callable[[], bool] = lambda: False,
        budget: int | None = None,
    ) -> list[tuple[Any, ...]] | None:
        """A page of a search walked in list order, or None when the walk would not find a
        whole page soon (then the search function's ids are the way: a rare term, or matches
        clustered far down the list).

        The walk reads chunks of the list in its order (the sort key's index, within the
        tenant), `search_sample` rows first, and tests them against the term. The matches of
        the first chunks say how frequent the term is here: the walk goes on (in doubling
        chunks) while that frequency promises a full page within `search_scan` rows. When it
        does not (matches may be clustered: "Persaud" names start a few thousand rows into a
        list by first name), `frequent()` decides — the search function's capped probe: a
        frequent term is walked on up to `search_scan` rows all the same."""
        if not (self._search and self._search_scan):
            return None
        # At most this many rows in list order (`budget` lowers it: another way is quicker).
        scan = min(self._search_scan, budget or self._search_scan)
        if self._search_matches is None and not self._search_columns:
            return None
        width = len(self._columns)
        searched = (
            []
            if self._search_matches is not None
            else [column.label(f"searched_{i}") for i, column in enumerate(self._search_columns)]
        )
        plain = (
            self._base.with_only_columns(
                *(spec.expr for spec in self._columns),
                self._id,
                *searched,
                maintain_column_froms=True,
            )
            .where(*self._criteria(search=False))
            .order_by(None)
        )
        need = limit + 1
        size = min(self._search_sample or WALK_SAMPLE, scan)
        fetched: list[tuple[Any, ...]] = []
        scanned = 0
        known_frequent = False
        segments = self._segments(after)
        while segments and len(fetched) < need:
            condition = segments[0]
            stmt = plain if condition is None else plain.where(condition)
            rows = session.execute(self._walk_statement(stmt, size)).all()
            fetched.extend(tuple(r[: width + 1]) for r in rows if r[width + 1])
            count = int(rows[-1][-1]) if rows else 0
            scanned += count
            if count < size:  # this part of the list is walked to its end
                segments = segments[1:]
                continue
            if len(fetched) >= need:
                break
            last = rows[-1]
            segments = self._segments(self._cursor_of(last[:width], last[width]))
            # Rows a page would take at the frequency seen so far: too many, or no match
            # yet, and the search function's ids are quicker.
            if scanned >= scan:
                return None
            if not known_frequent and (not fetched or scanned * need / len(fetched) > scan):
                if not frequent():
                    return None
                known_frequent = True
            size = min(size * 2, WALK_CHUNK_MAX, max(scan - scanned, 1))
        return fetched[:need]

    def _tie_breaker(self) -> ColumnElement[Any]:
        if self._sort_key is not None:
            tie = self._columns[self._index[self._sort_key]].tie_breaker
            if tie is not None:
                return _column_element(tie)
        return self._id

    def _ordered(self, stmt: Select[Any]) -> Select[Any]:
        sort = self._sort_column()
        keys = [self._id] if sort is None else [sort, self._tie_breaker()]
        # Natural NULL placement (ASC NULLS LAST, DESC NULLS FIRST) matches one btree index read
        # forwards or backwards.
        return stmt.order_by(*(k.desc() if self._descending else k.asc() for k in keys))

    def _segments(self, after: Cursor | None) -> list[ColumnElement[bool] | None]:
        """The WHERE conditions, in order, whose results concatenated are the rows after `after`."""
        if after is None:
            return [None]
        if after.sort_key != self._sort_key or after.descending != self._descending:
            raise ValueError("the cursor belongs to a different sort; start from the first page")
        sort = self._sort_column()
        beyond = (lambda a, b: a < b) if self._descending else (lambda a, b: a > b)
        if sort is None:
            return [beyond(self._id, after.id)]
        nullable = self._columns[self._index[self._sort_key]].is_nullable  # type: ignore[index]
        tie = self._tie_breaker()
        if after.value is None:
            # Inside the NULL block, which is ordered by id alone.
            within_nulls = and_(sort.is_(None), beyond(tie, after.id))
            if self._descending:  # NULLs first: the non-NULL rows come after them
                return [within_nulls, sort.is_not(None)]
            return [within_nulls]
        rest = beyond(tuple_(sort, tie), tuple_(after.value, after.id))
        if nullable and not self._descending:  # NULLs last: they follow the non-NULL rows
            return [rest, sort.is_(None)]
        return [rest]

    def page_statement(self, limit: int, after: Cursor | None = None) -> Select[Any]:
        """The (first) statement a page runs: for EXPLAIN and diagnostics."""
        condition = self._segments(after)[0]
        stmt = self._select_rows()
        if condition is not None:
            stmt = stmt.where(condition)
        return self._ordered(stmt).limit(limit + 1)

    def all_rows_statement(self) -> Select[Any]:
        """Every row of the list (filters and search applied) in its order, ids last: one
        statement for a server-side cursor (an export), where paging would re-run the search
        for every page. The natural NULL placement makes it the pages' order exactly."""
        return self._ordered(self._select_rows())

    def count_statement(self) -> Select[Any]:
        inner = self._base.with_only_columns(self._id, maintain_column_froms=True).where(
            *self._criteria()
        )
        return select(func.count()).select_from(inner.order_by(None).subquery())

    # -- reading -------------------------------------------------------------------------------

    def first_page(self, session: Session, limit: int) -> Page:
        return self._read(session, None, limit)

    def next_page(self, session: Session, after: Cursor, limit: int) -> Page:
        return self._read(session, after, limit)

    def count(
        self, session: Session, *, parallel: bool = True, timeout_s: float | None = None
    ) -> int:
        """The exact number of rows (filters and search applied). It can take a while on a large
        tenant: run it in the background, and with `parallel=False` so that it keeps to one CPU
        core — on a workstation running the embedded server, a parallel count would otherwise
        take every core from the GUI while it runs."""
        if not parallel:
            session.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))
        if timeout_s is not None:
            millis = max(1, round(timeout_s * 1000))
            session.execute(text(f"SET LOCAL statement_timeout = {millis}"))
        return int(session.scalar(self.count_statement()) or 0)

    def reversed(self) -> PagedQuery:
        """The same list in the opposite order (its first rows are this list's last ones)."""
        twin = self.clone()
        twin._descending = not self._descending
        return twin

    def read_range(
        self,
        session: Session,
        start: int,
        limit: int,
        *,
        anchors: Iterable[Anchor] = (),
        total: int | None = None,
    ) -> Page:
        """Rows `start` … `start + limit - 1` of the list (fewer at its end), for a view that
        jumps anywhere. Read from whichever known row is nearest: a keyset range read next to
        an anchor (forwards, or backwards over the reversed order from an anchor after the
        range), skipping only the rows between that anchor and `start` (SQL OFFSET within the
        segment). With `total`, the list's end is such an anchor too, so the last rows of a
        million-row list are one short backward index scan. Without anchors near it, the skip
        can be long: a `survey()` provides an anchor every `stride` rows."""
        if start < 0 or limit < 1:
            raise ValueError("start must be at least 0 and limit at least 1")
        if total is not None:
            limit = min(limit, total - start)
        if limit <= 0:
            return Page(keys=tuple(spec.key for spec in self._columns), start=start)
        end = start + limit
        skip, cursor, backwards = start, None, False
        for anchor in anchors:
            if anchor.position < start and start - anchor.position - 1 < skip:
                skip, cursor, backwards = start - anchor.position - 1, anchor.cursor, False
            elif anchor.position >= end and anchor.position - end < skip:
                skip, cursor, backwards = anchor.position - end, anchor.cursor, True
        if total is not None and total - end < skip:
            skip, cursor, backwards = total - end, None, True
        if not backwards:
            page = self._read(session, cursor, limit, skip)
            page.start = start
            return page
        back = self.reversed()._read(session, cursor and cursor.flipped(), limit, skip)
        rows, ids = back.rows[::-1], back.ids[::-1]
        page = Page(
            keys=back.keys,
            rows=rows,
            ids=ids,
            done=total is not None and end >= total,
            start=end - len(rows),
        )
        if rows:
            page.head = self._cursor_of(rows[0], ids[0])
            page.cursor = self._cursor_of(rows[-1], ids[-1])
        return page

    def _cursor_of(self, row: Sequence[Any], row_id: Any) -> Cursor:
        value = None if self._sort_key is None else row[self._index[self._sort_key]]
        return Cursor(self._sort_key, self._descending, value, row_id)

    def survey_statement(self, stride: int) -> Select[Any]:
        """Every `stride`-th row's sort value, id and position, and the last row's: one ordered
        pass over (sort column, id), as an index scan."""
        sort = self._sort_column()
        tie = self._tie_breaker()
        keys = [tie] if sort is None else [sort, tie]
        order = [k.desc() if self._descending else k.asc() for k in keys]
        value = sort if sort is not None else literal(None)
        inner = (
            self._base.with_only_columns(
                value.label("value"),
                self._id.label("row_id"),
                func.row_number().over(order_by=order).label("position"),
                func.lead(self._id).over(order_by=order).label("following"),
                maintain_column_froms=True,
            )
            .where(*self._criteria())
            .order_by(None)
            .subquery()
        )
        return (
            select(inner.c.value, inner.c.row_id, inner.c.position)
            .where(or_((inner.c.position % stride) == 0, inner.c.following.is_(None)))
            .order_by(inner.c.position)
        )

    def survey(self, session: Session, stride: int, *, parallel: bool = True) -> Survey:
        """The exact count and an anchor every `stride` rows (see `read_range`). Like `count`,
        a pass over every row of the list: run it in the background."""
        if stride < 1:
            raise ValueError("stride must be at least 1")
        if not parallel:
            session.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))
        anchors = [
            Anchor(int(position) - 1, Cursor(self._sort_key, self._descending, value, row_id))
            for value, row_id, position in session.execute(self.survey_statement(stride))
        ]
        return Survey(total=anchors[-1].position + 1 if anchors else 0, anchors=anchors)

    def _skip(self, session: Session, after: Cursor | None, skip: int, found: Any) -> Cursor | None:
        """The cursor of the `skip`-th row after `after` (None if there are fewer). OFFSET over
        the sort key and id alone: an index-only scan, which does not read the rows skipped."""
        sort = self._sort_column()
        keys = [self._id] if sort is None else [sort, self._id]
        plain = (
            self._base.with_only_columns(*keys, maintain_column_froms=True)
            .where(*self._criteria(found=found))
            .order_by(None)
        )
        for condition in self._segments(after):
            stmt = plain if condition is None else plain.where(condition)
            row = session.execute(self._ordered(stmt).offset(skip - 1).limit(1)).first()
            if row is not None:
                return Cursor(
                    self._sort_key, self._descending, row[0] if sort is not None else None, row[-1]
                )
            # This part of the order holds fewer than `skip` rows: skip them all, go on.
            held = select(func.count()).select_from(stmt.limit(skip).subquery())
            skip -= int(session.scalar(held) or 0)
        return None

    def _sorted_applies(self, skip: int) -> bool:
        return (
            bool(self._search)
            and self._search_page is not None
            and self._sort_key in self._search_page_keys
            and skip <= SORTED_SKIP_MAX
        )

    def _rows_after(
        self, session: Session, base: Select[Any], after: Cursor | None, want: int
    ) -> list[tuple[Any, ...]]:
        """The first `want` rows of `base` after `after`, in list order."""
        fetched: list[tuple[Any, ...]] = []
        for condition in self._segments(after):
            left = want - len(fetched)
            if left <= 0:
                break
            stmt = base if condition is None else base.where(condition)
            fetched.extend(tuple(r) for r in session.execute(self._ordered(stmt).limit(left)))
        return fetched

    def _sorted_search(
        self, session: Session, after: Cursor | None, rows: int
    ) -> list[tuple[Any, ...]] | None:
        """The next `rows` + 1 rows of a search from `search_page`'s ids (the first matches in
        list order after the cursor), read through the list's query: its policies and filters
        apply to them. When the filters drop so many that the ids do not fill the page, more
        ids are asked for; None when that would not end soon (then the search function's ids
        are the way)."""
        assert self._search_page is not None
        self._segments(after)  # the cursor must belong to this sort
        want = rows + 1
        value = None if after is None or self._sort_key is None else _sql_text(after.value)
        after_id = None if after is None else after.id
        ask = want
        for _round in range(SORTED_ROUNDS + 1):
            ids = list(
                session.scalars(
                    self._search_page(
                        self._search, self._sort_key, self._descending, value, after_id, ask
                    )
                )
            )
            fetched = self._rows_after(session, self._select_rows(ids), after, want)
            if len(fetched) >= want or len(ids) < ask:
                return fetched
            ask *= SORTED_GROWTH
        return None

    def _read(self, session: Session, after: Cursor | None, limit: int, skip: int = 0) -> Page:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        width = len(self._columns)
        # Ask for one row more than the page: its presence says whether another page exists.
        # A search walks the list first (a frequent term fills a page within a few thousand
        # rows in list order); what that walk cannot serve comes from the sort-aware search
        # function, or else from the search function's ids.
        sorted_search = self._sorted_applies(skip)
        probed: list[Any] = []

        def frequent() -> bool:
            if sorted_search:  # no probe: the sorted page serves rare and clustered terms
                return False
            probed.append(self._probe(session))
            return probed[0] is _FREQUENT

        budget = self._search_page_walk if sorted_search else None
        fetched = self._scan_for_matches(session, after, limit + skip, frequent, budget)
        if fetched is None and sorted_search:
            fetched = self._sorted_search(session, after, limit + skip)
        found = None
        if fetched is not None:
            fetched, skip = fetched[skip:], 0
        else:
            found = probed[0] if probed else self._probe(session)
            if found is _FREQUENT:
                found = None
        if fetched is None:
            if skip:
                after = self._skip(session, after, skip, found)
                if after is None:  # fewer than `skip` rows left
                    return Page(keys=tuple(spec.key for spec in self._columns))
            fetched = self._rows_after(session, self._select_rows(found), after, limit + 1)
        done = len(fetched) <= limit
        rows = fetched[:limit]
        page = Page(
            keys=tuple(spec.key for spec in self._columns),
            rows=[r[:width] for r in rows],
            ids=[r[width] for r in rows],
            done=done,
        )
        if rows:
            page.head = self._cursor_of(rows[0], rows[0][width])
            page.cursor = self._cursor_of(rows[-1], rows[-1][width])
        else:
            page.cursor = after
        return page


def _primary_key(base: Select[Any]) -> ColumnElement[Any]:
    """The primary key of the statement's first ORM entity: the keyset tie-breaker."""
    for description in base.column_descriptions:
        entity = description.get("entity")
        if entity is not None:
            mapper = inspect(entity).mapper
            if len(mapper.primary_key) != 1:
                raise ValueError("pass id_column: the entity's primary key is not one column")
            # The mapped attribute, not the bare table column: it keeps the statements
            # ORM-enabled, which the session's automatic tenant criteria rely on.
            prop = mapper.get_property_by_column(mapper.primary_key[0])
            return _column_element(getattr(entity, prop.key))
    raise ValueError("pass id_column: the statement selects no ORM entity")
