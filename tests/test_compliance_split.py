"""A whole-firm recalculation split in two halves run at the same time on two connections
(issue 14, performance): it writes exactly the rows a single run writes, reports progress in
the calling thread, and keeps the consistency story — a half that fails or a cancel rolls the
other half back (nothing written); a last commit that fails after the other half committed is
reported as partial (the committed half right, the rest unchanged, no full-run stamp) and a
second run finishes it. Signed in as a FirmAdmin (own login, row-level security on)."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from gcmc_desktop.services import compliance_scoring
from gcmc_desktop.services.compliance_scoring import (
    RecalculationCancelled,
    RecalculationPartial,
    recalculate,
)
from gcmc_desktop.services.context import Context
from gcmc_desktop.services.errors import ServiceError

from .security_fixtures import Firms, build_firms
from .test_compliance_scoring import ROLES, Builder, scores, sign_in

NOW = datetime(2026, 4, 20, 12, 0)
CLIENTS = 12
COLUMNS = ("scoreValue", "level", "missingCount", "expiringCount", "overdueFilingsCount")


@pytest.fixture
def firms(engine: Engine, database_url) -> Firms:
    return build_firms(engine, database_url, ROLES)


@pytest.fixture
def admin_ctx(firms: Firms, monkeypatch):
    monkeypatch.setattr(compliance_scoring, "PARALLEL_MIN", 2)  # split even a small firm
    ctx = sign_in(firms, "FirmAdmin")
    yield ctx
    ctx.session.close()


@pytest.fixture
def clients(firms: Firms, engine: Engine) -> list[int]:
    """A firm whose clients score differently: documents of every status, filings filed and
    overdue, rules of the four kinds and a bundle."""
    with Session(engine) as s:
        b = Builder(s, firms.alpha)
        tin, vat, lease = (b.doc_type(n) for n in ("TIN certificate", "VAT certificate", "Lease"))
        vat_return = b.filing_type("VAT", "VAT return")
        ids = [
            b.client(f"C{n:02}", "company" if n % 2 else "individual", "Mining" if n % 3 else None)
            for n in range(CLIENTS - 1)
        ]
        statuses = ("valid", "rejected", "pending_review", "expired")
        for n, c in enumerate(ids):
            b.document(c, tin, statuses[n % 4], NOW + timedelta(days=5 * n - 10))
            if n % 2:
                b.document(c, vat, "valid", None)
            if n % 3 == 0:
                start = datetime(2026, 3, 1)
                status = "submitted" if n % 2 else "draft"
                due = (NOW - timedelta(days=n + 1)).date()
                b.filing(c, vat_return, status, start, datetime(2026, 3, 31), None, due)
        everyone = b.rule_set("Everyone")
        companies = b.rule_set("Companies", {"clientTypes": ["company"]})
        b.rule(everyone, "document_required", tin, 10.0)
        b.rule(companies, "document_required", lease, 7.5)
        b.rule(everyone, "filing_required", vat_return, 8.0)
        b.rule(everyone, "document_expiring", None, 2.0, {"withinDays": 20})
        b.rule(companies, "filing_overdue", None, 3.0)
        b.bundle("GRA registration", "GRA", [(tin, None, True), (vat, None, True)])
        s.commit()
    return [*ids, firms.alpha_client]


def rows(engine: Engine, tenant: int) -> dict[int, tuple]:
    return {
        client: (*(row[c] for c in COLUMNS), row["breakdown"], row["lastCalculatedAt"])
        for client, row in scores(engine, tenant).items()
    }


def full_run_stamp(engine: Engine, tenant: int):
    with engine.connect() as conn:
        return conn.scalar(
            text('SELECT "lastFullRunAt" FROM desktop_score_runs WHERE "tenantId" = :t'),
            {"t": tenant},
        )


def clear(engine: Engine, tenant: int) -> None:
    with engine.begin() as conn:
        conn.execute(text('DELETE FROM compliance_scores WHERE "tenantId" = :t'), {"t": tenant})
        conn.execute(text('DELETE FROM desktop_score_runs WHERE "tenantId" = :t'), {"t": tenant})


def test_split_run_writes_the_same_rows_as_a_single_run(
    firms: Firms, admin_ctx: Context, engine: Engine, clients: list[int], monkeypatch
) -> None:
    single = recalculate(admin_ctx, now=NOW, workers=1)
    assert (single.clients, single.changed) == (CLIENTS, CLIENTS)
    expected = rows(engine, firms.alpha)
    assert len({r[0] for r in expected.values()}) > 3  # the clients really score differently
    clear(engine, firms.alpha)

    # Split, in one statement per half: the same rows, the firm stamped.
    parts: list[str] = []
    real = compliance_scoring._run_part

    def spy(session, tenant, chunks, *args):
        parts.append(threading.current_thread().name)
        yield from real(session, tenant, chunks, *args)

    monkeypatch.setattr(compliance_scoring, "_run_part", spy)
    split = recalculate(admin_ctx, now=NOW)
    assert (split.clients, split.changed) == (CLIENTS, CLIENTS)
    assert sorted(parts) == ["scores-part-0", "scores-part-1"]  # two threads, two connections
    assert rows(engine, firms.alpha) == expected
    assert full_run_stamp(engine, firms.alpha) == NOW
    # The audit: each half is a statement of up to 50 rows, audited row by row as before.
    with engine.connect() as conn:
        audited = conn.execute(
            text(
                'SELECT "entityId", action FROM audit_logs WHERE "tenantId" = :t'
                " AND \"entityType\" = 'compliance_score'"
            ),
            {"t": firms.alpha},
        ).all()
    assert sorted(a for _, a in audited) == ["create"] * (2 * CLIENTS)  # both runs
    # Again over unchanged data: nothing written.
    assert recalculate(admin_ctx, now=NOW).changed == 0

    # Batched with progress (the GUI's Recalculate all): progress from the calling thread
    # only, growing to the total, and the same rows again.
    clear(engine, firms.alpha)
    monkeypatch.setattr(compliance_scoring, "BATCH", 2)
    seen: list[tuple[int, int, str]] = []
    report = recalculate(
        admin_ctx,
        now=NOW,
        progress=lambda d, t: seen.append((d, t, threading.current_thread().name)),
    )
    assert report.changed == CLIENTS
    assert [d for d, _, _ in seen] == sorted(d for d, _, _ in seen)
    assert seen[-1][:2] == (CLIENTS, CLIENTS) and len(seen) == 6  # 3 batches a half
    assert {name for _, _, name in seen} == {threading.current_thread().name}
    assert rows(engine, firms.alpha) == expected


def test_a_failing_half_rolls_back_the_other(
    firms: Firms, admin_ctx: Context, engine: Engine, clients: list[int]
) -> None:
    first = recalculate(admin_ctx, now=NOW - timedelta(days=40))
    assert first.changed == CLIENTS
    before = rows(engine, firms.alpha)
    stamp = full_run_stamp(engine, firms.alpha)
    # The last client's row cannot be written (a trigger refuses it): its half fails.
    last = max(clients)
    with engine.begin() as conn:
        conn.execute(
            text(
                "CREATE FUNCTION test_refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
                f" IF NEW.\"clientId\" = {last} THEN RAISE EXCEPTION 'refused'; END IF;"
                " RETURN NEW; END $$;"
                " CREATE TRIGGER test_refuse BEFORE INSERT OR UPDATE ON compliance_scores"
                " FOR EACH ROW EXECUTE FUNCTION test_refuse()"
            )
        )
    with pytest.raises(ServiceError):
        recalculate(admin_ctx, now=NOW)
    # The other half computed its changes too, and none of them was kept.
    assert rows(engine, firms.alpha) == before
    assert full_run_stamp(engine, firms.alpha) == stamp
    # Cancelled while the halves run: nothing written either.
    with engine.begin() as conn:
        conn.execute(text("DROP TRIGGER test_refuse ON compliance_scores"))
    cancel = threading.Event()
    with pytest.raises(RecalculationCancelled):
        recalculate(admin_ctx, now=NOW, progress=lambda d, t: cancel.set(), cancel=cancel)
    assert rows(engine, firms.alpha) == before
    # Afterwards the session works as before.
    assert recalculate(admin_ctx, now=NOW).changed > 0


def test_a_lost_last_commit_is_reported_partial_and_a_second_run_finishes(
    firms: Firms, admin_ctx: Context, engine: Engine, clients: list[int], monkeypatch
) -> None:
    expected = {}
    recalculate(admin_ctx, now=NOW, workers=1)
    expected = rows(engine, firms.alpha)
    clear(engine, firms.alpha)
    session = admin_ctx.session
    real_commit = session.commit

    def lost(*args, **kwargs):
        raise OperationalError("COMMIT", {}, Exception("server closed the connection"))

    monkeypatch.setattr(session, "commit", lost)
    with pytest.raises(RecalculationPartial) as raised:
        recalculate(admin_ctx, now=NOW)
    error = raised.value
    assert (error.saved, error.total) == (CLIENTS // 2, CLIENTS)
    assert "Run it again to finish" in error.message
    saved = rows(engine, firms.alpha)
    ordered = sorted(clients)
    # The second half (the other connection) committed; the first half and the stamp did not.
    assert set(saved) == set(ordered[CLIENTS // 2 :])
    assert all(saved[c] == expected[c] for c in saved)
    assert full_run_stamp(engine, firms.alpha) is None
    # Running again (the connection back) finishes: every row, the same values, stamped.
    monkeypatch.setattr(session, "commit", real_commit)
    report = recalculate(admin_ctx, now=NOW)
    assert report.changed == CLIENTS // 2
    assert rows(engine, firms.alpha) == expected
    assert full_run_stamp(engine, firms.alpha) == NOW


def test_no_second_connection_runs_on_one(
    firms: Firms, admin_ctx: Context, engine: Engine, clients: list[int], monkeypatch
) -> None:
    from sqlalchemy import create_engine

    unreachable = create_engine("postgresql+psycopg://nobody@/nowhere?host=/nonexistent-dir")
    monkeypatch.setattr(compliance_scoring, "_extra_session", lambda target: Session(unreachable))
    report = recalculate(admin_ctx, now=NOW)
    assert (report.clients, report.changed) == (CLIENTS, CLIENTS)
    assert len(scores(engine, firms.alpha)) == CLIENTS
    assert full_run_stamp(engine, firms.alpha) == NOW
    unreachable.dispose()
