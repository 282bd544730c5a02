"""What a compliance recalculation writes (issue 14, performance; migration 0018), as signed-in
staff: a score computed to the same values is left alone (no write, no audit row) while the
firm's last full run keeps it fresh for the "older than a day" check and the list; a batch
changing more than PER_ROW_LIMIT scores is audited by one summary row that the client's trail
still shows as its own score change; and the new SECURITY DEFINER functions and the marker
table attacked through the staff user's own connection."""

from __future__ import annotations

from datetime import timedelta

import psycopg
import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from gcmc_desktop.models import utcnow
from gcmc_desktop.services.audit_trail import client_audit_query, summarize_changes
from gcmc_desktop.services.compliance_scores import client_score, score_list_query
from gcmc_desktop.services.compliance_scoring import recalculate, stale_client_count
from gcmc_desktop.services.context import Context

from .security_fixtures import Firms, build_firms
from .security_fixtures import raw as connect
from .test_compliance_scoring import ROLES, Builder, scores, sign_in

PER_ROW_LIMIT = 50  # migration 0018
DAY = timedelta(days=1)


@pytest.fixture
def firms(engine: Engine, database_url) -> Firms:
    return build_firms(engine, database_url, ROLES)


@pytest.fixture
def admin_ctx(firms: Firms):
    ctx = sign_in(firms, "FirmAdmin")
    yield ctx
    ctx.session.close()


def score_audit(engine: Engine, tenant: int) -> list[dict]:
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                'SELECT "clientId", "entityId", action, changes FROM audit_logs'
                ' WHERE "tenantId" = :t AND "entityType" = \'compliance_score\' ORDER BY id'
            ),
            {"t": tenant},
        ).mappings()
        return [dict(r) for r in rows]


def versions(engine: Engine, tenant: int) -> dict[int, str]:
    """Each score row's xmin: it changes whenever the row is written."""
    with engine.connect() as conn:
        rows = conn.execute(
            text('SELECT "clientId", xmin::text FROM compliance_scores WHERE "tenantId" = :t'),
            {"t": tenant},
        )
        return dict(rows.all())


def reject_first_document(engine: Engine, clients: list[int]) -> None:
    """As another writer (the owner: no audit): one document of each client is rejected."""
    with engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE documents SET status = 'rejected' WHERE id IN (SELECT min(id) FROM"
                ' documents WHERE "clientId" = ANY(:c) GROUP BY "clientId")'
            ),
            {"c": clients},
        )


