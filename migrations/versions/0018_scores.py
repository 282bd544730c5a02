"""Compliance recalculation that writes only what changed, a summary audit row per batch, and
the scores list's keyset index (issue 14, performance). Additive only.

- `desktop_score_runs`: one row per firm, `lastFullRunAt` = when a whole-firm recalculation
  last finished. The engine now leaves a score row alone when its score, level, counts and
  breakdown did not change, so a row's `lastCalculatedAt` says when the score last *changed*;
  a score is fresh when either that or the firm's last full run is recent (the "older than a
  day" check and the list's *Last calculated* read greatest(the two)). Staff read it with
  compliance:view and write it with compliance:edit, for their own firm only.
- `desktop_score_documents(tenant, first client id, last client id)`: the engine's document
  facts (id, client, type, status, the latest version's expiry) for a range of the firm's
  clients in one read: as `desktop_document_expiries` (0014) the policies' checks are applied
  once — the firm must be the session's and the user must hold documents:view
  (`desktop__search_tenant`) — instead of once per version row; and a batch or one client
  reads only its own documents, not the firm's.
- The audit of `compliance_scores`: a statement (an engine batch) that writes more than
  `PER_ROW_LIMIT` score rows writes ONE audit row, entityType `compliance_score`, action
  `recalculate`, entityId 0, no client, `changes` = {"rows": n, "scores": {client id:
  [before, after]}, "levels": {client id: [before, after]}} — every changed client named with
  its old and new score — instead of one row per client with both breakdowns (1.1 s of a
  10,000-client run). Statements of up to `PER_ROW_LIMIT` rows (a client's recalculation after
  an edit) keep 0011's row per score, unchanged. Deletes keep 0011's trigger.
  A client's trail finds the summary rows that name it through
  `desktop_client_score_audit(tenant, client)` (SECURITY DEFINER: under row-level security
  PostgreSQL will not use an index for the non-leakproof jsonb `?`) and a partial GIN index
  over the summary rows' `changes -> 'scores'` only.
- `desktop_compliance_scores_tenant_score_idx` ("tenantId", "scoreValue", "clientId"): the
  scores list sorted by score (and its level filter, a score band) reads its first page by a
  keyset range scan.

Revision ID: 0018_scores
Revises: 0017_notifications
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op

revision = "0018_scores"
down_revision = "0017_notifications"
branch_labels = None
depends_on = None

PER_ROW_LIMIT = 50
STAFF = "gcmc_current_user_id() IS NOT NULL"

UPGRADE = rf"""
CREATE TABLE desktop_score_runs (
    "tenantId" integer PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    "lastFullRunAt" timestamp(3) NOT NULL
);
ALTER TABLE desktop_score_runs ENABLE ROW LEVEL SECURITY;
CREATE POLICY staff_select ON desktop_score_runs FOR SELECT TO gcmc_staff
    USING ("tenantId" = (SELECT gcmc_tenant())
           AND (SELECT gcmc_has_permission('compliance', 'view')));
CREATE POLICY staff_insert ON desktop_score_runs FOR INSERT TO gcmc_staff
    WITH CHECK ("tenantId" = (SELECT gcmc_tenant())
                AND (SELECT gcmc_has_permission('compliance', 'edit')));
CREATE POLICY staff_update ON desktop_score_runs FOR UPDATE TO gcmc_staff
    USING ("tenantId" = (SELECT gcmc_tenant())
           AND (SELECT gcmc_has_permission('compliance', 'edit')))
    WITH CHECK ("tenantId" = (SELECT gcmc_tenant())
                AND (SELECT gcmc_has_permission('compliance', 'edit')));
REVOKE ALL ON desktop_score_runs FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE ON desktop_score_runs TO gcmc_staff;

CREATE FUNCTION desktop_score_documents(p_tenant integer, p_first integer, p_last integer)
RETURNS TABLE (id integer, "clientId" integer, "documentTypeId" integer, status text,
               "expiryDate" timestamp)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp ROWS 100000 AS $$
