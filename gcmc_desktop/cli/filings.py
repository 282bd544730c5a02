"""`gcmc filings …`: the recurring-filings run, for a scheduled task or by hand."""

from __future__ import annotations

import argparse

from .common import engine_for


def register(groups: argparse._SubParsersAction) -> None:
    parser = groups.add_parser("filings", help="filings: generate the recurring ones that are due")
    commands = parser.add_subparsers(dest="command", required=True, metavar="TASK")
    generate = commands.add_parser(
        "generate",
        help="create a draft filing for each period just ended of every active recurring "
        "schedule that is due (every firm); never twice for the same period",
    )
    generate.add_argument("--dry-run", action="store_true", help="list, do not create")
    generate.set_defaults(handler=cmd_generate)


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
