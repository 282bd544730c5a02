"""Issue 11: a frequent term's search walks the list in its order and tests each row (services/
paging.py, migration 0019) — and returns exactly the rows, in exactly the order, of the plain
search (every match through the search function, then sorted), for every sort column in both
directions, page by page and by position, and never another firm's rows.

Signed in as staff through the real sign-in service (row-level security on); the function
attacks are raw SQL on the user's own PostgreSQL login."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy import Engine, text

from gcmc_desktop.db import migrate
from gcmc_desktop.services import documents
from gcmc_desktop.services.client_list import client_list_query
from gcmc_desktop.services.context import Context
from gcmc_desktop.services.paging import PagedQuery

from .security_fixtures import Firms, build_firms
from .test_documents import sign_in
from .test_list_performance import found, staff

ROLES = ("DocumentOfficer", "FilingClerk", "Viewer")
N_CLIENTS = 1_200
N_DOCUMENTS = 900
PAGE = 40
# (search_sample, search_scan, search_cap, sorted search page on): the walk that fills pages
# (small first chunk, so that it doubles), a walk that gives up midway to the sorted search page
# (small budget), a walk that gives up to all the function's ids (page off), the sorted page
# alone (walk off), and the plain path (walk, probe and page off) the others must equal.
WALK = (20, 100_000, 2_000, True)
GIVE_UP = (20, 150, 2_000, True)
PROBE_ALL = (20, 150, 1, False)
# The probe always says "frequent": the walk goes on past a sample with few or no matches
# (matches clustered further down the list).
WALK_ON = (20, 100_000, 1, False)
SORTED = (None, None, None, True)
PLAIN = (None, None, None, False)
CONFIGS = (PLAIN, WALK, GIVE_UP, PROBE_ALL, WALK_ON, SORTED)

CLIENTS_SQL = """
INSERT INTO clients ("tenantId", name, type, email, tin, "nisNumber", sector, "riskLevel",
                     "createdAt", "updatedAt")
SELECT :t,
       (ARRAY['Devon', 'Asha', 'Ravi', 'Omar', 'Lena'])[1 + g % 5] || ' '
       || CASE WHEN g % 7 = 0 THEN 'Persaud' WHEN g % 11 = 0 THEN 'Seepersaud' ELSE 'Singh' END
       || CASE WHEN g % 13 = 0 THEN ' O''Brien 100%_x' ELSE '' END,
       CASE WHEN g % 2 = 0 THEN 'company' ELSE 'individual' END,
       CASE WHEN g % 5 <> 0 THEN 'c' || g || '@example.gy' END,
       CASE WHEN g % 3 <> 0 THEN lpad((g * 7919 % 100000)::text, 9, '0') END,
       CASE WHEN g % 4 <> 0 THEN 'A' || g END,
       (ARRAY['retail', NULL, 'mining', 'tourism'])[1 + g % 4],
       (ARRAY['low', 'medium', 'high', NULL])[1 + g % 4],
       timestamp '2024-01-01' + (g % 97) * interval '1 day',
       now()
FROM generate_series(1, :n) g
"""

DOCUMENTS_SQL = """
WITH k AS (
    INSERT INTO document_types ("tenantId", name, category, "updatedAt")
    SELECT :t, n, 'identification', now()
    FROM unnest(ARRAY['Walk TIN', 'Walk return', 'Walk NIS']) n
    RETURNING id
), c AS (
    SELECT array_agg(id ORDER BY id) AS ids FROM clients WHERE "tenantId" = :t
)
INSERT INTO documents ("tenantId", "clientId", "documentTypeId", title, status, authority, tags,
                       "updatedAt")
