"""The compliance scoring engine as signed-in staff (issue 14): the base formula, every rule
kind, appliesTo, bundles, the clamp and levels, a platform row rewritten, permissions, a
cancelled run, `gcmc scores recalculate`, and the set-based engine agreeing with the per-client
reference on random data (hypothesis)."""

from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from gcmc_desktop.cli import main
from gcmc_desktop.models import (
    Client,
    ComplianceRule,
    ComplianceRuleSet,
    Document,
    DocumentType,
    DocumentVersion,
    Filing,
    FilingType,
    RequirementBundle,
    RequirementBundleItem,
)
from gcmc_desktop.services import auth, compliance_scoring
from gcmc_desktop.services.compliance_breakdown import breakdown_lines, level_for, level_label
from gcmc_desktop.services.compliance_scoring import (
    RecalculationCancelled,
    recalculate,
    reference_score,
)
from gcmc_desktop.services.context import Context
from gcmc_desktop.services.errors import PermissionDenied

from .security_fixtures import PASSWORD, Firms, build_firms
from .security_fixtures import raw as connect
from .test_cli_db import platform_form

ROLES = ("FirmAdmin", "Viewer")
NOW = datetime(2026, 4, 20, 12, 0)  # last ended month: March 2026


@pytest.fixture
def firms(engine: Engine, database_url) -> Firms:
    return build_firms(engine, database_url, ROLES)


def sign_in(firms: Firms, role: str) -> Context:
    return auth.open_context(auth.sign_in(firms.profile, firms.emails[role], PASSWORD))


@pytest.fixture
def admin_ctx(firms: Firms):
    ctx = sign_in(firms, "FirmAdmin")
    yield ctx
    ctx.session.close()


def scores(engine: Engine, tenant: int) -> dict[int, dict]:
    with engine.connect() as conn:
        rows = conn.execute(
            text('SELECT * FROM compliance_scores WHERE "tenantId" = :t'), {"t": tenant}
        ).mappings()
        return {r["clientId"]: dict(r) for r in rows}


def canon(items: list[dict]) -> list[str]:
    return sorted(json.dumps({**i, "points": float(i["points"])}, sort_keys=True) for i in items)


class Builder:
    """Writes platform rows directly (as the web platform or an import would)."""

    def __init__(self, session: Session, tenant: int) -> None:
        self.s, self.t = session, tenant

    def add(self, obj):
        self.s.add(obj)
        self.s.flush()
        return obj.id

    def client(self, name: str, type_: str = "company", sector: str | None = None) -> int:
        return self.add(Client(tenant_id=self.t, name=name, type=type_, sector=sector))

    def doc_type(self, name: str) -> int:
        return self.add(DocumentType(tenant_id=self.t, name=name, category="registration"))

    def filing_type(self, code: str, name: str, frequency: str = "monthly") -> int:
        return self.add(
            FilingType(tenant_id=self.t, name=name, code=code, authority="GRA", frequency=frequency)
        )

    def document(self, client: int, type_id: int, status: str, expiry=None) -> int:
        doc = Document(
            tenant_id=self.t, client_id=client, document_type_id=type_id, title="d", status=status
        )
        version = DocumentVersion(
            document=doc, file_url="k", storage_provider="local", is_latest=True, expiry_date=expiry
        )
        doc.latest_version = version
        self.s.add_all([doc, version])
        self.s.flush()
        return doc.id

    def filing(self, client, type_id, status, start, end, label, due=None) -> int:
        fid = self.add(
            Filing(
                tenant_id=self.t,
                client_id=client,
                filing_type_id=type_id,
                status=status,
                period_start=start,
                period_end=end,
                period_label=label,
            )
        )
        if due is not None:
            self.s.execute(
                text('UPDATE desktop_filing_due_dates SET "dueDate" = :d WHERE "filingId" = :f'),
                {"d": due, "f": fid},
            )
        return fid

    def rule_set(self, name: str, applies=None, active: bool = True) -> int:
        return self.add(
            ComplianceRuleSet(tenant_id=self.t, name=name, applies_to=applies, active=active)
        )

    def rule(self, rs: int, kind: str, target=None, weight=10.0, condition=None, desc=None):
        return self.add(
            ComplianceRule(
                rule_set_id=rs,
                rule_type=kind,
                target_id=target,
                weight=weight,
                condition=condition,
                description=desc,
            )
        )

    def bundle(self, name: str, authority: str, items: list[tuple]) -> int:
        bid = self.add(
            RequirementBundle(tenant_id=self.t, name=name, authority=authority, category="tax")
        )
        for n, (dt, ft, required) in enumerate(items):
            self.add(
                RequirementBundleItem(
                    bundle_id=bid,
                    document_type_id=dt,
                    filing_type_id=ft,
                    required=required,
                    order=n,
                )
            )
        return bid


