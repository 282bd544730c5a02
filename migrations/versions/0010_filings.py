"""Filings (issue 12): real due dates beside the platform's columns, and the database's guard
that a recurring schedule never generates the same period twice.

Additive, outside the platform contract: every name starts with `desktop_`.

- `desktop_filing_due_dates`: one row per filing with its real due date (DOMAIN.md §6: the
  type's default day of the next month, or of `defaultDueMonth` of the next year for annual
  types; the next working day when that is a weekend or a Guyanese public holiday), indexed
  (tenantId, dueDate, filingId) so the filings list sorts and filters on it by a keyset range
  scan. A statement-level trigger on filings keeps a row for every filing whoever writes it
  (staff, CLI, the web platform): on insert, and when the period, type, business or firm
  changes, it writes the rule without holidays or incorporation anniversaries
  (`desktop__filing_due_fallback`, `exact = false`); the desktop service then stores the exact
  date (`exact = true`, computed in Python with the `holidays` package's Guyana calendar), and
  `gcmc filings generate` corrects the rows the platform left inexact. Staff may read it under
  the filings' SELECT rule and update only `dueDate`/`exact` of their own firm's rows with
  filings:create or filings:edit.
- `desktop_generated_filings`: one row per (firm, client, business or 0, filing type, period
  start) that a recurring run created. Its primary key is what makes generation idempotent
  across workstations: two concurrent runs both `INSERT ... ON CONFLICT DO NOTHING`, one wins,
  the other creates nothing. The row stays when the filing is deleted (`filingId` set NULL),
  so a deleted generated filing is never generated again. Staff insert with filings:create,
  only for their own firm's clients, types and schedules.

Revision ID: 0010_filings
Revises: 0008_list_performance (0009 is taken by another branch; the lead re-chains)
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0010_filings"
down_revision = "0009_list_sort_names"
branch_labels = None
depends_on = None

UPGRADE = r"""
-- The due-date rule without holidays or anniversaries: the fallback for rows the desktop has
-- not computed yet. Equal to services.filings.due_date() where no holiday or incorporation
-- date is involved (tests/test_filings.py checks the two agree).
CREATE FUNCTION desktop__filing_due_fallback(p_frequency text, p_day integer, p_month integer,
                                             p_period_end timestamp) RETURNS date
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE SET search_path = public, pg_temp AS $$
DECLARE
    v_end date := p_period_end::date;
    v_month date;
    v_due date;
BEGIN
    IF v_end IS NULL THEN
        RETURN NULL;
    END IF;
    IF p_day IS NULL OR p_day < 1 OR p_day > 31 THEN
        v_due := v_end;
    ELSE
        IF p_frequency = 'annual' AND p_month BETWEEN 1 AND 12 THEN
            v_month := make_date(extract(year FROM v_end)::integer + 1, p_month, 1);
        ELSE
            v_month := (date_trunc('month', v_end) + interval '1 month')::date;
        END IF;
        v_due := least(v_month + (p_day - 1),
                       (v_month + interval '1 month' - interval '1 day')::date);
    END IF;
    WHILE extract(isodow FROM v_due) >= 6 LOOP
        v_due := v_due + 1;
    END LOOP;
    RETURN v_due;
END $$;
REVOKE ALL ON FUNCTION desktop__filing_due_fallback(text, integer, integer, timestamp) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION desktop__filing_due_fallback(text, integer, integer, timestamp)
    TO gcmc_staff;

CREATE TABLE desktop_filing_due_dates (
    "filingId" integer PRIMARY KEY REFERENCES filings (id) ON DELETE CASCADE,
    "tenantId" integer NOT NULL,
    "dueDate" date,
    "exact" boolean NOT NULL DEFAULT false,
    -- Still to be filed (draft, prepared, rejected, overdue): kept by the trigger below, so
    -- "overdue" and "due within N days" read a partial index of the open filings only instead
    -- of walking every filing ever due.
    "open" boolean NOT NULL DEFAULT true
);
CREATE INDEX desktop_filing_due_dates_tenant_due_idx
    ON desktop_filing_due_dates ("tenantId", "dueDate", "filingId");
