"""`gcmc tenant …`: create and list tenants (firms)."""

from __future__ import annotations

import argparse

from ..db import session_factory
from ..services.errors import ServiceError
from ..services.tenancy import create_tenant, list_tenants
from .common import CommandError, engine_for


def register(groups: argparse._SubParsersAction) -> None:
    parser = groups.add_parser("tenant", help="tenants (firms): create, list")
    commands = parser.add_subparsers(dest="command", required=True, metavar="ACTION")
    create = commands.add_parser("create", help="create a tenant with the standard roles")
    create.add_argument("--name", required=True)
    create.add_argument("--code", required=True, help="lower-case letters, digits, hyphens")
    create.set_defaults(handler=cmd_create)
    commands.add_parser("list", help="list tenants").set_defaults(handler=cmd_list)


def cmd_create(args: argparse.Namespace) -> int:
    with engine_for(args) as engine, session_factory(engine)() as session:
        try:
            tenant = create_tenant(session, args.name, args.code)
            session.commit()
        except ServiceError as exc:
            details = "".join(
                f"\n  {f}: {m}" for f, m in (getattr(exc, "field_errors", {}) or {}).items()
            )
            raise CommandError(exc.message + details) from exc
        print(f'Tenant "{tenant.name}" ({tenant.code}, id {tenant.id}) created with its roles.')
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    with engine_for(args) as engine, session_factory(engine)() as session:
        rows = list_tenants(session)
    print(f"{'ID':>4}  {'CODE':24} {'NAME':36} MEMBERS")
    for tenant, members in rows:
        print(f"{tenant.id:>4}  {tenant.code:24} {tenant.name[:36]:36} {members}")
    return 0