def test_rules_bundles_clamp_levels_and_platform_row(
    firms: Firms, admin_ctx: Context, engine: Engine
) -> None:
    with Session(engine) as s:
        b = Builder(s, firms.alpha)
        tin, vat_cert, reg, nis_cert = (
            b.doc_type(n)
            for n in ("TIN certificate", "VAT registration certificate", "Business registration",
                      "NIS certificate")
        )  # fmt: skip
        vat, paye = b.filing_type("VAT", "VAT return"), b.filing_type("PAYE", "PAYE")
        acme = b.client("Acme", "company", "Mining")
        b.document(acme, tin, "valid")
        b.document(acme, vat_cert, "pending_review")
        b.document(acme, reg, "valid", NOW + timedelta(days=10))
        late = b.filing(acme, paye, "draft", datetime(2026, 3, 1), datetime(2026, 3, 31),
                        "March 2026", due=datetime(2026, 4, 15).date())  # fmt: skip
        # Submitted last month's VAT would satisfy filing_required; this one is archived.
        b.filing(acme, vat, "archived", datetime(2026, 3, 1), datetime(2026, 3, 31), "March 2026")
        gra = b.rule_set("GRA documents", {"clientTypes": ["Company"], "sectors": []})
        r_vat = b.rule(gra, "document_required", vat_cert, 10)
        b.rule(gra, "document_required", tin, 10)  # passes
        r_file = b.rule(gra, "filing_required", vat, 8, desc="VAT filed monthly")
        r_exp = b.rule(gra, "document_expiring", None, 3, {"withinDays": 15})
        b.rule(gra, "document_expiring", None, 4, {"withinDays": 5})  # nothing within 5 days
        r_over = b.rule(gra, "filing_overdue", paye, 2)
        b.rule(gra, "document_required", None, 50)  # no target: skipped
        tourism = b.rule_set("Tourism", {"sectors": ["tourism"]})
        b.rule(tourism, "filing_overdue", None, 50)
        off = b.rule_set("Old", None, active=False)
        b.rule(off, "filing_overdue", None, 50)
        gra_bundle = b.bundle(
            "GRA registration",
            "GRA",
            [(tin, None, True), (vat_cert, None, True), (None, vat, True), (None, paye, False)],
        )
        b.bundle("NIS", "NIS", [(nis_cert, None, True)])  # Acme has no NIS paper: not applied
        # An individual: the company rules do not apply, no bundle is used.
        solo = b.client("Solo", "individual")
        # Clamp at 0: twelve rejected documents; clamp at 100: ten valid (+10 bonus).
        sunk = b.client("Sunk", "company")
        for _ in range(12):
            b.document(sunk, nis_cert, "rejected")
        star = b.client("Star", "individual")
        for _ in range(10):
            b.document(star, nis_cert, "valid")
        # 100 − 10 + 5 (3 of 4 valid) = 95; 100 − 20 − 5 = 75.
        fine = b.client("Fine", "individual")
        for status in ("pending_review", "valid", "valid", "valid"):
            b.document(fine, nis_cert, status)
        good = b.client("Good", "individual")
        b.document(good, nis_cert, "rejected")
        b.document(good, nis_cert, "rejected")
        b.document(good, nis_cert, "valid", NOW + timedelta(days=3))
        # The web platform's row: level "high" (and its count-only breakdown).
        s.execute(
            text(
                'INSERT INTO compliance_scores ("tenantId", "clientId", "scoreValue", level, '
                '"missingCount", "expiringCount", "overdueFilingsCount", "lastCalculatedAt", '
                "breakdown) VALUES (:t, :c, 85, 'high', 2, 1, 0, now(), "
                '\'{"documents": 2, "expiring": 1, "overdue": 0}\')'
            ),
            {"t": firms.alpha, "c": acme},
        )
        s.commit()
    platform = scores(engine, firms.alpha)[acme]
    assert level_label(platform) == "Good"  # by its score band, not "high"
    assert breakdown_lines(platform["breakdown"], platform) == [
        (-20, "2 documents pending review or rejected"),
        (-5, "1 document expiring within 30 days"),
    ]

    report = recalculate(admin_ctx, now=NOW)
    assert report.clients == 7  # Alpha's seeded client too; never Beta's
    rows = scores(engine, firms.alpha)
    assert scores(engine, firms.beta) == {}
    a = rows[acme]
    texts = [t for _, t in breakdown_lines(a["breakdown"], a)]
    assert sorted(texts) == sorted(
        [
            "PAYE March 2026 overdue",
            "VAT registration certificate pending review",
            "Business registration expires 2026-04-30",
            "VAT registration certificate missing (rule: GRA documents)",
            "VAT return March 2026 not filed (rule: VAT filed monthly)",
            "Documents expiring within 15 days (rule: GRA documents)",
            "PAYE overdue (rule: GRA documents)",
            "VAT registration certificate missing (bundle: GRA registration)",
            "VAT return March 2026 not filed (bundle: GRA registration)",
        ]
    )
    ranks = [compliance_scoring.item_rank(i) for i in a["breakdown"]["items"]]
    assert ranks == sorted(ranks) and ranks[0][0] == 0 and ranks[-1][0] == 5
    points = {t: p for p, t in breakdown_lines(a["breakdown"], a)}
    assert points["PAYE March 2026 overdue"] == -15
    assert points["VAT return March 2026 not filed (rule: VAT filed monthly)"] == -8
    assert points["VAT return March 2026 not filed (bundle: GRA registration)"] == -10
    # 100 − 10 − 5 − 15 (base; 2 of 3 valid: no bonus) − 10 − 8 − 3 − 2 (rules) − 20 (bundle)
    assert a["scoreValue"] == 27 and a["level"] == "poor"
    assert (a["missingCount"], a["expiringCount"], a["overdueFilingsCount"]) == (7, 1, 1)
    assert sorted(a["breakdown"]["rules"]) == sorted([r_vat, r_file, r_exp, r_over])
    item = next(i for i in a["breakdown"]["items"] if i["kind"] == "filing_overdue")
    assert item["filing_id"] == late and item["filing_type_id"] == paye
    assert {i["bundle_id"] for i in a["breakdown"]["items"] if i["kind"] == "bundle_item"} == {
        gra_bundle
    }
    assert a["lastCalculatedAt"] == NOW
    assert (rows[solo]["scoreValue"], rows[solo]["level"], rows[solo]["breakdown"]["items"]) == (
        100,
        "excellent",
        [],
    )
    assert (rows[sunk]["scoreValue"], rows[sunk]["level"]) == (0, "poor")
    assert rows[star]["scoreValue"] == 100
    assert breakdown_lines(rows[star]["breakdown"], rows[star]) == [
        (10, "Bonus: at least 90% of documents valid")
    ]
    assert (rows[fine]["scoreValue"], rows[fine]["level"]) == (95, "excellent")
    assert (rows[good]["scoreValue"], rows[good]["level"]) == (75, "good")
    assert [level_for(v) for v in (90, 89.99, 70, 50, 49.99, None)] == [
        "excellent",
        "good",
        "good",
        "fair",
        "poor",
        "poor",
    ]
    # The reference loop says the same for every client.
    with Session(engine) as s:
        for client_id, row in rows.items():
            ref = reference_score(s, firms.alpha, client_id, NOW)
            assert ref["scoreValue"] == row["scoreValue"], client_id
            assert ref["level"] == row["level"]
            assert ref["missingCount"] == row["missingCount"]
            assert ref["breakdown"]["rules"] == sorted(row["breakdown"]["rules"])
            assert canon(ref["breakdown"]["items"]) == canon(row["breakdown"]["items"])


