"""Recurring filings as signed-in staff (issue 12): schedules, the periods a run creates (month
ends, leap years, quarter and year boundaries, cron), catch-up, idempotence (a second run, two
concurrent runs, two schedules for one period, a deleted generated filing), paused schedules,
the dry-run preview, `gcmc filings generate`, and attacks on the claims table."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta

import psycopg
import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from gcmc_desktop.cli import main
from gcmc_desktop.models import Filing, RecurringFiling
from gcmc_desktop.services import auth, filing_types, filings, recurring
from gcmc_desktop.services.context import Context
from gcmc_desktop.services.errors import (
    ConflictError,
    DuplicateError,
    InUseError,
    PermissionDenied,
    ValidationError,
)
from gcmc_desktop.services.filings import period_for
from gcmc_desktop.services.recurring import (
    first_run,
    generate_due_filings,
    period_for_run,
    runs_until,
    validate_schedule,
)

from .security_fixtures import PASSWORD, Firms, build_firms
from .security_fixtures import raw as connect
from .test_cli_db import platform_form

ROLES = ("FirmAdmin", "ComplianceManager", "Viewer")


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


def make_type(ctx: Context, code: str, frequency: str, day: int | None, month: int | None = None):
    return filing_types.create_filing_type(
        ctx,
        {
            "name": code,
            "code": code,
            "authority": "GRA",
            "frequency": frequency,
            "default_due_day": day,
            "default_due_month": month,
        },
    )["id"]


@pytest.fixture
def vat(admin_ctx: Context) -> int:
    return make_type(admin_ctx, "VAT_MONTHLY", "monthly", 21)


def schedule(ctx: Context, firms: Firms, type_id: int, plan: str, next_run_at, **kw) -> dict:
    return recurring.create_recurring(
        ctx,
        {
            "client_id": firms.alpha_client,
            "filing_type_id": type_id,
            "schedule": plan,
            "next_run_at": next_run_at,
            **kw,
        },
    )


def labels(engine: Engine) -> list[str]:
    with Session(engine) as s:
        rows = s.execute(
            select(Filing.period_label, Filing.period_start).order_by(Filing.period_start)
        ).all()
        return [r[0] for r in rows]


def count(engine: Engine) -> int:
    with Session(engine) as s:
        return s.scalar(select(func.count()).select_from(Filing))


# ---------------------------------------------------------------------------------- schedules


@pytest.mark.parametrize(
    ("text_in", "expected"),
    [
        ("monthly", "monthly"),
        (" Quarterly ", "quarterly"),
        ("0 6 1 * *", "0 6 1 * *"),
        ("0  6 5 */3 *", "0 6 5 */3 *"),
    ],
)
def test_schedule_accepted(text_in, expected) -> None:
    assert validate_schedule(text_in) == expected


@pytest.mark.parametrize("bad", ["weekly", "", None, "0 6 1 *", "0 6 1 * * *", "99 6 1 * *", 5])
def test_schedule_refused(bad) -> None:
    with pytest.raises(ValidationError) as err:
        validate_schedule(bad)
    assert "cron" in err.value.field_errors["schedule"]


def test_period_for_run_boundaries() -> None:
    assert period_for_run("month", datetime(2024, 3, 1)).label == "February 2024"
    assert period_for_run("month", datetime(2024, 3, 1)).end == date(2024, 2, 29)  # leap
    assert period_for_run("month", datetime(2023, 3, 1)).end == date(2023, 2, 28)
    assert period_for_run("month", datetime(2025, 1, 1)).label == "December 2024"
    assert period_for_run("quarter", datetime(2024, 4, 1)).label == "Q1 2024"
    assert period_for_run("quarter", datetime(2024, 1, 1)).label == "Q4 2023"
    assert period_for_run("quarter", datetime(2024, 6, 30)).label == "Q1 2024"  # Q2 not over
    assert period_for_run("year", datetime(2025, 1, 1)).label == "2024"


def test_first_run_and_catch_up_plan() -> None:
    assert first_run("monthly", "month", datetime(2024, 1, 31, 12)) == datetime(2024, 2, 1)
    assert first_run("quarterly", "quarter", datetime(2024, 2, 10)) == datetime(2024, 4, 1)
    assert first_run("annual", "year", datetime(2024, 2, 10)) == datetime(2025, 1, 1)
    assert first_run("0 6 5 * *", "month", datetime(2024, 2, 10)) == datetime(2024, 3, 5, 6)
    runs, after = runs_until("monthly", "month", datetime(2024, 2, 1), datetime(2024, 7, 1))
    assert [p.label for _at, p in runs] == [
        "January 2024",
        "February 2024",
        "March 2024",
        "April 2024",
        "May 2024",
    ]
    assert after == datetime(2024, 7, 1)


def test_create_update_delete_schedule(firms: Firms, admin_ctx: Context, vat: int) -> None:
    created = schedule(admin_ctx, firms, vat, "monthly", None)
    # Without a next run: when the current month has ended.
    today = date.today()
    nxt = created["next_run_at"]
    assert nxt.day == 1 and nxt.date() > today and (nxt.date() - today).days <= 31
    assert created["next_period_label"] == filings.period_containing("month", today).label
    assert created["active"] is True and created["filing_type_code"] == "VAT_MONTHLY"
    with pytest.raises(DuplicateError):
        schedule(admin_ctx, firms, vat, "quarterly", None)
    paused = recurring.update_recurring(
        admin_ctx, created["id"], {"active": False}, created["updated_at"]
    )
    assert paused["active"] is False
    with pytest.raises(ConflictError):
        recurring.update_recurring(
            admin_ctx, created["id"], {"active": True}, created["updated_at"]
        )
    with pytest.raises(ValidationError):
        recurring.update_recurring(admin_ctx, created["id"], {"schedule": "weekly"}, None)
    assert [r["id"] for r in recurring.list_recurring(admin_ctx)] == [created["id"]]
    recurring.delete_recurring(admin_ctx, created["id"])
    assert recurring.list_recurring(admin_ctx) == []


def test_schedule_refuses_other_clients_business(
    firms: Firms, admin_ctx: Context, vat: int, engine: Engine
) -> None:
    with engine.begin() as conn:
        other = conn.scalar(
            text(
                'INSERT INTO clients ("tenantId", name, type, "updatedAt") '
                "VALUES (:t, 'Other', 'company', now()) RETURNING id"
            ),
            {"t": firms.alpha},
        )
        theirs = conn.scalar(
            text(
                'INSERT INTO client_businesses ("tenantId", "clientId", name, "updatedAt") '
                "VALUES (:t, :c, 'Other Ltd', now()) RETURNING id"
            ),
            {"t": firms.alpha, "c": other},
        )
    with pytest.raises(ValidationError) as err:
        schedule(admin_ctx, firms, vat, "monthly", None, client_business_id=theirs)
    assert "client_business_id" in err.value.field_errors


# --------------------------------------------------------------------------------- generation


def test_catch_up_creates_each_missed_period_once(
    firms: Firms, admin_ctx: Context, vat: int, engine: Engine
) -> None:
    created = schedule(admin_ctx, firms, vat, "monthly", datetime(2024, 1, 1))
    report = generate_due_filings(admin_ctx, today=date(2024, 6, 10))
    assert [c["period_label"] for c in report.created] == [
        "December 2023",
        "January 2024",
        "February 2024",
        "March 2024",
        "April 2024",
        "May 2024",
    ]
    assert labels(engine) == [c["period_label"] for c in report.created]
    feb = next(c for c in report.created if c["period_label"] == "February 2024")
    assert feb["period_end"] == date(2024, 2, 29)
    assert feb["due_date"] == date(2024, 3, 21)
    got = filings.get_filing(admin_ctx, feb["filing_id"])
    assert got["status"] == "draft" and got["due_date"] == date(2024, 3, 21)
    assert got["period_end"] == datetime(2024, 2, 29)
    row = recurring.get_recurring(admin_ctx, created["id"])
    assert row["next_run_at"] == datetime(2024, 7, 1)
    assert row["last_run_at"] == datetime(2024, 6, 1)
    assert row["next_period_label"] == "June 2024"
    # A second run on the same day creates nothing.
    again = generate_due_filings(admin_ctx, today=date(2024, 6, 10))
    assert again.created == [] and again.schedules == 0
    assert count(engine) == 6
    # Next month: June only.
    july = generate_due_filings(admin_ctx, today=date(2024, 7, 1))
    assert [c["period_label"] for c in july.created] == ["June 2024"]


def test_quarterly_and_annual(firms: Firms, admin_ctx: Context, engine: Engine) -> None:
    quarterly = make_type(admin_ctx, "CIT_QUARTERLY", "quarterly", 15)
    annual = make_type(admin_ctx, "CIT_ANNUAL", "annual", 30, 4)
    schedule(admin_ctx, firms, quarterly, "quarterly", datetime(2023, 10, 1))
    schedule(admin_ctx, firms, annual, "annual", datetime(2024, 1, 1))
    report = generate_due_filings(admin_ctx, today=date(2025, 1, 2))
    got = {(c["filing_type_code"], c["period_label"]): c for c in report.created}
    assert sorted(got) == [
        ("CIT_ANNUAL", "2023"),
        ("CIT_ANNUAL", "2024"),
        ("CIT_QUARTERLY", "Q1 2024"),
        ("CIT_QUARTERLY", "Q2 2024"),
        ("CIT_QUARTERLY", "Q3 2023"),
        ("CIT_QUARTERLY", "Q3 2024"),
        ("CIT_QUARTERLY", "Q4 2023"),
        ("CIT_QUARTERLY", "Q4 2024"),
    ]
    q1 = got[("CIT_QUARTERLY", "Q1 2024")]
    assert (q1["period_start"], q1["period_end"]) == (date(2024, 1, 1), date(2024, 3, 31))
    assert q1["due_date"] == date(2024, 4, 15)
    assert got[("CIT_ANNUAL", "2024")]["due_date"] == date(2025, 4, 30)
    assert count(engine) == 8


def test_cron_schedule_uses_the_types_period(firms: Firms, admin_ctx: Context, vat: int) -> None:
    # 06:00 on the 5th of every month: each run files the month before.
    schedule(admin_ctx, firms, vat, "0 6 5 * *", datetime(2024, 2, 5, 6))
    report = generate_due_filings(admin_ctx, today=date(2024, 4, 5))
    assert [c["period_label"] for c in report.created] == [
        "January 2024",
        "February 2024",
        "March 2024",
    ]
    # A daily cron files the same month many times over: one filing.
    daily = make_type(admin_ctx, "PAYE_MONTHLY", "monthly", 14)
    schedule(admin_ctx, firms, daily, "0 1 * * *", datetime(2024, 4, 1, 1))
    report = generate_due_filings(admin_ctx, today=date(2024, 4, 20))
    assert [c["period_label"] for c in report.created] == ["March 2024"]
    assert report.already_there == 19


def test_paused_schedule_creates_nothing(
    firms: Firms, admin_ctx: Context, vat: int, engine
) -> None:
    created = schedule(admin_ctx, firms, vat, "monthly", datetime(2024, 1, 1), active=False)
    report = generate_due_filings(admin_ctx, today=date(2024, 6, 10))
    assert report.created == [] and count(engine) == 0
    assert recurring.get_recurring(admin_ctx, created["id"])["next_run_at"] == datetime(2024, 1, 1)


def test_existing_filing_for_the_period_is_kept(
    firms: Firms, admin_ctx: Context, vat: int, engine
) -> None:
    filings.create_filing(
        admin_ctx,
        {"client_id": firms.alpha_client, "filing_type_id": vat},
        period=period_for("month", 2024, 1),
    )
    schedule(admin_ctx, firms, vat, "monthly", datetime(2024, 2, 1))
    report = generate_due_filings(admin_ctx, today=date(2024, 3, 1))
    assert [c["period_label"] for c in report.created] == ["February 2024"]
    assert report.already_there == 1
    assert labels(engine) == ["January 2024", "February 2024"]


def test_deleted_generated_filing_is_not_generated_again(
    firms: Firms, admin_ctx: Context, vat: int, engine
) -> None:
    created = schedule(admin_ctx, firms, vat, "monthly", datetime(2024, 2, 1))
    report = generate_due_filings(admin_ctx, today=date(2024, 2, 1))
    filings.delete_filing(admin_ctx, report.created[0]["filing_id"])
    # Someone sets the schedule back by hand.
    row = recurring.get_recurring(admin_ctx, created["id"])
    recurring.update_recurring(
        admin_ctx, created["id"], {"next_run_at": datetime(2024, 2, 1)}, row["updated_at"]
    )
    again = generate_due_filings(admin_ctx, today=date(2024, 2, 1))
    assert again.created == [] and again.already_there == 1
    assert count(engine) == 0


def test_two_schedules_for_one_period_make_one_filing(
    firms: Firms, admin_ctx: Context, vat: int, engine: Engine
) -> None:
    """The platform allows a second schedule for the same client and type (it checks in code
    only): the database's claim still lets one filing through."""
    schedule(admin_ctx, firms, vat, "monthly", datetime(2024, 2, 1))
    with engine.begin() as conn:
        conn.execute(
            text(
                'INSERT INTO recurring_filings ("tenantId", "clientId", "filingTypeId", schedule, '
                'active, "nextRunAt", "updatedAt") VALUES (:t, :c, :f, \'0 0 1 * *\', true, '
                "'2024-02-01', now())"
            ),
            {"t": firms.alpha, "c": firms.alpha_client, "f": vat},
        )
    report = generate_due_filings(admin_ctx, today=date(2024, 2, 1))
    assert [c["period_label"] for c in report.created] == ["January 2024"]
    assert count(engine) == 1


