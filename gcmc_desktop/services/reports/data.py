"""The five client reports of DOMAIN.md §10, gathered as plain data (`model.Report`): one
function per report, each behind the `reports:view` gate and the view permission of every
domain it reads. Queries are ORM statements, so the session's tenant criterion applies as well
as row-level security.

Dates are calendar dates (the platform stores them at midnight UTC); "now" is the database's
UTC clock as the platform compares it; the generation time is shown in local time."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from ...models import (
    Client,
    ClientBusiness,
    ComplianceScore,
    Document,
    DocumentType,
    DocumentVersion,
    Filing,
    FilingType,
    Service,
    ServiceRequest,
    ServiceStep,
)
from ..catalog import AUTHORITY_NAMES
from ..compliance_breakdown import LEVEL_LABELS, level_for
from ..context import Context, require
from ..errors import NotFoundError
from ..filings import DUE, is_overdue
from ..transitions import status_label
from .model import KINDS, Band, Bullets, Facts, Heading, Report, Table, Text, Tone

# The document type reports are stored as (never counted as a missing document).
REPORT_TYPE_NAME = "Report"
REPORT_TYPE_CATEGORY = "other"

EXPIRING_DAYS = 30
URGENT_DAYS = 7
OPEN_FILINGS = ("draft", "prepared")
FILED = ("submitted", "approved")
IN_PROGRESS_REQUESTS = ("new", "in_progress", "awaiting_client", "awaiting_authority")

VERDICTS: dict[str, str] = {
    "excellent": "Excellent: the client meets its obligations. Keep monitoring.",
    "good": "Good: a few items need attention soon.",
    "fair": "Fair: several obligations are missing or late; act on the recommendations.",
    "poor": "Poor: the client is at risk of penalties; act on the recommendations now.",
}


# --------------------------------------------------------------------------------------------
# Small helpers


def _day(value: datetime | date | None) -> date | None:
    if value is None:
        return None
    return value.date() if isinstance(value, datetime) else value


def day_text(value: datetime | date | None) -> str:
    day = _day(value)
    return day.isoformat() if day else ""


def money(value: float | Decimal | None) -> Decimal | None:
    if value is None:
        return None
    return Decimal(str(value)).quantize(Decimal("0.01"))


def amount_text(value: float | Decimal | None) -> str:
    amount = money(value)
    return "" if amount is None else f"{amount:,.2f}"


def money_text(value: float | Decimal | None) -> str:
    amount = money(value)
    return "" if amount is None else f"G$ {amount:,.2f}"


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


def _authority(code: str | None) -> str:
    return code or ""


def _local_now(now: datetime | None) -> datetime:
    moment = now or datetime.now(UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone()


def _utc_naive(local: datetime) -> datetime:
    return local.astimezone(UTC).replace(tzinfo=None)


def _start(ctx: Context, kind: str, client_id: int, now: datetime | None) -> tuple[Report, Client]:
    require(ctx, "reports", "view")
    require(ctx, "clients", "view")
    client = ctx.session.scalars(select(Client).where(Client.id == client_id)).one_or_none()
    if client is None:
        raise NotFoundError("This client no longer exists, or belongs to another firm.")
    report = Report(
        kind=kind,
        title=KINDS[kind],
        firm=ctx.tenant_name,
        client_id=client.id,
        client=client.name,
        generated_at=_local_now(now),
    )
    return report, client


def _client_facts(client: Client) -> Facts:
    return Facts(
        [
            ("Type", (client.type or "").capitalize()),
            ("TIN", client.tin or "—"),
            ("NIS number", client.nis_number or "—"),
            ("Sector", client.sector or "—"),
            ("E-mail", client.email or "—"),
            ("Phone", client.phone or "—"),
            ("Address", client.address or "—"),
            ("Risk level", (client.risk_level or "—").capitalize()),
            ("Client since", day_text(client.created_at)),
        ]
    )


# --------------------------------------------------------------------------------------------
# Reading the client's records (plain rows)


@dataclass(frozen=True)
class DocumentRow:
    id: int
    title: str
    type_id: int
    type_name: str
    status: str
    authority: str | None
    number: str | None
    issued: date | None
    expires: date | None
    expiry_at: datetime | None


def _documents(ctx: Context, client_id: int) -> list[DocumentRow]:
    require(ctx, "documents", "view")
    rows = ctx.session.execute(
        select(
            Document.id,
            Document.title,
            Document.document_type_id,
            DocumentType.name,
            Document.status,
            Document.authority,
            DocumentVersion.meta,
            DocumentVersion.issue_date,
            DocumentVersion.expiry_date,
        )
        .join(DocumentType, DocumentType.id == Document.document_type_id)
        .outerjoin(DocumentVersion, DocumentVersion.id == Document.latest_version_id)
        .where(Document.client_id == client_id)
        .order_by(DocumentType.name, Document.title, Document.id)
    ).all()
    out = []
    for doc_id, title, type_id, type_name, status, authority, meta, issued, expires in rows:
        number = meta.get("documentNumber") if isinstance(meta, dict) else None
        out.append(
            DocumentRow(
                doc_id,
                title,
                type_id,
                type_name,
                status,
                authority,
                str(number) if number is not None else None,
                _day(issued),
                _day(expires),
                expires,
            )
        )
    return out


def _expiring(rows: list[DocumentRow], now: datetime) -> list[DocumentRow]:
    """DOMAIN.md §2: status valid, latest version's expiry in [now, now + 30 days]."""
    limit = now + timedelta(days=EXPIRING_DAYS)
    found = [
        r
        for r in rows
        if r.status == "valid" and r.expiry_at is not None and now <= r.expiry_at <= limit
    ]
    return sorted(found, key=lambda r: (r.expiry_at, r.id))


