"""Security hardening: the database enforces what the application enforces.

A staff member with psql and their own credentials (or only the login-gateway password) gets no
more than the application gives them. Additive: the web platform connects as the tables' owner,
which none of this restricts (row-level security, the triggers' WHEN clauses and the permission
checks apply to staff connections only), so it keeps working on the same database.

- Effective permissions in the database follow the application's rule exactly: the role's
  permission rows when it has any, else the built-in table by role name (`desktop_role_templates`,
  DOMAIN.md §1 with the desktop convention) — not only SuperAdmin's fallback.
- Row-level security checks the module permission per command (view/create/edit/delete) on every
  business table, child tables included; policy permission checks are uncorrelated sub-selects,
  so PostgreSQL evaluates them once per statement (an InitPlan), not once per row.
- Every staff write to a business table writes its audit row in the database (AFTER ROW
  triggers, `{field: [before, after]}` with snake_case keys, actor = the connected user, IP and
  user agent from the transaction settings the application passes). Staff can no longer insert
  audit rows themselves.
- Cross-tenant references: a BEFORE trigger checks that every referenced tenant-scoped row is in
  the row's own firm, and answers a foreign or nonexistent id with the same foreign-key error, so
  ids cannot be probed. Author/uploader columns must be the connected user.
- Memberships: a membership's role belongs to its firm; nobody changes their own membership or
  their own role; nobody grants (or touches a member holding) a role with permissions they do not
  hold themselves. Provisioning an existing user only adds the membership: it never sets or resets
  their password or login. Password resets and disabling need `users:edit` in every firm the
  target belongs to, over a role within the caller's.
- Sign-in: `gcmc_sign_in` verifies the scrypt key against the Better-Auth hash (strict formats;
  NULL, empty and malformed keys and non-scrypt hashes never match), counts failures itself and
  returns the login role only on success; no callable function records or clears a lockout.
  Unknown e-mails get a fake salt keyed with a server-side secret and the same answer shape.
- Caps: `session` rows written by staff expire within 7 days; `gcmc_remember_device` accepts at
  most 7 days. Sequences: USAGE only (their last_value would reveal other firms' totals).
- Where the migration runs as a superuser on PostgreSQL ≥ 17, a login event trigger refuses a
  staff login role whose password was changed outside the application (`ALTER ROLE … PASSWORD`).

Revision ID: 0006_security_hardening
Revises: 0005_documents
Create Date: 2026-12-02
"""

from __future__ import annotations

import re
from pathlib import Path

from alembic import op

from gcmc_desktop.db.revisions import earlier

revision = "0006_security_hardening"
down_revision = "0005_documents"
branch_labels = None
depends_on = None

MAX_SESSION_DAYS = 7  # the web platform's "remember me"; the longest session a staff user may hold

# The built-in permission table by role name (DOMAIN.md §1 plus the desktop convention), frozen
# here as it stood when this revision was written.
ROLE_TEMPLATES = """
('SuperAdmin', '*', '*'),
('FirmAdmin', 'clients', 'view'),
('FirmAdmin', 'clients', 'create'),
('FirmAdmin', 'clients', 'edit'),
('FirmAdmin', 'clients', 'delete'),
('FirmAdmin', 'documents', 'view'),
('FirmAdmin', 'documents', 'create'),
('FirmAdmin', 'documents', 'edit'),
('FirmAdmin', 'documents', 'delete'),
('FirmAdmin', 'filings', 'view'),
('FirmAdmin', 'filings', 'create'),
('FirmAdmin', 'filings', 'edit'),
('FirmAdmin', 'filings', 'delete'),
('FirmAdmin', 'filings', 'submit'),
('FirmAdmin', 'services', 'view'),
('FirmAdmin', 'services', 'create'),
('FirmAdmin', 'services', 'edit'),
('FirmAdmin', 'services', 'delete'),
('FirmAdmin', 'compliance', 'view'),
('FirmAdmin', 'compliance', 'edit'),
('FirmAdmin', 'tasks', 'view'),
('FirmAdmin', 'tasks', 'create'),
('FirmAdmin', 'tasks', 'edit'),
('FirmAdmin', 'tasks', 'delete'),
('FirmAdmin', 'tasks', 'assign'),
('FirmAdmin', 'users', 'view'),
('FirmAdmin', 'users', 'create'),
('FirmAdmin', 'users', 'edit'),
('FirmAdmin', 'users', 'delete'),
('FirmAdmin', 'settings', 'view'),
('FirmAdmin', 'settings', 'edit'),
('FirmAdmin', 'notifications', 'view'),
('FirmAdmin', 'notifications', 'send'),
('FirmAdmin', 'analytics', 'view'),
('FirmAdmin', 'dashboard', 'view'),
('FirmAdmin', 'messages', '*'),
('FirmAdmin', 'reports', '*'),
('FirmAdmin', 'audit', 'view'),
('Admin', 'clients', 'view'),
('Admin', 'clients', 'create'),
('Admin', 'clients', 'edit'),
('Admin', 'clients', 'delete'),
('Admin', 'documents', 'view'),
('Admin', 'documents', 'create'),
('Admin', 'documents', 'edit'),
('Admin', 'documents', 'delete'),
('Admin', 'filings', 'view'),
('Admin', 'filings', 'create'),
('Admin', 'filings', 'edit'),
('Admin', 'filings', 'delete'),
('Admin', 'filings', 'submit'),
('Admin', 'services', 'view'),
('Admin', 'services', 'create'),
('Admin', 'services', 'edit'),
('Admin', 'services', 'delete'),
('Admin', 'compliance', 'view'),
('Admin', 'compliance', 'edit'),
('Admin', 'compliance', 'manage'),
('Admin', 'tasks', 'view'),
('Admin', 'tasks', 'create'),
('Admin', 'tasks', 'edit'),
('Admin', 'tasks', 'delete'),
('Admin', 'users', 'view'),
('Admin', 'users', 'create'),
('Admin', 'users', 'edit'),
('Admin', 'users', 'delete'),
('Admin', 'notifications', 'view'),
('Admin', 'notifications', 'create'),
('Admin', 'notifications', 'edit'),
('Admin', 'notifications', 'delete'),
('Admin', 'analytics', 'view'),
('Admin', 'analytics', 'edit'),
('Admin', 'dashboard', 'view'),
('Admin', 'dashboard', 'edit'),
('Admin', 'profile', 'view'),
('Admin', 'profile', 'edit'),
('Admin', 'system', 'view'),
('Admin', 'system', 'edit'),
('Admin', 'system', 'manage'),
('ComplianceManager', 'clients', 'view'),
('ComplianceManager', 'clients', 'create'),
('ComplianceManager', 'clients', 'edit'),
('ComplianceManager', 'documents', 'view'),
('ComplianceManager', 'documents', 'create'),
('ComplianceManager', 'documents', 'edit'),
('ComplianceManager', 'filings', 'view'),
('ComplianceManager', 'filings', 'create'),
('ComplianceManager', 'filings', 'edit'),
('ComplianceManager', 'filings', 'submit'),
('ComplianceManager', 'services', 'view'),
('ComplianceManager', 'services', 'create'),
('ComplianceManager', 'services', 'edit'),
('ComplianceManager', 'compliance', 'view'),
('ComplianceManager', 'compliance', 'edit'),
('ComplianceOfficer', 'clients', 'view'),
('ComplianceOfficer', 'clients', 'edit'),
('ComplianceOfficer', 'documents', 'view'),
('ComplianceOfficer', 'documents', 'create'),
('ComplianceOfficer', 'documents', 'edit'),
('ComplianceOfficer', 'filings', 'view'),
('ComplianceOfficer', 'filings', 'create'),
('ComplianceOfficer', 'filings', 'edit'),
('ComplianceOfficer', 'filings', 'submit'),
('DocumentOfficer', 'clients', 'view'),
('DocumentOfficer', 'documents', 'view'),
('DocumentOfficer', 'documents', 'create'),
('DocumentOfficer', 'documents', 'edit'),
('FilingClerk', 'clients', 'view'),
('FilingClerk', 'filings', 'view'),
('FilingClerk', 'filings', 'create'),
('FilingClerk', 'filings', 'edit'),
('Viewer', 'clients', 'view'),
('Viewer', 'documents', 'view'),
('Viewer', 'filings', 'view'),
('Viewer', 'services', 'view'),
('Viewer', 'compliance', 'view'),
('Viewer', 'tasks', 'view'),
('Viewer', 'notifications', 'view'),
('Viewer', 'analytics', 'view'),
('Viewer', 'dashboard', 'view'),
('ClientPortalUser', 'client_portal', 'view'),
('ClientPortalUser', 'client_portal', 'upload'),
('ClientPortalUser', 'client_portal', 'message')
"""

