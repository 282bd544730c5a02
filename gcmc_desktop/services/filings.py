"""Filings to the authorities (DOMAIN.md §2, §4, §6): periods, real due dates, money, the
desktop's status transitions, attached documents, and the list query the filings pages show.

Due dates. The platform has no due-date column and calls a filing overdue when it is draft or
prepared and its `periodEnd` is past. The desktop keeps each filing's real due date in
`desktop_filing_due_dates` (migration 0010): the type's default due day of the month after the
period (annual types: of `defaultDueMonth` of the next year; DCRA annual returns: the first
anniversary of incorporation after the period), moved to the next working day past weekends and
Guyanese public holidays (the `holidays` package's calendar). "Overdue" in the desktop's lists
means an open filing whose due date is past; `platform_overdue` keeps the platform's test.

Money. Amounts are Decimal at this boundary, rounded to cents (half up), never negative; the
total is computed (tax + penalties + interest) and never typed. The columns are double
precision, as the platform has them.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache
from typing import Any, Literal

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    Integer,
    MetaData,
    Table,
    and_,
    any_,
    bindparam,
    or_,
    select,
    text,
)
from sqlalchemy import update as sql_update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from ..models import (
    Client,
    ClientBusiness,
    Document,
    Filing,
    FilingDocument,
    FilingType,
    utcnow,
)
from . import records
from .catalog import AUTHORITIES, FILING_STATUSES
from .context import Context, require
from .errors import ConflictError, NotFoundError, ValidationError
from .integrity import quoted, register_constraint_message
from .paging import ColumnSpec, PagedQuery, format_date, search_function
from .records import guarded
from .transitions import Transitions

PeriodKind = Literal["month", "quarter", "year"]
PERIOD_KINDS: tuple[str, ...] = ("month", "quarter", "year")
# The period a filing type's frequency files for.
FREQUENCY_PERIODS: dict[str, PeriodKind] = {
    "monthly": "month",
    "quarterly": "quarter",
    "annual": "year",
}

# Desktop convention (DOMAIN.md §2): draft → prepared → submitted → approved | rejected,
# rejected → prepared, any → archived, overdue only from draft/prepared. An overdue filing is
# still worked on: it may be prepared or submitted (late).
STATUS_TRANSITIONS: dict[str, frozenset[str]] = {
    "draft": frozenset({"prepared", "overdue", "archived"}),
    "prepared": frozenset({"submitted", "overdue", "archived"}),
    "submitted": frozenset({"approved", "rejected", "archived"}),
    "approved": frozenset({"archived"}),
    "rejected": frozenset({"prepared", "archived"}),
    "overdue": frozenset({"prepared", "submitted", "archived"}),
    "archived": frozenset(),
}
assert set(STATUS_TRANSITIONS) == set(FILING_STATUSES)
FILING_TRANSITIONS = Transitions("filing", STATUS_TRANSITIONS)
# Moves that speak for the firm to an authority (DOMAIN.md §1: the `submit` action).
SUBMIT_STATUSES = frozenset({"submitted", "approved", "rejected"})
# Still to be filed: what "due" and "overdue" count.
OPEN_STATUSES: tuple[str, ...] = ("draft", "prepared", "rejected", "overdue")
# The platform's overdue test (DOMAIN.md §2): these statuses with periodEnd < now.
PLATFORM_OVERDUE_STATUSES: tuple[str, ...] = ("draft", "prepared")

MONEY_FIELDS = ("tax_amount", "penalties", "interest")
CENT = Decimal("0.01")
# Far beyond any return; keeps the double column exact to the cent.
MAX_AMOUNT = Decimal("1000000000000")

FILING_FIELDS = (
    "client_id",
    "client_business_id",
    "filing_type_id",
    "period_start",
    "period_end",
    "period_label",
    "status",
    "reference_number",
    "tax_amount",
    "penalties",
    "interest",
    "submission_date",
    "approval_date",
    "internal_notes",
)
FILING_RULES: dict[str, records.FieldRule] = {
    "client_id": records.FieldRule("integer"),
    "client_business_id": records.FieldRule("integer"),
    "filing_type_id": records.FieldRule("integer"),
    "period_start": records.FieldRule("date"),
    "period_end": records.FieldRule("date"),
    "period_label": records.FieldRule(max_length=records.NUMBER_LENGTH),
    "status": records.FieldRule(max_length=records.CODE_LENGTH),
    "reference_number": records.FieldRule(max_length=records.NUMBER_LENGTH),
    "tax_amount": records.ANY,
    "penalties": records.ANY,
    "interest": records.ANY,
    "submission_date": records.FieldRule("date"),
    "approval_date": records.FieldRule("date"),
    "internal_notes": records.FieldRule(max_length=records.NOTES_LENGTH),
}
assert set(FILING_RULES) == set(FILING_FIELDS)
# Not editable: the client a filing belongs to (its documents and business follow it).
EDITABLE_FIELDS = frozenset(FILING_FIELDS) - {"client_id"}


# --------------------------------------------------------------------------------------------
# Periods


@dataclass(frozen=True)
class Period:
    """A filing period: first and last calendar day, and its label (`January 2024`, `Q1 2024`,
    `2024`)."""

    kind: PeriodKind
    start: date
    end: date
    label: str

    def next(self) -> Period:
        return period_containing(self.kind, self.end + timedelta(days=1))

    def previous(self) -> Period:
        return period_containing(self.kind, self.start - timedelta(days=1))


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def period_for(kind: str, year: int, number: int | None = None) -> Period:
    """The period picked as a month (1-12), a quarter (1-4) or a year (number ignored)."""
    if not isinstance(year, int) or not 1 <= year <= 9998:
        raise ValidationError(field_errors={"period": "Enter a year from 1 to 9998."})
    if kind == "month":
        if number is None or not 1 <= number <= 12:
            raise ValidationError(field_errors={"period": "Choose a month from 1 to 12."})
        return Period(
            "month",
            date(year, number, 1),
            _month_end(year, number),
            f"{calendar.month_name[number]} {year}",
        )
    if kind == "quarter":
        if number is None or not 1 <= number <= 4:
            raise ValidationError(field_errors={"period": "Choose a quarter from 1 to 4."})
        return Period(
            "quarter",
            date(year, 3 * number - 2, 1),
            _month_end(year, 3 * number),
            f"Q{number} {year}",
        )
    if kind == "year":
        return Period("year", date(year, 1, 1), date(year, 12, 31), str(year))
    raise ValidationError(field_errors={"period": "Choose a month, a quarter or a year."})


def period_containing(kind: str, day: date) -> Period:
    """The month, quarter or year that `day` falls in."""
    if kind == "month":
        return period_for("month", day.year, day.month)
    if kind == "quarter":
        return period_for("quarter", day.year, (day.month - 1) // 3 + 1)
    return period_for(kind, day.year)


def period_kind_for(frequency: str | None) -> PeriodKind:
    """The period a filing type's frequency files for (one-off filings: a month)."""
    return FREQUENCY_PERIODS.get(frequency or "", "month")


