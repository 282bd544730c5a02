"""The audit trail and the firm check of references, once per statement instead of once per row.

Migration 0006 guards staff writes with two row-level triggers. For every row, one checks that
each reference stays inside the row's firm (a dynamic query per reference), and the other builds
the row's JSON, snake-cases each column name with a regular expression, looks the client up and
inserts one audit row. Together about 0.5 ms a row: the 10,000 filings a recurring run creates
spent 6 s in them, and the 10,000 schedules it advances another 3 s. Here both become
statement-level triggers over the statement's transition tables: one query per reference, and
one INSERT ... SELECT of the audit rows, the column names snake-cased once.

Audit rows are exactly those 0006 writes — same entity type, entity id, action, client (only when
the client still exists), firm (the row's, else the acting user's), `changes` as
{snake_case column: [old, new]} (inserts: the non-null columns; updates: the changed columns
but `updatedAt`, and no row at all when nothing else changed; deletes: every column), secrets
left out, IP address and user agent from the session settings — and they are still written in
the statement's transaction, so a failed statement leaves none. An update's old and new rows are
paired by the table's primary key (no code changes a primary key).

The reference check refuses what 0006's refuses, with the same foreign-key error (a foreign id
and a nonexistent one are still indistinguishable: the latter now meets PostgreSQL's own
foreign-key check first, which words it the same way), and still only for values an update
changes. Running after the rows are written rather than before, it also accepts a reference to
a row the same statement inserts (a step depending on another step inserted with it).

The triggers are recreated from the row triggers' own arguments (`pg_trigger.tgargs`), so this
migration carries no second copy of 0006's table lists.

Revision ID: 0011_statement_triggers
Revises: 0010_filings
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import text

revision = "0011_statement_triggers"
down_revision = "0010_filings"
branch_labels = None
depends_on = None

STAFF = "gcmc_current_user_id() IS NOT NULL"

# event -> (trigger name suffix, the transition tables it reads)
EVENTS = {
    "INSERT": ("i", "NEW TABLE AS gcmc_new"),
    "UPDATE": ("u", "OLD TABLE AS gcmc_old NEW TABLE AS gcmc_new"),
    "DELETE": ("d", "OLD TABLE AS gcmc_old"),
}

FUNCTION = r"""
-- AFTER each staff statement: its audit rows in one INSERT ... SELECT. TG_ARGV as 0006's
-- gcmc__audit_row: [0] entity type, [1] where the client comes from ("self", a column,
-- "<parent table>:<column>" or "-").
CREATE FUNCTION gcmc__audit_statement() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_source text := TG_ARGV[1];
    v_names jsonb;
    v_pairs text;
    v_columns text;
    v_client text;
