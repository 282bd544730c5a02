"""`gcmc plan …`: the platform's plans and a firm's subscription (administrator connection).
Plans are global rows; staff can only read them, so they are made here. A SuperAdmin changes a
firm's subscription in the app too (Admin → Plan)."""

from __future__ import annotations

import argparse

from ..db import session_factory
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


def _run(fn):
    try:
        return fn()
    except ServiceError as exc:
        details = "".join(f" {m}" for m in (getattr(exc, "field_errors", {}) or {}).values())
        raise CommandError((exc.message + details) if details else exc.message) from exc


def cmd_list(args: argparse.Namespace) -> int:
    with engine_for(args) as engine, session_factory(engine)() as session:
        rows = plans.all_plans(session)
    print(f"{'ID':>4}  {'PLAN':24} {'MONTHLY':>12}  LIMITS")
    for plan in rows:
        price = f"{plan.monthly_price:,.2f}" if plan.monthly_price is not None else "-"
        print(f"{plan.id:>4}  {plan.name[:24]:24} {price:>12}  {_limits_text(plan.limits)}")
    print(f"{len(rows)} plan(s).")
    return 0


def cmd_create(args: argparse.Namespace) -> int:
    limits = {}
    for key, value in (("users", args.users), ("clients", args.clients)):
        if value is not None:
            limits[key] = value
    if args.storage_mb is not None:
        limits["storageMb"] = args.storage_mb
    with engine_for(args) as engine, session_factory(engine)() as session:
        plan = _run(
            lambda: plans.create_plan(
                session,
                args.name,
                description=args.description,
                monthly_price=args.monthly,
                yearly_price=args.yearly,
                limits=limits,
            )
        )
        session.commit()
    print(f'Plan "{plan.name}" (id {plan.id}) created: {_limits_text(plan.limits)}.')
    return 0


def cmd_assign(args: argparse.Namespace) -> int:
    with engine_for(args) as engine, session_factory(engine)() as session:
        tenant = _run(lambda: users.tenant_id_by_code(session.connection(), args.tenant))
        _run(lambda: plans.assign_plan(session, tenant, args.plan, args.status))
        session.commit()
    print(f'{args.tenant} is on the plan "{args.plan}" ({args.status}) from now.')
    return 0