# --------------------------------------------------------------------------------------------
# Due dates


@lru_cache(maxsize=256)
def _guyana_holidays(year: int) -> frozenset[date]:
    import holidays

    return frozenset(holidays.country_holidays("GY", years=year))


def is_working_day(day: date) -> bool:
    """Monday to Friday and not a public holiday in Guyana."""
    return day.weekday() < 5 and day not in _guyana_holidays(day.year)


def next_working_day(day: date) -> date:
    """`day` itself when it is a working day, else the next one."""
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def _on_day(year: int, month: int, day: int) -> date:
    """Day `day` of the month, or its last day when the month is shorter."""
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def anniversary_after(incorporated: date, after: date) -> date:
    """The first anniversary of `incorporated` strictly after `after` (29 February: the 28th in
    other years)."""
    year = max(after.year, incorporated.year + 1)
    while True:
        candidate = _on_day(year, incorporated.month, incorporated.day)
        if candidate > after:
            return candidate
        year += 1


def scheduled_due_date(
    frequency: str | None,
    due_day: int | None,
    due_month: int | None,
    period_end: date,
    *,
    incorporated: date | None = None,
    code: str | None = None,
) -> date:
    """The due date before moving it off a weekend or holiday: the type's default day of the
    month after the period (annual with a default month: that month of the next year), the
    incorporation anniversary for DCRA annual returns, else the period's last day."""
    if code == "DCRA_ANNUAL" and incorporated is not None:
        return anniversary_after(incorporated, period_end)
    if due_day is None or not 1 <= due_day <= 31:
        return period_end
    if frequency == "annual" and due_month is not None and 1 <= due_month <= 12:
        return _on_day(period_end.year + 1, due_month, due_day)
    year, month = (
        (period_end.year + 1, 1)
        if period_end.month == 12
        else (
            period_end.year,
            period_end.month + 1,
        )
    )
    return _on_day(year, month, due_day)