def _expired(rows: list[DocumentRow], now: datetime) -> list[DocumentRow]:
    """Marked expired, or its latest version's expiry has passed (nothing flips the status)."""
    return [
        r for r in rows if r.status == "expired" or (r.expiry_at is not None and r.expiry_at < now)
    ]


def _days_left(expiry: datetime | None, today: date) -> int | None:
    return None if expiry is None else (_day(expiry) - today).days  # type: ignore[operator]


@dataclass(frozen=True)
class FilingRow:
    id: int
    type_name: str
    authority: str | None
    period_label: str | None
    period_start: date | None
    period_end: date | None
    period_end_at: datetime | None
    status: str
    reference: str | None
    submitted: date | None
    approved: date | None
    tax: Decimal | None
    total: Decimal | None
    notes: str | None
    due: date | None = None  # the real due date (services/filings.DUE)


def _filings(ctx: Context, client_id: int) -> list[FilingRow]:
    require(ctx, "filings", "view")
    rows = ctx.session.execute(
        select(Filing, FilingType.name, FilingType.authority, DUE.c.dueDate)
        .join(FilingType, FilingType.id == Filing.filing_type_id)
        .outerjoin(DUE, DUE.c.filingId == Filing.id)
        .where(Filing.client_id == client_id)
        .order_by(Filing.period_end.desc().nulls_last(), FilingType.name, Filing.id)
    ).all()
    return [
        FilingRow(
            f.id,
            type_name,
            authority,
            f.period_label,
            _day(f.period_start),
            _day(f.period_end),
            f.period_end,
            f.status,
            f.reference_number,
            _day(f.submission_date),
            _day(f.approval_date),
            money(f.tax_amount),
            money(f.total),
            f.internal_notes,
            _day(due),
        )
        for f, type_name, authority, due in rows
    ]


def _period_text(f: FilingRow) -> str:
    if f.period_label:
        return f.period_label
    if f.period_start or f.period_end:
        return f"{day_text(f.period_start)} – {day_text(f.period_end)}"
    return ""


def _score(ctx: Context, client_id: int) -> ComplianceScore | None:
    require(ctx, "compliance", "view")
    return ctx.session.scalars(
        select(ComplianceScore).where(
            ComplianceScore.tenant_id == ctx.tenant_id, ComplianceScore.client_id == client_id
        )
    ).one_or_none()


