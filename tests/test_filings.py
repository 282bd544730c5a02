"""Filings on real PostgreSQL as signed-in staff (issue 12): periods and their labels, real due
dates (Guyanese holidays, weekends, leap years, anniversaries), money, status transitions,
references of the same client and firm, attached documents, conflicts, the filings list and
its overdue / due-within filters, and attacks on the due-date table of migration 0010."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import psycopg
import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from gcmc_desktop.models import AuditLog, Filing, FilingType
from gcmc_desktop.services import auth, filing_types, filings
from gcmc_desktop.services.context import Context
from gcmc_desktop.services.errors import (
    ConflictError,
    DuplicateError,
    NotFoundError,
    PermissionDenied,
    ValidationError,
)
from gcmc_desktop.services.filings import (
    Period,
    clean_amount,
    due_date,
    period_containing,
    period_for,
    scheduled_due_date,
)

from .security_fixtures import PASSWORD, Firms, build_firms
from .security_fixtures import raw as connect

ROLES = ("FirmAdmin", "FilingClerk", "Viewer", "DocumentOfficer")


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


@pytest.fixture
def clerk(firms: Firms):
    ctx = sign_in(firms, "FilingClerk")
    yield ctx
    ctx.session.close()


def make_type(ctx: Context, code: str = "VAT_MONTHLY", **kwargs) -> int:
    data = {
        "name": kwargs.pop("name", f"{code} return"),
        "code": code,
        "authority": kwargs.pop("authority", "GRA"),
        "frequency": kwargs.pop("frequency", "monthly"),
        "default_due_day": kwargs.pop("default_due_day", 21),
        **kwargs,
    }
    return filing_types.create_filing_type(ctx, data)["id"]


@pytest.fixture
def vat(admin_ctx: Context) -> int:
    return make_type(admin_ctx)


def new_filing(ctx: Context, firms: Firms, type_id: int, period: Period | None = None, **data):
    data.setdefault("client_id", firms.alpha_client)
    data["filing_type_id"] = type_id
    return filings.create_filing(ctx, data, period=period or period_for("month", 2024, 1))


# ------------------------------------------------------------------------------------ periods


@pytest.mark.parametrize(
    ("kind", "year", "number", "start", "end", "label"),
    [
        ("month", 2024, 1, date(2024, 1, 1), date(2024, 1, 31), "January 2024"),
        ("month", 2024, 2, date(2024, 2, 1), date(2024, 2, 29), "February 2024"),  # leap
        ("month", 2023, 2, date(2023, 2, 1), date(2023, 2, 28), "February 2023"),
        ("month", 1900, 2, date(1900, 2, 1), date(1900, 2, 28), "February 1900"),  # not leap
        ("month", 2000, 2, date(2000, 2, 1), date(2000, 2, 29), "February 2000"),  # leap
        ("month", 2024, 12, date(2024, 12, 1), date(2024, 12, 31), "December 2024"),
        ("quarter", 2024, 1, date(2024, 1, 1), date(2024, 3, 31), "Q1 2024"),
        ("quarter", 2024, 2, date(2024, 4, 1), date(2024, 6, 30), "Q2 2024"),
        ("quarter", 2024, 4, date(2024, 10, 1), date(2024, 12, 31), "Q4 2024"),
        ("year", 2024, None, date(2024, 1, 1), date(2024, 12, 31), "2024"),
    ],
)
def test_period_for(kind, year, number, start, end, label) -> None:
    period = period_for(kind, year, number)
    assert (period.start, period.end, period.label) == (start, end, label)


def test_period_neighbours_and_containing() -> None:
    assert period_for("month", 2024, 12).next().label == "January 2025"
    assert period_for("month", 2024, 3).previous().label == "February 2024"
    assert period_for("quarter", 2024, 1).previous().label == "Q4 2023"
    assert period_for("quarter", 2024, 4).next().label == "Q1 2025"
    assert period_for("year", 2024).next().label == "2025"
    assert period_containing("quarter", date(2024, 6, 30)).label == "Q2 2024"
    assert period_containing("quarter", date(2024, 7, 1)).label == "Q3 2024"
    assert period_containing("month", date(2024, 2, 29)).end == date(2024, 2, 29)


@pytest.mark.parametrize(
    ("kind", "number"),
    [("month", 0), ("month", 13), ("quarter", 5), ("quarter", None), ("week", 1)],
)
def test_period_refuses_nonsense(kind, number) -> None:
    with pytest.raises(ValidationError) as err:
        period_for(kind, 2024, number)
    assert "period" in err.value.field_errors


# ---------------------------------------------------------------------------------- due dates


@pytest.mark.parametrize(
    ("frequency", "day", "month", "period_end", "expected"),
    [
        ("monthly", 21, None, date(2024, 1, 31), date(2024, 2, 21)),  # a Wednesday
        ("monthly", 23, None, date(2024, 1, 31), date(2024, 2, 26)),  # Republic Day (Fri) + weekend
        ("monthly", 14, None, date(2024, 11, 30), date(2024, 12, 16)),  # Saturday -> Monday
        ("monthly", 25, None, date(2024, 11, 30), date(2024, 12, 27)),  # Christmas, Boxing Day
        ("monthly", 1, None, date(2024, 12, 31), date(2025, 1, 2)),  # New Year's Day, next year
        ("monthly", 31, None, date(2024, 3, 31), date(2024, 4, 30)),  # April has 30 days
        ("monthly", 30, None, date(2024, 1, 31), date(2024, 2, 29)),  # leap February
        ("monthly", 30, None, date(2023, 1, 31), date(2023, 2, 28)),  # common February (Tue)
        ("quarterly", 15, None, date(2024, 3, 31), date(2024, 4, 15)),
        ("quarterly", 15, None, date(2024, 12, 31), date(2025, 1, 15)),
        ("annual", 30, 4, date(2024, 12, 31), date(2025, 4, 30)),
        ("annual", 31, 1, date(2024, 12, 31), date(2025, 1, 31)),
        ("annual", 29, 2, date(2023, 12, 31), date(2024, 2, 29)),  # leap day exists in 2024
        ("annual", 29, 2, date(2024, 12, 31), date(2025, 2, 28)),  # not in 2025
        ("one_off", None, None, date(2024, 6, 30), date(2024, 7, 2)),  # Sun, then CARICOM Day
    ],
)
def test_due_date_rules(frequency, day, month, period_end, expected) -> None:
    assert due_date(frequency, day, month, period_end) == expected


def test_due_date_skips_holidays_from_the_guyana_calendar() -> None:
    # CARICOM Day, Monday 1 July 2024: a return due that day moves to Tuesday.
    assert due_date("monthly", 1, None, date(2024, 6, 30)) == date(2024, 7, 2)
    # Good Friday 2024 (29 March) and Easter Monday (1 April): due the 29th -> Tuesday 2 April.
    assert due_date("monthly", 29, None, date(2024, 2, 29)) == date(2024, 4, 2)
    # Without the holiday calendar it would be the Friday itself.
    assert scheduled_due_date("monthly", 29, None, date(2024, 2, 29)) == date(2024, 3, 29)


def test_dcra_annual_return_is_due_on_the_incorporation_anniversary() -> None:
    # Incorporated on a leap day: the anniversary in 2025 is the 28th (a Friday).
    assert due_date(
        "annual", None, None, date(2024, 12, 31), incorporated=date(2016, 2, 29), code="DCRA_ANNUAL"
    ) == date(2025, 2, 28)
    # 10 May 2025 is a Saturday: Monday the 12th.
    assert due_date(
        "annual", None, None, date(2024, 12, 31), incorporated=date(2019, 5, 10), code="DCRA_ANNUAL"
    ) == date(2025, 5, 12)
    # Without an incorporation date: the period's end, moved to a working day.
    assert due_date("annual", None, None, date(2024, 12, 31), code="DCRA_ANNUAL") == date(
        2024, 12, 31
    )


def test_database_fallback_equals_the_rule_without_holidays(session: Session) -> None:
    """The trigger's fallback (migration 0010) and scheduled_due_date agree, weekends moved."""
    cases = []
    for frequency, day, month in (
        ("monthly", 21, None),
        ("monthly", 31, None),
        ("quarterly", 15, None),
        ("annual", 30, 4),
        ("annual", 29, 2),
        ("one_off", None, None),
    ):
        for year in (2023, 2024):
            for m in range(1, 13):
                end = period_for("month", year, m).end
                cases.append((frequency, day, month, end))
    for frequency, day, month, end in cases:
        expected = scheduled_due_date(frequency, day, month, end)
        while expected.weekday() >= 5:
            expected += timedelta(days=1)
        got = session.scalar(
            text("SELECT desktop__filing_due_fallback(:f, :d, :m, :e)"),
            {"f": frequency, "d": day, "m": month, "e": datetime.combine(end, datetime.min.time())},
        )
        assert got == expected, (frequency, day, month, end)


