"""Roles and what each may do (DOMAIN.md §1): the role names, the permission table the
platform ships (plus the Desktop's FirmAdmin convention) and the descriptions shown to people."""

from __future__ import annotations

# --------------------------------------------------------------------------------------------
# Roles and permissions (DOMAIN.md §1)
# --------------------------------------------------------------------------------------------

VIEW, CREATE, EDIT, DELETE, SUBMIT = "view", "create", "edit", "delete", "submit"
ALL = "*"

_VCED = (VIEW, CREATE, EDIT, DELETE)
_VCE = (VIEW, CREATE, EDIT)
_VE = (VIEW, EDIT)
_V = (VIEW,)

ROLE_NAMES: tuple[str, ...] = (
    "SuperAdmin",
    "FirmAdmin",
    "Admin",
    "ComplianceManager",
    "ComplianceOfficer",
    "DocumentOfficer",
    "FilingClerk",
    "Viewer",
    "ClientPortalUser",
)

# The platform's built-in table, plus the Desktop convention: FirmAdmin also holds messages:*,
# reports:* and audit:view (the platform gives those to SuperAdmin only). "*" matches all.
ROLE_PERMISSIONS: dict[str, dict[str, tuple[str, ...]]] = {
    "SuperAdmin": {ALL: (ALL,)},
    "FirmAdmin": {
        "clients": _VCED,
        "documents": _VCED,
        "filings": (*_VCED, SUBMIT),
        "services": _VCED,
        "compliance": _VE,
        "tasks": (*_VCED, "assign"),
        "users": _VCED,
        "settings": _VE,
        "notifications": (VIEW, "send"),
        "analytics": _V,
        "dashboard": _V,
        "messages": (ALL,),
        "reports": (ALL,),
        "audit": _V,
    },
    "Admin": {
        "clients": _VCED,
        "documents": _VCED,
        "filings": (*_VCED, SUBMIT),
        "services": _VCED,
        "compliance": (*_VE, "manage"),
        "tasks": _VCED,
        "users": _VCED,
        "notifications": _VCED,
        "analytics": _VE,
        "dashboard": _VE,
        "profile": _VE,
        "system": (*_VE, "manage"),
    },
    "ComplianceManager": {
        "clients": _VCE,
        "documents": _VCE,
        "filings": (*_VCE, SUBMIT),
        "services": _VCE,
        "compliance": _VE,
    },
    "ComplianceOfficer": {
        "clients": _VE,
        "documents": _VCE,
        "filings": (*_VCE, SUBMIT),
    },
    "DocumentOfficer": {
        "clients": _V,
        "documents": _VCE,
    },
    "FilingClerk": {
        "clients": _V,
        "filings": _VCE,
    },
    "Viewer": {
        "clients": _V,
        "documents": _V,
        "filings": _V,
        "services": _V,
        "compliance": _V,
        "tasks": _V,
        "notifications": _V,
        "analytics": _V,
        "dashboard": _V,
    },
    "ClientPortalUser": {"client_portal": (VIEW, "upload", "message")},
}

ROLE_DESCRIPTIONS: dict[str, str] = {
    "SuperAdmin": "Platform operator: every permission in every tenant; manages tenants.",
    "FirmAdmin": "Runs the firm: all client work, users, roles and settings of this tenant, "
    "messages, reports and the audit log.",
    "Admin": "Office administrator: all client work, users and notifications; no settings.",
    "ComplianceManager": "Leads compliance work: clients, documents, filings (incl. submit), "
    "services and compliance rules; cannot delete.",
    "ComplianceOfficer": "Day-to-day compliance: edits clients, handles documents and filings.",
    "DocumentOfficer": "Receives, scans and files client documents.",
    "FilingClerk": "Prepares filings to the authorities.",
    "Viewer": "Read-only access to client files, filings, services and dashboards.",
    "ClientPortalUser": "A client's own login: sees its linked clients, uploads documents, "
    "sends messages and completes client tasks.",
}