SELECT :t, c.ids[1 + g % array_length(c.ids, 1)],
       (SELECT min(id) FROM k) + g % 3,
       (ARRAY['Annual return', 'TIN certificate', 'Payroll ledger', 'Scan'])[1 + g % 4]
       || ' ' || (2015 + g % 9) || ' #' || g,
       (ARRAY['valid', 'expired', 'pending_review'])[1 + g % 3],
       (ARRAY['GRA', 'NIS', NULL])[1 + g % 3],
       CASE WHEN g % 3 = 0 THEN ARRAY['payroll', 'q' || g % 4] WHEN g % 3 = 1 THEN ARRAY['scan']
       END,
       now()
FROM c, generate_series(1, :n) g
"""

VERSIONS_SQL = """
INSERT INTO document_versions ("documentId", "fileUrl", "storageProvider", "fileSize",
                               "mimeType", "expiryDate", "ocrText", "isLatest", "uploadedAt")
SELECT d.id, 'k/' || d.id || '/' || n, 'local', 1000, 'application/pdf',
       CASE WHEN (d.id + n) % 4 <> 0
            THEN timestamp '2026-01-01' + ((d.id * 37 + n) % 50) * interval '1 day' END,
       CASE WHEN d.id % 5 = 0 THEN 'issued at Kaieteur ' || d.id
            WHEN d.id % 5 = 1 THEN 'old payroll ' || n END,
       n = 1 + d.id % 2,
       timestamp '2025-01-01' + (d.id % 40) * interval '1 day' + n * interval '1 hour'
FROM documents d
JOIN LATERAL generate_series(1, 1 + d.id % 2) n ON true
WHERE d."tenantId" = :t AND d.id % 17 <> 0  -- some documents have no version at all
"""


@pytest.fixture
def firms(engine: Engine, database_url) -> Firms:
    built = build_firms(engine, database_url, ROLES)
    with engine.begin() as conn:
        for tenant in (built.alpha, built.beta):  # Beta has the same rows: they must not show
            conn.execute(text(CLIENTS_SQL), {"t": tenant, "n": N_CLIENTS})
            conn.execute(text(DOCUMENTS_SQL), {"t": tenant, "n": N_DOCUMENTS})
            conn.execute(text(VERSIONS_SQL), {"t": tenant})
            conn.execute(
                text(
                    'UPDATE documents d SET "latestVersionId" = v.id FROM document_versions v '
                    'WHERE v."documentId" = d.id AND v."isLatest" AND d."tenantId" = :t'
                ),
                {"t": tenant},
            )
        for table in ("clients", "documents", "document_versions"):
            conn.execute(text(f"ANALYZE {table}"))
    return built


@pytest.fixture
def officer(firms: Firms) -> Iterator[Context]:
    ctx = sign_in(firms, "DocumentOfficer")
    yield ctx
    ctx.session.close()


def configured(query: PagedQuery, config: tuple) -> PagedQuery:
    query._search_sample, query._search_scan, query._search_cap, page = config
    if not page:
        query._search_page = None
    return query


def every_page(ctx: Context, query: PagedQuery, size: int = PAGE) -> list[int]:
    ids: list[int] = []
    with ctx.reading() as s:
        page = query.first_page(s, size)
        ids += page.ids
        while not page.done:
            page = query.next_page(s, page.cursor, size)
            ids += page.ids
    return ids


def firm_ids(engine: Engine, table: str, tenant: int) -> set[int]:
    with engine.connect() as conn:
        return set(
            conn.scalars(text(f'SELECT id FROM {table} WHERE "tenantId" = :t'), {"t": tenant})
        )


def check_every_order(
    engine: Engine, ctx: Context, make, table: str, tenant: int, terms: tuple[str, ...]
) -> int:
    """Every sortable column (and none), both directions, every term: the walk, the walk that
    gives up, and the probe give the plain path's ids in its order; returns the pages read."""
    mine = firm_ids(engine, table, tenant)
    keys = [None, *(spec.key for spec in make().columns if spec.sortable)]
    checked = 0
    for term in terms:
        for key in keys:
            for descending in (False, True):
                lists = {}
                for config in CONFIGS:
                    query = configured(make(), config)
                    query.set_sort(key, descending)
                    query.set_search(term)
                    lists[config] = every_page(ctx, query)
                expected = lists[PLAIN]
                assert set(expected) <= mine, "another firm's rows"
                assert len(set(expected)) == len(expected)
                for config, ids in lists.items():
                    assert ids == expected, (term, key, descending, config)
                checked += 1
    return checked


