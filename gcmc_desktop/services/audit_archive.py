"""Moving old audit rows to `desktop_audit_archive` and back (`gcmc maintenance audit-archive`),
on an administrator connection, with nothing lost.

Each batch is one transaction: it picks the next rows (oldest first), takes their count and a
checksum, copies them, deletes the originals, and takes count and checksum again on the other
side; any difference — or an original still there — rolls the batch back and stops the run. The
checksum is the sum of a 60-bit slice of each row's md5 (over every column, as the row's text),
so it does not depend on order and the batches' checksums add up to the run's. Ids are kept:
a restored row is the row that was archived. One run at a time (an advisory lock).

Staff never move rows: they read the archive through its row-level security (migration 0021)
on the Audit page, with "Include archived".
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, text

from .audit_trail import AUDIT_COLUMN_NAMES
from .errors import ServiceError

CURRENT = "audit_logs"
ARCHIVE = "desktop_audit_archive"
BATCH = 50_000
_LOCK = 0x6763_6D63_4155_4454 & 0x7FFF_FFFF_FFFF_FFFF  # "gcmcAUDT"
_COLUMNS = ", ".join(f'"{name}"' for name in AUDIT_COLUMN_NAMES)
_ROW = "ROW(" + ", ".join(f't."{name}"' for name in AUDIT_COLUMN_NAMES) + ")::text"
# One row's share of the checksum: 60 bits of its md5, as a bigint (sums stay exact numerics).
_ROW_SUM = f"('x' || left(md5({_ROW}), 15))::bit(60)::bigint"


class ArchiveError(ServiceError):
    """A batch did not arrive whole; it was rolled back."""


@dataclass
class Fingerprint:
    rows: int = 0
    checksum: int = 0

    def __add__(self, other: Fingerprint) -> Fingerprint:
        return Fingerprint(self.rows + other.rows, self.checksum + other.checksum)

    @property
    def hex(self) -> str:
        return f"{self.checksum:x}"


@dataclass
class MoveResult:
    moved: Fingerprint  # what left one table, equal to what arrived in the other
    batches: int
    remaining: int  # rows still to move (non-zero only when stopped by `limit_batches`)
    # With `verify`: both tables' rows in scope (count and checksum) before and after the run.
    before: Fingerprint | None = None
    after: Fingerprint | None = None


_AGE = re.compile(r"^\s*(\d+)\s*([ymwd])\s*$", re.IGNORECASE)


def parse_age(value: str) -> timedelta:
    """ "2y", "18m", "6w", "90d" as a length of time (a year 365 days, a month 30)."""
    match = _AGE.match(value or "")
    if not match:
        raise ValueError(f"{value!r} is not an age like 2y, 18m, 6w or 90d")
    number, unit = int(match.group(1)), match.group(2).lower()
    days = {"y": 365, "m": 30, "w": 7, "d": 1}[unit] * number
    return timedelta(days=days)


def _scope(cutoff: datetime | None, tenant_id: int | None, alias: str = "") -> tuple[str, dict]:
    where, params = ["true"], {}
    if cutoff is not None:
        where.append(f'{alias}"createdAt" < :cutoff')
        params["cutoff"] = cutoff
    if tenant_id is not None:
        where.append(f'{alias}"tenantId" = :tenant')
        params["tenant"] = tenant_id
    return " AND ".join(where), params


def fingerprint(
    conn: Connection, table: str, cutoff: datetime | None = None, tenant_id: int | None = None
) -> Fingerprint:
    """Count and checksum of `table`'s rows (older than `cutoff`, of `tenant_id`)."""
    where, params = _scope(cutoff, tenant_id)
    rows, checksum = conn.execute(
        text(f"SELECT count(*), coalesce(sum({_ROW_SUM}), 0) FROM {table} t WHERE {where}"),
        params,
    ).one()
    return Fingerprint(int(rows), int(checksum))


def _batch_fingerprint(conn: Connection, table: str) -> Fingerprint:
    rows, checksum = conn.execute(
        text(
            f"SELECT count(*), coalesce(sum({_ROW_SUM}), 0) FROM {table} t "
            "WHERE t.id IN (SELECT id FROM desktop_audit_batch)"
        )
    ).one()
    return Fingerprint(int(rows), int(checksum))