CREATE INDEX desktop_filing_due_dates_open_idx
    ON desktop_filing_due_dates ("tenantId", "dueDate", "filingId") WHERE "open";
CREATE INDEX desktop_filing_due_dates_inexact_idx
    ON desktop_filing_due_dates ("tenantId") WHERE NOT "exact";
ALTER TABLE desktop_filing_due_dates ENABLE ROW LEVEL SECURITY;
-- Equal to the filings' SELECT policy (migration 0006).
CREATE POLICY staff_select ON desktop_filing_due_dates FOR SELECT TO gcmc_staff
    USING ("tenantId" = (SELECT gcmc_tenant()) AND (SELECT gcmc_has_permission('filings', 'view')));
CREATE POLICY staff_update ON desktop_filing_due_dates FOR UPDATE TO gcmc_staff
    USING ("tenantId" = (SELECT gcmc_tenant())
           AND (SELECT gcmc_has_permission('filings', 'create')
                    OR gcmc_has_permission('filings', 'edit')))
    WITH CHECK ("tenantId" = (SELECT gcmc_tenant())
                AND (SELECT gcmc_has_permission('filings', 'create')
                         OR gcmc_has_permission('filings', 'edit')));
REVOKE ALL ON desktop_filing_due_dates FROM PUBLIC;
GRANT SELECT ON desktop_filing_due_dates TO gcmc_staff;
GRANT UPDATE ("dueDate", "exact") ON desktop_filing_due_dates TO gcmc_staff;

-- Keeps a due row for every filing a statement inserted, or whose period, type, business or
-- firm it changed (statement-level: a bulk insert pays one join).
CREATE FUNCTION desktop__sync_filing_due() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO desktop_filing_due_dates ("filingId", "tenantId", "dueDate", "exact", "open")
        SELECT n.id, n."tenantId",
               desktop__filing_due_fallback(t.frequency, t."defaultDueDay", t."defaultDueMonth",
                                            n."periodEnd"),
               false, COALESCE(n.status IN ('draft', 'prepared', 'rejected', 'overdue'), false)
        FROM new_rows n LEFT JOIN filing_types t ON t.id = n."filingTypeId"
        ON CONFLICT ("filingId") DO NOTHING;
    ELSE
        INSERT INTO desktop_filing_due_dates AS d ("filingId", "tenantId", "dueDate", "exact")
        SELECT n.id, n."tenantId",
               desktop__filing_due_fallback(t.frequency, t."defaultDueDay", t."defaultDueMonth",
                                            n."periodEnd"),
               false
        FROM new_rows n JOIN old_rows o ON o.id = n.id
        LEFT JOIN filing_types t ON t.id = n."filingTypeId"
        WHERE (n."periodEnd", n."filingTypeId", n."clientBusinessId", n."tenantId")
              IS DISTINCT FROM (o."periodEnd", o."filingTypeId", o."clientBusinessId", o."tenantId")
        ON CONFLICT ("filingId") DO UPDATE SET
            "tenantId" = EXCLUDED."tenantId", "dueDate" = EXCLUDED."dueDate", "exact" = false;
        UPDATE desktop_filing_due_dates d
        SET "open" = COALESCE(n.status IN ('draft', 'prepared', 'rejected', 'overdue'), false)
        FROM new_rows n JOIN old_rows o ON o.id = n.id
        WHERE d."filingId" = n.id AND n.status IS DISTINCT FROM o.status;
    END IF;
    RETURN NULL;
END $$;
REVOKE ALL ON FUNCTION desktop__sync_filing_due() FROM PUBLIC;

CREATE TRIGGER desktop_filing_due_ins AFTER INSERT ON filings
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION desktop__sync_filing_due();
CREATE TRIGGER desktop_filing_due_upd AFTER UPDATE ON filings
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION desktop__sync_filing_due();

INSERT INTO desktop_filing_due_dates ("filingId", "tenantId", "dueDate", "exact", "open")
SELECT f.id, f."tenantId",
       desktop__filing_due_fallback(t.frequency, t."defaultDueDay", t."defaultDueMonth",
                                    f."periodEnd"),
       false, COALESCE(f.status IN ('draft', 'prepared', 'rejected', 'overdue'), false)
