"""The firm-wide Audit page and the audit archive: the service's filters and search, keyset
paging (ties on one timestamp included), row-level security as another firm's staff, the
archive round trip (counts and checksums), the CLI, and the page itself."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from PySide6.QtCore import QThreadPool
from sqlalchemy import Engine, text

from gcmc_desktop.cli import main
from gcmc_desktop.services import audit_archive, auth
from gcmc_desktop.services.audit_archive import CURRENT, fingerprint
from gcmc_desktop.services.audit_trail import (
    ACTION,
    ACTOR,
    ARCHIVED,
    CLIENT,
    ENTITY,
    SINCE,
    UNTIL,
    entity_choices,
    firm_audit_query,
)
from gcmc_desktop.services.context import Context
from gcmc_desktop.views.table_model import query_pool

from .security_fixtures import PASSWORD, Firms, build_firms, raw
from .test_cli_db import platform_form

WAIT = 10_000
NOW = datetime(2026, 12, 1, 12, 0, 0)


def drain() -> None:
    QThreadPool.globalInstance().waitForDone()
    query_pool().waitForDone()


@pytest.fixture
def firms(engine: Engine, database_url) -> Iterator[Firms]:
    yield build_firms(engine, database_url, ("FirmAdmin", "Viewer"))
    drain()


@pytest.fixture
def contexts(firms: Firms) -> Iterator[dict[str, Context]]:
    opened: dict[str, Context] = {}

    def sign(email: str) -> Context:
        return auth.open_context(auth.sign_in(firms.profile, email, PASSWORD))

    opened["Viewer"] = sign(firms.emails["Viewer"])
    opened["FirmAdmin"] = sign(firms.emails["FirmAdmin"])
    opened["Beta"] = sign("boss@beta.gy")
    yield opened
    drain()
    for ctx in opened.values():
        auth.sign_out(ctx)


def user_id(engine: Engine, email: str) -> str:
    with engine.connect() as conn:
        return conn.scalar(text('SELECT _id FROM "user" WHERE email = :e'), {"e": email})


def add_rows(engine: Engine, rows: list[dict]) -> list[int]:
    """Audit rows written directly as the administrator (as the platform would)."""
    ids = []
    with engine.begin() as conn:
        for row in rows:
            values = {
                "tenantId": row["tenant"],
                "actorUserId": row.get("actor"),
                "clientId": row.get("client"),
                "entityType": row.get("entity", "client"),
                "entityId": row.get("entity_id", 1),
                "action": row.get("action", "update"),
                "changes": json.dumps(row.get("changes", {"name": ["A", "B"]})),
                "createdAt": row["at"],
                "ipAddress": row.get("ip", "10.0.0.1"),
            }
            ids.append(
                conn.scalar(
                    text(
                        'INSERT INTO audit_logs ("tenantId", "actorUserId", "clientId", '
                        '"entityType", "entityId", action, changes, "createdAt", "ipAddress") '
                        "VALUES (:tenantId, :actorUserId, :clientId, :entityType, :entityId, "
                        ":action, CAST(:changes AS jsonb), :createdAt, :ipAddress) RETURNING id"
                    ),
                    values,
                )
            )
    return ids


def clear_audit(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_logs"))


def all_ids(ctx: Context, query, limit: int = 7) -> list[int]:
    """Every id of the list, page by page."""
    out: list[int] = []
    page = query.first_page(ctx.session, limit)
    out.extend(page.ids)
    while not page.done:
        page = query.next_page(ctx.session, page.cursor, limit)
        out.extend(page.ids)
    return out


@pytest.fixture
def trail(engine: Engine, firms: Firms) -> dict[str, list[int]]:
    """Alpha: a mix of users, records, actions, clients and dates; 12 rows on one timestamp.
    Beta: rows of its own."""
    clear_audit(engine)
    admin = user_id(engine, firms.emails["FirmAdmin"])
    viewer = user_id(engine, firms.emails["Viewer"])
    boss = user_id(engine, "boss@beta.gy")
    a, b = firms.alpha, firms.beta
    out: dict[str, list[int]] = {}
    out["ties"] = add_rows(
        engine,
        [{"tenant": a, "actor": admin, "client": firms.alpha_client, "at": NOW} for _ in range(12)],
    )
    out["viewer"] = add_rows(
        engine,
        [
            {
                "tenant": a,
                "actor": viewer,
                "entity": "document",
                "action": "create",
                "at": NOW - timedelta(days=d),
            }
            for d in range(1, 6)
        ],
    )
    out["old"] = add_rows(
        engine,
        [
            {
                "tenant": a,
                "actor": admin,
                "entity": "filing",
                "action": "delete",
                "at": NOW - timedelta(days=800 + d),
            }
            for d in range(4)
        ],
    )
    out["system"] = add_rows(
        engine, [{"tenant": a, "entity": "task", "at": NOW - timedelta(days=30)}]
    )
    out["beta"] = add_rows(
        engine,
        [
            {
                "tenant": b,
                "actor": boss,
                "client": firms.beta_client,
                "at": NOW - timedelta(hours=h),
            }
            for h in range(3)
        ],
    )
    return out


def expected_order(engine: Engine, ids: list[int]) -> list[int]:
    with engine.connect() as conn:
        return list(
            conn.scalars(
                text(
                    "SELECT id FROM audit_logs WHERE id = ANY(:ids) "
                    'ORDER BY "createdAt" DESC, id DESC'
                ),
                {"ids": ids},
            )
        )


# ------------------------------------------------------------------------------- service


def test_keyset_paging_covers_ties_once_in_order(engine, contexts, trail) -> None:
    ctx = contexts["Viewer"]
    alpha = trail["ties"] + trail["viewer"] + trail["old"] + trail["system"]
    query = firm_audit_query(ctx)
    # Pages of 5 cut through the 12 entries of one timestamp twice.
    got = all_ids(ctx, query, limit=5)
    assert got == expected_order(engine, alpha)
    assert query.count(ctx.session) == len(alpha)
    # The other way round (oldest first) and the last page by position.
    ascending = query.reversed()
    assert all_ids(ctx, ascending, limit=4) == got[::-1]
    end = query.read_range(ctx.session, len(got) - 3, 3, total=len(got))
    assert end.ids == got[-3:]
    middle = query.read_range(ctx.session, 3, 6)
    assert middle.ids == got[3:9]


def test_filters(engine, contexts, firms, trail) -> None:
    ctx = contexts["Viewer"]
    viewer = user_id(engine, firms.emails["Viewer"])

    def ids(**filters) -> set[int]:
        query = firm_audit_query(ctx)
        for key, value in filters.items():
            query.set_filter(key, value)
        return set(all_ids(ctx, query, limit=50))

    assert ids(**{ACTOR: viewer}) == set(trail["viewer"])
    assert ids(**{ENTITY: "filing"}) == set(trail["old"])
    assert ids(**{ACTION: "create"}) == set(trail["viewer"])
    assert ids(**{CLIENT: firms.alpha_client}) == set(trail["ties"])
    day = NOW.date()
    assert ids(**{SINCE: day - timedelta(days=3), UNTIL: day - timedelta(days=1)}) == set(
        trail["viewer"][:3]
    )
    assert ids(**{ENTITY: "document", ACTION: "delete"}) == set()
    # Labels, not codes, in what the list shows; the actor's name; no actor = empty.
    query = firm_audit_query(ctx)
    query.set_filter(ENTITY, "task")
    page = query.first_page(ctx.session, 5)
    row = dict(zip(page.keys, page.rows[0], strict=True))
    spec = {c.key: c for c in query.columns}
    assert spec["entity_type"].format(row["entity_type"]) == "Task"
    assert spec["action"].format(row["action"]) == "Update"
    assert row["actor"] is None and row["archived"] is False
    query = firm_audit_query(ctx)
    query.set_filter(CLIENT, firms.alpha_client)
    first = query.first_page(ctx.session, 1).dicts()[0]
    assert first["client"] == "Alpha Client" and first["actor"] == "FirmAdmin User"


def test_search_finds_clients_and_users(engine, contexts, firms, trail) -> None:
    ctx = contexts["FirmAdmin"]

    def found(term: str) -> set[int]:
        query = firm_audit_query(ctx)
        query.set_search(term)
        return set(all_ids(ctx, query, limit=50))

    assert found("alpha cli") == set(trail["ties"])
    assert found("Viewer User") == set(trail["viewer"])
    assert found("viewer@alpha") == set(trail["viewer"])
    assert found("Beta Client") == set()  # another firm's client
    assert found("Beta Boss") == set()  # another firm's user acted only there
    assert found("50% off_'\\") == set()


def test_another_firms_staff_see_nothing_of_it(engine, contexts, firms, trail) -> None:
    beta = contexts["Beta"]
    assert set(all_ids(beta, firm_audit_query(beta), limit=50)) == set(trail["beta"])
    # Beta's own boss, by hand with their own database login.
    with raw(firms.user_url("boss@beta.gy")) as conn:
        conn.execute("SELECT set_config('gcmc.tenant_id', %s, false)", (str(firms.beta),))
        seen = {r[0] for r in conn.execute("SELECT id FROM audit_logs")}
        assert seen == set(trail["beta"])
        for tenant, term in (
            (firms.alpha, "Alpha"),
            (firms.alpha, "FirmAdmin"),
            (None, "Alpha"),
            (firms.alpha, None),
            (firms.beta, ""),
            (firms.alpha, "'; DROP TABLE audit_logs; --"),
            (firms.beta, "Alpha Client"),
        ):
            rows = conn.execute(
                "SELECT * FROM desktop_audit_search(%s, %s, NULL)", (tenant, term)
            ).fetchall()
            assert rows == [], (tenant, term)
        # Its own firm: the entries about "Beta Client" and by "Beta Boss" (the same three,
        # found both ways: ids may repeat, the list's `id IN (…)` does not mind).
        found = conn.execute(
            "SELECT count(DISTINCT x) FROM desktop_audit_search(%s, %s, NULL) x",
            (firms.beta, "Beta"),
        ).fetchone()[0]
        assert found == 3
        none = conn.execute(
            "SELECT count(*) FROM desktop_audit_search(%s, %s, -1)", (firms.beta, "Beta")
        ).fetchone()[0]
        assert none == 0
        # Switching to a firm they are not a member of shows nothing either.
        conn.execute("SELECT set_config('gcmc.tenant_id', %s, false)", (str(firms.alpha),))
        assert conn.execute("SELECT count(*) FROM audit_logs").fetchone()[0] == 0
        assert (
            conn.execute(
                "SELECT count(*) FROM desktop_audit_search(%s, 'Alpha', NULL)", (firms.alpha,)
            ).fetchone()[0]
            == 0
        )


def test_an_entry_is_read_with_its_records_view_permission(engine, contexts, firms, trail) -> None:
    """A Viewer (no users, messages or settings permission) does not read entries about
    members, messages or roles: not on the page, not in its record filter, not by hand; the
    FirmAdmin does; a type the Desktop does not know (the platform's own) stays readable."""
    a = firms.alpha
    guarded = add_rows(
        engine,
        [
            {
                "tenant": a,
                "entity": entity,
                "changes": {"email": ["a@x.gy", "secret@x.gy"]},
                "at": NOW,
            }
            for entity in ("user", "tenant_user", "message", "role")
        ],
    )
    platform = add_rows(engine, [{"tenant": a, "entity": "invoice_export", "at": NOW}])
    viewer, admin = contexts["Viewer"], contexts["FirmAdmin"]
    seen = set(all_ids(viewer, firm_audit_query(viewer), limit=50))
    assert not seen & set(guarded)
    assert set(platform) <= seen and set(trail["viewer"]) <= seen
    assert set(guarded) | set(platform) <= set(all_ids(admin, firm_audit_query(admin), limit=50))
    choices = {e for _label, e in entity_choices(viewer)}
    assert {"document", "filing", "client"} <= choices
    assert not choices & {"user", "tenant_user", "message", "role", "permission"}
    assert {"user", "message", "role"} <= {e for _label, e in entity_choices(admin)}
    with raw(firms.user_url(firms.emails["Viewer"])) as conn:
        conn.execute("SELECT set_config('gcmc.tenant_id', %s, false)", (str(a),))
        by_hand = {r[0] for r in conn.execute("SELECT id FROM audit_logs")}
        assert not by_hand & set(guarded) and set(platform) <= by_hand
        assert (
            conn.execute(
                "SELECT count(*) FROM audit_logs WHERE changes::text LIKE '%%secret@x.gy%%'"
            ).fetchone()[0]
            == 0
        )
        hidden = conn.execute("SELECT desktop_audit_hidden_types()").fetchone()[0]
        assert {"user", "message", "role"} <= set(hidden) and "document" not in hidden
        # Another firm chosen, or none: the Viewer's own rights there are none, nothing shows.
        conn.execute("SELECT set_config('gcmc.tenant_id', %s, false)", (str(firms.beta),))
        assert conn.execute("SELECT count(*) FROM audit_logs").fetchone()[0] == 0
        assert "document" in conn.execute("SELECT desktop_audit_hidden_types()").fetchone()[0]


def test_archive_is_read_only_for_staff_and_scoped(engine, contexts, firms, trail) -> None:
    audit_archive.archive_audit(engine, timedelta(days=365), now=NOW)
    import psycopg

    with raw(firms.user_url(firms.emails["FirmAdmin"])) as conn:
        conn.execute("SELECT set_config('gcmc.tenant_id', %s, false)", (str(firms.alpha),))
        assert conn.execute("SELECT count(*) FROM desktop_audit_archive").fetchone()[0] == 4
        for statement in (
            "DELETE FROM desktop_audit_archive",
            "UPDATE desktop_audit_archive SET action = 'x'",
            "INSERT INTO desktop_audit_archive SELECT * FROM audit_logs LIMIT 1",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)
    with raw(firms.user_url("boss@beta.gy")) as conn:
        conn.execute("SELECT set_config('gcmc.tenant_id', %s, false)", (str(firms.beta),))
        assert conn.execute("SELECT count(*) FROM desktop_audit_archive").fetchone()[0] == 0
        conn.execute("SELECT set_config('gcmc.tenant_id', %s, false)", (str(firms.alpha),))
        assert conn.execute("SELECT count(*) FROM desktop_audit_archive").fetchone()[0] == 0
    beta = contexts["Beta"]
    query = firm_audit_query(beta)
    query.set_filter(ARCHIVED, None)
    assert set(all_ids(beta, query, limit=50)) == set(trail["beta"])


# ------------------------------------------------------------------------------- archive


def both(engine: Engine):
    with engine.connect() as conn:
        return fingerprint(conn, CURRENT) + fingerprint(conn, audit_archive.ARCHIVE)


def test_archive_round_trip_loses_nothing(engine, contexts, firms, trail) -> None:
    ctx = contexts["Viewer"]
    with engine.connect() as conn:
        original = fingerprint(conn, CURRENT)
        alpha_before = fingerprint(conn, CURRENT, tenant_id=firms.alpha)
    result = audit_archive.archive_audit(engine, timedelta(days=730), now=NOW, batch=3)
    assert result.moved.rows == 4 and result.batches == 2 and result.remaining == 0
    assert result.before == result.after
    with engine.connect() as conn:
        assert fingerprint(conn, CURRENT).rows == original.rows - 4
        archived = fingerprint(conn, audit_archive.ARCHIVE)
    assert archived == result.moved
    assert both(engine) == original

    # The page: current rows by default; with "Include archived" the old ones too, in order.
    query = firm_audit_query(ctx)
    assert set(all_ids(ctx, query, limit=50)).isdisjoint(trail["old"])
    query.set_filter(ARCHIVED, None)
    everything = all_ids(ctx, query, limit=3)
    assert everything[-4:] == trail["old"]  # the oldest (800 days and more) at the end
    assert len(everything) == alpha_before.rows
    page = query.read_range(ctx.session, len(everything) - 1, 1, total=len(everything))
    assert page.dicts()[0]["archived"] is True
    query.set_search("FirmAdmin User")
    assert set(trail["old"]) <= set(all_ids(ctx, query, limit=50))

    # Archiving again finds nothing; restoring brings every row back as it was.
    assert audit_archive.archive_audit(engine, timedelta(days=730), now=NOW).moved.rows == 0
    summary = audit_archive.archive_summary(engine)
    assert [(f.name, f.rows) for f in summary] == [("Alpha Tax", 4)]
    restored = audit_archive.restore_audit(engine, batch=2)
    assert restored.moved == result.moved and restored.batches == 2
    with engine.connect() as conn:
        assert fingerprint(conn, CURRENT) == original
        assert fingerprint(conn, audit_archive.ARCHIVE).rows == 0


def test_a_batch_that_does_not_arrive_whole_is_rolled_back(engine, firms, trail) -> None:
    with engine.begin() as conn:
        original = fingerprint(conn, CURRENT)
        # A tampering trigger: the archive keeps a different action than it was given.
        conn.execute(
            text(
                "CREATE FUNCTION pg_temp_tamper() RETURNS trigger LANGUAGE plpgsql AS $$ "
                "BEGIN NEW.action := 'tampered'; RETURN NEW; END $$"
            )
        )
        conn.execute(
            text(
                "CREATE TRIGGER tamper BEFORE INSERT ON desktop_audit_archive FOR EACH ROW "
                "EXECUTE FUNCTION pg_temp_tamper()"
            )
        )
    with pytest.raises(audit_archive.ArchiveError, match="did not arrive whole"):
        audit_archive.archive_audit(engine, timedelta(days=730), now=NOW)
    with engine.begin() as conn:
        assert fingerprint(conn, CURRENT) == original
        assert fingerprint(conn, audit_archive.ARCHIVE).rows == 0
        conn.execute(text("DROP TRIGGER tamper ON desktop_audit_archive"))
        conn.execute(text("DROP FUNCTION pg_temp_tamper()"))


def test_restore_after_the_client_is_deleted(engine, firms, trail) -> None:
    add_rows(
        engine,
        [{"tenant": firms.beta, "client": firms.beta_client, "at": NOW - timedelta(days=900)}],
    )
    audit_archive.archive_audit(engine, timedelta(days=730), now=NOW, verify=False)
    with engine.begin() as conn:
        conn.execute(text('DELETE FROM documents WHERE "clientId" = :c'), {"c": firms.beta_client})
        conn.execute(text("DELETE FROM clients WHERE id = :c"), {"c": firms.beta_client})
    assert audit_archive.restore_audit(engine).moved.rows == 5
    with engine.connect() as conn:
        assert (
            conn.scalar(
                text('SELECT count(*) FROM audit_logs WHERE "clientId" = :c'),
                {"c": firms.beta_client},
            )
            == 0
        )


def test_parse_age() -> None:
    assert audit_archive.parse_age("2y") == timedelta(days=730)
    assert audit_archive.parse_age(" 18M ") == timedelta(days=540)
    assert audit_archive.parse_age("6w") == timedelta(days=42)
    for bad in ("", "2", "y", "-1y", "2 years"):
        with pytest.raises(ValueError):
            audit_archive.parse_age(bad)


def test_cli_archive_show_restore(database_url, engine, firms, trail, capsys) -> None:
    def run(*args: str) -> int:
        return main(
            ["--database-url", platform_form(database_url), "maintenance", "audit-archive", *args]
        )

    # The rows are NOW-relative (2026-12-01): 800+ days before it is over two years ago today.
    assert run("--older-than", "2y", "--batch", "2") == 0
    out = capsys.readouterr().out
    assert "Archived 4 audit row(s) older than 2y in 2 batch(es)" in out
    assert "Verified:" in out
    assert run("--show", "--rows", "2") == 0
    out = capsys.readouterr().out
    assert "Alpha Tax: 4 archived row(s)" in out and out.count(" filing ") == 2
    assert run("--show", "--tenant", "beta") == 0
    assert "Nothing is archived." in capsys.readouterr().out
    assert run("--older-than", "soon") == 2
    assert "not an age" in capsys.readouterr().err
    assert run("--show", "--tenant", "nope") == 1
    assert 'no tenant with code "nope"' in capsys.readouterr().err
    assert run("--restore") == 0
    assert "Restored 4 archived audit row(s)" in capsys.readouterr().out
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM desktop_audit_archive")) == 0


# ------------------------------------------------------------------------------- page


@pytest.mark.gui
def test_audit_page(qtbot, engine, contexts, firms, trail) -> None:
    from gcmc_desktop.views.audit import AuditPage

    audit_archive.archive_audit(engine, timedelta(days=730), now=NOW)
    ctx = contexts["FirmAdmin"]
    page = AuditPage(ctx)
    qtbot.addWidget(page)
    page.resize(1280, 800)
    page.show()
    alpha_current = len(trail["ties"]) + len(trail["viewer"]) + len(trail["system"])
    qtbot.waitUntil(lambda: page.model.total == alpha_current, timeout=WAIT)
    assert page.count_label.text() == f"{alpha_current} entries"
    column = page.model.query.column_index("entity_type")
    shown = {page.model.index(r, column).data() for r in range(page.model.rowCount())}
    assert shown == {"Client", "Document", "Task"}  # labels, not codes

    # A row's before/after beside the list.
    page.table.selectRow(0)
    assert "Update of client" in page.detail.detail_title.text()
    assert page.detail.detail.rowCount() == 1
    assert page.detail.detail.item(0, 1).text() == "A"

    # Filters: the record drop-down, the users loaded in the background.
    box = page.filter_box("entity_type")
    box.setCurrentIndex(box.findData("document"))
    qtbot.waitUntil(lambda: page.model.total == 5, timeout=WAIT)
    users = page.filter_box("actor_user_id")
    qtbot.waitUntil(lambda: users.count() > 2, timeout=WAIT)
    users.setCurrentIndex(users.findText("FirmAdmin User"))
    qtbot.waitUntil(lambda: page.model.total == 0, timeout=WAIT)
    users.setCurrentIndex(0)
    box.setCurrentIndex(0)
    qtbot.waitUntil(lambda: page.model.total == alpha_current, timeout=WAIT)

    # Include archived; a date range; a back-to-front range says so and keeps the list.
    page.archived.setChecked(True)
    qtbot.waitUntil(lambda: page.model.total == alpha_current + 4, timeout=WAIT)
    day = NOW.date()
    page.since.setDate(day - timedelta(days=900))
    page.until.setDate(day - timedelta(days=700))
    qtbot.waitUntil(lambda: page.model.total == 4, timeout=WAIT)
    kept = page.model.query.column_index("archived")
    assert page.model.index(0, kept).data() == "Archived"
    page.until.setDate(day - timedelta(days=1000))
    assert "From date is after the To date" in page.message_text()
    assert page.model.total == 4
    page.since.clear()
    page.until.clear()
    qtbot.waitUntil(lambda: page.model.total == alpha_current + 4, timeout=WAIT)
    assert page.message_text() == ""

    # Search, and Enter on an entry about a client opens that client.
    page.search.setText("Alpha Client")
    page.model.flush_search()
    qtbot.waitUntil(lambda: page.model.total == 12, timeout=WAIT)
    opened = []
    page.opened.connect(opened.append)
    page.table.selectRow(0)
    page._activated(page.model.index(0, 0))
    assert opened == [firms.alpha_client]
    page.search.clear()
    page.model.flush_search()
    qtbot.waitUntil(lambda: page.model.total == alpha_current + 4, timeout=WAIT)
    page.grab().save("/tmp/audit_page.png")
    drain()


def test_migration_downgrade_brings_archived_rows_back(engine, firms, trail) -> None:
    from gcmc_desktop.db import migrate

    with engine.connect() as conn:
        original = fingerprint(conn, CURRENT)
    audit_archive.archive_audit(engine, timedelta(days=730), now=NOW)
    migrate.downgrade(engine, "0014_scoring")
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT to_regclass('desktop_audit_archive')")) is None
        assert fingerprint(conn, CURRENT) == original
    migrate.upgrade(engine)
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM desktop_audit_archive")) == 0


def test_the_pane_reads_a_breakdown_as_lines_and_cuts_long_values(qtbot) -> None:
    from gcmc_desktop.views.client_workspace import CELL_CHARS, AuditChanges

    pane = AuditChanges()
    qtbot.addWidget(pane)
    breakdown = {
        "base": 100,
        "items": [
            {"kind": "filing_overdue", "text": "PAYE March 2026 overdue", "points": -15},
            {"kind": "document_required", "text": "VAT certificate missing", "points": -10},
        ],
    }
    notes = "x" * 5000
    pane.show_values(
        {
            "action": "update",
            "entity_type": "compliance_score",
            "entity_id": 7,
            "actor": "Kavita",
            "changes": {"breakdown": [None, breakdown], "notes": ["short", notes]},
        }
    )
    cells = {
        pane.detail.item(r, 0).text(): (pane.detail.item(r, 1), pane.detail.item(r, 2))
        for r in range(pane.detail.rowCount())
    }
    _before, after = cells["Breakdown"]
    assert after.text() == "\u221215 PAYE March 2026 overdue\n\u221210 VAT certificate missing"
    _before, long = cells["Notes"]
    assert len(long.text()) == CELL_CHARS and long.text().endswith("…")
    assert long.toolTip().startswith("xxxx") and len(long.toolTip()) == 4000
    assert _before.toolTip() == ""
