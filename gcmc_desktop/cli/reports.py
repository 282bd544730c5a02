"""`gcmc reports KIND --client ID --out FILE`: one client's report as a PDF (DOMAIN.md §10),
or with several `--client`s (or `--out` ending in .zip) one PDF per client in a ZIP — the
same services the application's Reports menu uses."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .common import CommandError, engine_for

KIND_NAMES = {
    "client-file": "client_file",
    "compliance": "compliance",
    "documents": "documents",
    "filings": "filings",
    "services": "services",
}


def register(groups: argparse._SubParsersAction) -> None:
    parser = groups.add_parser("reports", help="client reports as PDF (or a ZIP of PDFs)")
    parser.add_argument("kind", choices=sorted(KIND_NAMES), help="which report")
    parser.add_argument(
        "--client", type=int, action="append", required=True, metavar="ID",
        help="the client (repeat for several: a ZIP of one PDF each)",
    )  # fmt: skip
    parser.add_argument("--out", required=True, metavar="FILE", help="the PDF (or .zip) to write")
    parser.set_defaults(handler=cmd_report)


def cmd_report(args: argparse.Namespace) -> int:
    from ..db import session_factory
    from ..services.errors import ServiceError
    from ..services.reports import batch_zip, gather, render_pdf
    from ..services.reports.admin import administrator_context

    kind = KIND_NAMES[args.kind]
    out = Path(args.out)
    if not out.parent.is_dir():
        raise CommandError(f"The folder {out.parent} does not exist.")
    many = len(args.client) > 1 or out.suffix.lower() == ".zip"
    with engine_for(args) as engine, session_factory(engine)() as session:
        try:
            ctx = administrator_context(session, args.client[0])
            if many:
                others = [c for c in args.client if c != args.client[0]]
                for client_id in others:  # one firm per archive: the first client's
                    if administrator_context(session, client_id).tenant_id != ctx.tenant_id:
                        raise CommandError(f"Client {client_id} belongs to another firm.")
                ctx = administrator_context(session, args.client[0])
                result = batch_zip(
                    ctx,
                    args.client,
                    out,
                    kind=kind,
                    progress=lambda d, t, m: print(m, file=sys.stderr) if args.verbose else None,
                )
                print(f"Wrote {len(result.written)} report(s) to {out}.")
                for client_id, reason in result.skipped:
                    print(f"Skipped client {client_id}: {reason}", file=sys.stderr)
                return 0
            report = gather(ctx, kind, args.client[0])
            out.write_bytes(render_pdf(report))
        except ServiceError as exc:
            raise CommandError(exc.message) from exc
    print(f"Wrote {report.title.lower()} of {report.client} to {out}.")
    return 0
