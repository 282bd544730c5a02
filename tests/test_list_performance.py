"""Issue 11: the staff path of the lists — search functions, the latest-version table and the
keyset sorts over it — stays exactly as strong as row-level security (migration 0008).

The users sign in through the real sign-in service; the attacks are raw SQL on the user's own
PostgreSQL login, as an insider with psql would send them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import psycopg
import pytest
from sqlalchemy import Engine, text

from gcmc_desktop.db import migrate
from gcmc_desktop.services import documents
from gcmc_desktop.services.client_list import client_list_query
from gcmc_desktop.services.context import Context

from .security_fixtures import Firms, build_firms
from .test_documents import in_days, new_document, sign_in, version
from .test_security_attacks import connect

ROLES = ("DocumentOfficer", "FilingClerk", "Viewer")


@pytest.fixture
def firms(engine: Engine, database_url) -> Firms:
    return build_firms(engine, database_url, ROLES)


@pytest.fixture
def officer(firms: Firms) -> Iterator[Context]:
    ctx = sign_in(firms, "DocumentOfficer")
    yield ctx
    ctx.session.close()


@pytest.fixture
def tin_type(engine: Engine, firms: Firms) -> int:
    with engine.begin() as conn:
        return conn.scalar(
            text(
                'INSERT INTO document_types ("tenantId", name, category, "updatedAt") '
                "VALUES (:t, 'TIN certificate', 'identification', now()) RETURNING id"
            ),
            {"t": firms.alpha},
        )


@contextmanager
def staff(firms: Firms, role: str, tenant: int | None = None) -> Iterator[psycopg.Connection]:
    with connect(firms.user_url(firms.emails[role])) as conn:
        conn.execute(
            "SELECT set_config('gcmc.tenant_id', %s, false)", (str(tenant or firms.alpha),)
        )
        yield conn


def found(conn: psycopg.Connection, function: str, tenant: int | None, term: str | None) -> set:
    rows = conn.execute(f"SELECT * FROM {function}(%s, %s)", (tenant, term)).fetchall()
    return {row[0] for row in rows}


def test_client_search_answers_only_for_the_own_firm(engine: Engine, firms: Firms) -> None:
    with engine.begin() as conn:
        obrien = conn.scalar(
            text(
                'INSERT INTO clients ("tenantId", name, type, "updatedAt") '
                "VALUES (:t, 'O''Brien 100% Ltd_x', 'company', now()) RETURNING id"
            ),
            {"t": firms.alpha},
        )
    search = "desktop_client_search"
    with staff(firms, "Viewer") as conn:
        assert found(conn, search, firms.alpha, "alpha") == {firms.alpha_client}
        assert found(conn, search, firms.alpha, "O'Brien") == {obrien}
        assert found(conn, search, firms.alpha, "100%") == {obrien}
        assert found(conn, search, firms.alpha, "d_x") == {obrien}
        # Wildcards and quotes are literal, not patterns or SQL.
        # "%" and "_" match only the client whose name contains them, not every client.
        for term in ("%", "_", "'"):
            assert found(conn, search, firms.alpha, term) == {obrien}, term
        for term in (None, "", "   ", "%%", "\\", "' OR true --", "a%c", "x" * 5000):
            assert found(conn, search, firms.alpha, term) == set(), term
        # Another firm's rows: not by asking for its tenant, not by choosing it for the session.
        assert found(conn, search, firms.beta, "beta") == set()
        assert found(conn, search, None, "beta") == set()
        conn.execute("SELECT set_config('gcmc.tenant_id', %s, false)", (str(firms.beta),))
        assert found(conn, search, firms.beta, "beta") == set()
        assert found(conn, search, firms.alpha, "alpha") == set()
        conn.execute("SELECT set_config('gcmc.tenant_id', '', false)")
        assert found(conn, search, firms.alpha, "alpha") == set()
    with staff(firms, "Viewer", firms.beta) as conn:
        assert found(conn, search, firms.beta, "client") == set()
    # The helpers are not the staff's to call.
    with staff(firms, "Viewer") as conn:
        for call in (
            f"SELECT desktop__search_tenant({firms.beta}, 'clients')",
            "SELECT desktop__contains_pattern('x')",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(call)


def test_document_search_needs_the_documents_permission(
    officer: Context, firms: Firms, tin_type: int
) -> None:
    mine = new_document(officer, firms, tin_type, title="Alpha TIN", tags=["payroll"])
    scanned = new_document(
        officer,
        firms,
        tin_type,
        title="Scan 7",
        first_version=version(2, ocr_text="issued to Zephyrine Ltd"),
    )
    search = "desktop_document_search"
    with staff(firms, "DocumentOfficer") as conn:
        assert found(conn, search, firms.alpha, "tin") == {mine["id"]}  # Beta TIN is not found
        assert found(conn, search, firms.alpha, "PAYROLL") == {mine["id"]}
        assert found(conn, search, firms.alpha, "zephyrine") == {scanned["id"]}
        assert found(conn, search, firms.beta, "tin") == set()
        assert found(conn, search, firms.alpha, "%") == set()
    again = new_document(
        officer,
        firms,
        tin_type,
        title="Scan 8",
        first_version=version(3, ocr_text="Zephyrine Ltd, renewal"),
    )
    # Pages of one: over the probed ids (cap 2000), among the scanned rows in list order (a
    # "frequent" term: cap 1, scan 5000) or through all the function's ids (the scan holds no
    # page: scan 1) — the same rows either way, title, tags and text.
    for cap, scan in ((2000, 5000), (1, 5000), (1, 1)):
        query = documents.document_list_query(officer, search_cap=cap, search_scan=scan)
        for term, expected in (
            ("tin", {mine["id"]}),
            ("zephyrine", {scanned["id"], again["id"]}),
            ("scan", {scanned["id"], again["id"]}),
            ("payroll", {mine["id"]}),
        ):
            query.set_search(term)
            with officer.reading() as s:
                page = query.first_page(s, 1)
                ids = list(page.ids)
                while not page.done:
                    page = query.next_page(s, page.cursor, 1)
                    ids += page.ids
                assert query.count(s) == len(ids)
            assert set(ids) == expected and len(ids) == len(expected), (cap, scan, term)
    with staff(firms, "FilingClerk") as conn:  # clients:view but no documents:view
        assert found(conn, search, firms.alpha, "tin") == set()
        assert found(conn, "desktop_client_search", firms.alpha, "alpha") == {firms.alpha_client}


def test_filing_search_answers_only_for_filings_viewers_of_the_own_firm(
    engine: Engine, firms: Firms
) -> None:
    """desktop_filing_search (0013): reference, period label and the client, as the list."""
    from gcmc_desktop.services.filings import filing_list_query

    with engine.begin() as conn:
        made = {}
        for tenant, client in ((firms.alpha, firms.alpha_client), (firms.beta, firms.beta_client)):
            kind = conn.scalar(
                text(
                    'INSERT INTO filing_types ("tenantId", name, code, authority, frequency, '
                    "\"updatedAt\") VALUES (:t, 'VAT', 'VAT_MONTHLY', 'GRA', 'monthly', now()) "
                    "RETURNING id"
                ),
                {"t": tenant},
            )
            for label, reference in (("March 2031", "GRA-O'Neil 5%"), ("Q2 2031", None)):
                made[(tenant, label)] = conn.scalar(
                    text(
                        'INSERT INTO filings ("tenantId", "clientId", "filingTypeId", status, '
                        '"periodStart", "periodEnd", "periodLabel", "referenceNumber", '
                        "\"updatedAt\") VALUES (:t, :c, :k, 'draft', '2031-03-01', "
                        "'2031-03-31', :l, :r, now()) RETURNING id"
                    ),
                    {"t": tenant, "c": client, "k": kind, "l": label, "r": reference},
                )
    march, q2 = made[(firms.alpha, "March 2031")], made[(firms.alpha, "Q2 2031")]
    search = "desktop_filing_search"
    with staff(firms, "Viewer") as conn:
        assert found(conn, search, firms.alpha, "o'neil 5%") == {march}  # quotes, literal %
        assert found(conn, search, firms.alpha, "q2 2031") == {q2}
        assert found(conn, search, firms.alpha, "alpha client") == {march, q2}
        assert found(conn, search, firms.alpha, "%") == {march}  # a literal %, not "anything"
        for term in (None, "", "_", "' OR true --", "x" * 5000):
            assert found(conn, search, firms.alpha, term) == set(), term
        assert found(conn, search, firms.beta, "2031") == set()  # another firm's
        assert found(conn, search, None, "2031") == set()
    with staff(firms, "DocumentOfficer") as conn:  # no filings:view
        assert found(conn, search, firms.alpha, "2031") == set()
    viewer = sign_in(firms, "Viewer")
    # The same rows over the probed ids, among the scanned rows, or through all the ids.
    for cap, scan in ((2000, 5000), (1, 5000), (1, 1)):
        query = filing_list_query(viewer)
        query._search_cap, query._search_scan = cap, scan
        for term, expected in (("neil", {march}), ("2031", {march, q2}), ("alpha", {march, q2})):
            query.set_search(term)
            with viewer.reading() as s:
                page = query.first_page(s, 1)
                ids = list(page.ids)
                while not page.done:
                    page = query.next_page(s, page.cursor, 1)
                    ids += page.ids
                assert query.count(s) == len(ids)
            assert set(ids) == expected and len(ids) == len(expected), (cap, scan, term)


def test_latest_versions_follow_every_version_change(
    engine: Engine, officer: Context, firms: Firms, tin_type: int
) -> None:
    def latest(document_id: int) -> tuple | None:
        with engine.connect() as conn:
            row = conn.execute(
                text(
                    'SELECT "tenantId", "versionId", "expiryDate" FROM desktop_latest_versions '
                    'WHERE "documentId" = :d'
                ),
                {"d": document_id},
            ).one_or_none()
        return None if row is None else tuple(row)

    def midnight(days: int) -> datetime:
        return datetime.combine(in_days(days), datetime.min.time())

    document = new_document(officer, firms, tin_type, first_version=version(1, expiry=in_days(30)))
    first = document["latest_version_id"]
    assert latest(document["id"]) == (firms.alpha, first, midnight(30))
    second = documents.add_version(officer, document["id"], version(2, expiry=in_days(90)))
    assert latest(document["id"]) == (firms.alpha, second["id"], midnight(90))
    with engine.begin() as conn:  # the web platform edits a version directly
        conn.execute(
            text('UPDATE document_versions SET "expiryDate" = :e WHERE id = :v'),
            {"e": midnight(120), "v": second["id"]},
        )
    assert latest(document["id"]) == (firms.alpha, second["id"], midnight(120))
    with engine.begin() as conn:
        conn.execute(
            text('UPDATE documents SET "latestVersionId" = :v WHERE id = :d'),
            {"v": first, "d": document["id"]},
        )
    assert latest(document["id"]) == (firms.alpha, first, midnight(30))
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM documents WHERE id = :d"), {"d": document["id"]})
    assert latest(document["id"]) is None


def test_staff_read_the_latest_versions_as_they_read_documents(
    officer: Context, firms: Firms, tin_type: int
) -> None:
    document = new_document(officer, firms, tin_type)
    with staff(firms, "DocumentOfficer") as conn:
        seen = {r[0] for r in conn.execute('SELECT "documentId" FROM desktop_latest_versions')}
        assert seen == {document["id"]}  # not Beta's
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(
                'INSERT INTO desktop_latest_versions ("documentId", "tenantId") VALUES (%s, %s)',
                (firms.beta_document, firms.alpha),
            )
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute('UPDATE desktop_latest_versions SET "expiryDate" = NULL')
        conn.execute("SELECT set_config('gcmc.tenant_id', %s, false)", (str(firms.beta),))
        assert conn.execute("SELECT count(*) FROM desktop_latest_versions").fetchone()[0] == 0
    with staff(firms, "FilingClerk") as conn:  # no documents:view
        assert conn.execute("SELECT count(*) FROM desktop_latest_versions").fetchone()[0] == 0


def test_staff_lists_search_and_page_by_joined_sort_keys(
    engine: Engine, officer: Context, firms: Firms, tin_type: int
) -> None:
    days = [40, None, 10, 40, None, 25, 10, 60]
    made = [
        new_document(
            officer,
            firms,
            tin_type,
            title=f"Doc {i}",
            first_version=version(10 + i, expiry=None if d is None else in_days(d)),
        )
        for i, d in enumerate(days)
    ]
    expiry = {doc["id"]: d for doc, d in zip(made, days, strict=True)}
    for descending in (False, True):
        query = documents.document_list_query(officer)
        query.set_sort("expiry", descending)
        seen: list[int] = []
        with officer.reading() as s:
            page = query.first_page(s, 3)
            seen += page.ids
            while not page.done:
                page = query.next_page(s, page.cursor, 3)
                seen += page.ids
        # NULLs last ascending, first descending; equal dates by id.
        present = sorted((i for i in expiry if expiry[i] is not None), key=lambda i: (expiry[i], i))
        nulls = sorted(i for i in expiry if expiry[i] is None)
        expected = present + nulls
        assert seen == (expected[::-1] if descending else expected)

    with engine.begin() as conn:
        for name in ("Persaud Trading", "Seepersaud Ltd", "Other Co"):
            conn.execute(
                text(
                    'INSERT INTO clients ("tenantId", name, type, "updatedAt") '
                    "VALUES (:t, :n, 'company', now())"
                ),
                {"t": firms.alpha, "n": name},
            )
    # Over the probed ids, within the scanned rows, or through all the function's ids: the same
    # rows either way, in pages.
    for cap, scan in ((2000, 5000), (1, 5000), (1, 1)):
        query = client_list_query(officer, search_cap=cap, search_scan=scan)
        query.set_search("persaud")
        with officer.reading() as s:
            page = query.first_page(s, 1)
            rest = query.next_page(s, page.cursor, 10)
            assert query.count(s) == 2
        names = [row["name"] for row in page.dicts() + rest.dicts()]
        assert names == ["Persaud Trading", "Seepersaud Ltd"], (cap, scan)
        assert rest.done


def test_staff_jump_anywhere_only_within_their_own_firm(engine: Engine, firms: Firms) -> None:
    """Reading by position (a survey's count and anchors, rows at any position, from either end,
    even with a total that is a lie) goes through the same row-level security as every page:
    another firm's rows never show, nor count, nor shift a position."""
    with engine.begin() as conn:
        for tenant, count in ((firms.alpha, 30), (firms.beta, 40)):
            for i in range(count):
                conn.execute(
                    text(
                        'INSERT INTO clients ("tenantId", name, type, "updatedAt") '
                        "VALUES (:t, :n, 'company', now())"
                    ),
                    {"t": tenant, "n": f"Shared {i:02d}"},  # the same names in both firms
                )
        alpha_ids = list(
            conn.scalars(
                text('SELECT id FROM clients WHERE "tenantId" = :t ORDER BY name, id'),
                {"t": firms.alpha},
            )
        )
    ctx = sign_in(firms, "Viewer")
    try:
        query = client_list_query(ctx)
        with ctx.reading() as s:
            survey = query.survey(s, 7)
            assert survey.total == len(alpha_ids) == 31
            assert [a.cursor.id for a in survey.anchors] == [
                alpha_ids[a.position] for a in survey.anchors
            ]
            for start in (0, 5, 14, 29, 30):
                for total in (None, survey.total, 71):  # 71: both firms' count, a lie
                    page = query.read_range(s, start, 4, anchors=survey.anchors, total=total)
                    assert set(page.ids) <= set(alpha_ids)
                    if total != 71:
                        assert page.ids == alpha_ids[start : start + 4]
            # Asking for the other firm's list reads nothing there, whatever the position.
            query = client_list_query(ctx)
            query._base = query._base.where(text(f'clients."tenantId" = {firms.beta}'))
            assert query.survey(s, 3).total == 0
            assert query.read_range(s, 10, 5, total=40).ids == []
    finally:
        ctx.session.close()


