"""Reminders (issue 15): the generator, its once-only keys, and read state. Additive only.

- `desktop_notification_keys`: one row per (firm, subject type, subject id, threshold,
  recipient) a reminder was ever made for. Its primary key is what makes generation idempotent
  across workstations: two concurrent runs both `INSERT ... ON CONFLICT DO NOTHING`, one wins,
  the other makes nothing. The row stays when the notification is deleted (`notificationId`
  set NULL), so a deleted reminder is not made again. Staff may read their firm's rows only;
  only the generator writes.
- `desktop_notification_reads`: who has read which notification, and when (the platform has
  no read flag; its `channelStatus` is the delivery state pending/sent/failed). A staff
  member reads and deletes only their own rows, and inserts them only for notifications
  addressed to them in the signed-in firm (guarded through the parent notification).
- `notifications` SELECT for staff: the rows addressed to oneself, everyone's only with
  notifications:send or :edit (the policy of 0006 let every member read all of the firm's,
  and reminders name clients and documents a member may not be allowed to see).
- `desktop_generate_reminders(tenant)`: SECURITY DEFINER, so that every reminder is made
  whoever runs it (a filing clerk's workstation may not read documents, but their expiry
  reminders go to the managers all the same). It answers only for the session's chosen firm
  (`gcmc_tenant()`: a member of it) — administrators (no RLS) for any firm — and returns
  nothing for NULL, another firm or an unknown id. What it writes is derived from the firm's
  own rows only; the caller chooses nothing but the firm. Set-based: one statement for the
  whole firm. Returns (notification id, kind) of the reminders it made.

  Reminders (the firm's local day, `tenants.settings.timezone`, default America/Guyana):
  open filings (draft, prepared, rejected, overdue) by their real due date
  (`desktop_filing_due_dates`): due in 7 days (2–7 days left), in 1 day (today or tomorrow),
  overdue; documents by their latest version's expiry (`desktop_latest_versions`, not
  rejected): in 60 (31–60 days), 30 (8–30) and 7 days (0–7), expired; staff tasks open or in
  progress: due (today or tomorrow), overdue; service requests `awaiting_client` untouched
  (`updatedAt`) for 7 days — the schema keeps no time of the status change, so the last change
  stands for it, and a request that is changed and then waits 7 days again is reminded again.
  Overdue and expired look back 30 days: a first run on an old database does not flood anyone
  with years-old items. Only the most urgent threshold met is made per subject and run.

  Recipients: the assignee (a task's; a request's `metadata.assignedToId`; a filing's = the
  assignees of its tasks not completed, as the deadlines calendar counts them), else the firm's
  compliance managers and admins (roles ComplianceManager, FirmAdmin, Admin) — always members
  of the firm at the time of the run.

Revision ID: 0017_notifications
Revises: 0016_trash
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op

revision = "0017_notifications"
down_revision = "0016_trash"
branch_labels = None
depends_on = None

UPGRADE = r"""
CREATE TABLE desktop_notification_keys (
    "tenantId" integer NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    "subjectType" text NOT NULL,
    "subjectId" integer NOT NULL,
    "threshold" text NOT NULL,
    "recipientUserId" text NOT NULL REFERENCES "user" (_id) ON DELETE CASCADE,
    "notificationId" integer REFERENCES notifications (id) ON DELETE SET NULL,
    "createdAt" timestamp(3) NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'),
    PRIMARY KEY ("tenantId", "subjectType", "subjectId", "threshold", "recipientUserId")
);
CREATE INDEX desktop_notification_keys_notification_idx
    ON desktop_notification_keys ("notificationId");
ALTER TABLE desktop_notification_keys ENABLE ROW LEVEL SECURITY;
CREATE POLICY staff_select ON desktop_notification_keys FOR SELECT TO gcmc_staff
    USING ("tenantId" = (SELECT gcmc_tenant()));
REVOKE ALL ON desktop_notification_keys FROM PUBLIC;
GRANT SELECT ON desktop_notification_keys TO gcmc_staff;

