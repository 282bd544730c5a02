"""`gcmc seed demo`: load the demo tenant (idempotent)."""

from __future__ import annotations

import argparse

from ..db import session_factory
from .common import engine_for


def register(groups: argparse._SubParsersAction) -> None:
    parser = groups.add_parser("seed", help="load demo data")
    commands = parser.add_subparsers(dest="command", required=True, metavar="DATASET")
    demo = commands.add_parser(
        "demo", help="the 'Demo Company' tenant, its users, types, services and clients"
    )
    demo.add_argument(
        "--folder",
        help="where the demo documents' files go (default: this workstation's storage preference)",
    )
    demo.set_defaults(handler=cmd_demo)


def cmd_demo(args: argparse.Namespace) -> int:
    from ..services.demo.seed import demo_credentials, seed_demo
    from ..services.users import ensure_login_roles
    from .common import document_storage

    storage = document_storage(args)  # the demo documents get real files, where the app reads them
    with engine_for(args) as engine, session_factory(engine)() as session:
        summary = seed_demo(session, storage=storage)
        logins = ensure_login_roles(session.connection(), demo_credentials(True))
        session.commit()
    print(summary)
    if logins:
        print(f"Enabled desktop sign-in for {logins} demo user(s).")
    return 0