@lru_cache(maxsize=8192)  # pure, and a run computes the same few dates thousands of times
def due_date(
    frequency: str | None,
    due_day: int | None,
    due_month: int | None,
    period_end: date | datetime | None,
    *,
    incorporated: date | datetime | None = None,
    code: str | None = None,
) -> date | None:
    """The real due date of a filing for a period ending `period_end` (see the module's
    docstring); None without a period."""
    if period_end is None:
        return None
    end = period_end.date() if isinstance(period_end, datetime) else period_end
    inc = incorporated.date() if isinstance(incorporated, datetime) else incorporated
    return next_working_day(
        scheduled_due_date(frequency, due_day, due_month, end, incorporated=inc, code=code)
    )


def among(column_: Any, items: Iterable[Any], item_type: Any = Integer) -> Any:
    """`column = ANY(array)`: one parameter, however many values (an IN list has one per
    value, and PostgreSQL accepts at most 65,535)."""
    return column_ == any_(bindparam(None, list(items), type_=ARRAY(item_type)))


IncorporationDates = dict[tuple[int, int | None], datetime]


def incorporation_dates(session: Session, client_ids: Iterable[int]) -> IncorporationDates:
    """Incorporation dates by (client, business), and by (client, None): the client's first
    incorporated business (what a filing without a business is due by)."""
    out: IncorporationDates = {}
    rows = session.execute(
        select(ClientBusiness.client_id, ClientBusiness.id, ClientBusiness.incorporation_date)
        .where(
            among(ClientBusiness.client_id, set(client_ids)),
            ClientBusiness.incorporation_date.is_not(None),
        )
        .order_by(ClientBusiness.incorporation_date, ClientBusiness.id)
    ).all()
    for client_id, business_id, incorporated in rows:
        out[(client_id, business_id)] = incorporated
        out.setdefault((client_id, None), incorporated)
    return out


def type_due_date(
    filing_type: FilingType,
    period_end: datetime | date,
    client_id: int,
    business_id: int | None,
    incorporated: IncorporationDates,
) -> date | None:
    """The due date of a filing of `filing_type` for the period ending `period_end`."""
    return due_date(
        filing_type.frequency,
        filing_type.default_due_day,
        filing_type.default_due_month,
        period_end,
        incorporated=incorporated.get((client_id, business_id)),
        code=filing_type.code,
    )


def _due_dates(session: Session, filings: Iterable[Filing]) -> dict[int, date | None]:
    """Exact due dates of filings by id: two queries however many filings (their types and
    their clients' incorporation dates), not two per filing."""
    filings = list(filings)
    types = {
        t.id: t
        for t in session.scalars(
            select(FilingType).where(among(FilingType.id, {f.filing_type_id for f in filings}))
        )
    }
    anniversaries = {
        f.client_id
        for f in filings
        if getattr(types.get(f.filing_type_id), "code", None) == "DCRA_ANNUAL"
    }
    incorporated = incorporation_dates(session, anniversaries) if anniversaries else {}
    out: dict[int, date | None] = {}
    for filing in filings:
        filing_type = types.get(filing.filing_type_id)
        out[filing.id] = (
            None
            if filing_type is None
            else type_due_date(
                filing_type,
                filing.period_end,
                filing.client_id,
                filing.client_business_id,
                incorporated,
            )
        )
    return out


# Each filing's real due date, kept beside the platform's columns (migration 0010).
DUE = Table(
    "desktop_filing_due_dates",
    MetaData(),
    Column("filingId", Integer, primary_key=True),
    Column("tenantId", Integer, nullable=False),
    Column("dueDate", Date),
    Column("exact", Boolean, nullable=False),
    Column("open", Boolean, nullable=False),  # status in OPEN_STATUSES, kept by 0010's trigger
)


def store_due_dates(session: Session, dates: Mapping[int, date | None]) -> None:
    """Record exact due dates for filings flushed in this transaction (the insert trigger has
    already written their fallback rows)."""
    if not dates:
        return
    # One statement however many (an executemany is one statement per filing).
    session.execute(
        text(
            'UPDATE desktop_filing_due_dates d SET "dueDate" = u.due, "exact" = true '
            "FROM unnest(CAST(:fid AS integer[]), CAST(:due AS date[])) AS u(fid, due) "
            'WHERE d."filingId" = u.fid'
        ),
        {"fid": list(dates), "due": list(dates.values())},
    )


