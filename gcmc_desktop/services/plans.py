"""The firm's plan and subscription, and the limits the services enforce (issue 15).

`plans.limits` (jsonb, global plans) says how much a firm on the plan may hold; the platform
gives it no shape, so the Desktop reads these keys (missing or null = no limit):
`users` (members of the firm), `clients`, `storageMb` (document files, in MiB; `storageGb`
is read too). A firm without a current subscription has no limits. The current subscription
is the latest started one that has not ended and is not cancelled or expired.

Usage is counted by `desktop_plan_usage` (migration 0020) for any member, so someone who
cannot see the documents still cannot slip a file under the storage limit. The create paths
(new member: admin_users, new client: clients, new document or version: documents and the
upload outbox) call `check_limit` first and get a `PlanLimitReached` with a clear message.

Only SuperAdmin (`subscriptions:edit`, which only the `*` grant holds; row-level security
agrees) changes a firm's subscription.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, text
from sqlalchemy.orm import Session

from ..models import Plan, Subscription, utcnow
from .context import Context, require
from .errors import NotFoundError, PermissionDenied, ServiceError, ValidationError
from .records import guarded

ENDED = ("cancelled", "canceled", "expired", "ended")
STATUSES = ("active", "trialing", "past_due", "cancelled")
MIB = 1024 * 1024
LIMIT_KINDS = ("users", "clients", "storage")


class PlanLimitReached(ServiceError):
    """A create refused because the firm's plan allows no more; `kind` names the limit."""

    def __init__(self, message: str, *, kind: str, limit: int, used: int) -> None:
        self.kind = kind
        self.limit = limit
        self.used = used
        super().__init__(message)


@dataclass(frozen=True)
class Usage:
    users: int
    clients: int
    storage_bytes: int


@dataclass(frozen=True)
class PlanSummary:
    """What the Plan tab shows: the plan (None without a subscription), its limits in the
    units of `LIMIT_KINDS` (storage in bytes), the subscription and the firm's usage."""

    plan_id: int | None
    plan_name: str | None
    description: str | None
    monthly_price: float | None
    yearly_price: float | None
    limits: dict[str, int | None]
    subscription_id: int | None
    status: str | None
    start_date: datetime | None
    end_date: datetime | None
    renewal_date: datetime | None
    usage: Usage


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def parse_limits(raw: Any) -> dict[str, int | None]:
    """`plans.limits` as {users, clients, storage (bytes)}; unreadable values count as no limit
    (a limit that cannot be read must not lock a firm out)."""
    data: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    limits: dict[str, int | None] = {kind: None for kind in LIMIT_KINDS}
    for kind in ("users", "clients"):
        number = _number(data.get(kind))
        limits[kind] = int(number) if number is not None and number >= 0 else None
    for key, factor in (("storageMb", MIB), ("storage_mb", MIB), ("storageGb", 1024 * MIB)):
        number = _number(data.get(key))
        if number is not None and number >= 0:
            limits["storage"] = int(number * factor)
            break
    return limits


def current_subscription(session: Session, tenant_id: int) -> Subscription | None:
    now = utcnow()
    return session.scalars(
        select(Subscription)
        .where(
            Subscription.tenant_id == tenant_id,
            Subscription.start_date <= now,
            or_(Subscription.end_date.is_(None), Subscription.end_date > now),
            Subscription.status.notin_(ENDED),
        )
        .order_by(Subscription.start_date.desc(), Subscription.id.desc())
        .limit(1)
    ).first()


def used(session: Session, tenant_id: int, kind: str) -> int:
    """Members, clients or stored bytes of the firm (`kind` of LIMIT_KINDS)."""
    return int(
        session.scalar(text("SELECT desktop_plan_usage(:t, :k)"), {"t": tenant_id, "k": kind})
    )


def usage(session: Session, tenant_id: int) -> Usage:
    return Usage(*(used(session, tenant_id, kind) for kind in LIMIT_KINDS))


def _limits(session: Session, tenant_id: int) -> dict[str, int | None]:
    subscription = current_subscription(session, tenant_id)
    if subscription is None:
        return {kind: None for kind in LIMIT_KINDS}
    return parse_limits(session.scalar(select(Plan.limits).where(Plan.id == subscription.plan_id)))


def size_text(n: int) -> str:
    if n >= 1024 * MIB:
        return f"{n / (1024 * MIB):,.1f} GB"
    if n >= MIB:
        return f"{n / MIB:,.1f} MB"
    return f"{n / 1024:,.0f} KB" if n >= 1024 else f"{n} bytes"


def check_limit(ctx: Context, kind: str, adding: int = 1) -> None:
    """Refuse (PlanLimitReached) when adding `adding` members / clients / bytes of storage
    would take the firm past its plan's limit."""
    limit = _limits(ctx.session, ctx.tenant_id).get(kind)
    if limit is None:
        return
    count = used(ctx.session, ctx.tenant_id, kind)
    if count + adding <= limit:
        return
    ask = "Ask your administrator to change the firm's plan (Admin → Plan)."
    if kind == "storage":
        message = (
            f"The firm's plan allows {size_text(limit)} of documents; {size_text(count)} are "
            f"stored and this file needs {size_text(adding)}. {ask}"
        )
    else:
        noun = "users" if kind == "users" else "clients"
        message = (
            f"The firm's plan allows {limit:,} {noun} and the firm has {count:,}: "
            f"no more {noun} can be added. {ask}"
        )
    raise PlanLimitReached(message, kind=kind, limit=limit, used=count)


