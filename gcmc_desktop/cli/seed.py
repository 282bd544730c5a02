"""`gcmc seed demo`: load the demo tenant (idempotent)."""

from __future__ import annotations

import argparse

from ..db import session_factory
from .common import engine_for


def register(groups: argparse._SubParsersAction) -> None:
    parser = groups.add_parser("seed", help="load demo data")
    commands = parser.add_subparsers(dest="command", required=True, metavar="DATASET")
    commands.add_parser(
        "demo", help="the 'Demo Company' tenant, its users, types, services and clients"
    ).set_defaults(handler=cmd_demo)


def cmd_demo(args: argparse.Namespace) -> int:
    from ..services.seed import demo_credentials, seed_demo
    from ..services.users import ensure_login_roles

    with engine_for(args) as engine, session_factory(engine)() as session:
        summary = seed_demo(session)
        logins = ensure_login_roles(session.connection(), demo_credentials(True))
        session.commit()
    print(summary)
    if logins:
        print(f"Enabled desktop sign-in for {logins} demo user(s).")
    return 0