FROM filings f LEFT JOIN filing_types t ON t.id = f."filingTypeId";

CREATE TABLE desktop_generated_filings (
    "tenantId" integer NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    "clientId" integer NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    "businessKey" integer NOT NULL DEFAULT 0,  -- the business id, 0 for none
    "filingTypeId" integer NOT NULL REFERENCES filing_types (id) ON DELETE CASCADE,
    "periodStart" date NOT NULL,
    "periodLabel" text NOT NULL,
    "recurringId" integer REFERENCES recurring_filings (id) ON DELETE SET NULL,
    "filingId" integer REFERENCES filings (id) ON DELETE SET NULL,
    "createdAt" timestamp(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY ("tenantId", "clientId", "businessKey", "filingTypeId", "periodStart")
);
CREATE INDEX desktop_generated_filings_filing_idx ON desktop_generated_filings ("filingId");
CREATE INDEX desktop_generated_filings_recurring_idx
    ON desktop_generated_filings ("recurringId");
ALTER TABLE desktop_generated_filings ENABLE ROW LEVEL SECURITY;
CREATE POLICY staff_select ON desktop_generated_filings FOR SELECT TO gcmc_staff
    USING ("tenantId" = (SELECT gcmc_tenant()) AND (SELECT gcmc_has_permission('filings', 'view')));
-- Only for the firm's own rows (read under the staff's own row-level security, so a foreign
-- or unknown id fails the same way and reveals nothing). `(SELECT gcmc_tenant())`: evaluated
-- once per statement, not once per row of a bulk run.
CREATE POLICY staff_insert ON desktop_generated_filings FOR INSERT TO gcmc_staff
    WITH CHECK ("tenantId" = (SELECT gcmc_tenant())
                AND (SELECT gcmc_has_permission('filings', 'create'))
                AND EXISTS (SELECT 1 FROM clients c
                            WHERE c.id = "clientId" AND c."tenantId" = (SELECT gcmc_tenant()))
                AND EXISTS (SELECT 1 FROM filing_types t
                            WHERE t.id = "filingTypeId" AND t."tenantId" = (SELECT gcmc_tenant()))
                AND ("businessKey" = 0
                     OR EXISTS (SELECT 1 FROM client_businesses b
                                WHERE b.id = "businessKey" AND b."clientId" = "clientId"))
                AND ("recurringId" IS NULL
                     OR EXISTS (SELECT 1 FROM recurring_filings r
                                WHERE r.id = "recurringId" AND r."tenantId" = (SELECT gcmc_tenant())))
                AND ("filingId" IS NULL
                     OR EXISTS (SELECT 1 FROM filings f
                                WHERE f.id = "filingId" AND f."tenantId" = (SELECT gcmc_tenant()))));
CREATE POLICY staff_update ON desktop_generated_filings FOR UPDATE TO gcmc_staff
    USING ("tenantId" = (SELECT gcmc_tenant()) AND (SELECT gcmc_has_permission('filings', 'create')))
    WITH CHECK ("tenantId" = (SELECT gcmc_tenant())
                AND (SELECT gcmc_has_permission('filings', 'create'))
                AND ("filingId" IS NULL
                     OR EXISTS (SELECT 1 FROM filings f
                                WHERE f.id = "filingId" AND f."tenantId" = (SELECT gcmc_tenant()))));
REVOKE ALL ON desktop_generated_filings FROM PUBLIC;
GRANT SELECT, INSERT ON desktop_generated_filings TO gcmc_staff;
GRANT UPDATE ("filingId") ON desktop_generated_filings TO gcmc_staff;
"""

DOWNGRADE = """
DROP TABLE IF EXISTS desktop_generated_filings;
DROP TRIGGER IF EXISTS desktop_filing_due_upd ON filings;
DROP TRIGGER IF EXISTS desktop_filing_due_ins ON filings;
DROP TABLE IF EXISTS desktop_filing_due_dates;
DROP FUNCTION IF EXISTS desktop__sync_filing_due(),
    desktop__filing_due_fallback(text, integer, integer, timestamp);
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