CREATE TABLE desktop_notification_reads (
    "notificationId" integer NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
    "userId" text NOT NULL REFERENCES "user" (_id) ON DELETE CASCADE,
    "readAt" timestamp(3) NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'),
    PRIMARY KEY ("notificationId", "userId")
);
ALTER TABLE desktop_notification_reads ENABLE ROW LEVEL SECURITY;
-- Reading and deleting: one's own rows (a plain index condition, so the inbox's unread test
-- stays an index probe). Marking read: only a notification addressed to oneself in the
-- signed-in firm (the parent row under its own policy).
CREATE POLICY staff_select ON desktop_notification_reads FOR SELECT TO gcmc_staff
    USING ("userId" = gcmc_current_user_id());
CREATE POLICY staff_delete ON desktop_notification_reads FOR DELETE TO gcmc_staff
    USING ("userId" = gcmc_current_user_id());
CREATE POLICY staff_insert ON desktop_notification_reads FOR INSERT TO gcmc_staff
    WITH CHECK ("userId" = gcmc_current_user_id()
                AND EXISTS (SELECT 1 FROM notifications p
                            WHERE p.id = "notificationId"
                              AND p."recipientUserId" = gcmc_current_user_id()));
REVOKE ALL ON desktop_notification_reads FROM PUBLIC;
GRANT SELECT, INSERT, DELETE ON desktop_notification_reads TO gcmc_staff;

-- Reminders name clients, documents and filings: a member reads the notifications addressed
-- to them; everyone's only with the notifications send or edit permission (FirmAdmin,
-- Admin), as writing everyone's needs edit (migration 0006). Was: every member read all.
DROP POLICY IF EXISTS staff_select ON notifications;
CREATE POLICY staff_select ON notifications FOR SELECT TO gcmc_staff
    USING ("tenantId" = gcmc_tenant()
           AND ("recipientUserId" = gcmc_current_user_id()
                OR (SELECT gcmc_has_permission('notifications', 'send')
                           OR gcmc_has_permission('notifications', 'edit'))));

-- A recipient's inbox, newest first, as one keyset range scan.
CREATE INDEX desktop_notifications_inbox_idx
    ON notifications ("tenantId", "recipientUserId", "createdAt", id);