def test_documents_without_clients_view_say_so_in_the_client_column(
    engine: Engine, officer: Context, firms: Firms, tin_type: int
) -> None:
    """A role that may view documents but not clients keeps the Client column, which says on
    every row that it has no access (not an empty cell that looks like "no client"), cannot be
    sorted on, and the list's SQL does not read clients at all."""
    import dataclasses

    new_document(officer, firms, tin_type, title="Filed for Alpha", client_id=firms.alpha_client)
    with officer.reading() as s:
        page = documents.document_list_query(officer).first_page(s, 10)
    assert [row["client"] for row in page.dicts()] == ["Alpha Client"]

    no_clients = dataclasses.replace(
        officer, permissions=frozenset(p for p in officer.permissions if p[0] != "clients")
    )
    assert not no_clients.can("clients", "view") and no_clients.can("documents", "view")
    query = documents.document_list_query(no_clients)
    spec = query.columns[query.column_index("client")]
    assert not spec.sortable
    with pytest.raises(ValueError, match="not sortable"):
        query.set_sort("client")
    assert "clients" not in str(query.page_statement(10))
    with no_clients.reading() as s:
        page = query.first_page(s, 10)
    assert [row["title"] for row in page.dicts()] == ["Filed for Alpha"]
    assert [spec.format(row["client"]) for row in page.dicts()] == [documents.NO_CLIENT_ACCESS]


