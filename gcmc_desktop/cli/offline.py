"""`gcmc offline …`: take clients out for offline review and bring the changes back (issue 18),
as a staff user (their own sign-in, row-level security on) — the same services the
application's Offline screens use.

    gcmc offline checkout --email E --client ID [--client ID …] [--all-versions] [--days N]
    gcmc offline status
    gcmc offline sync --email E [--mine]      (conflicts: keep theirs unless --mine)
    gcmc offline check-in --email E

The password is read from $GCMC_PASSWORD, else asked for."""

from __future__ import annotations

import argparse

from .common import CommandError, document_storage, signed_in


def register(groups: argparse._SubParsersAction) -> None:
    parser = groups.add_parser("offline", help="offline copies of clients (check out, sync)")
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
    out = verbs.add_parser("checkout", help="copy clients to this computer, encrypted")
    out.add_argument("--email", required=True, help="your sign-in e-mail")
    out.add_argument("--client", type=int, action="append", required=True, metavar="ID")
    out.add_argument(
        "--all-versions", action="store_true", help="every file version, not only the latest"
    )
    out.add_argument(
        "--days", type=int, default=14, help="how long the copy may be used (default 14)"
    )
    out.add_argument(
        "--folder", metavar="DIR", help="document folder (default: this workstation's storage)"
    )
    out.set_defaults(handler=cmd_checkout)
    st = verbs.add_parser("status", help="the offline copies on this computer and their changes")
    st.set_defaults(handler=cmd_status)
    sy = verbs.add_parser("sync", help="send the offline changes to the server")
    sy.add_argument("--email", required=True)
    sy.add_argument("--mine", action="store_true", help="on a conflict, keep my offline value")
    sy.set_defaults(handler=cmd_sync)
    ci = verbs.add_parser("check-in", help="release the clients and delete the local copy")
    ci.add_argument("--email", required=True)
    ci.set_defaults(handler=cmd_check_in)


def _my_copy(ctx):
    from ..services.offline import store

    for copy in store.copies():
        if copy.email == ctx.email and copy.tenant_code == ctx.tenant_code:
            return copy
    raise CommandError("This computer holds no offline copy of yours for this firm.")


def cmd_checkout(args: argparse.Namespace) -> int:
    from ..services.errors import ServiceError
    from ..services.offline import checkout

    ctx = signed_in(args)
    try:
        est = checkout.estimate(ctx, args.client, all_versions=args.all_versions)
        print(f"{est.clients} clients, {est.documents} documents, {est.files} files "
              f"({est.bytes / 1e6:.1f} MB)")  # fmt: skip
        result = checkout.check_out(
            ctx,
            args.client,
            all_versions=args.all_versions,
            days=args.days,
            storage=document_storage(args),
        )
    except ServiceError as exc:
        raise CommandError(exc.message) from exc
    until = f"{result.expires_at:%d %b %Y %H:%M} UTC"
    print(f"Checked out {result.clients} clients ({result.files} files, "
          f"{result.bytes / 1e6:.1f} MB on disk) until {until}.")  # fmt: skip
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from ..services.offline import store, sync

    copies = store.copies()
    if not copies:
        print("No offline copies on this computer.")
    for copy in copies:
        state = (
            "EXPIRED — sync it" if copy.expired else f"until {copy.expires_at:%d %b %Y %H:%M} UTC"
        )
        print(f"{copy.tenant_name} — {copy.user_name} <{copy.email}>: {copy.clients} clients, "
              f"{copy.pending_changes} changes pending, {state}")  # fmt: skip
        for line in sync.pending(copy):
            print(f"  {line}")
    return 0


def cmd_sync(args: argparse.Namespace) -> int:
    from ..services.errors import ServiceError
    from ..services.offline import sync

    ctx = signed_in(args)
    copy = _my_copy(ctx)
    try:
        report = sync.sync(ctx, copy, (lambda c: dict(c.mine)) if args.mine else (lambda c: None))
    except ServiceError as exc:
        raise CommandError(exc.message) from exc
    print(f"Applied {report.applied}, unchanged {report.skipped}, "
          f"conflicts resolved {report.conflicts_resolved}.")  # fmt: skip
    for line in report.kept_theirs:
        print(f"  kept theirs: {line}")
    for line in report.failed:
        print(f"  NOT SYNCED: {line}")
    return 1 if report.failed else 0


def cmd_check_in(args: argparse.Namespace) -> int:
    from ..services.errors import ServiceError
    from ..services.offline import sync

    ctx = signed_in(args)
    copy = _my_copy(ctx)
    try:
        sync.check_in(ctx, copy)
    except ServiceError as exc:
        raise CommandError(exc.message) from exc
    print("Checked in: the clients are released and the local copy is deleted.")
    return 0