def test_client_search_walk_equals_the_plain_search_in_every_order(
    engine: Engine, firms: Firms, officer: Context
) -> None:
    make = lambda: client_list_query(officer)  # noqa: E731
    # "persaud" is frequent (a quarter of the firm), "o'brien 100%_x" less so (quotes and
    # wildcards literal), "devon" a fifth; "qqzz" matches nothing.
    terms = ("persaud", "o'brien 100%_x", "devon", "qqzz")
    assert check_every_order(engine, officer, make, "clients", firms.alpha, terms) == 4 * 9 * 2
    # The walk really served the frequent term: a page of it without the search function.
    query = configured(make(), WALK)
    query.set_search("persaud")
    calls: list[str] = []
    with officer.reading() as s:
        from sqlalchemy import event

        @event.listens_for(s.connection(), "before_cursor_execute")
        def seen(conn, cursor, statement, *args) -> None:
            calls.append(statement)

        page = query.first_page(s, PAGE)
    assert len(page) == PAGE
    assert not any("desktop_client_search" in c for c in calls)
    assert any("walked" in c for c in calls)


def test_document_search_walk_equals_the_plain_search_in_every_order(
    engine: Engine, firms: Firms, officer: Context
) -> None:
    make = lambda: documents.document_list_query(officer)  # noqa: E731
    # A tag on a third (and in some texts), a title word, text only, and nothing.
    terms = ("payroll", "annual return 2019", "kaieteur", "qqzz")
    sortable = sum(1 for spec in make().columns if spec.sortable)
    checked = check_every_order(engine, officer, make, "documents", firms.alpha, terms)
    assert checked == 4 * (sortable + 1) * 2
    # With a filter too (the walk keeps the list's filters).
    for config in (WALK, GIVE_UP, WALK_ON, SORTED):
        lists = []
        for c in (PLAIN, config):
            query = configured(make(), c)
            query.set_filter("status", "valid")
            query.set_sort("expiry", True)
            query.set_search("payroll")
            lists.append(every_page(officer, query))
        assert lists[0] == lists[1] and lists[0]


def test_search_walk_reads_by_position_like_offset(
    engine: Engine, firms: Firms, officer: Context
) -> None:
    """Jumping into a searched list (read_range skips rows) through the walk: the rows of the
    plain list at those positions."""
    for make, term in (
        (lambda: client_list_query(officer), "persaud"),
        (lambda: documents.document_list_query(officer), "payroll"),
    ):
        plain = configured(make(), PLAIN)
        plain.set_search(term)
        expected = every_page(officer, plain)
        for config in (WALK, SORTED):
            walk = configured(make(), config)
            walk.set_search(term)
            with officer.reading() as s:
                for start in (0, 1, 39, 40, 77, len(expected) - 10):
                    page = walk.read_range(s, start, 25)
                    assert page.ids == expected[start : start + 25], (term, start, config)