def stored_due_date(ctx: Context, filing_id: int) -> date | None:
    return ctx.session.scalar(select(DUE.c.dueDate).where(DUE.c.filingId == filing_id))


def refresh_due_dates(target: Context | Session, *, batch: int = 5_000) -> int:
    """Compute the exact due date of filings whose row is still the database's fallback (those
    the web platform wrote, or whose period it changed); returns how many were updated.

    With a Context: that firm (filings:edit). With a plain Session (an administrator's, as
    `gcmc filings generate` has): every firm."""
    if isinstance(target, Context):
        require(target, "filings", "edit")
        session, tenant_id = target.session, target.tenant_id
    else:
        session, tenant_id = target, None
    done = 0
    while True:
        query = select(DUE.c.filingId).where(DUE.c.exact.is_(False)).limit(batch)
        if tenant_id is not None:
            query = query.where(DUE.c.tenantId == tenant_id)
        try:
            with guarded(session):
                ids = list(session.scalars(query))
                if not ids:
                    session.rollback()
                    return done
                rows = session.scalars(select(Filing).where(Filing.id.in_(ids))).all()
                dates = _due_dates(session, rows)
                # A row without a visible filing (cannot happen under the foreign key, but a
                # loop must end): marked exact with what it has.
                store_due_dates(session, dates)
                missing = [i for i in ids if i not in dates]
                if missing:
                    session.execute(
                        sql_update(DUE).where(DUE.c.filingId.in_(missing)).values(exact=True)
                    )
                session.commit()
        except BaseException:
            session.rollback()
            raise
        done += len(ids)
        if len(ids) < batch:
            return done


def redate_open_filings(ctx: Context, filing_type_id: int) -> int:
    """Recompute the due dates of a type's open filings (after its defaults changed)."""
    require(ctx, "filings", "edit")
    open_ids = select(Filing.id).where(
        Filing.filing_type_id == filing_type_id, Filing.status.in_(OPEN_STATUSES)
    )
    try:
        with guarded(ctx.session):
            ctx.session.execute(
                sql_update(DUE)
                .where(DUE.c.tenantId == ctx.tenant_id, DUE.c.filingId.in_(open_ids))
                .values(exact=False)
            )
            ctx.session.commit()
    except BaseException:
        ctx.session.rollback()
        raise
    return refresh_due_dates(ctx)


# --------------------------------------------------------------------------------------------
# Money


def clean_amount(value: Any) -> tuple[Decimal | None, str | None]:
    """(amount rounded to cents, problem): numbers, Decimals or text like "1,250.50"."""
    if value is None:
        return None, None
    if isinstance(value, bool):
        return None, "Enter an amount, e.g. 1250.00."
    if isinstance(value, str):
        text = value.strip().replace(",", "")
        if text.upper().startswith("G$"):
            text = text[2:].strip()
        if not text:
            return None, None
        value = text
    if not isinstance(value, int | float | Decimal | str):
        return None, "Enter an amount, e.g. 1250.00."
    try:
        amount = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    except (InvalidOperation, ValueError):
        return None, "Enter an amount, e.g. 1250.00."
    if not amount.is_finite():
        return None, "Enter an amount, e.g. 1250.00."
    amount = amount.quantize(CENT, rounding=ROUND_HALF_UP)
    if amount < 0:
        return None, "An amount cannot be negative."
    if amount >= MAX_AMOUNT:
        return None, "The amount is too large."
    return amount, None


def money(value: float | Decimal | None) -> Decimal | None:
    """A stored (double) amount as Decimal cents."""
    if value is None:
        return None
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def total_of(amounts: Iterable[Decimal | None]) -> Decimal | None:
    """Tax + penalties + interest; None when none is known."""
    known = [a for a in amounts if a is not None]
    return sum(known, Decimal("0.00")).quantize(CENT) if known else None


# --------------------------------------------------------------------------------------------
# Plain data


