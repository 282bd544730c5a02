"""`gcmc maintenance …`: housekeeping an administrator (or a scheduled task) runs."""

from __future__ import annotations

import argparse

from ..services.auth import delete_expired_sessions
from .common import engine_for


def register(groups: argparse._SubParsersAction) -> None:
    parser = groups.add_parser("maintenance", help="housekeeping: expired sessions")
    commands = parser.add_subparsers(dest="command", required=True, metavar="TASK")
    commands.add_parser("sessions", help="delete expired login sessions").set_defaults(
        handler=cmd_sessions
    )


def cmd_sessions(args: argparse.Namespace) -> int:
    with engine_for(args) as engine:
        removed = delete_expired_sessions(engine)
    print(f"Deleted {removed} expired session(s).")
    return 0
