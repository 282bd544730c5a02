"""`gcmc role …`: a tenant's roles and their permission matrix."""

from __future__ import annotations

import argparse
from collections import defaultdict

from ..db import session_factory
from ..services import rbac, users
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
        roles = rbac.role_summaries(session, _tenant(session, args.tenant))
    print(f"{'ROLE':20} {'MEMBERS':>7} {'GRANTS':>6}  DESCRIPTION")
    for role in roles:
        print(f"{role.name:20} {role.members:>7} {role.grants:>6}  {role.description or ''}")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    with engine_for(args) as engine, session_factory(engine)() as session:
        tenant = _tenant(session, args.tenant)
        try:
            role, grants = rbac.role_permissions(session, tenant, args.name)
        except ServiceError as exc:
            raise CommandError(f'There is no role "{args.name}" in {args.tenant}.') from exc
    by_module: dict[str, list[str]] = defaultdict(list)
    for module, action in sorted(grants):
        by_module[module].append(action)
    print(f"{role.name}: {role.description or ''}")
    if not by_module:
        print("  (no permission rows: the built-in table for this role name applies)")
    for module, actions in sorted(by_module.items()):
        print(f"  {module:16} {', '.join(actions)}")
    return 0
