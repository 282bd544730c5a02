"""Whether this workstation's code fits the database's schema (migration 0015).

- the same revision: nothing to say;
- the database is behind: a workstation never migrates a shared server — an administrator
  runs `gcmc db upgrade`;
- the database is ahead and still compatible (its oldest compatible revision is one this code
  knows): keep working, and say that an update is available;
- the database is ahead and incompatible: open read-only, and say why.
"""

from __future__ import annotations

from dataclasses import dataclass

from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection, text

from .migrate import alembic_config

CURRENT = "current"
BEHIND = "behind"
NEWER = "newer"
NEWER_INCOMPATIBLE = "newer-incompatible"


@dataclass(frozen=True)
class SchemaCheck:
    state: str
    database: str | None
    code: str

    @property
    def read_only(self) -> bool:
        return self.state == NEWER_INCOMPATIBLE

    @property
    def usable(self) -> bool:
        return self.state != BEHIND

    def message(self, where: str = "The database") -> str:
        if self.state == BEHIND:
            at = "has no GCMC schema" if self.database is None else f"is at schema {self.database}"
            return (
                f"{where} {at}; this version of GCMC Desktop needs {self.code}. Ask your "
                "administrator to run `gcmc db upgrade` (or `gcmc db adopt`)."
            )
        if self.state == NEWER:
            return (
                f"{where} has been upgraded for a newer GCMC Desktop (schema {self.database}). "
                "This version still works with it; install the update soon."
            )
        if self.state == NEWER_INCOMPATIBLE:
            return (
                f"{where} has been upgraded for a newer GCMC Desktop (schema {self.database}) "
                "that this version cannot safely change. It is open read-only: you can look "
                "everything up but not change it. Install the update to keep working."
            )
        return ""


def _known(script: ScriptDirectory, revision: str | None) -> bool:
    if not revision:
        return False
    try:
        return script.get_revision(revision) is not None
    except CommandError:
        return False


def compare(database: str | None, oldest_compatible: str | None) -> SchemaCheck:
    script = ScriptDirectory.from_config(alembic_config())
    head = script.get_current_head() or ""
    if database == head:
        return SchemaCheck(CURRENT, database, head)
    if database is None or _known(script, database):
        return SchemaCheck(BEHIND, database, head)
    state = NEWER if _known(script, oldest_compatible) else NEWER_INCOMPATIBLE
    return SchemaCheck(state, database, head)


def check_schema(conn: Connection) -> SchemaCheck:
    """On any connection — a staff login's included (through `desktop_schema_state()`)."""
    if conn.scalar(text("SELECT to_regprocedure('desktop_schema_state()') IS NULL")):
        # Older than 0015 (or no GCMC schema): what alembic's table says, if readable.
        database = None
        if conn.scalar(
            text(
                "SELECT to_regclass('alembic_version') IS NOT NULL "
                "AND has_table_privilege('alembic_version', 'SELECT')"
            )
        ):
            database = conn.scalar(text("SELECT version_num FROM alembic_version"))
        return compare(database, None)
    database, oldest = conn.execute(text("SELECT * FROM desktop_schema_state()")).one()
    return compare(database, oldest)
