"""`gcmc scan watch`: a scanning station without a window (issue 17), for a scan PC that runs
as a service: watches a scan folder and files each scan behind its cover sheets through the
same services as the Scanning station window, as a staff user (their own sign-in, row-level
security on).

    gcmc scan watch --email E --scans DIR [--folder DIR] [--outbox DIR] [--ocr auto|rapidocr|
        tesseract|off] [--settle S] [--batch-quiet S] [--every S] [--exit-when-idle S]

The password is read from $GCMC_PASSWORD, else asked for. Stopped at any point (Ctrl+C, a
kill, a crash), it is simply started again: a scan not yet moved to processed/ is taken again
and the parts it filed before are recognised, not filed twice."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from .common import CommandError, document_storage, signed_in

OCR_CHOICES = ("auto", "rapidocr", "tesseract", "off")


def register(groups: argparse._SubParsersAction) -> None:
    parser = groups.add_parser("scan", help="file scans from a scan folder (no window)")
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
    watch = verbs.add_parser("watch", help="watch a scan folder and file what arrives")
    watch.add_argument("--email", required=True, help="the station's staff sign-in e-mail")
    watch.add_argument("--scans", required=True, metavar="DIR", help="the folder scans land in")
    watch.add_argument(
        "--folder", metavar="DIR", help="document folder (default: this workstation's storage)"
    )
    watch.add_argument("--outbox", metavar="DIR", help="upload outbox (default: this user's)")
    watch.add_argument("--ocr", choices=OCR_CHOICES, default="auto")
    watch.add_argument("--settle", type=float, default=2.0, help="seconds a file must hold still")
    watch.add_argument(
        "--batch-quiet",
        type=float,
        default=10.0,
        metavar="S",
        help="seconds loose numbered page images must hold still to be one batch",
    )
    watch.add_argument("--every", type=float, default=2.0, help="seconds between looks")
    watch.add_argument(
        "--exit-when-idle", type=float, metavar="S", help="stop after S seconds with nothing new"
    )
    watch.set_defaults(handler=cmd_watch)


def cmd_watch(args: argparse.Namespace) -> int:
    from ..services.errors import ServiceError
    from ..services.intake.pages import BrokenScan
    from ..services.intake.pickup import ScanFolder
    from ..services.intake.review import ReviewQueue
    from ..services.intake.station import ScanResult, take_scan
    from ..services.outbox import Outbox

    scans = Path(args.scans)
    if not scans.is_dir():
        raise CommandError(f"The scan folder {scans} does not exist.")
    ctx = signed_in(args)
    storage = document_storage(args)
    folder = ScanFolder(scans, settle=args.settle, batch_quiet=args.batch_quiet)
    # The window's review queue: what this station cannot file, staff assign in the window.
    review = ReviewQueue(scans / ".gcmc-intake" / "review")
    outbox = Outbox(Path(args.outbox)) if args.outbox else Outbox()
    print(f"Watching {scans} as {ctx.email} ({ctx.tenant_name}).", flush=True)
    idle_since = time.monotonic()
    try:
        while True:
            ready = folder.ready()
            for path in ready:
                try:
                    outcome = take_scan(
                        ctx,
                        folder,
                        path,
                        outbox=outbox,
                        storage=storage,
                        review=review,
                        ocr=args.ocr != "off",
                        ocr_engine=args.ocr if args.ocr != "off" else "auto",
                    )
                except ServiceError as exc:  # left in the folder: tried again next look
                    print(f"{path.name}: {exc.message}", flush=True)
                    continue
                if isinstance(outcome, ScanResult):
                    print(f"{path.name}: {outcome.summary}", flush=True)
                elif isinstance(outcome, BrokenScan):
                    print(f"{path.name}: moved to failed/ — {outcome.message}", flush=True)
                elif outcome:
                    print(outcome, flush=True)
            if ready:
                idle_since = time.monotonic()
            elif (
                args.exit_when_idle is not None
                and time.monotonic() - idle_since >= args.exit_when_idle
            ):
                return 0
            time.sleep(args.every)
    except KeyboardInterrupt:
        return 0
    finally:
        ctx.session.close()