# -------------------------------------------------------------------------------------- money


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("10.005"), Decimal("10.01")),
        (Decimal("10.004"), Decimal("10.00")),
        (0.1 + 0.2, Decimal("0.30")),
        (1250, Decimal("1250.00")),
        ("1,250.50", Decimal("1250.50")),
        ("G$ 99.999", Decimal("100.00")),
        (None, None),
        ("", None),
        (0, Decimal("0.00")),
    ],
)
def test_amounts_round_to_cents(value, expected) -> None:
    assert clean_amount(value) == (expected, None)


@pytest.mark.parametrize("value", [-1, Decimal("-0.01"), "abc", float("nan"), True, [1]])
def test_amounts_refused(value) -> None:
    amount, problem = clean_amount(value)
    assert amount is None and problem


# ------------------------------------------------------------------------------- create/edit


def test_create_with_period_due_date_and_total(
    firms: Firms, clerk: Context, vat: int, engine: Engine
) -> None:
    before = _audits(engine)
    created = new_filing(
        clerk,
        firms,
        vat,
        tax_amount="1,000.005",
        penalties=Decimal("10"),
        interest=0.1 + 0.2,
        reference_number="  ",
    )
    assert created["period_label"] == "January 2024"
    assert created["period_start"] == datetime(2024, 1, 1)
    assert created["period_end"] == datetime(2024, 1, 31)
    assert created["status"] == "draft"
    assert created["due_date"] == date(2024, 2, 21)
    assert created["tax_amount"] == Decimal("1000.01")
    assert created["total"] == Decimal("1010.31")
    assert created["reference_number"] is None
    assert created["filing_type_code"] == "VAT_MONTHLY"
    assert created["client_name"] == "Alpha Client"
    assert "id" in created and "updated_at" in created
    # Overdue by the desktop's test (due date past) and by the platform's (periodEnd past).
    assert created["overdue"] is True and created["platform_overdue"] is True
    with Session(engine) as s:
        row = s.execute(
            text('SELECT "dueDate", "exact" FROM desktop_filing_due_dates WHERE "filingId" = :f'),
            {"f": created["id"]},
        ).one()
        assert tuple(row) == (date(2024, 2, 21), True)
        assert s.get(Filing, created["id"]).total == pytest.approx(1010.31)
    assert _audits(engine) == before + 1  # the database's audit trigger