# Which permission each command needs, per table: (module, {command: actions}); any one of the
# actions suffices. None = tenant membership alone. Guards as DOMAIN.md §1.
CRUD = {"SELECT": ("view",), "INSERT": ("create",), "UPDATE": ("edit",), "DELETE": ("delete",)}
PART_OF_PARENT = {  # child rows are part of their parent: adding or removing one edits it
    "SELECT": ("view",),
    "INSERT": ("create", "edit"),
    "UPDATE": ("edit",),
    "DELETE": ("edit", "delete"),
}
EDIT_WRITES = {"SELECT": ("view",), "INSERT": ("edit",), "UPDATE": ("edit",), "DELETE": ("edit",)}
MEMBER_READ = {"SELECT": None}

PERMISSIONS: dict[str, tuple[str, dict[str, tuple[str, ...] | None]]] = {
    "clients": ("clients", CRUD),
    "client_businesses": ("clients", CRUD),
    "client_portal_access": ("users", {**CRUD, "INSERT": ("create", "edit")}),
    "documents": ("documents", CRUD),
    "document_types": ("documents", CRUD),
    "document_versions": ("documents", {**PART_OF_PARENT, "DELETE": ("delete",)}),
    "filings": ("filings", CRUD),
    "filing_types": ("filings", CRUD),
    "recurring_filings": ("filings", CRUD),
    "filing_documents": ("filings", PART_OF_PARENT),
    "services": ("services", CRUD),
    "service_request_templates": ("services", CRUD),
    "service_requests": ("services", CRUD),
    "service_steps": ("services", PART_OF_PARENT),
    "compliance_rule_sets": ("compliance", EDIT_WRITES),
    "compliance_rules": ("compliance", EDIT_WRITES),
    "compliance_scores": ("compliance", EDIT_WRITES),
    "requirement_bundles": ("compliance", EDIT_WRITES),
    "requirement_bundle_items": ("compliance", EDIT_WRITES),
    "tasks": ("tasks", CRUD),
    "client_tasks": ("tasks", CRUD),
    "conversations": ("messages", CRUD),
    "messages": ("messages", CRUD),
    "tenant_users": ("users", {**CRUD, "SELECT": None}),
    "roles": (
        "settings",
        {"SELECT": None, "INSERT": ("edit",), "UPDATE": ("edit",), "DELETE": ("delete",)},
    ),
    "permissions": (
        "settings",
        {"SELECT": None, "INSERT": ("edit",), "UPDATE": ("edit",), "DELETE": ("edit",)},
    ),
    # Only SuperAdmin ("*") changes a firm's plan.
    "subscriptions": ("subscriptions", {**CRUD, "SELECT": None}),
}
# Tables with their own policies below: audit_logs (read-only for staff), notifications
# (members; a recipient manages their own), tenants, "user", session.

# Child tables without tenantId: visible when their parent row is (the parent is RLS-filtered).
CHILD_PARENTS = {
    "document_versions": 'EXISTS (SELECT 1 FROM documents p WHERE p.id = "documentId")',
    "permissions": 'EXISTS (SELECT 1 FROM roles p WHERE p.id = "roleId")',
    "service_steps": 'EXISTS (SELECT 1 FROM service_requests p WHERE p.id = "serviceRequestId")',
    "filing_documents": 'EXISTS (SELECT 1 FROM filings p WHERE p.id = "filingId") '
    'AND EXISTS (SELECT 1 FROM documents d WHERE d.id = "documentId")',
    "compliance_rules": 'EXISTS (SELECT 1 FROM compliance_rule_sets p WHERE p.id = "ruleSetId")',
    "requirement_bundle_items": 'EXISTS (SELECT 1 FROM requirement_bundles p WHERE p.id = "bundleId")',
}

