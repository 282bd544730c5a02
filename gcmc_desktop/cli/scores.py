"""`gcmc scores …`: recalculate the compliance scores (DOMAIN.md §3, services/compliance_scoring)
of every firm, one firm, or one client — for a nightly scheduled task or by hand."""

from __future__ import annotations

import argparse

from .common import CommandError, engine_for


def register(groups: argparse._SubParsersAction) -> None:
    parser = groups.add_parser("scores", help="compliance scores: recalculate them")
    commands = parser.add_subparsers(dest="command", required=True, metavar="TASK")
    recalc = commands.add_parser(
        "recalculate",
        help="recalculate the compliance score of every client (every firm, one firm or one "
        "client), in one transaction",
    )
    recalc.add_argument("--tenant", metavar="CODE", help="only this firm")
    recalc.add_argument("--client", type=int, metavar="ID", help="only this client (its firm)")
    recalc.set_defaults(handler=cmd_recalculate)


def cmd_recalculate(args: argparse.Namespace) -> int:
    from ..db import session_factory
    from ..services import users
    from ..services.compliance_scoring import client_tenant, recalculate
    from ..services.errors import ServiceError

    with engine_for(args) as engine, session_factory(engine)() as session:
        tenant_id = None
        if args.tenant:
            try:
                tenant_id = users.tenant_id_by_code(session.connection(), args.tenant)
            except ServiceError as exc:  # names the unknown code
                raise CommandError(exc.message) from exc
        client_ids = None
        if args.client is not None:
            owner = client_tenant(session, args.client)
            if owner is None or (tenant_id is not None and owner != tenant_id):
                raise CommandError(
                    f"No client {args.client}"
                    + (f" in firm {args.tenant}." if tenant_id is not None else ".")
                )
            tenant_id, client_ids = owner, [args.client]
        session.rollback()
        report = recalculate(session, tenant_id=tenant_id, client_ids=client_ids)
    print(
        f"Recalculated {report.clients} client score(s) in {report.tenants} firm(s) "
        f"in {report.seconds * 1000:.0f} ms; {report.changed} changed."
    )
    return 0