def test_permissions_single_client_cancel_and_cli(
    firms: Firms, admin_ctx: Context, engine: Engine, database_url, capsys, monkeypatch
) -> None:
    viewer = sign_in(firms, "Viewer")
    with pytest.raises(PermissionDenied):
        recalculate(viewer)
    viewer.session.close()
    with Session(engine) as s:
        b = Builder(s, firms.alpha)
        dt = b.doc_type("TIN certificate")
        extra = [b.client(f"C{n}") for n in range(4)]
        b.document(extra[0], dt, "rejected")
        s.commit()
    # Attacks on desktop_document_expiries as the staff user's own connection: another firm,
    # NULL, a forged firm setting, text for the id — nothing of Beta's comes back.
    with connect(firms.user_url(firms.emails["Viewer"])) as conn:
        count = "SELECT count(*) FROM desktop_document_expiries(%s)"
        assert conn.execute(count, (firms.alpha,)).fetchone() == (0,)  # no firm chosen yet
        conn.execute("SELECT set_config('gcmc.tenant_id', %s, false)", (str(firms.alpha),))
        assert conn.execute(count, (firms.alpha,)).fetchone() == (1,)  # its own rejected TIN
        assert conn.execute(count, (firms.beta,)).fetchone() == (0,)
        assert conn.execute(count, (None,)).fetchone() == (0,)
        conn.execute("SELECT set_config('gcmc.tenant_id', %s, false)", (str(firms.beta),))
        assert conn.execute(count, (firms.beta,)).fetchone() == (0,)  # not a member of Beta
        with pytest.raises(psycopg.errors.InvalidTextRepresentation):
            conn.execute("SELECT * FROM desktop_document_expiries('1''; DROP TABLE documents')")
    # One client only (what a change to its documents triggers).
    recalculate(admin_ctx, client_ids=[extra[0]], now=NOW)
    assert set(scores(engine, firms.alpha)) == {extra[0]}
    assert scores(engine, firms.alpha)[extra[0]]["scoreValue"] == 90
    # Another firm's client id is out of reach: nothing written for it.
    recalculate(admin_ctx, client_ids=[firms.beta_client], now=NOW)
    assert scores(engine, firms.beta) == {}
    # Cancelled after the first batch of a firm-wide run: nothing changed, even that batch.
    monkeypatch.setattr(compliance_scoring, "BATCH", 2)
    before = scores(engine, firms.alpha)
    cancel = threading.Event()
    seen = []

    def progress(done: int, total: int) -> None:
        seen.append((done, total))
        cancel.set()

    with pytest.raises(RecalculationCancelled):
        recalculate(admin_ctx, now=NOW + timedelta(days=1), progress=progress, cancel=cancel)
    assert seen == [(2, 5)]
    assert scores(engine, firms.alpha) == before
    # Uncancelled, the batches cover every client.
    seen.clear()
    recalculate(admin_ctx, now=NOW, progress=lambda d, t: seen.append((d, t)))
    assert seen == [(2, 5), (4, 5), (5, 5)] and len(scores(engine, firms.alpha)) == 5
    # The CLI, as the administrator: one firm, one client, an unknown firm.
    url = platform_form(database_url)
    assert main(["--database-url", url, "scores", "recalculate", "--tenant", "alpha"]) == 0
    assert "Recalculated 5 client score(s) in 1 firm(s)" in capsys.readouterr().out
    client_arg = ["--client", str(firms.beta_client)]
    assert main(["--database-url", url, "scores", "recalculate", *client_arg]) == 0
    assert "Recalculated 1 client score(s)" in capsys.readouterr().out
    assert set(scores(engine, firms.beta)) == {firms.beta_client}
    assert main(["--database-url", url, "scores", "recalculate", "--tenant", "nope"]) != 0


