"""`gcmc`: the administration command line. Each verb group lives in its own module and calls
the same services as the GUI."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from sqlalchemy.exc import OperationalError

from . import (
    backup,
    db,
    filings,
    maintenance,
    notifications,
    offline,
    plans,
    reports,
    roles,
    scan,
    scores,
    seed,
    tenants,
    users,
)
from .common import CommandError

GROUPS = (
    db, seed, tenants, users, roles, plans, maintenance, backup, filings, scores, notifications,
    reports, offline, scan,
)  # fmt: skip


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gcmc",
        description="GCMC Desktop administration: database, demo data, users and maintenance.",
    )
    parser.add_argument(
        "--database-url",
        metavar="URL",
        help="postgresql://user:password@host:5432/db (default: $DATABASE_URL, "
        "else the embedded server)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="show progress details")
    groups = parser.add_subparsers(dest="group", required=True, metavar="COMMAND")
    for module in GROUPS:
        module.register(groups)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING)
    try:
        return int(args.handler(args) or 0)
    except CommandError as exc:
        print(f"gcmc: {exc}", file=sys.stderr)
        return exc.exit_code
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else "unknown reason"
        print(f"gcmc: cannot reach the database: {reason}", file=sys.stderr)
        return 3
    except KeyboardInterrupt:
        print("gcmc: interrupted", file=sys.stderr)
        return 130
