"""`gcmc user …`: create staff users, set passwords, disable, list (administrator connection)."""

from __future__ import annotations

import argparse
import getpass
import sys

from ..services import users
from ..services.errors import ServiceError
from .common import CommandError, engine_for


def register(groups: argparse._SubParsersAction) -> None:
    parser = groups.add_parser("user", help="staff users: create, set-password, disable, list")
    commands = parser.add_subparsers(dest="command", required=True, metavar="ACTION")

    create = commands.add_parser("create", help="create a user (or add them to another tenant)")
    create.add_argument("--tenant", required=True, metavar="CODE")
    create.add_argument("--email", required=True)
    create.add_argument("--name", required=True)
    create.add_argument("--role", required=True, help="role name, e.g. FirmAdmin or Viewer")
    _password_options(create)
    create.set_defaults(handler=cmd_create)

    password = commands.add_parser("set-password", help="set a user's password")
    password.add_argument("--email", required=True)
    _password_options(password)
    password.set_defaults(handler=cmd_set_password)

    disable = commands.add_parser("disable", help="stop a user from signing in")
    disable.add_argument("--email", required=True)
    disable.set_defaults(handler=cmd_disable)

    listing = commands.add_parser("list", help="list a tenant's users")
    listing.add_argument("--tenant", required=True, metavar="CODE")
    listing.set_defaults(handler=cmd_list)


def _password_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from standard input (else you are prompted)",
    )


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Repeat password: "):
        raise CommandError("The passwords do not match.")
    return first


def _run(fn):
    try:
        return fn()
    except ServiceError as exc:
        details = getattr(exc, "field_errors", {}) or {}
        extra = "".join(f"\n  {field}: {msg}" for field, msg in details.items())
        raise CommandError(exc.message + extra) from exc


def cmd_create(args: argparse.Namespace) -> int:
    password = _password(args)
    with engine_for(args) as engine, engine.begin() as conn:
        tenant = _run(lambda: users.tenant_id_by_code(conn, args.tenant))
        user_id = _run(
            lambda: users.create_user(conn, tenant, args.email, args.name, args.role, password)
        )
    print(f"User {args.email.strip().lower()} ({user_id}) is a {args.role} of {args.tenant}.")
    return 0


def cmd_set_password(args: argparse.Namespace) -> int:
    password = _password(args)
    with engine_for(args) as engine, engine.begin() as conn:
        user_id = _run(lambda: users.user_id_by_email(conn, args.email))
        _run(lambda: users.set_password(conn, user_id, password))
    print(f"Password set for {args.email.strip().lower()} (desktop and web).")
    return 0


def cmd_disable(args: argparse.Namespace) -> int:
    with engine_for(args) as engine, engine.begin() as conn:
        user_id = _run(lambda: users.user_id_by_email(conn, args.email))
        _run(lambda: users.disable_user(conn, user_id))
    print(f"{args.email.strip().lower()} can no longer sign in; their sessions were ended.")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    with engine_for(args) as engine, engine.connect() as conn:
        tenant = _run(lambda: users.tenant_id_by_code(conn, args.tenant))
        rows = users.list_users(conn, tenant)
    print(f"{'E-MAIL':36} {'NAME':28} {'ROLE':20} DESKTOP")
    for row in rows:
        state = "yes" if row.can_sign_in else "no"
        print(f"{row.email:36} {row.name[:28]:28} {row.role:20} {state}")
    print(f"{len(rows)} user(s).")
    return 0