def _score_facts(score: ComplianceScore | None) -> list[tuple[str, str]]:
    if score is None:
        return [("Score", "Not calculated yet")]
    return [
        ("Score", f"{score.score_value:.0f} / 100"),
        ("Level", LEVEL_LABELS[level_for(score.score_value)]),
        ("Missing items (score)", f"{score.missing_count:,}"),
        ("Expiring (score)", f"{score.expiring_count:,}"),
        ("Overdue filings (score)", f"{score.overdue_filings_count:,}"),
        ("Last calculated", day_text(score.last_calculated_at)),
    ]


# --------------------------------------------------------------------------------------------
# Client file


def client_file(ctx: Context, client_id: int, *, now: datetime | None = None) -> Report:
    """Everything about the client on a few pages: details, businesses, score, documents,
    filings and the last service requests. A domain the role may not view is left out with
    a note."""
    report, client = _start(ctx, "client_file", client_id, now)
    utc_now = _utc_naive(report.generated_at)
    today = report.generated_at.date()
    figures = report.figures
    report.add(Heading("Client details"), _client_facts(client))

    businesses = ctx.session.scalars(
        select(ClientBusiness)
        .where(ClientBusiness.client_id == client_id)
        .order_by(ClientBusiness.name, ClientBusiness.id)
    ).all()
    figures["businesses"] = len(businesses)
    report.add(
        Heading("Businesses"),
        Table(
            ["Business", "Registration no.", "Registration type", "Sector", "Status"],
            [
                [
                    b.name,
                    b.registration_number or "",
                    b.registration_type or "",
                    b.sector or "",
                    status_label(b.status),
                ]
                for b in businesses
            ],
            widths=[3, 2, 2, 2, 1.3],
            empty="No businesses registered.",
        ),
    )

    report.add(Heading("Compliance"))
    if ctx.can("compliance", "view"):
        score = _score(ctx, client_id)
        figures["score"] = None if score is None else score.score_value
        report.add(Facts(_score_facts(score)))
    else:
        report.add(Text("Not shown: your role may not view compliance.", "muted"))

    report.add(Heading("Documents"))
    if ctx.can("documents", "view"):
        docs = _documents(ctx, client_id)
        expiring = _expiring(docs, utc_now)
        expired = _expired(docs, utc_now)
        by_type = Counter(d.type_name for d in docs)
        figures.update(documents=len(docs), expiring=len(expiring), expired=len(expired))
        figures["top_types"] = by_type.most_common(10)
        report.add(
            Facts(
                [
                    ("Documents", f"{len(docs):,}"),
                    (f"Expiring within {EXPIRING_DAYS} days", f"{len(expiring):,}"),
                    ("Expired", f"{len(expired):,}"),
                    ("Document types", f"{len(by_type):,}"),
                ]
            ),
            Heading("Most frequent document types", 2),
            Table(
                ["Document type", "Documents"],
                [[name, f"{n:,}"] for name, n in by_type.most_common(10)],
                widths=[5, 1.2],
                numeric=frozenset({1}),
                empty="No documents.",
            ),
        )
        if expiring:
            report.add(
                Heading(f"Expiring within {EXPIRING_DAYS} days", 2),
                Table(
                    ["Document", "Type", "Expires", "Days left"],
                    [
                        [
                            d.title,
                            d.type_name,
                            day_text(d.expires),
                            str(_days_left(d.expiry_at, today)),
                        ]
                        for d in expiring
                    ],
                    widths=[3, 2.5, 1.3, 1],
                    numeric=frozenset({3}),
                    tones=["warning"] * len(expiring),
                ),
            )
    else:
        report.add(Text("Not shown: your role may not view documents.", "muted"))

    report.add(Heading("Filings"))
    if ctx.can("filings", "view"):
        filings = _filings(ctx, client_id)
        by_status = Counter(f.status for f in filings)
        upcoming = sorted(
            (
                f
                for f in filings
                if f.status in OPEN_FILINGS and f.period_end_at and f.period_end_at > utc_now
            ),
            key=lambda f: (f.period_end_at, f.id),
        )[:5]
        figures.update(filings=len(filings), filings_by_status=dict(by_status))
        figures["next_filings"] = [f.id for f in upcoming]
        report.add(
            Facts([("Filings", f"{len(filings):,}")]),
            Table(
                ["Status", "Filings"],
                [[status_label(s), f"{n:,}"] for s, n in sorted(by_status.items())],
                widths=[5, 1.2],
                numeric=frozenset({1}),
                empty="No filings.",
            ),
            Heading("Next open filings", 2),
            Table(
                ["Filing", "Period", "Period end", "Status"],
                [
                    [f.type_name, _period_text(f), day_text(f.period_end), status_label(f.status)]
                    for f in upcoming
                ],
                widths=[3, 2, 1.3, 1.2],
                empty="No open filings with a period still running.",
            ),
        )
    else:
        report.add(Text("Not shown: your role may not view filings.", "muted"))

    report.add(Heading("Latest service requests"))
    if ctx.can("services", "view"):
        requests = ctx.session.execute(
            select(ServiceRequest, Service.name)
            .join(Service, Service.id == ServiceRequest.service_id)
            .where(ServiceRequest.client_id == client_id)
            .order_by(ServiceRequest.created_at.desc(), ServiceRequest.id.desc())
            .limit(10)
        ).all()
        figures["requests"] = [r.id for r, _ in requests]
        report.add(
            Table(
                ["No.", "Service", "Status", "Priority", "Opened"],
                [
                    [
                        str(r.id),
                        name,
                        status_label(r.status),
                        (r.priority or "").capitalize(),
                        day_text(r.created_at),
                    ]
                    for r, name in requests
                ],
                widths=[0.7, 3.5, 1.6, 1, 1.2],
                empty="No service requests.",
            )
        )
    else:
        report.add(Text("Not shown: your role may not view services.", "muted"))
    return report


