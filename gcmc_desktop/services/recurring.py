"""Recurring filings (recurring_filings, DOMAIN.md §6): schedules that generate a `draft`
filing for each period just ended, and the run that does it.

Desktop convention. `schedule` is `monthly`, `quarterly`, `annual` or a 5-field cron
expression (then the period is the filing type's: month, quarter or year). A run takes the
active schedules whose `nextRunAt` has come and, for every run time that has passed (a
schedule that missed five months catches up with five filings), creates the filing of the
period that ended before it — unless the client (and business) already has a filing of that
type and period label — sets `lastRunAt`, and moves `nextRunAt` on: for the plain schedules the
day after the next period ends, for cron its next time.

Never twice: the run claims each (firm, client, business, type, period) in
`desktop_generated_filings` (migration 0010) with `INSERT … ON CONFLICT DO NOTHING` before
creating the filing, so two workstations running at once — or two schedules for the same
client and type — create it once; the schedule rows are locked `FOR UPDATE SKIP LOCKED`, so a
concurrent run leaves the other's schedules alone. A claim outlives its filing: a generated
filing that someone deleted is not generated again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    Column,
    Date,
    Integer,
    MetaData,
    Table,
    Text,
    select,
    text,
)
from sqlalchemy.orm import Session

from ..models import Client, ClientBusiness, Filing, FilingType, RecurringFiling, utcnow
from . import records
from .context import Context, require
from .errors import DuplicateError, ValidationError
from .filings import (
    Period,
    PeriodKind,
    among,
    incorporation_dates,
    period_containing,
    period_kind_for,
    refresh_due_dates,
    store_due_dates,
    type_due_date,
)
from .paging import ColumnSpec, PagedQuery, format_date
from .records import guarded

NAMED_SCHEDULES: dict[str, PeriodKind] = {
    "monthly": "month",
    "quarterly": "quarter",
    "annual": "year",
}
# Run times one schedule may catch up in one run (a daily cron missed for years stops here and
# continues on the next run).
MAX_RUNS_PER_SCHEDULE = 400

RECURRING_FIELDS = (
    "client_id",
    "client_business_id",
    "filing_type_id",
    "schedule",
    "active",
    "next_run_at",
)
RECURRING_RULES: dict[str, records.FieldRule] = {
    "client_id": records.FieldRule("integer"),
    "client_business_id": records.FieldRule("integer"),
    "filing_type_id": records.FieldRule("integer"),
    "schedule": records.FieldRule(max_length=records.NUMBER_LENGTH),
    "active": records.ANY,
    "next_run_at": records.FieldRule("date"),
}
assert set(RECURRING_RULES) == set(RECURRING_FIELDS)

CLAIMS = Table(
    "desktop_generated_filings",
    MetaData(),
    Column("tenantId", Integer, primary_key=True),
    Column("clientId", Integer, primary_key=True),
    Column("businessKey", Integer, primary_key=True),
    Column("filingTypeId", Integer, primary_key=True),
    Column("periodStart", Date, primary_key=True),
    Column("periodLabel", Text, nullable=False),
    Column("recurringId", Integer),
    Column("filingId", Integer),
)


# --------------------------------------------------------------------------------------------
# Schedules


def is_cron(schedule: str) -> bool:
    return schedule not in NAMED_SCHEDULES


def validate_schedule(schedule: Any) -> str:
    """`monthly`, `quarterly`, `annual` or a 5-field cron expression; else ValidationError."""
    if not isinstance(schedule, str) or not schedule.strip():
        raise ValidationError(field_errors={"schedule": _SCHEDULE_HELP})
    text = " ".join(schedule.split())
    if text.lower() in NAMED_SCHEDULES:
        return text.lower()
    from croniter import croniter

    if len(text.split(" ")) != 5 or not croniter.is_valid(text):
        raise ValidationError(field_errors={"schedule": _SCHEDULE_HELP})
    return text


_SCHEDULE_HELP = (
    "Choose monthly, quarterly or annual, or enter a 5-field cron expression "
    '(e.g. "0 6 1 * *": 06:00 on the 1st of each month).'
)


def period_kind(schedule: str, frequency: str | None) -> PeriodKind:
    """The period a schedule files for: its own for the named ones, the type's for cron."""
    return NAMED_SCHEDULES.get(schedule, period_kind_for(frequency))


