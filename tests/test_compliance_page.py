"""The read side of compliance scores (issue 14): breakdown lines from every form the desktop and
the web platform write, levels by score band (a platform "high" row included), the scores list's
filters and sort, the distribution, permissions and tenancy as signed-in staff, and the
Compliance page and client tab on real widgets."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest
from PySide6.QtCharts import QChartView
from PySide6.QtCore import QThreadPool
from sqlalchemy import Engine, text

from gcmc_desktop.db import session_factory
from gcmc_desktop.models import Client, ComplianceScore, RequirementBundle
from gcmc_desktop.services import auth
from gcmc_desktop.services.compliance_breakdown import (
    LEVELS,
    breakdown_lines,
    format_line,
    level_for,
    level_label,
    next_steps,
)
from gcmc_desktop.services.compliance_scores import (
    bundle_choices,
    client_score,
    distribution,
    score_list_query,
)
from gcmc_desktop.services.context import Context
from gcmc_desktop.services.errors import PermissionDenied
from gcmc_desktop.views.table_model import query_pool

from .security_fixtures import PASSWORD, Firms, build_firms

WAIT = 10_000
NOW = datetime(2026, 3, 1, 12, 0)


def drain() -> None:
    QThreadPool.globalInstance().waitForDone()
    query_pool().waitForDone()


def desktop_breakdown(*items: tuple[int, str, str, int | None]) -> dict:
    return {
        "version": 1,
        "base": 100,
        "items": [
            {
                "points": points,
                "kind": kind,
                "text": text,
                "rule_id": None,
                "bundle_id": bundle_id,
                "document_type_id": None,
                "filing_type_id": None,
                "document_id": None,
                "filing_id": None,
            }
            for points, kind, text, bundle_id in items
        ],
        "rules": [],
    }


def test_levels_and_breakdown_lines_of_every_form() -> None:
    # Bands (clamped), whatever level a row stores.
    assert [level_for(s) for s in (100, 90, 89.9, 70, 69.5, 50, 49.99, 0, -20, 130)] == [
        "excellent", "excellent", "good", "good", "fair", "fair", "poor", "poor", "poor",
        "excellent",
    ]  # fmt: skip
    assert level_label({"scoreValue": 85.0, "level": "high"}) == "Good"
    assert level_label({"scoreValue": 40.0, "level": "low"}) == "Poor"  # worker: low = low risk
    assert level_label("fair") == "Fair" and level_label(95) == "Excellent"
    assert level_label("high") == "Not yet recalculated"  # without its score it means nothing
    assert level_label(None) == "—"

    row = {"missingCount": 2, "expiringCount": 1, "overdueFilingsCount": 1}
    desktop = desktop_breakdown(
        (-10, "document_missing", "VAT registration certificate missing (rule: GRA documents)", 3),
        (-15, "filing_overdue", "PAYE March 2026 overdue", None),
        (5, "bonus", "90% of documents valid", None),
    )
    assert breakdown_lines(desktop, row) == [
        (-10, "VAT registration certificate missing (rule: GRA documents)"),
        (-15, "PAYE March 2026 overdue"),
        (5, "90% of documents valid"),
    ]
    assert format_line(-10, "VAT missing") == "\u221210 VAT missing"
    assert format_line(5, "bonus") == "+5 bonus" and format_line(None, "x") == "x"
    # An item without text still reads; junk items are skipped.
    odd = {"items": [{"points": "-7.4", "kind": "bundle_item"}, 3, None, "Loose note"]}
    assert breakdown_lines(odd, row) == [(-7, "Bundle item"), (None, "Loose note")]
    # The API's on-demand formula (−10 / −5 / −15).
    assert breakdown_lines({"documents": 2, "expiring": 1, "overdue": 1}, row) == [
        (-20, "2 documents pending review or rejected"),
        (-5, "1 document expiring within 30 days"),
        (-15, "1 filing overdue"),
    ]
    # The nightly worker's (−5 each); zero counts leave no line; junk counts read as 0.
    assert breakdown_lines({"missing": 1, "expiring": 0, "overdue": "x"}, row) == [
        (-5, "1 document pending review or rejected")
    ]
    # The wizard's placeholder.
    wizard = breakdown_lines({"bundles": [{"id": 1, "items": [1, 2, 3]}, {"id": 2}]}, row)
    assert wizard == [
        (None, "Set up by the web platform's compliance wizard: 4 required bundle items "
               "not checked yet")
    ]  # fmt: skip
    assert "7 required" in breakdown_lines({"bundles": None}, {"missingCount": 7})[0][1]
    # Null, empty or unknown: the row's counts, points unknown.
    for empty in (None, {}, [], "garbage", {"unknown": 1}):
        assert breakdown_lines(empty, row) == (
            []
            if empty == []
            else [
                (None, "2 documents pending review or rejected"),
                (None, "1 document expiring within 30 days"),
                (None, "1 filing overdue"),
            ]
        ), empty
    assert breakdown_lines(None, {}) == []
    # The to-do list: actions worst first, only deductions; platform rows by their counts.
    assert next_steps(desktop, row) == [
        "File: PAYE March 2026 overdue (\u221215)",
        "Obtain and upload: VAT registration certificate missing (rule: GRA documents) (\u221210)",
    ]
    assert next_steps({"missing": 1}, row) == [
        "Resolve: \u22125 1 document pending review or rejected"
    ]
    assert next_steps(None, {}) == []


@pytest.fixture
def scored(engine: Engine, database_url) -> Iterator[tuple[Firms, dict[str, int], int]]:
    """Alpha with five scored clients (one a platform "high" row) and one unscored; Beta with a
    scored client of its own."""
    firms = build_firms(engine, database_url, ("FirmAdmin", "Viewer", "FilingClerk"))
    with session_factory(engine)() as session:
        bundle = RequirementBundle(
            tenant_id=firms.alpha, name="GRA tax compliance", authority="GRA", category="tax"
        )
        session.add(bundle)
        session.flush()
        rows = {
            # name: (score, stored level, sector, breakdown)
            "Able Mining": (95.0, "excellent", "Mining", desktop_breakdown()),
            "Baker Retail": (
                62.0,
                "fair",
                "Retail",
                desktop_breakdown(
                    (
                        -10,
                        "bundle_item",
                        "VAT registration certificate missing (rule: GRA tax compliance)",
                        bundle.id,
                    ),
                    (-15, "filing_overdue", "PAYE March 2026 overdue", None),
                    (-13, "document_missing", "Business registration missing", None),
                ),
            ),
            # The platform's API: high = good compliance, but 85 is "good" on the desktop.
            "Carib Shipping": (85.0, "high", "Shipping", {"documents": 1, "expiring": 1}),
            "Delta Farms": (30.0, "poor", "Agriculture", desktop_breakdown()),
            # The worker wrote risk: "low" with a poor score.
            "Echo Builders": (45.0, "low", "Construction", {"missing": 2, "overdue": 1}),
        }
        ids: dict[str, int] = {}
        for name, (score, level, sector, breakdown) in rows.items():
            client = Client(tenant_id=firms.alpha, name=name, type="company", sector=sector)
            session.add(client)
            session.flush()
            ids[name] = client.id
            session.add(
                ComplianceScore(
                    tenant_id=firms.alpha,
                    client_id=client.id,
                    score_value=score,
                    level=level,
                    missing_count=1,
                    expiring_count=1 if name == "Carib Shipping" else 0,
                    overdue_filings_count=1 if name in ("Baker Retail", "Echo Builders") else 0,
                    last_calculated_at=NOW,
                    breakdown=breakdown,
                )
            )
        session.add(
            ComplianceScore(
                tenant_id=firms.beta,
                client_id=firms.beta_client,
                score_value=10.0,
                level="poor",
                missing_count=9,
                expiring_count=0,
                overdue_filings_count=0,
                last_calculated_at=NOW,
                breakdown=None,
            )
        )
        session.commit()
        bundle_id = bundle.id
    yield firms, ids, bundle_id
    drain()


def sign_in(firms: Firms, role: str) -> Context:
    return auth.open_context(auth.sign_in(firms.profile, firms.emails[role], PASSWORD))


def names(ctx: Context, **filters: object) -> list[str]:
    query = score_list_query(ctx)
    for key, value in filters.items():
        query.set_filter(key, value)
    return [row["client"] for row in query.first_page(ctx.session, 50).dicts()]


def test_scores_list_filters_distribution_and_breakdown_as_staff(scored) -> None:
    firms, ids, bundle_id = scored
    ctx = sign_in(firms, "Viewer")
    try:
        # Poorest first; Beta's score and the unscored Alpha Client are not listed.
        assert names(ctx) == [
            "Delta Farms", "Echo Builders", "Baker Retail", "Carib Shipping", "Able Mining",
        ]  # fmt: skip
        page = score_list_query(ctx).first_page(ctx.session, 50)
        shown = {r["client"]: r for r in page.dicts()}
        assert set(page.ids) == set(ids.values())  # row ids are client ids
        levels = {r["client"]: score_list_query(ctx).columns[2].format(r["level"]) for r in
                  shown.values()}  # fmt: skip
        assert levels["Carib Shipping"] == "Good" and levels["Echo Builders"] == "Poor"
        # By band, not by the stored level: the platform's "high" 85 is good, its "low" 45 poor.
        assert names(ctx, level="good") == ["Carib Shipping"]
        assert names(ctx, level="poor") == ["Delta Farms", "Echo Builders"]
        assert names(ctx, level="excellent") == ["Able Mining"]
        assert names(ctx, level=["fair", "good"]) == ["Baker Retail", "Carib Shipping"]
        with pytest.raises(ValueError):
            names(ctx, level="high")
        assert names(ctx, sector="Retail") == ["Baker Retail"]
        assert names(ctx, bundle_id=bundle_id) == ["Baker Retail"]
        assert names(ctx, bundle_id=bundle_id + 999) == []
        query = score_list_query(ctx)
        query.set_sort("score", descending=True)
        assert query.first_page(ctx.session, 2).dicts()[0]["client"] == "Able Mining"
        query.set_sort("client")
        assert [r["client"] for r in query.first_page(ctx.session, 2).dicts()] == [
            "Able Mining",
            "Baker Retail",
        ]
        query.set_search("Baker")
        assert [r["client"] for r in query.first_page(ctx.session, 10).dicts()] == ["Baker Retail"]

        assert distribution(ctx) == {"excellent": 1, "good": 1, "fair": 1, "poor": 2}
        assert bundle_choices(ctx) == [("GRA: GRA tax compliance", bundle_id)]

        baker = client_score(ctx, ids["Baker Retail"])
        assert baker is not None and baker["level"] == "fair" and not baker["platform_row"]
        assert baker["lines"][0] == (
            -10,
            "VAT registration certificate missing (rule: GRA tax compliance)",
        )
        assert baker["to_do"] == [
            "File: PAYE March 2026 overdue (\u221215)",
            "Obtain and upload: Business registration missing (\u221213)",
            "Complete: VAT registration certificate missing (rule: GRA tax compliance) (\u221210)",
        ]
        carib = client_score(ctx, ids["Carib Shipping"])
        assert carib is not None and carib["platform_row"] and carib["level_label"] == "Good"
        assert carib["lines"] == [
            (-10, "1 document pending review or rejected"),
            (-5, "1 document expiring within 30 days"),
        ]
        assert client_score(ctx, firms.alpha_client) is None  # not scored yet
        assert client_score(ctx, firms.beta_client) is None  # another firm's: invisible
    finally:
        ctx.session.close()
    clerk = sign_in(firms, "FilingClerk")  # no compliance permission
    try:
        for call in (score_list_query, distribution, bundle_choices):
            with pytest.raises(PermissionDenied):
                call(clerk)
        with pytest.raises(PermissionDenied):
            client_score(clerk, ids["Baker Retail"])
    finally:
        clerk.session.close()


@pytest.mark.gui
def test_compliance_page_shows_chart_list_and_breakdown(qtbot, scored, engine) -> None:
    from gcmc_desktop.services.changes import ChangeSet
    from gcmc_desktop.views.compliance import ClientComplianceTab, CompliancePage
    from gcmc_desktop.views.kit.bus import change_bus

    firms, ids, _bundle_id = scored
    ctx = sign_in(firms, "FirmAdmin")
    try:
        page = CompliancePage(ctx)
        qtbot.addWidget(page)
        page.resize(1280, 800)
        page.show()
        model = page.list.model
        qtbot.waitUntil(lambda: model.total == 5 and not model.loading, timeout=WAIT)
        assert isinstance(page.chart, QChartView)
        qtbot.waitUntil(lambda: sum(page.chart.counts.values()) == 5, timeout=WAIT)
        bars = [page.chart.sets[level].at(i) for i, level in enumerate(LEVELS)]
        assert bars == [1.0, 1.0, 1.0, 2.0]
        # Selecting a row shows its breakdown beside the list.
        assert page.list.select_id(ids["Baker Retail"])
        qtbot.waitUntil(lambda: page.breakdown.score is not None, timeout=WAIT)
        assert page.breakdown.line_texts()[:2] == [
            "\u221210 VAT registration certificate missing (rule: GRA tax compliance)",
            "\u221215 PAYE March 2026 overdue",
        ]
        assert page.breakdown.heading.text() == "Baker Retail: 62 (Fair)"
        # A click on the "Poor" bar narrows the list to that band.
        page.chart.series.clicked.emit(3, page.chart.sets["poor"])
        qtbot.waitUntil(lambda: model.total == 2 and not model.loading, timeout=WAIT)
        assert page.list.filter_box("level").currentData() == "poor"

        tab = ClientComplianceTab(ctx, ids["Carib Shipping"])
        qtbot.addWidget(tab)
        qtbot.waitUntil(lambda: tab.score is not None, timeout=WAIT)
        assert tab.heading.text() == "Carib Shipping: 85 (Good)"
        assert "web platform" in tab.details.text()
        assert tab.to_do_texts() == [
            "\u2022 Resolve: \u221210 1 document pending review or rejected",
            "\u2022 Resolve: \u22125 1 document expiring within 30 days",
        ]
        # A recalculation (here: the engine's UPDATE, announced on the change bus) refreshes
        # the chart, the list and the open breakdowns.
        with engine.begin() as conn:
            conn.execute(
                text(
                    "UPDATE compliance_scores SET \"scoreValue\" = 92, level = 'excellent', "
                    'breakdown = NULL, "missingCount" = 0, "expiringCount" = 0 '
                    'WHERE "clientId" = :id'
                ),
                {"id": ids["Carib Shipping"]},
            )
        changes = ChangeSet()
        changes.add("compliance_score", "updated", [ids["Carib Shipping"]])
        change_bus().publish(changes)
        qtbot.waitUntil(
            lambda: tab.heading.text() == "Carib Shipping: 92 (Excellent)", timeout=WAIT
        )
        assert "web platform" not in tab.details.text()
        qtbot.waitUntil(lambda: page.chart.counts["excellent"] == 2, timeout=WAIT)
        empty = ClientComplianceTab(ctx, firms.alpha_client)
        qtbot.addWidget(empty)
        qtbot.waitUntil(lambda: "No compliance score" in empty.heading.text(), timeout=WAIT)
        assert not empty.lines.isVisibleTo(empty)
    finally:
        drain()
        auth.sign_out(ctx)


@pytest.mark.gui
def test_dashboard_figures_open_their_filtered_lists(qtbot, scored) -> None:
    from gcmc_desktop.services import filing_types, filings, tasks
    from gcmc_desktop.views.dashboard import DashboardPage
    from gcmc_desktop.views.filings import FILINGS
    from gcmc_desktop.views.kit.list_page import ListPage
    from gcmc_desktop.views.tasks import TasksPage

    firms, ids, _bundle_id = scored
    ctx = sign_in(firms, "FirmAdmin")
    try:
        vat = filing_types.create_filing_type(
            ctx,
            {"name": "VAT return", "code": "VAT", "authority": "GRA", "frequency": "monthly",
             "default_due_day": 21},
        )["id"]  # fmt: skip
        for year, month in ((2024, 1), (2024, 2)):  # long past: overdue drafts
            filings.create_filing(
                ctx,
                {"client_id": ids["Baker Retail"], "filing_type_id": vat},
                period=filings.period_for("month", year, month),
            )
        tasks.create_task(ctx, {"title": "Call GRA", "assigned_to_id": ctx.user_id})
        done = tasks.create_task(ctx, {"title": "Old", "assigned_to_id": ctx.user_id})
        for status in ("in_progress", "completed"):
            done = tasks.update_task(ctx, done["id"], {"status": status}, done["updated_at"])

        page = DashboardPage(ctx)
        qtbot.addWidget(page)
        page.resize(1280, 800)
        page.show()
        qtbot.waitUntil(lambda: not page.loading, timeout=WAIT)
        assert page.counts["overdue"] == 2 and page.counts["my_tasks"] == 1
        assert page.counts["compliance"] == {"excellent": 1, "good": 1, "fair": 1, "poor": 2}
        assert page.numbers["overdue"].text() == "2" and page.numbers["my_tasks"].text() == "1"
        requested: list[tuple[str, dict, str]] = []
        page.listRequested.connect(lambda *args: requested.append(args))
        page.buttons["overdue"].click()
        page.buttons["my_tasks"].click()
        page.chart.levelClicked.emit("poor")
        assert [r[0] for r in requested] == ["filings", "tasks", "compliance"]

        # Each opens its list narrowed the same way: the figure is the list's count.
        filings_page = ListPage(ctx, FILINGS)
        qtbot.addWidget(filings_page)
        filings_page.show_filtered(requested[0][1], requested[0][2])
        assert filings_page.filter_box("due").currentText() == "Overdue (due date past)"
        qtbot.waitUntil(lambda: filings_page.model.total == 2, timeout=WAIT)
        filings_page.show_filtered({filings.DUE_WITHIN: 0}, "Due today")  # a new entry
        assert filings_page.filter_box("due").currentText() == "Due today"
        qtbot.waitUntil(lambda: filings_page.model.total == page.counts["due_today"], timeout=WAIT)
        with pytest.raises(ValueError):
            filings_page.show_filtered({"nonsense": 1})
        tasks_page = TasksPage(ctx)
        qtbot.addWidget(tasks_page)
        tasks_page.show_filtered(requested[1][1], requested[1][2])
        assert tasks_page.currentWidget() is tasks_page.mine
        qtbot.waitUntil(lambda: tasks_page.mine.model.total == 1, timeout=WAIT)
    finally:
        drain()
        auth.sign_out(ctx)


def test_recalculate_all_from_the_page_rewrites_the_scores(qtbot, scored, engine) -> None:
    """Compliance → Recalculate all: the engine runs in the background; the page says so."""
    from PySide6.QtCore import Qt

    from gcmc_desktop.views.compliance import CompliancePage
    from gcmc_desktop.views.compliance_jobs import ComplianceJobs

    firms, ids, _bundle_id = scored
    ctx = sign_in(firms, "FirmAdmin")
    try:
        jobs = ComplianceJobs(ctx)
        page = CompliancePage(ctx, jobs=jobs)
        qtbot.addWidget(page)
        page.show()
        assert page.recalculate_button.isVisible()
        qtbot.mouseClick(page.recalculate_button, Qt.MouseButton.LeftButton)
        assert not page.recalculate_button.isEnabled()  # one run at a time
        qtbot.waitUntil(lambda: not jobs.busy, timeout=WAIT)
        qtbot.waitUntil(lambda: page.recalculate_button.isEnabled(), timeout=WAIT)
        assert page.run_label.text().startswith("Recalculated the scores of")
        assert page.run_label.text().endswith("changed.")
        with engine.connect() as conn:
            versions = conn.scalars(
                text(
                    "SELECT breakdown ->> 'version' FROM compliance_scores "
                    'WHERE "clientId" = ANY(:ids)'
                ),
                {"ids": list(ids.values())},
            ).all()
        assert versions and set(versions) == {"1"}  # every row in the desktop's form now
    finally:
        # The page's list and chart still read in the background: let them end before the
        # sessions and widgets go (a reply reaching a deleted page crashed the worker).
        drain()
        ctx.session.close()
    viewer = sign_in(firms, "Viewer")
    try:
        page = CompliancePage(viewer, jobs=ComplianceJobs(viewer))
        qtbot.addWidget(page)
        assert not page.recalculate_button.isVisibleTo(page)  # reading only
    finally:
        drain()
        viewer.session.close()