# --------------------------------------------------------------------------------------------
# Compliance report


def _missing_types(ctx: Context, docs: list[DocumentRow]) -> list[tuple[str, str | None]]:
    """Every document type of the firm the client has no document of (DOMAIN.md §10); the
    type reports are stored as is not a requirement."""
    have = {d.type_id for d in docs}
    rows = ctx.session.execute(
        select(DocumentType.id, DocumentType.name, DocumentType.authority)
        .where(DocumentType.tenant_id == ctx.tenant_id)
        .order_by(DocumentType.authority.nulls_last(), DocumentType.name)
    ).all()
    return [
        (name, authority)
        for type_id, name, authority in rows
        if type_id not in have and name != REPORT_TYPE_NAME
    ]


def _overdue(f: FilingRow, today: date) -> bool:
    """Marked overdue (DOMAIN.md §10), or still open after its real due date (the desktop's
    test, which the score and the filings list use)."""
    return f.status == "overdue" or is_overdue(f.status, f.due, today)


def _days_overdue(f: FilingRow, today: date) -> str:
    since = f.due or f.period_end
    return "" if since is None else str(max((today - since).days, 0))


def compliance(ctx: Context, client_id: int, *, now: datetime | None = None) -> Report:
    """The score in its colour band with a verdict, the counts, the missing document types,
    documents expiring within 30 days, overdue filings (marked overdue, or still open after
    their period ended) and what to do."""
    report, client = _start(ctx, "compliance", client_id, now)
    require(ctx, "compliance", "view")
    utc_now = _utc_naive(report.generated_at)
    today = report.generated_at.date()
    score = _score(ctx, client_id)
    docs = _documents(ctx, client_id)
    filings = _filings(ctx, client_id)
    missing = _missing_types(ctx, docs)
    expiring = _expiring(docs, utc_now)
    overdue = sorted(
        (f for f in filings if _overdue(f, today)),
        key=lambda f: (f.period_end_at or datetime.max, f.id),
    )
    level = None if score is None else level_for(score.score_value)
    report.figures.update(
        score=None if score is None else score.score_value,
        level=level,
        missing=[name for name, _ in missing],
        expiring=[d.id for d in expiring],
        overdue=[f.id for f in overdue],
    )
    report.add(
        Facts(
            [
                ("Type", (client.type or "").capitalize()),
                ("Sector", client.sector or "—"),
                ("TIN", client.tin or "—"),
                ("NIS number", client.nis_number or "—"),
            ]
        ),
        Band(
            None if score is None else score.score_value,
            level,
            "Not calculated yet" if level is None else LEVEL_LABELS[level],
            "No compliance score has been calculated for this client yet."
            if level is None
            else VERDICTS[level],
        ),
        Facts(_score_facts(score)[2:] if score is not None else []),
        Heading(f"Missing documents ({len(missing):,})"),
        Text("Document types of the firm of which the client has no document.", "muted"),
        Table(
            ["Document type", "Authority"],
            [[name, AUTHORITY_NAMES.get(a or "", a or "")] for name, a in missing],
            widths=[3, 3],
            empty="None: the client has a document of every type.",
        ),
        Heading(f"Documents expiring within {EXPIRING_DAYS} days ({len(expiring):,})"),
        Table(
            ["Document", "Type", "Expires", "Days left"],
            [
                [d.title, d.type_name, day_text(d.expires), str(_days_left(d.expiry_at, today))]
                for d in expiring
            ],
            widths=[3, 2.5, 1.3, 1],
            numeric=frozenset({3}),
            tones=[
                "danger" if (_days_left(d.expiry_at, today) or 0) <= URGENT_DAYS else "warning"
                for d in expiring
            ],
            empty="None.",
        ),
        Heading(f"Overdue filings ({len(overdue):,})"),
        Table(
            ["Filing", "Period", "Due", "Days overdue"],
            [
                [
                    f.type_name,
                    _period_text(f),
                    day_text(f.due or f.period_end),
                    _days_overdue(f, today),
                ]
                for f in overdue
            ],
            widths=[3, 2, 1.3, 1.2],
            numeric=frozenset({3}),
            tones=["danger"] * len(overdue),
            empty="None.",
        ),
        Heading("Recommendations"),
        Bullets(_recommendations(missing, expiring, overdue, today)),
    )
    return report