def test_document_matches_function_answers_only_for_the_own_firm(
    engine: Engine, firms: Firms
) -> None:
    alpha_docs = sorted(firm_ids(engine, "documents", firms.alpha))
    beta_docs = sorted(firm_ids(engine, "documents", firms.beta))
    with engine.connect() as conn:
        payroll_alpha = set(
            conn.scalars(
                text(
                    "SELECT d.id FROM documents d LEFT JOIN document_versions v ON v.id = "
                    'd."latestVersionId" WHERE d."tenantId" = :t AND (d.title ILIKE :p OR '
                    'desktop_tags_text(d.tags) ILIKE :p OR v."ocrText" ILIKE :p)'
                ),
                {"t": firms.alpha, "p": "%payroll%"},
            )
        )
    assert payroll_alpha
    call = "SELECT * FROM desktop_document_matches(%s, %s, %s)"

    def matches(conn: psycopg.Connection, tenant, term, ids) -> set:
        return {row[0] for row in conn.execute(call, (tenant, term, ids)).fetchall()}

    with staff(firms, "DocumentOfficer") as conn:
        assert matches(conn, firms.alpha, "payroll", alpha_docs) == payroll_alpha
        assert matches(conn, firms.alpha, "PAYROLL", alpha_docs[:50]) == payroll_alpha & set(
            alpha_docs[:50]
        )
        # Another firm's ids: not with the own tenant, not by asking for the other tenant.
        assert matches(conn, firms.alpha, "payroll", beta_docs) == set()
        assert matches(conn, firms.beta, "payroll", beta_docs) == set()
        assert matches(conn, None, "payroll", alpha_docs) == set()
        # Empty, NULL, wildcards, quotes and injection attempts match nothing (or literally).
        for term in (None, "", "   ", "%", "_", "%%", "\\", "' OR true --", "x" * 5000):
            assert matches(conn, firms.alpha, term, alpha_docs) == set(), term
        assert matches(conn, firms.alpha, "payroll", None) == set()
        assert matches(conn, firms.alpha, "payroll", []) == set()
        assert matches(conn, firms.alpha, "payroll", [None, -1, 0]) == set()
        # The session's firm switched to Beta (not a member): nothing, for either tenant.
        conn.execute("SELECT set_config('gcmc.tenant_id', %s, false)", (str(firms.beta),))
        assert matches(conn, firms.beta, "payroll", beta_docs) == set()
        assert matches(conn, firms.alpha, "payroll", alpha_docs) == set()
    with staff(firms, "FilingClerk") as conn:  # no documents:view
        assert matches(conn, firms.alpha, "payroll", alpha_docs) == set()
    # The probe with a limit: at most that many of the own firm's matches, none of Beta's.
    with staff(firms, "DocumentOfficer") as conn:
        everything = found(conn, "desktop_document_search", firms.alpha, "payroll")
        assert everything == payroll_alpha
        for limit in (0, 1, 7, len(everything), len(everything) + 5):
            rows = conn.execute(
                "SELECT * FROM desktop_document_search(%s, %s, %s)",
                (firms.alpha, "payroll", limit),
            ).fetchall()
            ids = [row[0] for row in rows]
            assert len(ids) == len(set(ids)) == min(limit, len(everything)), limit
            assert set(ids) <= everything
        assert (
            conn.execute(
                "SELECT count(*) FROM desktop_document_search(%s, %s, %s)",
                (firms.beta, "payroll", 5),
            ).fetchone()[0]
            == 0
        )


def test_migration_0019_downgrades_and_upgrades(engine: Engine) -> None:
    def body() -> str:
        with engine.connect() as conn:
            return conn.scalar(
                text("SELECT prosrc FROM pg_proc WHERE proname = 'desktop_document_search'")
            )

    def matches_exists() -> bool:
        with engine.connect() as conn:
            return bool(
                conn.scalar(
                    text("SELECT count(*) FROM pg_proc WHERE proname = 'desktop_document_matches'")
                )
            )

    assert matches_exists() and "LIMIT %3$s) LIMIT" in body()
    migrate.downgrade(engine, "0014_scoring")
    assert not matches_exists() and "LIMIT %3$s) LIMIT" not in body()
    with engine.connect() as conn:  # the restored function still works
        conn.scalar(text("SELECT count(*) FROM desktop_document_search(NULL, 'x', 5)"))
    migrate.upgrade(engine)
    assert matches_exists() and "LIMIT %3$s) LIMIT" in body()