def test_documents_sort_by_client_and_type_names_kept_by_triggers(
    engine: Engine, officer: Context, firms: Firms, tin_type: int
) -> None:
    """Migration 0009: the client's and the type's names next to each document follow
    renames (by the app or straight in SQL, as the web platform does), and the list sorts by
    them in pages exactly as SQL orders the joined names."""
    with engine.begin() as conn:
        clients = [
            conn.scalar(
                text(
                    'INSERT INTO clients ("tenantId", name, type, "updatedAt") '
                    "VALUES (:t, :n, 'company', now()) RETURNING id"
                ),
                {"t": firms.alpha, "n": name},
            )
            for name in ("Zed Ltd", "Able Co", "Mid Inc")
        ]
        nis_type = conn.scalar(
            text(
                'INSERT INTO document_types ("tenantId", name, category, "updatedAt") '
                "VALUES (:t, 'NIS card', 'identification', now()) RETURNING id"
            ),
            {"t": firms.alpha},
        )
    for i in range(9):
        new_document(
            officer,
            firms,
            (tin_type, nis_type)[i % 2],
            title=f"Doc {i}",
            client_id=clients[i % 3],
        )

    def listed(key: str, descending: bool) -> list[int]:
        query = documents.document_list_query(officer)
        query.set_sort(key, descending)
        seen: list[int] = []
        with officer.reading() as s:
            page = query.first_page(s, 2)
            seen += page.ids
            while not page.done:
                page = query.next_page(s, page.cursor, 2)
                seen += page.ids
        return seen

    def expected(order: str) -> list[int]:
        with engine.connect() as conn:
            return list(
                conn.scalars(
                    text(
                        'SELECT d.id FROM documents d JOIN clients c ON c.id = d."clientId" '
                        'JOIN document_types t ON t.id = d."documentTypeId" '
                        f'WHERE d."tenantId" = :t ORDER BY {order}'
                    ),
                    {"t": firms.alpha},
                )
            )

    def check() -> None:
        # By position too (from the end, and from a survey's anchors), as a jump reads them.
        for key, descending, order in (
            ("client", True, "c.name DESC, d.id DESC"),
            ("type", False, "t.name, d.id"),
        ):
            query = documents.document_list_query(officer)
            query.set_sort(key, descending)
            with officer.reading() as s:
                survey = query.survey(s, 2)
                assert survey.total == 9
                for start in (0, 3, 6):
                    page = query.read_range(s, start, 2, anchors=survey.anchors, total=9)
                    assert page.ids == expected(order)[start : start + 2]
        assert listed("client", False) == expected("c.name, d.id")
        assert listed("client", True) == expected("c.name DESC, d.id DESC")
        assert listed("type", False) == expected("t.name, d.id")
        assert listed("type", True) == expected("t.name DESC, d.id DESC")

    check()
    with engine.begin() as conn:  # renames straight in SQL
        conn.execute(text("UPDATE clients SET name = 'Aardvark' WHERE id = :c"), {"c": clients[0]})
        conn.execute(
            text("UPDATE document_types SET name = 'AAA card' WHERE id = :t"), {"t": nis_type}
        )
    check()
    with engine.begin() as conn:  # a document moved to another client and type
        moved = conn.scalar(
            text(
                'UPDATE documents SET "clientId" = :c, "documentTypeId" = :k '
                "WHERE title = 'Doc 0' RETURNING id"
            ),
            {"c": clients[1], "k": nis_type},
        )
    check()
    query = documents.document_list_query(officer)
    with officer.reading() as s:
        row = next(r for r in query.first_page(s, 50).dicts() if r["id"] == moved)
    assert (row["client"], row["type"]) == ("Able Co", "AAA card")