def _recommendations(
    missing: list[tuple[str, str | None]],
    expiring: list[DocumentRow],
    overdue: list[FilingRow],
    today: date,
) -> list[tuple[str, Tone]]:
    items: list[tuple[str, Tone]] = []
    if missing:
        items.append((f"Upload the {_plural(len(missing), 'missing document')}.", "warning"))
    for d in expiring:
        days = _days_left(d.expiry_at, today) or 0
        urgent = days <= URGENT_DAYS
        when = "today" if days <= 0 else f"in {_plural(days, 'day')}"
        items.append(
            (
                f"{'Urgent: renew' if urgent else 'Renew'} {d.title} ({d.type_name}), "
                f"expires {when}.",
                "danger" if urgent else "warning",
            )
        )
    for f in overdue:
        items.append((f"File {f.type_name} {_period_text(f)} (overdue).", "danger"))
    if not items:
        items.append(("Nothing outstanding: keep monitoring.", "good"))
    return items


# --------------------------------------------------------------------------------------------
# Documents list


def documents_list(ctx: Context, client_id: int, *, now: datetime | None = None) -> Report:
    """Every document of the client grouped by type, flagged EXPIRED or "expires in n days"."""
    report, _client = _start(ctx, "documents", client_id, now)
    utc_now = _utc_naive(report.generated_at)
    today = report.generated_at.date()
    docs = _documents(ctx, client_id)
    expired_ids = {d.id for d in _expired(docs, utc_now)}
    expiring_ids = {d.id for d in _expiring(docs, utc_now)}
    groups: dict[str, list[DocumentRow]] = {}
    for d in docs:
        groups.setdefault(d.type_name, []).append(d)
    report.figures.update(
        documents=len(docs),
        types={name: len(rows) for name, rows in groups.items()},
        expired=len(expired_ids),
        expiring=len(expiring_ids),
    )
    report.add(
        Facts(
            [
                ("Documents", f"{len(docs):,}"),
                ("Document types", f"{len(groups):,}"),
                ("Expired", f"{len(expired_ids):,}"),
                (f"Expiring within {EXPIRING_DAYS} days", f"{len(expiring_ids):,}"),
            ]
        )
    )
    if not docs:
        report.add(Text("The client has no documents."))
    for name, rows in groups.items():
        flags: list[str] = []
        tones: list[Tone] = []
        for d in rows:
            if d.id in expired_ids:
                flags.append("EXPIRED")
                tones.append("danger")
            elif d.id in expiring_ids:
                days = _days_left(d.expiry_at, today) or 0
                flags.append(f"expires in {_plural(days, 'day')}")
                tones.append("warning")
            else:
                flags.append("")
                tones.append("")
        report.add(
            Table(
                ["Title", "Document no.", "Issued", "Expires", "Status", "Authority", "Flag"],
                [
                    [
                        d.title,
                        d.number or "",
                        day_text(d.issued),
                        day_text(d.expires),
                        status_label(d.status),
                        _authority(d.authority),
                        flag,
                    ]
                    for d, flag in zip(rows, flags, strict=True)
                ],
                widths=[2.8, 1.8, 1.45, 1.45, 1.3, 1.3, 2.1],
                tones=tones,
                caption=f"{name} ({len(rows):,})",
            ),
        )
    return report


