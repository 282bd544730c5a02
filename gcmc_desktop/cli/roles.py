"""`gcmc role …`: a tenant's roles and their permission matrix."""

from __future__ import annotations

import argparse
from collections import defaultdict

from sqlalchemy import func, select

from ..db import session_factory
from ..models import Permission, Role, TenantUser
from ..services import users
from ..services.errors import ServiceError
from .common import CommandError, engine_for


def register(groups: argparse._SubParsersAction) -> None:
    parser = groups.add_parser("role", help="roles and permissions: list, show")
    commands = parser.add_subparsers(dest="command", required=True, metavar="ACTION")
    listing = commands.add_parser("list", help="a tenant's roles")
    listing.add_argument("--tenant", required=True, metavar="CODE")
    listing.set_defaults(handler=cmd_list)
    show = commands.add_parser("show", help="one role's permissions")
    show.add_argument("name")
    show.add_argument("--tenant", required=True, metavar="CODE")
    show.set_defaults(handler=cmd_show)


def _tenant(session, code: str) -> int:
    try:
        return users.tenant_id_by_code(session.connection(), code)
    except ServiceError as exc:
        raise CommandError(exc.message) from exc


def cmd_list(args: argparse.Namespace) -> int:
    with engine_for(args) as engine, session_factory(engine)() as session:
        tenant = _tenant(session, args.tenant)
        members = select(func.count()).where(TenantUser.role_id == Role.id).scalar_subquery()
        grants = select(func.count()).where(Permission.role_id == Role.id).scalar_subquery()
        rows = session.execute(
            select(Role.name, members, grants, Role.description)
            .where(Role.tenant_id == tenant)
            .order_by(Role.name)
        ).all()
    print(f"{'ROLE':20} {'MEMBERS':>7} {'GRANTS':>6}  DESCRIPTION")
    for name, member_count, grant_count, description in rows:
        print(f"{name:20} {member_count:>7} {grant_count:>6}  {description or ''}")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    with engine_for(args) as engine, session_factory(engine)() as session:
        tenant = _tenant(session, args.tenant)
        role = session.scalar(select(Role).where(Role.tenant_id == tenant, Role.name == args.name))
        if role is None:
            raise CommandError(f'There is no role "{args.name}" in {args.tenant}.')
        by_module: dict[str, list[str]] = defaultdict(list)
        for permission in sorted(role.permissions, key=lambda p: (p.module, p.action)):
            if permission.allowed:
                by_module[permission.module].append(permission.action)
    print(f"{role.name}: {role.description or ''}")
    if not by_module:
        print("  (no permission rows: the built-in table for this role name applies)")
    for module, actions in sorted(by_module.items()):
        print(f"  {module:16} {', '.join(actions)}")
    return 0
