"""Benchmark the reminder generator and the inbox (issue 15), as a staff user (own PostgreSQL
login, RLS on):

    uv run python bench/notifications.py [--clients 10000] [--inbox 200000]

Starts its own embedded PostgreSQL (temporary directory), loads the compliance benchmark's
firm (bench/compliance.py: N clients, 20 documents and 10 filings each, open filings partly
overdue, one in ten latest versions expiring within 30 days) plus 2 staff tasks per client (due
from 40 days ago to 10 days ahead, a third assigned to the FirmAdmin, a third to the
ComplianceManager, the rest to nobody) and one service request per client (one in five waiting
on the client for 8–60 days). Then, signed in as the FirmAdmin through the real sign-in
service: a first reminder run (makes them all), a second run (makes nothing: what every
workstation pays at start and hourly), and two runs at once on two connections (nothing
twice). Then the inbox: --inbox more notifications for the FirmAdmin (written as the owner),
and the page's first page, the next page, the unread filter, the unread count and "Mark all
read" timed as the FirmAdmin.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from compliance import ADMIN_EMAIL, admin_context, prepare_database  # the same firm

MANAGER_EMAIL = "manager@bench.gy"
MANAGER_PASSWORD = "Correct-Horse-44"
PAGE = 100

EXTRA_SQL = """
INSERT INTO tasks ("tenantId", "clientId", title, status, priority, "dueDate",
                   "assignedToId", "updatedAt")
SELECT c."tenantId", c.id, 'Task ' || k || ' for client ' || c.id,
       CASE WHEN h < 70 THEN 'open' WHEN h < 85 THEN 'in_progress' ELSE 'completed' END,
       'medium', now() + ((h % 51) - 40) * interval '1 day',
       CASE c.id % 3 WHEN 0 THEN :admin WHEN 1 THEN :manager END, now()
FROM clients c, generate_series(1, 2) k,
     LATERAL (SELECT abs(hashint4(c.id * 7 + k)::bigint) % 100 AS h) x
WHERE c."tenantId" = :t;
INSERT INTO services ("tenantId", name, category, "basePrice", "updatedAt")
VALUES (:t, 'Work permit', 'Immigration', 0, now());
INSERT INTO service_requests ("tenantId", "clientId", "serviceId", status, priority, metadata,
                              "updatedAt")
SELECT c."tenantId", c.id, (SELECT id FROM services WHERE "tenantId" = :t LIMIT 1),
       CASE WHEN c.id % 5 = 0 THEN 'awaiting_client' ELSE 'in_progress' END, 'medium',
       CASE WHEN c.id % 2 = 0 THEN jsonb_build_object('assignedToId', CAST(:manager AS text)) END,
       now() - (8 + c.id % 53) * interval '1 day'