def test_sorted_search_page_serves_what_the_walk_cannot(
    engine: Engine, firms: Firms, officer: Context
) -> None:
    """A term that fills no page within the walk's budget is one call of the sort-aware search
    function per page (no probe, no page over all the function's ids), in every order."""
    from sqlalchemy import event

    for make, term, function in (
        (lambda: documents.document_list_query(officer), "annual return", "document"),
        (lambda: client_list_query(officer), "o'brien 100%_x", "client"),
    ):
        query = make()
        query._search_page_walk = 20  # a walk of one small chunk, then the sorted page
        query._search_sample = 20
        query.set_search(term)
        calls: list[str] = []
        with officer.reading() as s:

            @event.listens_for(s.connection(), "before_cursor_execute")
            def seen(conn, cursor, statement, *args, calls=calls) -> None:
                calls.append(statement)

            page = query.first_page(s, PAGE)
            page = query.next_page(s, page.cursor, PAGE)
        assert len(page) == PAGE
        assert sum(f"desktop_{function}_search_page" in c for c in calls) == 2
        assert not any(f"desktop_{function}_search(" in c for c in calls)


def test_sorted_search_page_falls_back_when_filters_drop_its_rows(
    engine: Engine, firms: Firms, officer: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a filter that drops most of the page's matches and no room to ask for more, the
    page still comes out whole and exact (from the search function's ids)."""
    from gcmc_desktop.services import paging

    monkeypatch.setattr(paging, "SORTED_ROUNDS", 0)
    lists = []
    for config in (PLAIN, SORTED):
        query = configured(documents.document_list_query(officer), config)
        query.set_filter("status", "expired")
        query.set_sort("uploaded", False)
        query.set_search("annual return")
        lists.append(every_page(officer, query, 7))
    assert lists[0] == lists[1] and lists[0]


def page_ids(conn: psycopg.Connection, function: str, *args) -> list:
    sql = f"SELECT * FROM {function}(%s, %s, %s, %s, %s, %s, %s)"
    return [row[0] for row in conn.execute(sql, args).fetchall()]


def test_search_page_functions_answer_only_for_the_own_firm(engine: Engine, firms: Firms) -> None:
    """Raw SQL on the staff user's own login: the own firm's matches in the asked order; NULL,
    empty, wildcards, quotes, a foreign firm, no permission or a sort key off the allow-list
    give nothing (or an error), never another firm's rows."""
    alpha_docs = firm_ids(engine, "documents", firms.alpha)
    alpha_clients = firm_ids(engine, "clients", firms.alpha)
    doc_fn, client_fn = "desktop_document_search_page", "desktop_client_search_page"
    with staff(firms, "DocumentOfficer") as conn:
        ids = page_ids(conn, doc_fn, firms.alpha, "payroll", "title", False, None, None, 1000)
        assert ids and set(ids) <= alpha_docs and len(ids) == len(set(ids))
        ordered = conn.execute(
            "SELECT id FROM documents WHERE id = ANY(%s) ORDER BY title, id", (ids,)
        ).fetchall()
        assert ids == [row[0] for row in ordered]
        # By id ("" or NULL), after a cursor: the next ones.
        by_id = page_ids(conn, doc_fn, firms.alpha, "payroll", "", False, None, None, 1000)
        assert by_id == sorted(by_id) and set(by_id) == set(ids)
        after = page_ids(conn, doc_fn, firms.alpha, "payroll", None, False, None, by_id[4], 3)
        assert after == by_id[5:8]
        clients = page_ids(conn, client_fn, firms.alpha, "persaud", "name", True, None, None, 50)
        assert clients and set(clients) <= alpha_clients
        # Wildcards are literal: "%" finds the names that hold one ("... 100%_x"), by name.
        with engine.connect() as owner:
            literal = list(
                owner.scalars(
                    text(
                        'SELECT id FROM clients WHERE "tenantId" = :t '
                        "AND strpos(name, '%') > 0 ORDER BY name, id"
                    ),
                    {"t": firms.alpha},
                )
            )
        assert literal
        got = page_ids(conn, client_fn, firms.alpha, "%", "name", False, None, None, 9999)
        assert got == literal
        for fn in (doc_fn, client_fn):
            key = "title" if fn == doc_fn else "name"
            # Another firm, NULL tenant, empty or NULL term, no limit: nothing.
            assert page_ids(conn, fn, firms.beta, "payroll", key, False, None, None, 50) == []
            assert page_ids(conn, fn, None, "persaud", key, False, None, None, 50) == []
            for term in (None, "", "   ", "%%", "\\", "' OR true --", "x" * 5000):
                assert page_ids(conn, fn, firms.alpha, term, key, False, None, None, 50) == []
            for limit in (None, 0, -5):
                assert (
                    page_ids(conn, fn, firms.alpha, "persaud", key, False, None, None, limit) == []
                )
            # A cursor value with quotes is a literal (and a bad one an error, not SQL).
            assert page_ids(conn, fn, firms.alpha, "a", key, False, "z'); --", 1, 5) == []
            # A sort key not on the allow-list: an error, whatever it holds.
            for bad in ("id; DROP TABLE documents", "d.title", "phone", "'", 'x"y'):
                with pytest.raises(psycopg.errors.InvalidParameterValue):
                    page_ids(conn, fn, firms.alpha, "a", bad, False, None, None, 5)
                conn.rollback()
        with pytest.raises(psycopg.errors.InvalidDatetimeFormat):
            page_ids(conn, doc_fn, firms.alpha, "a", "expiry", False, "no date'); --", 1, 5)
        conn.rollback()
        # The session's firm switched to Beta (not a member): nothing, for either tenant.
        conn.execute("SELECT set_config('gcmc.tenant_id', %s, false)", (str(firms.beta),))
        for tenant in (firms.alpha, firms.beta):
            assert page_ids(conn, doc_fn, tenant, "payroll", "title", False, None, None, 9) == []
            assert page_ids(conn, client_fn, tenant, "persaud", "name", False, None, None, 9) == []
    with staff(firms, "FilingClerk") as conn:  # no documents:view
        assert page_ids(conn, doc_fn, firms.alpha, "payroll", "title", False, None, None, 9) == []


def test_title_pages_walked_or_not_are_every_match_in_title_order(
    engine: Engine, firms: Firms
) -> None:
    """Migration 0027: in title order the function walks the title index (ASCII titles tested
    under "C", any other under the database's collation) and merges tag and text matches, or
    falls back to every match sorted. Page by page, after each cursor, both directions and
    from one row a page (every term walked) to a thousand (none): exactly the matches, in
    exactly the order of the plain SQL, accents and case folded as ILIKE folds them."""
    with engine.begin() as conn:
        conn.execute(
            text(
                'INSERT INTO documents ("tenantId", "clientId", "documentTypeId", title, status, '
                '"updatedAt") SELECT :t, d."clientId", d."documentTypeId", x, \'valid\', now() '
                'FROM (SELECT * FROM documents WHERE "tenantId" = :t LIMIT 1) d, '
                "unnest(ARRAY['École Annual RETURN', 'ÉCOLE annual return 2019', "
                "'Straße Annual return', 'annual returnée', 'Ölmühle payroll']) x"
            ),
            {"t": firms.alpha},
        )
        conn.execute(text("ANALYZE documents"))

    def truth(term: str, descending: bool) -> list[int]:
        direction = " DESC" if descending else ""
        with engine.connect() as conn:
            return list(
                conn.scalars(
                    text(
                        "SELECT d.id FROM documents d LEFT JOIN document_versions v ON v.id = "
                        'd."latestVersionId" WHERE d."tenantId" = :t AND (d.title ILIKE :p OR '
                        'desktop_tags_text(d.tags) ILIKE :p OR v."ocrText" ILIKE :p) '
                        f"ORDER BY d.title{direction}, d.id{direction}"
                    ),
                    {"t": firms.alpha, "p": f"%{term}%"},
                )
            )

    titles = dict(
        (row[0], row[1])
        for row in engine.connect().execute(
            text('SELECT id, title FROM documents WHERE "tenantId" = :t'), {"t": firms.alpha}
        )
    )
    terms = ("annual return", "école", "ÉCOLE ANNUAL", "payroll", "kaieteur", "2019 #1", "ö")
    with staff(firms, "DocumentOfficer") as conn:
        for term in terms:
            for descending in (False, True):
                want = truth(term, descending)
                assert want, term
                for limit in (1, 7, 1000):
                    got: list[int] = []
                    after: int | None = None
                    while True:
                        value = None if after is None else titles[after]
                        page = page_ids(
                            conn,
                            "desktop_document_search_page",
                            firms.alpha,
                            term,
                            "title",
                            descending,
                            value,
                            after,
                            limit,
                        )
                        got.extend(page)
                        if len(page) < limit or len(got) > len(want):
                            break
                        after = page[-1]
                    assert got == want, (term, descending, limit)

    # The walk itself served the full pages of a frequent title term, accented and upper-case
    # titles among them: with the fallback hidden, they come out all the same.
    inner = (
        "desktop__document_search_page_matches(integer, text, text, boolean, text, integer, "
        "integer)"
    )
    with engine.begin() as conn:
        conn.execute(text(f"ALTER FUNCTION {inner} RENAME TO desktop__hidden_for_the_test"))
    try:
        with staff(firms, "DocumentOfficer") as conn:
            for descending in (False, True):
                want = truth("annual return", descending)
                got, after = [], None
                while len(got) + 7 <= len(want):
                    value = None if after is None else titles[after]
                    got.extend(
                        page_ids(conn, "desktop_document_search_page", firms.alpha,
                                 "annual return", "title", descending, value, after, 7)
                    )  # fmt: skip
                    after = got[-1]
                assert got == want[: len(got)] and len(got) > len(want) - 7
                if descending:  # first in this order ("S", "É" after "A"): walked, not fallen back
                    shown = {titles[i] for i in got}
                    assert {"École Annual RETURN", "Straße Annual return"} <= shown
    finally:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "ALTER FUNCTION desktop__hidden_for_the_test(integer, text, text, boolean, "
                    "text, integer, integer) RENAME TO desktop__document_search_page_matches"
                )
            )


