"""Audit entries of a record are read with that record's view permission.

DOMAIN.md §1 lets every member of a firm read its audit log, and migration 0006 let staff
read every audit row of their firm. But an entry carries the record's values: a FilingClerk
(no `documents` permission) read the titles, tags and text of documents there, a Viewer (no
`users`) members' names and e-mail addresses, anyone without `messages` the messages. Now an
entry about a record of a permission-guarded module is readable with that module's `view`
(the same modules that guard the records themselves, migration 0006); entries of other types
(the platform's own, for example) stay readable by every member, as before. The archive
(migration 0021) follows the same rule.

`desktop_audit_hidden_types()` is the connected user's list of entity types they may not read
(in their chosen firm); the policies compare with it once per statement (an InitPlan), so a
10-million-row audit page pays one array test per row it reads. The Audit page offers only the
other types in its record filter.

Revision ID: 0023_audit_scope
Revises: 0022_pairing
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op

revision = "0023_audit_scope"
down_revision = "0022_pairing"
branch_labels = None
depends_on = None

# entity type (as the audit triggers write it) -> the module whose `view` reads it
ENTITY_MODULES = {
    "client": "clients",
    "client_business": "clients",
    "client_portal_access": "users",
    "client_task": "tasks",
    "compliance_rule": "compliance",
    "compliance_rule_set": "compliance",
    "compliance_score": "compliance",
    "conversation": "messages",
    "document": "documents",
    "document_type": "documents",
    "document_version": "documents",
    "filing": "filings",
    "filing_document": "filings",
    "filing_type": "filings",
    "message": "messages",
    "notification": "notifications",
    "permission": "settings",
    "recurring_filing": "filings",
    "requirement_bundle": "compliance",
    "requirement_bundle_item": "compliance",
    "role": "settings",
    "service": "services",
    "service_request": "services",
    "service_request_template": "services",
    "service_step": "services",
    "subscription": "subscriptions",
    "task": "tasks",
    "tenant": "settings",
    "tenant_user": "users",
    "user": "users",
}

VALUES = ", ".join(f"('{entity}', '{module}')" for entity, module in ENTITY_MODULES.items())
VISIBLE = '"tenantId" = gcmc_tenant() AND "entityType" <> ALL ((SELECT desktop_audit_hidden_types())::text[])'
FIRM_ONLY = '"tenantId" = gcmc_tenant()'


def _policies(using: str) -> None:
    for table in ("audit_logs", "desktop_audit_archive"):
        op.execute(f"DROP POLICY IF EXISTS staff_select ON {table}")
        op.execute(
            f"CREATE POLICY staff_select ON {table} FOR SELECT TO gcmc_staff USING ({using})"
        )


def upgrade() -> None:
    op.execute(f"""
CREATE FUNCTION desktop_audit_hidden_types() RETURNS text[]
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT coalesce(array_agg(m.entity ORDER BY m.entity), '{{}}'::text[])
    FROM (VALUES {VALUES}) AS m(entity, module)
    WHERE NOT coalesce(gcmc_has_permission(m.module, 'view'), false)
$$;
REVOKE ALL ON FUNCTION desktop_audit_hidden_types() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION desktop_audit_hidden_types() TO gcmc_staff;
""")
    _policies(VISIBLE)


def downgrade() -> None:
    _policies(FIRM_ONLY)
    op.execute("DROP FUNCTION IF EXISTS desktop_audit_hidden_types()")
