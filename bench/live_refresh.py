"""Live refresh between two workstations: how long from a commit on workstation A until the new
row is in workstation B's clients list model — B never presses F5.

    QT_QPA_PLATFORM=offscreen uv run python bench/live_refresh.py [--runs 50]

Starts its own embedded PostgreSQL in a temporary directory, migrates it, and creates a firm
with two staff users. Both sign in through the real sign-in service as their own PostgreSQL
logins (row-level security on). B has the real clients list (PagedTableModel over the app's list
query), subscribed to the change bus, and the real ChangeListener on its own connection. A
creates clients through the clients service; each run measures, on B's side:

  notified     A sends COMMIT → B's listener has the notification
  visible      A sends COMMIT → B's model holds the new row (bus pause + page reload)

For comparison: without live refresh the row appears only when B presses F5.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

PASSWORD = "Bench-Pass-2026!"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()

    from PySide6.QtWidgets import QApplication
    from sqlalchemy import event

    from gcmc_desktop.db import make_engine, migrate, session_factory
    from gcmc_desktop.db.embedded import ensure_database, server_url, start_server
    from gcmc_desktop.services import auth, clients, users
    from gcmc_desktop.services.changes import ChangeListener
    from gcmc_desktop.services.client_list import client_list_query
    from gcmc_desktop.services.tenancy import create_tenant
    from gcmc_desktop.views.kit.bus import change_bus
    from gcmc_desktop.views.table_model import PagedTableModel

    app = QApplication.instance() or QApplication([])
    root = Path(tempfile.mkdtemp(prefix="gcmc-bench-live-"))
    server = start_server(root / "pgdata")
    try:
        ensure_database(server_url(server), "gcmc_bench")
        url = server_url(server, "gcmc_bench")
        admin = make_engine(url)
        migrate.upgrade(admin)
        gateway_password = secrets.token_hex(12)
        auth.set_gateway_password(admin, gateway_password)
        with session_factory(admin)() as session:
            tenant = create_tenant(session, "Live Bench", "live").id
            session.commit()
        with admin.begin() as conn:
            users.create_user(conn, tenant, "a@live.gy", "Workstation A", "FirmAdmin", PASSWORD)
            users.create_user(conn, tenant, "b@live.gy", "Workstation B", "Viewer", PASSWORD)
        profile = auth.ServerProfile(
            url.set(username=None, password=None),
            url.set(username="gcmc_login", password=gateway_password),
        )
        writer = auth.open_context(auth.sign_in(profile, "a@live.gy", PASSWORD))
        reader = auth.open_context(auth.sign_in(profile, "b@live.gy", PASSWORD))

        model = PagedTableModel(client_list_query(reader), reader.reading)
        bus = change_bus()
        bus.subscribe(model, {"client"}, lambda _changes: model.refresh())
        notified_at: dict[int, float] = {}
        arrived = threading.Event()

        def on_changes(changes) -> None:
            for ident in changes.ids("client") or ():
                notified_at[ident] = time.perf_counter()
            arrived.set()
            bus.publish(changes)

        listener = ChangeListener(reader.session.get_bind().url, tenant, on_changes).start()
        if not listener.subscribed.wait(10):
            print("the listener did not subscribe", file=sys.stderr)
            return 1
        model.refresh()
        _wait(app, lambda: not model.loading, 10)

        commits: list[float] = []
        # The moment A sends COMMIT (the engine's commit event fires just before it).
        event.listen(
            writer.session.get_bind(), "commit", lambda _c: commits.append(time.perf_counter())
        )
        notified, visible = [], []
        for run in range(args.runs):
            client = clients.create_client(writer, {"name": f"Live {run:03}", "type": "company"})
            committed = commits[-1]
            if not _wait(app, lambda c=client: model.row_of(c["id"]) is not None, 5):
                print(f"run {run}: the row never appeared", file=sys.stderr)
                return 1
            visible.append((time.perf_counter() - committed) * 1000)
            notified.append((notified_at[client["id"]] - committed) * 1000)
        listener.stop()
        _report(args.runs, notified, visible)
        return 0
    finally:
        server.cleanup()
        shutil.rmtree(root, ignore_errors=True)


def _wait(app, condition, seconds: float) -> bool:
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        app.processEvents()
        if condition():
            return True
        time.sleep(0.0005)
    return False


def _report(runs: int, notified: list[float], visible: list[float]) -> None:
    def row(name: str, values: list[float]) -> str:
        ordered = sorted(values)
        p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)]
        return (
            f"| {name} | {statistics.median(values):.1f} ms | {p95:.1f} ms | {max(values):.1f} ms |"
        )

    print(f"Live refresh, {runs} clients created on A, B's list model watching (staff users):")
    print("| commit on A → | median | p95 | max |")
    print("|---|---|---|---|")
    print(row("B notified", notified))
    print(row("row visible in B's model", visible))
    print("| without live refresh | until B presses F5 | | |")


if __name__ == "__main__":
    raise SystemExit(main())