def filing_values(ctx: Context, filing: Filing) -> dict[str, Any]:
    """A filing as plain data: its columns (amounts as Decimal), its due date, the platform's
    overdue flag and the desktop's, and the names a list or dialog shows."""
    values = records.snapshot(filing)
    for key in (*MONEY_FIELDS, "total"):
        values[key] = money(values[key])
    due = stored_due_date(ctx, filing.id)
    values["due_date"] = due
    values["overdue"] = is_overdue(filing.status, due)
    values["platform_overdue"] = is_platform_overdue(filing.status, filing.period_end)
    filing_type = ctx.session.get(FilingType, filing.filing_type_id)
    values["filing_type_code"] = filing_type.code if filing_type else None
    values["filing_type_name"] = filing_type.name if filing_type else None
    values["authority"] = filing_type.authority if filing_type else None
    values["client_name"] = ctx.session.scalar(
        select(Client.name).where(Client.id == filing.client_id)
    )
    values["business_name"] = (
        ctx.session.scalar(
            select(ClientBusiness.name).where(ClientBusiness.id == filing.client_business_id)
        )
        if filing.client_business_id is not None
        else None
    )
    values["allowed_statuses"] = sorted(STATUS_TRANSITIONS.get(filing.status, frozenset()))
    return values


def is_overdue(status: str | None, due: date | None, today: date | None = None) -> bool:
    """The desktop's test: still open and the due date is past."""
    if due is None or status not in OPEN_STATUSES:
        return False
    return due < (today or date.today())


def is_platform_overdue(
    status: str | None, period_end: datetime | None, now: datetime | None = None
) -> bool:
    """The web platform's test (DOMAIN.md §2): draft or prepared and periodEnd < now."""
    if period_end is None or status not in PLATFORM_OVERDUE_STATUSES:
        return False
    return period_end < (now or utcnow())


# --------------------------------------------------------------------------------------------
# Input


def _clean(data: Mapping[str, Any], *, partial: bool) -> dict[str, Any]:
    errors: dict[str, str] = {}
    cleaned = records.clean_fields(data, FILING_RULES, "filing", errors=errors)
    for key in MONEY_FIELDS:
        if key in cleaned:
            amount, problem = clean_amount(cleaned[key])
            if problem:
                errors[key] = problem
                del cleaned[key]
            else:
                cleaned[key] = amount
    required = {
        "client_id": "Choose the client.",
        "filing_type_id": "Choose the filing type.",
        "period_end": "Choose the period.",
    }
    for key, message in required.items():
        if (not partial or key in cleaned) and cleaned.get(key) is None and key not in errors:
            errors[key] = message
    if "status" in cleaned and cleaned["status"] not in FILING_STATUSES:
        errors["status"] = "Choose one of: " + ", ".join(FILING_STATUSES) + "."
    if errors:
        raise ValidationError(field_errors=errors)
    return cleaned


def _with_period(values: dict[str, Any], period: Period | None) -> dict[str, Any]:
    if period is not None:
        values["period_start"] = datetime.combine(period.start, datetime.min.time())
        values["period_end"] = datetime.combine(period.end, datetime.min.time())
        values["period_label"] = period.label
    return values


def _check_dates(filing: Filing) -> None:
    errors: dict[str, str] = {}
    if filing.period_start and filing.period_end and filing.period_end < filing.period_start:
        errors["period_end"] = "The period cannot end before it starts."
    submitted, approved = filing.submission_date, filing.approval_date
    if submitted and approved and approved < submitted:
        errors["approval_date"] = "The approval date cannot be before the submission date."
    if errors:
        raise ValidationError(field_errors=errors)


def _check_references(ctx: Context, filing: Filing) -> None:
    """Type and business of this firm, the business of this client: a field message instead
    of a foreign-key error (or a business of another client)."""
    if (
        ctx.session.scalar(select(FilingType.id).where(FilingType.id == filing.filing_type_id))
        is None
    ):
        raise ValidationError(
            field_errors={"filing_type_id": "The selected filing type does not exist."}
        )
    if filing.client_business_id is not None:
        owner = ctx.session.scalar(
            select(ClientBusiness.client_id).where(ClientBusiness.id == filing.client_business_id)
        )
        if owner != filing.client_id:
            raise ValidationError(
                field_errors={"client_business_id": "Choose one of this client's businesses."}
            )


def _check_transition(ctx: Context, old: str | None, new: str) -> None:
    if old == new:
        return
    FILING_TRANSITIONS.check(old, new)
    if new in SUBMIT_STATUSES:
        require(ctx, "filings", "submit")


def _check_status_fields(filing: Filing) -> None:
    """Submitting needs the submission date and the authority's reference number."""
    errors: dict[str, str] = {}
    if filing.status in SUBMIT_STATUSES:
        if filing.submission_date is None:
            errors["submission_date"] = "Enter the date the filing was submitted."
        if not filing.reference_number:
            errors["reference_number"] = "Enter the reference number the authority gave."
    if errors:
        raise ValidationError(field_errors=errors)


