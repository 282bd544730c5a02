"""Change notifications: the database announces committed changes, so every workstation of a
firm refreshes what it shows (live refresh, ARCHITECTURE.md "the kit").

Statement-level AFTER triggers with transition tables send one `pg_notify` per statement, firm
and entity type: `{"e": entity type, "a": "c"|"u"|"d", "ids": [ids] | null}` — ids only, never
row contents; `null` when too many ids to list (refresh everything of that type). PostgreSQL
delivers notifications at commit, and never for a rolled-back transaction. They fire for every
writer — staff, the CLI and the web platform alike.

PostgreSQL lets any role LISTEN on any channel, so a firm's channel name carries a random
secret (`desktop_change_channels`, readable by nobody but the owner); a member learns it from
`gcmc_change_channel()`, which answers only for the firm the caller is a member of.

Revision ID: 0007_change_notifications
Revises: 0006_security_hardening
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0007_change_notifications"
down_revision = "0006_security_hardening"
branch_labels = None
depends_on = None

# entity type (as the audit trail names it) and how a changed row finds its firm
TENANT = 'x."tenantId"'
ANNOUNCED: dict[str, tuple[str, str]] = {
    "clients": ("client", TENANT),
    "client_businesses": ("client_business", TENANT),
    "client_portal_access": ("client_portal_access", TENANT),
    "client_tasks": ("client_task", TENANT),
    "compliance_rule_sets": ("compliance_rule_set", TENANT),
    "compliance_rules": (
        "compliance_rule",
        '(SELECT p."tenantId" FROM compliance_rule_sets p WHERE p.id = x."ruleSetId")',
    ),
    "compliance_scores": ("compliance_score", TENANT),
    "conversations": ("conversation", TENANT),
    "documents": ("document", TENANT),
    "document_types": ("document_type", TENANT),
    "document_versions": (
        "document_version",
        '(SELECT p."tenantId" FROM documents p WHERE p.id = x."documentId")',
    ),
    "filings": ("filing", TENANT),
    "filing_types": ("filing_type", TENANT),
    "filing_documents": (
        "filing_document",
        '(SELECT p."tenantId" FROM filings p WHERE p.id = x."filingId")',
    ),
    "messages": ("message", TENANT),
    "notifications": ("notification", TENANT),
    "recurring_filings": ("recurring_filing", TENANT),
    "requirement_bundles": ("requirement_bundle", TENANT),
    "requirement_bundle_items": (
        "requirement_bundle_item",
        '(SELECT p."tenantId" FROM requirement_bundles p WHERE p.id = x."bundleId")',
    ),
    "roles": ("role", TENANT),
    "permissions": ("permission", '(SELECT p."tenantId" FROM roles p WHERE p.id = x."roleId")'),
    "service_request_templates": ("service_request_template", TENANT),
    "service_requests": ("service_request", TENANT),
    "service_steps": (
        "service_step",
        '(SELECT p."tenantId" FROM service_requests p WHERE p.id = x."serviceRequestId")',
    ),
    "services": ("service", TENANT),
    "subscriptions": ("subscription", TENANT),
    "tasks": ("task", TENANT),
    "tenant_users": ("tenant_user", TENANT),
}
EVENTS = {"INSERT": ("c", "NEW"), "UPDATE": ("u", "NEW"), "DELETE": ("d", "OLD")}

UPGRADE = r"""
CREATE TABLE desktop_change_channels (
    "tenantId" integer PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    channel text NOT NULL UNIQUE
);
REVOKE ALL ON desktop_change_channels FROM PUBLIC;

CREATE FUNCTION gcmc__change_channel(p_tenant integer) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_channel text;
BEGIN
    SELECT channel INTO v_channel FROM desktop_change_channels WHERE "tenantId" = p_tenant;
    IF v_channel IS NULL AND EXISTS (SELECT 1 FROM tenants WHERE id = p_tenant) THEN
        INSERT INTO desktop_change_channels ("tenantId", channel)
        VALUES (p_tenant, 'gcmc_changes_' || replace(gen_random_uuid()::text, '-', ''))
        ON CONFLICT ("tenantId") DO NOTHING;
        SELECT channel INTO v_channel FROM desktop_change_channels WHERE "tenantId" = p_tenant;
    END IF;
    RETURN v_channel;
END $$;

-- The channel of the firm chosen for this session (gcmc.tenant_id), for its members only.
CREATE FUNCTION gcmc_change_channel() RETURNS text
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT CASE WHEN gcmc_tenant() IS NOT NULL THEN gcmc__change_channel(gcmc_tenant()) END
$$;

-- One notification per firm for the statement's rows. TG_ARGV: entity type, action letter,
-- the SQL expression of a changed row's firm (over the transition table "x").
CREATE FUNCTION gcmc__announce_changes() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_group record;
    v_payload text;
BEGIN
    FOR v_group IN EXECUTE format(
        'SELECT t, array_agg(id ORDER BY id) AS ids, count(*) AS n FROM '
        '(SELECT %s AS t, x.id FROM changed_rows x) y WHERE t IS NOT NULL GROUP BY t',
        TG_ARGV[2])
    LOOP
        v_payload := json_build_object('e', TG_ARGV[0], 'a', TG_ARGV[1],
                                       'ids', CASE WHEN v_group.n <= 500 THEN v_group.ids END)::text;
        -- No channel while the firm itself is being deleted: nobody is left to tell.
        PERFORM pg_notify(channel, v_payload)
        FROM (SELECT gcmc__change_channel(v_group.t) AS channel) c WHERE channel IS NOT NULL;
    END LOOP;
    RETURN NULL;
END $$;

REVOKE ALL ON FUNCTION gcmc__change_channel(integer), gcmc__announce_changes(),
    gcmc_change_channel() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION gcmc_change_channel() TO gcmc_staff;
"""


def upgrade() -> None:
    op.execute(UPGRADE)
    for table, (entity, tenant) in ANNOUNCED.items():
        for event, (letter, which) in EVENTS.items():
            op.execute(
                f'CREATE TRIGGER desktop_announce_{letter} AFTER {event} ON "{table}" '
                f"REFERENCING {which} TABLE AS changed_rows FOR EACH STATEMENT "
                f"EXECUTE FUNCTION gcmc__announce_changes('{entity}', '{letter}', "
                f"'{tenant.replace(chr(39), chr(39) * 2)}')"
            )


def downgrade() -> None:
    for table in ANNOUNCED:
        for letter, _which in EVENTS.values():
            op.execute(f'DROP TRIGGER IF EXISTS desktop_announce_{letter} ON "{table}"')
    op.execute(
        "DROP FUNCTION IF EXISTS gcmc__announce_changes(), gcmc_change_channel(), "
        "gcmc__change_channel(integer); DROP TABLE IF EXISTS desktop_change_channels"
    )