DECLARE
    v_tenant integer := desktop__search_tenant(p_tenant, 'documents');
BEGIN
    IF v_tenant IS NULL OR p_first IS NULL OR p_last IS NULL THEN
        RETURN;
    END IF;
    RETURN QUERY
        SELECT d.id, d."clientId", d."documentTypeId", d.status, v."expiryDate"
        FROM documents d
        LEFT JOIN document_versions v ON v.id = d."latestVersionId" AND v."documentId" = d.id
        WHERE d."tenantId" = v_tenant AND d."clientId" BETWEEN p_first AND p_last;
END $$;
REVOKE ALL ON FUNCTION desktop_score_documents(integer, integer, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION desktop_score_documents(integer, integer, integer) TO gcmc_staff;

-- AFTER each staff INSERT/UPDATE statement on compliance_scores: up to {PER_ROW_LIMIT} rows, one
-- audit row each exactly as 0011's gcmc__audit_statement writes them; more, one summary row
-- per firm naming every changed client with its score and level before and after.
CREATE FUNCTION gcmc__audit_scores() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_rows integer;
    v_from text;
BEGIN
    SELECT count(*) INTO v_rows FROM gcmc_new;
    IF v_rows = 0 THEN
        RETURN NULL;
    END IF;
    v_from := CASE WHEN TG_OP = 'INSERT' THEN 'gcmc_new n LEFT JOIN (SELECT NULL::integer AS id, '
                   'NULL::double precision AS "scoreValue", NULL::text AS level) o ON false'
                   ELSE 'gcmc_new n JOIN gcmc_old o ON o.id = n.id' END;
    IF v_rows <= {PER_ROW_LIMIT} THEN
        EXECUTE format($sql$
            INSERT INTO audit_logs ("tenantId", "actorUserId", "clientId", "entityType",
                                    "entityId", action, changes, "ipAddress", "userAgent")
            SELECT x.tenant, gcmc_current_user_id(),
                   CASE WHEN EXISTS (SELECT 1 FROM clients c WHERE c.id = x.client)
                        THEN x.client END,
                   'compliance_score', x.id, $1, x.changes,
                   left(nullif(current_setting('gcmc.ip_address', true), ''), 64),
                   left(nullif(current_setting('gcmc.user_agent', true), ''), 300)
            FROM (
                SELECT r.id, r.client, r.tenant,
                       (SELECT coalesce(jsonb_object_agg(gcmc__snake(e.key), jsonb_build_array(
                                            coalesce(r.o -> e.key, 'null'::jsonb), e.value)),
                                        '{{}}'::jsonb)
                        FROM jsonb_each(r.n) e
                        WHERE CASE WHEN r.o IS NULL THEN e.value <> 'null'::jsonb
                                   ELSE (r.o -> e.key) IS DISTINCT FROM e.value END
                          AND e.key <> 'updatedAt') AS changes
                FROM (SELECT n.id, n."clientId" AS client, n."tenantId" AS tenant,
                             CASE WHEN o.id IS NOT NULL THEN to_jsonb(o) END AS o,
                             to_jsonb(n) AS n
                      FROM %s) r
            ) x
            WHERE NOT ($1 = 'update' AND x.changes = '{{}}'::jsonb)
            $sql$, v_from)
        USING CASE TG_OP WHEN 'INSERT' THEN 'create' ELSE 'update' END;
    ELSE
        EXECUTE format($sql$
            INSERT INTO audit_logs ("tenantId", "actorUserId", "clientId", "entityType",
                                    "entityId", action, changes, "ipAddress", "userAgent")
            SELECT n."tenantId", gcmc_current_user_id(), NULL, 'compliance_score', 0,
                   'recalculate',
                   jsonb_build_object(
                       'rows', count(*),
                       'scores', jsonb_object_agg(n."clientId"::text,
                                                  jsonb_build_array(o."scoreValue", n."scoreValue")),
                       'levels', jsonb_object_agg(n."clientId"::text,
                                                  jsonb_build_array(o.level, n.level))),
                   left(nullif(current_setting('gcmc.ip_address', true), ''), 64),
                   left(nullif(current_setting('gcmc.user_agent', true), ''), 300)
            FROM %s
            GROUP BY n."tenantId"
            $sql$, v_from);
    END IF;
    RETURN NULL;
END $$;
REVOKE ALL ON FUNCTION gcmc__audit_scores() FROM PUBLIC;

DROP TRIGGER desktop_audit_i ON compliance_scores;
DROP TRIGGER desktop_audit_u ON compliance_scores;
CREATE TRIGGER desktop_audit_i AFTER INSERT ON compliance_scores
    REFERENCING NEW TABLE AS gcmc_new FOR EACH STATEMENT WHEN ({STAFF})
    EXECUTE FUNCTION gcmc__audit_scores('compliance_score', 'clientId');
CREATE TRIGGER desktop_audit_u AFTER UPDATE ON compliance_scores
    REFERENCING OLD TABLE AS gcmc_old NEW TABLE AS gcmc_new FOR EACH STATEMENT WHEN ({STAFF})
    EXECUTE FUNCTION gcmc__audit_scores('compliance_score', 'clientId');

CREATE INDEX desktop_audit_logs_score_clients_idx ON audit_logs USING gin ((changes -> 'scores'))
    WHERE "entityType" = 'compliance_score' AND action = 'recalculate';

-- The summary audit rows naming one client, for its trail (the firm must be the session's and
-- the user must hold clients:view, as the trail requires).
CREATE FUNCTION desktop_client_score_audit(p_tenant integer, p_client integer)
RETURNS SETOF integer
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp ROWS 20 AS $$
DECLARE
    v_tenant integer := desktop__search_tenant(p_tenant, 'clients');
BEGIN
    IF v_tenant IS NULL OR p_client IS NULL THEN
        RETURN;
    END IF;
    RETURN QUERY
        SELECT a.id FROM audit_logs a
        WHERE a."entityType" = 'compliance_score' AND a.action = 'recalculate'
          AND (a.changes -> 'scores') ? p_client::text AND a."tenantId" = v_tenant;
END $$;
REVOKE ALL ON FUNCTION desktop_client_score_audit(integer, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION desktop_client_score_audit(integer, integer) TO gcmc_staff;

CREATE INDEX desktop_compliance_scores_tenant_score_idx
    ON compliance_scores ("tenantId", "scoreValue", "clientId");
"""

DOWNGRADE = rf"""
DROP INDEX IF EXISTS desktop_compliance_scores_tenant_score_idx;
DROP FUNCTION IF EXISTS desktop_client_score_audit(integer, integer);
DROP INDEX IF EXISTS desktop_audit_logs_score_clients_idx;
DROP TRIGGER IF EXISTS desktop_audit_i ON compliance_scores;
DROP TRIGGER IF EXISTS desktop_audit_u ON compliance_scores;
CREATE TRIGGER desktop_audit_i AFTER INSERT ON compliance_scores
    REFERENCING NEW TABLE AS gcmc_new FOR EACH STATEMENT WHEN ({STAFF})
    EXECUTE FUNCTION gcmc__audit_statement('compliance_score', 'clientId');
CREATE TRIGGER desktop_audit_u AFTER UPDATE ON compliance_scores
    REFERENCING OLD TABLE AS gcmc_old NEW TABLE AS gcmc_new FOR EACH STATEMENT WHEN ({STAFF})
    EXECUTE FUNCTION gcmc__audit_statement('compliance_score', 'clientId');
DROP FUNCTION IF EXISTS gcmc__audit_scores();
DROP FUNCTION IF EXISTS desktop_score_documents(integer, integer, integer);
DROP TABLE IF EXISTS desktop_score_runs;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
