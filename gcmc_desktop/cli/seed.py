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
    from ..services.seed import seed_demo

    with engine_for(args) as engine, session_factory(engine)() as session:
        summary = seed_demo(session)
        session.commit()
    print(summary)
    return 0