# References a staff row may make: (column, parent table or "user" = a member of the row's
# firm, constraint reported). The first entry of a child table says where its firm comes from.
REFERENCES: dict[str, tuple[str, list[tuple[str, str, str]]]] = {
    "client_businesses": ("-", [("clientId", "clients", "client_businesses_clientId_fkey")]),
    "client_portal_access": (
        "-",
        [
            ("clientId", "clients", "client_portal_access_clientId_fkey"),
            ("userId", "user", "client_portal_access_userId_fkey"),
        ],
    ),
    "client_tasks": (
        "-",
        [
            ("clientId", "clients", "client_tasks_clientId_fkey"),
            ("serviceRequestId", "service_requests", "client_tasks_serviceRequestId_fkey"),
        ],
    ),
    "compliance_scores": ("-", [("clientId", "clients", "compliance_scores_clientId_fkey")]),
    "conversations": (
        "-",
        [
            ("clientId", "clients", "conversations_clientId_fkey"),
            ("serviceRequestId", "service_requests", "conversations_serviceRequestId_fkey"),
        ],
    ),
    "documents": (
        "-",
        [
            ("clientBusinessId", "client_businesses", "documents_clientBusinessId_fkey"),
            ("clientId", "clients", "documents_clientId_fkey"),
            ("documentTypeId", "document_types", "documents_documentTypeId_fkey"),
            ("latestVersionId", "document_versions", "documents_latestVersionId_fkey"),
        ],
    ),
    "document_versions": (
        "documentId:documents",
        [
            ("uploadedById", "self", "document_versions_uploadedById"),
        ],
    ),
    "filings": (
        "-",
        [
            ("clientBusinessId", "client_businesses", "filings_clientBusinessId_fkey"),
            ("clientId", "clients", "filings_clientId_fkey"),
            ("filingTypeId", "filing_types", "filings_filingTypeId_fkey"),
        ],
    ),
    "messages": (
        "-",
        [
            ("conversationId", "conversations", "messages_conversationId_fkey"),
            ("authorId", "self", "messages_authorId_fkey"),
        ],
    ),
    "notifications": ("-", [("recipientUserId", "user", "notifications_recipientUserId_fkey")]),
    "recurring_filings": (
        "-",
        [
            ("clientBusinessId", "client_businesses", "recurring_filings_clientBusinessId_fkey"),
            ("clientId", "clients", "recurring_filings_clientId_fkey"),
            ("filingTypeId", "filing_types", "recurring_filings_filingTypeId_fkey"),
        ],
    ),
    "requirement_bundle_items": (
        "bundleId:requirement_bundles",
        [
            ("documentTypeId", "document_types", "requirement_bundle_items_documentTypeId_fkey"),
            ("filingTypeId", "filing_types", "requirement_bundle_items_filingTypeId_fkey"),
        ],
    ),
    "service_request_templates": (
        "-",
        [
            ("serviceId", "services", "service_request_templates_serviceId_fkey"),
        ],
    ),
    "service_requests": (
        "-",
        [
            ("clientBusinessId", "client_businesses", "service_requests_clientBusinessId_fkey"),
            ("clientId", "clients", "service_requests_clientId_fkey"),
            ("serviceId", "services", "service_requests_serviceId_fkey"),
            ("templateId", "service_request_templates", "service_requests_templateId_fkey"),
        ],
    ),
    "service_steps": (
        "serviceRequestId:service_requests",
        [
            ("dependsOnStepId", "service_steps", "service_steps_dependsOnStepId_fkey"),
            ("filingId", "filings", "service_steps_filingId_fkey"),
        ],
    ),
    "tasks": (
        "-",
        [
            ("assignedToId", "user", "tasks_assignedToId_fkey"),
            ("clientId", "clients", "tasks_clientId_fkey"),
            ("filingId", "filings", "tasks_filingId_fkey"),
            ("serviceRequestId", "service_requests", "tasks_serviceRequestId_fkey"),
        ],
    ),
    "tenant_users": ("-", [("roleId", "roles", "tenant_users_roleId_fkey")]),
}

# Audited tables: entity type (snake_case model name, as the platform writes it) and where the
# row's client comes from ("self", a column, "<parent table>:<column>", or "-").
AUDITED: dict[str, tuple[str, str]] = {
    "clients": ("client", "self"),
    "client_businesses": ("client_business", "clientId"),
    "client_portal_access": ("client_portal_access", "clientId"),
    "client_tasks": ("client_task", "clientId"),
    "compliance_rule_sets": ("compliance_rule_set", "-"),
    "compliance_rules": ("compliance_rule", "-"),
    "compliance_scores": ("compliance_score", "clientId"),
    "conversations": ("conversation", "clientId"),
    "documents": ("document", "clientId"),
    "document_types": ("document_type", "-"),
    "document_versions": ("document_version", "documents:documentId"),
    "filings": ("filing", "clientId"),
    "filing_types": ("filing_type", "-"),
    "filing_documents": ("filing_document", "filings:filingId"),
    "messages": ("message", "-"),
    "notifications": ("notification", "-"),
    "recurring_filings": ("recurring_filing", "clientId"),
    "requirement_bundles": ("requirement_bundle", "-"),
    "requirement_bundle_items": ("requirement_bundle_item", "-"),
    "roles": ("role", "-"),
    "permissions": ("permission", "-"),
    "service_request_templates": ("service_request_template", "-"),
    "service_requests": ("service_request", "clientId"),
    "service_steps": ("service_step", "service_requests:serviceRequestId"),
    "services": ("service", "-"),
    "subscriptions": ("subscription", "-"),
    "tasks": ("task", "clientId"),
    "tenant_users": ("tenant_user", "-"),
    "tenants": ("tenant", "-"),
    "user": ("user", "-"),
}

STAFF = "gcmc_current_user_id() IS NOT NULL"