def _midnight(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time())


def first_run(schedule: str, kind: PeriodKind, after: datetime) -> datetime:
    """When a new schedule first runs: the day after the current period ends (named), or the
    cron expression's next time."""
    if not is_cron(schedule):
        return _midnight(period_containing(kind, after.date()).next().start)
    from croniter import croniter

    return croniter(schedule, after).get_next(datetime)


def period_for_run(kind: PeriodKind, run_at: datetime) -> Period:
    """The period that a run at `run_at` files: the last one that ended before that day."""
    return period_containing(kind, run_at.date()).previous()


def next_run(schedule: str, kind: PeriodKind, run_at: datetime) -> datetime:
    """The run after `run_at`: the day after the next period ends, or cron's next time."""
    if not is_cron(schedule):
        return _midnight(period_containing(kind, run_at.date()).next().start)
    from croniter import croniter

    return croniter(schedule, run_at).get_next(datetime)


def runs_until(
    schedule: str, kind: PeriodKind, next_run_at: datetime, cutoff: datetime
) -> tuple[list[tuple[datetime, Period]], datetime]:
    """Every (run time, period) from `next_run_at` up to before `cutoff`, and the next run time
    after them (at most MAX_RUNS_PER_SCHEDULE runs)."""
    runs, after = _runs_until(schedule, kind, next_run_at, cutoff)
    return list(runs), after


# A firm's schedules share a few next-run times: 10,000 schedules are a handful of computations.
@lru_cache(maxsize=4096)
def _runs_until(
    schedule: str, kind: PeriodKind, next_run_at: datetime, cutoff: datetime
) -> tuple[tuple[tuple[datetime, Period], ...], datetime]:
    runs: list[tuple[datetime, Period]] = []
    at = next_run_at
    while at < cutoff and len(runs) < MAX_RUNS_PER_SCHEDULE:
        runs.append((at, period_for_run(kind, at)))
        at = next_run(schedule, kind, at)
    return tuple(runs), at


# --------------------------------------------------------------------------------------------
# CRUD


def _clean(data: dict[str, Any], *, partial: bool) -> dict[str, Any]:
    errors: dict[str, str] = {}
    cleaned = records.clean_fields(data, RECURRING_RULES, "recurring filing", errors=errors)
    if "schedule" in cleaned or not partial:
        try:
            cleaned["schedule"] = validate_schedule(cleaned.get("schedule"))
        except ValidationError as exc:
            errors.update(exc.field_errors)
    if "active" in cleaned and not isinstance(cleaned["active"], bool):
        errors["active"] = "Must be yes or no."
    for key, message in (
        ("client_id", "Choose the client."),
        ("filing_type_id", "Choose the filing type."),
    ):
        if not partial and cleaned.get(key) is None and key not in errors:
            errors[key] = message
    if errors:
        raise ValidationError(field_errors=errors)
    return cleaned


def recurring_values(ctx: Context, row: RecurringFiling) -> dict[str, Any]:
    """A schedule as plain data, with the period its next run would create."""
    values = records.snapshot(row)
    filing_type = ctx.session.get(FilingType, row.filing_type_id)
    kind = period_kind(row.schedule, filing_type.frequency if filing_type else None)
    values["filing_type_code"] = filing_type.code if filing_type else None
    values["filing_type_name"] = filing_type.name if filing_type else None
    values["client_name"] = ctx.session.scalar(
        select(Client.name).where(Client.id == row.client_id)
    )
    values["period_kind"] = kind
    try:
        values["next_period_label"] = (
            period_for_run(kind, row.next_run_at).label if row.next_run_at else None
        )
    except ValidationError:
        values["next_period_label"] = None
    return values