def _apply(filing: Filing, values: Mapping[str, Any]) -> None:
    for key, value in values.items():
        setattr(filing, key, float(value) if isinstance(value, Decimal) else value)
    amounts = [money(getattr(filing, key)) for key in MONEY_FIELDS]
    total = total_of(amounts)
    filing.total = None if total is None else float(total)


# --------------------------------------------------------------------------------------------
# Reading and writing


def get_filing(ctx: Context, filing_id: int) -> dict[str, Any]:
    require(ctx, "filings", "view")
    return filing_values(ctx, records.get(ctx, Filing, filing_id))


def create_filing(
    ctx: Context, data: Mapping[str, Any], *, period: Period | None = None
) -> dict[str, Any]:
    """A new filing (status `draft` unless given; a given status must be reachable from draft).
    `period` sets start, end and label together; else `period_end` (and optionally
    `period_start`, `period_label`) come in `data`."""
    try:
        with guarded(ctx.session):
            filing = insert_filing(ctx, data, period=period)
            ctx.session.commit()
    except BaseException:
        ctx.session.rollback()
        raise
    return filing_values(ctx, filing)


def insert_filing(ctx: Context, data: Mapping[str, Any], *, period: Period | None = None) -> Filing:
    """`create_filing` without the commit: for a caller whose own transaction creates the
    filing with other rows (a service step that files, services/service_steps.py)."""
    require(ctx, "filings", "create")
    values = _with_period(_clean(dict(data), partial=period is not None), period)
    if values.get("client_id") is None:
        raise ValidationError(field_errors={"client_id": "Choose the client."})
    if values.get("filing_type_id") is None:
        raise ValidationError(field_errors={"filing_type_id": "Choose the filing type."})
    records.get(ctx, Client, values["client_id"])  # NotFoundError: another firm's or deleted
    # Any status may be recorded (a return filed before the desktop was used); submitted,
    # approved and rejected still need filings:submit and the submission's details.
    status = values.pop("status", None) or "draft"
    _check_transition(ctx, None, status)
    filing = Filing(tenant_id=ctx.tenant_id, status=status)
    _apply(filing, values)
    _check_dates(filing)
    _check_references(ctx, filing)
    _check_status_fields(filing)
    ctx.session.add(filing)
    ctx.session.flush()
    store_due_dates(ctx.session, _due_dates(ctx.session, [filing]))
    return filing


def update_filing(
    ctx: Context,
    filing_id: int,
    changes: Mapping[str, Any],
    expected_updated_at: datetime | None,
    *,
    period: Period | None = None,
) -> dict[str, Any]:
    """Edit a filing (not its client). A status change follows STATUS_TRANSITIONS; moving to
    submitted, approved or rejected needs filings:submit, and submitted needs the submission
    date and reference number. Someone else's save since `expected_updated_at` raises
    ConflictError with the current values, and nothing is written."""
    require(ctx, "filings", "edit")
    if "client_id" in changes:
        raise ValidationError(field_errors={"client_id": "A filing cannot move to another client."})
    values = _with_period(_clean(dict(changes), partial=True), period)
    try:
        with guarded(ctx.session):
            filing = records.get(ctx, Filing, filing_id, for_update=True)
            if expected_updated_at is not None and filing.updated_at != expected_updated_at:
                current = filing_values(ctx, filing)
                ctx.session.rollback()
                raise ConflictError(current=current)
            new_status = values.pop("status", None)
            if new_status is not None:
                _check_transition(ctx, filing.status, new_status)
                if new_status == "approved" and "approval_date" not in values:
                    values["approval_date"] = filing.approval_date or datetime.combine(
                        date.today(), datetime.min.time()
                    )
                filing.status = new_status
            redate = {"period_end", "filing_type_id", "client_business_id"} & set(values)
            _apply(filing, values)
            _check_dates(filing)
            _check_references(ctx, filing)
            _check_status_fields(filing)
            ctx.session.flush()
            if redate:
                store_due_dates(ctx.session, _due_dates(ctx.session, [filing]))
            ctx.session.commit()
    except BaseException:
        ctx.session.rollback()
        raise
    return filing_values(ctx, filing)