FUNCTIONS = (
    r"""
CREATE TABLE desktop_role_templates (
    role_name text NOT NULL,
    module text NOT NULL,
    action text NOT NULL,
    PRIMARY KEY (role_name, module, action)
);
INSERT INTO desktop_role_templates (role_name, module, action) VALUES
"""
    + ROLE_TEMPLATES.strip()
    + r""";

-- Server-side secrets: no privileges for anyone but the owner.
CREATE TABLE desktop_secrets (name text PRIMARY KEY, value text NOT NULL);
INSERT INTO desktop_secrets (name, value)
VALUES ('fake_salt_key', replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''));

-- The permission rows of a role, or its built-in template when it has none (DOMAIN.md §1).
CREATE FUNCTION gcmc__role_permissions(p_role integer)
RETURNS TABLE (module text, action text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT p.module, p.action FROM permissions p WHERE p."roleId" = p_role AND p.allowed
    UNION ALL
    SELECT t.module, t.action FROM roles r JOIN desktop_role_templates t ON t.role_name = r.name
    WHERE r.id = p_role AND NOT EXISTS (SELECT 1 FROM permissions p WHERE p."roleId" = p_role)
$$;

CREATE OR REPLACE FUNCTION gcmc_user_has_permission(p_user text, p_tenant integer,
                                                    p_module text, p_action text) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT EXISTS (
        SELECT 1 FROM tenant_users tu CROSS JOIN LATERAL gcmc__role_permissions(tu."roleId") rp
        WHERE tu."tenantId" = p_tenant AND tu."userId" = p_user
          AND rp.module IN (p_module, '*') AND rp.action IN (p_action, '*'))
$$;

-- The connected user's own permission in the chosen firm. SECURITY DEFINER so staff need not
-- (and cannot) ask about other users or firms through gcmc_user_has_permission.
CREATE OR REPLACE FUNCTION gcmc_has_permission(p_module text, p_action text) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT gcmc_user_has_permission(gcmc_current_user_id(), gcmc_tenant(), p_module, p_action)
$$;

-- Does p_user hold, in p_tenant, every permission of role p_role? A firm administrator (users:edit
-- and settings:edit: the platform's "admin" is SuperAdmin or FirmAdmin) counts as holding every
-- named permission, so the built-in table's Admin role, whose rights are not a subset of the
-- FirmAdmin's, stays theirs to give; wildcards ("*", SuperAdmin) and plans never are. Client
-- portal rights reach only a client's own records and need no staff right to grant.
CREATE FUNCTION gcmc__role_within(p_role integer, p_user text, p_tenant integer) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT p_user IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM gcmc__role_permissions(p_role) rp
        WHERE rp.module <> 'client_portal'
          AND NOT gcmc_user_has_permission(p_user, p_tenant, rp.module, rp.action)
          AND NOT (rp.module NOT IN ('*', 'subscriptions') AND rp.action <> '*'
                   AND gcmc_user_has_permission(p_user, p_tenant, 'users', 'edit')
                   AND gcmc_user_has_permission(p_user, p_tenant, 'settings', 'edit')))
$$;

-- The firm of a row of a tenant-scoped table (child tables through their parent). NULL when
-- the row does not exist.
CREATE FUNCTION gcmc__tenant_of(p_table text, p_id text) RETURNS integer
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_tenant integer;
    v_id integer;
BEGIN
    IF p_id IS NULL OR p_id !~ '^-?[0-9]{1,10}$' THEN
        RETURN NULL;
    END IF;
    v_id := p_id::bigint;
    IF p_table = 'document_versions' THEN
        SELECT d."tenantId" INTO v_tenant FROM document_versions x
        JOIN documents d ON d.id = x."documentId" WHERE x.id = v_id;
    ELSIF p_table = 'service_steps' THEN
        SELECT r."tenantId" INTO v_tenant FROM service_steps x
        JOIN service_requests r ON r.id = x."serviceRequestId" WHERE x.id = v_id;
    ELSE
        EXECUTE format('SELECT "tenantId" FROM %I WHERE id = $1', p_table) INTO v_tenant
        USING v_id;
    END IF;
    RETURN v_tenant;
EXCEPTION WHEN numeric_value_out_of_range THEN
    RETURN NULL;
END $$;

-- BEFORE INSERT/UPDATE on staff rows: every reference stays inside the row's firm. A foreign id
-- and a nonexistent one get the same foreign-key error, so ids cannot be probed.
-- TG_ARGV[0]: '-' (the row has tenantId) or '<column>:<parent table>' (child tables);
-- then '<column>:<parent table | user | self>:<constraint>' per reference.
CREATE FUNCTION gcmc__check_references() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_new jsonb := to_jsonb(NEW);
    v_old jsonb := CASE WHEN TG_OP = 'UPDATE' THEN to_jsonb(OLD) END;
    v_tenant integer := (v_new ->> 'tenantId')::integer;
    v_column text;
    v_parent text;
    v_constraint text;
    v_value text;
    v_ok boolean;
BEGIN
    IF TG_ARGV[0] <> '-' THEN
        v_tenant := gcmc__tenant_of(split_part(TG_ARGV[0], ':', 2),
                                    v_new ->> split_part(TG_ARGV[0], ':', 1));
    END IF;
    FOR i IN 1 .. TG_NARGS - 1 LOOP
        v_column := split_part(TG_ARGV[i], ':', 1);
        v_parent := split_part(TG_ARGV[i], ':', 2);
        v_constraint := split_part(TG_ARGV[i], ':', 3);
        v_value := v_new ->> v_column;
        CONTINUE WHEN v_value IS NULL
            OR (v_old IS NOT NULL AND (v_old ->> v_column) IS NOT DISTINCT FROM v_value);
        IF v_parent = 'self' THEN
            IF v_value IS DISTINCT FROM gcmc_current_user_id() THEN
                RAISE EXCEPTION 'permission denied: % must be your own user', v_column
                    USING ERRCODE = '42501';
            END IF;
            CONTINUE;
        ELSIF v_parent = 'user' THEN
            v_ok := EXISTS (SELECT 1 FROM tenant_users
                            WHERE "tenantId" = v_tenant AND "userId" = v_value);
        ELSE
            v_ok := v_tenant IS NOT NULL AND gcmc__tenant_of(v_parent, v_value) = v_tenant;
        END IF;
        IF NOT v_ok THEN
            RAISE EXCEPTION 'insert or update on table "%" violates foreign key constraint "%"',
                TG_TABLE_NAME, v_constraint
                USING ERRCODE = '23503', CONSTRAINT = v_constraint, TABLE = TG_TABLE_NAME,
                      DETAIL = format('Key (%s)=(%s) is not present in table "%s".',
                                      v_column, left(v_value, 40), v_parent);
        END IF;
    END LOOP;
    RETURN NEW;
END $$;

CREATE FUNCTION gcmc__snake(p_key text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$ SELECT lower(regexp_replace(p_key, '([a-z0-9])([A-Z])', '\1_\2', 'g')) $$;

-- AFTER INSERT/UPDATE/DELETE on staff rows: the audit row, in the same transaction, whoever
-- issued the statement. TG_ARGV[0] = entity type, TG_ARGV[1] = where the client comes from.
CREATE FUNCTION gcmc__audit_row() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_old jsonb := CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END;
    v_new jsonb := CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END;
    v_row jsonb := coalesce(v_new, v_old);
    v_changes jsonb;
    v_client integer;
    v_source text := TG_ARGV[1];
    v_tenant integer;
BEGIN
    SELECT coalesce(jsonb_object_agg(gcmc__snake(k),
                                     jsonb_build_array(coalesce(v_old -> k, 'null'::jsonb),
                                                       coalesce(v_new -> k, 'null'::jsonb))),
                    '{}'::jsonb)
    INTO v_changes
    FROM jsonb_object_keys(v_row) AS k
    WHERE k NOT IN ('password', 'token', 'accessToken', 'refreshToken', 'idToken')
      AND CASE TG_OP
            WHEN 'INSERT' THEN (v_new -> k) <> 'null'::jsonb
            WHEN 'UPDATE' THEN (v_old -> k) IS DISTINCT FROM (v_new -> k) AND k <> 'updatedAt'
            ELSE true END;
    IF TG_OP = 'UPDATE' AND v_changes = '{}'::jsonb THEN
        RETURN NULL;
    END IF;
    IF v_source = 'self' THEN
        v_client := CASE WHEN TG_OP <> 'DELETE' THEN (v_row ->> 'id')::integer END;
    ELSIF v_source LIKE '%:%' THEN
        EXECUTE format('SELECT "clientId" FROM %I WHERE id = $1', split_part(v_source, ':', 1))
        INTO v_client USING (v_row ->> split_part(v_source, ':', 2))::integer;
    ELSIF v_source <> '-' THEN
        v_client := (v_row ->> v_source)::integer;
    END IF;
    -- A client being deleted in this statement can no longer be referenced (its id stays in
    -- the changes).
    IF v_client IS NOT NULL AND NOT EXISTS (SELECT 1 FROM clients WHERE id = v_client) THEN
        v_client := NULL;
    END IF;
    -- Rows without a firm of their own ("user") are filed under the acting user's firm.
    v_tenant := coalesce((v_row ->> 'tenantId')::integer,
                         CASE WHEN TG_TABLE_NAME = 'tenants' THEN (v_row ->> 'id')::integer END,
                         gcmc_tenant(),
                         (SELECT min("tenantId") FROM tenant_users
                          WHERE "userId" = gcmc_current_user_id()));
    IF v_tenant IS NULL THEN  -- a user of no firm renaming themselves: no firm to file it under
        RETURN NULL;
    END IF;
    INSERT INTO audit_logs ("tenantId", "actorUserId", "clientId", "entityType", "entityId",
                            action, changes, "ipAddress", "userAgent")
    VALUES (v_tenant, gcmc_current_user_id(), v_client, TG_ARGV[0],
            CASE WHEN (v_row ->> 'id') ~ '^[0-9]{1,9}$' THEN (v_row ->> 'id')::integer ELSE 0 END,
            CASE TG_OP WHEN 'INSERT' THEN 'create' WHEN 'UPDATE' THEN 'update' ELSE 'delete' END,
            v_changes,
            left(nullif(current_setting('gcmc.ip_address', true), ''), 64),
            left(nullif(current_setting('gcmc.user_agent', true), ''), 300));
    RETURN NULL;
END $$;

-- The connected user's membership in the role's firm uses this role.
CREATE FUNCTION gcmc__is_my_role(p_role integer) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT EXISTS (SELECT 1 FROM tenant_users
                   WHERE "userId" = gcmc_current_user_id() AND "roleId" = p_role)
$$;

CREATE FUNCTION gcmc__tenant_of_role(p_role integer) RETURNS integer
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT "tenantId" FROM roles WHERE id = p_role
$$;

-- Memberships (BEFORE, staff): not your own; never to or from a role beyond your own.
CREATE FUNCTION gcmc__guard_membership() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_me text := gcmc_current_user_id();
BEGIN
    IF (TG_OP <> 'INSERT' AND OLD."userId" = v_me) OR (TG_OP <> 'DELETE' AND NEW."userId" = v_me)
    THEN
        RAISE EXCEPTION 'permission denied: you cannot change your own membership'
            USING ERRCODE = '42501';
    END IF;
    IF TG_OP <> 'INSERT' AND NOT gcmc__role_within(OLD."roleId", v_me, OLD."tenantId") THEN
        RAISE EXCEPTION 'permission denied: that member''s role has permissions you do not hold'
            USING ERRCODE = '42501';
    END IF;
    IF TG_OP <> 'DELETE' AND NOT gcmc__role_within(NEW."roleId", v_me, NEW."tenantId") THEN
        RAISE EXCEPTION 'permission denied: you cannot grant a role with permissions you do not hold'
            USING ERRCODE = '42501';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $$;

-- Roles and permission rows (BEFORE, staff): never your own role.
CREATE FUNCTION gcmc__guard_own_role() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_column text := TG_ARGV[0];
    v_old integer := CASE WHEN TG_OP <> 'INSERT' THEN (to_jsonb(OLD) ->> v_column)::integer END;
    v_new integer := CASE WHEN TG_OP <> 'DELETE' THEN (to_jsonb(NEW) ->> v_column)::integer END;
BEGIN
    IF gcmc__is_my_role(v_old) OR gcmc__is_my_role(v_new) THEN
        RAISE EXCEPTION 'permission denied: you cannot change your own role or its permissions'
            USING ERRCODE = '42501';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $$;

-- Roles and permission rows (AFTER, staff, when the statement is complete): the role ends up
-- with no permission the caller does not hold (a role without rows takes its name's template).
CREATE FUNCTION gcmc__guard_role_within() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_column text := TG_ARGV[0];
    v_role integer := (to_jsonb(CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END) ->> v_column)::integer;
    v_tenant integer := gcmc__tenant_of_role(v_role);
BEGIN
    IF v_tenant IS NOT NULL
       AND NOT gcmc__role_within(v_role, gcmc_current_user_id(), v_tenant) THEN
        RAISE EXCEPTION 'permission denied: a role cannot get permissions you do not hold'
            USING ERRCODE = '42501';
    END IF;
    RETURN NULL;
END $$;

-- Login sessions written by staff: at most MAX_SESSION_DAYS from now.
CREATE FUNCTION gcmc__cap_session() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW."expiresAt" IS NULL
       OR NEW."expiresAt" > (clock_timestamp() AT TIME ZONE 'UTC') + interval '@DAYS@ days 1 minute' THEN
        RAISE EXCEPTION 'a session may last at most @DAYS@ days' USING ERRCODE = '22023';
    END IF;
    RETURN NEW;
END $$;

-- May the caller manage (reset the password of, disable) p_user? Only with users:<action> in
-- every firm p_user belongs to, over a role within the caller's own there.
CREATE OR REPLACE FUNCTION gcmc__may_manage(p_user text, p_action text) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT gcmc_is_admin() OR (
        p_user IS NOT NULL
        AND gcmc_current_user_id() IS NOT NULL
        AND EXISTS (SELECT 1 FROM tenant_users WHERE "userId" = p_user)
        AND NOT EXISTS (
            SELECT 1 FROM tenant_users tu
            WHERE tu."userId" = p_user
              AND NOT (gcmc_user_has_permission(gcmc_current_user_id(), tu."tenantId",
                                                'users', p_action)
                       AND gcmc__role_within(tu."roleId", gcmc_current_user_id(),
                                             tu."tenantId"))))
$$;

-- Create a staff user with their own login role, or invite an existing user: an existing
-- user only gets the membership — never a password, a login role or a credential.
CREATE OR REPLACE FUNCTION gcmc_provision_user(p_tenant integer, p_email text, p_name text,
                                               p_role_id integer, p_scram text, p_hash text)
RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_user text;
    v_email text := lower(trim(p_email));
BEGIN
    IF NOT (gcmc_is_admin()
            OR gcmc_user_has_permission(gcmc_current_user_id(), p_tenant, 'users', 'create')) THEN
        RAISE EXCEPTION 'permission denied: users:create in tenant %', p_tenant
            USING ERRCODE = '42501';
    END IF;
    IF v_email IS NULL OR v_email !~ '^[^@[:space:]]+@[^@[:space:]]+$' OR length(v_email) > 254 THEN
        RAISE EXCEPTION 'enter a valid e-mail address' USING ERRCODE = '22023';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM roles WHERE id = p_role_id AND "tenantId" = p_tenant) THEN
        RAISE EXCEPTION 'role % does not belong to tenant %', p_role_id, p_tenant
            USING ERRCODE = '22023';
    END IF;
    SELECT _id INTO v_user FROM "user" WHERE email = v_email;
    IF v_user IS NULL THEN
        PERFORM gcmc__require_verifier(p_scram);
        IF p_name IS NULL OR btrim(p_name) = '' THEN
            RAISE EXCEPTION 'enter the person''s name' USING ERRCODE = '22023';
        END IF;
        v_user := replace(gen_random_uuid()::text, '-', '');
        INSERT INTO "user" (_id, name, email, "emailVerified", "updatedAt")
        VALUES (v_user, left(btrim(p_name), 200), v_email, false, (now() AT TIME ZONE 'UTC'));
        PERFORM gcmc__write_credential(v_user, p_hash);
        PERFORM gcmc__ensure_login_role(v_user, p_scram);
    END IF;
    INSERT INTO tenant_users ("tenantId", "userId", "roleId", "updatedAt")
    VALUES (p_tenant, v_user, p_role_id, (now() AT TIME ZONE 'UTC'))
    ON CONFLICT ("tenantId", "userId") DO UPDATE SET "roleId" = EXCLUDED."roleId",
                                                     "updatedAt" = (now() AT TIME ZONE 'UTC');
    RETURN v_user;
END $$;

-- A login role's password, recorded so a change made outside the application can be refused.
CREATE TABLE desktop_role_verifiers (rolname text PRIMARY KEY, verifier text NOT NULL);

CREATE OR REPLACE FUNCTION gcmc__ensure_login_role(p_user text, p_scram text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_role text := gcmc_role_name(p_user);
BEGIN
    PERFORM gcmc__require_verifier(p_scram);
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = v_role) THEN
        EXECUTE format('ALTER ROLE %I WITH LOGIN PASSWORD %L', v_role, p_scram);
    ELSE
        EXECUTE format('CREATE ROLE %I WITH LOGIN PASSWORD %L IN ROLE gcmc_staff',
                       v_role, p_scram);
    END IF;
    INSERT INTO desktop_role_verifiers (rolname, verifier) VALUES (v_role, p_scram)
    ON CONFLICT (rolname) DO UPDATE SET verifier = EXCLUDED.verifier;
END $$;

CREATE OR REPLACE FUNCTION gcmc__require_verifier(p_scram text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF p_scram IS NULL OR p_scram !~ '^SCRAM-SHA-256\$[0-9]+:[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$' THEN
        RAISE EXCEPTION 'a SCRAM-SHA-256 verifier is required, never a plain password'
            USING ERRCODE = '22023';
    END IF;
END $$;

CREATE OR REPLACE FUNCTION gcmc_remember_device(p_scram text, p_until timestamp) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_user text := gcmc_current_user_id();
    v_role text;
BEGIN
    IF v_user IS NULL THEN
        RAISE EXCEPTION 'only a signed-in staff user can remember a device' USING ERRCODE = '42501';
    END IF;
    IF p_until IS NULL OR p_until <= (clock_timestamp() AT TIME ZONE 'UTC')
       OR p_until > (clock_timestamp() AT TIME ZONE 'UTC') + interval '@DAYS@ days 1 minute' THEN
        RAISE EXCEPTION 'a device can be remembered for at most @DAYS@ days'
            USING ERRCODE = '22023';
    END IF;
    PERFORM gcmc__require_verifier(p_scram);
    v_role := 'gcmc_r_' || v_user;
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = v_role) THEN
        EXECUTE format('ALTER ROLE %I WITH LOGIN PASSWORD %L VALID UNTIL %L',
                       v_role, p_scram, p_until || '+00');
    ELSE
        EXECUTE format('CREATE ROLE %I WITH LOGIN PASSWORD %L VALID UNTIL %L IN ROLE gcmc_staff',
                       v_role, p_scram, p_until || '+00');
    END IF;
    INSERT INTO desktop_role_verifiers (rolname, verifier) VALUES (v_role, p_scram)
    ON CONFLICT (rolname) DO UPDATE SET verifier = EXCLUDED.verifier;
    RETURN v_role;
END $$;

-- Failed sign-ins, recorded only here, inside verification.
CREATE FUNCTION gcmc__login_state(p_email text)
RETURNS TABLE (failures integer, locked_until timestamp)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT count(*)::integer,
           CASE WHEN count(*) >= 5 THEN max("attemptedAt") + interval '15 minutes' END
    FROM desktop_login_attempts
    WHERE email = p_email AND NOT success
      AND "attemptedAt" > now() AT TIME ZONE 'UTC' - interval '15 minutes'
      AND "attemptedAt" > coalesce((SELECT max("attemptedAt") FROM desktop_login_attempts
                                    WHERE email = p_email AND success), '-infinity')
$$;

CREATE OR REPLACE FUNCTION gcmc_login_locked_until(p_email text) RETURNS timestamp
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT locked_until FROM gcmc__login_state(lower(trim(p_email)))
$$;

-- The salt to derive the sign-in key with: the account's own for a Better-Auth scrypt hash,
-- else a fake one keyed with a server-side secret, so unknown and known e-mails look alike.
CREATE OR REPLACE FUNCTION gcmc_credential_salt(p_email text) RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT coalesce(
        (SELECT split_part(a.password, ':', 1) FROM "user" u
         JOIN account a ON a."userId" = u._id AND a."providerId" = 'credential'
         WHERE u.email = lower(trim(coalesce(p_email, '')))
           AND a.password ~ '^[0-9a-f]{32}:[0-9a-f]{128}$'
         LIMIT 1),
        left(encode(sha256(convert_to((SELECT value FROM desktop_secrets
                                       WHERE name = 'fake_salt_key')
                                      || ':' || lower(trim(coalesce(p_email, ''))), 'UTF8')),
                    'hex'), 32))
$$;

-- Sign-in verification for the gateway: the caller sends scrypt(password, salt) and a SCRAM
-- verifier of the same password. On a match the user's login role is created or its password
-- brought in line with the web password, and its name returned; otherwise the failure is
-- counted. Locked-out e-mails are not checked at all. Same answer shape for every e-mail.
CREATE FUNCTION gcmc_sign_in(p_email text, p_key text, p_scram text)
RETURNS TABLE (login_role text, locked_until timestamp, tries_left integer)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_email text := left(lower(trim(coalesce(p_email, ''))), 320);
    v_user text;
    v_hash text;
    v_role text;
    v_can_login boolean;
    v_state record;
    v_ok boolean;
BEGIN
    SELECT * INTO v_state FROM gcmc__login_state(v_email);
    IF v_state.locked_until IS NOT NULL THEN
        RETURN QUERY SELECT NULL::text, v_state.locked_until, 0;
        RETURN;
    END IF;
    SELECT u._id, a.password INTO v_user, v_hash FROM "user" u
    JOIN account a ON a."userId" = u._id AND a."providerId" = 'credential'
    WHERE u.email = v_email
    LIMIT 1;
    v_role := gcmc_role_name(v_user);
    SELECT r.rolcanlogin INTO v_can_login FROM pg_roles r WHERE r.rolname = v_role;
    v_ok := v_user IS NOT NULL
        AND v_hash ~ '^[0-9a-f]{32}:[0-9a-f]{128}$'
        AND coalesce(p_key, '') ~ '^[0-9a-fA-F]{128}$'
        AND split_part(v_hash, ':', 2) = lower(p_key)
        AND coalesce(v_can_login, true);  -- a disabled login role stays disabled
    IF v_ok THEN
        PERFORM gcmc__require_verifier(p_scram);
        PERFORM gcmc__ensure_login_role(v_user, p_scram);
        INSERT INTO desktop_login_attempts (email, success) VALUES (v_email, true);
        RETURN QUERY SELECT v_role, NULL::timestamp, 5;
        RETURN;
    END IF;
    INSERT INTO desktop_login_attempts (email, success) VALUES (v_email, false);
    SELECT * INTO v_state FROM gcmc__login_state(v_email);
    RETURN QUERY SELECT NULL::text, NULL::timestamp, greatest(0, 5 - v_state.failures);
END $$;

CREATE OR REPLACE FUNCTION gcmc_forget_device() RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_role text := 'gcmc_r_' || gcmc_current_user_id();
BEGIN
    IF v_role IS NOT NULL AND EXISTS (SELECT 1 FROM pg_roles WHERE rolname = v_role) THEN
        EXECUTE format('ALTER ROLE %I NOLOGIN', v_role);
    END IF;
END $$;

REVOKE ALL ON FUNCTION gcmc__role_permissions(integer), gcmc__role_within(integer, text, integer),
    gcmc__tenant_of(text, text), gcmc__check_references(), gcmc__snake(text), gcmc__audit_row(),
    gcmc__is_my_role(integer), gcmc__tenant_of_role(integer), gcmc__guard_membership(),
    gcmc__guard_own_role(), gcmc__guard_role_within(), gcmc__cap_session(),
    gcmc__login_state(text), gcmc_sign_in(text, text, text)
    FROM PUBLIC;
-- The gateway may only ask for a salt and verify; nothing else records, clears or enumerates.
REVOKE EXECUTE ON FUNCTION gcmc_login_locked_until(text), gcmc_record_login(text, boolean),
    gcmc_login_role(text), gcmc_enable_desktop(text, text, text)
    FROM gcmc_login, gcmc_staff;
GRANT EXECUTE ON FUNCTION gcmc_credential_salt(text), gcmc_sign_in(text, text, text)
    TO gcmc_login, gcmc_staff;
REVOKE EXECUTE ON FUNCTION gcmc_user_has_permission(text, integer, text, text) FROM gcmc_staff;
-- Staff create nothing in the schema (older servers let PUBLIC create in "public").
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
-- Evaluated as the querying user by the "user" update policy.
GRANT EXECUTE ON FUNCTION gcmc__may_manage(text, text) TO gcmc_staff;
""".replace("@DAYS@", str(MAX_SESSION_DAYS))
)