# ----------------------------------------------------------------- the engine vs the reference

STATUSES = ("valid", "expired", "pending_review", "rejected")
FILING_STATUSES = ("draft", "prepared", "submitted", "approved", "rejected", "overdue", "archived")

world = st.fixed_dictionaries(
    {
        "clients": st.lists(
            st.tuples(
                st.sampled_from(["company", "individual"]),
                st.sampled_from([None, "mining", "Tourism"]),
            ),
            min_size=1,
            max_size=3,
        ),
        "docs": st.lists(
            st.tuples(
                st.integers(0, 2),  # client
                st.integers(0, 2),  # type
                st.sampled_from(STATUSES),
                st.one_of(st.none(), st.integers(-5, 60)),  # expiry, days from now
            ),
            max_size=8,
        ),
        "filings": st.lists(
            st.tuples(
                st.integers(0, 2),
                st.integers(0, 1),  # type: monthly, quarterly
                st.sampled_from(FILING_STATUSES),
                st.integers(-3, 1),  # months from this month
                st.one_of(st.none(), st.integers(-20, 20)),  # due, days from today
            ),
            max_size=5,
        ),
        "rules": st.lists(
            st.tuples(
                st.sampled_from(
                    ["document_required", "filing_required", "document_expiring", "filing_overdue"]
                ),
                st.one_of(st.none(), st.integers(0, 2)),
                st.sampled_from([2.0, 7.5, 10.0, 40.0]),
                st.sampled_from([None, {"withinDays": 10}, {"withinDays": "x"}]),
                st.integers(0, 2),  # rule set
            ),
            max_size=5,
        ),
        "bundle": st.lists(
            st.tuples(st.integers(0, 2), st.booleans(), st.booleans()),  # type, filing?, required
            max_size=3,
        ),
    }
)
APPLIES = [None, {"clientTypes": ["company"]}, {"sectors": ["mining", "tourism"]}]


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=world)
def test_engine_agrees_with_reference(
    firms: Firms, admin_ctx: Context, engine: Engine, data: dict, monkeypatch
) -> None:
    # Firms of two clients or more are split in halves run on two connections, as large
    # firms are (services/compliance_scoring.py, PARALLEL_MIN): the halves agree too.
    monkeypatch.setattr(compliance_scoring, "PARALLEL_MIN", 2)
    with Session(engine) as s:
        s.execute(text('DELETE FROM clients WHERE "tenantId" = :t'), {"t": firms.alpha})
        for table in ("compliance_rule_sets", "requirement_bundles", "document_types"):
            s.execute(text(f'DELETE FROM {table} WHERE "tenantId" = :t'), {"t": firms.alpha})
        s.execute(text('DELETE FROM filing_types WHERE "tenantId" = :t'), {"t": firms.alpha})
        b = Builder(s, firms.alpha)
        clients = [b.client(f"C{n}", t, sec) for n, (t, sec) in enumerate(data["clients"])]
        dtypes = [b.doc_type(f"Doc {n}") for n in range(3)]
        ftypes = [b.filing_type("M", "Monthly"), b.filing_type("Q", "Quarterly", "quarterly")]
        for c, t, status, days in data["docs"]:
            expiry = None if days is None else NOW + timedelta(days=days, hours=1)
            b.document(clients[c % len(clients)], dtypes[t], status, expiry)
        for c, t, status, months, due in data["filings"]:
            month = NOW.month + months
            start = datetime(NOW.year, month, 1)
            end = datetime(NOW.year, month + 1, 1) - timedelta(days=1)
            due_day = None if due is None else (NOW + timedelta(days=due)).date()
            b.filing(clients[c % len(clients)], ftypes[t], status, start, end, None, due_day)
        sets = [b.rule_set(f"Set {n}", APPLIES[n]) for n in range(3)]
        for kind, target, weight, condition, rs in data["rules"]:
            pool = ftypes if kind.startswith("filing") else dtypes
            tid = None if target is None else pool[target % len(pool)]
            b.rule(sets[rs], kind, tid, weight, condition)
        if data["bundle"]:
            b.bundle(
                "B",
                "GRA",
                [
                    (None, ftypes[t % 2], req) if is_filing else (dtypes[t], None, req)
                    for t, is_filing, req in data["bundle"]
                ],
            )
        s.commit()
    # A first run, then later runs over the rows it wrote (the engine leaves a row alone only
    # when it computes the same values again): every time, the reference's values. The later
    # instants move documents out of (or into) the expiry windows and filings past due.
    for i, now in enumerate((NOW, NOW, NOW + timedelta(days=12), NOW + timedelta(days=47))):
        report = recalculate(admin_ctx, now=now)
        if i == 1:
            assert report.changed == 0  # the same instant: nothing to write
        agrees_with_reference(engine, firms, clients, now)