def test_negative_amounts_are_refused_and_nothing_is_written(
    firms: Firms, clerk: Context, vat: int, engine: Engine
) -> None:
    with pytest.raises(ValidationError) as err:
        new_filing(clerk, firms, vat, tax_amount=-5, penalties="x")
    assert set(err.value.field_errors) == {"tax_amount", "penalties"}
    assert _count(engine) == 0


def test_total_follows_edits(firms: Firms, clerk: Context, vat: int) -> None:
    created = new_filing(clerk, firms, vat, tax_amount=100)
    edited = filings.update_filing(
        clerk, created["id"], {"penalties": "20.50"}, created["updated_at"]
    )
    assert edited["total"] == Decimal("120.50")
    cleared = filings.update_filing(
        clerk, created["id"], {"tax_amount": None, "penalties": None}, edited["updated_at"]
    )
    assert cleared["total"] is None


def test_business_must_be_the_clients(
    firms: Firms, clerk: Context, vat: int, engine: Engine
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
        ours = conn.scalar(
            text(
                'INSERT INTO client_businesses ("tenantId", "clientId", name, "updatedAt") '
                "VALUES (:t, :c, 'Alpha Ltd', now()) RETURNING id"
            ),
            {"t": firms.alpha, "c": firms.alpha_client},
        )
    with pytest.raises(ValidationError) as err:
        new_filing(clerk, firms, vat, client_business_id=theirs)
    assert err.value.field_errors == {
        "client_business_id": "Choose one of this client's businesses."
    }
    created = new_filing(clerk, firms, vat, client_business_id=ours)
    assert created["business_name"] == "Alpha Ltd"
    with pytest.raises(ValidationError):
        filings.update_filing(
            clerk, created["id"], {"client_business_id": theirs}, created["updated_at"]
        )
    with pytest.raises(ValidationError) as err:
        filings.update_filing(clerk, created["id"], {"client_id": other}, None)
    assert "client_id" in err.value.field_errors


def test_other_firms_ids_are_refused(
    firms: Firms, clerk: Context, vat: int, engine: Engine
) -> None:
    with Session(engine) as s:
        beta_type = FilingType(
            tenant_id=firms.beta, name="Beta VAT", code="VAT", authority="GRA", frequency="monthly"
        )
        s.add(beta_type)
        s.flush()
        beta_filing = Filing(
            tenant_id=firms.beta,
            client_id=firms.beta_client,
            filing_type_id=beta_type.id,
            status="draft",
        )
        s.add(beta_filing)
        s.commit()
        beta_type_id, beta_filing_id = beta_type.id, beta_filing.id
    with pytest.raises(NotFoundError):
        new_filing(clerk, firms, vat, client_id=firms.beta_client)
    with pytest.raises(ValidationError) as err:
        new_filing(clerk, firms, beta_type_id)
    assert "filing_type_id" in err.value.field_errors
    with pytest.raises(NotFoundError):
        filings.get_filing(clerk, beta_filing_id)
    with pytest.raises(NotFoundError):
        filings.update_filing(clerk, beta_filing_id, {"internal_notes": "x"}, None)
    created = new_filing(clerk, firms, vat)
    with pytest.raises(ValidationError):
        filings.attach_document(clerk, created["id"], firms.beta_document)
    assert _count(engine) == 2


def test_conflict_on_stale_edit(firms: Firms, clerk: Context, admin_ctx: Context, vat: int) -> None:
    created = new_filing(clerk, firms, vat)
    filings.update_filing(
        admin_ctx, created["id"], {"internal_notes": "first"}, created["updated_at"]
    )
    with pytest.raises(ConflictError) as conflict:
        filings.update_filing(
            clerk, created["id"], {"internal_notes": "second"}, created["updated_at"]
        )
    assert conflict.value.current["internal_notes"] == "first"
    assert filings.get_filing(clerk, created["id"])["internal_notes"] == "first"


def test_changing_the_period_moves_the_due_date(firms: Firms, clerk: Context, vat: int) -> None:
    created = new_filing(clerk, firms, vat)
    moved = filings.update_filing(
        clerk, created["id"], {}, created["updated_at"], period=period_for("month", 2024, 11)
    )
    assert moved["period_label"] == "November 2024"
    assert moved["due_date"] == date(2024, 12, 23)  # 21 December 2024 is a Saturday


def test_permissions(firms: Firms, vat: int) -> None:
    viewer = sign_in(firms, "Viewer")
    officer = sign_in(firms, "DocumentOfficer")
    try:
        with pytest.raises(PermissionDenied):
            new_filing(viewer, firms, vat)
        with pytest.raises(PermissionDenied):
            filings.filing_list_query(officer)
    finally:
        viewer.session.close()
        officer.session.close()


# -------------------------------------------------------------------------------- transitions


def test_status_transitions(firms: Firms, clerk: Context, admin_ctx: Context, vat: int) -> None:
    f = new_filing(clerk, firms, vat)
    with pytest.raises(ValidationError) as err:
        filings.change_status(clerk, f["id"], "submitted", f["updated_at"])
    assert err.value.field_errors["status"] == (
        'A filing that is "draft" can only become: archived, overdue, prepared.'
    )
    f = filings.change_status(clerk, f["id"], "prepared", f["updated_at"])
    # Submitting needs filings:submit (the clerk has none) ...
    with pytest.raises(PermissionDenied):
        filings.change_status(
            clerk,
            f["id"],
            "submitted",
            f["updated_at"],
            submission_date=date(2024, 2, 20),
            reference_number="GRA-1",
        )
    # ... and the date and reference number.
    with pytest.raises(ValidationError) as err:
        filings.change_status(admin_ctx, f["id"], "submitted", f["updated_at"])
    assert set(err.value.field_errors) == {"submission_date", "reference_number"}
    f = filings.change_status(
        admin_ctx,
        f["id"],
        "submitted",
        f["updated_at"],
        submission_date=date(2024, 2, 20),
        reference_number="GRA-2024-001",
    )
    assert f["status"] == "submitted" and f["overdue"] is False
    assert f["allowed_statuses"] == ["approved", "archived", "rejected"]
    with pytest.raises(ValidationError):  # overdue only from draft/prepared
        filings.change_status(admin_ctx, f["id"], "overdue", f["updated_at"])
    f = filings.change_status(admin_ctx, f["id"], "rejected", f["updated_at"])
    f = filings.change_status(admin_ctx, f["id"], "prepared", f["updated_at"])
    f = filings.change_status(admin_ctx, f["id"], "submitted", f["updated_at"])
    f = filings.change_status(admin_ctx, f["id"], "approved", f["updated_at"])
    assert f["approval_date"] is not None
    with pytest.raises(ValidationError):
        filings.change_status(admin_ctx, f["id"], "prepared", f["updated_at"])
    f = filings.change_status(admin_ctx, f["id"], "archived", f["updated_at"])
    with pytest.raises(ValidationError) as err:
        filings.change_status(admin_ctx, f["id"], "draft", f["updated_at"])
    assert "nothing: it is final" in err.value.field_errors["status"]


def test_overdue_status_only_from_draft_or_prepared(firms: Firms, clerk: Context, vat: int) -> None:
    f = new_filing(clerk, firms, vat)
    f = filings.change_status(clerk, f["id"], "overdue", f["updated_at"])
    f = filings.change_status(clerk, f["id"], "prepared", f["updated_at"])
    assert f["status"] == "prepared"
    with pytest.raises(ValidationError):
        filings.change_status(clerk, f["id"], "unknown", f["updated_at"])


def test_approval_before_submission_refused(firms: Firms, admin_ctx: Context, vat: int) -> None:
    with pytest.raises(ValidationError) as err:
        new_filing(
            admin_ctx,
            firms,
            vat,
            status="approved",
            submission_date="2024-02-20",
            approval_date="2024-02-01",
            reference_number="R",
        )
    assert "approval_date" in err.value.field_errors


# ---------------------------------------------------------------------------------- documents


def _document(engine: Engine, tenant: int, client: int, title: str) -> int:
    with engine.begin() as conn:
        doc_type = conn.scalar(
            text(
                'INSERT INTO document_types ("tenantId", name, category, "updatedAt") '
                "VALUES (:t, :n, 'financial', now()) RETURNING id"
            ),
            {"t": tenant, "n": f"type {title}"},
        )
        return conn.scalar(
            text(
                'INSERT INTO documents ("tenantId", "clientId", "documentTypeId", title, status, '
                "\"updatedAt\") VALUES (:t, :c, :d, :title, 'valid', now()) RETURNING id"
            ),
            {"t": tenant, "c": client, "d": doc_type, "title": title},
        )


def test_attach_documents_of_the_same_client(
    firms: Firms, admin_ctx: Context, vat: int, engine: Engine
) -> None:
    f = new_filing(admin_ctx, firms, vat)
    mine = _document(engine, firms.alpha, firms.alpha_client, "VAT workings")
    with engine.begin() as conn:
        other = conn.scalar(
            text(
                'INSERT INTO clients ("tenantId", name, type, "updatedAt") '
                "VALUES (:t, 'Other', 'company', now()) RETURNING id"
            ),
            {"t": firms.alpha},
        )
    theirs = _document(engine, firms.alpha, other, "Not theirs")
    filings.attach_document(admin_ctx, f["id"], mine)
    with pytest.raises(DuplicateError):
        filings.attach_document(admin_ctx, f["id"], mine)
    with pytest.raises(ValidationError) as err:
        filings.attach_document(admin_ctx, f["id"], theirs)
    assert err.value.field_errors == {"document_id": "Choose one of this client's documents."}
    assert [d["title"] for d in filings.filing_documents(admin_ctx, f["id"])] == ["VAT workings"]
    filings.detach_document(admin_ctx, f["id"], mine)
    assert filings.filing_documents(admin_ctx, f["id"]) == []
    with pytest.raises(NotFoundError):
        filings.detach_document(admin_ctx, f["id"], mine)


def test_delete_filing(firms: Firms, admin_ctx: Context, clerk: Context, vat: int, engine) -> None:
    f = new_filing(clerk, firms, vat)
    with pytest.raises(PermissionDenied):
        filings.delete_filing(clerk, f["id"])
    filings.delete_filing(admin_ctx, f["id"])
    assert _count(engine) == 0
    with Session(engine) as s:
        assert s.scalar(text("SELECT count(*) FROM desktop_filing_due_dates")) == 0


# --------------------------------------------------------------------------------------- list


def _ids(query, session, limit: int = 100) -> list[int]:
    return query.first_page(session, limit).ids


def test_list_filters_and_sort(firms: Firms, admin_ctx: Context, vat: int, engine) -> None:
    today = date.today()
    this_month = period_containing("month", today)
    late = new_filing(admin_ctx, firms, vat, period=this_month.previous().previous().previous())
    soon = new_filing(admin_ctx, firms, vat, period=this_month.previous())
    later = new_filing(admin_ctx, firms, vat, period=this_month.next())
    done = new_filing(
        admin_ctx,
        firms,
        vat,
        period=this_month.previous().previous().previous().previous(),
        status="submitted",
        submission_date=today,
        reference_number="GRA-XYZ-77",
    )
    paye = make_type(admin_ctx, "PAYE_MONTHLY", authority="GRA", default_due_day=14)
    nis = make_type(admin_ctx, "NIS_MONTHLY", authority="NIS", default_due_day=15)
    nis_filing = new_filing(admin_ctx, firms, nis, period=this_month.previous().previous())
    query = filings.filing_list_query(admin_ctx)
    session = admin_ctx.session
    ids = _ids(query, session)
    assert set(ids) == {late["id"], soon["id"], later["id"], done["id"], nis_filing["id"]}
    dues = [filings.get_filing(admin_ctx, i)["due_date"] for i in ids]
    assert dues == sorted(dues)  # sorted by due date

    query.set_filter(filings.OVERDUE, True)
    overdue = set(_ids(query, session))
    assert late["id"] in overdue and done["id"] not in overdue and later["id"] not in overdue
    for i in overdue:
        assert filings.get_filing(admin_ctx, i)["due_date"] < today
    query.clear_filters()

    query.set_filter(filings.DUE_WITHIN, 400)
    within = set(_ids(query, session))
    assert later["id"] in within and late["id"] not in within and done["id"] not in within
    query.clear_filters()

    query.set_filter("status", "submitted")
    assert _ids(query, session) == [done["id"]]
    query.clear_filters()
    query.set_filter("authority", "NIS")
    assert _ids(query, session) == [nis_filing["id"]]
    query.clear_filters()
    query.set_filter("filing_type_id", paye)
    assert _ids(query, session) == []
    query.clear_filters()
    query.set_filter("period_label", soon["period_label"])
    assert _ids(query, session) == [soon["id"]]
    query.clear_filters()

    query.set_search("xyz-77")
    assert _ids(query, session) == [done["id"]]
    query.set_search("alpha cli")
    assert len(_ids(query, session)) == 5
    query.set_search(later["period_label"])
    assert later["id"] in _ids(query, session)
    query.set_search("")

    query.set_sort("due", descending=True)
    assert _ids(query, session) == list(reversed(ids))
    page = query.first_page(session, 2)
    rest = query.next_page(session, page.cursor, 10)
    assert page.ids + rest.ids == list(reversed(ids))
    assert query.count(session) == 5

    client_query = filings.filing_list_query(admin_ctx, client_id=firms.alpha_client)
    assert len(_ids(client_query, session)) == 5


def test_list_within_7_and_30_days(firms: Firms, admin_ctx: Context, engine) -> None:
    today = date.today()
    # Types whose due day lands 3 and 20 days from today (next month's day for last month).
    last_month = period_containing("month", today).previous()
    soon = (today + timedelta(days=3)).day
    kind = make_type(admin_ctx, "SOON", default_due_day=soon)
    f = new_filing(admin_ctx, firms, kind, period=last_month)
    due = f["due_date"]
    query = filings.filing_list_query(admin_ctx)
    query.set_filter(filings.DUE_WITHIN, 7)
    ids7 = _ids(query, admin_ctx.session)
    query.set_filter(filings.DUE_WITHIN, 30)
    ids30 = _ids(query, admin_ctx.session)
    assert (f["id"] in ids7) == (today <= due <= today + timedelta(days=7))
    assert (f["id"] in ids30) == (today <= due <= today + timedelta(days=30))


def test_platform_written_filings_get_a_due_date(
    firms: Firms, admin_ctx: Context, vat: int, engine: Engine
) -> None:
    """A filing the web platform inserts (as the owner, no desktop service) gets the database's
    fallback due date at once, listed and sortable; refresh_due_dates makes it exact."""
    with engine.begin() as conn:
        filing_id = conn.scalar(
            text(
                'INSERT INTO filings ("tenantId", "clientId", "filingTypeId", status, '
                '"periodStart", "periodEnd", "periodLabel", "updatedAt") VALUES '
                "(:t, :c, :f, 'draft', '2024-01-01', '2024-01-31', 'January 2024', now()) "
                "RETURNING id"
            ),
            {"t": firms.alpha, "c": firms.alpha_client, "f": vat},
        )
        # 23rd: Republic Day 2024 is a Friday; the fallback knows weekends only.
        conn.execute(text('UPDATE filing_types SET "defaultDueDay" = 23 WHERE id = :f'), {"f": vat})
        conn.execute(
            text("UPDATE filings SET \"periodEnd\" = '2024-01-31 00:00' WHERE id = :i"),
            {"i": filing_id},
        )
        conn.execute(
            text("UPDATE filings SET \"periodEnd\" = '2024-01-30' WHERE id = :i"), {"i": filing_id}
        )
    assert filings.get_filing(admin_ctx, filing_id)["due_date"] == date(2024, 2, 23)
    assert filing_id in _ids(filings.filing_list_query(admin_ctx), admin_ctx.session)
    assert filings.refresh_due_dates(admin_ctx) == 1
    assert filings.get_filing(admin_ctx, filing_id)["due_date"] == date(2024, 2, 26)
    assert filings.refresh_due_dates(admin_ctx) == 0


def test_list_never_shows_another_firm(firms: Firms, admin_ctx: Context, vat: int, engine) -> None:
    new_filing(admin_ctx, firms, vat)
    beta = auth.open_context(auth.sign_in(firms.profile, "boss@beta.gy", PASSWORD))
    try:
        assert _ids(filings.filing_list_query(beta), beta.session) == []
    finally:
        beta.session.close()


# ------------------------------------------------------------------------------------ attacks


def _staff(firms: Firms, role: str) -> psycopg.Connection:
    conn = connect(firms.user_url(firms.emails[role]))
    conn.execute("SELECT set_config('gcmc.tenant_id', %s, false)", (str(firms.alpha),))
    return conn


def test_attack_due_dates_of_another_firm(firms: Firms, vat: int, engine: Engine) -> None:
    with Session(engine) as s:
        beta_type = FilingType(
            tenant_id=firms.beta, name="B", code="B", authority="GRA", frequency="monthly"
        )
        s.add(beta_type)
        s.flush()
        s.add(
            Filing(
                tenant_id=firms.beta,
                client_id=firms.beta_client,
                filing_type_id=beta_type.id,
                status="draft",
            )
        )
        s.commit()
    with _staff(firms, "FirmAdmin") as conn:
        assert conn.execute("SELECT count(*) FROM desktop_filing_due_dates").fetchone() == (0,)
        moved = conn.execute('UPDATE desktop_filing_due_dates SET "dueDate" = now()').rowcount
        assert moved == 0
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute('UPDATE desktop_filing_due_dates SET "tenantId" = %s', (firms.alpha,))
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(
                'INSERT INTO desktop_filing_due_dates ("filingId", "tenantId") VALUES (1, %s)',
                (firms.alpha,),
            )
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("DELETE FROM desktop_filing_due_dates")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT desktop__sync_filing_due()")
    with Session(engine) as s:
        assert s.scalar(text('SELECT count(*) FROM desktop_filing_due_dates WHERE "exact"')) == 0


def test_attack_viewer_cannot_move_due_dates(
    firms: Firms, admin_ctx: Context, vat: int, engine
) -> None:
    f = new_filing(admin_ctx, firms, vat)
    with _staff(firms, "Viewer") as conn:
        assert conn.execute("SELECT count(*) FROM desktop_filing_due_dates").fetchone() == (1,)
        assert conn.execute('UPDATE desktop_filing_due_dates SET "dueDate" = now()').rowcount == 0
    assert filings.get_filing(admin_ctx, f["id"])["due_date"] == date(2024, 2, 21)


# ------------------------------------------------------------------------------------ helpers


def _count(engine: Engine) -> int:
    with Session(engine) as s:
        return s.scalar(select(func.count()).select_from(Filing))


def _audits(engine: Engine) -> int:
    with Session(engine) as s:
        return s.scalar(
            select(func.count()).select_from(AuditLog).where(AuditLog.entity_type == "filing")
        )


def test_the_open_flag_follows_the_status(
    firms: Firms, admin_ctx: Context, vat: int, engine
) -> None:
    """The due rows' open flag (the partial index "overdue" and "due within" read) follows every
    status change, whoever makes it — here the service, then plain SQL as the web platform."""
    filing = new_filing(admin_ctx, firms, vat)

    def is_open() -> bool:
        with engine.connect() as connection:
            return connection.scalar(
                text('SELECT "open" FROM desktop_filing_due_dates WHERE "filingId" = :id'),
                {"id": filing["id"]},
            )

    assert is_open() is True
    current = filings.update_filing(admin_ctx, filing["id"], {"status": "prepared"}, None)
    assert is_open() is True
    filings.update_filing(
        admin_ctx,
        filing["id"],
        {"status": "submitted", "submission_date": date(2024, 2, 20), "reference_number": "R-1"},
        current["updated_at"],
    )
    assert is_open() is False
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE filings SET status = 'rejected' WHERE id = :id"), {"id": filing["id"]}
        )
    assert is_open() is True
    late = filings.filing_list_query(admin_ctx)
    late.set_filter(filings.OVERDUE, True)
    assert filing["id"] in _ids(late, admin_ctx.session)  # January 2024: long past due