def test_unchanged_scores_are_not_rewritten_and_stay_fresh(
    firms: Firms, admin_ctx: Context, engine: Engine
) -> None:
    with Session(engine) as s:
        b = Builder(s, firms.alpha)
        dt = b.doc_type("TIN certificate")
        clients = [b.client(f"C{n:03}") for n in range(70)]
        for c in clients:
            b.document(c, dt, "valid")
        s.commit()
    clients.append(firms.alpha_client)  # no documents
    long_ago = utcnow() - 3 * DAY

    # First run (three days ago): every row new, one summary audit row naming all 71.
    report = recalculate(admin_ctx, now=long_ago)
    assert (report.clients, report.changed) == (71, 71)
    audit = score_audit(engine, firms.alpha)
    assert len(audit) == 1
    summary = audit[0]
    assert (summary["clientId"], summary["entityId"], summary["action"]) == (None, 0, "recalculate")
    assert summary["changes"]["rows"] == 71
    assert summary["changes"]["scores"][str(clients[0])] == [None, 100.0]
    assert summary["changes"]["levels"][str(clients[0])] == [None, "excellent"]
    assert set(summary["changes"]["scores"]) == {str(c) for c in clients}
    # Three days old: the start-up check finds every score stale.
    assert stale_client_count(admin_ctx, firms.alpha, older_than=DAY) == 71

    # Recalculated now with nothing changed: no row written, no audit row — and yet fresh.
    before = versions(engine, firms.alpha)
    report = recalculate(admin_ctx)
    assert (report.clients, report.changed) == (71, 0)
    assert versions(engine, firms.alpha) == before
    assert len(score_audit(engine, firms.alpha)) == 1
    rows = scores(engine, firms.alpha)
    assert abs(rows[clients[0]]["lastCalculatedAt"] - long_ago) < timedelta(milliseconds=1)
    assert stale_client_count(admin_ctx, firms.alpha, older_than=DAY) == 0
    # The list and the client's score say when it was last computed: by the full run, now.
    page = score_list_query(admin_ctx).first_page(admin_ctx.session, 100).dicts()
    admin_ctx.session.rollback()
    assert len(page) == 71
    assert all(utcnow() - row["calculated"] < timedelta(minutes=5) for row in page)
    one = client_score(admin_ctx, clients[0])
    admin_ctx.session.rollback()
    assert one is not None and utcnow() - one["calculated_at"] < timedelta(minutes=5)
    # A one-client run that changes nothing does not move the firm's marker either way.
    assert recalculate(admin_ctx, client_ids=[clients[1]]).changed == 0

    # Three clients change: three rows written, audited one row each, as before 0018.
    reject_first_document(engine, clients[:3])
    report = recalculate(admin_ctx)
    assert report.changed == 3
    after = versions(engine, firms.alpha)
    assert {c for c in after if after[c] != before[c]} == set(clients[:3])
    audit = score_audit(engine, firms.alpha)[1:]
    assert sorted(a["clientId"] for a in audit) == sorted(clients[:3])
    assert all(a["action"] == "update" for a in audit)
    assert audit[0]["changes"]["score_value"] == [100.0, 90.0]
    assert "breakdown" in audit[0]["changes"] and "last_calculated_at" in audit[0]["changes"]

    # More than PER_ROW_LIMIT clients change: one summary row; each client's trail shows it
    # as that client's own score change.
    many = clients[3 : 3 + PER_ROW_LIMIT + 5]
    reject_first_document(engine, many)
    assert recalculate(admin_ctx).changed == len(many)
    audit = score_audit(engine, firms.alpha)[4:]
    assert len(audit) == 1 and audit[0]["changes"]["rows"] == len(many)
    assert audit[0]["changes"]["scores"][str(many[0])] == [100.0, 90.0]
    trail = client_audit_query(admin_ctx, many[0]).first_page(admin_ctx.session, 50).dicts()
    admin_ctx.session.rollback()
    own = [r for r in trail if r["entity_type"] == "compliance_score"]
    assert [r["action"] for r in own] == ["recalculate", "recalculate"]
    assert own[0]["changes"] == {"score_value": [100.0, 90.0], "level": ["excellent", "excellent"]}
    assert own[1]["changes"] == {"score_value": [None, 100.0], "level": [None, "excellent"]}
    assert summarize_changes(own[0]["changes"]) == "level, score value"
    # A client the summary does not name does not see it; one of the three sees its own row.
    trail = client_audit_query(admin_ctx, clients[0]).first_page(admin_ctx.session, 50).dicts()
    admin_ctx.session.rollback()
    assert [r["action"] for r in trail if r["entity_type"] == "compliance_score"] == [
        "update",
        "recalculate",
    ]


def test_a_platform_row_with_the_same_score_is_still_rewritten(
    firms: Firms, admin_ctx: Context, engine: Engine
) -> None:
    with engine.begin() as conn:
        conn.execute(
            text(
                'INSERT INTO compliance_scores ("tenantId", "clientId", "scoreValue", level,'
                ' "missingCount", "expiringCount", "overdueFilingsCount", "lastCalculatedAt",'
                " breakdown) VALUES (:t, :c, 100, 'high', 0, 0, 0, now(), '{\"missing\": 0}')"
            ),
            {"t": firms.alpha, "c": firms.alpha_client},
        )
    assert recalculate(admin_ctx).changed == 1
    row = scores(engine, firms.alpha)[firms.alpha_client]
    assert row["level"] == "excellent" and row["breakdown"]["items"] == []
    assert recalculate(admin_ctx).changed == 0