LOGIN_CHECK = r"""
CREATE FUNCTION gcmc__login_check() RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $body$
DECLARE
    v_expected text;
    v_actual text;
BEGIN
    IF session_user::text NOT LIKE 'gcmc\_u\_%' AND session_user::text NOT LIKE 'gcmc\_r\_%' THEN
        RETURN;
    END IF;
    SELECT verifier INTO v_expected FROM desktop_role_verifiers WHERE rolname = session_user::text;
    SELECT rolpassword INTO v_actual FROM pg_authid WHERE rolname = session_user::text;
    IF v_expected IS NOT NULL AND v_actual IS DISTINCT FROM v_expected THEN
        RAISE EXCEPTION 'the password of this login was changed outside GCMC Desktop; '
                        'sign in through the application'
            USING ERRCODE = '28P01';
    END IF;
END $body$;
CREATE EVENT TRIGGER gcmc_login_check ON login EXECUTE FUNCTION gcmc__login_check();
INSERT INTO desktop_role_verifiers (rolname, verifier)
SELECT rolname, rolpassword FROM pg_authid
WHERE (rolname LIKE 'gcmc\_u\_%' OR rolname LIKE 'gcmc\_r\_%') AND rolpassword IS NOT NULL
ON CONFLICT (rolname) DO NOTHING;
"""


