"""Benchmark uploads through the real UploadManager: N files of a given size to each storage
provider — a folder in a temporary directory, and S3 (moto's threaded server on 127.0.0.1) —
recorded in a real embedded PostgreSQL as a signed-in staff user (own login role, row-level
security, audit), each file a new document of one client.

    QT_QPA_PLATFORM=offscreen uv run python bench/uploads.py [--files 1000] [--kb 200]

Prints files per second and how late the GUI event loop ran: a 10 ms QTimer measures its own
lateness while the uploads run (target: no stall over 50 ms).

The stalls that remain are the garbage collector's: a full collection walks every object the
process holds — Qt bindings, SQLAlchemy, boto3 (and here moto) — 100-150 ms on this machine,
whichever thread triggers it, and holding the GIL throughout. `gc.freeze()` once start-up is over
takes that heap out of its reach; the bench does that before each run (what app.py should do after
sign-in), `--no-freeze` shows the difference. BENCH_DEBUG=1 prints each stall and collection.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import secrets
import shutil
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PASSWORD = "Bench-Uploads-2024!"
BUCKET = "gcmc-bench"
PNG_HEADER = b"\x89PNG\r\n\x1a\n"
TARGET_STALL_MS = 50.0


def make_files(folder: Path, count: int, size: int) -> list[Path]:
    """Distinct files that pass the upload check (a PNG signature, then random bytes)."""
    folder.mkdir(parents=True)
    paths = []
    for i in range(count):
        path = folder / f"scan-{i:05d}.png"
        path.write_bytes(PNG_HEADER + os.urandom(size - len(PNG_HEADER)))
        paths.append(path)
    return paths


def prepare_database(admin_url: Any) -> tuple[Any, list[int], int, str]:
    """A migrated database with one firm, a DocumentOfficer, a client and a document type."""
    from sqlalchemy import create_engine, text

    from gcmc_desktop.db import make_engine, migrate, session_factory
    from gcmc_desktop.db.embedded import ensure_database
    from gcmc_desktop.models import Client, DocumentType
    from gcmc_desktop.services import users
    from gcmc_desktop.services.auth import set_gateway_password
    from gcmc_desktop.services.tenancy import create_tenant

    name = "gcmc_bench_uploads"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()
    ensure_database(admin_url, name)
    url = admin_url.set(database=name)
    engine = make_engine(url)
    migrate.upgrade(engine)
    gateway_password = "gateway-" + secrets.token_hex(8)
    set_gateway_password(engine, gateway_password)
    with session_factory(engine)() as session:
        tenant = create_tenant(session, "Bench Firm", "bench").id
        # One client per provider, so the duplicate check never sees the other run's files.
        clients = [
            Client(tenant_id=tenant, name=f"Bench Client {kind}", type="company")
            for kind in ("local", "s3")
        ]
        doc_type = DocumentType(tenant_id=tenant, name="Scan", category="identification")
        session.add_all([*clients, doc_type])
        session.commit()
        ids = (tenant, [c.id for c in clients], doc_type.id)
    email = "officer@bench.gy"
    with engine.begin() as conn:
        users.create_user(conn, ids[0], email, "Bench Officer", "DocumentOfficer", PASSWORD)
    engine.dispose()
    return url, ids[1], ids[2], gateway_password


def sign_in(url: Any, gateway_password: str) -> Any:
    from gcmc_desktop.services import auth
    from gcmc_desktop.services.auth import ServerProfile

    bare = url.set(username=None, password=None)
    gateway = url.set(username="gcmc_login", password=gateway_password)
    profile = ServerProfile(bare, gateway)
    return auth.open_context(auth.sign_in(profile, "officer@bench.gy", PASSWORD))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class StallMeter:
    """A 10 ms timer that records how late each tick arrives."""

    def __init__(self) -> None:
        from PySide6.QtCore import QTimer

        self.lateness: list[float] = []
        self._last = self.started = 0.0
        self.timer = QTimer()
        self.timer.setInterval(10)
        self.timer.timeout.connect(self._tick)

    def start(self) -> None:
        self.lateness.clear()
        self._last = self.started = time.perf_counter()
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def _tick(self) -> None:
        now = time.perf_counter()
        late = max(0.0, (now - self._last) * 1000 - 10)
        self.lateness.append(late)
        if late > 30 and os.environ.get("BENCH_DEBUG"):
            print(f"  stall {late:.0f} ms at {now - self.started:.2f} s", flush=True)
        self._last = now


def run(ctx: Any, storage: Any, paths: list[Path], client_id: int, type_id: int, **kw: Any):
    from PySide6.QtCore import QEventLoop, QTimer

    from gcmc_desktop.services.outbox import Outbox, UploadTarget
    from gcmc_desktop.views.uploads import UploadManager

    outbox_dir = Path(tempfile.mkdtemp(prefix="gcmc-bench-outbox-"))
    manager = UploadManager(ctx, storage, outbox=Outbox(outbox_dir), **kw)
    failures: list[str] = []
    finished: list[str] = []
    signals = [0]
    manager.fileFailed.connect(lambda n, m: failures.append(f"{n}: {m}"))
    manager.fileFinished.connect(lambda n, m: finished.append(n))
    manager.fileProgress.connect(lambda *_: signals.__setitem__(0, signals[0] + 1))
    manager.overallProgress.connect(lambda *_: signals.__setitem__(0, signals[0] + 1))
    meter = StallMeter()
    loop = QEventLoop()
    manager.idle.connect(loop.quit)
    meter.start()
    # Let the meter settle before the work starts, as a user's click would.
    QTimer.singleShot(50, lambda: manager.add_files(paths, UploadTarget(client_id, type_id)))
    started = time.perf_counter()
    loop.exec()
    elapsed = time.perf_counter() - started - 0.05
    meter.stop()
    shutil.rmtree(outbox_dir, ignore_errors=True)
    late = sorted(meter.lateness)
    return {
        "files": len(finished),
        "failed": failures[:3],
        "failed_count": len(failures),
        "seconds": elapsed,
        "files_per_s": len(finished) / elapsed,
        "max_stall_ms": late[-1] if late else 0.0,
        "p99_stall_ms": late[int(len(late) * 0.99)] if late else 0.0,
        "median_stall_ms": statistics.median(late) if late else 0.0,
        "signals": signals[0],
    }


def _watch_gc() -> None:
    started: dict[str, float] = {}

    def callback(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            started["t"] = time.perf_counter()
        else:
            ms = (time.perf_counter() - started.get("t", time.perf_counter())) * 1000
            if ms > 10:
                print(f"  gc gen{info['generation']} took {ms:.0f} ms", flush=True)

    gc.callbacks.append(callback)


def main() -> None:
    if os.environ.get("BENCH_DEBUG"):
        _watch_gc()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--kb", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=None)
    parser.add_argument("--only", choices=("local", "s3"), action="append")
    parser.add_argument(
        "--no-freeze", action="store_true", help="leave the start-up heap to the collector"
    )
    args = parser.parse_args()

    import logging

    import boto3
    from PySide6.QtWidgets import QApplication

    from gcmc_desktop.db.embedded import server_url, start_server
    from gcmc_desktop.services.storage import LocalFolderStorage, S3Storage

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    work = Path(tempfile.mkdtemp(prefix="gcmc-bench-uploads-"))
    moto = None
    try:
        print("Starting the embedded PostgreSQL …", flush=True)
        server = start_server(work / "pgdata")
        url, client_ids, type_id, gateway = prepare_database(server_url(server))
        ctx = sign_in(url, gateway)
        paths = make_files(work / "in", args.files, args.kb * 1024)
        extra = {} if args.concurrency is None else {"concurrency": args.concurrency}
        results = {}
        for kind in ("local", "s3"):
            if args.only and kind not in args.only:
                continue
            if kind == "local":
                (work / "store").mkdir()
                storage: Any = LocalFolderStorage(work / "store")
            else:
                from moto.server import ThreadedMotoServer

                port = free_port()
                moto = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
                moto.start()
                endpoint = f"http://127.0.0.1:{port}"
                boto3.client(
                    "s3",
                    endpoint_url=endpoint,
                    region_name="us-east-1",
                    aws_access_key_id="bench",
                    aws_secret_access_key="bench",
                ).create_bucket(Bucket=BUCKET)
                storage = S3Storage(endpoint, "us-east-1", BUCKET, "bench", "bench")
            run_client = client_ids[0] if kind == "local" else client_ids[1]
            if not args.no_freeze:
                # What the application does once signed in (see the module docstring): the
                # start-up heap (Qt bindings, SQLAlchemy, boto3, here also moto) is moved out
                # of the collector's reach, so a full collection scans only what came later.
                gc.collect()
                gc.freeze()
            print(f"Uploading {args.files:,} × {args.kb} KB to {kind} …", flush=True)
            results[kind] = run(ctx, storage, paths, run_client, type_id, **extra)
        ctx.session.close()
        print()
        print(f"{args.files:,} files of {args.kb} KB, embedded PostgreSQL, one signed-in user")
        print(f"{'provider':<10}{'files/s':>10}{'max stall':>12}{'p99 stall':>12}{'median':>9}")
        for kind, r in results.items():
            verdict = "ok" if r["max_stall_ms"] <= TARGET_STALL_MS else "OVER TARGET"
            print(
                f"{kind:<10}{r['files_per_s']:>10.1f}{r['max_stall_ms']:>10.1f}ms"
                f"{r['p99_stall_ms']:>10.1f}ms{r['median_stall_ms']:>7.1f}ms  {verdict}"
                f"  ({r['files']} uploaded, {r['failed_count']} failed, {r['seconds']:.1f} s,"
                f" {r['signals']} progress signals)"
            )
            for failure in r["failed"]:
                print("   ", failure)
    finally:
        if moto is not None:
            with contextlib.suppress(Exception):
                moto.stop()
        with contextlib.suppress(Exception):
            server.cleanup()  # type: ignore[possibly-undefined]
        shutil.rmtree(work, ignore_errors=True)
        del app


if __name__ == "__main__":
    main()
