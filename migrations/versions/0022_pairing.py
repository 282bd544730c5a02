"""Statement triggers pair an update's old and new rows by position, not by primary key.

Migration 0011's audit and reference triggers joined the statement's OLD and NEW transition
tables on the primary key. That holds while each row is updated once per statement, but a
delete whose foreign-key actions update the same row more than once breaks it: deleting a
client sets a task's `clientId`, `filingId` and `serviceRequestId` to NULL in three cascaded
updates, PostgreSQL hands all three to one AFTER STATEMENT trigger, and the key join pairs
each old version of the task with every new one. The reference check then saw `filingId`
"change" from NULL back to the filing being deleted and refused the delete ("The selected
filing does not exist any more"), and the audit trigger wrote rows for the cross pairs.

PostgreSQL appends an updated row's old and new versions to the two transition tables in the
same step, so the n-th row of one is the n-th of the other: pairing by position (row_number
over a plain scan of each) pairs every update with itself. Only the pairing changes; the bodies
are 0011's otherwise, read from it so the project keeps one copy.

Revision ID: 0022_pairing
Revises: 0021_audit
Create Date: 2026-12-03
"""

from __future__ import annotations

import re
from pathlib import Path

from alembic import op

from gcmc_desktop.db.revisions import earlier

revision = "0022_pairing"
down_revision = "0021_audit"
branch_labels = None
depends_on = None

# 0011's key joins, as they appear in its two functions ...
KEY_JOINS = (
    (
        "SELECT 'SELECT to_jsonb(o) AS o, to_jsonb(n) AS n FROM gcmc_old o JOIN gcmc_new n ON '\n"
        "               || string_agg(format('n.%1$I = o.%1$I', a.attname), ' AND ')\n"
        "        INTO v_pairs\n"
        "        FROM pg_index i\n"
        "        JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)\n"
        "        WHERE i.indrelid = TG_RELID AND i.indisprimary;",
        # ... and the positional pairing that replaces each.
        "v_pairs := 'SELECT to_jsonb(po.o) AS o, to_jsonb(pn.n) AS n FROM '\n"
        "                   '(SELECT o, row_number() OVER () AS k FROM gcmc_old o) po JOIN '\n"
        "                   '(SELECT n, row_number() OVER () AS k FROM gcmc_new n) pn '\n"
        "                   'ON pn.k = po.k';",
    ),
    (
        "SELECT 'gcmc_new n JOIN gcmc_old o ON '\n"
        "               || string_agg(format('n.%1$I = o.%1$I', a.attname), ' AND ')\n"
        "        INTO v_rows\n"
        "        FROM pg_index i\n"
        "        JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)\n"
        "        WHERE i.indrelid = TG_RELID AND i.indisprimary;",
        "v_rows := '(SELECT (n).*, row_number() OVER () AS gcmc_k FROM gcmc_new n) n JOIN '\n"
        "                  '(SELECT (o).*, row_number() OVER () AS gcmc_k FROM gcmc_old o) o '\n"
        "                  'ON o.gcmc_k = n.gcmc_k';",
    ),
)


def _earlier(name: str):
    return earlier(name, Path(__file__).parent)


def _replacing(sql: str) -> str:
    return re.sub(r"\bCREATE FUNCTION\b", "CREATE OR REPLACE FUNCTION", sql)


def upgrade() -> None:
    sql = _earlier("0011_statement_triggers").FUNCTION
    for key_join, positional in KEY_JOINS:
        if key_join not in sql:
            raise RuntimeError("0011's pairing was not found: this migration needs updating")
        sql = sql.replace(key_join, positional)
    op.execute(_replacing(sql))


def downgrade() -> None:
    op.execute(_replacing(_earlier("0011_statement_triggers").FUNCTION))