def _can_check_logins() -> bool:
    """Login event triggers exist from PostgreSQL 17 and reading pg_authid needs a superuser."""
    bind = op.get_bind()
    version = int(bind.exec_driver_sql("SHOW server_version_num").scalar())
    superuser = bind.exec_driver_sql(
        "SELECT rolsuper FROM pg_roles WHERE rolname = current_user"
    ).scalar()
    return version >= 170000 and bool(superuser)


def _permission_check(module: str, actions: tuple[str, ...] | None) -> str:
    if actions is None:
        return "true"
    checks = " OR ".join(f"gcmc_has_permission('{module}', '{action}')" for action in actions)
    return f"(SELECT {checks})"  # uncorrelated: evaluated once per statement


def _drop_policies(table: str) -> None:
    op.execute(
        f"""
        DO $$ DECLARE p record; BEGIN
            FOR p IN SELECT policyname FROM pg_policies
                     WHERE schemaname = current_schema() AND tablename = '{table}' LOOP
                EXECUTE format('DROP POLICY %I ON %I', p.policyname, '{table}');
            END LOOP;
        END $$;
        """
    )


def _policies() -> None:
    for table, (module, commands) in PERMISSIONS.items():
        _drop_policies(table)
        scope = CHILD_PARENTS.get(table, '"tenantId" = gcmc_tenant()')
        for command in ("SELECT", "INSERT", "UPDATE", "DELETE"):
            guard = f"{scope} AND {_permission_check(module, commands.get(command))}"
            if command == "SELECT":
                clause = f"USING ({guard})"
            elif command == "INSERT":
                clause = f"WITH CHECK ({guard})"
            elif command == "UPDATE":
                clause = f"USING ({guard}) WITH CHECK ({guard})"
            else:
                clause = f"USING ({guard})"
            op.execute(
                f'CREATE POLICY staff_{command.lower()} ON "{table}" FOR {command} '
                f"TO gcmc_staff {clause}"
            )
    # Notifications: any member may notify a member of the firm; a recipient marks and
    # deletes their own, the notifications permissions cover everyone's.
    _drop_policies("notifications")
    scope = '"tenantId" = gcmc_tenant()'
    mine = '"recipientUserId" = gcmc_current_user_id()'
    op.execute(
        f"CREATE POLICY staff_select ON notifications FOR SELECT TO gcmc_staff USING ({scope})"
    )
    op.execute(
        f"CREATE POLICY staff_insert ON notifications FOR INSERT TO gcmc_staff WITH CHECK ({scope})"
    )
    for command, action in (("UPDATE", "edit"), ("DELETE", "delete")):
        guard = f"{scope} AND ({mine} OR {_permission_check('notifications', (action,))})"
        check = f" WITH CHECK ({guard})" if command == "UPDATE" else ""
        op.execute(
            f"CREATE POLICY staff_{command.lower()} ON notifications FOR {command} "
            f"TO gcmc_staff USING ({guard}){check}"
        )
    # Audit rows: written by the triggers only.
    _drop_policies("audit_logs")
    op.execute(
        "CREATE POLICY staff_select ON audit_logs FOR SELECT TO gcmc_staff "
        'USING ("tenantId" = gcmc_tenant())'
    )
    # Other users' names and phones: only with users:edit wherever they are members.
    op.execute('DROP POLICY IF EXISTS staff_update ON "user"')
    op.execute(
        'CREATE POLICY staff_update ON "user" FOR UPDATE TO gcmc_staff '
        "USING (_id = gcmc_current_user_id() OR gcmc__may_manage(_id, 'edit')) "
        "WITH CHECK (_id = gcmc_current_user_id() OR gcmc__may_manage(_id, 'edit'))"
    )


