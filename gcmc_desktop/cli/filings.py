"""`gcmc filings …`: the recurring-filings run, for a scheduled task or by hand, and the list
of filings falling due (a table to read, or CSV for a spreadsheet)."""

from __future__ import annotations

import argparse
import csv
import sys

from .common import CommandError, engine_for


def register(groups: argparse._SubParsersAction) -> None:
    parser = groups.add_parser(
        "filings", help="filings: generate the recurring ones that are due, list those falling due"
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="TASK")
    generate = commands.add_parser(
        "generate",
        help="create a draft filing for each period just ended of every active recurring "
        "schedule that is due (every firm); never twice for the same period",
    )
    generate.add_argument("--dry-run", action="store_true", help="list, do not create")
    generate.set_defaults(handler=cmd_generate)

    listing = commands.add_parser(
        "list", help="the open filings due within N days, soonest first (every firm, or one)"
    )
    listing.add_argument(
        "--due-within", type=int, default=30, metavar="DAYS", help="days from today (30)"
    )
    listing.add_argument(
        "--overdue", action="store_true", help="also the open filings whose due date has passed"
    )
    listing.add_argument("--tenant", metavar="CODE", help="only this firm")
    listing.add_argument(
        "--format", choices=("table", "csv"), default="table", help="table (default) or csv"
    )
    listing.set_defaults(handler=cmd_list)


def cmd_generate(args: argparse.Namespace) -> int:
    from ..db import session_factory
    from ..services.recurring import generate_due_filings

    with engine_for(args) as engine, session_factory(engine)() as session:
        report = generate_due_filings(session, dry_run=args.dry_run)
    for item in report.created:
        print(
            f"  firm {item['tenant_id']}: {item['client_name']} - {item['filing_type_code']} "
            f"{item['period_label']} (due {item['due_date']})"
        )
    verb = "Would create" if args.dry_run else "Created"
    print(
        f"{verb} {len(report.created)} filing(s) from {report.schedules} due schedule(s); "
        f"{report.already_there} period(s) already had one."
    )
    if report.due_dates_corrected:
        print(f"Corrected the due date of {report.due_dates_corrected} filing(s).")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from ..db import session_factory
    from ..services import users
    from ..services.deadlines import DUE_REPORT_COLUMNS, due_filings
    from ..services.errors import ServiceError

    if args.due_within < 0:
        raise CommandError("--due-within takes a number of days, 0 or more.", exit_code=2)
    with engine_for(args) as engine, session_factory(engine)() as session:
        tenant_id = None
        if args.tenant:
            try:
                tenant_id = users.tenant_id_by_code(session.connection(), args.tenant)
            except ServiceError as exc:  # names the unknown code
                raise CommandError(exc.message) from exc
        rows = due_filings(
            session, within_days=args.due_within, overdue=args.overdue, tenant_id=tenant_id
        )
    keys = [key for key, _title in DUE_REPORT_COLUMNS]
    if args.format == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow([title for _key, title in DUE_REPORT_COLUMNS])
        for row in rows:
            writer.writerow([_cell(row[key]) for key in keys])
        return 0
    print(" ".join(_fit(title.upper(), key) for key, title in DUE_REPORT_COLUMNS))
    for row in rows:
        print(" ".join(_fit(_cell(row[key]), key) for key in keys))
    late = sum(1 for row in rows if row["days_left"] < 0)
    extra = f", {late} overdue" if late else ""
    print(f"{len(rows)} filing(s) due within {args.due_within} day(s){extra}.")
    return 0


def _cell(value: object) -> str:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


# The table's column widths (CSV has none).
WIDTHS = {"firm": 10, "client": 28, "business": 20, "filing_type": 16, "authority": 9}
WIDTHS |= {"period": 14, "due_date": 10, "days_left": 9, "status": 9, "reference": 14}


def _fit(text: str, key: str) -> str:
    return text[: WIDTHS[key]].ljust(WIDTHS[key])
