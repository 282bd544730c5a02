"""Migration steps that keep a shared server usable while they run (the seed's migration
strategy): staff and the web platform keep writing while `gcmc db upgrade` works.

- `create_index_concurrently`: CREATE INDEX CONCURRENTLY, outside the migration's transaction,
  so a large table keeps taking writes while its index is built; an index an interrupted
  attempt left INVALID is dropped and built again.
- `backfill_in_batches`: an UPDATE of many rows in committed batches, so no statement holds
  row locks on a whole table and each batch is short.

Every upgrade also runs with a lock timeout (db/migrate.py): a step that would queue behind a
long transaction gives up after a few seconds instead of stalling every writer queued behind
it, and the upgrade retries or stops with a clear message.
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import text


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def create_index_concurrently(name: str, table: str, definition: str) -> None:
    """`definition` follows the table name: e.g. `USING gin ("title" gin_trgm_ops)`."""
    with op.get_context().autocommit_block():
        bind = op.get_bind()
        invalid = bind.scalar(
            text("SELECT NOT i.indisvalid FROM pg_index i WHERE i.indexrelid = to_regclass(:name)"),
            {"name": _quoted(name)},
        )
        if invalid:
            bind.execute(text(f"DROP INDEX CONCURRENTLY IF EXISTS {_quoted(name)}"))
        bind.execute(
            text(
                f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {_quoted(name)} "
                f"ON {_quoted(table)} {definition}"
            )
        )


def backfill_in_batches(update_sql: str, *, batch: int = 5_000) -> int:
    """Run `update_sql` — an UPDATE whose WHERE selects rows still to do and that takes
    `:batch` as the LIMIT of its id subquery — until it changes nothing, one commit a batch."""
    total = 0
    with op.get_context().autocommit_block():
        bind = op.get_bind()
        while True:
            changed = bind.execute(text(update_sql), {"batch": batch}).rowcount
            total += changed
            if not changed:
                return total