def _check(
    ctx: Context,
    row_id: int | None,
    client_id: int,
    business_id: int | None,
    filing_type_id: int,
) -> None:
    """Client, type and business of this firm (the business this client's), and no second
    schedule for the same client, business and type."""
    records.get(ctx, Client, client_id)
    if ctx.session.scalar(select(FilingType.id).where(FilingType.id == filing_type_id)) is None:
        raise ValidationError(
            field_errors={"filing_type_id": "The selected filing type does not exist."}
        )
    if business_id is not None:
        owner = ctx.session.scalar(
            select(ClientBusiness.client_id).where(ClientBusiness.id == business_id)
        )
        if owner != client_id:
            raise ValidationError(
                field_errors={"client_business_id": "Choose one of this client's businesses."}
            )
    # At most one schedule per client, business and type (DOMAIN.md §6, checked in code).
    same = select(RecurringFiling.id).where(
        RecurringFiling.client_id == client_id,
        RecurringFiling.filing_type_id == filing_type_id,
        RecurringFiling.client_business_id.is_(None)
        if business_id is None
        else RecurringFiling.client_business_id == business_id,
    )
    if row_id is not None:
        same = same.where(RecurringFiling.id != row_id)
    if ctx.session.scalar(same.limit(1)) is not None:
        raise DuplicateError(
            "This client already has a recurring schedule for this filing type"
            + (" and business." if business_id is not None else "."),
            fields={"filing_type_id": filing_type_id},
        )


def list_recurring(ctx: Context, *, client_id: int | None = None) -> list[dict[str, Any]]:
    require(ctx, "filings", "view")
    query = select(RecurringFiling).order_by(RecurringFiling.next_run_at, RecurringFiling.id)
    if client_id is not None:
        query = query.where(RecurringFiling.client_id == client_id)
    return [recurring_values(ctx, r) for r in ctx.session.scalars(query)]


def get_recurring(ctx: Context, recurring_id: int) -> dict[str, Any]:
    require(ctx, "filings", "view")
    return recurring_values(ctx, records.get(ctx, RecurringFiling, recurring_id))