def test_migration_0027_downgrades_and_upgrades(engine: Engine, firms: Firms) -> None:
    def names() -> set[str]:
        with engine.connect() as conn:
            return set(
                conn.scalars(
                    text(
                        "SELECT proname FROM pg_proc "
                        "WHERE proname LIKE 'desktop%document_search_page%'"
                    )
                )
            )

    def works() -> list:
        with staff(firms, "DocumentOfficer") as conn:
            return page_ids(
                conn, "desktop_document_search_page", firms.alpha, "", "title", False, None, None, 5
            )

    assert names() == {"desktop_document_search_page", "desktop__document_search_page_matches"}
    migrate.downgrade(engine, "0026_scores2")
    assert names() == {"desktop_document_search_page"}
    assert works() == []  # the restored function still answers (and is still granted)
    migrate.upgrade(engine)
    assert names() == {"desktop_document_search_page", "desktop__document_search_page_matches"}
    inner = "desktop__document_search_page_matches"  # not for staff: only through the new one
    with (
        staff(firms, "DocumentOfficer") as conn,
        pytest.raises(psycopg.errors.InsufficientPrivilege),
    ):
        page_ids(conn, inner, firms.alpha, "a", "title", False, None, None, 5)


def test_migration_0024_downgrades_and_upgrades(engine: Engine) -> None:
    def exists() -> int:
        with engine.connect() as conn:
            return int(
                conn.scalar(
                    text(
                        "SELECT count(*) FROM pg_proc WHERE proname IN "
                        "('desktop_document_search_page', 'desktop_client_search_page', "
                        "'desktop__keyset_segments')"
                    )
                )
            )

    assert exists() == 3
    migrate.downgrade(engine, "0023_audit_scope")
    assert exists() == 0
    migrate.upgrade(engine)
    assert exists() == 3