# --------------------------------------------------------------------------------------------
# Filings summary


def filings_summary(ctx: Context, client_id: int, *, now: datetime | None = None) -> Report:
    """Counts (filed, pending, overdue, other), total tax, and every filing in a table."""
    report, _client = _start(ctx, "filings", client_id, now)
    report.landscape = True
    filings = _filings(ctx, client_id)
    filed = sum(1 for f in filings if f.status in FILED)
    pending = sum(1 for f in filings if f.status in OPEN_FILINGS)
    overdue = sum(1 for f in filings if f.status == "overdue")
    other = len(filings) - filed - pending - overdue
    total_tax = sum((f.tax for f in filings if f.tax is not None), Decimal("0.00"))
    report.figures.update(
        filings=len(filings),
        filed=filed,
        pending=pending,
        overdue=overdue,
        other=other,
        total_tax=total_tax,
    )
    report.add(
        Facts(
            [
                ("Filings", f"{len(filings):,}"),
                ("Filed (submitted or approved)", f"{filed:,}"),
                ("Pending (draft or prepared)", f"{pending:,}"),
                ("Overdue", f"{overdue:,}"),
                ("Other", f"{other:,}"),
                ("Total tax", money_text(total_tax)),
            ]
        ),
        Heading("Filings"),
        Table(
            [
                "Filing",
                "Period",
                "Period dates",
                "Status",
                "Submitted",
                "Approved",
                "Reference",
                "Tax (G$)",
                "Total (G$)",
                "Notes",
            ],
            [
                [
                    f.type_name,
                    f.period_label or "",
                    f"{day_text(f.period_start)} – {day_text(f.period_end)}"
                    if f.period_start or f.period_end
                    else "",
                    status_label(f.status),
                    day_text(f.submitted),
                    day_text(f.approved),
                    f.reference or "",
                    amount_text(f.tax),
                    amount_text(f.total),
                    f.notes or "",
                ]
                for f in filings
            ],
            widths=[2.2, 1.3, 2.2, 1.1, 1.2, 1.2, 1.9, 1.45, 1.45, 1.8],
            numeric=frozenset({7, 8}),
            tones=["danger" if f.status == "overdue" else "" for f in filings],
            empty="The client has no filings.",
        ),
    )
    return report


# --------------------------------------------------------------------------------------------
# Service history