def _may_see(ctx: Context) -> None:
    if not (ctx.can("users", "view") or ctx.can("settings", "view")):
        require(ctx, "settings", "view")


def plan_summary(ctx: Context) -> PlanSummary:
    _may_see(ctx)
    subscription = current_subscription(ctx.session, ctx.tenant_id)
    plan = ctx.session.get(Plan, subscription.plan_id) if subscription is not None else None
    return PlanSummary(
        plan_id=plan.id if plan else None,
        plan_name=plan.name if plan else None,
        description=plan.description if plan else None,
        monthly_price=plan.monthly_price if plan else None,
        yearly_price=plan.yearly_price if plan else None,
        limits=parse_limits(plan.limits if plan else None),
        subscription_id=subscription.id if subscription else None,
        status=subscription.status if subscription else None,
        start_date=subscription.start_date if subscription else None,
        end_date=subscription.end_date if subscription else None,
        renewal_date=subscription.renewal_date if subscription else None,
        usage=usage(ctx.session, ctx.tenant_id),
    )


def plan_choices(ctx: Context) -> list[tuple[str, int]]:
    """Every plan (plans are global), by name."""
    _may_see(ctx)
    rows = ctx.session.execute(select(Plan.name, Plan.id).order_by(Plan.name, Plan.id))
    return [(name, ident) for name, ident in rows]


def can_change_subscription(ctx: Context) -> bool:
    return ctx.can("subscriptions", "edit")


def change_subscription(
    ctx: Context, plan_id: Any, status: str = "active", renewal_date: datetime | None = None
) -> PlanSummary:
    """Put the firm on `plan_id` from now: the current subscription ends now and a new one
    starts (the history stays). SuperAdmin only."""
    if not can_change_subscription(ctx):
        raise PermissionDenied(
            f"Your role ({ctx.role_name}) may not change the firm's subscription: "
            "only a SuperAdmin can."
        )
    if not isinstance(plan_id, int) or isinstance(plan_id, bool):
        raise ValidationError(field_errors={"plan_id": "Choose a plan."})
    status = (status or "").strip()
    if status not in STATUSES:
        raise ValidationError(field_errors={"status": "Choose one of: " + ", ".join(STATUSES)})
    if ctx.session.get(Plan, plan_id) is None:
        raise NotFoundError("That plan no longer exists.")
    now = utcnow()
    with guarded(ctx.session):
        current = current_subscription(ctx.session, ctx.tenant_id)
        if current is not None:
            current.end_date = now
            current.status = "ended"
        ctx.session.add(
            Subscription(
                tenant_id=ctx.tenant_id,
                plan_id=plan_id,
                status=status,
                start_date=now,
                renewal_date=renewal_date,
            )
        )
        ctx.session.commit()
    return plan_summary(ctx)


# --------------------------------------------------------------------------------------------
# Administrator connection (the `gcmc plan` CLI): plans are global rows staff only read.


@dataclass(frozen=True)
class PlanRow:
    id: int
    name: str
    monthly_price: float | None
    limits: dict[str, int | None]


def all_plans(session: Session) -> list[PlanRow]:
    rows = session.scalars(select(Plan).order_by(Plan.name, Plan.id)).all()
    return [PlanRow(p.id, p.name, p.monthly_price, parse_limits(p.limits)) for p in rows]


def create_plan(
    session: Session,
    name: str,
    *,
    description: str | None = None,
    monthly_price: float | None = None,
    yearly_price: float | None = None,
    limits: Mapping[str, int] | None = None,
) -> PlanRow:
    if not (name or "").strip():
        raise ValidationError(field_errors={"name": "Give the plan a name."})
    if any(v < 0 for v in (limits or {}).values()):
        raise ValidationError(
            field_errors={"limits": "Limits cannot be negative (leave one out for no limit)."}
        )
    plan = Plan(
        name=name.strip(),
        description=description,
        monthly_price=monthly_price,
        yearly_price=yearly_price,
        limits=dict(limits or {}),
    )
    session.add(plan)
    session.flush()
    return PlanRow(plan.id, plan.name, plan.monthly_price, parse_limits(plan.limits))


def assign_plan(session: Session, tenant_id: int, plan_name: str, status: str = "active") -> int:
    """Put the firm on the plan named `plan_name` from now; the plan's id."""
    plan_id = session.scalar(select(Plan.id).where(Plan.name == plan_name).order_by(Plan.id))
    if plan_id is None:
        raise NotFoundError(f'There is no plan named "{plan_name}" (see `gcmc plan list`).')
    if status not in STATUSES:
        raise ValidationError(field_errors={"status": "Choose one of: " + ", ".join(STATUSES)})
    now = utcnow()
    current = current_subscription(session, tenant_id)
    if current is not None:
        current.end_date = now
        current.status = "ended"
    session.add(Subscription(tenant_id=tenant_id, plan_id=plan_id, status=status, start_date=now))
    session.flush()
    return plan_id
