"""`gcmc plan …`: the platform's plans and a firm's subscription (administrator connection).
Plans are global rows; staff can only read them, so they are made here. A SuperAdmin changes a
firm's subscription in the app too (Admin → Plan)."""

from __future__ import annotations

import argparse

from sqlalchemy import select

from ..db import session_factory
from ..models import Plan, Subscription, utcnow
from ..services import plans, users
from ..services.errors import ServiceError
from .common import CommandError, engine_for


def register(groups: argparse._SubParsersAction) -> None:
    parser = groups.add_parser("plan", help="plans and subscriptions: list, create, assign")
    commands = parser.add_subparsers(dest="command", required=True, metavar="ACTION")
    commands.add_parser("list", help="every plan and its limits").set_defaults(handler=cmd_list)
    create = commands.add_parser("create", help="a new plan")
    create.add_argument("--name", required=True)
    create.add_argument("--description")
    create.add_argument("--users", type=int, help="most members a firm may have")
    create.add_argument("--clients", type=int, help="most clients a firm may have")
    create.add_argument("--storage-mb", type=int, help="most document storage, in MiB")
    create.add_argument("--monthly", type=float, help="monthly price (GYD)")
    create.add_argument("--yearly", type=float, help="yearly price (GYD)")
    create.set_defaults(handler=cmd_create)
    assign = commands.add_parser("assign", help="put a firm on a plan from now")
    assign.add_argument("--tenant", required=True, metavar="CODE")
    assign.add_argument("--plan", required=True, metavar="NAME")
    assign.add_argument("--status", default="active", choices=plans.STATUSES)
    assign.set_defaults(handler=cmd_assign)


def _limits_text(limits: dict) -> str:
    parts = []
    for kind in plans.LIMIT_KINDS:
        value = limits.get(kind)
        if value is not None:
            parts.append(f"{kind} {plans.size_text(value) if kind == 'storage' else value}")
    return ", ".join(parts) or "no limits"


def cmd_list(args: argparse.Namespace) -> int:
    with engine_for(args) as engine, session_factory(engine)() as session:
        rows = session.scalars(select(Plan).order_by(Plan.name, Plan.id)).all()
        print(f"{'ID':>4}  {'PLAN':24} {'MONTHLY':>12}  LIMITS")
        for plan in rows:
            price = f"{plan.monthly_price:,.2f}" if plan.monthly_price is not None else "-"
            limits = _limits_text(plans.parse_limits(plan.limits))
            print(f"{plan.id:>4}  {plan.name[:24]:24} {price:>12}  {limits}")
    print(f"{len(rows)} plan(s).")
    return 0


def cmd_create(args: argparse.Namespace) -> int:
    if not args.name.strip():
        raise CommandError("Give the plan a name.")
    limits = {}
    for key, value in (("users", args.users), ("clients", args.clients)):
        if value is not None:
            limits[key] = value
    if args.storage_mb is not None:
        limits["storageMb"] = args.storage_mb
    if any(v < 0 for v in limits.values()):
        raise CommandError("Limits cannot be negative (leave one out for no limit).")
    with engine_for(args) as engine, session_factory(engine)() as session:
        plan = Plan(
            name=args.name.strip(),
            description=args.description,
            monthly_price=args.monthly,
            yearly_price=args.yearly,
            limits=limits,
        )
        session.add(plan)
        session.commit()
        described = _limits_text(plans.parse_limits(limits))
        print(f'Plan "{plan.name}" (id {plan.id}) created: {described}.')
    return 0


def cmd_assign(args: argparse.Namespace) -> int:
    with engine_for(args) as engine, session_factory(engine)() as session:
        try:
            tenant = users.tenant_id_by_code(session.connection(), args.tenant)
        except ServiceError as exc:
            raise CommandError(exc.message) from exc
        plan = session.scalar(select(Plan).where(Plan.name == args.plan).order_by(Plan.id))
        if plan is None:
            raise CommandError(f'There is no plan named "{args.plan}" (see `gcmc plan list`).')
        now = utcnow()
        current = plans.current_subscription(session, tenant)
        if current is not None:
            current.end_date = now
            current.status = "ended"
        session.add(
            Subscription(tenant_id=tenant, plan_id=plan.id, status=args.status, start_date=now)
        )
        session.commit()
    print(f'{args.tenant} is on the plan "{plan.name}" ({args.status}) from now.')
    return 0
