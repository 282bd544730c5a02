"""`gcmc notifications generate`: make the reminders that are due (services/notifications) for
every firm or one — for a scheduled task on the server, or by hand. Idempotent: running it
again, or while workstations run it, makes nothing twice."""

from __future__ import annotations

import argparse

from .common import CommandError, engine_for


def register(groups: argparse._SubParsersAction) -> None:
    parser = groups.add_parser("notifications", help="notifications: generate the reminders")
    commands = parser.add_subparsers(dest="command", required=True, metavar="TASK")
    generate = commands.add_parser(
        "generate",
        help="make the due reminders (filings, documents, tasks, requests waiting on the "
        "client) of every firm or one; never the same reminder twice",
    )
    generate.add_argument("--tenant", metavar="CODE", help="only this firm")
    generate.set_defaults(handler=cmd_generate)


def cmd_generate(args: argparse.Namespace) -> int:
    from ..db import session_factory
    from ..services import users
    from ..services.errors import ServiceError
    from ..services.notifications import generate_reminders

    with engine_for(args) as engine, session_factory(engine)() as session:
        tenant_id = None
        if args.tenant:
            try:
                tenant_id = users.tenant_id_by_code(session.connection(), args.tenant)
            except ServiceError as exc:  # names the unknown code
                raise CommandError(exc.message) from exc
        session.rollback()
        try:
            report = generate_reminders(session, tenant_id=tenant_id)
        except ServiceError as exc:
            raise CommandError(exc.message) from exc
    print(f"{report.summary()} ({report.tenants} firm(s), {report.seconds * 1000:.0f} ms)")
    return 0