def _move(
    engine: Engine,
    source: str,
    target: str,
    cutoff: datetime | None,
    tenant_id: int | None,
    batch: int,
    progress: Callable[[int], None] | None,
    limit_batches: int | None,
    verify: bool = False,
) -> MoveResult:
    if batch < 1:
        raise ValueError("batch must be at least 1")
    where, params = _scope(cutoff, tenant_id)
    moved, batches = Fingerprint(), 0
    with engine.connect() as lock:
        if not lock.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": _LOCK}):
            raise ArchiveError("Another audit archive run is in progress; try again later.")
        try:
            total_before = _both(engine, cutoff, tenant_id) if verify else None
            while limit_batches is None or batches < limit_batches:
                with engine.begin() as conn:
                    conn.execute(
                        text(
                            "CREATE TEMP TABLE desktop_audit_batch ON COMMIT DROP AS "
                            f"SELECT id FROM {source} WHERE {where} "
                            'ORDER BY "createdAt", id LIMIT :batch'
                        ),
                        {**params, "batch": batch},
                    )
                    before = _batch_fingerprint(conn, source)
                    if before.rows == 0:
                        break
                    conn.execute(
                        text(
                            f"INSERT INTO {target} ({_COLUMNS}) SELECT {_COLUMNS} FROM {source} "
                            "WHERE id IN (SELECT id FROM desktop_audit_batch)"
                        )
                    )
                    conn.execute(
                        text(
                            f"DELETE FROM {source} WHERE id IN (SELECT id FROM desktop_audit_batch)"
                        )
                    )
                    after = _batch_fingerprint(conn, target)
                    left = _batch_fingerprint(conn, source).rows
                    if after != before or left:
                        raise ArchiveError(
                            f"A batch of {before.rows:,} audit rows did not arrive whole "
                            f"({after.rows:,} arrived, {left:,} left behind; checksums "
                            f"{before.hex} / {after.hex}); nothing of it was moved."
                        )
                moved += before
                batches += 1
                if progress is not None:
                    progress(moved.rows)
            with engine.connect() as conn:
                remaining = int(
                    conn.scalar(text(f"SELECT count(*) FROM {source} WHERE {where}"), params) or 0
                )
            total_after = _both(engine, cutoff, tenant_id) if verify else None
            if verify and total_after != total_before:
                raise ArchiveError(
                    f"The audit rows in scope changed during the run: {total_before} before, "
                    f"{total_after} after."
                )
        finally:
            lock.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _LOCK})
    return MoveResult(moved, batches, remaining, total_before, total_after)


def _both(engine: Engine, cutoff: datetime | None, tenant_id: int | None) -> Fingerprint:
    """Rows in scope in audit_logs and the archive together, in one snapshot."""
    with engine.connect() as conn:
        conn.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))
        return fingerprint(conn, CURRENT, cutoff, tenant_id) + fingerprint(
            conn, ARCHIVE, cutoff, tenant_id
        )


def archive_audit(
    engine: Engine,
    older_than: timedelta,
    *,
    tenant_id: int | None = None,
    batch: int = BATCH,
    now: datetime | None = None,
    progress: Callable[[int], None] | None = None,
    limit_batches: int | None = None,
    verify: bool = True,
) -> MoveResult:
    """Move the audit rows older than `older_than` (of one firm, or all) to the archive.
    `verify` also compares count and checksum of all rows in scope (both tables) before and
    after the run — a second read of them, on top of each batch's own check."""
    cutoff = (now or _db_now(engine)) - older_than
    return _move(
        engine, CURRENT, ARCHIVE, cutoff, tenant_id, batch, progress, limit_batches, verify
    )


def restore_audit(
    engine: Engine,
    *,
    tenant_id: int | None = None,
    batch: int = BATCH,
    progress: Callable[[int], None] | None = None,
    verify: bool = True,
) -> MoveResult:
    """Move every archived row (of one firm, or all) back to audit_logs."""
    return _move(engine, ARCHIVE, CURRENT, None, tenant_id, batch, progress, None, verify)


@dataclass
class ArchivedFirm:
    tenant_id: int
    name: str
    rows: int
    oldest: datetime | None
    newest: datetime | None


def archive_summary(engine: Engine, tenant_id: int | None = None) -> list[ArchivedFirm]:
    """Per firm: how many archived rows, from when to when."""
    where, params = _scope(None, tenant_id, "a.")
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                'SELECT a."tenantId", t.name, count(*), min(a."createdAt"), max(a."createdAt") '
                f'FROM {ARCHIVE} a JOIN tenants t ON t.id = a."tenantId" '
                f"WHERE {where} "
                'GROUP BY a."tenantId", t.name ORDER BY t.name'
            ),
            params,
        ).all()
    return [ArchivedFirm(int(t), name, int(n), lo, hi) for t, name, n, lo, hi in rows]


def archived_rows(engine: Engine, limit: int, tenant_id: int | None = None) -> list[dict]:
    """The `limit` newest archived rows, for `--show --rows N`."""
    where, params = _scope(None, tenant_id)
    with engine.connect() as conn:
        result = conn.execute(
            text(
                f"SELECT {_COLUMNS} FROM {ARCHIVE} WHERE {where} "
                'ORDER BY "createdAt" DESC, id DESC LIMIT :limit'
            ),
            {**params, "limit": limit},
        )
        return [dict(row._mapping) for row in result]


def _db_now(engine: Engine) -> datetime:
    """The database's UTC clock (audit times are naive UTC)."""
    with engine.connect() as conn:
        return conn.scalar(text("SELECT (now() AT TIME ZONE 'UTC')::timestamp(3)"))