def service_history(ctx: Context, client_id: int, *, now: datetime | None = None) -> Report:
    """Totals, then each request with its business, status, priority, dates and steps."""
    report, _client = _start(ctx, "services", client_id, now)
    require(ctx, "services", "view")
    requests = ctx.session.execute(
        select(ServiceRequest, Service.name, ClientBusiness.name)
        .join(Service, Service.id == ServiceRequest.service_id)
        .outerjoin(ClientBusiness, ClientBusiness.id == ServiceRequest.client_business_id)
        .where(ServiceRequest.client_id == client_id)
        .order_by(ServiceRequest.created_at.desc(), ServiceRequest.id.desc())
    ).all()
    ids = [r.id for r, _s, _b in requests]
    steps: dict[int, list[ServiceStep]] = {}
    if ids:
        # Joined to the request so the tenant criterion applies (steps have no tenantId).
        for step in ctx.session.scalars(
            select(ServiceStep)
            .join(ServiceRequest, ServiceRequest.id == ServiceStep.service_request_id)
            .where(ServiceStep.service_request_id.in_(ids))
            .order_by(ServiceStep.service_request_id, ServiceStep.order, ServiceStep.id)
        ):
            steps.setdefault(step.service_request_id, []).append(step)
    completed = sum(1 for r, _s, _b in requests if r.status == "completed")
    running = sum(1 for r, _s, _b in requests if r.status in IN_PROGRESS_REQUESTS)
    cancelled = sum(1 for r, _s, _b in requests if r.status == "cancelled")
    report.figures.update(
        requests=len(requests),
        completed=completed,
        in_progress=running,
        cancelled=cancelled,
        steps=sum(len(s) for s in steps.values()),
    )
    report.add(
        Facts(
            [
                ("Service requests", f"{len(requests):,}"),
                ("Completed", f"{completed:,}"),
                ("In progress", f"{running:,}"),
                ("Cancelled", f"{cancelled:,}"),
            ]
        )
    )
    if not requests:
        report.add(Text("The client has no service requests."))
    for request, service, business in requests:
        report.add(
            Heading(f"No. {request.id}: {service}", 2),
            Facts(
                [
                    ("Business", business or "—"),
                    ("Status", status_label(request.status)),
                    ("Priority", (request.priority or "—").capitalize()),
                    ("Opened", day_text(request.created_at)),
                    ("Last change", day_text(request.updated_at)),
                ]
            ),
            Table(
                ["Step", "Title", "Status", "Due"],
                [
                    [str(s.order), s.title, status_label(s.status), day_text(s.due_date)]
                    for s in steps.get(request.id, [])
                ],
                widths=[0.6, 5, 1.4, 1.2],
                tones=["good" if s.status == "done" else "" for s in steps.get(request.id, [])],
                empty="No steps.",
            ),
        )
    return report


# --------------------------------------------------------------------------------------------

GATHER: dict[str, Callable[..., Report]] = {
    "client_file": client_file,
    "compliance": compliance,
    "documents": documents_list,
    "filings": filings_summary,
    "services": service_history,
}


def gather(ctx: Context, kind: str, client_id: int, *, now: datetime | None = None) -> Report:
    """The report `kind` (a key of `model.KINDS`) of one client."""
    try:
        fn = GATHER[kind]
    except KeyError:
        raise ValueError(f"unknown report {kind!r}") from None
    return fn(ctx, client_id, now=now)


def available(ctx: Context) -> list[tuple[str, str]]:
    """(kind, title) of the reports this role may make (each needs the domains it reads)."""
    if not (ctx.can("reports", "view") and ctx.can("clients", "view")):
        return []
    needs: dict[str, tuple[str, ...]] = {
        "client_file": (),
        "compliance": ("compliance", "documents", "filings"),
        "documents": ("documents",),
        "filings": ("filings",),
        "services": ("services",),
    }
    return [
        (kind, KINDS[kind])
        for kind, modules in needs.items()
        if all(ctx.can(m, "view") for m in modules)
    ]