def _triggers() -> None:
    for table, (first, refs) in REFERENCES.items():
        args = ", ".join(f"'{spec}'" for spec in [first, *(":".join(r) for r in refs)])
        op.execute(
            f'CREATE TRIGGER desktop_check_references BEFORE INSERT OR UPDATE ON "{table}" '
            f"FOR EACH ROW WHEN ({STAFF}) EXECUTE FUNCTION gcmc__check_references({args})"
        )
    for table, (entity, client) in AUDITED.items():
        op.execute(
            f'CREATE TRIGGER desktop_audit AFTER INSERT OR UPDATE OR DELETE ON "{table}" '
            f"FOR EACH ROW WHEN ({STAFF}) EXECUTE FUNCTION gcmc__audit_row('{entity}', '{client}')"
        )
    op.execute(
        "CREATE TRIGGER desktop_guard_membership BEFORE INSERT OR UPDATE OR DELETE ON tenant_users "
        f"FOR EACH ROW WHEN ({STAFF}) EXECUTE FUNCTION gcmc__guard_membership()"
    )
    for table, column in (("roles", "id"), ("permissions", "roleId")):
        op.execute(
            f"CREATE TRIGGER desktop_guard_own_role BEFORE INSERT OR UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW WHEN ({STAFF}) EXECUTE FUNCTION gcmc__guard_own_role('{column}')"
        )
        events = "INSERT OR UPDATE" if table == "roles" else "INSERT OR UPDATE OR DELETE"
        op.execute(
            f"CREATE TRIGGER desktop_guard_role_within AFTER {events} ON {table} "
            f"FOR EACH ROW WHEN ({STAFF}) EXECUTE FUNCTION gcmc__guard_role_within('{column}')"
        )
    op.execute(
        "CREATE TRIGGER desktop_cap_session BEFORE INSERT OR UPDATE ON session "
        f"FOR EACH ROW WHEN ({STAFF}) EXECUTE FUNCTION gcmc__cap_session()"
    )