def create_recurring(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """A schedule; without `next_run_at` it first runs when the current period has ended."""
    require(ctx, "filings", "create")
    values = _clean(dict(data), partial=False)
    row = RecurringFiling(tenant_id=ctx.tenant_id, active=values.pop("active", True), **values)
    try:
        with guarded(ctx.session):
            _check(ctx, None, row.client_id, row.client_business_id, row.filing_type_id)
            if row.next_run_at is None:
                filing_type = ctx.session.get(FilingType, row.filing_type_id)
                kind = period_kind(row.schedule, filing_type.frequency if filing_type else None)
                row.next_run_at = first_run(row.schedule, kind, utcnow())
            ctx.session.add(row)
            ctx.session.commit()
    except BaseException:
        ctx.session.rollback()
        raise
    return recurring_values(ctx, row)


def update_recurring(
    ctx: Context, recurring_id: int, changes: dict[str, Any], expected_updated_at: datetime | None
) -> dict[str, Any]:
    """Edit a schedule (pause it with active=False). ConflictError on a stale updated_at."""
    require(ctx, "filings", "edit")
    values = _clean(dict(changes), partial=True)
    if "client_id" in values:
        raise ValidationError(
            field_errors={"client_id": "A schedule cannot move to another client."}
        )
    row = records.get(ctx, RecurringFiling, recurring_id)
    _check(
        ctx,
        row.id,
        row.client_id,
        values.get("client_business_id", row.client_business_id),
        values.get("filing_type_id", row.filing_type_id),
    )
    updated = records.update(ctx, RecurringFiling, recurring_id, values, expected_updated_at)
    return recurring_values(ctx, updated)


def delete_recurring(ctx: Context, recurring_id: int) -> None:
    """Delete a schedule; the filings it generated stay."""
    require(ctx, "filings", "delete")
    records.delete(ctx, RecurringFiling, recurring_id)


# --------------------------------------------------------------------------------------------
# Generation


@dataclass
class GenerationReport:
    """What a run created (or, with dry_run, would create): one dict per filing with
    recurring_id, tenant_id, client_id, client_name, client_business_id, filing_type_id,
    filing_type_code, period_label, period_start, period_end, due_date, filing_id."""

    dry_run: bool
    schedules: int = 0
    created: list[dict[str, Any]] = field(default_factory=list)
    already_there: int = 0
    # Filings (mostly the web platform's) whose fallback due date was made exact.
    due_dates_corrected: int = 0


def generate_due_filings(
    target: Context | Session,
    today: date | None = None,
    horizon: timedelta = timedelta(0),
    *,
    dry_run: bool = False,
) -> GenerationReport:
    """Run the schedules due by the end of `today + horizon` (default: today, nothing ahead).

    With a Context: that firm, as that user (filings:create and filings:edit; every row is
    audited as theirs). With a plain Session (an administrator's: `gcmc filings generate`):
    every firm. `dry_run` computes the same list and writes nothing (the preview). A real run
    then also makes exact the due dates the web platform's filings still have as the
    database's fallback (`filings.refresh_due_dates`)."""
    if isinstance(target, Context):
        require(target, "filings", "create")
        require(target, "filings", "edit")
        session, tenant_id = target.session, target.tenant_id
    else:
        session, tenant_id = target, None
    today = today or date.today()
    cutoff = _midnight(today + horizon + timedelta(days=1))
    report = GenerationReport(dry_run=dry_run)
    try:
        with guarded(session):
            _generate(session, tenant_id, cutoff, report)
            if dry_run:
                session.rollback()
            else:
                session.commit()
    except BaseException:
        session.rollback()
        raise
    if not dry_run:
        report.due_dates_corrected = refresh_due_dates(target)
    return report


def _generate(
    session: Session, tenant_id: int | None, cutoff: datetime, report: GenerationReport
) -> None:
    query = (
        select(RecurringFiling)
        .where(
            RecurringFiling.active.is_(True),
            RecurringFiling.next_run_at.is_not(None),
            RecurringFiling.next_run_at < cutoff,
        )
        .order_by(RecurringFiling.id)
    )
    if tenant_id is not None:
        query = query.where(RecurringFiling.tenant_id == tenant_id)
    if not report.dry_run:
        # A concurrent run (another workstation) skips the schedules this one holds.
        query = query.with_for_update(skip_locked=True, of=RecurringFiling)
    schedules = list(session.scalars(query.execution_options(populate_existing=True)))
    report.schedules = len(schedules)
    if not schedules:
        return
    types = {
        t.id: t
        for t in session.scalars(
            select(FilingType).where(among(FilingType.id, {s.filing_type_id for s in schedules}))
        )
    }
    # (schedule, run time, period) for every run that has come.
    planned: list[tuple[RecurringFiling, Period]] = []
    advances: list[dict[str, Any]] = []
    for schedule in schedules:
        filing_type = types.get(schedule.filing_type_id)
        if filing_type is None:  # not visible: leave the schedule alone
            continue
        kind = period_kind(schedule.schedule, filing_type.frequency)
        try:
            runs, after = runs_until(schedule.schedule, kind, schedule.next_run_at, cutoff)
        except (ValueError, KeyError, ValidationError):  # a schedule the platform let through
            continue
        planned.extend((schedule, period) for _at, period in runs)
        if runs:
            advances.append({"id": schedule.id, "last": runs[-1][0], "next": after})
    if not report.dry_run:
        _advance(session, advances)
    if not planned:
        return
    existing = _existing_filings(session, planned)
    taken = _claimed(session, planned)
    incorporated = incorporation_dates(session, {s.client_id for s, _ in planned})
    names = dict(
        session.execute(
            select(Client.id, Client.name).where(
                among(Client.id, {s.client_id for s, _ in planned})
            )
        ).all()
    )
    candidates: dict[tuple, dict[str, Any]] = {}
    for schedule, period in planned:
        key = _key(schedule, period)
        label_key = (
            schedule.client_id,
            schedule.client_business_id,
            schedule.filing_type_id,
            period.label,
        )
        if key in candidates or key in taken or label_key in existing:
            report.already_there += 1
            continue
        filing_type = types[schedule.filing_type_id]
        candidates[key] = {
            "recurring_id": schedule.id,
            "tenant_id": schedule.tenant_id,
            "client_id": schedule.client_id,
            "client_name": names.get(schedule.client_id),
            "client_business_id": schedule.client_business_id,
            "filing_type_id": schedule.filing_type_id,
            "filing_type_code": filing_type.code,
            "period_label": period.label,
            "period_start": period.start,
            "period_end": period.end,
            "due_date": type_due_date(
                filing_type,
                period.end,
                schedule.client_id,
                schedule.client_business_id,
                incorporated,
            ),
            "filing_id": None,
        }
    if report.dry_run or not candidates:
        report.created = list(candidates.values())
        return
    won = _claim(session, candidates)
    report.already_there += len(candidates) - len(won)
    created = [candidates[k] for k in candidates if k in won]
    _insert_filings(session, created)
    report.created = created


def _key(schedule: RecurringFiling, period: Period) -> tuple:
    return (
        schedule.tenant_id,
        schedule.client_id,
        schedule.client_business_id or 0,
        schedule.filing_type_id,
        period.start,
    )


def _existing_filings(
    session: Session, planned: list[tuple[RecurringFiling, Period]]
) -> set[tuple[int, int | None, int, str]]:
    """(client, business, type, label) of the filings already there for the planned periods."""
    found: set[tuple[int, int | None, int, str]] = set()
    type_ids = sorted({s.filing_type_id for s, _ in planned})
    period_labels = sorted({p.label for _, p in planned})
    client_ids = sorted({s.client_id for s, _ in planned})
    if client_ids:
        rows = session.execute(
            select(
                Filing.client_id,
                Filing.client_business_id,
                Filing.filing_type_id,
                Filing.period_label,
            ).where(
                among(Filing.client_id, client_ids),
                among(Filing.filing_type_id, type_ids),
                among(Filing.period_label, period_labels, Text),
            )
        ).all()
        found.update((r[0], r[1], r[2], r[3]) for r in rows)
    return found


def _arrays(rows: Iterable[tuple], width: int) -> list[list[Any]]:
    """Rows as one list per column: each becomes one array parameter of an `unnest(...)`
    (a statement of a few parameters, whatever the number of rows)."""
    columns: list[list[Any]] = [[] for _ in range(width)]
    for row in rows:
        for i, value in enumerate(row):
            columns[i].append(value)
    return columns


_KEY_ARRAYS = (
    "unnest(CAST(:t AS integer[]), CAST(:c AS integer[]), CAST(:b AS integer[]), "
    "CAST(:f AS integer[]), CAST(:p AS date[]))"
)


def _key_params(keys: Iterable[tuple]) -> dict[str, list[Any]]:
    t, c, b, f, p = _arrays(keys, 5)
    return {"t": t, "c": c, "b": b, "f": f, "p": p}


def _claimed(session: Session, planned: list[tuple[RecurringFiling, Period]]) -> set[tuple]:
    """The planned periods already claimed (one join on the keys as arrays)."""
    wanted = sorted({_key(s, p) for s, p in planned})
    rows = session.execute(
        text(
            'SELECT g."tenantId", g."clientId", g."businessKey", g."filingTypeId", '
            f'g."periodStart" FROM desktop_generated_filings g JOIN {_KEY_ARRAYS} '
            'AS w(t, c, b, f, p) ON g."tenantId" = w.t AND g."clientId" = w.c '
            'AND g."businessKey" = w.b AND g."filingTypeId" = w.f AND g."periodStart" = w.p'
        ),
        _key_params(wanted),
    ).all()
    return {tuple(r) for r in rows}


def _claim(session: Session, candidates: dict[tuple, dict[str, Any]]) -> set[tuple]:
    """Claim the periods; the ones this transaction won (a concurrent run's claims wait for it
    to end and then lose)."""
    keys = list(candidates)
    params: dict[str, Any] = _key_params(keys)
    params["l"] = [candidates[k]["period_label"] for k in keys]
    params["r"] = [candidates[k]["recurring_id"] for k in keys]
    rows = session.execute(
        text(
            'INSERT INTO desktop_generated_filings ("tenantId", "clientId", "businessKey", '
            '"filingTypeId", "periodStart", "periodLabel", "recurringId") '
            "SELECT * FROM unnest(CAST(:t AS integer[]), CAST(:c AS integer[]), "
            "CAST(:b AS integer[]), CAST(:f AS integer[]), CAST(:p AS date[]), "
            "CAST(:l AS text[]), CAST(:r AS integer[])) "
            'ON CONFLICT DO NOTHING RETURNING "tenantId", "clientId", "businessKey", '
            '"filingTypeId", "periodStart"'
        ),
        params,
    ).all()
    return {tuple(r) for r in rows}


def _insert_filings(session: Session, created: list[dict[str, Any]]) -> None:
    """The draft filings, their exact due dates and their claims' filing ids: three statements
    whatever the number (the row triggers still check and audit every row)."""
    if not created:
        return
    keys = [
        (
            i["tenant_id"],
            i["client_id"],
            i["client_business_id"] or 0,
            i["filing_type_id"],
            i["period_start"],
        )
        for i in created
    ]
    params: dict[str, Any] = _key_params(keys)
    params["s"] = [_midnight(i["period_start"]) for i in created]
    params["e"] = [_midnight(i["period_end"]) for i in created]
    params["l"] = [i["period_label"] for i in created]
    params["now"] = utcnow()
    rows = session.execute(
        text(
            'INSERT INTO filings ("tenantId", "clientId", "clientBusinessId", "filingTypeId", '
            '"periodStart", "periodEnd", "periodLabel", status, "createdAt", "updatedAt") '
            "SELECT t, c, nullif(b, 0), f, s, e, l, 'draft', :now, :now FROM "
            "unnest(CAST(:t AS integer[]), CAST(:c AS integer[]), CAST(:b AS integer[]), "
            "CAST(:f AS integer[]), CAST(:s AS timestamp[]), CAST(:e AS timestamp[]), "
            "CAST(:l AS text[])) AS u(t, c, b, f, s, e, l) "
            'RETURNING id, "tenantId", "clientId", coalesce("clientBusinessId", 0), '
            '"filingTypeId", CAST("periodStart" AS date)'
        ),
        params,
    ).all()
    ids = {tuple(r[1:]): r[0] for r in rows}
    for item, key in zip(created, keys, strict=True):
        item["filing_id"] = ids[key]
    store_due_dates(session, {i["filing_id"]: i["due_date"] for i in created})
    params = _key_params(keys)
    params["fid"] = [i["filing_id"] for i in created]
    session.execute(
        text(
            'UPDATE desktop_generated_filings g SET "filingId" = w.fid '
            "FROM unnest(CAST(:t AS integer[]), CAST(:c AS integer[]), CAST(:b AS integer[]), "
            "CAST(:f AS integer[]), CAST(:p AS date[]), CAST(:fid AS integer[])) "
            "AS w(t, c, b, f, p, fid) "
            'WHERE g."tenantId" = w.t AND g."clientId" = w.c AND g."businessKey" = w.b '
            'AND g."filingTypeId" = w.f AND g."periodStart" = w.p'
        ),
        params,
    )


def _advance(session: Session, advances: list[dict[str, Any]]) -> None:
    """Set lastRunAt and nextRunAt of the schedules that ran, in one statement."""
    if not advances:
        return
    session.execute(
        text(
            'UPDATE recurring_filings r SET "lastRunAt" = m.last, "nextRunAt" = m.next, '
            '"updatedAt" = :now FROM unnest(CAST(:id AS integer[]), CAST(:last AS timestamp[]), '
            "CAST(:next AS timestamp[])) AS m(id, last, next) WHERE r.id = m.id"
        ),
        {
            "id": [a["id"] for a in advances],
            "last": [a["last"] for a in advances],
            "next": [a["next"] for a in advances],
            "now": utcnow(),
        },
    )


RECURRING_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("next_run", "Next run", RecurringFiling.next_run_at, formatter=format_date),
    ColumnSpec("client", "Client", Client.name, sortable=False, nullable=True),
    ColumnSpec("type", "Filing type", FilingType.name, sortable=False, nullable=True),
    ColumnSpec("schedule", "Schedule", RecurringFiling.schedule, sortable=False),
    ColumnSpec("active", "Active", RecurringFiling.active, sortable=False),
)


def recurring_list_query(ctx: Context, client_id: int | None = None) -> PagedQuery:
    """The firm's recurring schedules (or one client's), soonest next run first; filter
    `active`; search over client and filing type names."""
    require(ctx, "filings", "view")
    base = (
        select(RecurringFiling)
        .outerjoin(Client, Client.id == RecurringFiling.client_id)
        .outerjoin(FilingType, FilingType.id == RecurringFiling.filing_type_id)
        .where(RecurringFiling.tenant_id == ctx.tenant_id)
    )
    if client_id is not None:
        base = base.where(RecurringFiling.client_id == client_id)
    return PagedQuery(
        base,
        RECURRING_COLUMNS,
        search_columns=(Client.name, FilingType.name),
        filter_columns={"active": RecurringFiling.active},
        id_column=RecurringFiling.id,
        sort_key="next_run",
    )