def test_staff_read_client_names_only_with_both_permissions(
    officer: Context, firms: Firms, tin_type: int
) -> None:
    document = new_document(officer, firms, tin_type)
    with staff(firms, "DocumentOfficer") as conn:
        rows = conn.execute('SELECT "documentId", "clientName" FROM desktop_client_names')
        assert set(rows.fetchall()) == {(document["id"], "Alpha Client")}  # not Beta's
        assert conn.execute(
            'SELECT "typeName" FROM desktop_latest_versions WHERE "documentId" = %s',
            (document["id"],),
        ).fetchone() == ("TIN certificate",)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(
                'INSERT INTO desktop_client_names ("documentId", "tenantId", "clientName") '
                "VALUES (%s, %s, 'x''); --')",
                (firms.beta_document, firms.alpha),
            )
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute('UPDATE desktop_client_names SET "clientName" = NULL')
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT desktop__sync_client_names()")
        for tenant in (str(firms.beta), "", "0"):  # another firm, none, nonsense
            conn.execute("SELECT set_config('gcmc.tenant_id', %s, false)", (tenant,))
            count = conn.execute("SELECT count(*) FROM desktop_client_names").fetchone()[0]
            assert count == 0
    with staff(firms, "FilingClerk") as conn:  # clients:view but no documents:view
        assert conn.execute("SELECT count(*) FROM desktop_client_names").fetchone()[0] == 0


def test_migration_downgrades_and_upgrades(engine: Engine) -> None:
    def objects() -> set[str]:
        with engine.connect() as conn:
            return set(
                conn.scalars(
                    text(
                        "SELECT proname FROM pg_proc WHERE proname LIKE 'desktop%search%' "
                        "OR proname LIKE 'desktop%latest%' UNION "
                        "SELECT relname FROM pg_class WHERE relname LIKE 'desktop_latest%'"
                    )
                )
            )

    # 0009: the type-name index; 0013: desktop_filing_search; 0021: desktop_audit_search;
    # 0022: desktop_document_search_page, desktop_client_search_page; 0027: the former kept as
    # desktop__document_search_page_matches
    assert len(objects()) == 14
    migrate.downgrade(engine, "0008_list_performance")
    assert len(objects()) == 8
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT to_regclass('desktop_client_names')")) is None
    migrate.upgrade(engine)
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT to_regclass('desktop_client_names')")) is not None
    migrate.downgrade(engine, "0007_change_notifications")
    assert objects() == set()
    migrate.upgrade(engine)
    assert len(objects()) == 14
