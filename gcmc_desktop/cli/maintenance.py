"""`gcmc maintenance …`: housekeeping an administrator (or a scheduled task) runs."""

from __future__ import annotations

import argparse

from ..services.auth import delete_expired_sessions
from ..services.maintenance import refresh_statuses
from .common import engine_for


def register(groups: argparse._SubParsersAction) -> None:
    parser = groups.add_parser(
        "maintenance", help="housekeeping: expired sessions, document expiry"
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="TASK")
    commands.add_parser("sessions", help="delete expired login sessions").set_defaults(
        handler=cmd_sessions
    )
    commands.add_parser(
        "documents", help="mark valid documents whose latest version has expired as expired"
    ).set_defaults(handler=cmd_documents)


def cmd_sessions(args: argparse.Namespace) -> int:
    with engine_for(args) as engine:
        removed = delete_expired_sessions(engine)
    print(f"Deleted {removed} expired session(s).")
    return 0


def cmd_documents(args: argparse.Namespace) -> int:
    with engine_for(args) as engine:
        changed = refresh_statuses(engine)
    print(f"Marked {changed} document(s) expired.")
    return 0