def agrees_with_reference(engine: Engine, firms: Firms, clients: list[int], now) -> None:
    rows = scores(engine, firms.alpha)
    assert set(rows) == set(clients)
    with Session(engine) as s:
        for client_id in clients:
            ref = reference_score(s, firms.alpha, client_id, now)
            row = rows[client_id]
            assert row["scoreValue"] == pytest.approx(ref["scoreValue"])
            assert row["level"] == ref["level"]
            assert (row["missingCount"], row["expiringCount"], row["overdueFilingsCount"]) == (
                ref["missingCount"],
                ref["expiringCount"],
                ref["overdueFilingsCount"],
            )
            assert sorted(row["breakdown"]["rules"]) == ref["breakdown"]["rules"]
            assert canon(row["breakdown"]["items"]) == canon(ref["breakdown"]["items"])


# ------------------------------------------------------------ background recalculation (views)


def test_background_recalculation_follows_the_change_bus(
    firms: Firms, admin_ctx: Context, engine: Engine, qtbot
) -> None:
    from gcmc_desktop.services.changes import ChangeSet
    from gcmc_desktop.views.compliance_jobs import ComplianceJobs
    from gcmc_desktop.views.kit.bus import change_bus

    with Session(engine) as s:
        b = Builder(s, firms.alpha)
        other = b.client("Other")
        doc = b.document(firms.alpha_client, b.doc_type("TIN certificate"), "rejected")
        s.commit()
    jobs = ComplianceJobs(admin_ctx, delay_ms=0)
    # A document added: only its client is recalculated.
    changes = ChangeSet()
    changes.add("document", "created", [doc])
    with qtbot.waitSignal(jobs.finished, timeout=10_000) as done:
        change_bus().publish(changes)
    assert done.args[0].clients == 1
    rows = scores(engine, firms.alpha)
    assert set(rows) == {firms.alpha_client} and rows[firms.alpha_client]["scoreValue"] == 90
    # A rule changed: the whole firm.
    changes = ChangeSet()
    changes.add("compliance_rule", "updated", [1])
    with qtbot.waitSignal(jobs.finished, timeout=10_000) as done:
        change_bus().publish(changes)
    assert done.args[0].clients == 2 and set(scores(engine, firms.alpha)) == {
        firms.alpha_client,
        other,
    }
    # Recalculate all, cancelled at once: refused with the cancel, nothing written.
    before = scores(engine, firms.alpha)
    job = jobs.recalculate_all()
    assert job is not None and jobs.recalculate_all() is None  # one run at a time
    job.control.cancel()
    with qtbot.waitSignal(jobs.failed, timeout=10_000) as failed:
        pass
    assert isinstance(failed.args[0], RecalculationCancelled)
    assert scores(engine, firms.alpha) == before