def _grants() -> None:
    op.execute("REVOKE INSERT ON audit_logs FROM gcmc_staff")
    op.execute("REVOKE SELECT ON ALL SEQUENCES IN SCHEMA public FROM gcmc_staff")
    op.execute("REVOKE ALL ON SEQUENCE desktop_login_attempts_id_seq FROM gcmc_staff")
    op.execute(
        "REVOKE ALL ON desktop_role_templates, desktop_secrets, desktop_role_verifiers FROM PUBLIC"
    )


def upgrade() -> None:
    op.execute(FUNCTIONS)
    _policies()
    _triggers()
    _grants()
    if _can_check_logins():
        op.execute(LOGIN_CHECK)


# --------------------------------------------------------------------------------------------
# Downgrade: back to exactly what 0003 and 0004 built.


def _earlier(name: str):
    return earlier(name, Path(__file__).parent)


def _as_replacements(sql: str) -> str:
    """An earlier revision's function definitions as CREATE OR REPLACE (its tables stay)."""
    start = max(sql.find("-- The application user"), 0)
    return re.sub(r"\bCREATE FUNCTION\b", "CREATE OR REPLACE FUNCTION", sql[start:])


def downgrade() -> None:
    op.execute("DROP EVENT TRIGGER IF EXISTS gcmc_login_check")
    op.execute("DROP FUNCTION IF EXISTS gcmc__login_check()")
    for table in (*REFERENCES, *AUDITED, "tenant_users", "roles", "permissions", "session"):
        for trigger in (
            "desktop_check_references",
            "desktop_audit",
            "desktop_guard_membership",
            "desktop_guard_own_role",
            "desktop_guard_role_within",
            "desktop_cap_session",
        ):
            op.execute(f'DROP TRIGGER IF EXISTS {trigger} ON "{table}"')
    security = _earlier("0003_security")
    for table in security.ALL_RLS_TABLES:
        _drop_policies(table)
    security._policies()
    op.execute(
        """
        DROP FUNCTION IF EXISTS gcmc_sign_in(text, text, text), gcmc__login_state(text),
            gcmc__cap_session(), gcmc__guard_role_within(), gcmc__guard_own_role(),
            gcmc__guard_membership(), gcmc__tenant_of_role(integer), gcmc__is_my_role(integer),
            gcmc__audit_row(), gcmc__snake(text), gcmc__check_references(),
            gcmc__tenant_of(text, text), gcmc__role_within(integer, text, integer);
        """
    )
    op.execute(_as_replacements(security.FUNCTIONS))
    op.execute(_as_replacements(_earlier("0004_remembered_devices").UPGRADE))
    op.execute(
        "DROP FUNCTION IF EXISTS gcmc__role_permissions(integer);"
        "DROP TABLE IF EXISTS desktop_role_verifiers, desktop_secrets, desktop_role_templates"
    )
    op.execute("GRANT INSERT ON audit_logs TO gcmc_staff")
    op.execute("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO gcmc_staff")
