"""`gcmc db …`: migrate, inspect, reset and adopt the database."""

from __future__ import annotations

import argparse
import time

from ..db import migrate
from .common import CommandError, engine_for, target


def register(groups: argparse._SubParsersAction) -> None:
    parser = groups.add_parser(
        "db", help="database schema: upgrade, downgrade, current, reset, adopt"
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="ACTION")

    upgrade = commands.add_parser("upgrade", help="migrate to the newest schema (or REVISION)")
    upgrade.add_argument("revision", nargs="?", default="head")
    upgrade.set_defaults(handler=cmd_upgrade)

    downgrade = commands.add_parser("downgrade", help="revert to REVISION ('base' = empty)")
    downgrade.add_argument("revision")
    downgrade.set_defaults(handler=cmd_downgrade)

    commands.add_parser("current", help="show the schema revision").set_defaults(
        handler=cmd_current
    )

    reset = commands.add_parser("reset", help="drop everything and recreate the schema")
    reset.add_argument("--yes", action="store_true", help="confirm: all data will be lost")
    reset.set_defaults(handler=cmd_reset)

    commands.add_parser(
        "adopt", help="take over a database the web platform created (verify, stamp, upgrade)"
    ).set_defaults(handler=cmd_adopt)

    gateway = commands.add_parser(
        "login-gateway",
        help="set the password of gcmc_login, the role workstations use before sign-in",
    )
    gateway.add_argument("--password-stdin", action="store_true")
    gateway.set_defaults(handler=cmd_login_gateway)


def cmd_upgrade(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    with engine_for(args) as engine:
        before = migrate.current_revision(engine)
        try:
            migrate.upgrade(engine, args.revision)
        except migrate.MigrationBlocked as exc:
            raise CommandError(str(exc), exit_code=4) from exc
        after = migrate.current_revision(engine)
    elapsed = time.perf_counter() - started
    if before == after:
        print(f"Already at {after}.")
    else:
        print(f"Upgraded {before or 'empty database'} → {after} in {elapsed:.2f} s.")
    return 0


def cmd_downgrade(args: argparse.Namespace) -> int:
    with engine_for(args) as engine:
        migrate.downgrade(engine, args.revision)
        print(f"Now at {migrate.current_revision(engine) or 'base (no tables)'}.")
    return 0


def cmd_current(args: argparse.Namespace) -> int:
    where = target(args).describe()
    with engine_for(args) as engine:
        current = migrate.current_revision(engine)
    head = migrate.head_revision()
    if current is None:
        print(f"{where}: not managed by GCMC Desktop (no schema revision).")
    elif current == head:
        print(f"{where}: {current} (up to date)")
    else:
        print(f"{where}: {current} (newest is {head}; run `gcmc db upgrade`)")
    return 0


def cmd_reset(args: argparse.Namespace) -> int:
    if not args.yes:
        raise CommandError(
            f"This deletes ALL data in {target(args).describe()}. Re-run with --yes to confirm."
        )
    with engine_for(args) as engine:
        migrate.reset(engine)
        print(f"Database reset; schema at {migrate.current_revision(engine)}.")
    return 0


def cmd_adopt(args: argparse.Namespace) -> int:
    with engine_for(args) as engine:
        try:
            report = migrate.adopt(engine)
        except migrate.AdoptError as exc:
            raise CommandError(str(exc)) from exc
        print(report)
        print(f"Adopted: baseline stamped, schema now at {migrate.current_revision(engine)}.")
    return 0


def cmd_login_gateway(args: argparse.Namespace) -> int:
    from ..services.auth import set_gateway_password
    from .users import _password

    password = _password(args)
    if len(password) < 12:
        raise CommandError("Use at least 12 characters for the gateway password.")
    with engine_for(args) as engine:
        set_gateway_password(engine, password)
    print("gcmc_login may now connect; give workstations this password in their profile.")
    return 0