FROM clients c WHERE c."tenantId" = :t
"""


def load_extra(url, tenant_id: int) -> None:
    from sqlalchemy import text

    from gcmc_desktop.db import make_engine
    from gcmc_desktop.services import users

    engine = make_engine(url)
    with engine.begin() as conn:
        users.create_user(
            conn, tenant_id, MANAGER_EMAIL, "Bench Manager", "ComplianceManager",
            MANAGER_PASSWORD,
        )  # fmt: skip
        ids = dict(conn.execute(text('SELECT email, _id FROM "user"')).all())
        params = {"t": tenant_id, "admin": ids[ADMIN_EMAIL], "manager": ids[MANAGER_EMAIL]}
        for statement in EXTRA_SQL.split(";\n"):
            conn.execute(text(statement), params)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in ("tasks", "service_requests", "tenant_users", "roles"):
            conn.execute(text(f"VACUUM ANALYZE {table}"))
    engine.dispose()


def manager_context(url):
    from compliance import GATEWAY_PASSWORD

    from gcmc_desktop.services.auth import ServerProfile, open_context, sign_in

    profile = ServerProfile(
        url.set(username=None, password=None),
        url.set(username="gcmc_login", password=GATEWAY_PASSWORD),
    )
    return open_context(sign_in(profile, MANAGER_EMAIL, MANAGER_PASSWORD))


def timed(fn, repeat: int = 5) -> tuple[float, object]:
    """The median of `repeat` runs, in ms, and the last result."""
    samples, result = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        samples.append((time.perf_counter() - t) * 1000)
    return statistics.median(samples), result


def fill_inbox(url, tenant_id: int, user_id: str, n: int) -> None:
    from sqlalchemy import text

    from gcmc_desktop.db import make_engine

    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                'INSERT INTO notifications ("tenantId", "recipientUserId", type, "channelStatus",'
                " message, metadata, \"createdAt\") SELECT :t, :u, 'in_app', 'sent',"
                " 'Bench notification ' || g, jsonb_build_object('kind', 'task_due'),"
                " now() - g * interval '1 minute' FROM generate_series(1, :n) g"
            ),
            {"t": tenant_id, "u": user_id, "n": n},
        )
        # Half of them read.
        conn.execute(
            text(
                'INSERT INTO desktop_notification_reads ("notificationId", "userId")'
                ' SELECT id, :u FROM notifications WHERE "recipientUserId" = :u AND id % 2 = 0'
            ),
            {"u": user_id},
        )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE notifications"))
        conn.execute(text("VACUUM ANALYZE desktop_notification_reads"))
    engine.dispose()


class Lines(list):
    """The report's lines, printed as they come too (a failure later loses none)."""

    def append(self, line: str) -> None:
        print(line, flush=True)
        super().append(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=10_000)
    parser.add_argument("--inbox", type=int, default=200_000)
    args = parser.parse_args()

    from gcmc_desktop.db.embedded import server_url, start_server
    from gcmc_desktop.services import notifications

    pgdata = Path(tempfile.mkdtemp(prefix="gcmc-bench-")) / "pgdata"
    lines = Lines()
    try:
        server = start_server(pgdata)
        url, tenant_id = prepare_database(server_url(server), args.clients)
        load_extra(url, tenant_id)
        ctx = admin_context(url)
        other = manager_context(url)
        print(f"Signed in as {ctx.email} ({ctx.role_name}), RLS on.")

        t = time.perf_counter()
        first = notifications.generate_reminders(ctx)
        first_ms = (time.perf_counter() - t) * 1000
        lines.append(f"  first run          {first_ms:8.0f} ms  {first.summary()}")
        again_ms, again = timed(lambda: notifications.generate_reminders(ctx))
        lines.append(f"  later run (median) {again_ms:8.0f} ms  {again.summary()}")

        # Two workstations at once, after a day's worth of new subjects (due dates moved).
        from sqlalchemy import create_engine, text

        owner = create_engine(url)
        with owner.begin() as conn:
            conn.execute(
                text(
                    'UPDATE desktop_filing_due_dates SET "dueDate" = current_date + 1'
                    ' WHERE "tenantId" = :t AND "open" AND "filingId" % 7 = 0'
                ),
                {"t": tenant_id},
            )
        owner.dispose()
        counts: list[int] = []
        barrier = threading.Barrier(2)

        def run(c) -> None:
            barrier.wait()
            counts.append(notifications.generate_reminders(c).created)

        threads = [threading.Thread(target=run, args=(c,)) for c in (ctx, other)]
        t = time.perf_counter()
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        both_ms = (time.perf_counter() - t) * 1000
        dupes = ctx.session.execute(
            text(
                "SELECT count(*) - count(DISTINCT (metadata->>'subjectType', "
                "metadata->>'subjectId', metadata->>'threshold', \"recipientUserId\")) "
                'FROM notifications WHERE "tenantId" = :t'
            ),
            {"t": tenant_id},
        ).scalar_one()
        ctx.session.rollback()
        lines.append(
            f"  two runs at once   {both_ms:8.0f} ms  made {counts} (together {sum(counts):,}); "
            f"duplicates: {dupes}"
        )

        # The inbox.
        fill_inbox(url, tenant_id, ctx.user_id, args.inbox)
        total = notifications.unread_count(ctx)
        ctx.session.rollback()
        query = notifications.inbox_query(ctx)

        def first_page():
            with ctx.reading() as s:
                return query.first_page(s, PAGE)

        page_ms, page = timed(first_page)

        def next_page():
            with ctx.reading() as s:
                return query.next_page(s, page.cursor, PAGE)

        next_ms, _ = timed(next_page)
        unread_query = query.clone()
        unread_query.set_filter(notifications.UNREAD, True)

        def unread_page():
            with ctx.reading() as s:
                return unread_query.first_page(s, PAGE)

        unread_ms, _ = timed(unread_page)

        def count():
            with ctx.worker() as w:
                return notifications.unread_count(w)

        count_ms, unread = timed(count)
        t = time.perf_counter()
        marked = notifications.mark_all_read(ctx)
        mark_ms = (time.perf_counter() - t) * 1000
        mine = ctx.session.execute(
            text('SELECT count(*) FROM notifications WHERE "recipientUserId" = :u'),
            {"u": ctx.user_id},
        ).scalar_one()
        ctx.session.rollback()
        lines.append(f"  inbox of {mine:,} notifications ({total:,} unread before the count):")
        lines.append(f"    first page ({PAGE})   {page_ms:8.1f} ms")
        lines.append(f"    next page           {next_ms:8.1f} ms")
        lines.append(f"    unread filter page  {unread_ms:8.1f} ms")
        lines.append(f"    unread count        {count_ms:8.1f} ms  ({unread:,})")
        lines.append(f"    mark all read       {mark_ms:8.0f} ms  ({len(marked):,} rows)")
        ctx.session.close()
        other.session.close()
    finally:
        with contextlib.suppress(Exception):
            server.cleanup()  # type: ignore[possibly-undefined]
        shutil.rmtree(pgdata.parent, ignore_errors=True)

    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print()
    print(f"Reminders and inbox, {args.clients:,} clients (one firm), as a staff FirmAdmin")
    print(f"Machine: {os.cpu_count()} CPU cores, load average {load}.")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