BEGIN
    -- column -> snake_case name, secrets left out: once per statement, not once per row
    SELECT jsonb_object_agg(a.attname::text, gcmc__snake(a.attname::text))
    INTO v_names
    FROM pg_attribute a
    WHERE a.attrelid = TG_RELID AND a.attnum > 0 AND NOT a.attisdropped
      AND a.attname NOT IN ('password', 'token', 'accessToken', 'refreshToken', 'idToken');

    -- The statement's (old, new) row pairs, and which of a pair's columns are its changes
    -- (one pass over the row's columns: a lookup per column name is several times slower).
    IF TG_OP = 'INSERT' THEN
        v_pairs := 'SELECT NULL::jsonb AS o, to_jsonb(n) AS n FROM gcmc_new n';
        v_columns := $c$jsonb_each(r.n) e WHERE e.value <> 'null'::jsonb$c$;
    ELSIF TG_OP = 'DELETE' THEN
        v_pairs := 'SELECT to_jsonb(o) AS o, NULL::jsonb AS n FROM gcmc_old o';
        v_columns := 'jsonb_each(r.o) e WHERE true';
    ELSE
        SELECT 'SELECT to_jsonb(o) AS o, to_jsonb(n) AS n FROM gcmc_old o JOIN gcmc_new n ON '
               || string_agg(format('n.%1$I = o.%1$I', a.attname), ' AND ')
        INTO v_pairs
        FROM pg_index i
        JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
        WHERE i.indrelid = TG_RELID AND i.indisprimary;
        v_columns := $c$jsonb_each(r.n) e WHERE (r.o -> e.key) IS DISTINCT FROM e.value
                        AND e.key <> 'updatedAt'$c$;
    END IF;

    IF v_source = 'self' THEN
        v_client := CASE WHEN TG_OP <> 'DELETE' THEN $c$(r.n ->> 'id')::integer$c$ END;
    ELSIF v_source LIKE '%:%' THEN
        v_client := format('(SELECT p."clientId" FROM %I p WHERE p.id = '
                           '(coalesce(r.n, r.o) ->> %L)::integer)',
                           split_part(v_source, ':', 1), split_part(v_source, ':', 2));
    ELSIF v_source <> '-' THEN
        v_client := format('(coalesce(r.n, r.o) ->> %L)::integer', v_source);
    END IF;

    EXECUTE format($sql$
        -- MATERIALIZED: each row's JSON is built once, not once per use
        WITH pairs AS MATERIALIZED (%s)
        INSERT INTO audit_logs ("tenantId", "actorUserId", "clientId", "entityType", "entityId",
                                action, changes, "ipAddress", "userAgent")
        SELECT x.tenant, gcmc_current_user_id(),
               -- A client deleted in this statement can no longer be referenced (its id stays
               -- in the changes).
               CASE WHEN EXISTS (SELECT 1 FROM clients c WHERE c.id = x.client) THEN x.client END,
               $1,
               CASE WHEN (x.r ->> 'id') ~ '^[0-9]{1,9}$' THEN (x.r ->> 'id')::integer ELSE 0 END,
               $2, x.changes,
               left(nullif(current_setting('gcmc.ip_address', true), ''), 64),
               left(nullif(current_setting('gcmc.user_agent', true), ''), 300)
        FROM (
            SELECT coalesce(r.n, r.o) AS r,
                   %s AS client,
                   -- Rows without a firm of their own ("user") are filed under the acting
                   -- user's firm; a user of no firm renaming themselves is not filed at all.
                   coalesce((coalesce(r.n, r.o) ->> 'tenantId')::integer,
                            CASE WHEN %L = 'tenants'
                                 THEN (coalesce(r.n, r.o) ->> 'id')::integer END,
                            gcmc_tenant(),
                            (SELECT min(m."tenantId") FROM tenant_users m
                             WHERE m."userId" = gcmc_current_user_id())) AS tenant,
                   (SELECT coalesce(jsonb_object_agg($3 ->> e.key, jsonb_build_array(
                                        coalesce(r.o -> e.key, 'null'::jsonb),
                                        coalesce(r.n -> e.key, 'null'::jsonb))), '{}'::jsonb)
                    FROM %s AND $3 ? e.key) AS changes
            FROM pairs r
        ) x
        WHERE x.tenant IS NOT NULL AND NOT ($2 = 'update' AND x.changes = '{}'::jsonb)
        $sql$, v_pairs, coalesce(v_client, 'NULL::integer'), TG_TABLE_NAME, v_columns)
    USING TG_ARGV[0],
          CASE TG_OP WHEN 'INSERT' THEN 'create' WHEN 'UPDATE' THEN 'update' ELSE 'delete' END,
          v_names;
    RETURN NULL;
END $$;
REVOKE ALL ON FUNCTION gcmc__audit_statement() FROM PUBLIC;

-- SQL for the firm of table p_table's row whose id is the SQL expression p_id (child tables
-- through their parent, as gcmc__tenant_of).
CREATE FUNCTION gcmc__tenant_sql(p_table text, p_id text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE p_table
        WHEN 'document_versions' THEN format(
            '(SELECT d."tenantId" FROM document_versions x JOIN documents d '
            'ON d.id = x."documentId" WHERE x.id = %s)', p_id)
        WHEN 'service_steps' THEN format(
            '(SELECT r."tenantId" FROM service_steps x JOIN service_requests r '
            'ON r.id = x."serviceRequestId" WHERE x.id = %s)', p_id)
        ELSE format('(SELECT p."tenantId" FROM %I p WHERE p.id = %s)', p_table, p_id)
    END
$$;

-- AFTER each staff INSERT/UPDATE statement: every reference its rows make (an update: every
-- reference it changes) stays inside the row's firm. TG_ARGV as 0006's gcmc__check_references.
CREATE FUNCTION gcmc__check_statement_references() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_tenant text;
    v_rows text := 'gcmc_new n';
    v_column text;
    v_parent text;
    v_constraint text;
    v_ok text;
    v_changed text := '';
    v_bad text;
BEGIN
    IF TG_ARGV[0] = '-' THEN
        v_tenant := 'n."tenantId"';
    ELSE
        v_tenant := gcmc__tenant_sql(split_part(TG_ARGV[0], ':', 2),
                                     format('n.%I', split_part(TG_ARGV[0], ':', 1)));
    END IF;
    IF TG_OP = 'UPDATE' THEN
        SELECT 'gcmc_new n JOIN gcmc_old o ON '
               || string_agg(format('n.%1$I = o.%1$I', a.attname), ' AND ')
        INTO v_rows
        FROM pg_index i
        JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
        WHERE i.indrelid = TG_RELID AND i.indisprimary;
    END IF;
    FOR i IN 1 .. TG_NARGS - 1 LOOP
        v_column := split_part(TG_ARGV[i], ':', 1);
        v_parent := split_part(TG_ARGV[i], ':', 2);
        v_constraint := split_part(TG_ARGV[i], ':', 3);
        IF TG_OP = 'UPDATE' THEN
            v_changed := format('AND o.%1$I IS DISTINCT FROM n.%1$I', v_column);
        END IF;
        IF v_parent = 'self' THEN
            v_ok := format('n.%I = gcmc_current_user_id()', v_column);
        ELSIF v_parent = 'user' THEN
            v_ok := format('EXISTS (SELECT 1 FROM tenant_users m '
                           'WHERE m."tenantId" = %s AND m."userId" = n.%I)', v_tenant, v_column);
        ELSE
            v_ok := format('%s = %s', gcmc__tenant_sql(v_parent, format('n.%I', v_column)),
                           v_tenant);
        END IF;
        EXECUTE format('SELECT n.%1$I::text FROM %2$s WHERE n.%1$I IS NOT NULL %3$s '
                       'AND (%4$s) IS NOT TRUE LIMIT 1', v_column, v_rows, v_changed, v_ok)
        INTO v_bad;
        CONTINUE WHEN v_bad IS NULL;
        IF v_parent = 'self' THEN
            RAISE EXCEPTION 'permission denied: % must be your own user', v_column
                USING ERRCODE = '42501';
        END IF;
        RAISE EXCEPTION 'insert or update on table "%" violates foreign key constraint "%"',
            TG_TABLE_NAME, v_constraint
            USING ERRCODE = '23503', CONSTRAINT = v_constraint, TABLE = TG_TABLE_NAME,
                  DETAIL = format('Key (%s)=(%s) is not present in table "%s".',
                                  v_column, left(v_bad, 40), v_parent);
    END LOOP;
    RETURN NULL;
END $$;
REVOKE ALL ON FUNCTION gcmc__check_statement_references(), gcmc__tenant_sql(text, text)
    FROM PUBLIC;
"""


def _trigger_args(name: str) -> list[tuple[str, list[str]]]:
    """(table, trigger arguments) of every table with a trigger called `name`."""
    rows = op.get_bind().execute(
        text(
            "SELECT c.relname, t.tgargs FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE t.tgname = :name AND NOT t.tgisinternal ORDER BY c.relname"
        ),
        {"name": name},
    )
    return [(table, bytes(args).decode().split("\x00")[:-1]) for table, args in rows]


def _quoted(args: list[str]) -> str:
    return ", ".join("'" + a.replace("'", "''") + "'" for a in args)


def _statement_triggers(name: str, function: str, events: dict, table: str, args: list) -> None:
    for event, (suffix, tables) in events.items():
        op.execute(
            f'CREATE TRIGGER {name}_{suffix} AFTER {event} ON "{table}" '
            f"REFERENCING {tables} FOR EACH STATEMENT WHEN ({STAFF}) "
            f"EXECUTE FUNCTION {function}({_quoted(args)})"
        )


CHECKED = {event: EVENTS[event] for event in ("INSERT", "UPDATE")}


def upgrade() -> None:
    op.execute(FUNCTION)
    for table, args in _trigger_args("desktop_audit"):
        op.execute(f'DROP TRIGGER desktop_audit ON "{table}"')
        _statement_triggers("desktop_audit", "gcmc__audit_statement", EVENTS, table, args)
    for table, args in _trigger_args("desktop_check_references"):
        op.execute(f'DROP TRIGGER desktop_check_references ON "{table}"')
        _statement_triggers(
            "desktop_check_references", "gcmc__check_statement_references", CHECKED, table, args
        )


def downgrade() -> None:
    for table, args in _trigger_args("desktop_audit_i"):
        for suffix, _tables in EVENTS.values():
            op.execute(f'DROP TRIGGER desktop_audit_{suffix} ON "{table}"')
        op.execute(
            f'CREATE TRIGGER desktop_audit AFTER INSERT OR UPDATE OR DELETE ON "{table}" '
            f"FOR EACH ROW WHEN ({STAFF}) EXECUTE FUNCTION gcmc__audit_row({_quoted(args)})"
        )
    for table, args in _trigger_args("desktop_check_references_i"):
        for suffix, _tables in CHECKED.values():
            op.execute(f'DROP TRIGGER desktop_check_references_{suffix} ON "{table}"')
        op.execute(
            f'CREATE TRIGGER desktop_check_references BEFORE INSERT OR UPDATE ON "{table}" '
            f"FOR EACH ROW WHEN ({STAFF}) "
            f"EXECUTE FUNCTION gcmc__check_references({_quoted(args)})"
        )
    op.execute(
        "DROP FUNCTION IF EXISTS gcmc__audit_statement(), gcmc__check_statement_references(), "
        "gcmc__tenant_sql(text, text)"
    )