def test_score_functions_and_marker_refuse_other_firms(
    firms: Firms, admin_ctx: Context, engine: Engine
) -> None:
    with Session(engine) as s:
        b = Builder(s, firms.alpha)
        b.document(firms.alpha_client, b.doc_type("TIN certificate"), "rejected")
        s.commit()
    recalculate(admin_ctx)  # the marker row of Alpha
    lo_hi = (firms.alpha_client, firms.alpha_client)
    with connect(firms.user_url(firms.emails["Viewer"])) as conn:
        docs = "SELECT count(*) FROM desktop_score_documents(%s, %s, %s)"
        trail = "SELECT count(*) FROM desktop_client_score_audit(%s, %s)"
        assert conn.execute(docs, (firms.alpha, *lo_hi)).fetchone() == (0,)  # no firm chosen
        conn.execute("SELECT set_config('gcmc.tenant_id', %s, false)", (str(firms.alpha),))
        assert conn.execute(docs, (firms.alpha, *lo_hi)).fetchone() == (1,)
        assert conn.execute(docs, (firms.alpha, 0, 2**31 - 1)).fetchone() == (1,)
        beta = (firms.beta, firms.beta_client, firms.beta_client)
        assert conn.execute(docs, beta).fetchone() == (0,)  # Beta's document: not a member
        for args in ((None, *lo_hi), (firms.alpha, None, 1), (firms.alpha, 1, None)):
            assert conn.execute(docs, args).fetchone() == (0,)
        assert conn.execute(trail, (firms.beta, firms.beta_client)).fetchone() == (0,)
        assert conn.execute(trail, (firms.alpha, None)).fetchone() == (0,)
        assert conn.execute(trail, (None, firms.alpha_client)).fetchone() == (0,)
        with pytest.raises(psycopg.errors.InvalidTextRepresentation):
            conn.execute("SELECT * FROM desktop_score_documents('1''; DROP TABLE documents', 1, 2)")
        with pytest.raises(psycopg.errors.InvalidTextRepresentation):
            conn.execute("SELECT * FROM desktop_client_score_audit(1, '1'' OR true --')")
        conn.execute("SELECT set_config('gcmc.tenant_id', %s, false)", (str(firms.beta),))
        assert conn.execute(docs, beta).fetchone() == (0,)  # a forged firm setting
        # The marker: a Viewer reads its own firm's only and writes none.
        conn.execute("SELECT set_config('gcmc.tenant_id', %s, false)", (str(firms.alpha),))
        rows = conn.execute('SELECT "tenantId" FROM desktop_score_runs').fetchall()
        assert rows == [(firms.alpha,)]
        assert conn.execute('UPDATE desktop_score_runs SET "lastFullRunAt" = now()').rowcount == 0
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(
                'INSERT INTO desktop_score_runs ("tenantId", "lastFullRunAt") VALUES (%s, now())',
                (firms.beta,),
            )
    # A FirmAdmin of Alpha cannot stamp Beta's marker either.
    with connect(firms.user_url(firms.emails["FirmAdmin"])) as conn:
        conn.execute("SELECT set_config('gcmc.tenant_id', %s, false)", (str(firms.alpha),))
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(
                'INSERT INTO desktop_score_runs ("tenantId", "lastFullRunAt") VALUES (%s, now())',
                (firms.beta,),
            )
        assert (
            conn.execute(
                'UPDATE desktop_score_runs SET "lastFullRunAt" = now() WHERE "tenantId" = %s',
                (firms.beta,),
            ).rowcount
            == 0
        )


def test_migration_0018_downgrades_and_upgrades(engine: Engine) -> None:
    from gcmc_desktop.db import migrate

    migrate.downgrade(engine, "0014_scoring")
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT to_regclass('desktop_score_runs')")) is None
        args = conn.scalar(
            text(
                "SELECT p.proname FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid"
                " WHERE t.tgname = 'desktop_audit_u' AND t.tgrelid = 'compliance_scores'::regclass"
            )
        )
        assert args == "gcmc__audit_statement"
    migrate.upgrade(engine)
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT to_regclass('desktop_score_runs')")) is not None


@pytest.mark.gui
def test_the_client_audit_tab_shows_its_part_of_a_summary(
    firms: Firms, admin_ctx: Context, engine: Engine, qtbot
) -> None:
    from gcmc_desktop.views.client_workspace import AuditTab

    with Session(engine) as s:
        b = Builder(s, firms.alpha)
        dt = b.doc_type("TIN certificate")
        clients = [b.client(f"C{n:03}") for n in range(PER_ROW_LIMIT + 1)]
        for c in clients:
            b.document(c, dt, "valid")
        s.commit()
    recalculate(admin_ctx)
    reject_first_document(engine, clients)
    recalculate(admin_ctx)
    tab = AuditTab(admin_ctx, clients[0])
    qtbot.addWidget(tab)
    tab.resize(1000, 500)
    tab.show()
    tab.refresh()
    qtbot.waitUntil(lambda: tab.model.rowCount() == 2, timeout=10_000)
    tab.table.selectRow(0)
    qtbot.waitUntil(lambda: tab.detail.rowCount() == 2)
    assert tab.detail_title.text().startswith("Recalculation of compliance scores by FirmAdmin")
    cells = {
        tab.detail.item(r, 0).text(): (tab.detail.item(r, 1).text(), tab.detail.item(r, 2).text())
        for r in range(2)
    }
    tab.grab().save("/tmp/score_trail.png")
    assert cells["Score value"] == ("100", "90")
