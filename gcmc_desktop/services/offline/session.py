"""Working offline: an offline copy decrypted into a throw-away local replica.

The replica is an embedded PostgreSQL cluster copied from a pristine migrated template
(`<data>/offline/template/`, built once per schema revision, so start-up pays neither initdb
nor the migrations), loaded as its owner (foreign-key order; the derived desktop tables are
filled by their own triggers), with the user's account provisioned (same id, e-mail, role,
permissions; the password the user just typed, checked against the copy's verifier). The user
then signs in through the real sign-in service against it: the screens run on a real Context
(row-level security on) with `ctx.offline = True`.

The replica's own audit rows after the load ARE the journal of offline changes; `close()`
writes them (and files added offline) back into the encrypted store and deletes the replica.
WHILE IT RUNS THE REPLICA IS PLAINTEXT ON DISK (a 0700 directory under the data dir); a
leftover one (after a crash) is deleted at the next start (`remove_leftover_replicas`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import shutil
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, Engine

from ..auth import LoginFailed, ServerProfile, open_context, set_gateway_password, sign_in
from ..context import Context
from ..errors import ServiceError
from ..outbox import Control
from ..storage import LocalFolderStorage
from . import store as store_mod
from .checkout import check_password
from .store import OfflineCopy

__all__ = ["CopyExpired", "LoginFailed", "OfflineSession", "open_offline"]

log = logging.getLogger(__name__)
_template_lock = threading.Lock()
DATABASE = "gcmc"


class CopyExpired(ServiceError):
    default_message = (
        "This offline copy has expired. Connect to the office and sync it before working "
        "on it again."
    )


def _replicas_dir() -> Path:
    return store_mod.root() / "replicas"


def _template_dir() -> Path:
    return store_mod.root() / "template"


def _owner_url(server, database: str = DATABASE) -> URL:
    from ...db.embedded import server_url

    return server_url(server, database)


def ensure_template() -> Path:
    """The pristine migrated cluster replicas are copied from (built when missing or older
    than this code's schema)."""
    from ...db import make_engine, migrate
    from ...db.embedded import ensure_database, server_url, start_server, stop_server

    head = migrate.head_revision()
    base = _template_dir()
    pgdata = base / "pgdata"
    with _template_lock:
        marker = base / "revision"
        if marker.exists() and marker.read_text().strip() == head and pgdata.is_dir():
            return pgdata
        shutil.rmtree(base, ignore_errors=True)
        base.mkdir(parents=True, mode=0o700)
        server = start_server(pgdata, stop_at_exit=True)
        try:
            ensure_database(server_url(server), DATABASE)
            engine = make_engine(server_url(server, DATABASE))
            try:
                migrate.upgrade(engine)
            finally:
                engine.dispose()
        finally:
            stop_server(server)
        marker.write_text(head)
        return pgdata


def remove_leftover_replicas() -> int:
    """Replicas left by a process that died (their directory carries its pid)."""
    base = _replicas_dir()
    if not base.is_dir():
        return 0
    removed = 0
    for path in base.iterdir():
        pid = path.name.split("-")[0]
        alive = pid.isdigit() and _alive(int(pid))
        if not alive or (int(pid) == os.getpid() and path not in _open_replicas):
            _recover(path)  # attaches to a server still running, or starts it once more
            _stop_orphan(path / "pgdata")
            shutil.rmtree(path, ignore_errors=True)
            removed += 1
    return removed


MARKER = "session.json"


def _recover(directory: Path) -> bool:
    """Offline work of a session that crashed before `close`: the replica is started once more
    and its journal and rows are written back into the encrypted store, then it goes."""
    import json

    from ...db.embedded import start_server

    try:
        marker = json.loads((directory / MARKER).read_text())
    except (OSError, ValueError):
        return False
    store_path = Path(marker["store"])
    if not (store_path / store_mod.MANIFEST).exists():
        return False
    session = OfflineSession(store_mod.describe(store_path), store_mod.Store(store_path), directory)
    session.baseline = int(marker["baseline"])
    session.session_id = marker["session_id"]
    session.tables = list(marker["tables"])
    session.files = dict(marker["files"])
    try:
        session.server = start_server(directory / "pgdata", stop_at_exit=True)
        session.owner = create_engine(_owner_url(session.server), isolation_level="AUTOCOMMIT")
        session.save()
        log.info("Recovered the offline changes of a session that ended without closing")
        return True
    except Exception:
        log.warning("Could not recover a leftover offline replica", exc_info=True)
        return False
    finally:
        session._teardown()


def _stop_orphan(pgdata: Path) -> None:
    """A replica's server outlives a killed process: stop it (fast shutdown) before its
    directory goes."""
    import signal
    import time

    try:
        pid = int((pgdata / "postmaster.pid").read_text().splitlines()[0])
    except (OSError, ValueError, IndexError):
        return
    with contextlib.suppress(OSError):
        os.kill(pid, signal.SIGINT)
        for _ in range(50):
            if not _alive(pid):
                break
            time.sleep(0.1)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


_open_replicas: set[Path] = set()


def _load(engine: Engine, rows: dict[str, list[dict[str, Any]]]) -> None:
    """Insert the copied rows as the owner, in the models' foreign-key order."""
    from ...models import Base

    order = [t.name for t in Base.metadata.sorted_tables if t.name in rows]
    with engine.begin() as conn:
        conn.execute(text("SET LOCAL statement_timeout = 0"))
        latest: list[tuple[int, int]] = []
        for name in order:
            data = rows[name]
            if not data:
                continue
            if name == "documents":  # documents <-> versions: the latest link after both
                latest = [(r["id"], r["latestVersionId"]) for r in data if r.get("latestVersionId")]
                data = [{**r, "latestVersionId": None} for r in data]
            conn.execute(
                text(
                    f'INSERT INTO "{name}" SELECT * FROM '
                    f'jsonb_populate_recordset(NULL::"{name}", CAST(:rows AS jsonb))'
                ),
                {"rows": _dumps(data)},
            )
        if latest:
            conn.execute(
                text(
                    'UPDATE documents d SET "latestVersionId" = x.v FROM '
                    "unnest(CAST(:d AS integer[]), CAST(:v AS integer[])) AS x(d, v) "
                    "WHERE d.id = x.d"
                ),
                {"d": [d for d, _ in latest], "v": [v for _, v in latest]},
            )
        # Sequences past the copied ids (rows added offline get ids of their own).
        conn.execute(
            text(
                """
DO $$
DECLARE r record; v bigint;
BEGIN
  FOR r IN SELECT s.relname AS seq, t.relname AS tab, a.attname AS col
           FROM pg_class s JOIN pg_depend d ON d.objid = s.oid AND d.deptype IN ('a', 'i')
           JOIN pg_class t ON t.oid = d.refobjid
           JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
           WHERE s.relkind = 'S' LOOP
    EXECUTE format('SELECT max(%I) FROM %I', r.col, r.tab) INTO v;
    IF v IS NOT NULL THEN PERFORM setval(quote_ident(r.seq), v); END IF;
  END LOOP;
END $$;
"""
            )
        )


def _same_owner(source: Path, target: Path) -> None:
    """Run as root, the embedded server runs as its own system user: the copy must be its."""
    info = source.stat()
    if hasattr(os, "chown") and os.geteuid() == 0 and info.st_uid != 0:
        for path in [target, *target.rglob("*")]:
            os.chown(path, info.st_uid, info.st_gid, follow_symlinks=False)
    os.chmod(target, 0o700)


def _dumps(value: Any) -> str:
    import json

    return json.dumps(value, default=store_mod._json_default)


class OfflineSession:
    """`.ctx` is a real Context on the replica (ctx.offline is True); `.copy` the copy;
    `.storage` the replica's document folder (decrypted files; new ones go there too);
    `.close()` writes the journal back into the encrypted store and removes the replica."""

    ctx: Context
    copy: OfflineCopy

    def __init__(self, copy: OfflineCopy, store: store_mod.Store, directory: Path) -> None:
        self.copy = copy
        self.store = store
        self.directory = directory
        self.server = None
        self.owner: Engine | None = None
        self.storage = LocalFolderStorage(directory / "files")
        self.baseline = 0
        self.files: dict[str, str] = {}
        self.closed = False
        self.tables: list[str] = []
        self.session_id = ""

    def journal_entries(self) -> list[dict[str, Any]]:
        """The offline changes so far: the replica's audit rows after the load."""
        assert self.owner is not None
        with self.owner.connect() as conn:
            rows = conn.execute(
                text(
                    'SELECT id, "entityType", "entityId", action, changes, "createdAt", '
                    '"clientId" FROM audit_logs WHERE id > :b ORDER BY id'
                ),
                {"b": self.baseline},
            ).all()
        return [
            {
                "entity": r[1],
                "entity_id": r[2],
                "action": r[3],
                "changes": r[4] or {},
                "at": r[5].isoformat(),
                "client_id": r[6],
            }
            for r in rows
        ]

    def _new_files(self) -> dict[str, str]:
        """Files added offline (keys not in the copy), encrypted into the store's new/."""
        assert self.owner is not None
        with self.owner.connect() as conn:
            keys = conn.execute(text('SELECT DISTINCT "fileUrl" FROM document_versions')).scalars()
            keys = [k for k in keys if k not in self.files]
        stored = dict(self.store.read_json("new.bin", default={"_": ""}))
        stored.pop("_", None)
        for key in keys:
            if key in stored or not self.storage.exists(key):
                continue
            with self.storage.open_read(key) as stream:
                data = stream.read()
            blob = f"new/{len(stored) + 1}.bin"
            self.store.write_blob(blob, data)
            stored[key] = blob
        self.store.write_json("new.bin", stored or {"_": ""})
        return stored

    def _dump(self) -> dict[str, list[dict[str, Any]]]:
        from ...models import Base

        assert self.owner is not None
        out: dict[str, list[dict[str, Any]]] = {}
        with self.owner.connect() as conn:
            for name in self.tables:
                if name not in Base.metadata.tables:
                    continue
                out[name] = list(
                    conn.execute(text(f'SELECT to_jsonb(x) FROM "{name}" x')).scalars()
                )
        return out

    def save(self) -> int:
        """Write the journal and new files back into the encrypted store; the number of
        changes now pending."""
        new_files = self._new_files()
        entries = self.store.journal()
        offline = [e for e in self.journal_entries()]
        # Entries already saved by an earlier save() of this session are replaced.
        saved = [e for e in entries if e.get("session") != self.session_id]
        for n, e in enumerate(offline):
            e["session"] = self.session_id
            e["local"] = n
        merged = saved + offline
        for seq, e in enumerate(merged, start=1):
            e["seq"] = seq
        from .sync import count_pending

        self.store.write_journal(merged, count_pending(self.store, merged))
        # The replica's current rows replace the copy's, so the next offline session opens
        # with the offline changes in place (the journal keeps what each change was based on).
        self.store.write_json(store_mod.RECORDS, self._dump())
        log.info("Offline journal: %d changes, %d new files", len(merged), len(new_files))
        return len(merged)

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        try:
            if self.owner is not None:
                self.save()
        finally:
            self._teardown()

    def _teardown(self) -> None:
        from ...db.embedded import stop_server

        with contextlib.suppress(Exception):
            if getattr(self, "ctx", None) is not None:
                self.ctx.session.close()
                bind = self.ctx.session.get_bind()
                bind.dispose()
        if self.owner is not None:
            self.owner.dispose()
        if self.server is not None:
            with contextlib.suppress(Exception):
                stop_server(self.server)
        _open_replicas.discard(self.directory)
        shutil.rmtree(self.directory, ignore_errors=True)


def open_offline(
    copy: OfflineCopy, email: str, password: str, control: Control | None = None
) -> OfflineSession:
    """Raises LoginFailed (wrong e-mail/password) or CopyExpired."""
    from ...db.embedded import start_server
    from ..passwords import hash_password

    store = store_mod.open_store(copy)
    meta = store.meta()
    user = meta["user"]
    if email.strip().lower() != user["email"] or not check_password(user["verifier"], password):
        raise LoginFailed("The e-mail or password is not right for this offline copy.")
    manifest = store.manifest()
    from datetime import datetime

    if datetime.fromisoformat(manifest["expires_at"]) <= store_mod.now():
        raise CopyExpired()

    def step(n: int, message: str) -> None:
        if control is not None:
            control.check()
            control.progress(n, 5, message)

    step(0, "Preparing the offline database…")
    remove_leftover_replicas()
    template = ensure_template()
    _replicas_dir().mkdir(parents=True, exist_ok=True, mode=0o700)
    directory = _replicas_dir() / f"{os.getpid()}-{secrets.token_hex(4)}"
    directory.mkdir(mode=0o700)
    _open_replicas.add(directory)
    session = OfflineSession(copy, store, directory)
    session.session_id = secrets.token_hex(8)
    try:
        shutil.copytree(
            template,
            directory / "pgdata",
            ignore=shutil.ignore_patterns(
                "postmaster.pid",
                "postmaster.opts",
                ".gcmc_owners.json",
                ".handle_pids.json",
                "log",
                # a just-stopped server's Unix socket can linger; it is not data
                ".s.PGSQL.*",
            ),
        )
        _same_owner(template, directory / "pgdata")
        step(1, "Starting the offline database…")
        session.server = start_server(directory / "pgdata", stop_at_exit=True)
        session.owner = create_engine(_owner_url(session.server), isolation_level="AUTOCOMMIT")
        step(2, "Loading the offline copy…")
        rows = store.read_json(store_mod.RECORDS)
        session.tables = list(rows)
        _load(session.owner, rows)
        session.files = dict(meta.get("files", {}))
        (directory / "files").mkdir(mode=0o700)
        for key, blob in session.files.items():
            target = directory / "files" / key
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(store.read_blob(blob))
        new_files = store.read_json("new.bin", default={"_": ""})
        for key, blob in new_files.items():
            if key == "_":
                continue
            target = directory / "files" / key
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(store.read_blob(blob))
        step(3, "Signing in…")
        gateway = secrets.token_urlsafe(18)
        with session.owner.connect() as conn:
            conn.execute(
                text("SELECT gcmc__write_credential(:u, :h)"),
                {"u": user["id"], "h": hash_password(password)},
            )
        set_gateway_password(session.owner, gateway)
        url = _owner_url(session.server)
        profile = ServerProfile(
            url.set(username=None, password=None),
            url.set(username="gcmc_login", password=gateway),
        )
        signed = sign_in(profile, email, password)
        ctx = open_context(signed)
        session.ctx = replace(ctx, offline=True)
        with session.owner.connect() as conn:
            session.baseline = conn.scalar(text("SELECT coalesce(max(id), 0) FROM audit_logs"))
        # What a crash recovery needs (the replica's directory is plaintext anyway).
        (directory / MARKER).write_text(
            _dumps(
                {
                    "store": str(store.path),
                    "baseline": session.baseline,
                    "session_id": session.session_id,
                    "tables": session.tables,
                    "files": session.files,
                }
            )
        )
        step(5, "Ready")
        return session
    except BaseException:
        session._teardown()
        raise
