"""What the About box says: this program's version and the database it works on."""

from __future__ import annotations

import platform
from dataclasses import dataclass

from sqlalchemy import text

from .. import __version__
from ..db.compat import check_schema
from .context import Context


@dataclass(frozen=True)
class AboutFacts:
    version: str
    python: str
    server: str
    schema: str
    schema_state: str  # compat's message, "" when the schema is the code's own


def about_facts(ctx: Context) -> AboutFacts:
    with ctx.reading() as session:
        conn = session.connection()
        server = str(conn.scalar(text("SHOW server_version")))
        check = check_schema(conn)
    return AboutFacts(
        version=__version__,
        python=platform.python_version(),
        server=server,
        schema=check.database or "none",
        schema_state=check.message("The database") if check.state != "current" else "",
    )