-- "today", "tomorrow", "in 5 days"; "yesterday", "5 days ago". The two word helpers have no
-- SET clause so that the planner inlines them (a SET makes every call a function call with
-- its own settings, which was most of a later run's time); they use built-ins only, and
-- only the generator (their owner) may call them.
CREATE FUNCTION desktop__days_phrase(p_days integer) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN p_days = 0 THEN 'today' WHEN p_days = 1 THEN 'tomorrow'
                WHEN p_days = -1 THEN 'yesterday'
                WHEN p_days > 1 THEN 'in ' || p_days || ' days'
                ELSE (-p_days) || ' days ago' END
$$;

-- A subject and its client in words: "Trade licence of Acme Ltd"; the title alone when it names
-- the client already ("Trade licence - Acme Ltd"), or when there is no client.
CREATE FUNCTION desktop__subject_words(p_title text, p_joiner text, p_client text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN p_client IS NULL OR p_client = ''
                     OR pg_catalog.strpos(pg_catalog.lower(p_title),
                                          pg_catalog.lower(p_client)) > 0 THEN p_title
                ELSE p_title || ' ' || p_joiner || ' ' || p_client END
$$;

-- A reminder's message: "VAT return – March 2026 for Acme Ltd is due tomorrow (4 Dec 2026)."
CREATE FUNCTION desktop__reminder_message(p_kind text, p_subject text, p_day date,
                                          p_days_left integer) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
        WHEN p_kind IN ('filing_overdue', 'task_overdue')
            THEN pg_catalog.format('%s was due on %s.', p_subject,
                                   pg_catalog.to_char(p_day, 'FMDD Mon YYYY'))
        WHEN p_kind IN ('filing_due', 'task_due')
            THEN pg_catalog.format('%s is due %s (%s).', p_subject,
                                   desktop__days_phrase(p_days_left),
                                   pg_catalog.to_char(p_day, 'FMDD Mon YYYY'))
        WHEN p_kind = 'document_expired'
            THEN pg_catalog.format('%s expired on %s.', p_subject,
                                   pg_catalog.to_char(p_day, 'FMDD Mon YYYY'))
        WHEN p_kind = 'document_expiring'
            THEN pg_catalog.format('%s expires %s (%s).', p_subject,
                                   desktop__days_phrase(p_days_left),
                                   pg_catalog.to_char(p_day, 'FMDD Mon YYYY'))
        ELSE pg_catalog.format('%s: waiting on the client since %s.', p_subject,
                               pg_catalog.to_char(p_day, 'FMDD Mon YYYY'))
    END
$$;

CREATE FUNCTION desktop_generate_reminders(p_tenant integer)
RETURNS TABLE (id integer, kind text)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_tenant integer;
    v_tz text;
    v_now timestamp := (now() AT TIME ZONE 'UTC');
    v_today date;
    v_lookback constant integer := 30;
BEGIN
    IF p_tenant IS NULL THEN
        RETURN;
    END IF;
    IF gcmc_is_admin() OR p_tenant IS NOT DISTINCT FROM gcmc_tenant() THEN
        v_tenant := p_tenant;
    ELSE
        RETURN;
    END IF;
    SELECT coalesce(nullif(t.settings ->> 'timezone', ''), 'America/Guyana') INTO v_tz
    FROM tenants t WHERE t.id = v_tenant;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_timezone_names WHERE name = v_tz) THEN
        v_tz := 'America/Guyana';
    END IF;
    v_today := (now() AT TIME ZONE v_tz)::date;

    RETURN QUERY
    WITH members AS (
        SELECT tu."userId" AS user_id, r.name AS role_name
        FROM tenant_users tu JOIN roles r ON r.id = tu."roleId"
        WHERE tu."tenantId" = v_tenant
    ),
    managers AS (
        SELECT user_id FROM members
        WHERE role_name IN ('ComplianceManager', 'FirmAdmin', 'Admin')
    ),
    filing_rows AS (
        SELECT f.id, f."clientId" AS client_id, d."dueDate" AS day,
               d."dueDate" - v_today AS days_left,
               coalesce(ft.name, 'Filing') || coalesce(' – ' || nullif(f."periodLabel", ''), '')
                   AS title,
               c.name AS client_name
        FROM desktop_filing_due_dates d
        JOIN filings f ON f.id = d."filingId"
        JOIN clients c ON c.id = f."clientId"
        LEFT JOIN filing_types ft ON ft.id = f."filingTypeId"
        WHERE d."tenantId" = v_tenant AND d."open"
          AND d."dueDate" BETWEEN v_today - v_lookback AND v_today + 7
          AND f."tenantId" = v_tenant
          AND f.status IN ('draft', 'prepared', 'rejected', 'overdue')
    ),
    document_rows AS (
        SELECT doc.id, doc."clientId" AS client_id, x.day, x.day - v_today AS days_left,
               coalesce(nullif(doc.title, ''), dt.name, 'Document') AS title,
               c.name AS client_name
        FROM desktop_latest_versions lv
        JOIN documents doc ON doc.id = lv."documentId"
        JOIN clients c ON c.id = doc."clientId"
        LEFT JOIN document_types dt ON dt.id = doc."documentTypeId"
        CROSS JOIN LATERAL (
            SELECT ((lv."expiryDate" AT TIME ZONE 'UTC') AT TIME ZONE v_tz)::date AS day
        ) x
        WHERE lv."tenantId" = v_tenant
          AND lv."expiryDate" >= (v_today - v_lookback - 1)::timestamp
          AND lv."expiryDate" < (v_today + 62)::timestamp
          AND doc."tenantId" = v_tenant
          AND doc.status IS DISTINCT FROM 'rejected'
    ),
    task_rows AS (
        SELECT t.id, t."clientId" AS client_id, x.day, x.day - v_today AS days_left,
               t."dueDate" < v_now AS late, t.title, c.name AS client_name,
               t."assignedToId" AS assignee
        FROM tasks t
        LEFT JOIN clients c ON c.id = t."clientId"
        CROSS JOIN LATERAL (
            SELECT ((t."dueDate" AT TIME ZONE 'UTC') AT TIME ZONE v_tz)::date AS day
        ) x
        WHERE t."tenantId" = v_tenant AND t.status IN ('open', 'in_progress')
          AND t."dueDate" >= v_now - make_interval(days => v_lookback)
          AND t."dueDate" < (v_today + 3)::timestamp
    ),
    request_rows AS (
        SELECT r.id, r."clientId" AS client_id, r."updatedAt" AS since,
               ((r."updatedAt" AT TIME ZONE 'UTC') AT TIME ZONE v_tz)::date AS day,
               coalesce(s.name, 'Service request') AS title, c.name AS client_name,
               r.metadata ->> 'assignedToId' AS assignee
        FROM service_requests r
        JOIN clients c ON c.id = r."clientId"
        LEFT JOIN services s ON s.id = r."serviceId"
        WHERE r."tenantId" = v_tenant AND r.status = 'awaiting_client'
          AND r."updatedAt" <= v_now - interval '7 days'
    ),
    -- What each subject is and which threshold it has reached; its words (`title`, already
    -- with its client where the title does not name it) become the message only for the
    -- reminders actually made.
    subjects AS (
        SELECT 'filing'::text AS subject_type, f.id AS subject_id, f.client_id, f.day,
               f.days_left,
               CASE WHEN f.days_left < 0 THEN 'overdue' WHEN f.days_left <= 1 THEN '1d'
                    ELSE '7d' END AS threshold,
               CASE WHEN f.days_left < 0 THEN 'filing_overdue' ELSE 'filing_due' END AS kind,
               f.title, 'for'::text AS joiner, f.client_name, NULL::text AS assignee
        FROM filing_rows f
        UNION ALL
        SELECT 'document', d.id, d.client_id, d.day, d.days_left,
               CASE WHEN d.days_left < 0 THEN 'expired' WHEN d.days_left <= 7 THEN '7d'
                    WHEN d.days_left <= 30 THEN '30d' ELSE '60d' END,
               CASE WHEN d.days_left < 0 THEN 'document_expired' ELSE 'document_expiring' END,
               d.title, 'of', d.client_name, NULL::text
        FROM document_rows d
        WHERE d.days_left BETWEEN -v_lookback AND 60
        UNION ALL
        SELECT 'task', t.id, t.client_id, t.day, t.days_left,
               CASE WHEN t.late THEN 'overdue' ELSE 'due' END,
               CASE WHEN t.late THEN 'task_overdue' ELSE 'task_due' END,
               'Task "' || t.title || '"', 'for', t.client_name, t.assignee
        FROM task_rows t
        WHERE t.late OR t.days_left <= 1
        UNION ALL
        SELECT 'service_request', r.id, r.client_id, r.day, NULL::integer,
               'waiting_7d:' || to_char(r.since, 'YYYY-MM-DD"T"HH24:MI:SS.MS'),
               'request_waiting', r.title, 'for', r.client_name, r.assignee
        FROM request_rows r
    ),
    -- A filing's assignees: the people on its tasks not yet completed.
    filing_assignees AS (
        SELECT DISTINCT t."filingId" AS filing_id, t."assignedToId" AS user_id
        FROM tasks t
        WHERE t."tenantId" = v_tenant AND t."assignedToId" IS NOT NULL
          AND t.status IN ('open', 'in_progress', 'blocked')
          AND t."filingId" IN (SELECT s.subject_id FROM subjects s
                               WHERE s.subject_type = 'filing')
    ),
    assigned AS (
        SELECT s.subject_type, s.subject_id, m.user_id
        FROM subjects s JOIN members m ON m.user_id = s.assignee
        UNION
        SELECT 'filing', fa.filing_id, m.user_id
        FROM filing_assignees fa JOIN members m ON m.user_id = fa.user_id
    ),
    addressed AS (
        SELECT s.*, a.user_id AS recipient
        FROM subjects s
        JOIN assigned a ON a.subject_type = s.subject_type AND a.subject_id = s.subject_id
        UNION ALL
        SELECT s.*, m.user_id
        FROM subjects s CROSS JOIN managers m
        WHERE NOT EXISTS (SELECT 1 FROM assigned a WHERE a.subject_type = s.subject_type
                                                     AND a.subject_id = s.subject_id)
    ),
    -- Made already: skipped before an id is drawn (a later run costs one probe per subject);
    -- the conflict clause below still settles two runs at once.
    candidates AS (
        SELECT a.*, nextval('notifications_id_seq')::integer AS new_id FROM addressed a
        WHERE NOT EXISTS (
            SELECT 1 FROM desktop_notification_keys k
            WHERE k."tenantId" = v_tenant AND k."subjectType" = a.subject_type
              AND k."subjectId" = a.subject_id AND k."threshold" = a.threshold
              AND k."recipientUserId" = a.recipient)
        -- Ids in this order (drawn after the sort), so that the inbox, newest first, shows a
        -- run's overdue and expired ones first, then the soonest due, most overdue first.
        ORDER BY a.kind IN ('filing_overdue', 'document_expired', 'task_overdue'),
                 a.day DESC, a.subject_type, a.subject_id, a.recipient
    ),
    keyed AS (
        INSERT INTO desktop_notification_keys AS k
            ("tenantId", "subjectType", "subjectId", "threshold", "recipientUserId",
             "notificationId", "createdAt")
        SELECT v_tenant, c.subject_type, c.subject_id, c.threshold, c.recipient, c.new_id, v_now
        FROM candidates c
        ON CONFLICT DO NOTHING
        RETURNING k."notificationId"
    ),
    made AS (
        INSERT INTO notifications AS n
            (id, "tenantId", "recipientUserId", type, "channelStatus", message, metadata,
             "createdAt")
        SELECT c.new_id, v_tenant, c.recipient, 'in_app', 'sent',
               desktop__reminder_message(c.kind, desktop__subject_words(c.title, c.joiner,
                                                                        c.client_name),
                                         c.day, c.days_left),
               jsonb_build_object('source', 'gcmc-desktop', 'kind', c.kind,
                                  'threshold', c.threshold, 'subjectType', c.subject_type,
                                  'subjectId', c.subject_id, 'clientId', c.client_id,
                                  'date', c.day::text),
               v_now
        FROM candidates c JOIN keyed k ON k."notificationId" = c.new_id
        RETURNING n.id, n.metadata ->> 'kind' AS kind
    )
    SELECT made.id, made.kind FROM made ORDER BY made.id;
END $$;
REVOKE ALL ON FUNCTION desktop__days_phrase(integer), desktop__subject_words(text, text, text),
    desktop__reminder_message(text, text, date, integer), desktop_generate_reminders(integer)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION desktop_generate_reminders(integer) TO gcmc_staff;
"""

DOWNGRADE = r"""
DROP FUNCTION IF EXISTS desktop_generate_reminders(integer);
DROP FUNCTION IF EXISTS desktop__reminder_message(text, text, date, integer);
DROP FUNCTION IF EXISTS desktop__subject_words(text, text, text);
DROP FUNCTION IF EXISTS desktop__days_phrase(integer);
DROP INDEX IF EXISTS desktop_notifications_inbox_idx;
DROP POLICY IF EXISTS staff_select ON notifications;
CREATE POLICY staff_select ON notifications FOR SELECT TO gcmc_staff
    USING ("tenantId" = gcmc_tenant());
DROP TABLE IF EXISTS desktop_notification_reads;
DROP TABLE IF EXISTS desktop_notification_keys;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