def test_concurrent_runs_create_each_filing_once(
    firms: Firms, admin_ctx: Context, engine: Engine
) -> None:
    types = [make_type(admin_ctx, f"T{i}", "monthly", 21) for i in range(6)]
    for type_id in types:
        schedule(admin_ctx, firms, type_id, "monthly", datetime(2024, 1, 1))
    manager = sign_in(firms, "ComplianceManager")
    start = threading.Barrier(2)
    results: dict[str, object] = {}

    def run(name: str, ctx: Context) -> None:
        start.wait()
        try:
            results[name] = generate_due_filings(ctx, today=date(2024, 4, 1))
        except Exception as exc:  # reported below
            results[name] = exc

    threads = [
        threading.Thread(target=run, args=("a", admin_ctx)),
        threading.Thread(target=run, args=("b", manager)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    manager.session.close()
    for value in results.values():
        assert not isinstance(value, Exception), value
    created = sum(len(r.created) for r in results.values())  # type: ignore[union-attr]
    assert created == 6 * 4 == count(engine)  # December to March
    with Session(engine) as s:
        dupes = s.execute(
            select(Filing.filing_type_id, Filing.period_label, func.count())
            .group_by(Filing.filing_type_id, Filing.period_label)
            .having(func.count() > 1)
        ).all()
        assert dupes == []
        nexts = set(s.scalars(select(RecurringFiling.next_run_at)))
        assert nexts == {datetime(2024, 5, 1)}


def test_dry_run_previews_and_writes_nothing(
    firms: Firms, admin_ctx: Context, vat: int, engine
) -> None:
    created = schedule(admin_ctx, firms, vat, "monthly", datetime(2024, 1, 1))
    preview = generate_due_filings(admin_ctx, today=date(2024, 3, 5), dry_run=True)
    assert [c["period_label"] for c in preview.created] == [
        "December 2023",
        "January 2024",
        "February 2024",
    ]
    assert all(c["filing_id"] is None for c in preview.created)
    assert count(engine) == 0
    row = recurring.get_recurring(admin_ctx, created["id"])
    assert row["next_run_at"] == datetime(2024, 1, 1) and row["last_run_at"] is None
    real = generate_due_filings(admin_ctx, today=date(2024, 3, 5))
    assert [c["period_label"] for c in real.created] == [c["period_label"] for c in preview.created]


def test_horizon_runs_schedules_due_soon(firms: Firms, admin_ctx: Context, vat: int) -> None:
    schedule(admin_ctx, firms, vat, "monthly", datetime(2024, 3, 1))
    assert generate_due_filings(admin_ctx, today=date(2024, 2, 25)).created == []
    report = generate_due_filings(admin_ctx, today=date(2024, 2, 25), horizon=timedelta(days=5))
    assert [c["period_label"] for c in report.created] == ["February 2024"]


def test_dcra_annual_return_due_on_anniversary(
    firms: Firms, admin_ctx: Context, engine: Engine
) -> None:
    dcra = make_type(admin_ctx, "DCRA_ANNUAL", "annual", None)
    with engine.begin() as conn:
        business = conn.scalar(
            text(
                'INSERT INTO client_businesses ("tenantId", "clientId", name, '
                '"incorporationDate", "updatedAt") VALUES (:t, :c, \'Alpha Ltd\', '
                "'2016-02-29', now()) RETURNING id"
            ),
            {"t": firms.alpha, "c": firms.alpha_client},
        )
    schedule(admin_ctx, firms, dcra, "annual", datetime(2025, 1, 1), client_business_id=business)
    report = generate_due_filings(admin_ctx, today=date(2025, 1, 1))
    assert report.created[0]["due_date"] == date(2025, 2, 28)
    assert filings.get_filing(admin_ctx, report.created[0]["filing_id"])["due_date"] == date(
        2025, 2, 28
    )


def test_permissions_and_firm_scope(firms: Firms, admin_ctx: Context, vat: int, engine) -> None:
    schedule(admin_ctx, firms, vat, "monthly", datetime(2024, 1, 1))
    viewer = sign_in(firms, "Viewer")
    beta = auth.open_context(auth.sign_in(firms.profile, "boss@beta.gy", PASSWORD))
    try:
        with pytest.raises(PermissionDenied):
            generate_due_filings(viewer, today=date(2024, 3, 1))
        assert generate_due_filings(beta, today=date(2024, 3, 1)).schedules == 0
        with pytest.raises(InUseError):
            filing_types.delete_filing_type(admin_ctx, vat)
    finally:
        viewer.session.close()
        beta.session.close()
    assert count(engine) == 0


def test_cli_generate(
    firms: Firms, admin_ctx: Context, vat: int, database_url, engine: Engine, capsys
) -> None:
    this_month = filings.period_containing("month", date.today())
    schedule(
        admin_ctx, firms, vat, "monthly", datetime.combine(this_month.start, datetime.min.time())
    )
    # A filing the web platform wrote: 23 February 2024 is Republic Day, which the database's
    # fallback does not know; the run corrects it to Monday the 26th.
    paye = make_type(admin_ctx, "PAYE_MONTHLY", "monthly", 23)
    with Session(engine) as s:
        platform = Filing(
            tenant_id=firms.alpha,
            client_id=firms.alpha_client,
            filing_type_id=paye,
            status="draft",
            period_start=datetime(2024, 1, 1),
            period_end=datetime(2024, 1, 31),
            period_label="January 2024",
        )
        s.add(platform)
        s.commit()
        platform_id = platform.id
    assert filings.get_filing(admin_ctx, platform_id)["due_date"] == date(2024, 2, 23)
    url = platform_form(database_url)
    assert main(["--database-url", url, "filings", "generate", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "Would create 1 filing(s) from 1 due schedule(s)" in out
    assert main(["--database-url", url, "filings", "generate"]) == 0
    out = capsys.readouterr().out
    assert "Created 1 filing(s)" in out
    assert this_month.previous().label in out
    assert "Corrected the due date of 1 filing(s)." in out
    assert filings.get_filing(admin_ctx, platform_id)["due_date"] == date(2024, 2, 26)
    assert main(["--database-url", url, "filings", "generate"]) == 0
    assert "Created 0 filing(s) from 0 due schedule(s)" in capsys.readouterr().out


# ------------------------------------------------------------------------------------ attacks


def test_attack_claims_for_another_firm(firms: Firms, admin_ctx: Context, vat: int) -> None:
    with connect(firms.user_url(firms.emails["FirmAdmin"])) as conn:
        conn.execute("SELECT set_config('gcmc.tenant_id', %s, false)", (str(firms.alpha),))
        # Beta's firm, or Beta's client under Alpha's firm: refused alike.
        for tenant, client in ((firms.beta, firms.beta_client), (firms.alpha, firms.beta_client)):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(
                    'INSERT INTO desktop_generated_filings ("tenantId", "clientId", '
                    '"filingTypeId", "periodStart", "periodLabel") VALUES (%s, %s, %s, '
                    "'2024-01-01', 'January 2024')",
                    (tenant, client, vat),
                )
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute('UPDATE desktop_generated_filings SET "tenantId" = %s', (firms.beta,))
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("DELETE FROM desktop_generated_filings")
    with connect(firms.user_url(firms.emails["Viewer"])) as conn:
        conn.execute("SELECT set_config('gcmc.tenant_id', %s, false)", (str(firms.alpha),))
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(
                'INSERT INTO desktop_generated_filings ("tenantId", "clientId", '
                '"filingTypeId", "periodStart", "periodLabel") VALUES (%s, %s, %s, '
                "'2024-01-01', 'January 2024')",
                (firms.alpha, firms.alpha_client, vat),
            )