def change_status(
    ctx: Context,
    filing_id: int,
    status: str,
    expected_updated_at: datetime | None,
    *,
    submission_date: date | datetime | None = None,
    reference_number: str | None = None,
    approval_date: date | datetime | None = None,
) -> dict[str, Any]:
    """A status move with what it asks for (submitting: the date and reference number)."""
    changes: dict[str, Any] = {"status": status}
    if submission_date is not None:
        changes["submission_date"] = submission_date
    if reference_number is not None:
        changes["reference_number"] = reference_number
    if approval_date is not None:
        changes["approval_date"] = approval_date
    return update_filing(ctx, filing_id, changes, expected_updated_at)


def delete_filing(ctx: Context, filing_id: int) -> None:
    """Delete a filing with its document links (the documents stay)."""
    require(ctx, "filings", "delete")
    records.delete(ctx, Filing, filing_id)


# --------------------------------------------------------------------------------------------
# Attached documents (filing_documents)


def filing_documents(ctx: Context, filing_id: int) -> list[dict[str, Any]]:
    """The documents attached to a filing: id, title, status, attached_at."""
    require(ctx, "filings", "view")
    records.get(ctx, Filing, filing_id)
    rows = ctx.session.execute(
        select(Document.id, Document.title, Document.status, FilingDocument.created_at)
        .join(FilingDocument, FilingDocument.document_id == Document.id)
        .where(FilingDocument.filing_id == filing_id)
        .order_by(Document.title, Document.id)
    ).all()
    return [{"id": r[0], "title": r[1], "status": r[2], "attached_at": r[3]} for r in rows]


def attach_document(ctx: Context, filing_id: int, document_id: int) -> None:
    """Attach a document of the filing's own client. Attaching it twice says so."""
    require(ctx, "filings", "edit")
    try:
        with guarded(ctx.session):
            filing = records.get(ctx, Filing, filing_id, for_update=True)
            owner = ctx.session.scalar(select(Document.client_id).where(Document.id == document_id))
            if owner is None:
                raise ValidationError(
                    field_errors={"document_id": "The selected document does not exist."}
                )
            if owner != filing.client_id:
                raise ValidationError(
                    field_errors={"document_id": "Choose one of this client's documents."}
                )
            ctx.session.add(FilingDocument(filing_id=filing_id, document_id=document_id))
            ctx.session.commit()
    except BaseException:
        ctx.session.rollback()
        raise


def detach_document(ctx: Context, filing_id: int, document_id: int) -> None:
    """Remove a document from a filing (the document itself stays)."""
    require(ctx, "filings", "edit")
    try:
        with guarded(ctx.session):
            link = ctx.session.scalars(
                select(FilingDocument)
                .join(Filing, Filing.id == FilingDocument.filing_id)
                .where(
                    FilingDocument.filing_id == filing_id,
                    FilingDocument.document_id == document_id,
                )
            ).one_or_none()
            if link is None:
                raise NotFoundError("This document is not attached to the filing.")
            ctx.session.delete(link)
            ctx.session.commit()
    except BaseException:
        ctx.session.rollback()
        raise


# --------------------------------------------------------------------------------------------
# The filings list


def _status_label(value: Any) -> str:
    return (value or "").replace("_", " ").capitalize()


def _money_text(value: Any) -> str:
    amount = money(value)
    return "" if amount is None else f"{amount:,.2f}"


FILING_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec(
        "due",
        "Due",
        DUE.c.dueDate,
        formatter=format_date,
        nullable=True,
        tie_breaker=DUE.c.filingId,
    ),
    ColumnSpec("client", "Client", Client.name, sortable=False, nullable=True),
    ColumnSpec("type", "Filing type", FilingType.name, sortable=False, nullable=True),
    ColumnSpec("authority", "Authority", FilingType.authority, sortable=False, nullable=True),
    ColumnSpec("period", "Period", Filing.period_label, sortable=False),
    ColumnSpec("status", "Status", Filing.status, sortable=False, formatter=_status_label),
    ColumnSpec("reference", "Reference", Filing.reference_number, sortable=False),
    ColumnSpec("total", "Total (G$)", Filing.total, sortable=False, formatter=_money_text),
    ColumnSpec(
        "submitted", "Submitted", Filing.submission_date, sortable=False, formatter=format_date
    ),
)
FILING_FILTERS = {
    "status": Filing.status,
    "filing_type_id": Filing.filing_type_id,
    "authority": FilingType.authority,
    "client_id": Filing.client_id,
    "client_business_id": Filing.client_business_id,
    "period_label": Filing.period_label,
}
DUE_WITHIN = "due_within_days"
OVERDUE = "overdue"
PLATFORM_OVERDUE = "platform_overdue"
# What `desktop_filing_search` (migration 0013) matches, for the scan of a frequent term: the
# client (as the clients list searches it), the reference number and the period label.
SEARCH_COLUMNS = (
    Client.name,
    Client.email,
    Client.tin,
    Client.nis_number,
    Filing.reference_number,
    Filing.period_label,
)
# A term with at most SEARCH_CAP matches pages over the search function's ids; a more frequent
# one ("2024", a common surname) is first looked for among SEARCH_SCAN rows in due-date order.
SEARCH_CAP = 2_000
SEARCH_SCAN = 20_000


