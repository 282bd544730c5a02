"""What a workstation older than the database may do: the schema's oldest compatible code.

Desktop migrations are additive, so code written for an earlier schema usually still works on
a later one. `desktop_schema_compat` holds the oldest revision whose code may still write to
this schema; a later migration that an older workstation could not safely write through
(a renamed column, a new NOT NULL without default, a changed meaning) sets it to its own
revision. `desktop_schema_state()` lets any signed-in workstation — staff logins cannot read
alembic's table — learn the schema's revision and that value: a workstation that knows the
value keeps working (and says an update is available); one that does not opens read-only.

Revision ID: 0015_schema_compat
Revises: 0014_scoring
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op

revision = "0015_schema_compat"
down_revision = "0014_scoring"
branch_labels = None
depends_on = None

UPGRADE = r"""
CREATE TABLE desktop_schema_compat (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    "oldestCompatible" text NOT NULL
);
INSERT INTO desktop_schema_compat ("oldestCompatible") VALUES ('0001_baseline');
-- Owner only: nobody but migrations changes it (no grants, row-level security on).
ALTER TABLE desktop_schema_compat ENABLE ROW LEVEL SECURITY;
ALTER TABLE desktop_schema_compat FORCE ROW LEVEL SECURITY;
CREATE POLICY desktop_schema_compat_owner ON desktop_schema_compat USING (true);
REVOKE ALL ON desktop_schema_compat FROM PUBLIC;

CREATE FUNCTION desktop_schema_state(OUT revision text, OUT "oldestCompatible" text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT (SELECT version_num::text FROM alembic_version LIMIT 1),
           (SELECT c."oldestCompatible" FROM desktop_schema_compat c)
$$;
REVOKE ALL ON FUNCTION desktop_schema_state() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION desktop_schema_state() TO gcmc_staff, gcmc_login;
"""

DOWNGRADE = """
DROP FUNCTION IF EXISTS desktop_schema_state();
DROP TABLE IF EXISTS desktop_schema_compat;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
