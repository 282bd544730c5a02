"""The database's health as an administrator reads it, and VACUUM ANALYZE with progress.

Everything comes from PostgreSQL's statistics views; nothing here writes except `vacuum_analyze`.
Statistics of other roles' sessions (query text, duration) are visible only to superusers and
members of `pg_read_all_stats`: the report says when it sees only the connected role's own.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection, Engine, text
from sqlalchemy.engine import URL

Progress = Callable[[str, int, int], None]
Cancelled = Callable[[], bool]


@dataclass(frozen=True)
class TableHealth:
    name: str
    total_bytes: int
    rows: int
    dead_rows: int
    last_vacuum: datetime | None
    last_analyze: datetime | None

    @property
    def dead_share(self) -> float:
        """Dead rows as a share of all row versions: the bloat a VACUUM would reclaim."""
        total = self.rows + self.dead_rows
        return self.dead_rows / total if total else 0.0


@dataclass(frozen=True)
class UnusedIndex:
    table: str
    name: str
    bytes: int


@dataclass(frozen=True)
class LongQuery:
    pid: int
    role: str
    seconds: float
    state: str
    query: str


@dataclass(frozen=True)
class HealthReport:
    server_version: str
    database: str
    database_bytes: int
    cache_hit_ratio: float | None
    index_hit_ratio: float | None
    tables: list[TableHealth]
    unused_indexes: list[UnusedIndex]
    long_queries: list[LongQuery]
    connections: dict[str, int]
    sees_all_sessions: bool
    oldest_backup: datetime | None = None
    newest_backup: datetime | None = None
    backups: int = 0
    warnings: list[str] = field(default_factory=list)


def human_bytes(n: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if abs(n) < 1024 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TB"  # pragma: no cover


def _ratio(hit: int | None, read: int | None) -> float | None:
    total = (hit or 0) + (read or 0)
    return (hit or 0) / total if total else None


def health_report(
    bind: Engine | Connection,
    *,
    long_after_seconds: float = 60,
    backups: list | None = None,
) -> HealthReport:
    """Read the health figures (on an engine, or a staff user's own connection: what its role
    may see); `backups` (services.backup.list_backups) adds their ages."""
    with bind.connect() if isinstance(bind, Engine) else contextlib.nullcontext(bind) as conn:
        version = conn.scalar(text("SHOW server_version"))
        database = conn.scalar(text("SELECT current_database()"))
        size = conn.scalar(text("SELECT pg_database_size(current_database())"))
        hit, read = conn.execute(
            text(
                "SELECT blks_hit, blks_read FROM pg_stat_database "
                "WHERE datname = current_database()"
            )
        ).one()
        idx_hit, idx_read = conn.execute(
            text(
                "SELECT sum(idx_blks_hit), sum(idx_blks_read) FROM pg_statio_user_indexes "
                "WHERE schemaname = 'public'"
            )
        ).one()
        tables = [
            TableHealth(*row)
            for row in conn.execute(
                text(
                    "SELECT s.relname, pg_total_relation_size(s.relid), "
                    "greatest(s.n_live_tup, 0), s.n_dead_tup, "
                    "greatest(s.last_vacuum, s.last_autovacuum), "
                    "greatest(s.last_analyze, s.last_autoanalyze) "
                    "FROM pg_stat_user_tables s WHERE s.schemaname = 'public' "
                    "ORDER BY pg_total_relation_size(s.relid) DESC, s.relname"
                )
            )
        ]
        unused = [
            UnusedIndex(*row)
            for row in conn.execute(
                text(
                    "SELECT s.relname, s.indexrelname, pg_relation_size(s.indexrelid) "
                    "FROM pg_stat_user_indexes s JOIN pg_index i ON i.indexrelid = s.indexrelid "
                    "WHERE s.schemaname = 'public' AND s.idx_scan = 0 "
                    "AND NOT i.indisunique AND NOT i.indisprimary "
                    "ORDER BY pg_relation_size(s.indexrelid) DESC, s.indexrelname"
                )
            )
        ]
        sees_all = bool(
            conn.scalar(
                text(
                    "SELECT rolsuper OR pg_has_role(current_user, 'pg_read_all_stats', 'USAGE') "
                    "FROM pg_roles WHERE rolname = current_user"
                )
            )
        )
        long_queries = [
            LongQuery(int(pid), role or "", float(seconds), state or "", query or "")
            for pid, role, seconds, state, query in conn.execute(
                text(
                    "SELECT pid, usename, extract(epoch FROM clock_timestamp() - query_start), "
                    "state, left(query, 500) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                    "AND state <> 'idle' AND query_start IS NOT NULL "
                    "AND clock_timestamp() - query_start > make_interval(secs => :after) "
                    "ORDER BY query_start"
                ),
                {"after": long_after_seconds},
            )
        ]
        connections = {
            role or "(background)": int(n)
            for role, n in conn.execute(
                text(
                    "SELECT usename, count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() GROUP BY usename ORDER BY count(*) DESC"
                )
            )
        }
    warnings = []
    complete = [b for b in (backups or []) if b.ok]
    if backups is not None and not complete:
        warnings.append("There is no backup.")
    bloated = [t.name for t in tables if t.dead_share > 0.2 and t.dead_rows > 1000]
    if bloated:
        warnings.append("Tables that need a VACUUM: " + ", ".join(bloated[:5]) + ".")
    return HealthReport(
        server_version=str(version),
        database=str(database),
        database_bytes=int(size),
        cache_hit_ratio=_ratio(hit, read),
        index_hit_ratio=_ratio(idx_hit, idx_read),
        tables=tables,
        unused_indexes=unused,
        long_queries=long_queries,
        connections=connections,
        sees_all_sessions=sees_all,
        oldest_backup=min((b.created_at for b in complete), default=None),
        newest_backup=max((b.created_at for b in complete), default=None),
        backups=len(complete),
        warnings=warnings,
    )


def vacuum_analyze(
    engine: Engine,
    *,
    progress: Progress = lambda _stage, _done, _total: None,
    cancelled: Cancelled = lambda: False,
) -> list[str]:
    """VACUUM (ANALYZE) each table the connected role owns, one at a time so progress and
    cancel work between tables; returns the tables done."""
    done: list[str] = []
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        tables = conn.scalars(
            text(
                "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') "
                "AND (pg_has_role(current_user, c.relowner, 'USAGE') OR "
                "(SELECT rolsuper FROM pg_roles WHERE rolname = current_user)) "
                "ORDER BY c.relname"
            )
        ).all()
        for index, table in enumerate(tables):
            if cancelled():
                break
            progress(table, index, len(tables))
            quoted = '"' + table.replace('"', '""') + '"'
            conn.execute(text(f"VACUUM (ANALYZE) public.{quoted}"))
            done.append(table)
        progress("", len(done), len(tables))
    return done


def health_report_at(url: URL, **options) -> HealthReport:
    """`health_report` on a connection of its own to `url` (an administrator's)."""
    from ..db import make_engine

    engine = make_engine(url)
    try:
        return health_report(engine, **options)
    finally:
        engine.dispose()


def vacuum_analyze_at(url: URL, **options) -> list[str]:
    from ..db import make_engine

    engine = make_engine(url, statement_timeout=None)
    try:
        return vacuum_analyze(engine, **options)
    finally:
        engine.dispose()