def _days(value: Any, name: str) -> int:
    try:
        days = int(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} takes a number of days, not {value!r}") from None
    if days < 0:
        raise ValueError(f"{name} cannot be negative")
    return days


def _due_within(value: Any) -> Any:
    """Open filings due from today to today + N days."""
    today = date.today()
    return and_(
        DUE.c.open,
        Filing.status.in_(OPEN_STATUSES),
        DUE.c.dueDate >= today,
        DUE.c.dueDate <= today + timedelta(days=_days(value, DUE_WITHIN)),
    )


def _overdue(value: Any) -> Any:
    """True: open filings whose due date is past; False: the others."""
    # The open flag first: it is what the partial index of the open filings is on.
    late = and_(DUE.c.open, Filing.status.in_(OPEN_STATUSES), DUE.c.dueDate < date.today())
    if value:
        return late
    return or_(
        ~Filing.status.in_(OPEN_STATUSES), DUE.c.dueDate.is_(None), DUE.c.dueDate >= date.today()
    )


def _platform_overdue(value: Any) -> Any:
    """The web platform's overdue (DOMAIN.md §2): draft/prepared with periodEnd < now."""
    late = and_(Filing.status.in_(PLATFORM_OVERDUE_STATUSES), Filing.period_end < utcnow())
    return late if value else ~late


def filing_list_query(ctx: Context, client_id: int | None = None) -> PagedQuery:
    """The firm's filings (or one client's), sorted by due date. Filters: `status`,
    `filing_type_id`, `authority`, `client_id`, `client_business_id`, `period_label`
    (equality, or any of a list), `due_within_days` (an int: open filings due today to today
    + N), `overdue` (True: open and due date past), `platform_overdue` (the platform's test).
    Search over the client (name, e-mail, TIN, NIS number), reference number and period
    label, through `desktop_filing_search` and its indexes."""
    require(ctx, "filings", "view")
    base = (
        select(Filing)
        # Inner: every filing has its due row (the trigger of migration 0010), and a sort by
        # due date can then start at its (tenantId, dueDate, filingId) index.
        .join(DUE, DUE.c.filingId == Filing.id)
        .outerjoin(Client, Client.id == Filing.client_id)
        .outerjoin(FilingType, FilingType.id == Filing.filing_type_id)
        .where(Filing.tenant_id == ctx.tenant_id, DUE.c.tenantId == ctx.tenant_id)
    )
    if client_id is not None:
        base = base.where(Filing.client_id == client_id)
    return PagedQuery(
        base,
        FILING_COLUMNS,
        search_columns=SEARCH_COLUMNS,
        search_ids=search_function("desktop_filing_search", ctx.tenant_id),
        search_cap=SEARCH_CAP,
        search_scan=SEARCH_SCAN,
        filter_columns=FILING_FILTERS,
        filter_predicates={
            DUE_WITHIN: _due_within,
            OVERDUE: _overdue,
            PLATFORM_OVERDUE: _platform_overdue,
        },
        id_column=Filing.id,
        sort_key="due",
    )


# --------------------------------------------------------------------------------------------
# Constraint messages (registered with the translator in `integrity`)


def _duplicate_filing_document(v: dict[str, str]) -> str:
    document = f"The document {quoted(v['documentId'])}" if "documentId" in v else "This document"
    return f"{document} is already attached to this filing."


register_constraint_message("filing_documents_filingId_documentId_key", _duplicate_filing_document)


__all__ = [
    "AUTHORITIES",
    "FILING_COLUMNS",
    "OPEN_STATUSES",
    "STATUS_TRANSITIONS",
    "Period",
    "attach_document",
    "change_status",
    "create_filing",
    "delete_filing",
    "detach_document",
    "due_date",
    "filing_documents",
    "filing_list_query",
    "filing_values",
    "get_filing",
    "period_containing",
    "period_for",
    "refresh_due_dates",
    "update_filing",
]
