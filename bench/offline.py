"""Benchmark offline review (issue 18): check out 50 clients with 2,000 documents, open the copy
as a local replica, make 500 offline changes, sync them back.

    uv run python bench/offline.py [--clients 50] [--documents 2000] [--changes 500] [--kb 20]

Starts its own embedded PostgreSQL (temporary directory) as the "office server", migrates it,
loads one firm: N clients, D documents spread over them (one version each, a file of --kb KB
in a temporary folder store), one open task per change. A FirmAdmin signs in through the real
sign-in service (own PostgreSQL login, RLS on) and runs, timed:

1. `check_out` of every client (latest versions): time, size of the encrypted store on disk;
2. the template cluster built (once per schema revision; not paid again);
3. `open_offline`: replica copied from the template, started, loaded, signed in;
4. the changes on the replica through the task service (status open → in progress);
5. `close` (journal + rows written back, encrypted; replica removed);
6. `sync` of the changes to the server; then `check_in`.

Prints the machine's load average beside the figures (2 shared cores).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import secrets
import shutil
import sys
import tempfile
import time
from pathlib import Path

PASSWORD = "Bench-Offline-42"
EMAIL = "owner@offline.gy"


def _load_avg() -> str:
    try:
        return "load {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    except OSError:
        return "load n/a"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--documents", type=int, default=2000)
    parser.add_argument("--changes", type=int, default=500)
    parser.add_argument("--kb", type=int, default=20, help="size of each document file")
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="gcmc-bench-offline-"))
    os.environ["GCMC_DATA_DIR"] = str(root / "data")
    import keyring
    from keyring.backend import KeyringBackend

    class Memory(KeyringBackend):
        priority = 1
        values: dict = {}

        def get_password(self, service, username):
            return self.values.get((service, username))

        def set_password(self, service, username, password):
            self.values[(service, username)] = password

        def delete_password(self, service, username):
            self.values.pop((service, username), None)

    keyring.set_keyring(Memory())

    from sqlalchemy import text

    from gcmc_desktop.db import make_engine, migrate
    from gcmc_desktop.db.embedded import ensure_database, server_url, start_server, stop_server
    from gcmc_desktop.services import auth, tasks, users
    from gcmc_desktop.services.auth import ServerProfile, set_gateway_password
    from gcmc_desktop.services.offline import checkout, session, store, sync
    from gcmc_desktop.services.storage import LocalFolderStorage, object_key
    from gcmc_desktop.services.tenancy import create_tenant

    server = start_server(root / "server")
    try:
        ensure_database(server_url(server), "bench")
        url = server_url(server, "bench")
        engine = make_engine(url, statement_timeout=None)
        migrate.upgrade(engine)
        gateway = "gw-" + secrets.token_hex(8)
        set_gateway_password(engine, gateway)
        t0 = time.perf_counter()
        from gcmc_desktop.db import session_factory

        with session_factory(engine)() as s:
            tenant = create_tenant(s, "Offline Bench Tax", "obench").id
            s.commit()
        with engine.begin() as conn:
            users.create_user(conn, tenant, EMAIL, "Bench Owner", "FirmAdmin", PASSWORD)
            clients = list(
                conn.execute(
                    text(
                        'INSERT INTO clients ("tenantId", name, type, "updatedAt") '
                        "SELECT :t, 'Client ' || g, 'company', now() "
                        "FROM generate_series(1, :n) g RETURNING id"
                    ),
                    {"t": tenant, "n": args.clients},
                ).scalars()
            )
            doc_type = conn.execute(
                text(
                    'INSERT INTO document_types ("tenantId", name, category, "updatedAt") '
                    "VALUES (:t, 'Ledger', 'financial', now()) RETURNING id"
                ),
                {"t": tenant},
            ).scalar()
            docs = list(
                conn.execute(
                    text(
                        'INSERT INTO documents ("tenantId", "clientId", "documentTypeId", title, '
                        'status, "updatedAt") SELECT :t, (CAST(:c AS integer[]))[1 + g % :n], '
                        ":d, 'Ledger ' || g, 'valid', now() "
                        "FROM generate_series(1, :m) g RETURNING id"
                    ),
                    {"t": tenant, "c": clients, "n": len(clients), "d": doc_type,
                     "m": args.documents},
                ).scalars()
            )  # fmt: skip
            folder = root / "files"
            folder.mkdir()
            keys = []
            for doc in docs:
                data = (f"Ledger {doc} " * (args.kb * 1024 // 12 + 1)).encode()[: args.kb * 1024]
                data += secrets.token_bytes(64)
                sha = hashlib.sha256(data).hexdigest()
                key = object_key(tenant, doc, sha)
                target = folder / key
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
                keys.append((doc, key, len(data)))
            conn.execute(
                text(
                    'INSERT INTO document_versions ("documentId", "fileUrl", "storageProvider", '
                    '"fileSize", "isLatest") SELECT d, k, \'local\', s, true FROM '
                    "unnest(CAST(:d AS integer[]), CAST(:k AS text[]), CAST(:s AS integer[])) "
                    "AS x(d, k, s)"
                ),
                {"d": [k[0] for k in keys], "k": [k[1] for k in keys], "s": [k[2] for k in keys]},
            )
            conn.execute(
                text(
                    'UPDATE documents d SET "latestVersionId" = v.id FROM document_versions v '
                    'WHERE v."documentId" = d.id'
                )
            )
            conn.execute(
                text(
                    'INSERT INTO tasks ("tenantId", "clientId", title, status, priority, '
                    '"updatedAt") SELECT :t, (CAST(:c AS integer[]))[1 + g % :n], '
                    "'Task ' || g, 'open', 'medium', now() FROM generate_series(1, :m) g"
                ),
                {"t": tenant, "c": clients, "n": len(clients), "m": args.changes},
            )
            conn.execute(text("ANALYZE"))
        print(f"Loaded {len(clients)} clients, {len(docs)} documents ({args.kb} KB files), "
              f"{args.changes} tasks in {time.perf_counter() - t0:.1f} s")  # fmt: skip
        profile = ServerProfile(
            url.set(username=None, password=None), url.set(username="gcmc_login", password=gateway)
        )
        ctx = auth.open_context(auth.sign_in(profile, EMAIL, PASSWORD))
        provider = LocalFolderStorage(folder)

        bulk = 5000

        def insert_tasks() -> float:
            """The cost of the read_only policy trigger: a bulk insert by staff."""
            started = time.perf_counter()
            ctx.session.execute(
                text(
                    'INSERT INTO tasks ("tenantId", "clientId", title, status, priority, '
                    "\"updatedAt\") SELECT :t, :c, 'Bulk ' || g, 'open', 'medium', now() "
                    "FROM generate_series(1, :m) g"
                ),
                {"t": tenant, "c": spare, "m": bulk},
            )
            took = time.perf_counter() - started
            ctx.session.rollback()
            return took

        with engine.begin() as conn:
            spare = conn.scalar(
                text(
                    'INSERT INTO clients ("tenantId", name, type, "updatedAt") '
                    "VALUES (:t, 'Not checked out', 'company', now()) RETURNING id"
                ),
                {"t": tenant},
            )
        before = insert_tasks()
        t = time.perf_counter()
        result = checkout.check_out(ctx, clients, storage=provider)
        took = time.perf_counter() - t
        source = sum(k[2] for k in keys)
        print(f"check_out: {result.clients} clients, {result.documents} documents, "
              f"{result.files} files ({source / 1e6:.1f} MB) in {took:.2f} s; "
              f"{result.bytes / 1e6:.1f} MB on disk  [{_load_avg()}]")  # fmt: skip
        during = insert_tasks()
        print(f"{bulk} staff task inserts (guard + audit triggers): {before:.2f} s with no "
              f"checkout open, {during:.2f} s with {len(clients)} clients checked out")  # fmt: skip
        t = time.perf_counter()
        session.ensure_template()
        print(f"template cluster (first time only): {time.perf_counter() - t:.2f} s")
        (copy,) = store.copies()
        t = time.perf_counter()
        offline = session.open_offline(copy, EMAIL, PASSWORD)
        print(f"open_offline (replica start + load + sign-in): {time.perf_counter() - t:.2f} s"
              f"  [{_load_avg()}]")  # fmt: skip
        t = time.perf_counter()
        rows = offline.ctx.session.execute(text('SELECT id, "updatedAt" FROM tasks')).all()
        offline.ctx.session.commit()
        for task_id, stamp in rows:
            tasks.TASKS.update(offline.ctx, task_id, {"status": "in_progress"}, stamp)
        print(f"{len(rows)} offline changes on the replica: {time.perf_counter() - t:.2f} s")
        t = time.perf_counter()
        offline.close()
        print(f"close (journal + rows written back, replica removed): "
              f"{time.perf_counter() - t:.2f} s")  # fmt: skip
        (copy,) = store.copies()
        t = time.perf_counter()
        report = sync.sync(ctx, copy, lambda c: None)
        took = time.perf_counter() - t
        per = took / max(report.applied, 1) * 1000
        print(f"sync: {report.applied} applied, {len(report.failed)} failed, in {took:.2f} s "
              f"({per:.1f} ms per change)  [{_load_avg()}]")  # fmt: skip
        t = time.perf_counter()
        sync.check_in(ctx, copy)
        print(f"check_in: {time.perf_counter() - t:.2f} s")
        with engine.connect() as conn:
            done = conn.scalar(text("SELECT count(*) FROM tasks WHERE status = 'in_progress'"))
        assert done == args.changes, done
        ctx.session.close()
        engine.dispose()
    finally:
        stop_server(server)
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
